/*
 * tmpcopyup: the tree a new tmpfs covers, copied into it (podman --read-only puts it on /tmp, /run
 * and /var/tmp). The source is the container's own image: every name is opened relative to its
 * directory's fd without following symlinks, so nothing in it can point the copy elsewhere.
 * Directories, regular files, symlinks, fifos, sockets and device nodes are copied with their
 * owner, mode and times (hard links become separate files, as with runc).
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_DEPTH 128

static int copy_data(int in, int out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      off += w;
    }
  }
}

/* owner, then mode (chown clears set-id bits), then times (the writes above changed mtime) */
static int set_meta(int dir, const char *name, const struct stat *st) {
  if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) return -1;
  if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0) return -1;
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  return utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW);
}

int copy_tree(int from, int to, int depth) {
  if (depth > MAX_DEPTH) {
    errno = ELOOP;
    return -1;
  }
  int dfd = dup(from);
  if (dfd < 0) return -1;
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
    struct stat st;
    if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      rc = -1;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, n, 0700) < 0 && errno != EEXIST) rc = -1;
      int sub = rc ? -1 : openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int dsub = sub < 0 ? -1 : openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dsub < 0 || copy_tree(sub, dsub, depth + 1) < 0) rc = -1;
      if (sub >= 0) close(sub);
      if (dsub >= 0) close(dsub);
    } else if (S_ISREG(st.st_mode)) {
      int in = openat(from, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      int out = in < 0 ? -1 : openat(to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (out < 0 || copy_data(in, out) < 0) rc = -1;
      if (in >= 0) close(in);
      if (out >= 0) close(out);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t tl = readlinkat(from, n, target, sizeof target - 1);
      if (tl < 0) rc = -1;
      else {
        target[tl] = 0;
        if (symlinkat(target, to, n) < 0) rc = -1;
      }
    } else if (mknodat(to, n, st.st_mode & (S_IFMT | 0600), st.st_rdev) < 0) {
      rc = -1;
    }
    if (rc == 0 && set_meta(to, n, &st) < 0) rc = -1;
  }
  if (rc == 0 && errno != 0) rc = -1;
  int e2 = errno;
  closedir(d);
  errno = e2;
  return rc;
}
