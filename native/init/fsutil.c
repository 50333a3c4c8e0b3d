/* Paths inside the rootfs, resolved so that the rootfs cannot redirect them, and small file helpers. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static char fdpath_buf[64];
const char *fdpath(int fd) {
  snprintf(fdpath_buf, sizeof fdpath_buf, "/proc/self/fd/%d", fd);
  return fdpath_buf;
}

long openat2_in_root(int root, const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)flags | O_CLOEXEC;
  /* RESOLVE_IN_ROOT: symlinks and ".." inside an untrusted rootfs cannot leave it */
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do fd = syscall(SYS_openat2, root, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

/*
 * One pass of open_create_in_root over `buf`: returns the O_PATH fd, -1 with errno, or -2 after
 * rewriting `buf` because a component was a dangling symlink (the caller starts again).
 */
static int create_path_in_root(int root, char *buf, size_t bufsz, int create_file, int mode_file) {
  size_t len = strlen(buf);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
  int parent = (int)openat2_in_root(root, "/", O_PATH | O_DIRECTORY);
  if (parent < 0) return -1;
  char *comp = buf;
  for (;;) {
    while (*comp == '/') comp++;
    if (!*comp) return parent;
    char *slash = strchr(comp, '/');
    int last = slash == NULL;
    if (slash) *slash = 0;
    /* a full re-resolution from the root keeps ".." and symlinks confined */
    int next = (int)openat2_in_root(root, buf, O_PATH);
    if (next < 0 && errno == ENOENT) {
      char target[PATH_MAX];
      ssize_t tl = readlinkat(parent, comp, target, sizeof target - 1);
      if (tl > 0) {
        /* a dangling symlink: splice its target (inside the root) into the path */
        target[tl] = 0;
        char rest[PATH_MAX];
        snprintf(rest, sizeof rest, "%s", last ? "" : slash + 1);
        char out[PATH_MAX];
        int n;
        if (target[0] == '/') {
          n = snprintf(out, sizeof out, "%s/%s", target, rest);
        } else {
          comp[0] = 0; /* buf is now the parent's path, with its trailing "/" */
          n = snprintf(out, sizeof out, "%s%s/%s", buf, target, rest);
        }
        close(parent);
        if (n < 0 || (size_t)n >= sizeof out || (size_t)n >= bufsz) {
          errno = ENAMETOOLONG;
          return -1;
        }
        memcpy(buf, out, (size_t)n + 1);
        return -2;
      }
      int r;
      if (last && create_file) {
        int f = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode_file);
        r = f < 0 ? -1 : close(f);
      } else {
        r = mkdirat(parent, comp, 0755);
      }
      if (r < 0 && errno != EEXIST) {
        int e = errno;
        close(parent);
        errno = e;
        return -1;
      }
      next = (int)openat2_in_root(root, buf, O_PATH);
    }
    int e = errno;
    close(parent);
    if (next < 0) {
      errno = e;
      return -1;
    }
    parent = next;
    if (last) return parent;
    *slash = '/';
    comp = slash + 1;
  }
}

/*
 * Open (O_PATH) `path` inside the rootfs, creating missing components: directories, and the last one
 * as a directory or an empty file. Each new component is created relative to an fd of its parent
 * that was itself resolved inside the root, so a symlink planted in the rootfs cannot redirect it.
 * A dangling symlink on the way is followed as runc follows it: its target, read as a path inside
 * the root (absolute targets start at the root, ".." stops there), is created instead
 * (/var/run -> /run with no /run yet creates /run).
 */
int open_create_in_root(int root, const char *path, int create_file, int mode_file) {
  long fd = openat2_in_root(root, path, O_PATH);
  if (fd >= 0 || errno != ENOENT) return (int)fd;

  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  snprintf(buf, sizeof buf, "%s", path);
  for (int links = 0; links <= 40; links++) {
    int r = create_path_in_root(root, buf, sizeof buf, create_file, mode_file);
    if (r != -2) return r;
    /* buf now holds the path with the dangling link replaced by its target: start again */
  }
  errno = ELOOP;
  return -1;
}

/* Split "/a/b/c" into an O_PATH fd of "/a/b" (created) inside the root and the name "c". */
int open_parent_in_root(int root, const char *path, char *name, size_t namelen) {
  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, len + 1);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
  char *slash = strrchr(buf, '/');
  const char *base = slash ? slash + 1 : buf;
  if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strlen(base) >= namelen) {
    errno = EINVAL;
    return -1;
  }
  memcpy(name, base, strlen(base) + 1);
  if (slash == buf) buf[1] = 0;
  else if (slash) *slash = 0;
  else snprintf(buf, sizeof buf, "/");
  return open_create_in_root(root, buf, 0, 0);
}

static unsigned long locked_flags(const char *path) {
  struct statvfs s;
  if (statvfs(path, &s) < 0) return 0;
  unsigned long f = 0;
  if (s.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) f |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (s.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (s.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

/*
 * A bind remount inside a user namespace must repeat the flags the kernel locked on the source
 * mount (nosuid, nodev, ...) or it fails with EPERM; atime flags are only inherited when the
 * caller asked for none.
 */
int bind_remount(const char *path, unsigned long flags) {
  const unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME;
  unsigned long lk = locked_flags(path);
  if (flags & atime) lk &= ~atime;
  return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | lk, NULL);
}

int write_file_at(int dirfd, const char *path, const char *data) {
  int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
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

int move_fd_high(int fd, int min) {
  if (fd >= min) return fd;
  int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (n < 0) return -1;
  close(fd);
  return n;
}
