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
// The thread-safe functions do not keep the event loop alive: src/native.ts does that while someone
// waits, and can let go (unref). Each wait holds its own dup of the pidfd, so the caller may close
// its fd at any time.
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
  Napi::ThreadSafeFunction tsfn;
  siginfo_t si;
  bool notChild = false;
  int err = 0;
  explicit Wait(Napi::Env env) : fd(-1), deferred(Napi::Promise::Deferred::New(env)) { memset(&si, 0, sizeof si); }
};

int gEpoll = -1;
int gEpollErr = 0;
std::once_flag gStart;

Napi::Error SysError(Napi::Env env, const char *op, int err, const std::string &what) {
  Napi::Error e = Napi::Error::New(env, std::string(op) + " " + what + ": " + ErrnoName(err) + " (" + strerror(err) + ")");
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
      Napi::ThreadSafeFunction tsfn = w->tsfn;
      if (tsfn.BlockingCall(w, Settle) != napi_ok) delete w;  // the environment is gone
      tsfn.Release();
    }
  }
}

void Start() {
  gEpoll = epoll_create1(EPOLL_CLOEXEC);
  if (gEpoll < 0) {
    gEpollErr = errno;
    return;
  }
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
  std::call_once(gStart, Start);
  Wait *w = new Wait(env);
  Napi::Promise promise = w->deferred.Promise();
  if (gEpoll < 0) {
    w->deferred.Reject(SysError(env, "epoll_create1", gEpollErr, "for waitExit").Value());
    delete w;
    return promise;
  }
  w->fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
  if (w->fd < 0) {
    w->deferred.Reject(SysError(env, "fcntl(F_DUPFD_CLOEXEC)", errno, "pidfd " + std::to_string(pidfd)).Value());
    delete w;
    return promise;
  }
  w->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo &) {}), "ocirt.waitExit", 0, 1);
  w->tsfn.Unref(env);
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = w;
  if (epoll_ctl(gEpoll, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
    int e = errno;
    close(w->fd);
    w->tsfn.Release();
    w->deferred.Reject(SysError(env, "epoll_ctl", e, "pidfd " + std::to_string(pidfd)).Value());
    delete w;
  }
  return promise;
}

}  // namespace

void RegisterWait(Napi::Env env, Napi::Object exports) {
  exports.Set("waitExit", Napi::Function::New(env, WaitExit, "waitExit"));
}
