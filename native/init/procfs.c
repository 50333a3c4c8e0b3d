/*
 * Every write the init makes to procfs (sysctls, oom_score_adj, the exec fifo's reopen, LSM
 * attributes) goes through one handle that nobody else can reach or replace, and every file is
 * opened beneath it without following any symlink or crossing any mount. The container cannot
 * redirect such a write by what it mounts over /proc or /proc/sys (runc's CVE-2025-52881, where
 * a racing container with shared mounts swapped files under runc's writes).
 *
 * The handle: a procfs instance of our own (fsopen + fsmount: a detached mount, in no directory
 * at all), made before the container's mounts, in the container's pid namespace. Where the
 * kernel refuses that, a clone of the /proc mount (open_tree: the mount alone, without whatever
 * is mounted below it), and last /proc itself. Each is checked to be the root of a procfs.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROC_ROOT_INO 1

static int proc_fd = -1;

static int is_procfs_root(int fd) {
  struct statfs sf;
  struct stat st;
  return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC && fstat(fd, &st) == 0 && st.st_ino == PROC_ROOT_INO;
}

static int private_procfs(void) {
  int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  int mnt = -1;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  close(fs);
  return mnt;
}

void procfs_open_handle(int min_fd) {
  int fd = private_procfs();
  if (fd < 0) fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0) fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(OCIRT_STEP_PREPARE, -1, "procfs (fsopen, open_tree and /proc all failed)");
  if (!is_procfs_root(fd)) fail_err(OCIRT_STEP_PREPARE, EXDEV, -1, "/proc is not the root of a procfs");
  proc_fd = move_fd_high(fd, min_fd);
  if (proc_fd < 0) fail(OCIRT_STEP_PREPARE, -1, "procfs handle");
}

int procfs_handle(void) { return proc_fd; }

void procfs_close_handle(void) {
  if (proc_fd >= 0) close(proc_fd);
  proc_fd = -1;
}

int procfs_open(const char *rel, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd;
  do fd = syscall(SYS_openat2, proc_fd, rel, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return (int)fd;
}

/* "self" is a symlink, which procfs_open refuses: our pid as this procfs instance numbers it */
static int self_path(char *out, size_t len, const char *rel) {
  char pid[32];
  ssize_t n = readlinkat(proc_fd, "self", pid, sizeof pid - 1);
  if (n <= 0) return -1;
  pid[n] = 0;
  if ((size_t)snprintf(out, len, "%s/%s", pid, rel) >= len) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

int procfs_open_self(const char *rel, int flags) {
  char path[PATH_MAX];
  if (self_path(path, sizeof path, rel) < 0) return -1;
  return procfs_open(path, flags);
}

int procfs_write(const char *rel, const char *data) {
  int fd = procfs_open(rel, O_WRONLY);
  if (fd < 0) return -1;
  size_t n = strlen(data);
  ssize_t w = write(fd, data, n);
  int e = errno;
  close(fd);
  if (w < 0) {
    errno = e;
    return -1;
  }
  if ((size_t)w != n) {
    errno = EIO;
    return -1;
  }
  return 0;
}

int procfs_write_self(const char *rel, const char *data) {
  char path[PATH_MAX];
  if (self_path(path, sizeof path, rel) < 0) return -1;
  return procfs_write(path, data);
}

int procfs_reopen_own_fd(int fd, int flags) {
  /* the fd directory is reached like any other procfs path; its entry is the kernel's own link */
  char path[PATH_MAX];
  if (self_path(path, sizeof path, "fd") < 0) return -1;
  int dir = procfs_open(path, O_PATH | O_DIRECTORY);
  if (dir < 0) return -1;
  char name[16];
  snprintf(name, sizeof name, "%d", fd);
  int r;
  do r = openat(dir, name, flags | O_CLOEXEC);
  while (r < 0 && errno == EINTR);
  int e = errno;
  close(dir);
  errno = e;
  return r;
}
