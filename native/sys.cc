// The system calls behind src/sys/ (fs-addon.ts, os-addon.ts), which stand in for node:fs and
// node:os in the Bun executable: file system calls and the passwd lookup. There, loading node:fs
// costs about 4.5 ms on every start (its JavaScript is evaluated each time), more than the whole
// `state` command's own work, while this addon is loaded anyway.
// Only the calls ocirt makes, synchronous, each one syscall or a short loop; errors are thrown
// as Node's are (code, errno, syscall, path), because callers test err.code.
#include "sys.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

// Node's shape: "ENOENT: no such file or directory, open '/x'".
Napi::Value ThrowFs(Napi::Env env, const char *syscall, int err, const std::string &path) {
  std::string code = ErrnoName(err);
  std::string text = strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
  std::string msg = code + ": " + text + ", " + syscall;
  if (!path.empty()) msg += " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool PathArg(const Napi::CallbackInfo &info, size_t i, std::string *out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return out->find('\0') == std::string::npos;
}

int IntArg(const Napi::CallbackInfo &info, size_t i, int def) {
  if (info.Length() <= i || !info[i].IsNumber()) return def;
  return info[i].As<Napi::Number>().Int32Value();
}

// The bytes of a Buffer/Uint8Array or the UTF-8 of a string argument.
bool BytesArg(const Napi::CallbackInfo &info, size_t i, std::string *hold, const char **data, size_t *len) {
  if (info.Length() <= i) return false;
  if (info[i].IsString()) {
    *hold = info[i].As<Napi::String>().Utf8Value();
    *data = hold->data();
    *len = hold->size();
    return true;
  }
  if (info[i].IsTypedArray()) {
    Napi::Uint8Array a = info[i].As<Napi::Uint8Array>();
    *data = reinterpret_cast<const char *>(a.Data());
    *len = a.ByteLength();
    return true;
  }
  return false;
}

// fsOpen(path, flags, mode) -> fd; always O_CLOEXEC, as node:fs.
Napi::Value Open(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(info.Env(), "fsOpen: path must be a string without NUL");
  int fd = open(path.c_str(), IntArg(info, 1, O_RDONLY) | O_CLOEXEC, IntArg(info, 2, 0666));
  if (fd < 0) return ThrowFs(info.Env(), "open", errno, path);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  if (close(IntArg(info, 0, -1)) < 0 && errno != EINTR) return ThrowFs(info.Env(), "close", errno, "");
  return info.Env().Undefined();
}

// fsRead(fd, uint8array, offset, length, position (-1: current)) -> bytes read
Napi::Value Read(const Napi::CallbackInfo &info) {
  if (info.Length() < 5 || !info[1].IsTypedArray())
    return TypeErr(info.Env(), "fsRead: (fd, Uint8Array, offset, length, position)");
  Napi::Uint8Array a = info[1].As<Napi::Uint8Array>();
  int fd = IntArg(info, 0, -1);
  int64_t off = info[2].As<Napi::Number>().Int64Value();
  int64_t len = info[3].As<Napi::Number>().Int64Value();
  int64_t pos = info[4].As<Napi::Number>().Int64Value();
  if (off < 0 || len < 0 || static_cast<uint64_t>(off + len) > a.ByteLength())
    return TypeErr(info.Env(), "fsRead: range outside the buffer");
  ssize_t n;
  do
    n = pos >= 0 ? pread(fd, a.Data() + off, static_cast<size_t>(len), pos)
                 : read(fd, a.Data() + off, static_cast<size_t>(len));
  while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowFs(info.Env(), "read", errno, "");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// fsWrite(fd, string | uint8array) -> bytes written (one write(2), as writeSync)
Napi::Value Write(const Napi::CallbackInfo &info) {
  std::string hold;
  const char *data;
  size_t len;
  if (!BytesArg(info, 1, &hold, &data, &len)) return TypeErr(info.Env(), "fsWrite: (fd, string | Uint8Array)");
  ssize_t n;
  do n = write(IntArg(info, 0, -1), data, len);
  while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowFs(info.Env(), "write", errno, "");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// fsReadFile(path, asString) -> string (UTF-8) | Buffer. Sizes from fstat are only a hint: /proc
// and sysfs files report 0.
Napi::Value ReadFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(env, "fsReadFile: path must be a string without NUL");
  const bool asString = info.Length() > 1 && info[1].ToBoolean();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ThrowFs(env, "open", errno, path);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return ThrowFs(env, "read", EISDIR, "");
  }
  std::vector<char> buf(st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096);
  size_t used = 0;
  for (;;) {
    if (used == buf.size()) buf.resize(buf.size() * 2);
    ssize_t n = read(fd, buf.data() + used, buf.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return ThrowFs(env, "read", e, "");
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  if (asString) return Napi::String::New(env, buf.data(), used);
  return Napi::Buffer<char>::Copy(env, buf.data(), used);
}

// fsWriteFile(path, data, flags, mode): open (O_CLOEXEC), write everything, close.
Napi::Value WriteFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path, hold;
  const char *data;
  size_t len;
  if (!PathArg(info, 0, &path) || !BytesArg(info, 1, &hold, &data, &len))
    return TypeErr(env, "fsWriteFile: (path, string | Uint8Array, flags, mode)");
  int fd = open(path.c_str(), IntArg(info, 2, O_WRONLY | O_CREAT | O_TRUNC) | O_CLOEXEC, IntArg(info, 3, 0666));
  if (fd < 0) return ThrowFs(env, "open", errno, path);
  int e = WriteAll(fd, data, len);
  if (close(fd) < 0 && e == 0 && errno != EINTR) e = errno;
  if (e) return ThrowFs(env, "write", e, "");
  return env.Undefined();
}

// fsStat(path, follow) -> [mode, uid, gid, size, ino, dev, rdev, nlink, mtimeMs]
Napi::Value Stat(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(env, "fsStat: path must be a string without NUL");
  const bool follow = info.Length() > 1 && info[1].ToBoolean();
  struct stat st;
  if ((follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) < 0)
    return ThrowFs(env, follow ? "stat" : "lstat", errno, path);
  Napi::Float64Array r = Napi::Float64Array::New(env, 9);
  r[0] = st.st_mode;
  r[1] = st.st_uid;
  r[2] = st.st_gid;
  r[3] = static_cast<double>(st.st_size);
  r[4] = static_cast<double>(st.st_ino);
  r[5] = static_cast<double>(st.st_dev);
  r[6] = static_cast<double>(st.st_rdev);
  r[7] = static_cast<double>(st.st_nlink);
  r[8] = static_cast<double>(st.st_mtim.tv_sec) * 1e3 + static_cast<double>(st.st_mtim.tv_nsec) / 1e6;
  return r;
}

// fsAccess(path, mode) -> boolean (existsSync never throws)
// fsStatfsType(path) -> f_type of the file system (statfs(2)): tells a real cgroup mount from
// whatever covers its mount point.
Napi::Value StatfsType(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(info.Env(), "fsStatfsType: path must be a string without NUL");
  struct statfs st;
  if (statfs(path.c_str(), &st) < 0) return ThrowFs(info.Env(), "statfs", errno, path);
  return Napi::Number::New(info.Env(), static_cast<double>(static_cast<unsigned long>(st.f_type)));
}

Napi::Value Access(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), access(path.c_str(), IntArg(info, 1, F_OK)) == 0);
}

Napi::Value Mkdir(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(info.Env(), "fsMkdir: path must be a string without NUL");
  if (mkdir(path.c_str(), static_cast<mode_t>(IntArg(info, 1, 0777))) < 0)
    return ThrowFs(info.Env(), "mkdir", errno, path);
  return info.Env().Undefined();
}

// One-path calls whose only result is success or errno.
template <int (*Call)(const char *), const char *Name>
Napi::Value PathCall(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(info.Env(), "path must be a string without NUL");
  if (Call(path.c_str()) < 0) return ThrowFs(info.Env(), Name, errno, path);
  return info.Env().Undefined();
}
constexpr char kRmdir[] = "rmdir";
constexpr char kUnlink[] = "unlink";

Napi::Value Rename(const Napi::CallbackInfo &info) {
  std::string from, to;
  if (!PathArg(info, 0, &from) || !PathArg(info, 1, &to)) return TypeErr(info.Env(), "fsRename: (from, to)");
  if (rename(from.c_str(), to.c_str()) < 0) return ThrowFs(info.Env(), "rename", errno, from);
  return info.Env().Undefined();
}

// fsSymlink(target, path): the error names the link's path, as node:fs does
Napi::Value Symlink(const Napi::CallbackInfo &info) {
  std::string target, path;
  if (!PathArg(info, 0, &target) || !PathArg(info, 1, &path)) return TypeErr(info.Env(), "fsSymlink: (target, path)");
  if (symlink(target.c_str(), path.c_str()) < 0) return ThrowFs(info.Env(), "symlink", errno, path);
  return info.Env().Undefined();
}

Napi::Value Readlink(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(info.Env(), "fsReadlink: path must be a string without NUL");
  char buf[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return ThrowFs(info.Env(), "readlink", errno, path);
  return Napi::String::New(info.Env(), buf, static_cast<size_t>(n));
}

Napi::Value Realpath(const Napi::CallbackInfo &info) {
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(info.Env(), "fsRealpath: path must be a string without NUL");
  char buf[PATH_MAX];
  if (!realpath(path.c_str(), buf)) return ThrowFs(info.Env(), "realpath", errno, path);
  return Napi::String::New(info.Env(), buf);
}

// fsReaddir(path) -> names without "." and ".."
Napi::Value Readdir(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!PathArg(info, 0, &path)) return TypeErr(env, "fsReaddir: path must be a string without NUL");
  DIR *d = opendir(path.c_str());
  if (!d) return ThrowFs(env, "scandir", errno, path);
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  errno = 0;
  while (struct dirent *e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    out.Set(i++, Napi::String::New(env, e->d_name));
  }
  int err = errno;
  closedir(d);
  if (err) return ThrowFs(env, "scandir", err, path);
  return out;
}

// userInfo() -> { uid, gid, username, homedir, shell } of the effective user, as os.userInfo().
Napi::Value UserInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uid_t uid = geteuid();
  struct passwd pw, *found = nullptr;
  std::vector<char> buf(4096);
  int err;
  while ((err = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (err != 0 || !found) return ThrowFs(env, "uv_os_get_passwd", err ? err : ENOENT, "");
  Napi::Object r = Napi::Object::New(env);
  r.Set("uid", Napi::Number::New(env, pw.pw_uid));
  r.Set("gid", Napi::Number::New(env, pw.pw_gid));
  r.Set("username", Napi::String::New(env, pw.pw_name));
  r.Set("homedir", Napi::String::New(env, pw.pw_dir));
  r.Set("shell", pw.pw_shell ? Napi::Value(Napi::String::New(env, pw.pw_shell)) : env.Null());
  return r;
}

}  // namespace

void RegisterSys(Napi::Env env, Napi::Object exports) {
  exports.Set("fsOpen", Napi::Function::New(env, Open, "fsOpen"));
  exports.Set("fsClose", Napi::Function::New(env, Close, "fsClose"));
  exports.Set("fsRead", Napi::Function::New(env, Read, "fsRead"));
  exports.Set("fsWrite", Napi::Function::New(env, Write, "fsWrite"));
  exports.Set("fsReadFile", Napi::Function::New(env, ReadFile, "fsReadFile"));
  exports.Set("fsWriteFile", Napi::Function::New(env, WriteFile, "fsWriteFile"));
  exports.Set("fsStat", Napi::Function::New(env, Stat, "fsStat"));
  exports.Set("fsAccess", Napi::Function::New(env, Access, "fsAccess"));
  exports.Set("fsStatfsType", Napi::Function::New(env, StatfsType, "fsStatfsType"));
  exports.Set("fsMkdir", Napi::Function::New(env, Mkdir, "fsMkdir"));
  exports.Set("fsRmdir", Napi::Function::New(env, PathCall<rmdir, kRmdir>, "fsRmdir"));
  exports.Set("fsUnlink", Napi::Function::New(env, PathCall<unlink, kUnlink>, "fsUnlink"));
  exports.Set("fsRename", Napi::Function::New(env, Rename, "fsRename"));
  exports.Set("fsReadlink", Napi::Function::New(env, Readlink, "fsReadlink"));
  exports.Set("fsSymlink", Napi::Function::New(env, Symlink, "fsSymlink"));
  exports.Set("fsRealpath", Napi::Function::New(env, Realpath, "fsRealpath"));
  exports.Set("fsReaddir", Napi::Function::New(env, Readdir, "fsReaddir"));
  exports.Set("userInfo", Napi::Function::New(env, UserInfo, "userInfo"));
  Napi::Object c = Napi::Object::New(env);
  const std::pair<const char *, int> kConstants[] = {
      {"O_RDONLY", O_RDONLY},
      {"O_WRONLY", O_WRONLY},
      {"O_RDWR", O_RDWR},
      {"O_CREAT", O_CREAT},
      {"O_EXCL", O_EXCL},
      {"O_NOCTTY", O_NOCTTY},
      {"O_TRUNC", O_TRUNC},
      {"O_APPEND", O_APPEND},
      {"O_NONBLOCK", O_NONBLOCK},
      {"O_DIRECTORY", O_DIRECTORY},
      {"O_NOFOLLOW", O_NOFOLLOW},
      {"O_CLOEXEC", O_CLOEXEC},
      {"O_SYNC", O_SYNC},
      {"F_OK", F_OK},
      {"R_OK", R_OK},
      {"W_OK", W_OK},
      {"X_OK", X_OK},
      {"S_IFMT", S_IFMT},
      {"S_IFREG", S_IFREG},
      {"S_IFDIR", S_IFDIR},
      {"S_IFLNK", S_IFLNK},
      {"S_IFIFO", S_IFIFO},
      {"S_IFSOCK", S_IFSOCK},
      {"S_IFCHR", S_IFCHR},
      {"S_IFBLK", S_IFBLK},
  };
  for (const auto &k : kConstants) c.Set(k.first, Napi::Number::New(env, k.second));
  exports.Set("fsConstants", c);
}
