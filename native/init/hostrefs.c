/*
 * No working directory outside the container's root (the runc CVE-2024-21626 class, where a
 * leaked descriptor of the host's /sys/fs/cgroup and a process.cwd of /proc/self/fd/7 put the
 * container's cwd on the host). Leaked descriptors themselves are closed first thing (main.c).
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * 1 if the working directory lies under the root. ".." stops at the process's root only when the
 * walk starts inside it; from a directory outside it the walk goes on to the real root. So: climb
 * from the cwd until ".." leads nowhere new and compare that top with "/". (getcwd cannot decide
 * it: it also fails for a root whose directory was removed, e.g. with the bundle.)
 */
static int cwd_inside_root(void) {
  struct stat root, st, up;
  if (stat("/", &root) < 0) return 0;
  int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  int inside = 0;
  for (int depth = 0; depth < 4096; depth++) {
    if (fstat(fd, &st) < 0) break;
    int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) break;
    if (fstat(parent, &up) < 0) {
      close(parent);
      break;
    }
    close(fd);
    fd = parent;
    if (up.st_dev == st.st_dev && up.st_ino == st.st_ino) {
      inside = st.st_dev == root.st_dev && st.st_ino == root.st_ino;
      break;
    }
  }
  close(fd);
  return inside;
}

static __attribute__((noreturn)) void refuse_cwd(const char *cwd) {
  char detail[OCIRT_DETAIL_LEN];
  snprintf(detail, sizeof detail, "%s (outside the container's root)", cwd);
  fail_err(OCIRT_STEP_CWD, EPERM, -1, detail);
}

/*
 * Before READY, so that `create` already refuses a cwd that leads out of the root (a preserved
 * descriptor of a host directory named as /proc/self/fd/N). A cwd that cannot be entered yet is
 * left to the real chdir after the credentials change, which reports it.
 */
void precheck_cwd(const char *cwd) {
  if (chdir(cwd) < 0) {
    if (chdir("/") < 0) fail(OCIRT_STEP_CWD, -1, "/");
    return;
  }
  if (!cwd_inside_root()) refuse_cwd(cwd);
  if (chdir("/") < 0) fail(OCIRT_STEP_CWD, -1, "/");
}

/* chdir(cwd) and the check: 0, or -1 with chdir's errno; a cwd outside the root is a failure. */
int chdir_inside_root(const char *cwd) {
  if (chdir(cwd) < 0) return -1;
  if (!cwd_inside_root()) refuse_cwd(cwd);
  return 0;
}

/* After the real chdir, as the container's user, right before the exec. */
void enter_cwd(const char *cwd) {
  if (chdir_inside_root(cwd) < 0) fail(OCIRT_STEP_CWD, -1, cwd);
}
