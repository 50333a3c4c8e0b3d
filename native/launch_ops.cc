// Host-side operations of a launch (launch_ops.h). Bind sources the runtime opens itself, as detached mounts
// (open_tree(OPEN_TREE_CLONE)), for the init to attach with move_mount: the runtime resolves the source with its own
// credentials before the container's user namespace exists (a source only the caller can reach stays reachable), and an
// id mapping is applied to the detached mount (mount_setattr(MOUNT_ATTR_IDMAP)) with a user namespace made for that
// mapping. Also: what a namespace file is (type, owning user namespace), and sched_setaffinity of another process.
#include "launch_ops.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

namespace {

int MoveHigh(int fd, int min) {
  if (fd >= min) return fd;
  int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

// openTree(path, recursive, usernsFd, idmapRecursive, minFd) -> fd of a detached copy of the mount
// at path (with its submounts if recursive); with usernsFd >= 0 it is id-mapped through that user
// namespace (every mount of the copy if idmapRecursive).
Napi::Value OpenTree(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsString() || !info[2].IsNumber() || !info[4].IsNumber())
    return TypeErr(env, "openTree: (path, recursive, usernsFd, idmapRecursive, minFd) expected");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool recursive = info[1].ToBoolean();
  int userns = info[2].As<Napi::Number>().Int32Value();
  bool idmapRecursive = info[3].ToBoolean();
  int minFd = info[4].As<Napi::Number>().Int32Value();
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  int fd = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags));
  if (fd < 0) return Throw(env, "open_tree", errno, path);
  if (userns >= 0) {
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_IDMAP;
    a.userns_fd = static_cast<uint64_t>(userns);
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (idmapRecursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0) {
      int e = errno;
      close(fd);
      return Throw(env, "mount_setattr(MOUNT_ATTR_IDMAP)", e, path);
    }
  }
  fd = MoveHigh(fd, minFd);
  if (fd < 0) return Throw(env, "fcntl(F_DUPFD_CLOEXEC)", errno, path);
  return Napi::Number::New(env, fd);
}

alignas(64) char g_holder_stack[16 * 1024];

// The holder only has to exist while its maps are written and its namespace opened. It shares
// our memory (no page-table copy) and runs nothing but pause(2), with every signal blocked.
int Holder(void *) {
  for (;;) syscall(SYS_pause);
  return 0;
}

int WriteProcFile(pid_t pid, const char *name, const std::string &text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", static_cast<int>(pid), name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = WriteAll(fd, text.data(), text.size());
  close(fd);
  return e;
}

// idmapUserns(uidMap, gidMap) -> fd of a new user namespace with those maps ("0 100000 65536\n"...)
Napi::Value IdmapUserns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    return TypeErr(env, "idmapUserns: (uidMap, gidMap) expected");
  std::string uidMap = info[0].As<Napi::String>().Utf8Value();
  std::string gidMap = info[1].As<Napi::String>().Utf8Value();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  pid_t pid = clone(Holder, g_holder_stack + sizeof g_holder_stack, CLONE_VM | CLONE_NEWUSER | CLONE_PIDFD | SIGCHLD,
                    nullptr, &pidfd);
  int cerr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Throw(env, "clone(CLONE_NEWUSER)", cerr, "id-mapping user namespace");
  int err = WriteProcFile(pid, "uid_map", uidMap);
  const char *what = "uid_map";
  if (!err) {
    err = WriteProcFile(pid, "gid_map", gidMap);
    what = "gid_map";
  }
  int nsfd = -1;
  if (!err) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", static_cast<int>(pid));
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
      err = errno;
      what = "ns/user";
    }
  }
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  siginfo_t si;
  while (waitid(static_cast<idtype_t>(3) /* P_PIDFD */, static_cast<id_t>(pidfd), &si, WEXITED) < 0 && errno == EINTR) {
  }
  close(pidfd);
  if (err) return Throw(env, "write", err, std::string("id-mapping user namespace ") + what);
  return Napi::Number::New(env, nsfd);
}

// nsInfo(path) -> { nstype, ino, dev, userIno? }: what a namespace file is (NS_GET_NSTYPE) and
// which user namespace owns it (NS_GET_USERNS; absent for a user namespace without access)
Napi::Value NsInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return TypeErr(env, "nsInfo: path expected");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Throw(env, "open", errno, path);
  struct stat st;
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    // ENOTTY: not a namespace file at all
    return Throw(env, "ioctl(NS_GET_NSTYPE)", e, path);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("nstype", Napi::Number::New(env, type));
  r.Set("ino", Napi::Number::New(env, static_cast<double>(st.st_ino)));
  r.Set("dev", Napi::Number::New(env, static_cast<double>(st.st_dev)));
  int u = ioctl(fd, NS_GET_USERNS);
  if (u >= 0) {
    struct stat us;
    if (fstat(u, &us) == 0) r.Set("userIno", Napi::Number::New(env, static_cast<double>(us.st_ino)));
    close(u);
  }
  close(fd);
  return r;
}

// setAffinity(pid, cpus: number[]) : sched_setaffinity of another process (0: this one)
Napi::Value SetAffinity(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsArray())
    return TypeErr(env, "setAffinity: (pid, cpus) expected");
  int pid = info[0].As<Napi::Number>().Int32Value();
  Napi::Array cpus = info[1].As<Napi::Array>();
  std::vector<unsigned long> mask(64);
  for (uint32_t i = 0; i < cpus.Length(); i++) {
    Napi::Value v = cpus.Get(i);
    if (!v.IsNumber()) return TypeErr(env, "setAffinity: cpus must be numbers");
    uint32_t c = v.As<Napi::Number>().Uint32Value();
    size_t word = c / (8 * sizeof(unsigned long));
    if (word >= mask.size()) mask.resize(word + 1);
    mask[word] |= 1UL << (c % (8 * sizeof(unsigned long)));
  }
  if (syscall(SYS_sched_setaffinity, pid, mask.size() * sizeof(unsigned long), mask.data()) < 0)
    return Throw(env, "sched_setaffinity", errno, "pid " + std::to_string(pid));
  return env.Undefined();
}

}  // namespace

void RegisterLaunchOps(Napi::Env env, Napi::Object exports) {
  exports.Set("openTree", Napi::Function::New(env, OpenTree, "openTree"));
  exports.Set("idmapUserns", Napi::Function::New(env, IdmapUserns, "idmapUserns"));
  exports.Set("nsInfo", Napi::Function::New(env, NsInfo, "nsInfo"));
  exports.Set("setAffinity", Napi::Function::New(env, SetAffinity, "setAffinity"));
}
