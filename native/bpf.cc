// Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's
// cgroup. The instructions are built in TypeScript (src/cgroups/device-bpf.ts, plain data, unit
// tested); here they are only loaded and attached. A program ocirt attached before (found by its
// name) is replaced atomically with BPF_F_REPLACE, so an update never leaves the cgroup without
// rules, not even for an instant; kernels without BPF_F_REPLACE get the new program attached
// before the old one is detached (both apply meanwhile: stricter, never looser).
#include "bpf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

long Bpf(int cmd, union bpf_attr *attr) {
  long r;
  do r = syscall(SYS_bpf, cmd, attr, sizeof *attr);
  while (r < 0 && errno == EINTR);
  return r;
}

Napi::Value Fail(Napi::Env env, const std::string &op, int err, const std::string &what,
                 const std::string &extra = "") {
  std::string msg = op + " " + what + ": " + ErrnoName(err) + " (" + strerror(err) + ")" + extra;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, op));
  e.Set("path", Napi::String::New(env, what));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

int LoadProgram(const uint8_t *insns, size_t len, const std::string &name, std::string *log) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = reinterpret_cast<uint64_t>(insns);
  a.insn_cnt = static_cast<uint32_t>(len / sizeof(struct bpf_insn));
  static const char kLicense[] = "Apache-2.0";
  a.license = reinterpret_cast<uint64_t>(kLicense);
  strncpy(a.prog_name, name.c_str(), sizeof a.prog_name - 1);
  int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &a));
  if (fd >= 0 || (errno != EINVAL && errno != EACCES)) return fd;
  // rejected by the verifier: load again with a log, for the error message
  int err = errno;
  std::vector<char> buf(16384);
  a.log_level = 1;
  a.log_buf = reinterpret_cast<uint64_t>(buf.data());
  a.log_size = static_cast<uint32_t>(buf.size());
  (void)Bpf(BPF_PROG_LOAD, &a);
  buf.back() = 0;
  *log = buf.data();
  errno = err;
  return -1;
}

// The programs attached directly to this cgroup whose name is `name`, as fds (ocirt's own).
int FindOwn(int dirfd, const std::string &name, std::vector<int> *out) {
  uint32_t ids[64];
  union bpf_attr q;
  memset(&q, 0, sizeof q);
  q.query.target_fd = static_cast<uint32_t>(dirfd);
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  q.query.prog_cnt = 64;
  if (Bpf(BPF_PROG_QUERY, &q) < 0) return -1;
  for (uint32_t i = 0; i < q.query.prog_cnt && i < 64; i++) {
    union bpf_attr g;
    memset(&g, 0, sizeof g);
    g.prog_id = ids[i];
    int fd = static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &g));
    if (fd < 0) continue;  // detached meanwhile
    struct bpf_prog_info info;
    memset(&info, 0, sizeof info);
    union bpf_attr gi;
    memset(&gi, 0, sizeof gi);
    gi.info.bpf_fd = static_cast<uint32_t>(fd);
    gi.info.info_len = sizeof info;
    gi.info.info = reinterpret_cast<uint64_t>(&info);
    if (Bpf(BPF_OBJ_GET_INFO_BY_FD, &gi) == 0 && name == info.name) {
      out->push_back(fd);
    } else {
      close(fd);
    }
  }
  return 0;
}

int Attach(int dirfd, int prog, int replace) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = static_cast<uint32_t>(dirfd);
  a.attach_bpf_fd = static_cast<uint32_t>(prog);
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI | (replace >= 0 ? BPF_F_REPLACE : 0);
  if (replace >= 0) a.replace_bpf_fd = static_cast<uint32_t>(replace);
  return static_cast<int>(Bpf(BPF_PROG_ATTACH, &a));
}

int Detach(int dirfd, int prog) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = static_cast<uint32_t>(dirfd);
  a.attach_bpf_fd = static_cast<uint32_t>(prog);
  a.attach_type = BPF_CGROUP_DEVICE;
  return static_cast<int>(Bpf(BPF_PROG_DETACH, &a));
}

// attachDeviceProgram(cgroupDir, insns: Buffer, name) -> { replaced: boolean }
Napi::Value AttachDeviceProgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsBuffer() || !info[2].IsString())
    return TypeErr(env, "attachDeviceProgram: (cgroupDir, insns Buffer, name) expected");
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> insns = info[1].As<Napi::Buffer<uint8_t>>();
  std::string name = info[2].As<Napi::String>().Utf8Value();
  if (insns.Length() == 0 || insns.Length() % sizeof(struct bpf_insn) != 0 || name.size() >= BPF_OBJ_NAME_LEN)
    return TypeErr(env, "attachDeviceProgram: instructions must be whole bpf_insn records, name under 16 bytes");

  Fd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd.fd < 0) return Fail(env, "open", errno, dir);
  std::string log;
  Fd prog(LoadProgram(insns.Data(), insns.Length(), name, &log));
  if (prog.fd < 0)
    return Fail(env, "bpf(BPF_PROG_LOAD)", errno, "device program for " + dir, log.empty() ? "" : ": " + log);

  std::vector<int> own;
  if (FindOwn(dirfd.fd, name, &own) < 0) return Fail(env, "bpf(BPF_PROG_QUERY)", errno, dir);
  struct Closer {
    std::vector<int> &v;
    ~Closer() {
      for (int fd : v) close(fd);
    }
  } closer{own};

  bool replaced = false;
  if (own.empty()) {
    if (Attach(dirfd.fd, prog.fd, -1) < 0) return Fail(env, "bpf(BPF_PROG_ATTACH)", errno, dir);
  } else if (Attach(dirfd.fd, prog.fd, own[0]) == 0) {
    replaced = true;
    own.erase(own.begin());  // gone from the cgroup; the fd is closed below
  } else if (errno == EINVAL) {
    // no BPF_F_REPLACE (Linux < 5.6): add the new program, then take the old ones away
    if (Attach(dirfd.fd, prog.fd, -1) < 0) return Fail(env, "bpf(BPF_PROG_ATTACH)", errno, dir);
    replaced = true;
  } else {
    return Fail(env, "bpf(BPF_PROG_ATTACH, BPF_F_REPLACE)", errno, dir);
  }
  // more of ours than the one replaced: an interrupted earlier update; keep only the new one
  for (int old : own) {
    if (Detach(dirfd.fd, old) < 0 && errno != ENOENT) return Fail(env, "bpf(BPF_PROG_DETACH)", errno, dir);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("replaced", Napi::Boolean::New(env, replaced));
  return r;
}

// deviceProgramCount(cgroupDir, name) -> how many programs of that name are attached to it
Napi::Value DeviceProgramCount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    return TypeErr(env, "deviceProgramCount: (cgroupDir, name) expected");
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Fd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd.fd < 0) return Fail(env, "open", errno, dir);
  std::vector<int> own;
  if (FindOwn(dirfd.fd, info[1].As<Napi::String>().Utf8Value(), &own) < 0)
    return Fail(env, "bpf(BPF_PROG_QUERY)", errno, dir);
  for (int fd : own) close(fd);
  return Napi::Number::New(env, static_cast<double>(own.size()));
}

}  // namespace

void RegisterBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("attachDeviceProgram", Napi::Function::New(env, AttachDeviceProgram, "attachDeviceProgram"));
  exports.Set("deviceProgramCount", Napi::Function::New(env, DeviceProgramCount, "deviceProgramCount"));
}
