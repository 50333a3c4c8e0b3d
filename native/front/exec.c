// `exec [-d] [--pid-file F] ID ARGS...` of a running container, the way src/container/exec.ts
// does it, from the exec template create wrote (src/container/exec-template.ts): the encoded exec
// plan of the container's own process, in which only ARGS are put. Every decision in the plan is
// the TypeScript code's; this file only carries out launch.ts's protocol with the same init stub
// (embedded here as in the addon) and exec.ts's steps: the lock, the status, the init's pidfd and
// its identity, the process started inside the container's cgroups, the pid file, and in the
// foreground the forwarded signals and the exit status.
//
// Fallback: before the stub gets "go" nothing has happened; a stub that never got it is killed and
// reaped. After "go", if the stub reports a failure (say the program does not exist), the process
// it forked has died before running anything; then too the core runs the whole exec again and
// reports the failure in its own words (the one exception beside delete's, docs/architecture.md).
#include "front.h"

#include "../plan_format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// struct clone_args (linux/sched.h), up to the cgroup field (CLONE_ARGS_SIZE_VER2)
struct clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
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

// the init stub, as the addon embeds it (build-front.mjs links native/gen_blob.mjs's output)
extern const unsigned char ocirt_init_start[];
extern const unsigned char ocirt_init_end[];

#define TEMPLATE_MAGIC "OCIRTXT"
#define TEMPLATE_VERSION 1u
#define TEMPLATE_HEAD 20u
#define MAX_TEMPLATE (4u << 20)

// foreground.ts's forwarded signals
static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static uint32_t get_u32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void put_u32(struct dstr *d, uint32_t v) { dstr_add(d, (const char *)&v, 4); }

// The template's plan with ARGS in place of its arguments (encode.ts's list of strings).
static int build_plan(const unsigned char *t, size_t len, char **args, int nargs, struct dstr *plan) {
  if (len < TEMPLATE_HEAD + 16 || memcmp(t, TEMPLATE_MAGIC, 8) || get_u32(t + 8) != TEMPLATE_VERSION) return -1;
  const unsigned char *p = t + TEMPLATE_HEAD;
  size_t plen = len - TEMPLATE_HEAD;
  uint32_t start = get_u32(t + 12), end = get_u32(t + 16);
  if (memcmp(p, OCIRT_PLAN_MAGIC, 8) || get_u32(p + 8) != OCIRT_PLAN_VERSION || get_u32(p + 12) != plen) return -1;
  if (start < 16 || start > end || end > plen) return -1;
  dstr_add(plan, (const char *)p, start);
  put_u32(plan, (uint32_t)nargs);
  for (int i = 0; i < nargs; i++) {
    size_t n = strlen(args[i]);
    if (n > UINT32_MAX) return -1;
    put_u32(plan, (uint32_t)n);
    dstr_add(plan, args[i], n + 1);  // with its NUL, not counted
  }
  dstr_add(plan, (const char *)p + end, plen - end);
  if (plan->failed || plan->len > UINT32_MAX) return -1;
  uint32_t total = (uint32_t)plan->len;
  memcpy(plan->p + 12, &total, 4);
  return 0;
}

// A sealed memfd holding `data` (the addon's SealedMemfd): nobody can change what the stub runs.
static int sealed_memfd(const char *name, const void *data, size_t len) {
  int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (write_all(fd, data, len) < 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct child {
  pid_t pid;
  int pidfd, sync;
};

// src/cgroups/manager.ts openPlacement: the container's cgroup2 directory (the child is cloned
// into it) and the `tasks` file of each cgroup v1 directory (the child moves itself in: a single
// thread moving itself is the migration that does not wait for an RCU grace period).
#define MAX_JOIN 64
struct placement {
  int cgroup_fd;
  int join[MAX_JOIN];
  size_t njoin;
};

static void close_placement(struct placement *pl) {
  if (pl->cgroup_fd >= 0) close(pl->cgroup_fd);
  for (size_t i = 0; i < pl->njoin; i++) close(pl->join[i]);
  pl->cgroup_fd = -1;
  pl->njoin = 0;
}

static int open_placement(const struct stored_state *st, struct placement *pl) {
  pl->cgroup_fd = -1;
  pl->njoin = 0;
  if (st->cgroup_path && st->cgroup_path[0]) {
    pl->cgroup_fd = open(st->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pl->cgroup_fd < 0) return -1;
  }
  for (size_t i = 0; i < st->cgroup_v1_paths.n; i++) {
    char *tasks = str_printf("%s/tasks", st->cgroup_v1_paths.v[i]);
    int fd = tasks && pl->njoin < MAX_JOIN ? open(tasks, O_WRONLY | O_CLOEXEC) : -1;
    free(tasks);
    if (fd < 0) {
      close_placement(pl);
      return -1;
    }
    pl->join[pl->njoin++] = fd;
  }
  return 0;
}

// In the cloned child: a failure record (addon.cc's ChildMain sends the same), then gone. The
// front end then leaves the whole exec to the core, which says what failed.
static void child_fail(int sync, uint32_t step, int index) {
  struct ocirt_sync_record rec;
  memset(&rec, 0, sizeof rec);
  rec.magic = OCIRT_SYNC_MAGIC;
  rec.type = OCIRT_MSG_ERROR;
  rec.step = step;
  rec.err = errno;
  rec.index = index;
  (void)send(sync, &rec, sizeof rec, MSG_NOSIGNAL);
  _exit(127);
}

// addon.cc's SpawnInit for an exec plan: the stub exec'd at once ("wait-go"), with the sync
// socket and the plan, stdio inherited, started inside the container's cgroups (pl). Signals stay
// as the caller blocked them; the stub resets them before anything else. A plain copy of this
// small program (clone3 without CLONE_VM): clone(2) cannot place a child in a cgroup.
static int spawn_stub(const struct dstr *plan, const struct placement *pl, struct child *c) {
  int stub = sealed_memfd("ocirt-init", ocirt_init_start, (size_t)(ocirt_init_end - ocirt_init_start));
  int planfd = sealed_memfd("ocirt-plan", plan->p, plan->len);
  int sv[2] = {-1, -1};
  int rc = -1;
  if (stub < 0 || planfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) goto out;
  // the child's fds must not be 0-2: stdio is the container's
  int s3 = fcntl(sv[1], F_DUPFD_CLOEXEC, 3), p3 = fcntl(planfd, F_DUPFD_CLOEXEC, 3);
  if (s3 < 0 || p3 < 0) goto out_dups;
  char a1[16], a2[16];
  snprintf(a1, sizeof a1, "%d", s3);
  snprintf(a2, sizeof a2, "%d", p3);
  char *argv[] = {"ocirt-init", a1, a2, "-1", "wait-go", NULL};
  char *envp[] = {NULL};
  struct clone3_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  if (pl->cgroup_fd >= 0) {
    ca.flags = CLONE_INTO_CGROUP;
    ca.cgroup = (uint64_t)pl->cgroup_fd;
  }
  pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) {
    for (size_t i = 0; i < pl->njoin; i++) {
      ssize_t n;
      do n = write(pl->join[i], "0", 1);
      while (n < 0 && errno == EINTR);
      if (n != 1) child_fail(s3, OCIRT_STEP_SPAWN_CGROUP, (int)i);
    }
    if (fcntl(s3, F_SETFD, 0) == 0 && fcntl(p3, F_SETFD, 0) == 0)
      syscall(SYS_execveat, stub, "", argv, envp, AT_EMPTY_PATH);
    child_fail(s3, OCIRT_STEP_SPAWN_EXEC, -1);
  }
  if (pid > 0) {
    c->pid = pid;
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    c->sync = sv[0];
    sv[0] = -1;
    rc = 0;
    if (c->pidfd < 0) {  // cannot happen for our own unreaped child; be safe
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      close(c->sync);
      rc = -1;
    }
  }
out_dups:
  if (s3 >= 0) close(s3);
  if (p3 >= 0) close(p3);
out:
  if (stub >= 0) close(stub);
  if (planfd >= 0) close(planfd);
  if (sv[0] >= 0) close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
  return rc;
}

// "go", then the init's pidfd in the 'F' message (plan_format.h).
static int send_go(int sync, int init_pidfd) {
  char go = OCIRT_SYNC_GO;
  if (send(sync, &go, 1, MSG_NOSIGNAL) != 1) return -1;
  char tag = OCIRT_SYNC_FDS;
  struct iovec iov = {&tag, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &init_pidfd, sizeof(int));
  ssize_t n;
  do n = sendmsg(sync, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : -1;
}

// launch.ts's loop for an exec plan: the forked process's pid, then end-of-file (its execve
// closed the socket: the program runs). -1: a failure record, or anything unexpected.
static int await_exec(int sync, pid_t *forked) {
  for (;;) {
    struct ocirt_sync_record rec;
    ssize_t n;
    do n = recv(sync, &rec, sizeof rec, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0) return 0;
    if (n != (ssize_t)sizeof rec || rec.magic != OCIRT_SYNC_MAGIC) return -1;
    if (rec.type != OCIRT_MSG_PID || rec.pid <= 0 || *forked) return -1;
    *forked = rec.pid;
  }
}

static void kill_reap(int pidfd) {
  if (pidfd < 0) return;
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  siginfo_t si;
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR) {}
}

// state-store.ts writeAtomic: `<path>.tmp-<pid>`, then renamed over the path; mode 0644.
static int write_pid_file(const char *path, pid_t pid) {
  char *tmp = str_printf("%s.tmp-%ld", path, (long)getpid());
  if (!tmp) return -1;
  char num[24];
  int n = snprintf(num, sizeof num, "%d", (int)pid);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int rc = fd < 0 ? -1 : write_all(fd, num, (size_t)n);
  if (fd >= 0 && close(fd) < 0) rc = -1;
  if (rc == 0 && rename(tmp, path) < 0) rc = -1;
  int err = errno;
  if (rc < 0) unlink(tmp);
  free(tmp);
  errno = err;
  return rc;
}

// path.resolve of a relative path, for the message (what writeAtomic's error names)
static char *absolute(const char *path) {
  if (path[0] == '/') return strdup(path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return strdup(path);
  return str_printf("%s/%s", cwd, path);
}

// foreground.ts: signals go on to the process; the exit status is its own.
static int wait_foreground(int pidfd, const sigset_t *forwarded) {
  int sfd = signalfd(-1, forwarded, SFD_CLOEXEC);
  for (;;) {
    struct pollfd p[2] = {{pidfd, POLLIN, 0}, {sfd, POLLIN, 0}};
    int r = poll(p, sfd >= 0 ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (sfd >= 0 && p[1].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
    }
    if (p[0].revents) break;
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0) {
    if (errno != EINTR) return 1;
  }
  return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

enum outcome cmd_exec(const struct paths *paths, const struct cli *c, int *exit_code) {
  const char *lock = paths->lock;
  char *tpath = str_printf("%s/exec-template", paths->dir);
  size_t tlen = 0;
  unsigned char *t = tpath ? (unsigned char *)read_file(tpath, MAX_TEMPLATE, &tlen) : NULL;
  free(tpath);
  struct dstr plan = {0};
  if (!t || c->cmd_argc < 1 || !c->cmd_argv[0][0] || build_plan(t, tlen, c->cmd_argv, c->cmd_argc, &plan) < 0)
    return FALLBACK;

  if (lock_take(lock) < 0) return FALLBACK;
  struct stored_state st;
  enum status status;
  int init_pidfd = -1;
  if (read_state(paths->state, &st) < 0 || st.pid > INT_MAX) goto fallback;
  status = derive_status(&st, paths->fifo);
  if (status != ST_RUNNING && status != ST_CREATED) goto fallback;
  init_pidfd = (int)syscall(SYS_pidfd_open, (int)st.pid, 0);
  if (init_pidfd < 0 || !same_process(st.pid, st.start_time)) goto fallback;

  // signals meant for the process wait until it runs (foreground.ts's SignalForwarder)
  sigset_t forwarded, old;
  sigemptyset(&forwarded);
  for (size_t i = 0; i < sizeof FORWARDED / sizeof FORWARDED[0]; i++) sigaddset(&forwarded, FORWARDED[i]);
  if (!c->detach) sigprocmask(SIG_BLOCK, &forwarded, &old);

  struct child ch = {0, -1, -1};
  struct placement pl;
  if (open_placement(&st, &pl) < 0) goto fallback_signals;
  int spawned = spawn_stub(&plan, &pl, &ch);
  close_placement(&pl);
  if (spawned < 0) goto fallback_signals;
  if (send_go(ch.sync, init_pidfd) < 0) {
    kill_reap(ch.pidfd);
    close(ch.pidfd);
    close(ch.sync);
    goto fallback_signals;
  }
  pid_t forked = 0;
  int ok = await_exec(ch.sync, &forked);
  close(ch.sync);
  close(init_pidfd);
  init_pidfd = -1;
  int pidfd = ch.pidfd;
  if (forked) {
    // our child (CLONE_PARENT): it cannot have been reaped by anyone else
    pidfd = (int)syscall(SYS_pidfd_open, forked, 0);
    siginfo_t si;
    while (waitid((idtype_t)P_PIDFD, (id_t)ch.pidfd, &si, WEXITED) < 0 && errno == EINTR) {}
    close(ch.pidfd);
  }
  if (ok < 0 || pidfd < 0) {
    // it failed before its program ran: nothing of it is left; the core does it again and says why
    kill_reap(pidfd);
    if (pidfd >= 0) close(pidfd);
    goto fallback_signals;
  }
  lock_release(lock);

  pid_t pid = forked ? forked : ch.pid;
  if (c->pid_file && write_pid_file(c->pid_file, pid) < 0) {
    int err = errno;
    char *abs = absolute(c->pid_file);
    say("write %s: %s", abs ? abs : c->pid_file, errno_name(err));
    free(abs);
    close(pidfd);
    *exit_code = 1;
    return DONE;
  }
  if (c->detach) {
    close(pidfd);
    *exit_code = 0;
    return DONE;
  }
  *exit_code = wait_foreground(pidfd, &forwarded);
  close(pidfd);
  return DONE;

fallback_signals:
  if (!c->detach) sigprocmask(SIG_SETMASK, &old, NULL);
fallback:
  if (init_pidfd >= 0) close(init_pidfd);
  lock_release(lock);
  return FALLBACK;
}
