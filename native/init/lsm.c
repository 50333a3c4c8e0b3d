/*
 * LSM labels (the AppArmor profile, SELinux exec and keyring labels): attribute writes the runtime
 * planned (src/lsm/), made through the init's procfs handle (procfs.c: a procfs instance of its
 * own, made before the container's mounts) and checked at each step, so that a /proc the
 * container controls cannot take or redirect them (the class of runc's CVE-2025-52881): the
 * handle must be a procfs, the attribute is opened below it without crossing a mount or following
 * a magic link, and what was opened must be a procfs file.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

struct lsm_write {
  uint32_t when;
  const char *attr, *value;
};
static struct lsm_write *writes;
static uint32_t nwrites;

void decode_lsm(struct rd *r) {
  nwrites = rd_count(r);
  writes = xcalloc(nwrites, sizeof *writes);
  for (uint32_t i = 0; i < nwrites; i++) {
    writes[i].when = rd_u32(r);
    writes[i].attr = rd_str(r);
    writes[i].value = rd_str(r);
  }
}

static int is_procfs(int fd) {
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* The attribute file `attr` of this thread, opened for writing below proc; -1 and errno. */
static int open_attr(int proc, const char *attr) {
  if (!is_procfs(proc)) {
    errno = EXDEV;
    return -1;
  }
  char path[128];
  if ((size_t)snprintf(path, sizeof path, "thread-self/%s", attr) >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd;
  do fd = syscall(SYS_openat2, proc, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0) return -1;
  struct stat st;
  if (!is_procfs((int)fd) || fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close((int)fd);
    errno = EXDEV;
    return -1;
  }
  return (int)fd;
}

void write_lsm_labels(int proc, uint32_t when) {
  for (uint32_t i = 0; i < nwrites; i++) {
    const struct lsm_write *w = &writes[i];
    if (w->when != when) continue;
    int fd = open_attr(proc, w->attr);
    if (fd < 0) fail(OCIRT_STEP_LSM_LABEL, (int)i, w->attr);
    size_t n = strlen(w->value);
    ssize_t done = write(fd, w->value, n);
    int err = done < 0 ? errno : EIO;
    close(fd);
    if (done != (ssize_t)n) fail_err(OCIRT_STEP_LSM_LABEL, err, (int)i, w->attr);
  }
}
