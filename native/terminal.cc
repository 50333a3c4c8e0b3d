// Terminals for the runtime's side (src/container/terminal.ts): the console socket connected from
// here (a host path the container's ids may not reach), the pty master received over it, and the
// relay between a foreground run's or exec's own stdio and that master, run on a worker thread so
// that the bytes pass unchanged under Node and Bun alike (no stream objects, no encodings).
#include "terminal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <string>

namespace {

Napi::Value Throw(Napi::Env env, const char *op, int err, const std::string &what = "") {
  std::string msg = op;
  if (!what.empty()) msg += " " + what;
  msg += ": " + ErrnoName(err) + " (" + strerror(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool FdArg(const Napi::CallbackInfo &info, size_t i, int *fd) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  *fd = info[i].As<Napi::Number>().Int32Value();
  return true;
}

// connectUnix(path) -> fd: a SOCK_STREAM connection to a listening unix socket (--console-socket)
Napi::Value ConnectUnix(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return TypeErr(env, "connectUnix: path expected");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return Throw(env, "connect", ENAMETOOLONG, path);
  memcpy(a.sun_path, path.c_str(), path.size());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Throw(env, "socket", errno);
  int rc;
  do rc = connect(s, reinterpret_cast<struct sockaddr *>(&a), sizeof a);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int e = errno;
    close(s);
    return Throw(env, "connect", e, path);
  }
  return Napi::Number::New(env, s);
}

// socketPair() -> [a, b]: a connected SOCK_STREAM pair (the console socket of a relayed terminal)
Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return Throw(env, "socketpair", errno);
  Napi::Array r = Napi::Array::New(env, 2);
  r.Set(0u, Napi::Number::New(env, sv[0]));
  r.Set(1u, Napi::Number::New(env, sv[1]));
  return r;
}

// recvFd(socketFd, dontWait = false) -> { fd, data }: one SCM_RIGHTS fd (the pty master)
Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sock;
  if (!FdArg(info, 0, &sock)) return TypeErr(env, "recvFd: fd expected");
  const bool dontWait = info.Length() > 1 && info[1].ToBoolean();
  char data[4096];
  struct iovec iov = {data, sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (dontWait ? MSG_DONTWAIT : 0));
  while (n < 0 && errno == EINTR);
  if (n < 0) return Throw(env, "recvmsg", errno, "fd " + std::to_string(sock));
  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
  if (fd < 0) return Throw(env, "recvmsg", n == 0 ? EPIPE : EBADMSG, "no fd in message");
  Napi::Object r = Napi::Object::New(env);
  r.Set("fd", Napi::Number::New(env, fd));
  r.Set("data", Napi::String::New(env, std::string(data, static_cast<size_t>(n))));
  return r;
}

// unixListen(path) -> fd: a listening SOCK_STREAM unix socket (tests: the receiving end of a
// console socket, as an engine holds it)
Napi::Value UnixListen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return TypeErr(env, "unixListen: path expected");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return Throw(env, "bind", ENAMETOOLONG, path);
  memcpy(a.sun_path, path.c_str(), path.size());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Throw(env, "socket", errno);
  if (bind(s, reinterpret_cast<struct sockaddr *>(&a), sizeof a) < 0 || listen(s, 4) < 0) {
    int e = errno;
    close(s);
    return Throw(env, "bind", e, path);
  }
  return Napi::Number::New(env, s);
}

Napi::Value Accept(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int s;
  if (!FdArg(info, 0, &s)) return TypeErr(env, "accept: fd expected");
  int c;
  do c = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  if (c < 0) return Throw(env, "accept4", errno);
  return Napi::Number::New(env, c);
}

Napi::Value IsTty(const Napi::CallbackInfo &info) {
  int fd;
  if (!FdArg(info, 0, &fd)) return TypeErr(info.Env(), "isatty: fd expected");
  return Napi::Boolean::New(info.Env(), isatty(fd) == 1);
}

// setRawMode(fd, full) -> Buffer (the termios to restore). full: cfmakeraw, as runc does for its
// stdin's terminal; otherwise only OPOST off, for an output terminal that is not also the input:
// the container's pty already turned "\n" into "\r\n", a second ONLCR would make it "\r\r\n".
Napi::Value SetRawMode(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  if (!FdArg(info, 0, &fd)) return TypeErr(env, "setRawMode: fd expected");
  const bool full = info.Length() > 1 && info[1].ToBoolean();
  struct termios saved, raw;
  if (tcgetattr(fd, &saved) < 0) return Throw(env, "tcgetattr", errno, "fd " + std::to_string(fd));
  raw = saved;
  if (full) cfmakeraw(&raw);
  else raw.c_oflag &= ~OPOST;
  int rc;
  do rc = tcsetattr(fd, TCSANOW, &raw);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return Throw(env, "tcsetattr", errno, "fd " + std::to_string(fd));
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t *>(&saved), sizeof saved);
}

Napi::Value RestoreTermios(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  if (!FdArg(info, 0, &fd) || info.Length() < 2 || !info[1].IsBuffer())
    return TypeErr(env, "restoreTermios: fd, Buffer expected");
  Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
  if (b.Length() != sizeof(struct termios)) return TypeErr(env, "restoreTermios: not a saved termios");
  struct termios t;
  memcpy(&t, b.Data(), sizeof t);
  int rc;
  do rc = tcsetattr(fd, TCSADRAIN, &t);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return Throw(env, "tcsetattr", errno, "fd " + std::to_string(fd));
  return env.Undefined();
}

// getWinsize(fd) -> { rows, cols } or null when fd is not a terminal
Napi::Value GetWinsize(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  if (!FdArg(info, 0, &fd)) return TypeErr(env, "getWinsize: fd expected");
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return env.Null();
  Napi::Object r = Napi::Object::New(env);
  r.Set("rows", Napi::Number::New(env, ws.ws_row));
  r.Set("cols", Napi::Number::New(env, ws.ws_col));
  return r;
}

// setWinsize(fd, rows, cols): the size of a pty whose master ocirt holds
Napi::Value SetWinsize(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    return TypeErr(env, "setWinsize: fd, rows, cols expected");
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = static_cast<unsigned short>(info[1].As<Napi::Number>().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(info[2].As<Napi::Number>().Uint32Value());
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws) < 0)
    return Throw(env, "ioctl(TIOCSWINSZ)", errno);
  return env.Undefined();
}

// eventFd() -> fd; signalEventFd(fd): the relay's stop signal
Napi::Value EventFd(const Napi::CallbackInfo &info) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Throw(info.Env(), "eventfd", errno);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value SignalEventFd(const Napi::CallbackInfo &info) {
  int fd;
  if (!FdArg(info, 0, &fd)) return TypeErr(info.Env(), "signalEventFd: fd expected");
  uint64_t one = 1;
  if (write(fd, &one, sizeof one) < 0 && errno != EAGAIN) return Throw(info.Env(), "write", errno, "eventfd");
  return info.Env().Undefined();
}

// Writes all of buf to fd, waiting for POLLOUT when the fd is non-blocking. false: it failed.
bool WriteFully(int fd, const char *buf, size_t len) {
  while (len) {
    ssize_t n = write(fd, buf, len);
    if (n > 0) {
      buf += n;
      len -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      (void)poll(&p, 1, -1);
      continue;
    }
    return false;
  }
  return true;
}

// relayTerminal(master, inFd, outFd, stopFd) -> Promise<void>
// Copies inFd (-1: none) to the pty master and the master to outFd, byte for byte, until the
// master reports that every slave is closed (EIO), or, once stopFd (an eventfd) is signalled,
// until the master has been quiet for kIdleMs: a process of the container that still holds the
// terminal must not keep a finished command waiting.
class RelayWorker : public Napi::AsyncWorker {
 public:
  RelayWorker(Napi::Env env, int master, int in, int out, int stop)
      : Napi::AsyncWorker(env, "ocirt.relayTerminal"),
        deferred_(Napi::Promise::Deferred::New(env)),
        master_(master),
        in_(in),
        out_(out),
        stop_(stop) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  static constexpr int kIdleMs = 100;
  static constexpr long kDrainMs = 2000;

  static long NowMs() {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
  }

  void Execute() override {
    char buf[16384];
    bool inOpen = in_ >= 0, stopping = false, outOk = true;
    long deadline = 0;
    for (;;) {
      struct pollfd p[3] = {
          {master_, POLLIN, 0}, {stopping ? -1 : stop_, POLLIN, 0}, {inOpen && !stopping ? in_ : -1, POLLIN, 0}};
      if (stopping && NowMs() > deadline) return;  // a process that keeps writing: stop anyway
      int r = poll(p, 3, stopping ? kIdleMs : -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (r == 0) return;  // stopping, and the master stayed quiet
      if (p[0].revents) {
        ssize_t n = read(master_, buf, sizeof buf);
        if (n > 0) {
          // keep draining the master even when our output is gone: the container must not block
          if (outOk) outOk = WriteFully(out_, buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          return;  // EIO: no slave is open any more, everything written was read
        }
      }
      if (p[1].revents && !stopping) {
        stopping = true;
        deadline = NowMs() + kDrainMs;
      }
      if (p[2].revents) {
        ssize_t n = read(in_, buf, sizeof buf);
        if (n > 0) {
          (void)WriteFully(master_, buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          inOpen = false;  // end of our input: nothing more to forward
        }
      }
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int master_, in_, out_, stop_;
};

Napi::Value RelayTerminal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int master, in, out, stop;
  if (!FdArg(info, 0, &master) || !FdArg(info, 1, &in) || !FdArg(info, 2, &out) || !FdArg(info, 3, &stop))
    return TypeErr(env, "relayTerminal: master, in, out, stop fds expected");
  int fl = fcntl(master, F_GETFL);
  if (fl >= 0) (void)fcntl(master, F_SETFL, fl | O_NONBLOCK);
  RelayWorker *w = new RelayWorker(env, master, in, out, stop);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void RegisterTerminal(Napi::Env env, Napi::Object exports) {
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix, "connectUnix"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd, "recvFd"));
  exports.Set("unixListen", Napi::Function::New(env, UnixListen, "unixListen"));
  exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
  exports.Set("isatty", Napi::Function::New(env, IsTty, "isatty"));
  exports.Set("setRawMode", Napi::Function::New(env, SetRawMode, "setRawMode"));
  exports.Set("restoreTermios", Napi::Function::New(env, RestoreTermios, "restoreTermios"));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize, "getWinsize"));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize, "setWinsize"));
  exports.Set("eventFd", Napi::Function::New(env, EventFd, "eventFd"));
  exports.Set("signalEventFd", Napi::Function::New(env, SignalEventFd, "signalEventFd"));
  exports.Set("relayTerminal", Napi::Function::New(env, RelayTerminal, "relayTerminal"));
}
