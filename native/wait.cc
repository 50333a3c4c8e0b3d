// waitExit(pidfd) -> Promise<{ code, signal }>: one watcher thread for every process ocirt waits
// for, an epoll set of pidfds. A pidfd polls readable once its process has exited; the watcher then
// reaps it (waitid WNOHANG; ECHILD for a process that is not our child, whose status is not ours to
// read: { code: null, signal: null }) and hands the status to the JS thread through the wait's
// thread-safe function, which settles the promise.
//
// Why not a thread blocked in waitid per wait (the AsyncWorker this replaces): the API holds a wait
// for every container and process it starts, and Node's pool has four threads; the fifth wait, and
// every fs or dns call behind it, would queue until a process exits. Why not uv_poll on the pidfd:
// Bun has none. This works the same under Node and Bun.
//
// One thread-safe function for the life of the process, created with the watcher on the first
// wait and never released: a function per wait, released by the watcher, raced the environment's
// teardown at exit (Node deletes every thread-safe function then, and the watcher could be inside
// one: a silent abort in about one `ocirt exec` of thirty on a loaded machine). An environment
// cleanup hook, registered after the function so that it runs before the function's own, closes
// the door under the mutex the watcher holds while it calls. It does not keep the event loop
// alive: src/native.ts does that while someone waits, and can let go (unref). Each wait holds its
// own dup of the pidfd, so the caller may close its fd at any time. Waits are for the environment
// that made the first one (ocirt's main thread); another is refused.
#include "wait.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>

#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace {

struct Wait {
  int fd;  // our dup of the caller's pidfd, closed by the watcher
  Napi::Promise::Deferred deferred;
  siginfo_t si;
  bool notChild = false;
  int err = 0;
  explicit Wait(Napi::Env env) : fd(-1), deferred(Napi::Promise::Deferred::New(env)) { memset(&si, 0, sizeof si); }
};

int gEpoll = -1;
int gEpollErr = 0;
std::once_flag gStart;
napi_env gEnv = nullptr;
Napi::ThreadSafeFunction gTsfn;
std::mutex gMutex;
bool gClosing = false;  // the environment is being torn down: gTsfn is not to be touched

void OnEnvCleanup(void *) {
  std::lock_guard<std::mutex> lock(gMutex);
  gClosing = true;
}

Napi::Error SysError(Napi::Env env, const char *op, int err, const std::string &what) {
  Napi::Error e =
      Napi::Error::New(env, std::string(op) + " " + what + ": " + ErrnoName(err) + " (" + strerror(err) + ")");
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  return e;
}

// On the JS thread: settle the promise, free the wait.
void Settle(Napi::Env env, Napi::Function, Wait *w) {
  if (env != nullptr) {
    Napi::HandleScope scope(env);
    if (w->err != 0) {
      w->deferred.Reject(SysError(env, "waitid", w->err, "pidfd").Value());
    } else {
      Napi::Object r = Napi::Object::New(env);
      bool exited = !w->notChild && w->si.si_code == CLD_EXITED;
      bool killed = !w->notChild && !exited;
      r.Set("code", exited ? Napi::Number::New(env, w->si.si_status) : env.Null());
      r.Set("signal", killed ? Napi::Number::New(env, w->si.si_status) : env.Null());
      w->deferred.Resolve(r);
    }
  }
  delete w;
}

void Watch() {
  struct epoll_event ev[16];
  for (;;) {
    int n = epoll_wait(gEpoll, ev, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // cannot happen with a valid epoll fd; waits then never settle, as a hung waitid would not
    }
    for (int i = 0; i < n; i++) {
      Wait *w = static_cast<Wait *>(ev[i].data.ptr);
      int rc;
      do rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(w->fd), &w->si, WEXITED | WNOHANG);
      while (rc < 0 && errno == EINTR);
      if (rc < 0 && errno == ECHILD) w->notChild = true;
      else if (rc < 0) w->err = errno;
      close(w->fd);  // also takes it out of the epoll set
      std::lock_guard<std::mutex> lock(gMutex);
      if (gClosing || gTsfn.NonBlockingCall(w, Settle) != napi_ok) delete w;  // the environment is gone
    }
  }
}

void Start(Napi::Env env) {
  gEpoll = epoll_create1(EPOLL_CLOEXEC);
  if (gEpoll < 0) {
    gEpollErr = errno;
    return;
  }
  gEnv = env;
  gTsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo &) {}),
                                        "ocirt.waitExit", 0, 1);
  gTsfn.Unref(env);
  napi_add_env_cleanup_hook(env, OnEnvCleanup, nullptr);
  // Detached: it blocks in epoll_wait for the life of the process, and holds nothing to clean up.
  // Signals stay with the JS thread: the watcher's mask blocks them all while it is made.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread(Watch).detach();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Napi::Value WaitExit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "waitExit: pidfd expected");
  int pidfd = info[0].As<Napi::Number>().Int32Value();
  std::call_once(gStart, Start, env);
  Wait *w = new Wait(env);
  Napi::Promise promise = w->deferred.Promise();
  if (gEpoll < 0) {
    w->deferred.Reject(SysError(env, "epoll_create1", gEpollErr, "for waitExit").Value());
    delete w;
    return promise;
  }
  if (static_cast<napi_env>(env) != gEnv) {
    w->deferred.Reject(
        Napi::Error::New(env, "waitExit: only on the thread that made the first wait (ocirt's main thread)").Value());
    delete w;
    return promise;
  }
  w->fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
  if (w->fd < 0) {
    w->deferred.Reject(SysError(env, "fcntl(F_DUPFD_CLOEXEC)", errno, "pidfd " + std::to_string(pidfd)).Value());
    delete w;
    return promise;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = w;
  if (epoll_ctl(gEpoll, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
    int e = errno;
    close(w->fd);
    w->deferred.Reject(SysError(env, "epoll_ctl", e, "pidfd " + std::to_string(pidfd)).Value());
    delete w;
  }
  return promise;
}

}  // namespace

void RegisterWait(Napi::Env env, Napi::Object exports) {
  exports.Set("waitExit", Napi::Function::New(env, WaitExit, "waitExit"));
}
