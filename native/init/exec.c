/* The program: looked up before READY (so `create` fails on a missing binary), exec'd last. */
#include "init.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *env_path(const struct plan *p) {
  for (uint32_t i = 0; i < p->nenv; i++)
    if (strncmp(p->env[i], "PATH=", 5) == 0) return p->env[i] + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/*
 * 0 if path names a regular file with an execute bit, else the errno execve would give. A relative
 * path is looked at from process.cwd: the execve happens after the chdir, this check before.
 */
static int executable(const struct plan *p, const char *path) {
  char abs[PATH_MAX];
  if (path[0] != '/') {
    if (snprintf(abs, sizeof abs, "%s/%s", p->cwd, path) >= (int)sizeof abs) return ENAMETOOLONG;
    path = abs;
  }
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) return EACCES;
  return 0;
}

/*
 * PATH lookup like execvpe, as a check before READY, after the mounts (a program may come from a
 * bind mount, as podman --init's /run/podman-init does): `create` then fails on a missing
 * (ENOENT) or non-executable (EACCES) program, with the words engines map to exit 127 and 126.
 * Returns 0 and the path in out, or an errno.
 */
int lookup(const struct plan *p, char *out, size_t outlen) {
  const char *a0 = p->args[0];
  if (strchr(a0, '/')) {
    snprintf(out, outlen, "%s", a0);
    return executable(p, out);
  }
  if (!*a0) return ENOENT;
  int err = ENOENT;
  const char *s = env_path(p);
  for (;;) {
    const char *e = strchr(s, ':');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 0) snprintf(out, outlen, "%s", a0); /* empty PATH entry means the cwd */
    else snprintf(out, outlen, "%.*s/%s", (int)n, s, a0);
    int r = executable(p, out);
    if (r == 0) return 0;
    if (r == EACCES) err = EACCES; /* as execvpe: a later entry may still do */
    if (!e) break;
    s = e + 1;
  }
  return err;
}

__attribute__((noreturn)) static void exec_failed(const struct plan *p, int err) {
  /* after READY nobody may be reading the sync socket any more: `start` (through the exec fifo)
     and the container's stderr are where it shows */
  char msg[PATH_MAX + 128];
  snprintf(msg, sizeof msg, "exec \"%s\": %s", p->args[0], errno_words(err));
  report_to_start(OCIRT_FIFO_FAILED, msg);
  dprintf(2, "ocirt: %s\n", msg);
  send_record(OCIRT_MSG_ERROR, OCIRT_STEP_EXEC, err, -1, 0, p->args[0]);
  _exit(127);
}

/*
 * process.env without HOME: runc sets it from the container's /etc/passwd entry for the uid, or
 * "/" when there is none. Read after pivot_root, so it is the container's file.
 */
void set_default_home(struct plan *p) {
  if (!(p->flags & OCIRT_PF_DEFAULT_HOME)) return;
  static char home[PATH_MAX + 8];
  snprintf(home, sizeof home, "HOME=/");
  FILE *f = fopen("/etc/passwd", "re");
  if (f) {
    char line[1024];
    while (fgets(line, sizeof line, f)) {
      /* name:passwd:uid:gid:gecos:dir:shell */
      char *field[7];
      int n = 0;
      for (char *s = line; n < 7; n++) {
        field[n] = s;
        char *c = strchr(s, ':');
        if (!c) {
          n++;
          break;
        }
        *c = 0;
        s = c + 1;
      }
      if (n < 6 || field[2][0] == 0) continue;
      char *end;
      unsigned long uid = strtoul(field[2], &end, 10);
      if (*end != 0 || uid != p->uid) continue;
      field[5][strcspn(field[5], "\n")] = 0;
      if (field[5][0]) snprintf(home, sizeof home, "HOME=%s", field[5]);
      break;
    }
    fclose(f);
  }
  char **env = xcalloc(p->nenv + 2, sizeof *env);
  for (uint32_t i = 0; i < p->nenv; i++) env[i] = p->env[i];
  env[p->nenv++] = home;
  p->env = env;
}

/*
 * runc enters the cwd before dropping privileges (a 0700 /root is then no obstacle), and once
 * more as the user if root was refused (a root-squashed network filesystem): 1 when done.
 * Either way the result is checked to lie inside our root (hostrefs.c).
 */
int enter_cwd_privileged(const struct plan *p) {
  if (chdir_inside_root(p->cwd) == 0) return 1;
  if (errno == EACCES || errno == EPERM) return 0;
  fail(OCIRT_STEP_CWD, -1, p->cwd);
}

/* Before the program: umask, cwd (unless entered already; inside the root: hostrefs.c), every fd
 * not meant for the container closed on exec. */
void prepare_exec(const struct plan *p, int in_cwd) {
  if (p->flags & OCIRT_PF_HAS_UMASK) umask(p->umask);
  if (!in_cwd) enter_cwd(p->cwd);
  if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    fail(OCIRT_STEP_CLOSE_FDS, -1, "close_range");
}

/* The last step, after the seccomp filter may be in: only execve, and a report if it fails. */
void exec_program(const struct plan *p, char *exe, size_t exelen) {
  execve(exe, p->args, p->env);
  int err = errno;
  if (!strchr(p->args[0], '/') && (err == ENOENT || err == ENOTDIR)) {
    /* the binary moved between the lookup and now (a hook?): search again */
    if (lookup(p, exe, exelen) == 0) {
      execve(exe, p->args, p->env);
      err = errno;
    }
  }
  exec_failed(p, err);
}
