// ocirt.node: the syscall executor for the TypeScript side (src/native.ts is its only user).
// Policy lives in TypeScript; here we only clone the init, pass fds and wait for processes.
//
// The clone happens in a multi-threaded process: everything the child touches (argv, fd numbers,
// the clone_args) is prepared before clone3, and the child only issues raw syscalls until it
// execs the embedded static init stub (native/init/init.c).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <sys/ioctl.h>

#include "bpf.h"
#include "launch_ops.h"
#include "seccomp.h"
#include "sys.h"
#include "terminal.h"
#include "wait.h"
#include "util.h"
#include "plan_format.h"
#include "scm_rights.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

// Bytes of the static init stub, linked in by init_blob.S (.incbin of the built ocirt-init).
extern "C" const unsigned char ocirt_init_start[];
extern "C" const unsigned char ocirt_init_end[];

namespace {

constexpr unsigned kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// A sealed memfd with `data`: the child can read/exec it but nobody, not even a process inside the
// container that reaches /proc/<init>/exe, can modify it (CVE-2019-5736).
int SealedMemfd(const char *name, const void *data, size_t len, int *err) {
  int fd = static_cast<int>(syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int e = WriteAll(fd, data, len);
  if (e || fcntl(fd, F_ADD_SEALS, kSeals) < 0) {
    *err = e ? e : errno;
    close(fd);
    return -1;
  }
  return fd;
}

std::mutex g_stub_mu;
int g_stub_fd = -1;

int StubFd(int *err) {
  std::lock_guard<std::mutex> lock(g_stub_mu);
  if (g_stub_fd >= 0) return g_stub_fd;
  size_t len = static_cast<size_t>(ocirt_init_end - ocirt_init_start);
  g_stub_fd = SealedMemfd("ocirt-init", ocirt_init_start, len, err);
  return g_stub_fd;
}

// Reads an optional int property; returns def when absent/undefined.
bool GetInt(Napi::Object o, const char *key, int64_t def, int64_t *out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    *out = def;
    return true;
  }
  if (!v.IsNumber()) return false;
  *out = v.As<Napi::Number>().Int64Value();
  return true;
}

// At most this many cgroup v1 hierarchies to join (a host mounts about a dozen).
constexpr int kMaxJoinFds = 32;

// What the cloned child needs, prepared before the clone: it may only issue raw syscalls.
struct ChildArgs {
  int high[6];  // sync, plan, stdin, stdout, stderr, exec fifo (-1: none)
  // `tasks` files of the container's cgroup v1 directories, opened by the caller
  int join[kMaxJoinFds];
  int njoin = 0;
  int preserve;
  bool userns;
  bool waitGo;
  int stub;
  char a0[16] = "ocirt-init";
  char a1[16], a2[16], a3[16], mode[16];
  char *argv[6];
  char *envp[1];
  char empty[1] = "";
};

// The child's stack when it shares our memory: only the JS thread spawns, and it is suspended
// (CLONE_VFORK) until the child has exec'd, so one static stack serves every spawn.
alignas(64) char g_child_stack[64 * 1024];

}  // namespace

#if defined(__x86_64__)
// clone3 on a stack of its own, calling fn(arg) in the child: clone(2) cannot place the child in
// a cgroup (CLONE_INTO_CGROUP), and clone3 through syscall(2) would return into the C wrapper on
// a fresh stack in the child. Registers other than rax, rcx and r11 survive the syscall, so the
// child finds fn and arg in r8 and r9. Returns the pid, or -errno.
extern "C" long ocirt_clone3_on_stack(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
asm(R"(
  .text
  .p2align 4
  .hidden ocirt_clone3_on_stack
  .globl ocirt_clone3_on_stack
  .type ocirt_clone3_on_stack,@function
ocirt_clone3_on_stack:
  endbr64
  mov %rdx, %r8
  mov %rcx, %r9
  mov $435, %eax
  syscall
  test %rax, %rax
  jnz 1f
  xor %ebp, %ebp
  and $-16, %rsp
  mov %r9, %rdi
  call *%r8
  mov %eax, %edi
  mov $231, %eax
  syscall
  ud2
1:
  ret
  .size ocirt_clone3_on_stack, .-ocirt_clone3_on_stack
)");
#define OCIRT_HAVE_CLONE3_ON_STACK 1
#endif

namespace {

// The child: stdio and the kept fds in place, then exec the stub. Raw syscalls only (we are a
// copy, or a borrower, of a multi-threaded process's memory); errors go back as a sync record.
int ChildMain(void *arg) {
  const ChildArgs &c = *static_cast<const ChildArgs *>(arg);
  struct ocirt_sync_record rec;
  uint32_t step = OCIRT_STEP_SPAWN_CGROUP;
  int index = -1;
  char go[8];
  long n;
  // Join each cgroup v1 hierarchy by writing "0" (ourselves) to its `tasks` file: a single thread
  // moving itself is the one migration the kernel does without taking cgroup_threadgroup_rwsem
  // for writing, which costs an RCU grace period (5-15 ms measured here) per cgroup.procs write
  // by another process. The fd was opened by the caller, whose credentials the kernel checks.
  for (index = 0; index < c.njoin; index++) {
    do n = syscall(SYS_write, c.join[index], "0", 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) goto fail;
  }
  index = -1;
  step = OCIRT_STEP_SPAWN_GO;
  for (int i = 0; i < 3; i++) {
    if (c.high[2 + i] >= 0) {
      if (syscall(SYS_dup3, c.high[2 + i], i, 0) < 0) goto fail;
    } else {
      // inherited stdio is the container's: Node (or whoever started it) may have set CLOEXEC
      syscall(SYS_fcntl, i, F_SETFD, 0);
    }
  }
  for (int fd = 3; fd < 3 + c.preserve; fd++) syscall(SYS_fcntl, fd, F_SETFD, 0);
  if (syscall(SYS_fcntl, c.high[0], F_SETFD, 0) < 0 || syscall(SYS_fcntl, c.high[1], F_SETFD, 0) < 0) goto fail;
  if (c.high[5] >= 0 && syscall(SYS_fcntl, c.high[5], F_SETFD, 0) < 0) goto fail;
  if (c.waitGo) {
    do n = syscall(SYS_read, c.high[0], go, sizeof go);
    while (n < 0 && errno == EINTR);
    if (n <= 0 || go[0] != OCIRT_SYNC_GO) syscall(SYS_exit_group, 127);  // parent gave up
    if (c.userns) {
      // become root of the new user namespace so the stub's execve keeps the full capability set
      step = OCIRT_STEP_SPAWN_SETID;
      if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0) goto fail;
    }
  }
  step = OCIRT_STEP_SPAWN_EXEC;
  syscall(SYS_execveat, c.stub, c.empty, c.argv, c.envp, AT_EMPTY_PATH);
fail : {
  int e = errno;
  char *p = reinterpret_cast<char *>(&rec);
  for (size_t i = 0; i < sizeof rec; i++) p[i] = 0;
  rec.magic = OCIRT_SYNC_MAGIC;
  rec.type = OCIRT_MSG_ERROR;
  rec.step = step;
  rec.err = e;
  rec.index = index;
  syscall(SYS_sendto, c.high[0], &rec, sizeof rec, MSG_NOSIGNAL, nullptr, 0);
  for (;;) syscall(SYS_exit_group, 127);
}
}

// spawnInit({ plan: Buffer, cloneFlags, preserveFds, cgroupFd?, cgroupJoinFds?, stdio?: [in, out, err],
//             execFifo? }) -> { pid, pidfd, syncFd }
// cgroupFd: a cgroup2 directory the child starts in (CLONE_INTO_CGROUP); cgroupJoinFds: `tasks`
// files of cgroup v1 directories the child moves itself into before it execs the stub.
// execFifo is opened O_PATH here, by the caller's credentials: the init may run as an id that
// cannot traverse the state root (a user namespace mapping root elsewhere), and only needs the fd.
Napi::Value SpawnInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return TypeErr(env, "spawnInit: options object expected");
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value planV = o.Get("plan");
  if (!planV.IsBuffer()) return TypeErr(env, "spawnInit: plan must be a Buffer");
  Napi::Buffer<uint8_t> plan = planV.As<Napi::Buffer<uint8_t>>();
  int64_t cloneFlags, preserveFds, cgroupFd;
  const bool callerIsNsRoot = o.Get("callerIsNsRoot").ToBoolean();
  if (!GetInt(o, "cloneFlags", 0, &cloneFlags) || !GetInt(o, "preserveFds", 0, &preserveFds) ||
      !GetInt(o, "cgroupFd", -1, &cgroupFd))
    return TypeErr(env, "spawnInit: cloneFlags, preserveFds and cgroupFd must be numbers");
  if (preserveFds < 0 || preserveFds > 65536) return TypeErr(env, "spawnInit: preserveFds out of range");
  int stdio[3] = {-1, -1, -1};
  Napi::Value stdioV = o.Get("stdio");
  if (!stdioV.IsUndefined() && !stdioV.IsNull()) {
    if (!stdioV.IsArray() || stdioV.As<Napi::Array>().Length() != 3)
      return TypeErr(env, "spawnInit: stdio must be an array of 3 fds (-1 to inherit)");
    Napi::Array a = stdioV.As<Napi::Array>();
    for (uint32_t i = 0; i < 3; i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber()) return TypeErr(env, "spawnInit: stdio entries must be numbers");
      stdio[i] = v.As<Napi::Number>().Int32Value();
    }
  }
  int joinFds[kMaxJoinFds];
  int njoin = 0;
  Napi::Value joinV = o.Get("cgroupJoinFds");
  if (!joinV.IsUndefined() && !joinV.IsNull()) {
    if (!joinV.IsArray() || joinV.As<Napi::Array>().Length() > kMaxJoinFds)
      return TypeErr(env, "spawnInit: cgroupJoinFds must be an array of at most 32 fds");
    Napi::Array a = joinV.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber()) return TypeErr(env, "spawnInit: cgroupJoinFds entries must be numbers");
      joinFds[njoin++] = v.As<Napi::Number>().Int32Value();
    }
  }
  std::string execFifo;
  Napi::Value fifoV = o.Get("execFifo");
  if (!fifoV.IsUndefined() && !fifoV.IsNull()) {
    if (!fifoV.IsString()) return TypeErr(env, "spawnInit: execFifo must be a string");
    execFifo = fifoV.As<Napi::String>().Utf8Value();
  }
  const bool userns = (cloneFlags & CLONE_NEWUSER) != 0;
  const int minFd = 3 + static_cast<int>(preserveFds);

  int err = 0;
  int stub = StubFd(&err);
  if (stub < 0) return Throw(env, "memfd_create", err, "ocirt-init");

  int planFd = SealedMemfd("ocirt-plan", plan.Data(), plan.Length(), &err);
  if (planFd < 0) return Throw(env, "memfd_create", err, "ocirt-plan");

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    err = errno;
    close(planFd);
    return Throw(env, "socketpair", err);
  }

  // The fds the child keeps get their final numbers here, above the preserved range, so the child
  // only has to clear FD_CLOEXEC and the argv can be formatted before the clone.
  int high[6] = {-1, -1, -1, -1, -1, -1};  // sync, plan, stdin, stdout, stderr, exec fifo
  int highJoin[kMaxJoinFds];
  for (int &fd : highJoin) fd = -1;
  auto cleanup = [&]() {
    for (int fd : high)
      if (fd >= 0) close(fd);
    for (int fd : highJoin)
      if (fd >= 0) close(fd);
    close(planFd);
    close(sv[0]);
    close(sv[1]);
  };
  high[0] = fcntl(sv[1], F_DUPFD_CLOEXEC, minFd);
  high[1] = fcntl(planFd, F_DUPFD_CLOEXEC, minFd);
  if (high[0] < 0 || high[1] < 0) {
    err = errno;
    cleanup();
    return Throw(env, "fcntl(F_DUPFD_CLOEXEC)", err);
  }
  for (int i = 0; i < 3; i++) {
    if (stdio[i] < 0) continue;
    high[2 + i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, minFd);
    if (high[2 + i] < 0) {
      err = errno;
      cleanup();
      return Throw(env, "fcntl(F_DUPFD_CLOEXEC)", err, "stdio " + std::to_string(i));
    }
  }

  // above the range the child's dup3s and the preserved fds use; CLOEXEC: gone at the stub's exec
  for (int i = 0; i < njoin; i++) {
    highJoin[i] = fcntl(joinFds[i], F_DUPFD_CLOEXEC, minFd);
    if (highJoin[i] < 0) {
      err = errno;
      cleanup();
      return Throw(env, "fcntl(F_DUPFD_CLOEXEC)", err, "cgroup join fd " + std::to_string(i));
    }
  }

  if (!execFifo.empty()) {
    int f = open(execFifo.c_str(), O_PATH | O_CLOEXEC);
    if (f >= 0) {
      high[5] = fcntl(f, F_DUPFD_CLOEXEC, minFd);
      if (high[5] < 0) err = errno;
      close(f);
    } else {
      err = errno;
    }
    if (high[5] < 0) {
      cleanup();
      return Throw(env, "open", err, execFifo);
    }
  }

  ChildArgs ca;
  snprintf(ca.a1, sizeof ca.a1, "%d", high[0]);
  snprintf(ca.a2, sizeof ca.a2, "%d", high[1]);
  snprintf(ca.a3, sizeof ca.a3, "%d", high[5]);
  // The child execs the stub at once when it can, sharing our memory (CLONE_VM|CLONE_VFORK, as
  // posix_spawn) instead of copying the page tables of a runtime with a large heap, whose every
  // later write would be a copy-on-write fault until the exec; the stub then waits for "go" (id
  // maps written; the cgroups were joined before the exec). In a new user namespace the stub's
  // exec happens before the maps exist and drops its capabilities; if our ids become root there
  // (callerIsNsRoot), the stub gets them back by exec'ing itself again after "go"
  // ("wait-go-reexec"). Otherwise the child must setresuid(0) and exec after "go" itself, as a
  // copy. A time namespace cannot be created together with CLONE_VM: that case copies too, and so
  // does a cgroupFd where there is no clone3 trampoline (clone(2) has no CLONE_INTO_CGROUP).
#ifdef OCIRT_HAVE_CLONE3_ON_STACK
  const bool canShareIntoCgroup = true;
#else
  const bool canShareIntoCgroup = false;  // clone(2) has no CLONE_INTO_CGROUP: copy instead
#endif
  const bool shareVm =
      (!userns || callerIsNsRoot) && (cloneFlags & CLONE_NEWTIME) == 0 && (cgroupFd < 0 || canShareIntoCgroup);
  snprintf(ca.mode, sizeof ca.mode, "%s", !shareVm ? "went" : userns ? "wait-go-reexec" : "wait-go");
  ca.argv[0] = ca.a0;
  ca.argv[1] = ca.a1;
  ca.argv[2] = ca.a2;
  ca.argv[3] = ca.a3;
  ca.argv[4] = ca.mode;
  ca.argv[5] = nullptr;
  ca.envp[0] = nullptr;
  for (int i = 0; i < 6; i++) ca.high[i] = high[i];
  for (int i = 0; i < njoin; i++) ca.join[i] = highJoin[i];
  ca.njoin = njoin;
  ca.preserve = static_cast<int>(preserveFds);
  ca.userns = userns;
  ca.waitGo = !shareVm;
  ca.stub = stub;

  int pidfd = -1;
  long pid;
  if (shareVm) {
    // Blocked in the child until the stub resets them: a handler of the runtime must never run
    // on the child's stack in our memory.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (cgroupFd >= 0) {
#ifdef OCIRT_HAVE_CLONE3_ON_STACK
      struct clone_args cla;
      memset(&cla, 0, sizeof cla);
      cla.flags = static_cast<uint64_t>(static_cast<uint32_t>(cloneFlags)) | CLONE_VM | CLONE_VFORK | CLONE_PIDFD |
                  CLONE_INTO_CGROUP;
      cla.pidfd = reinterpret_cast<uint64_t>(&pidfd);
      cla.exit_signal = SIGCHLD;
      cla.stack = reinterpret_cast<uint64_t>(g_child_stack);
      cla.stack_size = sizeof g_child_stack;
      cla.cgroup = static_cast<uint64_t>(cgroupFd);
      pid = ocirt_clone3_on_stack(&cla, sizeof cla, ChildMain, &ca);
      err = pid < 0 ? static_cast<int>(-pid) : 0;
      if (pid < 0) pid = -1;
#endif
    } else {
      pid = clone(ChildMain, g_child_stack + sizeof g_child_stack,
                  static_cast<int>(static_cast<uint32_t>(cloneFlags)) | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                  &ca, &pidfd);
      err = errno;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  } else {
    struct clone_args cla;
    memset(&cla, 0, sizeof cla);
    cla.flags = static_cast<uint64_t>(static_cast<uint32_t>(cloneFlags)) | CLONE_PIDFD;
    cla.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    cla.exit_signal = SIGCHLD;
    if (cgroupFd >= 0) {
      cla.flags |= CLONE_INTO_CGROUP;
      cla.cgroup = static_cast<uint64_t>(cgroupFd);
    }
    pid = syscall(SYS_clone3, &cla, sizeof cla);
    if (pid == 0) ChildMain(&ca);  // never returns
    err = errno;
  }
  int syncFd = sv[0];
  sv[0] = -1;
  cleanup();
  if (pid < 0) {
    close(syncFd);
    return Throw(env, "clone3", err);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("pid", Napi::Number::New(env, static_cast<double>(pid)));
  r.Set("pidfd", Napi::Number::New(env, pidfd));
  r.Set("syncFd", Napi::Number::New(env, syncFd));
  return r;
}

// --- reap: a blocking waitid, for a process known to be exiting (waitExit: wait.cc) ------------

Napi::Object StatusObject(Napi::Env env, const siginfo_t &si) {
  Napi::Object r = Napi::Object::New(env);
  bool exited = si.si_code == CLD_EXITED;
  r.Set("code", exited ? Napi::Number::New(env, si.si_status) : env.Null());
  r.Set("signal", exited ? env.Null() : Napi::Number::New(env, si.si_status));
  return r;
}

Napi::Value Reap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "reap: pidfd expected");
  int pidfd = info[0].As<Napi::Number>().Int32Value();
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc;
  do rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return Throw(env, "waitid", errno, "pidfd " + std::to_string(pidfd));
  return StatusObject(env, si);
}

// pipe() -> [readFd, writeFd], both O_CLOEXEC: a process's stdio when the API's caller asks for pipes.
Napi::Value Pipe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return Throw(env, "pipe2", errno);
  Napi::Array r = Napi::Array::New(env, 2);
  r.Set(0u, Napi::Number::New(env, fds[0]));
  r.Set(1u, Napi::Number::New(env, fds[1]));
  return r;
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    return TypeErr(env, "mkfifo: (path, mode) expected");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  mode_t mode = static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value());
  if (mkfifo(path.c_str(), mode) < 0) return Throw(env, "mkfifo", errno, path);
  // the umask applied to mkfifo; the caller asked for this exact mode
  if (chmod(path.c_str(), mode) < 0) return Throw(env, "chmod", errno, path);
  return env.Undefined();
}

Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "pidfdOpen: pid expected");
  int pid = info[0].As<Napi::Number>().Int32Value();
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Throw(env, "pidfd_open", errno, "pid " + std::to_string(pid));
  // pidfd_open sets O_CLOEXEC itself
  return Napi::Number::New(env, static_cast<double>(fd));
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    return TypeErr(env, "pidfdSendSignal: (pidfd, signal) expected");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) < 0)
    return Throw(env, "pidfd_send_signal", errno, "signal " + std::to_string(sig));
  return env.Undefined();
}

// readSyncMessage(fd, timeoutMs = -1) -> raw record { type, step, errno, index, pid, detail } or
// { type: 0 } on EOF. Blocking by design: it is used during create, before anything else runs.
Napi::Value ReadSyncMessage(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "readSyncMessage: fd expected");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  if (timeout >= 0) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int rc;
    do rc = poll(&pfd, 1, timeout);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return Throw(env, "poll", errno, "sync socket");
    if (rc == 0) return Throw(env, "read", ETIMEDOUT, "sync socket");
  }
  struct ocirt_sync_record rec;
  memset(&rec, 0, sizeof rec);
  // a record may carry one fd (OCIRT_MSG_SECCOMP_FD: the seccomp listener)
  struct iovec iov = {&rec, sizeof rec};
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
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == ECONNRESET) n = 0;
    else return Throw(env, "recv", errno, "sync socket");
  }
  int passed = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&passed, CMSG_DATA(c), sizeof passed);
  Napi::Object r = Napi::Object::New(env);
  if (n == 0) {
    r.Set("type", Napi::Number::New(env, 0));
    return r;
  }
  if (static_cast<size_t>(n) != sizeof rec || rec.magic != OCIRT_SYNC_MAGIC) {
    if (passed >= 0) close(passed);
    return Throw(env, "recv", EPROTO, "sync socket: malformed record of " + std::to_string(n) + " bytes");
  }
  if (passed >= 0) r.Set("fd", Napi::Number::New(env, passed));
  rec.detail[sizeof rec.detail - 1] = 0;
  r.Set("type", Napi::Number::New(env, rec.type));
  r.Set("step", Napi::Number::New(env, rec.step));
  r.Set("errno", Napi::Number::New(env, rec.err));
  r.Set("errnoName", Napi::String::New(env, rec.err ? ErrnoName(rec.err) : ""));
  r.Set("errnoText", Napi::String::New(env, rec.err ? strerror(rec.err) : ""));
  r.Set("index", Napi::Number::New(env, rec.index));
  r.Set("pid", Napi::Number::New(env, rec.pid));
  r.Set("detail", Napi::String::New(env, rec.detail));
  return r;
}

// sendGo(syncFd, fds = []): "go", then the descriptors the plan needs in one 'F' message
// (SCM_RIGHTS; the order is the plan format's, plan_format.h).
Napi::Value SendGo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "sendGo: fd expected");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int fds[OCIRT_SYNC_MAX_FDS];
  uint32_t nfds = 0;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsArray()) return TypeErr(env, "sendGo: fds must be an array");
    Napi::Array a = info[1].As<Napi::Array>();
    if (a.Length() > OCIRT_SYNC_MAX_FDS) return TypeErr(env, "sendGo: too many fds");
    for (nfds = 0; nfds < a.Length(); nfds++) {
      Napi::Value v = a.Get(nfds);
      if (!v.IsNumber()) return TypeErr(env, "sendGo: fds must be numbers");
      fds[nfds] = v.As<Napi::Number>().Int32Value();
    }
  }
  char go = OCIRT_SYNC_GO;
  ssize_t n;
  do n = send(fd, &go, 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return Throw(env, "send", errno, "sync socket");
  if (nfds == 0) return env.Undefined();
  char tag = OCIRT_SYNC_FDS;
  n = scm_send(fd, &tag, 1, fds, static_cast<int>(nfds));
  if (n < 0) return Throw(env, "sendmsg", errno, "sync socket (descriptors)");
  return env.Undefined();
}

// exitNow(code): exit_group at once. The executable's last step: its output and log were written
// synchronously and nothing is pending, while Bun's orderly teardown (heap, threads) costs a few
// milliseconds on every command.
Napi::Value ExitNow(const Napi::CallbackInfo &info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  _exit(code & 0xff);
}

Napi::Value CloseFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "closeFd: fd expected");
  int fd = info[0].As<Napi::Number>().Int32Value();
  // close(2) frees the fd even on EINTR on Linux: never retry
  if (close(fd) < 0 && errno != EINTR) return Throw(env, "close", errno, "fd " + std::to_string(fd));
  return env.Undefined();
}

Napi::Value ErrnoNameJs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return TypeErr(env, "errnoName: number expected");
  return Napi::String::New(env, ErrnoName(info[0].As<Napi::Number>().Int32Value()));
}

// unixSendFd(path, data, fd): connect to the AF_UNIX stream socket at path, send data with fd
// attached (SCM_RIGHTS) in one sendmsg, close the connection. The seccomp listener's hand-over.
Napi::Value UnixSendFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber())
    return TypeErr(env, "unixSendFd: (path, data, fd) expected");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string data = info[1].As<Napi::String>().Utf8Value();
  int fd = info[2].As<Napi::Number>().Int32Value();
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
  ssize_t n = scm_send(s, data.data(), data.size(), &fd, 1);
  int e = n < 0 ? errno : 0;
  // the rest of a long message without the fd (the spec allows several sendmsg calls)
  for (size_t off = n < 0 ? data.size() : static_cast<size_t>(n); off < data.size();) {
    ssize_t m = send(s, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (m < 0 && errno == EINTR) continue;
    if (m < 0) {
      e = errno;
      break;
    }
    off += static_cast<size_t>(m);
  }
  close(s);
  if (e) return Throw(env, "sendmsg", e, path);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterSys(env, exports);
  RegisterBpf(env, exports);
  RegisterLaunchOps(env, exports);
  RegisterNetdevOps(env, exports);
  RegisterSeccomp(env, exports);
  RegisterTerminal(env, exports);
  RegisterWait(env, exports);
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit, "spawnInit"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("reap", Napi::Function::New(env, Reap, "reap"));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("readSyncMessage", Napi::Function::New(env, ReadSyncMessage, "readSyncMessage"));
  exports.Set("sendGo", Napi::Function::New(env, SendGo, "sendGo"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow"));
  exports.Set("errnoName", Napi::Function::New(env, ErrnoNameJs, "errnoName"));
  exports.Set("unixSendFd", Napi::Function::New(env, UnixSendFd, "unixSendFd"));
  exports.Set("initStubSize", Napi::Number::New(env, static_cast<double>(ocirt_init_end - ocirt_init_start)));
  return exports;
}

}  // namespace

NODE_API_MODULE(ocirt, Init)
