/* Per-process settings made while the init still holds its privileges, and its stdio. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Before masked/readonly paths (design.md lists them after): /proc/sys is normally among the
 * readonly paths and writes through it would then fail with EROFS.
 */
void write_sysctls(const struct plan *p) {
  for (uint32_t i = 0; i < p->nsysctls; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "sys/%s", p->sysctl_path[i]);
    /* through the procfs handle: the container's own /proc may have anything mounted over it */
    if (procfs_write(path, p->sysctl_value[i]) < 0) {
      snprintf(path, sizeof path, "/proc/sys/%s", p->sysctl_path[i]);
      fail(OCIRT_STEP_SYSCTL, (int)i, path);
    }
  }
}

void set_process_attributes(const struct plan *p) {
  for (uint32_t i = 0; i < p->nrlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (prlimit(0, p->rlimits[i].resource, &rl, NULL) < 0) fail(OCIRT_STEP_RLIMIT, (int)i, "prlimit");
  }
  if (p->flags & OCIRT_PF_HAS_OOM) {
    char v[16];
    snprintf(v, sizeof v, "%d", p->oom);
    int fd = procfs_open_self("oom_score_adj", O_WRONLY);
    if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v)) fail(OCIRT_STEP_OOM_SCORE_ADJ, -1, v);
    close(fd);
  }
  if ((p->flags & OCIRT_PF_NEW_KEYRING) && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) < 0 && errno != ENOSYS)
    fail(OCIRT_STEP_KEYRING, -1, "KEYCTL_JOIN_SESSION_KEYRING");
}

void reopen_dev_null_stdio(void) {
  struct stat null_st, st;
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) return; /* no /dev/null in this container: its stdio stays as given */
  if (fstat(fd, &null_st) < 0 || !S_ISCHR(null_st.st_mode)) {
    close(fd);
    return;
  }
  for (int i = 0; i < 3; i++) {
    if (fstat(i, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev) (void)dup3(fd, i, 0);
  }
  close(fd);
}
