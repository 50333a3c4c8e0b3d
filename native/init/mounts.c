/*
 * The config's mounts, one at a time, in order: the target resolved inside the rootfs (a dangling
 * symlink on the way is created at its target there) and opened, the mount made onto that open
 * target, never by a path a container could swap meanwhile; then what the planner asked beyond
 * mount(2) (section OCIRT_SECTION_MOUNT_EXTRAS): a source the runtime opened before the user
 * namespace existed (attached with move_mount), the mode of the directory a tmpfs covers, tmpcopyup,
 * read-only applied after those or after the devices (/dev).
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

struct mount_extra {
  uint32_t index, flags;
  int fd; /* OCIRT_MX_SOURCE_FD: the detached mount the runtime sent with "go" */
};
static struct mount_extra *extras;
static uint32_t nextras;
/* mounts made read-only after the devices: their O_PATH fds */
static int *late_ro;
static uint32_t nlate_ro;

void decode_mount_extras(struct rd *r) {
  nextras = rd_count(r);
  extras = xcalloc(nextras, sizeof *extras);
  late_ro = xcalloc(nextras, sizeof *late_ro);
  for (uint32_t i = 0; i < nextras; i++) {
    extras[i].index = rd_u32(r);
    extras[i].flags = rd_u32(r);
    extras[i].fd = -1;
  }
}

int mount_source_count(void) {
  int n = 0;
  for (uint32_t i = 0; i < nextras; i++) n += (extras[i].flags & OCIRT_MX_SOURCE_FD) != 0;
  return n;
}

void set_mount_sources(const int *fds, int n) {
  int k = 0;
  for (uint32_t i = 0; i < nextras && k < n; i++)
    if (extras[i].flags & OCIRT_MX_SOURCE_FD) extras[i].fd = fds[k++];
}

/* The runtime's fds must not outlive the setup, whatever happens to their mounts. */
void close_mount_sources(void) {
  for (uint32_t i = 0; i < nextras; i++)
    if (extras[i].fd >= 0) {
      close(extras[i].fd);
      extras[i].fd = -1;
    }
}

static const struct mount_extra *extra_for(uint32_t index) {
  for (uint32_t i = 0; i < nextras; i++)
    if (extras[i].index == index) return &extras[i];
  return NULL;
}

/* Does the source (a path, or the runtime's detached mount) need a file to be mounted on? */
static int source_is_file(const struct mount_step *m, const struct mount_extra *x) {
  struct stat st;
  if (x && (x->flags & OCIRT_MX_SOURCE_FD)) return fstat(x->fd, &st) == 0 && !S_ISDIR(st.st_mode);
  if ((m->flags & MS_BIND) && stat(m->source, &st) == 0) return !S_ISDIR(st.st_mode);
  return m->create_file;
}

void mount_one(int root, const struct mount_step *m, int i, uint32_t setup_prop) {
  const struct mount_extra *x = extra_for((uint32_t)i);
  uint32_t xf = x ? x->flags : 0;
  int is_bind = (m->flags & MS_BIND) != 0;

  /* the mode of what the mount will cover, if it exists (runc keeps it on a tmpfs) */
  mode_t covered_mode = 0;
  int covered = 0;
  if (xf & OCIRT_MX_KEEP_MODE) {
    int probe = (int)openat2_in_root(root, m->destination, O_PATH);
    struct stat st;
    if (probe >= 0 && fstat(probe, &st) == 0) {
      covered = 1;
      covered_mode = st.st_mode & 07777;
    }
    if (probe >= 0) close(probe);
  }

  int fd;
  if (needs_ordinary_dir((uint32_t)i)) {
    fd = open_ordinary_dir_in_root(root, m->destination);
    if (fd < 0) {
      char d[OCIRT_DETAIL_LEN];
      snprintf(d, sizeof d, "%s (%s must be mounted on an ordinary directory, not through a symlink)", m->destination,
               m->fstype);
      fail(OCIRT_STEP_MOUNT_TARGET, i, d);
    }
  } else {
    fd = open_create_in_root(root, m->destination, source_is_file(m, x), 0644);
    if (fd < 0) fail(OCIRT_STEP_MOUNT_TARGET, i, m->destination);
  }
  /* fd keeps naming the directory under the new mount: what tmpcopyup copies from */

  int rc;
  int bound_fallback = 0;
  if (xf & OCIRT_MX_SOURCE_FD) {
    rc = (int)syscall(SYS_move_mount, x->fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    if (rc < 0) fail(OCIRT_STEP_MOUNT_ATTACH, i, m->destination);
  } else {
    const char *data = m->data[0] ? m->data : NULL;
    const char *fstype = m->fstype[0] ? m->fstype : NULL;
    unsigned long flags = m->flags;
    if (xf & (OCIRT_MX_RDONLY_AFTER | OCIRT_MX_RDONLY_LAST)) flags &= ~(unsigned long)MS_RDONLY;
    /* the kernel ignores MS_RDONLY & co. on a plain bind: those go to the remount below */
    rc = mount(m->source, fdpath(fd), fstype, flags, data);
    if (rc < 0 && m->fallback && (errno == EPERM || errno == EBUSY || errno == EINVAL)) {
      rc = mount(m->fallback, fdpath(fd), NULL, MS_BIND | MS_REC, NULL);
      bound_fallback = 1;
    }
    if (rc < 0) fail(OCIRT_STEP_MOUNT, i, m->destination);
  }

  /* reopened: the fd above names the directory under the new mount, this one the mount's root */
  int mnt = (int)openat2_in_root(root, m->destination, O_PATH);
  if (mnt < 0) fail(OCIRT_STEP_MOUNT_TARGET, i, m->destination);

  /*
   * A detached copy keeps its source's peer group: a shared host mount would stay shared with the
   * host. Give it the propagation "/" got, as a mount(2) bind in this namespace would have had.
   */
  if ((xf & OCIRT_MX_SOURCE_FD) && setup_prop && mount(NULL, fdpath(mnt), NULL, setup_prop | MS_REC, NULL) < 0)
    fail(OCIRT_STEP_MOUNT_PROPAGATION, i, m->destination);

  if (xf & OCIRT_MX_COPYUP) {
    char lower[64];
    snprintf(lower, sizeof lower, "/proc/self/fd/%d", fd);
    int from = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int to = from < 0 ? -1 : open(fdpath(mnt), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (to < 0 || copy_tree(from, to, 0) < 0) fail(OCIRT_STEP_MOUNT_COPYUP, i, m->destination);
    close(from);
    close(to);
  }
  close(fd);

  if (covered && chmod(fdpath(mnt), covered_mode) < 0) fail(OCIRT_STEP_MOUNT_MODE, i, m->destination);

  unsigned long remount = m->remount_flags;
  if (bound_fallback && !remount) remount = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if ((is_bind || bound_fallback || (xf & OCIRT_MX_SOURCE_FD)) && remount) {
    if (bind_remount(fdpath(mnt), remount) < 0) fail(OCIRT_STEP_MOUNT_REMOUNT, i, m->destination);
  }
  if ((xf & OCIRT_MX_RDONLY_AFTER) && bind_remount(fdpath(mnt), MS_RDONLY) < 0)
    fail(OCIRT_STEP_MOUNT_REMOUNT, i, m->destination);
  for (uint32_t j = 0; j < m->nprop; j++) {
    if (mount(NULL, fdpath(mnt), NULL, m->prop[j], NULL) < 0) fail(OCIRT_STEP_MOUNT_PROPAGATION, i, m->destination);
  }
  if (m->attr_set || m->attr_clear) {
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = m->attr_set;
    a.attr_clr = m->attr_clear;
    if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
      fail(OCIRT_STEP_MOUNT_SETATTR, i, m->destination);
  }
  if (xf & OCIRT_MX_RDONLY_LAST) {
    late_ro[nlate_ro++] = mnt;
    return;
  }
  close(mnt);
}

/* After the devices and symlinks: the mounts that had to stay writable for them (/dev). */
void finish_mounts(const struct plan *p) {
  for (uint32_t k = 0; k < nlate_ro; k++) {
    if (bind_remount(fdpath(late_ro[k]), MS_RDONLY) < 0) {
      int idx = -1;
      for (uint32_t i = 0, n = 0; i < nextras; i++)
        if ((extras[i].flags & OCIRT_MX_RDONLY_LAST) && n++ == k) idx = (int)extras[i].index;
      fail(OCIRT_STEP_MOUNT_REMOUNT, idx, idx >= 0 ? p->mounts[idx].destination : "");
    }
    close(late_ro[k]);
  }
  nlate_ro = 0;
}
