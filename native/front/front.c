// ocirt's native front end, installed as dist/ocirt-exe. Engines run the runtime once per
// lifecycle step; the TypeScript executable (dist/ocirt-core, compiled by Bun) needs ~17 ms just
// to start, crun's whole `state` ~9 ms. This static program does the common successful case of
// `state`, `start`, `kill`, `delete` and `exec ID ARGS...` (exec.c) itself and exec's the core,
// argv and environment unchanged, for everything else.
//
// The rules (docs/architecture.md "Native fast path for the short commands"):
//  - The TypeScript code is the single source of truth. This program only repeats its successful
//    paths, with the same observable result; every error and edge case is the core's.
//  - Fallback (exec of the core) is allowed only before any side effect: before a signal was
//    sent, before the exec fifo's byte was read, before anything was removed. The one exception:
//    delete may fall back after removing some cgroup directories, as deleting a stopped container
//    is idempotent while its state.json exists. After a side effect an error is reported here,
//    one line "ocirt: <message>", exit status 1.
//  - Every fd opened here is O_CLOEXEC and closed again; nothing else of the process (signal
//    dispositions, mask, cwd, umask, environment) is changed before a fallback.
#include "front.h"
#include "front_version.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static char **g_argv;

// ---- the core ----

// <directory of this executable>/ocirt-core, or $OCIRT_CORE (tests point it elsewhere).
// readlink of /proc/self/exe is already the resolved path (what realpath would give).
static char *core_path(void) {
  const char *env = getenv("OCIRT_CORE");
  if (env && *env) return strdup(env);
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return NULL;
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (!slash) return NULL;
  *slash = '\0';
  return str_printf("%s/ocirt-core", self);
}

static _Noreturn void fallback(void) {
  char *core = core_path();
  if (!core) {
    say("cannot run ocirt-core: cannot find this executable's directory (/proc/self/exe): %s", strerror(errno));
    _exit(1);
  }
  execv(core, g_argv);
  say("cannot run %s: %s", core, strerror(errno));
  _exit(1);
}

// ---- paths ----

// src/container/rootless.ts runningInUserNamespace: uid_map is not the identity map (uid 0 of
// rootless podman's user namespace is not the host's root).
static bool in_user_namespace(void) {
  size_t len;
  char *map = read_file("/proc/self/uid_map", 4096, &len);
  if (!map) return false;  // no /proc: nothing says we are confined (rootless.ts does the same)
  unsigned long inside = 1, outside = 1, count = 0;
  int end = 0;
  int fields = sscanf(map, " %lu %lu %lu %n", &inside, &outside, &count, &end);
  bool identity = fields == 3 && inside == 0 && outside == 0 && count == 4294967295UL && map[end] == '\0';
  free(map);
  return !identity;
}

// main.ts resolveGlobals + rootless.ts defaultStateRoot. NULL: no root (the core explains).
static char *state_root(const struct cli *c) {
  if (c->root && *c->root) return strdup(c->root);
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  bool have_xdg = xdg && *xdg;
  if (geteuid() == 0) {
    const char *user = getenv("USER");
    if (!have_xdg || (user && !strcmp(user, "root")) || !in_user_namespace()) return strdup("/run/ocirt");
  }
  if (!have_xdg) return NULL;
  size_t n = strlen(xdg);
  while (n > 0 && xdg[n - 1] == '/') n--;
  return str_printf("%.*s/ocirt", (int)n, xdg);
}

// TypeScript builds these with path.join, which folds "a/../b" lexically; the kernel resolves
// ".." after symlinks. A root with a ".." component is therefore left to the core. Other
// differences (doubled slashes, ".") name the same files.
static bool has_dotdot(const char *p) {
  for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/')) return true;
  return false;
}

static int make_paths(const char *root, const char *id, struct paths *p) {
  if (has_dotdot(root)) return -1;
  p->dir = str_printf("%s/%s", root, id);
  p->state = str_printf("%s/%s/state.json", root, id);
  p->fifo = str_printf("%s/%s/exec.fifo", root, id);
  p->hooks = str_printf("%s/%s/hooks", root, id);
  p->lock = str_printf("%s/.lock-%s", root, id);
  if (!p->dir || !p->state || !p->fifo || !p->hooks || !p->lock) return -1;
  return strlen(p->state) < PATH_MAX && strlen(p->lock) < PATH_MAX ? 0 : -1;
}

// ---- the per-id lock (state-store.ts StateStore.lock) ----

// A symlink whose target is our pid (made atomically; it needs no data block, so a full state
// filesystem still takes it). Taken or not: an existing lock (a live holder to wait for, or a
// dead one to take over) is the core's business.
int lock_take(const char *lock) {
  char pid[24];
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  return symlink(pid, lock);
}

void lock_release(const char *lock) { unlink(lock); }

// ---- state ----

static void render_state(const struct stored_state *st, enum status status, struct dstr *out) {
  // JSON.stringify(toRuntimeState(...), null, 2) + "\n" (src/container/runtime-state.ts). The
  // strings are in JSON.stringify's form already (read_state checked), so they are copied.
  struct {
    const char *key;
    struct slice value;
  } const strings[] = {{"bundle", st->bundle}, {"rootfs", st->rootfs}, {"created", st->created}, {"owner", st->owner}};
  dstr_adds(out, "{\n  \"ociVersion\": \"" FRONT_OCI_SPEC_VERSION "\",\n  \"id\": \"");
  dstr_add(out, st->id.p, st->id.n);
  dstr_adds(out, "\",\n  \"pid\": ");
  // runc reports 0 once the process is gone
  if (status == ST_STOPPED) dstr_adds(out, "0");
  else dstr_add(out, st->pid_text.p, st->pid_text.n);
  dstr_adds(out, ",\n  \"status\": \"");
  dstr_adds(out, status_name(status));
  dstr_adds(out, "\"");
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
    dstr_adds(out, ",\n  \"");
    dstr_adds(out, strings[i].key);
    dstr_adds(out, "\": \"");
    dstr_add(out, strings[i].value.p, strings[i].value.n);
    dstr_adds(out, "\"");
  }
  if (st->n_annotations > 0) {
    dstr_adds(out, ",\n  \"annotations\": {");
    for (size_t i = 0; i < st->n_annotations; i++) {
      dstr_adds(out, i ? ",\n    \"" : "\n    \"");
      dstr_add(out, st->annotations[i].key.p, st->annotations[i].key.n);
      dstr_adds(out, "\": \"");
      dstr_add(out, st->annotations[i].value.p, st->annotations[i].value.n);
      dstr_adds(out, "\"");
    }
    dstr_adds(out, "\n  }");
  }
  dstr_adds(out, "\n}\n");
}

// src/cli/state.ts: no lock, no side effect.
static enum outcome cmd_state(const struct paths *p) {
  struct stored_state st;
  if (read_state(p->state, &st) < 0) return FALLBACK;
  enum status status = derive_status(&st, p->fifo);
  if (status == ST_UNSURE) return FALLBACK;
  struct dstr out = {0};
  render_state(&st, status, &out);
  if (out.failed) return FALLBACK;
  // Like light-stdio.ts: a closed pipe ends the output quietly (Node and Bun ignore SIGPIPE),
  // EAGAIN is retried. SIGPIPE is ignored only now, and restored if we still fall back.
  struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &old);
  size_t done = 0;
  while (done < out.len) {
    ssize_t n = write(1, out.p + done, out.len - done);
    if (n > 0) {
      done += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0 && errno == EPIPE) return DONE;
    if (done == 0) {
      sigaction(SIGPIPE, &old, NULL);
      return FALLBACK;  // nothing written: the core may as well report it
    }
    say("write stdout: %s", errno_name(n < 0 ? errno : EIO));
    return FAILED;
  }
  return DONE;
}

// ---- start (src/container/start.ts) ----

// Reads the init's byte from exec.fifo: DONE, FAILED (reported), or FALLBACK if the init went
// away without writing it (nothing was consumed; the core reports the stopped container).
static enum outcome await_fifo_byte(const struct stored_state *st, int fd, const char *fifo) {
  for (;;) {
    char byte;
    ssize_t n = read(fd, &byte, 1);
    if (n == 1) return DONE;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      say("read exec fifo %s: %s", fifo, errno_name(errno));
      return FAILED;
    }
    // EAGAIN (the init has it open, nothing written yet) or 0 (not opened for writing yet).
    // Once the init is gone, read once more: between the read above and the check it may have
    // written its byte, exec'd a short program and exited.
    if (!same_process(st->pid, st->start_time)) {
      do n = read(fd, &byte, 1);
      while (n < 0 && errno == EINTR);
      return n == 1 ? DONE : FALLBACK;
    }
    sleep_ms(1);
  }
}

// start.ts awaitExec: the init's end of the fifo closes at its execve (CLOEXEC), so end-of-file
// means the user's program runs (or the init died); a signal sent after start then reaches that
// program, as with runc. Bounded, like the TypeScript side: 10 s without news. What the init wrote
// before end-of-file is its failure report (native/plan_format.h, OCIRT_FIFO_*), into report.
static void await_exec(int fd, struct dstr *report) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  for (int waited_ms = 0; waited_ms < 10000;) {
    int r = poll(&pfd, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return;
    if (r == 0) {
      waited_ms += 100;
      continue;
    }
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      dstr_add(report, buf, (size_t)n);
      waited_ms = 0;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
}

static enum outcome cmd_start(const struct paths *p) {
  // hooks (startContainer, poststart, and the destroy a failure asks for) are the core's
  if (access(p->hooks, F_OK) == 0 || errno != ENOENT) return FALLBACK;
  if (lock_take(p->lock) < 0) return FALLBACK;
  struct stored_state st;
  enum outcome result = FALLBACK;
  if (read_state(p->state, &st) < 0 || derive_status(&st, p->fifo) != ST_CREATED) goto out;
  // O_NONBLOCK: never hang if the init died between the status check and the open
  int fd = open(p->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) goto out;
  result = await_fifo_byte(&st, fd, p->fifo);
  if (result == DONE && unlink(p->fifo) < 0) {
    say("remove exec fifo %s: %s", p->fifo, errno_name(errno));
    result = FAILED;
  }
  if (result == DONE) {
    struct dstr report = {0};
    await_exec(fd, &report);
    // 'E' + the message: the program could not be exec'd (start.ts reports it the same way);
    // the other kind, 'H', comes only with hooks, which never get here
    if (report.len > 1) {
      size_t n = report.len;
      while (n > 1 && (report.p[n - 1] == '\n' || report.p[n - 1] == ' ')) n--;
      say("%.*s", (int)(n - 1), report.p + 1);
      result = FAILED;
    }
    free(report.p);
  }
  close(fd);
out:
  lock_release(p->lock);
  return result;
}

// ---- kill (src/container/kill.ts, without --all) ----

static enum outcome cmd_kill(const struct paths *p, const char *signal_text) {
  int sig = parse_signal(signal_text);
  if (sig < 0) return FALLBACK;
  struct stored_state st;
  if (read_state(p->state, &st) < 0) return FALLBACK;
  enum status status = derive_status(&st, p->fifo);
  // created or running; creating and stopped give the core's errors, and a paused container
  // (or one that may be: ST_UNSURE) is the core's: a SIGKILL there may need a thaw
  if (status != ST_CREATED && status != ST_RUNNING) return FALLBACK;
  if (st.pid > INT_MAX) return FALLBACK;
  // A pidfd first, then the identity check: the signal cannot reach a recycled pid.
  int pidfd = (int)syscall(SYS_pidfd_open, (int)st.pid, 0);
  if (pidfd < 0) return FALLBACK;
  enum outcome result = FALLBACK;
  if (same_process(st.pid, st.start_time) && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0) result = DONE;
  close(pidfd);
  return result;  // FALLBACK: no signal was sent
}

// ---- delete (src/container/delete.ts, a stopped container) ----

// src/cgroups/manager.ts removeCgroups for the common case: a stopped container's cgroups are
// empty and have no cgroups below them. If one is not (EBUSY, ENOTEMPTY), the core kills what is
// left, removes what is below and retries.
static int remove_cgroup(const char *dir) {
  if (rmdir(dir) < 0 && errno != ENOENT) return -1;
  return 0;
}

static enum outcome cmd_delete(const struct paths *p, bool force) {
  // src/cli/delete.ts: `delete --force` of a container that does not exist succeeds; a lock left
  // by a killed command is the core's to take over and remove
  if (force && access(p->dir, F_OK) < 0) {
    if (errno != ENOENT) return FALLBACK;
    struct stat st;  // the lock is a symlink: not followed
    return lstat(p->lock, &st) < 0 && errno == ENOENT ? DONE : FALLBACK;
  }
  // poststop hooks are the core's
  if (access(p->hooks, F_OK) == 0 || errno != ENOENT) return FALLBACK;
  if (lock_take(p->lock) < 0) return FALLBACK;
  enum outcome result = FALLBACK;
  struct stored_state st;
  // not stopped: the core kills it (--force) or refuses (without)
  if (read_state(p->state, &st) < 0 || derive_status(&st, p->fifo) != ST_STOPPED) goto out;
  for (size_t i = 0; i < st.cgroup_v1_paths.n; i++)
    if (remove_cgroup(st.cgroup_v1_paths.v[i]) < 0) goto out;
  if (st.cgroup_path && st.cgroup_path[0] && remove_cgroup(st.cgroup_path) < 0) goto out;
  // From here on state.json may be gone: no fallback any more.
  if (remove_state_dir(p->dir) < 0) {
    int err = errno;
    lock_release(p->lock);
    say("remove state directory %s: %s", p->dir, errno_name(err));
    return FAILED;
  }
  result = DONE;
out:
  lock_release(p->lock);
  return result;
}

int main(int argc, char **argv) {
  g_argv = argv;
  // src/container/fault.ts: the steps a fault-injection run kills itself at are the core's
  if (getenv("OCIRT_FAULT")) fallback();
  struct cli cli;
  if (argc < 1 || parse_cli(argc, argv, &cli) < 0 || !valid_id(cli.id)) fallback();
  if (cli.log) log_errors_to(cli.log, cli.log_json);
  char *root = state_root(&cli);
  struct paths p;
  if (!root || make_paths(root, cli.id, &p) < 0) fallback();
  enum outcome result = FALLBACK;
  int exit_code = 0;
  switch (cli.cmd) {
    case CMD_STATE:
      result = cmd_state(&p);
      break;
    case CMD_START:
      result = cmd_start(&p);
      break;
    case CMD_KILL:
      result = cmd_kill(&p, cli.signal);
      break;
    case CMD_DELETE:
      result = cmd_delete(&p, cli.force);
      break;
    case CMD_EXEC:
      result = cmd_exec(&p, &cli, &exit_code);
      break;
    case CMD_NONE:
      break;
  }
  if (result == FALLBACK) fallback();
  return result == DONE ? exit_code : 1;
}
