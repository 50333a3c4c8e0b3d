/*
 * The container's root filesystem: the rootfs bound onto itself, the config's mounts in order
 * (mounts.c), devices and /dev symlinks, the cwd, pivot_root (or MS_MOVE + chroot, or only chroot
 * without a mount namespace), then masked and readonly paths.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
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
    /* an identical node already there (e.g. from the image) is fine */
    if (errno != EEXIST || fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        (st.st_mode & S_IFMT) != (d->mode & S_IFMT) || st.st_rdev != makedev(d->major, d->minor)) {
      if (errno == 0) errno = EEXIST;
      fail(OCIRT_STEP_DEVICE, i, d->path);
    }
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


/*
 * pivot_root refuses a shared new root or parent (EINVAL), and an unbindable rootfs cannot be
 * bound onto itself: with those, the tree is private while it is built and gets the requested
 * propagation once it is the container's root (finish_rootfs).
 */
static uint32_t late_propagation(const struct plan *p) {
  return p->root_prop & (MS_SHARED | MS_UNBINDABLE);
}

int prepare_rootfs(const struct plan *p, int min_fd) {
  int no_mntns = (p->flags & OCIRT_PF_NO_MOUNT_NS) != 0;
  uint32_t late_prop = late_propagation(p);
  /* what "/" gets while the tree is built; mounts the runtime opened are given the same */
  uint32_t setup_prop = no_mntns ? 0 : late_prop ? MS_PRIVATE : p->root_prop;
  if (!no_mntns) {
    /* recursive whatever the planner said: a non-recursive change would leave submounts shared */
    if (setup_prop && mount(NULL, "/", NULL, setup_prop | MS_REC, NULL) < 0)
      fail(OCIRT_STEP_ROOT_PROPAGATION, -1, "/");
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

void finish_rootfs(const struct plan *p) {
  int no_mntns = (p->flags & OCIRT_PF_NO_MOUNT_NS) != 0;
  uint32_t late_prop = late_propagation(p);
  for (uint32_t i = 0; i < p->nmasked; i++) {
    const char *m = p->masked[i];
    struct stat ms;
    if (stat(m, &ms) < 0) {
      if (errno == ENOENT) continue;
      fail(OCIRT_STEP_MASKED_PATH, (int)i, m);
    }
    int rc = S_ISDIR(ms.st_mode) ? mount("tmpfs", m, "tmpfs", MS_RDONLY, NULL)
                                 : mount("/dev/null", m, NULL, MS_BIND, NULL);
    if (rc < 0) fail(OCIRT_STEP_MASKED_PATH, (int)i, m);
  }
  for (uint32_t i = 0; i < p->nreadonly; i++) {
    const char *r = p->readonly[i];
    if (mount(r, r, NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue;
      fail(OCIRT_STEP_READONLY_PATH, (int)i, r);
    }
    if (bind_remount(r, MS_RDONLY) < 0) fail(OCIRT_STEP_READONLY_PATH, (int)i, r);
  }
  if ((p->flags & OCIRT_PF_READONLY_ROOT) && bind_remount("/", MS_RDONLY) < 0)
    fail(OCIRT_STEP_READONLY_ROOT, -1, "/");
  /* last mount operation: an unbindable tree refuses the binds of masked and readonly paths */
  if (!no_mntns && late_prop && mount(NULL, "/", NULL, late_prop | MS_REC, NULL) < 0)
    fail(OCIRT_STEP_ROOT_PROPAGATION, -1, "/ (after pivot_root)");
}
