/*
 * OCI hooks in the container's namespaces (plan section HOOKS, written by src/linux/hooks.ts):
 * createContainer hooks after the mounts and before pivot_root, startContainer hooks after
 * `start` and before the credentials and execve. Before the createContainer hooks the init may
 * stop once more on the sync socket, while the runtime runs the prestart and createRuntime hooks
 * in its own namespaces.
 *
 * Each hook: fork, the state JSON on stdin (our pid filled in as the runtime sees it), stdout and
 * stderr into a memfd whose tail goes into the failure report, no other fd of ours, the hook's own
 * args and env, SIGKILL once its timeout has passed.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* snprintf that may cut the text short: messages here are one line of bounded length */
__attribute__((format(printf, 3, 4))) static void say_into(char *dst, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(dst, len, fmt, ap);
  va_end(ap);
}

struct hook {
  const char *path;
  const char **args, **env;
  uint32_t nargs, nenv, timeout;
};

static struct {
  int present;
  uint32_t pause;
  const char *state_prefix, *state_suffix;
  uint32_t ncreate, nstart;
  struct hook *create, *start;
  char pid[24]; /* ours, as the runtime's /proc names it */
} H;

static struct hook *decode_list(struct rd *r, uint32_t *n) {
  *n = rd_count(r);
  struct hook *v = xcalloc(*n, sizeof *v);
  for (uint32_t i = 0; i < *n; i++) {
    v[i].path = rd_str(r);
    v[i].args = rd_strlist(r, &v[i].nargs);
    v[i].env = rd_strlist(r, &v[i].nenv);
    v[i].timeout = rd_u32(r);
  }
  return v;
}

void decode_hooks(struct rd *r) {
  H.present = 1;
  H.pause = rd_u32(r);
  H.state_prefix = rd_str(r);
  H.state_suffix = rd_str(r);
  H.create = decode_list(r, &H.ncreate);
  H.start = decode_list(r, &H.nstart);
}

/*
 * "self" in the runtime's /proc (still at /proc before pivot_root: the rootfs's mounts are all
 * below the rootfs) is our pid in the runtime's pid namespace, whatever pid namespace we are pid 1
 * of: the pid the state must show. Only read, never written: the init's procfs handle (procfs.c)
 * is of the container's pid namespace, where we are 1.
 */
static void learn_pid(void) {
  if (H.pid[0]) return;
  ssize_t n = readlink("/proc/self", H.pid, sizeof H.pid - 1);
  if (n <= 0) fail(OCIRT_STEP_HOOK_WAIT, -1, "readlink /proc/self");
  H.pid[n] = 0;
}

static int write_str(int fd, const char *s) {
  for (size_t n = strlen(s); n > 0;) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* A memfd with the state JSON, read from its start. */
static int state_fd(void) {
  int fd = memfd_create("ocirt-hook-state", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (write_str(fd, H.state_prefix) < 0 || write_str(fd, H.pid) < 0 || write_str(fd, H.state_suffix) < 0 ||
      lseek(fd, 0, SEEK_SET) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* The last bytes of the hook's output, on one line, after ": " (nothing when it was silent). */
static void output_tail(int out, char *dst, size_t dstlen) {
  dst[0] = 0;
  off_t size = lseek(out, 0, SEEK_END);
  if (size <= 0 || dstlen < 8) return;
  size_t want = dstlen - 6;
  off_t from = size > (off_t)want ? size - (off_t)want : 0;
  char buf[512];
  if (want > sizeof buf - 1) want = sizeof buf - 1;
  ssize_t n = pread(out, buf, want, from);
  if (n <= 0) return;
  buf[n] = 0;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == 0) buf[i] = ' ';
  while (n > 0 && buf[n - 1] == ' ') buf[--n] = 0;
  const char *s = buf;
  while (*s == ' ') s++;
  if (*s) say_into(dst, dstlen, ": %s%s", from > 0 ? "..." : "", s);
}

/* Waits for the hook, SIGKILLing it after `timeout` seconds (0: no limit). */
static int wait_hook(pid_t pid, uint32_t timeout, int *timed_out) {
  *timed_out = 0;
  if (timeout) {
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
      struct pollfd p = {pfd, POLLIN, 0};
      int rc;
      do rc = poll(&p, 1, (int)(timeout > 2000000 ? 2000000000 : timeout * 1000));
      while (rc < 0 && errno == EINTR);
      if (rc == 0) {
        kill(pid, SIGKILL);
        *timed_out = 1;
      }
      close(pfd);
    }
  }
  int st;
  pid_t w;
  do w = waitpid(pid, &st, 0);
  while (w < 0 && errno == EINTR);
  return w < 0 ? -1 : st;
}

/* Runs one hook: 0, or -1 with why it failed in why[] ("exited with status 1: <output>"). */
static int run_hook(const struct hook *h, char *why, size_t whylen) {
  int in = state_fd();
  int out = memfd_create("ocirt-hook-output", MFD_CLOEXEC);
  if (in < 0 || out < 0) {
    say_into(why, whylen, "cannot prepare its stdin and stdout: %s", strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    say_into(why, whylen, "fork: %s", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(127);
    /* nothing of the init's (sync socket, fifo, host /proc, preserved fds) reaches the hook */
    syscall(SYS_close_range, 3, ~0U, 0);
    const char *argv0[] = {h->path, NULL};
    execve(h->path, (char *const *)(h->nargs ? h->args : argv0), (char *const *)h->env);
    dprintf(2, "exec %s: %s", h->path, strerror(errno));
    _exit(127);
  }
  close(in);
  int timed_out;
  int st = wait_hook(pid, h->timeout, &timed_out);
  char tail[200];
  output_tail(out, tail, sizeof tail);
  close(out);
  if (timed_out) say_into(why, whylen, "timed out after %us and was killed%s", h->timeout, tail);
  else if (st < 0) say_into(why, whylen, "waitpid: %s", strerror(errno));
  else if (WIFSIGNALED(st)) say_into(why, whylen, "killed by signal %d%s", WTERMSIG(st), tail);
  else if (WEXITSTATUS(st) != 0) say_into(why, whylen, "exited with status %d%s", WEXITSTATUS(st), tail);
  else return 0;
  return -1;
}

void run_create_hooks(void) {
  if (!H.present) return;
  learn_pid();
  if (H.pause) {
    send_record(OCIRT_MSG_HOOKS, OCIRT_STEP_NONE, 0, -1, 0, NULL);
    char go[8];
    ssize_t n;
    do n = read(sync_fd, go, sizeof go);
    while (n < 0 && errno == EINTR);
    /* the parent gave up (a prestart or createRuntime hook failed): it reports that itself */
    if (n <= 0 || go[0] != OCIRT_SYNC_GO) _exit(1);
  }
  char why[OCIRT_DETAIL_LEN], detail[OCIRT_DETAIL_LEN];
  for (uint32_t i = 0; i < H.ncreate; i++) {
    if (run_hook(&H.create[i], why, sizeof why) < 0) {
      say_into(detail, sizeof detail, "%s: %s", H.create[i].path, why);
      fail_err(OCIRT_STEP_CREATE_CONTAINER_HOOK, 0, (int)i, detail);
    }
  }
}

void run_start_hooks(void) {
  char why[OCIRT_DETAIL_LEN], msg[OCIRT_DETAIL_LEN + 64];
  for (uint32_t i = 0; i < H.nstart; i++) {
    if (run_hook(&H.start[i], why, sizeof why) < 0) {
      /* index, tab, what failed: `start` names the config field (src/container/start.ts) */
      say_into(msg, sizeof msg, "%u\t%s: %s", i, H.start[i].path, why);
      report_to_start(OCIRT_FIFO_HOOK_FAILED, msg);
      dprintf(2, "ocirt: startContainer hook %s: %s\n", H.start[i].path, why);
      _exit(1);
    }
  }
}
