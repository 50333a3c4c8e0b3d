// seccomp for the TypeScript side (src/seccomp/): libseccomp turns a profile, already translated to
// plain numbers by src/seccomp/profile.ts, into a BPF program; the init stub only installs that
// program. libseccomp owns the syscall tables of every architecture (and the multiplexed and
// legacy syscalls of each), so we use it rather than a table of our own.
//
// libseccomp is loaded with dlopen("libseccomp.so.2") on first use: building needs no -dev package,
// and a host without the library still runs containers that ask for no seccomp (a config that asks
// for it gets an error naming the library). Its few types are declared here, as its ABI defines
// them, for the same reason.
//
// Compiled programs are cached by the SHA-256 of (format, libseccomp version, native architecture,
// request bytes) in a directory the caller names (a private directory under the state root): a
// 400-rule profile costs ~12 ms to compile and ~0.2 ms to load from the cache. The directory and
// every file must belong to our euid and be writable by nobody else, or the cache is not used.
#include "seccomp.h"
#include "sha256.h"
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace {

// ---- libseccomp's ABI (seccomp.h of libseccomp 2.x) ---------------------------------------------
struct ScmpVersion {
  unsigned int major, minor, micro;
};
struct ScmpArgCmp {
  unsigned int arg;
  int op;  // enum scmp_compare
  uint64_t datum_a, datum_b;
};
constexpr int kNrScmpError = -1;  // __NR_SCMP_ERROR: a name no table knows

struct Libseccomp {
  const ScmpVersion *(*version)(void);
  unsigned int (*api_get)(void);
  void *(*init)(uint32_t def_action);
  void (*release)(void *ctx);
  uint32_t (*arch_resolve_name)(const char *name);
  uint32_t (*arch_native)(void);
  int (*arch_add)(void *ctx, uint32_t arch);
  int (*syscall_resolve_name)(const char *name);
  int (*rule_add_array)(void *ctx, uint32_t action, int syscall, unsigned int n, const ScmpArgCmp *args);
  int (*export_bpf)(void *ctx, int fd);
};

Libseccomp g_lib;
bool g_loaded = false;
std::string g_load_error;

template <typename F>
bool Sym(void *h, const char *name, F *out) {
  *out = reinterpret_cast<F>(dlsym(h, name));
  if (*out) return true;
  g_load_error = std::string("libseccomp.so.2 has no ") + name;
  return false;
}

// Loads libseccomp once; false (and g_load_error) when the host has none we can use.
bool LoadLib() {
  if (g_loaded) return true;
  if (!g_load_error.empty()) return false;
  void *h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    g_load_error = e ? e : "dlopen(libseccomp.so.2) failed";
    return false;
  }
  Libseccomp l;
  if (!Sym(h, "seccomp_version", &l.version) || !Sym(h, "seccomp_api_get", &l.api_get) ||
      !Sym(h, "seccomp_init", &l.init) || !Sym(h, "seccomp_release", &l.release) ||
      !Sym(h, "seccomp_arch_resolve_name", &l.arch_resolve_name) || !Sym(h, "seccomp_arch_native", &l.arch_native) ||
      !Sym(h, "seccomp_arch_add", &l.arch_add) || !Sym(h, "seccomp_syscall_resolve_name", &l.syscall_resolve_name) ||
      !Sym(h, "seccomp_rule_add_array", &l.rule_add_array) || !Sym(h, "seccomp_export_bpf", &l.export_bpf)) {
    dlclose(h);
    return false;
  }
  g_lib = l;
  g_loaded = true;
  return true;
}

std::string VersionString() {
  const ScmpVersion *v = g_lib.version();
  return v ? std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro) : "unknown";
}

Napi::Error LibError(Napi::Env env) {
  Napi::Error e = Napi::Error::New(env, "cannot load libseccomp.so.2: " + g_load_error);
  e.Set("code", Napi::String::New(env, "ENOLIBSECCOMP"));
  return e;
}

// ---- the compile request (written by src/seccomp/compile.ts) ------------------------------------
//   "OCSCMP1\0" u32 defaultAction  list<str> arches
//   list rules: u32 action, str names (comma-separated), list args: (u32 index, u32 op, u64 a, u64 b)
// Strings as in the launch plan: u32 length, the bytes, a NUL.
struct Rule {
  uint32_t action;
  std::vector<std::string> names;
  std::vector<ScmpArgCmp> args;
};
struct Request {
  uint32_t default_action;
  std::vector<std::string> arches;
  std::vector<Rule> rules;
};

class Reader {
 public:
  Reader(const uint8_t *p, size_t n) : p_(p), end_(p + n) {}
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  uint32_t U32() {
    uint32_t v = 0;
    if (Need(4)) memcpy(&v, p_, 4), p_ += 4;
    return v;
  }
  uint64_t U64() {
    uint64_t v = 0;
    if (Need(8)) memcpy(&v, p_, 8), p_ += 8;
    return v;
  }
  std::string Str() {
    uint32_t n = U32();
    if (!Need(static_cast<size_t>(n) + 1)) return "";
    std::string s(reinterpret_cast<const char *>(p_), n);
    p_ += n + 1;
    return s;
  }
  bool Magic(const char *m) {
    if (!Need(8) || memcmp(p_, m, 8) != 0) return ok_ = false;
    p_ += 8;
    return true;
  }

 private:
  bool Need(size_t n) {
    if (ok_ && static_cast<size_t>(end_ - p_) >= n) return true;
    ok_ = false;
    return false;
  }
  const uint8_t *p_, *end_;
  bool ok_ = true;
};

bool ParseRequest(const uint8_t *data, size_t len, Request *r) {
  Reader rd(data, len);
  if (!rd.Magic("OCSCMP1")) return false;  // the 8th byte is the NUL of the literal
  r->default_action = rd.U32();
  for (uint32_t n = rd.U32(), i = 0; rd.ok() && i < n; i++) r->arches.push_back(rd.Str());
  for (uint32_t n = rd.U32(), i = 0; rd.ok() && i < n; i++) {
    Rule rule;
    rule.action = rd.U32();
    std::string names = rd.Str();
    for (size_t at = 0; rd.ok() && at <= names.size();) {
      size_t comma = names.find(',', at);
      if (comma == std::string::npos) comma = names.size();
      if (comma > at) rule.names.push_back(names.substr(at, comma - at));
      at = comma + 1;
    }
    for (uint32_t k = rd.U32(), j = 0; rd.ok() && j < k; j++) {
      ScmpArgCmp a;
      a.arg = rd.U32();
      a.op = static_cast<int>(rd.U32());
      a.datum_a = rd.U64();
      a.datum_b = rd.U64();
      rule.args.push_back(a);
    }
    r->rules.push_back(std::move(rule));
  }
  return rd.ok() && rd.done();
}

// ---- compiling ---------------------------------------------------------------------------------
struct Compiled {
  std::string program;  // struct sock_filter[]
  std::vector<std::string> skipped;
};

struct CompileError {
  std::string message;
  std::string code;
  int rule = -1, arch = -1;
  int err = 0;
};

bool Compile(const Request &req, Compiled *out, CompileError *ce) {
  void *ctx = g_lib.init(req.default_action);
  if (!ctx) {
    ce->message =
        "seccomp_init: the default action is not supported by libseccomp " + VersionString() + " on this kernel";
    ce->code = "EDEFAULTACTION";
    return false;
  }
  bool ok = false;
  int memfd = -1;
  for (size_t i = 0; i < req.arches.size(); i++) {
    uint32_t token = g_lib.arch_resolve_name(req.arches[i].c_str());
    int rc = token ? g_lib.arch_add(ctx, token) : -EINVAL;
    if (rc < 0 && rc != -EEXIST) {
      ce->message = "architecture " + req.arches[i] + " is not supported by libseccomp " + VersionString();
      ce->code = "EARCH";
      ce->arch = static_cast<int>(i);
      ce->err = -rc;
      goto out;
    }
  }
  for (size_t i = 0; i < req.rules.size(); i++) {
    const Rule &r = req.rules[i];
    for (const std::string &name : r.names) {
      int nr = g_lib.syscall_resolve_name(name.c_str());
      if (nr == kNrScmpError) {
        out->skipped.push_back(name);
        continue;
      }
      int rc = g_lib.rule_add_array(ctx, r.action, nr, static_cast<unsigned>(r.args.size()), r.args.data());
      if (rc < 0) {
        ce->message = "seccomp_rule_add(" + name + "): " + ErrnoName(-rc) + " (" + strerror(-rc) + ")";
        ce->code = "ERULE";
        ce->rule = static_cast<int>(i);
        ce->err = -rc;
        goto out;
      }
    }
  }
  {
    memfd = static_cast<int>(syscall(SYS_memfd_create, "ocirt-seccomp", MFD_CLOEXEC));
    int rc = memfd < 0 ? -errno : g_lib.export_bpf(ctx, memfd);
    off_t len = rc < 0 ? -1 : lseek(memfd, 0, SEEK_END);
    if (rc < 0 || len < 0) {
      ce->message = std::string("seccomp_export_bpf: ") + strerror(rc < 0 ? -rc : errno);
      ce->code = "EEXPORT";
      goto out;
    }
    out->program.resize(static_cast<size_t>(len));
    if (pread(memfd, &out->program[0], out->program.size(), 0) != len) {
      ce->message = std::string("read back the BPF program: ") + strerror(errno);
      ce->code = "EEXPORT";
      goto out;
    }
    ok = true;
  }
out:
  if (memfd >= 0) close(memfd);
  g_lib.release(ctx);
  return ok;
}

// ---- the cache ---------------------------------------------------------------------------------
// file: "OCSCBPF1" key[32] u32 programLen u32 skippedLen program skipped(NUL-separated names)
constexpr char kCacheMagic[] = "OCSCBPF1";
constexpr size_t kMaxProgram = 4096 * 8;  // BPF_MAXINSNS instructions
constexpr int kMaxCacheEntries = 64;

bool Trusted(const struct stat &st) { return st.st_uid == geteuid() && (st.st_mode & 022) == 0; }

// The cache directory, created 0700 if missing: -1 (no cache) unless it is ours and private.
int OpenCacheDir(const std::string &dir) {
  if (mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return -1;
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || !Trusted(st)) {
    close(fd);
    return -1;
  }
  return fd;
}

bool CacheRead(int dirfd, const std::string &name, const uint8_t key[32], Compiled *out) {
  int fd = openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  std::string buf;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && Trusted(st) && st.st_size >= 48 &&
            static_cast<size_t>(st.st_size) <= 48 + kMaxProgram + 65536;
  if (ok) {
    buf.resize(static_cast<size_t>(st.st_size));
    ok = pread(fd, &buf[0], buf.size(), 0) == st.st_size;
  }
  close(fd);
  if (!ok || memcmp(buf.data(), kCacheMagic, 8) != 0 || memcmp(buf.data() + 8, key, 32) != 0) return false;
  uint32_t plen, slen;
  memcpy(&plen, buf.data() + 40, 4);
  memcpy(&slen, buf.data() + 44, 4);
  if (plen == 0 || plen % 8 != 0 || plen > kMaxProgram || 48ull + plen + slen != buf.size()) return false;
  out->program.assign(buf, 48, plen);
  const char *s = buf.data() + 48 + plen, *end = s + slen;
  while (s < end) {
    const char *z = static_cast<const char *>(memchr(s, 0, static_cast<size_t>(end - s)));
    if (!z) return false;
    out->skipped.emplace_back(s, z);
    s = z + 1;
  }
  return true;
}

// Bounded: a directory that has reached kMaxCacheEntries is emptied before a new entry is added.
void CachePrune(int dirfd) {
  int fd = dup(dirfd);
  DIR *d = fd < 0 ? nullptr : fdopendir(fd);
  if (!d) {
    if (fd >= 0) close(fd);
    return;
  }
  std::vector<std::string> names;
  while (struct dirent *e = readdir(d)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  closedir(d);
  if (names.size() < kMaxCacheEntries) return;
  for (const std::string &n : names) unlinkat(dirfd, n.c_str(), 0);
}

void CacheWrite(int dirfd, const std::string &name, const uint8_t key[32], const Compiled &c) {
  std::string skipped;
  for (const std::string &s : c.skipped) skipped += s + '\0';
  uint32_t plen = static_cast<uint32_t>(c.program.size()), slen = static_cast<uint32_t>(skipped.size());
  std::string data(kCacheMagic, 8);
  data.append(reinterpret_cast<const char *>(key), 32);
  data.append(reinterpret_cast<const char *>(&plen), 4);
  data.append(reinterpret_cast<const char *>(&slen), 4);
  data += c.program;
  data += skipped;
  CachePrune(dirfd);
  std::string tmp = ".tmp-" + std::to_string(getpid()) + "-" + name;
  int fd = openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = WriteAll(fd, data.data(), data.size()) == 0;
  ok = close(fd) == 0 && ok;
  // a failed write only costs the next create a compile
  if (!ok || renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) unlinkat(dirfd, tmp.c_str(), 0);
}

void CacheKey(const Napi::Buffer<uint8_t> &req, uint8_t key[32]) {
  Sha256 h;
  const char tag[] = "ocirt seccomp cache 1";
  h.Update(tag, sizeof tag);
  std::string v = VersionString();
  h.Update(v.c_str(), v.size() + 1);
  uint32_t native = g_lib.arch_native();
  h.Update(&native, 4);
  h.Update(req.Data(), req.Length());
  h.Final(key);
}

std::string Hex(const uint8_t *b, size_t n) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) s += d[b[i] >> 4], s += d[b[i] & 15];
  return s;
}

Napi::Object Result(Napi::Env env, const Compiled &c, bool cached) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("program",
        Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t *>(c.program.data()), c.program.size()));
  Napi::Array sk = Napi::Array::New(env, c.skipped.size());
  for (size_t i = 0; i < c.skipped.size(); i++) sk.Set(static_cast<uint32_t>(i), Napi::String::New(env, c.skipped[i]));
  r.Set("skipped", sk);
  r.Set("cached", Napi::Boolean::New(env, cached));
  r.Set("version", Napi::String::New(env, VersionString()));
  return r;
}

// seccompCompile(request: Buffer, cacheDir?: string) -> { program, skipped, cached, version }
// Throws an Error with .code: ENOLIBSECCOMP, EREQUEST, EDEFAULTACTION, EARCH (.arch = index),
// ERULE (.rule = index, .errno), EEXPORT.
Napi::Value SeccompCompile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer())
    return TypeErr(env, "seccompCompile: (request: Buffer, cacheDir?: string) expected");
  if (!LoadLib()) {
    LibError(env).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> req = info[0].As<Napi::Buffer<uint8_t>>();
  Request r;
  if (!ParseRequest(req.Data(), req.Length(), &r)) return TypeErr(env, "seccompCompile: malformed request");

  uint8_t key[32];
  CacheKey(req, key);
  std::string name = Hex(key, sizeof key) + ".bpf";
  int dirfd = info.Length() > 1 && info[1].IsString() ? OpenCacheDir(info[1].As<Napi::String>().Utf8Value()) : -1;
  Compiled c;
  if (dirfd >= 0 && CacheRead(dirfd, name, key, &c)) {
    close(dirfd);
    return Result(env, c, true);
  }
  c = Compiled();
  CompileError ce;
  if (!Compile(r, &c, &ce)) {
    if (dirfd >= 0) close(dirfd);
    Napi::Error e = Napi::Error::New(env, ce.message);
    e.Set("code", Napi::String::New(env, ce.code));
    if (ce.rule >= 0) e.Set("rule", Napi::Number::New(env, ce.rule));
    if (ce.arch >= 0) e.Set("arch", Napi::Number::New(env, ce.arch));
    if (ce.err) e.Set("errno", Napi::Number::New(env, ce.err));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (dirfd >= 0) {
    CacheWrite(dirfd, name, key, c);
    close(dirfd);
  }
  return Result(env, c, false);
}

// seccompFlagsSupported() -> the SECCOMP_FILTER_FLAG_* bits this kernel accepts. A NULL program
// makes seccomp(2) fail with EFAULT once the flags passed its checks, EINVAL if it knows a flag
// not; nothing is ever installed.
Napi::Value SeccompFlagsSupported(const Napi::CallbackInfo &info) {
  const unsigned long kFlags[] = {SECCOMP_FILTER_FLAG_TSYNC,       SECCOMP_FILTER_FLAG_LOG,
                                  SECCOMP_FILTER_FLAG_SPEC_ALLOW,  SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                  SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV};
  uint32_t ok = 0;
  for (unsigned long f : kFlags) {
    // WAIT_KILLABLE_RECV is only accepted together with NEW_LISTENER
    unsigned long probe = f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? f | SECCOMP_FILTER_FLAG_NEW_LISTENER : f;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, nullptr) < 0 && errno == EFAULT)
      ok |= static_cast<uint32_t>(f);
  }
  return Napi::Number::New(info.Env(), ok);
}

// seccompInfo(archNames: string[]) -> { version, apiLevel, archs: the names libseccomp resolves }
// or { error } when libseccomp cannot be loaded (for `ocirt features`).
Napi::Value SeccompInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object r = Napi::Object::New(env);
  if (!LoadLib()) {
    r.Set("error", Napi::String::New(env, g_load_error));
    return r;
  }
  r.Set("version", Napi::String::New(env, VersionString()));
  r.Set("apiLevel", Napi::Number::New(env, g_lib.api_get()));
  Napi::Array out = Napi::Array::New(env);
  if (info.Length() > 0 && info[0].IsArray()) {
    Napi::Array names = info[0].As<Napi::Array>();
    for (uint32_t i = 0, k = 0; i < names.Length(); i++) {
      Napi::Value v = names.Get(i);
      if (v.IsString() && g_lib.arch_resolve_name(v.As<Napi::String>().Utf8Value().c_str()) != 0) out.Set(k++, v);
    }
  }
  r.Set("archs", out);
  return r;
}

}  // namespace

void RegisterSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("seccompCompile", Napi::Function::New(env, SeccompCompile, "seccompCompile"));
  exports.Set("seccompFlagsSupported", Napi::Function::New(env, SeccompFlagsSupported, "seccompFlagsSupported"));
  exports.Set("seccompInfo", Napi::Function::New(env, SeccompInfo, "seccompInfo"));
}
