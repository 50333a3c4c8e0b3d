/*
 * The container's root filesystem: the rootfs bound onto itself, the config's mounts in order
 * (mounts.c), devices and /dev symlinks, the cwd, pivot_root (or MS_MOVE + chroot, or only chroot
 * without a mount namespace), then masked and readonly paths.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void do_device(int root, const struct device_step *d, int i) {
  char name[NAME_MAX + 1];
  if (d->bind_from_host) {
    int fd = open_create_in_root(root, d->path, 1, 0644);
    if (fd < 0) fail(OCIRT_STEP_DEVICE, i, d->path);
    if (mount(d->path, fdpath(fd), NULL, MS_BIND, NULL) < 0) fail(OCIRT_STEP_DEVICE, i, d->path);
    close(fd);
    return;
  }
  int dir = open_parent_in_root(root, d->path, name, sizeof name);
  if (dir < 0) fail(OCIRT_STEP_DEVICE, i, d->path);
  if (mknodat(dir, name, d->mode, makedev(d->major, d->minor)) < 0) {
    struct stat st;
    /*
     * An identical node already there (from the image) is used as it is, as runc does: never
     * chown or chmod a node we did not make. It may be the host's own, reached through a bind
     * mount of a host directory, and the config would then change the host's device.
     */
    if (errno != EEXIST || fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        (st.st_mode & S_IFMT) != (d->mode & S_IFMT) || st.st_rdev != makedev(d->major, d->minor)) {
      if (errno == 0) errno = EEXIST;
      fail(OCIRT_STEP_DEVICE, i, d->path);
    }
    close(dir);
    return;
  }
  if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) fail(OCIRT_STEP_DEVICE, i, d->path);
  /* mknod applied the umask */
  if (fchmodat(dir, name, d->mode & 07777, 0) < 0) fail(OCIRT_STEP_DEVICE, i, d->path);
  close(dir);
}

static void do_symlink(int root, const char *link, const char *target, int i) {
  char name[NAME_MAX + 1];
  int dir = open_parent_in_root(root, link, name, sizeof name);
  if (dir < 0) fail(OCIRT_STEP_SYMLINK, i, link);
  if (symlinkat(target, dir, name) < 0 && errno != EEXIST) fail(OCIRT_STEP_SYMLINK, i, link);
  close(dir);
}

/* A mountinfo path field: octal escapes (\040 for a space...) decoded in place. */
static void unescape(char *s) {
  char *o = s;
  for (char *i = s; *i; i++) {
    if (i[0] == '\\' && i[1] >= '0' && i[1] <= '7' && i[2] >= '0' && i[2] <= '7' && i[3] >= '0' && i[3] <= '7') {
      *o++ = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
      i += 3;
    } else {
      *o++ = *i;
    }
  }
  *o = 0;
}

static int deeper_first(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t la = strlen(x), lb = strlen(y);
  return la < lb ? 1 : la > lb ? -1 : strcmp(x, y);
}

/*
 * --no-pivot: the rootfs is moved onto "/" and chrooted into, so the host's mounts stay in this
 * mount namespace, unreachable by path but still counted by the kernel when a user namespace
 * made inside the container asks to mount a fresh procfs or sysfs (it may, if a fully visible one
 * is already mounted). That procfs would have none of the container's masked and read-only paths.
 * Every procfs and sysfs outside the rootfs is therefore unmounted, or, where the kernel refuses
 * (mounts locked in a user namespace), covered with an empty read-only tmpfs, as runc does.
 */
static void hide_host_proc_sys(const char *rootfs) {
  int fd = procfs_open_self("mountinfo", O_RDONLY);
  if (fd < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "mountinfo");
  size_t cap = 1 << 16, len = 0;
  char *buf = xcalloc(cap, 1);
  for (;;) {
    if (len + 1 >= cap) {
      char *bigger = xcalloc(cap * 2, 1);
      memcpy(bigger, buf, len);
      free(buf);
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "mountinfo");
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;

  size_t rlen = strlen(rootfs), n = 0;
  char **points = xcalloc(len / 16 + 1, sizeof *points);
  for (char *line = buf, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    /* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
    char *f[5] = {0};
    char *save = NULL, *tok = strtok_r(line, " ", &save);
    for (int k = 0; k < 5 && tok; k++, tok = strtok_r(NULL, " ", &save)) f[k] = tok;
    while (tok && strcmp(tok, "-") != 0) tok = strtok_r(NULL, " ", &save);
    char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
    if (!f[4] || !fstype || (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0)) continue;
    unescape(f[4]);
    if (strncmp(f[4], rootfs, rlen) == 0 && (f[4][rlen] == '/' || f[4][rlen] == 0)) continue;
    points[n++] = f[4];
  }
  qsort(points, n, sizeof *points, deeper_first);
  for (size_t i = 0; i < n; i++) {
    /* several mounts may be stacked on one point (a procfs over the host's): each point once */
    if (i > 0 && strcmp(points[i], points[i - 1]) == 0) continue;
    while (umount2(points[i], MNT_DETACH) == 0) {}
    struct statfs sf;
    if (statfs(points[i], &sf) < 0) {
      if (errno == ENOENT) continue; /* went with a mount above it */
      fail(OCIRT_STEP_PIVOT_ROOT, -1, points[i]);
    }
    if (sf.f_type != PROC_SUPER_MAGIC && sf.f_type != SYSFS_MAGIC) continue;
    if (mount("tmpfs", points[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,nr_inodes=1") < 0)
      fail(OCIRT_STEP_PIVOT_ROOT, -1, points[i]);
  }
  free(points);
  free(buf);
}

/*
 * pivot_root refuses a shared new root or parent (EINVAL), and an unbindable rootfs cannot be
 * bound onto itself: with those, the tree is private while it is built and gets the requested
 * propagation once it is the container's root (finish_rootfs).
 */
static uint32_t late_propagation(const struct plan *p) { return p->root_prop & (MS_SHARED | MS_UNBINDABLE); }

int prepare_rootfs(const struct plan *p, int min_fd) {
  int no_mntns = (p->flags & OCIRT_PF_NO_MOUNT_NS) != 0;
  uint32_t late_prop = late_propagation(p);
  /* what "/" gets while the tree is built; mounts the runtime opened are given the same */
  uint32_t setup_prop = no_mntns ? 0 : late_prop ? MS_PRIVATE : p->root_prop;
  if (!no_mntns) {
    /* recursive whatever the planner said: a non-recursive change would leave submounts shared */
    if (setup_prop && mount(NULL, "/", NULL, setup_prop | MS_REC, NULL) < 0) fail(OCIRT_STEP_ROOT_PROPAGATION, -1, "/");
    if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) fail(OCIRT_STEP_ROOTFS_BIND, -1, p->rootfs);
    if (p->rootfs_prop && mount(NULL, p->rootfs, NULL, p->rootfs_prop, NULL) < 0)
      fail(OCIRT_STEP_ROOTFS_PROPAGATION, -1, p->rootfs);
  }
  int root = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) fail(OCIRT_STEP_ROOTFS_BIND, -1, p->rootfs);
  root = move_fd_high(root, min_fd);

  for (uint32_t i = 0; i < p->nmounts; i++) mount_one(root, &p->mounts[i], (int)i, setup_prop);
  close_mount_sources();
  mode_t old_umask = umask(0);
  for (uint32_t i = 0; i < p->ndevices; i++) do_device(root, &p->devices[i], (int)i);
  umask(old_umask);
  for (uint32_t i = 0; i < p->nsymlinks; i++) do_symlink(root, p->link[i], p->link_target[i], (int)i);
  /* runc creates a missing cwd (as root, before the root is made read-only) */
  if (p->flags & OCIRT_PF_CREATE_CWD) {
    int cwd = open_create_in_root(root, p->cwd, 0, 0);
    if (cwd < 0) fail(OCIRT_STEP_CREATE_CWD, -1, p->cwd);
    close(cwd);
  }
  finish_mounts(p);
  return root;
}

void pivot_into_rootfs(const struct plan *p, int root) {
  int no_mntns = (p->flags & OCIRT_PF_NO_MOUNT_NS) != 0;
  if (fchdir(root) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, p->rootfs);
  if (no_mntns) {
    /* the mounts are the host's: change nothing, only the process's root */
    if (chroot(".") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "chroot");
  } else if (p->flags & OCIRT_PF_NO_PIVOT) {
    hide_host_proc_sys(p->rootfs);
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "MS_MOVE");
    if (chroot(".") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "chroot");
  } else {
    /*
     * New and old root stacked on "."; the old one ends up on top and is detached. The cwd stays
     * the new root, and mount(2) on "." would not look past it (only umount2 does): the old root
     * is reached through an fd of it, as runc does, or making it slave would change the
     * container's own mounts (their shared propagation was lost that way).
     */
    int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (oldroot < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "open old root");
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "pivot_root");
    if (fchdir(oldroot) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "fchdir old root");
    close(oldroot);
    /* an unmount must not propagate back to the host if "/" was shared */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "make old root slave");
    if (umount2(".", MNT_DETACH) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "umount old root");
  }
  if (chdir("/") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "chdir /");
  close(root);
}

/*
 * The null device that masks files: the container's /dev/null, reached without a symlink and
 * checked to be the character device 1:3, then bound from that fd (open_tree + move_mount), never
 * by name. Were /dev/null a symlink (an image, or a /dev volume the container controls) to, say,
 * /proc/sys/fs/lease-break-time, a bind "of /dev/null" would make the masked path a writable bind
 * of that host sysctl: runc's CVE-2025-31133.
 */
static int null_device(int index) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/dev/null", &how, sizeof how);
  const char *why =
      "/dev/null (masked files are bound from the null device: it must be the device node itself, not a symlink)";
  if (fd < 0) fail(OCIRT_STEP_MASKED_PATH, index, why);
  struct stat st;
  if (fstat(fd, &st) < 0) fail(OCIRT_STEP_MASKED_PATH, index, why);
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) fail_err(OCIRT_STEP_MASKED_PATH, ENODEV, index, why);
  return fd;
}

static int bind_fd_onto(int fd, const char *target) {
  int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) return -1;
  int rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
  int e = errno;
  close(tree);
  errno = e;
  return rc;
}

void finish_rootfs(const struct plan *p) {
  int no_mntns = (p->flags & OCIRT_PF_NO_MOUNT_NS) != 0;
  uint32_t late_prop = late_propagation(p);
  int devnull = -1;
  for (uint32_t i = 0; i < p->nmasked; i++) {
    const char *m = p->masked[i];
    struct stat ms;
    if (stat(m, &ms) < 0) {
      if (errno == ENOENT) continue;
      fail(OCIRT_STEP_MASKED_PATH, (int)i, m);
    }
    int rc;
    if (S_ISDIR(ms.st_mode)) {
      rc = mount("tmpfs", m, "tmpfs", MS_RDONLY, NULL);
    } else {
      if (devnull < 0) devnull = null_device((int)i);
      rc = bind_fd_onto(devnull, m);
    }
    if (rc < 0) fail(OCIRT_STEP_MASKED_PATH, (int)i, m);
  }
  if (devnull >= 0) close(devnull);
  for (uint32_t i = 0; i < p->nreadonly; i++) {
    const char *r = p->readonly[i];
    if (mount(r, r, NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue;
      fail(OCIRT_STEP_READONLY_PATH, (int)i, r);
    }
    if (bind_remount(r, MS_RDONLY) < 0) fail(OCIRT_STEP_READONLY_PATH, (int)i, r);
  }
  if ((p->flags & OCIRT_PF_READONLY_ROOT) && bind_remount("/", MS_RDONLY) < 0) fail(OCIRT_STEP_READONLY_ROOT, -1, "/");
  /* last mount operation: an unbindable tree refuses the binds of masked and readonly paths */
  if (!no_mntns && late_prop && mount(NULL, "/", NULL, late_prop | MS_REC, NULL) < 0)
    fail(OCIRT_STEP_ROOT_PROPAGATION, -1, "/ (after pivot_root)");
}
