/*
 * ocirt-init: the container's first process image. The addon clones a child of the (multi-threaded)
 * Node process, which can only run raw syscalls, and that child immediately execs this static stub
 * from a sealed memfd. Here we are single-threaded and own our memory, so ordinary libc is fine.
 *
 * argv: ocirt-init <sync fd> <plan fd> <exec fifo O_PATH fd, or -1> <wait-go|went>
 * "wait-go": the addon's child exec'd us at once (it shared the parent's memory), so the parent's
 * "go" (cgroup joined) is awaited here, before anything the container could observe.
 * The plan format and the sync records are described in ../plan_format.h. The order of operations
 * follows docs/design "The child's order of operations"; each failure is reported as
 * (step, errno, index, detail) on the sync socket and ends the process with exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../plan_format.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* ---------------------------------------------------------------------------------------------- */
/* reporting */

static int sync_fd = -1;

static void send_record(uint32_t type, uint32_t step, int err, int index, int pid, const char *detail) {
  if (sync_fd < 0) return;
  struct ocirt_sync_record r;
  memset(&r, 0, sizeof r);
  r.magic = OCIRT_SYNC_MAGIC;
  r.type = type;
  r.step = step;
  r.err = err;
  r.index = index;
  r.pid = pid;
  if (detail) {
    size_t n = strlen(detail);
    if (n >= sizeof r.detail) n = sizeof r.detail - 1;
    memcpy(r.detail, detail, n);
  }
  /* MSG_NOSIGNAL: the parent may be gone; dying of SIGPIPE would hide the real error. */
  while (send(sync_fd, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

/* set once READY is sent: from then on `create` has returned and nobody may read the sync socket */
static int ready_sent;

__attribute__((noreturn)) static void fail_err(uint32_t step, int err, int index, const char *detail) {
  send_record(OCIRT_MSG_ERROR, step, err, index, 0, detail);
  /* the container's stderr is then the only place a failure can still be seen */
  if (ready_sent) dprintf(2, "ocirt: container init (step %u) %s: %s\n", step, detail ? detail : "", strerror(err));
  _exit(1);
}

__attribute__((noreturn)) static void fail(uint32_t step, int index, const char *detail) {
  fail_err(step, errno, index, detail);
}

/* ---------------------------------------------------------------------------------------------- */
/* plan decoding: strings point into the mapped plan (the encoder NUL-terminates them) */

struct rd {
  const uint8_t *p, *end;
};

static void need(struct rd *r, size_t n) {
  if ((size_t)(r->end - r->p) < n) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "truncated plan");
}
static uint32_t u32(struct rd *r) {
  uint32_t v;
  need(r, 4);
  memcpy(&v, r->p, 4);
  r->p += 4;
  return v;
}
static uint64_t u64(struct rd *r) {
  uint64_t v;
  need(r, 8);
  memcpy(&v, r->p, 8);
  r->p += 8;
  return v;
}
static const char *str(struct rd *r) {
  uint32_t n = u32(r);
  need(r, (size_t)n + 1);
  const char *s = (const char *)r->p;
  if (s[n] != 0 || memchr(s, 0, n)) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "bad string in plan");
  r->p += (size_t)n + 1;
  return s;
}
static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz);
  if (!p) fail_err(OCIRT_STEP_PLAN_DECODE, ENOMEM, -1, "calloc");
  return p;
}
static uint32_t count(struct rd *r) {
  uint32_t n = u32(r);
  /* every item takes at least 4 bytes: rejects absurd counts before allocating */
  if (n > (size_t)(r->end - r->p) / 4 + 1) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "bad list length");
  return n;
}

struct mount_step {
  const char *source, *destination, *fstype, *data, *fallback;
  uint32_t flags, remount_flags, create_file, nprop, attr_set, attr_clear;
  uint32_t *prop;
};
struct device_step {
  const char *path;
  uint32_t mode, major, minor, uid, gid, bind_from_host;
};
struct rlimit_step {
  uint32_t resource;
  uint64_t soft, hard;
};

struct plan {
  uint32_t clone_flags, unshare_flags, flags, root_prop, rootfs_prop;
  const char *hostname, *domainname, *rootfs, *exec_fifo, *console_socket;
  uint32_t njoins;
  uint32_t *join_type;
  const char **join_path;
  uint32_t nmounts;
  struct mount_step *mounts;
  uint32_t ndevices;
  struct device_step *devices;
  uint32_t nsymlinks;
  const char **link, **link_target;
  uint32_t nmasked, nreadonly, nsysctls;
  const char **masked, **readonly, **sysctl_path, **sysctl_value;
  uint32_t nargs, nenv, ngids, nrlimits;
  char **args, **env;
  const char *cwd;
  uint32_t uid, gid, umask;
  int32_t oom;
  gid_t *gids;
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  struct rlimit_step *rlimits;
  uint32_t preserve_fds;
};

static const char **strlist(struct rd *r, uint32_t *n) {
  *n = count(r);
  const char **v = xcalloc(*n + 1, sizeof *v);
  for (uint32_t i = 0; i < *n; i++) v[i] = str(r);
  return v;
}

static void decode(const uint8_t *buf, size_t len, struct plan *p) {
  struct rd r = {buf, buf + len};
  need(&r, 8);
  if (memcmp(r.p, OCIRT_PLAN_MAGIC, 8) != 0) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "bad plan magic");
  r.p += 8;
  if (u32(&r) != OCIRT_PLAN_VERSION) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "plan version mismatch");
  if (u32(&r) != len) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "plan length mismatch");
  p->clone_flags = u32(&r);
  p->unshare_flags = u32(&r);
  p->flags = u32(&r);
  p->root_prop = u32(&r);
  p->rootfs_prop = u32(&r);
  p->hostname = str(&r);
  p->domainname = str(&r);
  p->rootfs = str(&r);
  p->exec_fifo = str(&r);
  p->console_socket = str(&r);

  p->njoins = count(&r);
  p->join_type = xcalloc(p->njoins, sizeof *p->join_type);
  p->join_path = xcalloc(p->njoins, sizeof *p->join_path);
  for (uint32_t i = 0; i < p->njoins; i++) {
    p->join_type[i] = u32(&r);
    p->join_path[i] = str(&r);
  }

  p->nmounts = count(&r);
  p->mounts = xcalloc(p->nmounts, sizeof *p->mounts);
  for (uint32_t i = 0; i < p->nmounts; i++) {
    struct mount_step *m = &p->mounts[i];
    m->source = str(&r);
    m->destination = str(&r);
    m->fstype = str(&r);
    m->flags = u32(&r);
    m->remount_flags = u32(&r);
    m->nprop = count(&r);
    m->prop = xcalloc(m->nprop, sizeof *m->prop);
    for (uint32_t j = 0; j < m->nprop; j++) m->prop[j] = u32(&r);
    m->data = str(&r);
    m->create_file = u32(&r);
    uint32_t has_fallback = u32(&r);
    const char *fb = str(&r);
    m->fallback = has_fallback ? fb : NULL;
    m->attr_set = u32(&r);
    m->attr_clear = u32(&r);
  }

  p->ndevices = count(&r);
  p->devices = xcalloc(p->ndevices, sizeof *p->devices);
  for (uint32_t i = 0; i < p->ndevices; i++) {
    struct device_step *d = &p->devices[i];
    d->path = str(&r);
    d->mode = u32(&r);
    d->major = u32(&r);
    d->minor = u32(&r);
    d->uid = u32(&r);
    d->gid = u32(&r);
    d->bind_from_host = u32(&r);
  }

  p->nsymlinks = count(&r);
  p->link = xcalloc(p->nsymlinks, sizeof *p->link);
  p->link_target = xcalloc(p->nsymlinks, sizeof *p->link_target);
  for (uint32_t i = 0; i < p->nsymlinks; i++) {
    p->link[i] = str(&r);
    p->link_target[i] = str(&r);
  }
  p->masked = strlist(&r, &p->nmasked);
  p->readonly = strlist(&r, &p->nreadonly);
  p->nsysctls = count(&r);
  p->sysctl_path = xcalloc(p->nsysctls, sizeof *p->sysctl_path);
  p->sysctl_value = xcalloc(p->nsysctls, sizeof *p->sysctl_value);
  for (uint32_t i = 0; i < p->nsysctls; i++) {
    p->sysctl_path[i] = str(&r);
    p->sysctl_value[i] = str(&r);
  }

  /* execve wants char *const[]; the strings are never written */
  p->args = (char **)strlist(&r, &p->nargs);
  p->env = (char **)strlist(&r, &p->nenv);
  p->cwd = str(&r);
  p->uid = u32(&r);
  p->gid = u32(&r);
  p->ngids = count(&r);
  p->gids = xcalloc(p->ngids, sizeof *p->gids);
  for (uint32_t i = 0; i < p->ngids; i++) p->gids[i] = u32(&r);
  p->umask = u32(&r);
  p->oom = (int32_t)u32(&r);
  p->cap_bounding = u64(&r);
  p->cap_effective = u64(&r);
  p->cap_permitted = u64(&r);
  p->cap_inheritable = u64(&r);
  p->cap_ambient = u64(&r);
  p->nrlimits = count(&r);
  p->rlimits = xcalloc(p->nrlimits, sizeof *p->rlimits);
  for (uint32_t i = 0; i < p->nrlimits; i++) {
    p->rlimits[i].resource = u32(&r);
    p->rlimits[i].soft = u64(&r);
    p->rlimits[i].hard = u64(&r);
  }
  p->preserve_fds = u32(&r);
  if (r.p != r.end) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "trailing bytes in plan");
}

/* ---------------------------------------------------------------------------------------------- */
/* helpers */

static char fdpath_buf[64];
static const char *fdpath(int fd) {
  snprintf(fdpath_buf, sizeof fdpath_buf, "/proc/self/fd/%d", fd);
  return fdpath_buf;
}

static long openat2_in_root(int root, const char *path, int flags) {
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
 * Open (O_PATH) `path` inside the rootfs, creating missing components: directories, and the last one
 * as a directory or an empty file. Each new component is created relative to an fd of its parent
 * that was itself resolved inside the root, so a symlink planted in the rootfs cannot redirect it.
 */
static int open_create_in_root(int root, const char *path, int create_file, int mode_file) {
  long fd = openat2_in_root(root, path, O_PATH);
  if (fd >= 0 || errno != ENOENT) return (int)fd;

  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, len + 1);
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
    int next;
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    /* a full re-resolution from the root keeps ".." and symlinks confined */
    char sofar[PATH_MAX];
    size_t plen = (size_t)(comp + strlen(comp) - buf);
    memcpy(sofar, buf, plen);
    sofar[plen] = 0;
    next = (int)syscall(SYS_openat2, root, sofar, &how, sizeof how);
    if (next < 0 && errno == ENOENT) {
      int r;
      if (last && create_file) {
        int f = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode_file);
        r = f < 0 ? -1 : close(f);
      } else {
        r = mkdirat(parent, comp, 0755);
      }
      if (r < 0 && errno != EEXIST) {
        close(parent);
        return -1;
      }
      next = (int)syscall(SYS_openat2, root, sofar, &how, sizeof how);
    }
    close(parent);
    if (next < 0) return -1;
    parent = next;
    if (last) return parent;
    *slash = '/';
    comp = slash + 1;
  }
}

/* Split "/a/b/c" into an O_PATH fd of "/a/b" (created) inside the root and the name "c". */
static int open_parent_in_root(int root, const char *path, char *name, size_t namelen) {
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
  if (slash == buf)
    buf[1] = 0;
  else if (slash)
    *slash = 0;
  else
    snprintf(buf, sizeof buf, "/");
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
static int bind_remount(const char *path, unsigned long flags) {
  const unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME;
  unsigned long lk = locked_flags(path);
  if (flags & atime) lk &= ~atime;
  return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | lk, NULL);
}

static int write_file_at(int dirfd, const char *path, const char *data) {
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

static int move_fd_high(int fd, int min) {
  if (fd >= min) return fd;
  int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (n < 0) return -1;
  close(fd);
  return n;
}

/* ---------------------------------------------------------------------------------------------- */
/* steps */

static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  /* Node ignores SIGPIPE and the ignore disposition survives execve: the container must not see it */
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    (void)sigaction(s, &sa, NULL); /* glibc-internal signals refuse with EINVAL: fine */
  }
  sigset_t all;
  sigemptyset(&all);
  if (sigprocmask(SIG_SETMASK, &all, NULL) < 0) fail(OCIRT_STEP_SIGNALS, -1, "sigprocmask");
}

static void do_joins(const struct plan *p) {
  for (uint32_t i = 0; i < p->njoins; i++) {
    int fd = open(p->join_path[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(OCIRT_STEP_JOIN, (int)i, p->join_path[i]);
    if (setns(fd, (int)p->join_type[i]) < 0) fail(OCIRT_STEP_JOIN, (int)i, p->join_path[i]);
    close(fd);
  }
  if (p->unshare_flags && unshare((int)p->unshare_flags) < 0) fail(OCIRT_STEP_UNSHARE, -1, "unshare");
  if (p->flags & OCIRT_PF_FORK_AFTER_JOIN) {
    pid_t c = fork();
    if (c < 0) fail(OCIRT_STEP_FORK, -1, "fork");
    if (c > 0) {
      send_record(OCIRT_MSG_PID, OCIRT_STEP_FORK, 0, -1, c, NULL);
      _exit(0);
    }
  }
}

static void do_mount_step(int root, const struct mount_step *m, int i) {
  int is_bind = (m->flags & MS_BIND) != 0;
  int create_file = m->create_file;
  /* a bind of a non-directory needs a file to mount on, whatever the planner guessed */
  if (is_bind) {
    struct stat st;
    if (stat(m->source, &st) == 0) create_file = !S_ISDIR(st.st_mode);
  }
  int fd = open_create_in_root(root, m->destination, create_file, 0644);
  if (fd < 0) fail(OCIRT_STEP_MOUNT_TARGET, i, m->destination);

  const char *data = m->data[0] ? m->data : NULL;
  const char *fstype = m->fstype[0] ? m->fstype : NULL;
  /* the kernel ignores MS_RDONLY & co. on a plain bind: those go to the remount below */
  int rc = mount(m->source, fdpath(fd), fstype, m->flags, data);
  int bound_fallback = 0;
  if (rc < 0 && m->fallback && (errno == EPERM || errno == EBUSY || errno == EINVAL)) {
    rc = mount(m->fallback, fdpath(fd), NULL, MS_BIND | MS_REC, NULL);
    bound_fallback = 1;
  }
  if (rc < 0) fail(OCIRT_STEP_MOUNT, i, m->destination);
  close(fd);

  /* the O_PATH fd names the directory under the new mount: reopen to get the mount's root */
  fd = (int)openat2_in_root(root, m->destination, O_PATH);
  if (fd < 0) fail(OCIRT_STEP_MOUNT_TARGET, i, m->destination);

  unsigned long remount = m->remount_flags;
  if (bound_fallback && !remount) remount = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if ((is_bind || bound_fallback) && remount) {
    if (bind_remount(fdpath(fd), remount) < 0) fail(OCIRT_STEP_MOUNT_REMOUNT, i, m->destination);
  }
  for (uint32_t j = 0; j < m->nprop; j++) {
    if (mount(NULL, fdpath(fd), NULL, m->prop[j], NULL) < 0) fail(OCIRT_STEP_MOUNT_PROPAGATION, i, m->destination);
  }
  if (m->attr_set || m->attr_clear) {
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = m->attr_set;
    a.attr_clr = m->attr_clear;
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
      fail(OCIRT_STEP_MOUNT_SETATTR, i, m->destination);
  }
  close(fd);
}

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

static int console_connect(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail(OCIRT_STEP_CONSOLE_CONNECT, -1, path);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a.sun_path) {
    errno = ENAMETOOLONG;
    fail(OCIRT_STEP_CONSOLE_CONNECT, -1, path);
  }
  strcpy(a.sun_path, path);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) fail(OCIRT_STEP_CONSOLE_CONNECT, -1, path);
  return s;
}

static void setup_console(int sock) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail(OCIRT_STEP_CONSOLE, -1, "/dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(OCIRT_STEP_CONSOLE, -1, "unlockpt");
  /* TIOCGPTPEER opens the slave through the master: no lookup of /dev/pts/N by name */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) fail(OCIRT_STEP_CONSOLE, -1, "TIOCGPTPEER");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail(OCIRT_STEP_CONSOLE, -1, "TIOCSCTTY");
  for (int i = 0; i < 3; i++)
    if (dup3(slave, i, 0) < 0) fail(OCIRT_STEP_CONSOLE, -1, "dup3");
  if (slave > 2) close(slave);

  char name[] = "/dev/ptmx";
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) fail(OCIRT_STEP_CONSOLE, -1, "sendmsg console socket");
  close(master);
  close(sock);
}

static int cap_last = 40;

static void read_cap_last(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char b[16] = {0};
  if (read(fd, b, sizeof b - 1) > 0) cap_last = atoi(b);
  close(fd);
}

static void capset3(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  d[0].effective = (uint32_t)eff;
  d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)prm;
  d[1].permitted = (uint32_t)(prm >> 32);
  d[0].inheritable = (uint32_t)inh;
  d[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &h, d) < 0) fail(OCIRT_STEP_CAPABILITIES, -1, "capset");
}

static void current_caps(uint64_t *eff, uint64_t *prm, uint64_t *inh) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) fail(OCIRT_STEP_CAPABILITIES, -1, "capget");
  *eff = d[0].effective | ((uint64_t)d[1].effective << 32);
  *prm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
  *inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
}

static void set_credentials(const struct plan *p) {
  /* bounding first: dropping needs CAP_SETPCAP, which a non-root uid no longer has effective */
  for (int c = 0; c <= cap_last && c < 64; c++) {
    if (p->cap_bounding & (1ull << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      char d[32];
      snprintf(d, sizeof d, "cap %d", c);
      fail(OCIRT_STEP_CAP_BOUNDING, c, d);
    }
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(OCIRT_STEP_CAPABILITIES, -1, "PR_SET_KEEPCAPS");

  /* with setgroups denied (rootless) an empty list is the only possible state: not an error */
  if (syscall(SYS_setgroups, (size_t)p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
    fail(OCIRT_STEP_SETGROUPS, -1, "setgroups");
  if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0) fail(OCIRT_STEP_SETGID, -1, "setresgid");
  if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0) fail(OCIRT_STEP_SETUID, -1, "setresuid");

  /* after a uid change effective is empty: restore it so CAP_SETPCAP allows the final capset */
  uint64_t eff, prm, inh;
  current_caps(&eff, &prm, &inh);
  capset3(prm, prm, inh);
  capset3(p->cap_effective, p->cap_permitted, p->cap_inheritable);

  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail(OCIRT_STEP_CAP_AMBIENT, -1, "clear ambient");
  for (int c = 0; c <= cap_last && c < 64; c++) {
    if (!(p->cap_ambient & (1ull << c))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
      char d[32];
      snprintf(d, sizeof d, "cap %d", c);
      fail(OCIRT_STEP_CAP_AMBIENT, c, d);
    }
  }
  if ((p->flags & OCIRT_PF_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    fail(OCIRT_STEP_NO_NEW_PRIVS, -1, "PR_SET_NO_NEW_PRIVS");
}

static const char *env_path(const struct plan *p) {
  for (uint32_t i = 0; i < p->nenv; i++)
    if (strncmp(p->env[i], "PATH=", 5) == 0) return p->env[i] + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/*
 * PATH lookup like execvpe, as a check before READY: `create` can then fail on a missing binary.
 * Returns 0 and the path in out, or an errno.
 */
static int lookup(const struct plan *p, char *out, size_t outlen) {
  const char *a0 = p->args[0];
  if (strchr(a0, '/')) {
    snprintf(out, outlen, "%s", a0);
    return 0;
  }
  if (!*a0) return ENOENT;
  int err = ENOENT;
  const char *s = env_path(p);
  for (;;) {
    const char *e = strchr(s, ':');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 0)
      snprintf(out, outlen, "%s", a0); /* empty PATH entry means the cwd */
    else
      snprintf(out, outlen, "%.*s/%s", (int)n, s, a0);
    struct stat st;
    if (stat(out, &st) == 0) {
      if (S_ISREG(st.st_mode)) return 0;
      err = EACCES;
    } else if (errno == EACCES) {
      err = EACCES;
    }
    if (!e) break;
    s = e + 1;
  }
  return err;
}

__attribute__((noreturn)) static void exec_failed(const struct plan *p, int err) {
  /* after READY nobody may be reading the sync socket any more: stderr is the only sure channel */
  dprintf(2, "ocirt: exec \"%s\": %s\n", p->args[0], strerror(err));
  send_record(OCIRT_MSG_ERROR, OCIRT_STEP_EXEC, err, -1, 0, p->args[0]);
  _exit(127);
}

int main(int argc, char **argv) {
  if (argc != 5) return 126;
  /*
   * Before waiting for "go": nobody may ptrace or read us meanwhile. Not in a new user namespace:
   * there the parent still has to write our /proc/<pid>/uid_map, which a non-dumpable process's
   * /proc hands to root (the re-exec'd image sets it below, after the maps).
   */
  if (strcmp(argv[4], "wait-go") == 0) (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  sync_fd = atoi(argv[1]);
  int plan_fd = atoi(argv[2]);
  int fifo = atoi(argv[3]);
  if (strcmp(argv[4], "wait-go") == 0 || strcmp(argv[4], "wait-go-reexec") == 0) {
    char go[8];
    ssize_t n;
    do n = read(sync_fd, go, sizeof go);
    while (n < 0 && errno == EINTR);
    if (n <= 0 || go[0] != OCIRT_SYNC_GO) _exit(127); /* the parent gave up */
  }
  if (strcmp(argv[4], "wait-go-reexec") == 0) {
    /*
     * We were exec'd in a new user namespace before its maps existed, which dropped our
     * capabilities. Now our ids are its root: exec'ing ourselves again restores them. The fds
     * have no CLOEXEC yet; /proc is still the host's.
     */
    char *again[] = {argv[0], argv[1], argv[2], argv[3], (char *)"went", NULL};
    char *envp[] = {NULL};
    execve("/proc/self/exe", again, envp);
    fail(OCIRT_STEP_SPAWN_EXEC, -1, "/proc/self/exe");
  }
  if (fifo >= 0) (void)fcntl(fifo, F_SETFD, FD_CLOEXEC);
  /* both came without CLOEXEC across our own exec; they must not reach the container */
  (void)fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
  if (fcntl(plan_fd, F_SETFD, FD_CLOEXEC) < 0) fail(OCIRT_STEP_PLAN_READ, -1, "plan fd");

  /* exec through a memfd names us "memfd:ocirt-ini": give ps and tests a readable name */
  (void)prctl(PR_SET_NAME, "ocirt-init", 0, 0, 0);
  reset_signals();
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(OCIRT_STEP_DUMPABLE, -1, "PR_SET_DUMPABLE");

  struct stat st;
  if (fstat(plan_fd, &st) < 0) fail(OCIRT_STEP_PLAN_READ, -1, "fstat plan");
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, plan_fd, 0);
  if (map == MAP_FAILED) fail(OCIRT_STEP_PLAN_READ, -1, "mmap plan");
  close(plan_fd);
  struct plan pl;
  memset(&pl, 0, sizeof pl);
  decode(map, (size_t)st.st_size, &pl);
  const struct plan *p = &pl;

  /* keep the sync fd out of the way of the preserved fds and the stdio dup3s below */
  sync_fd = move_fd_high(sync_fd, 3 + (int)p->preserve_fds);
  if (sync_fd < 0) fail(OCIRT_STEP_PREPARE, -1, "move sync fd");

  do_joins(p);

  if (setsid() < 0 && errno != EPERM) fail(OCIRT_STEP_SETSID, -1, "setsid");

  if ((p->flags & OCIRT_PF_HAS_HOSTNAME) && sethostname(p->hostname, strlen(p->hostname)) < 0)
    fail(OCIRT_STEP_HOSTNAME, -1, p->hostname);
  if ((p->flags & OCIRT_PF_HAS_DOMAINNAME) && setdomainname(p->domainname, strlen(p->domainname)) < 0)
    fail(OCIRT_STEP_DOMAINNAME, -1, p->domainname);

  read_cap_last();
  int min_fd = 3 + (int)p->preserve_fds;
  /* host /proc and the fifo must be reachable after pivot_root, which hides both paths */
  int hostproc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (hostproc < 0) fail(OCIRT_STEP_PREPARE, -1, "/proc");
  hostproc = move_fd_high(hostproc, min_fd);
  if ((p->flags & OCIRT_PF_HAS_EXEC_FIFO) && fifo < 0) {
    fifo = open(p->exec_fifo, O_PATH | O_CLOEXEC);
    if (fifo < 0) fail(OCIRT_STEP_EXEC_FIFO, -1, p->exec_fifo);
  }
  if (fifo >= 0) fifo = move_fd_high(fifo, min_fd);
  int console = -1;
  if ((p->flags & OCIRT_PF_TERMINAL) && (p->flags & OCIRT_PF_HAS_CONSOLE)) {
    console = move_fd_high(console_connect(p->console_socket), min_fd);
  }

  int no_mntns = (p->flags & OCIRT_PF_NO_MOUNT_NS) != 0;
  /*
   * pivot_root refuses a shared new root or parent (EINVAL), and an unbindable rootfs cannot be
   * bound onto itself: with those, the tree is private while it is built and gets the requested
   * propagation once it is the container's root.
   */
  uint32_t late_prop = p->root_prop & (MS_SHARED | MS_UNBINDABLE);
  if (!no_mntns) {
    uint32_t setup_prop = late_prop ? MS_PRIVATE : p->root_prop;
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

  for (uint32_t i = 0; i < p->nmounts; i++) do_mount_step(root, &p->mounts[i], (int)i);
  mode_t old_umask = umask(0);
  for (uint32_t i = 0; i < p->ndevices; i++) do_device(root, &p->devices[i], (int)i);
  umask(old_umask);
  for (uint32_t i = 0; i < p->nsymlinks; i++) do_symlink(root, p->link[i], p->link_target[i], (int)i);

  if (fchdir(root) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, p->rootfs);
  if (no_mntns) {
    /* the mounts are the host's: change nothing, only the process's root */
    if (chroot(".") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "chroot");
  } else if (p->flags & OCIRT_PF_NO_PIVOT) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "MS_MOVE");
    if (chroot(".") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "chroot");
  } else {
    /* new and old root stacked on "."; the old one ends up on top and is detached */
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "pivot_root");
    /* an unmount must not propagate back to the host if "/" was shared */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "make old root slave");
    if (umount2(".", MNT_DETACH) < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "umount old root");
  }
  if (chdir("/") < 0) fail(OCIRT_STEP_PIVOT_ROOT, -1, "chdir /");
  close(root);

  /*
   * Sysctls before masked/readonly paths (design.md lists them after): /proc/sys is normally among
   * the readonly paths and writes through it would then fail with EROFS.
   */
  for (uint32_t i = 0; i < p->nsysctls; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/proc/sys/%s", p->sysctl_path[i]);
    if (write_file_at(AT_FDCWD, path, p->sysctl_value[i]) < 0) fail(OCIRT_STEP_SYSCTL, (int)i, path);
  }

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
  for (uint32_t i = 0; i < p->nrlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (prlimit(0, p->rlimits[i].resource, &rl, NULL) < 0) fail(OCIRT_STEP_RLIMIT, (int)i, "prlimit");
  }
  if (p->flags & OCIRT_PF_HAS_OOM) {
    char v[16];
    snprintf(v, sizeof v, "%d", p->oom);
    if (write_file_at(hostproc, "self/oom_score_adj", v) < 0) fail(OCIRT_STEP_OOM_SCORE_ADJ, -1, v);
  }
  if ((p->flags & OCIRT_PF_NEW_KEYRING) && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) < 0 &&
      errno != ENOSYS)
    fail(OCIRT_STEP_KEYRING, -1, "KEYCTL_JOIN_SESSION_KEYRING");
  if (console >= 0) setup_console(console);

  /* no args: a container without a process (config.json has none); start only releases it */
  char exe[PATH_MAX];
  int lerr = p->nargs ? lookup(p, exe, sizeof exe) : 0;
  if (lerr) fail_err(OCIRT_STEP_EXEC_LOOKUP, lerr, -1, p->args[0]);

  send_record(OCIRT_MSG_READY, OCIRT_STEP_NONE, 0, -1, 0, NULL);
  ready_sent = 1;

  if (fifo >= 0) {
    char path[64];
    snprintf(path, sizeof path, "self/fd/%d", fifo);
    /* blocks until `start` opens the fifo for reading */
    int w;
    do w = openat(hostproc, path, O_WRONLY | O_CLOEXEC);
    while (w < 0 && errno == EINTR);
    if (w < 0) fail(OCIRT_STEP_EXEC_FIFO, -1, p->exec_fifo);
    if (write(w, "0", 1) != 1) fail(OCIRT_STEP_EXEC_FIFO, -1, p->exec_fifo);
    /*
     * The write end stays open (CLOEXEC) until the execve: `start` reads on to end-of-file and so
     * returns once the user's program runs (or this process died), as runc's start does. A kill
     * right after start then reaches the program, not an init about to exec it.
     */
    (void)move_fd_high(w, min_fd);
    close(fifo);
  }
  close(hostproc);
  if (p->nargs == 0) _exit(0);

  set_credentials(p);
  if (p->flags & OCIRT_PF_HAS_UMASK) umask(p->umask);
  if (chdir(p->cwd) < 0) fail(OCIRT_STEP_CWD, -1, p->cwd);
  if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    fail(OCIRT_STEP_CLOSE_FDS, -1, "close_range");

  execve(exe, p->args, p->env);
  int err = errno;
  if (!strchr(p->args[0], '/') && (err == ENOENT || err == ENOTDIR)) {
    /* the binary moved between the lookup and now (a hook?): search again */
    if (lookup(p, exe, sizeof exe) == 0) {
      execve(exe, p->args, p->env);
      err = errno;
    }
  }
  exec_failed(p, err);
}
