// Small helpers shared by the addon's source files.
#pragma once
#include <napi.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <string>

// "ENOENT" for ENOENT; "E<n>" for a number glibc has no name for.
inline std::string ErrnoName(int err) {
  const char *n = strerrorname_np(err);
  return n ? n : "E" + std::to_string(err);
}

// write(2) all of buf, through short writes and EINTR: 0, or the errno of the failure.
inline int WriteAll(int fd, const void *buf, size_t len) {
  const char *p = static_cast<const char *>(buf);
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}

// Errors name the operation, the object and the errno, e.g. "memfd_create(ocirt-init): EMFILE ...",
// and carry them as .code, .errno, .syscall and .path.
inline Napi::Error SysError(Napi::Env env, const char *op, int err, const std::string &what = "") {
  std::string msg = op;
  if (!what.empty()) msg += " " + what;
  msg += ": " + ErrnoName(err) + " (" + strerror(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  if (!what.empty()) e.Set("path", Napi::String::New(env, what));
  return e;
}

inline Napi::Value Throw(Napi::Env env, const char *op, int err, const std::string &what = "") {
  SysError(env, op, err, what).ThrowAsJavaScriptException();
  return env.Undefined();
}

// A TypeError for a call with the wrong arguments (a bug on the TypeScript side, not the system).
inline Napi::Value TypeErr(Napi::Env env, const char *msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}
