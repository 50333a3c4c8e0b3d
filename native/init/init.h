/*
 * ocirt-init's shared declarations. The stub is one program split by stage, in the order the
 * child carries them out (docs/architecture.md "The init stub, file by file"):
 *
 *   main.c        the order of operations: wait for "go", decode, then each stage below
 *   report.c      failure records on the sync socket (step, errno, plan index, detail)
 *   plan.c        the plan decoder (format: ../plan_format.h), including the optional sections
 *   fsutil.c      paths inside the rootfs (openat2 RESOLVE_IN_ROOT), remounts, small file writes
 *   namespaces.c  joins by path, unshare, the fork into a joined pid namespace, hostname
 *   join.c        the exec kind: a process that joins a running container (exec section)
 *   timens.c      a new time namespace with its clock offsets
 *   netdev.c      the loopback device up; moved network devices' addresses back, and up
 *   rootfs.c      the rootfs, devices, /dev symlinks, the cwd, pivot_root, masked and readonly paths
 *   mounts.c      the config's mounts (targets opened inside the rootfs), with copyup.c (tmpcopyup)
 *   process.c     sysctls, rlimits, oom_score_adj, the session keyring
 *   sched.c       scheduler, I/O priority, CPU affinity
 *   personality.c the execution domain
 *   mempolicy.c   the NUMA memory policy
 *   console.c     the pty (with its size) and the console socket
 *   creds.c       groups, uid/gid, the capability sets, no_new_privs; checked before READY
 *   lsm.c         LSM attribute writes (AppArmor profile, SELinux labels) through the procfs handle
 *   seccomp.c     installs the seccomp program the runtime compiled
 *   hooks.c       createContainer and startContainer hooks (plan section HOOKS)
 *   exec.c        the program lookup, HOME, the cwd, the final execve
 *   hostrefs.c    no working directory outside the container's root
 *   ordinary-dirs.c  procfs and sysfs only on an ordinary directory (plan section)
 *   procfs.c      the verified procfs handle every write to /proc goes through
 *
 * Each file's functions either succeed or report a failure with fail()/fail_err() and exit.
 */
#ifndef OCIRT_INIT_H
#define OCIRT_INIT_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../plan_format.h"

/* ---- report.c ------------------------------------------------------------------------------- */
extern int sync_fd;
/* set once READY is sent: from then on `create` has returned and nobody may read the sync socket */
extern int ready_sent;
/* exec.fifo's write end once `start` opened it: `start` reads what goes wrong before the execve */
extern int start_report_fd;
/* one failure record for `start` on the exec fifo: an OCIRT_FIFO_* byte and a one-line message */
void report_to_start(char kind, const char *msg);
void send_record(uint32_t type, uint32_t step, int err, int index, int pid, const char *detail);
/* a record of `type` that carries `fd` (SCM_RIGHTS); 0, or -1 and errno */
int send_record_fd(uint32_t type, int fd);
__attribute__((noreturn)) void fail_err(uint32_t step, int err, int index, const char *detail);
__attribute__((noreturn)) void fail(uint32_t step, int index, const char *detail);
/* strerror in lower case, as Go words it ("no such file or directory"): engines match those */
const char *errno_words(int err);
/* the runtime's descriptors after "go" (plan_format.h: the 'F' message) */
void recv_fds(int *fds, int want);

/* ---- plan.c --------------------------------------------------------------------------------- */
struct rd {
  const uint8_t *p, *end;
};
uint32_t rd_u32(struct rd *r);
uint64_t rd_u64(struct rd *r);
const char *rd_str(struct rd *r);
/* n raw bytes, in place */
const void *rd_bytes(struct rd *r, size_t n);
/* a list length, checked against the bytes left before anything is allocated */
uint32_t rd_count(struct rd *r);
const char **rd_strlist(struct rd *r, uint32_t *n);
void *xcalloc(size_t n, size_t sz);

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

void decode_plan(const uint8_t *buf, size_t len, struct plan *p);

/* ---- fsutil.c ------------------------------------------------------------------------------- */
/* "/proc/self/fd/N" in a static buffer: valid until the next call */
const char *fdpath(int fd);
long openat2_in_root(int root, const char *path, int flags);
int open_create_in_root(int root, const char *path, int create_file, int mode_file);
int open_parent_in_root(int root, const char *path, char *name, size_t namelen);
int bind_remount(const char *path, unsigned long flags);
int write_file_at(int dirfd, const char *path, const char *data);
int move_fd_high(int fd, int min);

/* ---- copyup.c ------------------------------------------------------------------------------- */
/* copies the tree under directory fd `from` into directory fd `to`; 0, or -1 with errno */
int copy_tree(int from, int to, int depth);

/* ---- mounts.c (section OCIRT_SECTION_MOUNT_EXTRAS) ------------------------------------------ */
void decode_mount_extras(struct rd *r);
/* how many mount sources the runtime sends with "go", and those fds, in the section's order */
int mount_source_count(void);
void set_mount_sources(const int *fds, int n);
/* mount i of the plan; setup_prop is the propagation "/" was given while the tree is built */
void mount_one(int root, const struct mount_step *m, int i, uint32_t setup_prop);
void close_mount_sources(void);
/* the read-only remounts that had to wait for the devices */
void finish_mounts(const struct plan *p);

/* ---- timens.c (section OCIRT_SECTION_TIME_NAMESPACE) ---------------------------------------- */
void decode_time_namespace(struct rd *r);
void enter_time_namespace(void);

/* ---- netdev.c (section OCIRT_SECTION_NET_DEVICES) ------------------------------------------- */
void decode_net_devices(struct rd *r);
void setup_network(const struct plan *p);

/* ---- sched.c (section OCIRT_SECTION_SCHEDULING) --------------------------------------------- */
void decode_scheduling(struct rd *r);
void set_scheduling(void);

/* ---- personality.c (section OCIRT_SECTION_PERSONALITY) -------------------------------------- */
void decode_personality(struct rd *r);
void set_personality(void);

/* ---- mempolicy.c (section OCIRT_SECTION_MEMORY_POLICY) -------------------------------------- */
void decode_memory_policy(struct rd *r);
void set_memory_policy(void);

/* ---- namespaces.c --------------------------------------------------------------------------- */
void join_namespaces(const struct plan *p);
void set_uts_names(const struct plan *p);
/* fork with CLONE_PARENT; the parent reports the child's pid (OCIRT_MSG_PID) and exits */
void fork_into_pid_namespace(void);

/* ---- join.c --------------------------------------------------------------------------------- */
void decode_exec_section(struct rd *r);
/* the plan is of the exec kind: join a running container instead of making one */
int is_exec_kind(void);
/* descriptors the exec kind takes from the runtime's 'F' message (pidfd, root) */
int exec_fd_count(void);
/* setns into the container through its init's pidfd (chroot when it has no mount namespace), a
 * session of its own, then the fork into its pid namespace; both fds are consumed */
void join_container(int pidfd, int rootfd);

/* ---- rootfs.c ------------------------------------------------------------------------------- */
/* the rootfs bind, the mounts, devices and symlinks, a missing cwd; returns an fd of the rootfs */
int prepare_rootfs(const struct plan *p, int min_fd);
/* pivot_root (or MS_MOVE + chroot, or only chroot) into that rootfs; the cwd is the new "/" after */
void pivot_into_rootfs(const struct plan *p, int root);
/* masked and readonly paths, the readonly root, the final propagation of "/" */
void finish_rootfs(const struct plan *p);

/* ---- process.c ------------------------------------------------------------------------------ */
void write_sysctls(const struct plan *p);
/* rlimits, oom_score_adj (through the procfs handle), the session keyring */
void set_process_attributes(const struct plan *p);
/* stdio that is /dev/null (containerd's null io passes one read-only /dev/null for all three)
   becomes the container's own /dev/null, opened read-write, as runc does */
void reopen_dev_null_stdio(void);

/* ---- console.c ------------------------------------------------------------------------------ */
void decode_console_size_section(struct rd *r);
/* a pty from the container's /dev/ptmx, made the controlling terminal and stdio, owned by the
 * process's uid; its master goes over sock (the console socket the runtime connected and
 * p->console_socket names), which is then closed */
void setup_console(const struct plan *p, int sock);

/* ---- creds.c -------------------------------------------------------------------------------- */
void read_cap_last(void);
/* fails (before READY) if set_credentials(p, keep) would */
void check_credentials(const struct plan *p, uint64_t keep);
/* the plan's credentials, plus `keep` in the effective and permitted sets (execve drops it) */
void set_credentials(const struct plan *p, uint64_t keep);

/* ---- lsm.c ---------------------------------------------------------------------------------- */
void decode_lsm(struct rd *r);
/* the attribute writes planned for `when` (enum ocirt_lsm_when), through `proc` (procfs_handle()) */
void write_lsm_labels(int proc, uint32_t when);

/* ---- seccomp.c ------------------------------------------------------------------------------ */
void decode_seccomp(struct rd *r);
/* capabilities the install needs (CAP_SYS_ADMIN without no_new_privs), held until the execve */
uint64_t seccomp_kept_caps(void);
/* installs the filter if the plan puts it at `when` (enum ocirt_seccomp_install) */
void install_seccomp(uint32_t when);

/* ---- hostrefs.c ----------------------------------------------------------------------------- */
/* before READY: refuses a cwd outside the root that can already be entered */
void precheck_cwd(const char *cwd);
/* chdir(cwd), refused if it leads outside the root */
void enter_cwd(const char *cwd);
/* chdir and the same check: 0, or -1 with chdir's errno */
int chdir_inside_root(const char *cwd);

/* ---- procfs.c ------------------------------------------------------------------------------- */
/* before the container's mounts: a procfs of our own (checked to be one), kept at >= min_fd */
void procfs_open_handle(int min_fd);
void procfs_close_handle(void);
/* the handle itself (an O_PATH fd of the procfs root), e.g. for lsm.c's attribute writes */
int procfs_handle(void);
/* `rel` beneath the handle: no symlink, no magic link, no mount crossed */
int procfs_open(const char *rel, int flags);
/* the same below our own /proc/<pid> (what "self" names), e.g. "attr/exec" */
int procfs_open_self(const char *rel, int flags);
/* writes data to `rel` (e.g. "sys/net/ipv4/ip_forward") */
int procfs_write(const char *rel, const char *data);
/* the same for a file of our own process (rel is below /proc/<our pid>/) */
int procfs_write_self(const char *rel, const char *data);
/* reopens one of our own fds through /proc/<pid>/fd (the exec fifo, as a writer) */
int procfs_reopen_own_fd(int fd, int flags);

/* ---- ordinary-dirs.c ------------------------------------------------------------------------ */
void decode_ordinary_dir_targets(struct rd *r);
/* whether plan.mounts[mount_index] must land on an ordinary directory */
int needs_ordinary_dir(uint32_t mount_index);
/* O_PATH fd of a directory reached without symlinks (created if missing), or -1 (ELOOP, ENOTDIR) */
int open_ordinary_dir_in_root(int root, const char *path);

/* ---- hooks.c ------------------------------------------------------------------------------- */
void decode_hooks(struct rd *r);
/* waits for the runtime's prestart/createRuntime hooks if asked, then runs createContainer hooks */
void run_create_hooks(void);
/* startContainer hooks; a failure is reported to `start` and ends the init */
void run_start_hooks(void);

/* ---- exec.c --------------------------------------------------------------------------------- */
/* PATH lookup like execvpe; 0 and the path in out, or an errno */
int lookup(const struct plan *p, char *out, size_t outlen);
void set_default_home(struct plan *p);
/* chdir(cwd) while still privileged: 1 done, 0 refused (EACCES/EPERM: try again as the user) */
int enter_cwd_privileged(const struct plan *p);
/* umask, cwd (unless in_cwd), fds not meant for the container marked close-on-exec */
void prepare_exec(const struct plan *p, int in_cwd);
/* execve of exe (looked up again if it moved) */
__attribute__((noreturn)) void exec_program(const struct plan *p, char *exe, size_t exelen);

#endif
