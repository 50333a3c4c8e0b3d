/*
 * Shared between the addon (C++), the init stub (C) and, by hand, src/linux/encode.ts and
 * src/native.ts. Any change here must be mirrored there; the version number guards mismatches
 * between an addon and a stub built from different trees.
 *
 * ## Encoded LaunchPlan (written by encodePlan, read by ocirt-init)
 * Little-endian, no padding. Scalars: u32, i32, u64. A string is u32 byte length, the bytes, then a
 * NUL (not counted in the length) so the stub can use it in place as a C string; strings with an
 * embedded NUL are rejected by the encoder. A list is u32 count followed by the items.
 *
 *   "OCIRTPL\0"  u32 version(=1)  u32 total length of the buffer
 *   u32 cloneFlags  u32 unshareFlags  u32 flags (OCIRT_PF_*)
 *   u32 rootPropagation  u32 rootfsPropagation
 *   str hostname  str domainname  str rootfs  str execFifo  str consoleSocket (what the pty
 *     master goes to, for messages: the socket itself arrives with "go", connected by the runtime)
 *   list joins:    u32 nstype, str path
 *   list mounts:   str source, str destination, str fstype, u32 flags, u32 remountFlags,
 *                  list<u32> propagation, str data, u32 createAs (0 dir, 1 file),
 *                  u32 hasFallback, str fallbackBindSource, u32 recursiveAttrSet, u32 recursiveAttrClear
 *   list devices:  str path, u32 mode, u32 major, u32 minor, u32 uid, u32 gid, u32 bindFromHost
 *   list symlinks: str link, str target
 *   list masked:   str path
 *   list readonly: str path
 *   list sysctls:  str path, str value
 *   process: list<str> args, list<str> env, str cwd, u32 uid, u32 gid, list<u32> additionalGids,
 *            u32 umask, i32 oomScoreAdj,
 *            u64 bounding, u64 effective, u64 permitted, u64 inheritable, u64 ambient,
 *            list rlimits: u32 resource, u64 soft, u64 hard
 *            u32 preserveFds
 *   list sections: u32 tag (enum ocirt_section), u32 byte length, the bytes
 *
 * A feature beyond the core travels in a section of its own: encoded by its own TypeScript module,
 * decoded by its own file of the stub (native/init/plan.c has the table). A plan without the
 * feature has no such section.
 *
 *   SECCOMP (src/seccomp/section.ts -> native/init/seccomp.c):
 *            u32 flags (SECCOMP_FILTER_FLAG_*), u32 install (enum ocirt_seccomp_install),
 *            u64 keepCaps (held until the execve, for the install), u32 byte length, the
 *            program (struct sock_filter[], as libseccomp exported it)
 *   LSM      (src/lsm/section.ts -> native/init/lsm.c):
 *            list writes: u32 when (enum ocirt_lsm_when), str attr (below /proc/thread-self),
 *            str value
 *   EXEC     (src/linux/exec-join.ts -> native/init/join.c): the exec process kind:
 *            u32 namespaces to join through the init's pidfd (CLONE_NEW*), u32 OCIRT_EXEC_*
 *   CONSOLE_SIZE (src/linux/console-size.ts -> native/init/console.c): process.consoleSize:
 *            u32 height (rows), u32 width (columns)
 *   MOUNT_EXTRAS   (src/linux/mounts.ts -> native/init/mounts.c):
 *            list { u32 mount index, u32 flags (OCIRT_MX_*) }
 *   SCHEDULING     (src/linux/process-attrs.ts -> native/init/sched.c):
 *            u32 what (OCIRT_SCHED_*), u32 policy, u64 sched flags, i32 nice, u32 priority,
 *            u64 runtime, u64 deadline, u64 period, u32 ioprio, list<u64> final CPU mask
 *   PERSONALITY    (src/linux/process-attrs.ts -> native/init/personality.c):
 *            u32 persona (personality(2) argument)
 *   MEMORY_POLICY  (src/linux/process-attrs.ts -> native/init/mempolicy.c):
 *            u32 mode (MPOL_* | MPOL_F_*), list<u64> node mask
 *   TIME_NAMESPACE (src/linux/namespaces.ts -> native/init/timens.c):
 *            u32 offsets present (bit 0 monotonic, bit 1 boottime), i64 monotonic secs,
 *            u32 monotonic nanosecs, i64 boottime secs, u32 boottime nanosecs
 *   NET_DEVICES    (src/linux/net-devices.ts -> native/init/netdev.c):
 *            list { str name in the container, list { u32 family, u32 prefixlen, u32 ifa flags,
 *            u32 scope, 16 bytes address } }
 *
 * ## Sync socket records (SOCK_SEQPACKET, one record per message)
 * parent -> child: one message whose first byte is 'G' (id maps written: go on; the cgroups were
 *   joined by the cloned child itself, before it exec'd the stub); then,
 *   when the plan needs descriptors from the runtime, one message whose first byte is 'F' carrying
 *   them (SCM_RIGHTS), in this order: the container init's pidfd (exec section), the connected
 *   console socket (OCIRT_PF_TERMINAL with OCIRT_PF_HAS_CONSOLE), the init's root directory (exec
 *   section with OCIRT_EXEC_CHROOT), the mount sources the runtime opened (the MOUNT_EXTRAS
 *   entries with OCIRT_MX_SOURCE_FD, in their order).
 * child -> parent: struct ocirt_sync_record, always exactly 256 bytes; an OCIRT_MSG_SECCOMP_FD
 *   record carries one fd (SCM_RIGHTS). A create-kind init sends READY when set up; an exec-kind
 *   process sends none: the socket's end-of-file (its CLOEXEC end closed by the execve) says the
 *   program runs.
 */
#ifndef OCIRT_PLAN_FORMAT_H
#define OCIRT_PLAN_FORMAT_H

#include <stdint.h>

#define OCIRT_PLAN_MAGIC "OCIRTPL"
#define OCIRT_PLAN_VERSION 2u

/* flags word of the plan header */
#define OCIRT_PF_FORK_AFTER_JOIN (1u << 0)
#define OCIRT_PF_USERNS (1u << 1)
#define OCIRT_PF_NO_PIVOT (1u << 2)
#define OCIRT_PF_READONLY_ROOT (1u << 3)
#define OCIRT_PF_NEW_KEYRING (1u << 4)
#define OCIRT_PF_TERMINAL (1u << 5)
#define OCIRT_PF_HAS_UMASK (1u << 6)
#define OCIRT_PF_HAS_OOM (1u << 7)
#define OCIRT_PF_HAS_HOSTNAME (1u << 8)
#define OCIRT_PF_HAS_DOMAINNAME (1u << 9)
#define OCIRT_PF_HAS_EXEC_FIFO (1u << 10)
#define OCIRT_PF_HAS_CONSOLE (1u << 11)
#define OCIRT_PF_NO_NEW_PRIVS (1u << 12)
/* neither a new nor a joined mount namespace: no mount is touched, the init only chroots */
#define OCIRT_PF_NO_MOUNT_NS (1u << 13)
/* bring the loopback interface of a new network namespace up, as runc does */
#define OCIRT_PF_LOOPBACK_UP (1u << 14)
/* create process.cwd inside the rootfs when it is missing (runc's MkdirAll) */
#define OCIRT_PF_CREATE_CWD (1u << 15)
/* process.env has no HOME: take it from the container's /etc/passwd for the uid, else "/" */
#define OCIRT_PF_DEFAULT_HOME (1u << 16)

/* Optional plan sections. Stable numbers: append only. */
enum ocirt_section {
  OCIRT_SECTION_NONE = 0,
  OCIRT_SECTION_SECCOMP = 1,
  OCIRT_SECTION_LSM = 2,
  OCIRT_SECTION_EXEC = 3,
  OCIRT_SECTION_CONSOLE_SIZE = 4,
  OCIRT_SECTION_HOOKS = 5,           /* native/init/hooks.c <- src/linux/hooks.ts */
  OCIRT_SECTION_MOUNT_EXTRAS = 6,    /* mounts.c */
  OCIRT_SECTION_SCHEDULING = 7,      /* sched.c */
  OCIRT_SECTION_PERSONALITY = 8,     /* personality.c */
  OCIRT_SECTION_MEMORY_POLICY = 9,   /* mempolicy.c */
  OCIRT_SECTION_TIME_NAMESPACE = 10, /* timens.c */
  OCIRT_SECTION_NET_DEVICES = 11,    /* netdev.c */
  /* list<u32>: indexes of the mounts whose target must be an ordinary directory (procfs, sysfs) */
  OCIRT_SECTION_ORDINARY_DIR_TARGETS = 12,
};

/* When the seccomp filter goes in: last before execve, or (SCMP_ACT_NOTIFY) before READY, while
 * the runtime still reads the sync socket, which takes the listener fd. */
enum ocirt_seccomp_install {
  OCIRT_SECCOMP_LAST = 0,
  OCIRT_SECCOMP_BEFORE_READY = 1,
};

/* When an LSM attribute is written: before the session keyring is made, or right before execve. */
enum ocirt_lsm_when {
  OCIRT_LSM_BEFORE_KEYRING = 0,
  OCIRT_LSM_BEFORE_EXEC = 1,
};

/* flags of the exec section */
/* the container has no mount namespace of its own: chroot into the init's root (an fd with "go") */
#define OCIRT_EXEC_CHROOT (1u << 0)

/* OCIRT_SECTION_MOUNT_EXTRAS flags */
#define OCIRT_MX_KEEP_MODE (1u << 0)    /* chmod the new mount's root to the mode of the directory it covers */
#define OCIRT_MX_RDONLY_AFTER (1u << 1) /* mounted read-write, made read-only once prepared (mode, copy-up) */
#define OCIRT_MX_COPYUP (1u << 2)       /* tmpcopyup: copy what the mount covers into it */
#define OCIRT_MX_SOURCE_FD (1u << 3)   /* the runtime opened the source (a detached mount, sent with "go"): attach it */
#define OCIRT_MX_RDONLY_LAST (1u << 4) /* mounted read-write, made read-only after devices and symlinks (/dev) */

/* OCIRT_SECTION_SCHEDULING: what is set */
#define OCIRT_SCHED_POLICY (1u << 0)
#define OCIRT_SCHED_IOPRIO (1u << 1)
#define OCIRT_SCHED_AFFINITY (1u << 2)

#define OCIRT_SYNC_MAGIC 0x5452434fu /* "OCRT" */
#define OCIRT_SYNC_GO 'G'
#define OCIRT_SYNC_FDS 'F'
/* most descriptors an 'F' message carries (the kernel's SCM_MAX_FD) */
#define OCIRT_SYNC_MAX_FDS 253

enum ocirt_msg_type {
  OCIRT_MSG_READY = 1,
  OCIRT_MSG_PID = 2,
  OCIRT_MSG_ERROR = 3,
  /* carries the seccomp listener fd (SCM_RIGHTS): the runtime hands it to listenerPath */
  OCIRT_MSG_SECCOMP_FD = 4,
  /* after the mounts, before pivot_root: the parent runs the prestart and createRuntime hooks and
     answers with OCIRT_SYNC_GO (only when the plan's HOOKS section asks for it) */
  OCIRT_MSG_HOOKS = 5,
  /* the init unshared its user namespace after joining namespaces by path (CLONE_NEWUSER among
     the plan's unshare flags): the parent writes its id maps and answers with OCIRT_SYNC_GO */
  OCIRT_MSG_USERNS = 6,
};

/*
 * exec.fifo after `start` opened it: the init writes OCIRT_FIFO_READY, then keeps its end open
 * until its execve (CLOEXEC), so `start` reads to end-of-file. An init that fails in between
 * (a startContainer hook, a credential step, the execve itself) first writes one of the other
 * bytes followed by a one-line message: `start` reports it.
 */
#define OCIRT_FIFO_READY '0'
#define OCIRT_FIFO_HOOK_FAILED 'H' /* "<index>\t<path>: <why>" of a startContainer hook */
#define OCIRT_FIFO_FAILED 'E'      /* the whole message: the execve, or a step after `start` */

/* Stable numbers: src/native.ts maps them to names. Append only. */
enum ocirt_step {
  OCIRT_STEP_NONE = 0,
  OCIRT_STEP_SPAWN_GO = 1,
  OCIRT_STEP_SPAWN_SETID = 2,
  OCIRT_STEP_SPAWN_EXEC = 3,
  OCIRT_STEP_PLAN_READ = 4,
  OCIRT_STEP_PLAN_DECODE = 5,
  OCIRT_STEP_SIGNALS = 6,
  OCIRT_STEP_DUMPABLE = 7,
  OCIRT_STEP_JOIN = 8,
  OCIRT_STEP_UNSHARE = 9,
  OCIRT_STEP_FORK = 10,
  OCIRT_STEP_HOSTNAME = 11,
  OCIRT_STEP_DOMAINNAME = 12,
  OCIRT_STEP_ROOT_PROPAGATION = 13,
  OCIRT_STEP_ROOTFS_BIND = 14,
  OCIRT_STEP_ROOTFS_PROPAGATION = 15,
  OCIRT_STEP_MOUNT_TARGET = 16,
  OCIRT_STEP_MOUNT = 17,
  OCIRT_STEP_MOUNT_REMOUNT = 18,
  OCIRT_STEP_MOUNT_PROPAGATION = 19,
  OCIRT_STEP_MOUNT_SETATTR = 20,
  OCIRT_STEP_DEVICE = 21,
  OCIRT_STEP_SYMLINK = 22,
  OCIRT_STEP_CONSOLE_CONNECT = 23,
  OCIRT_STEP_PIVOT_ROOT = 24,
  OCIRT_STEP_MASKED_PATH = 25,
  OCIRT_STEP_READONLY_PATH = 26,
  OCIRT_STEP_READONLY_ROOT = 27,
  OCIRT_STEP_SYSCTL = 28,
  OCIRT_STEP_RLIMIT = 29,
  OCIRT_STEP_OOM_SCORE_ADJ = 30,
  OCIRT_STEP_KEYRING = 31,
  OCIRT_STEP_CONSOLE = 32,
  OCIRT_STEP_EXEC_FIFO = 33,
  OCIRT_STEP_SETGROUPS = 34,
  OCIRT_STEP_SETGID = 35,
  OCIRT_STEP_SETUID = 36,
  OCIRT_STEP_CAP_BOUNDING = 37,
  OCIRT_STEP_CAPABILITIES = 38,
  OCIRT_STEP_CAP_AMBIENT = 39,
  OCIRT_STEP_NO_NEW_PRIVS = 40,
  OCIRT_STEP_CWD = 41,
  OCIRT_STEP_CLOSE_FDS = 42,
  OCIRT_STEP_EXEC_LOOKUP = 43,
  OCIRT_STEP_EXEC = 44,
  OCIRT_STEP_SETSID = 45,
  OCIRT_STEP_PREPARE = 46,
  OCIRT_STEP_SECCOMP = 47,
  OCIRT_STEP_LSM_LABEL = 48,
  OCIRT_STEP_RECV_FDS = 49,
  /* the cloned child joining a cgroup v1 hierarchy through an inherited tasks fd (index: which) */
  OCIRT_STEP_SPAWN_CGROUP = 50,
  OCIRT_STEP_HOOK_WAIT = 51,
  OCIRT_STEP_CREATE_CONTAINER_HOOK = 52,
  OCIRT_STEP_START_CONTAINER_HOOK = 53,
  OCIRT_STEP_TIME_NAMESPACE = 54,
  OCIRT_STEP_SCHEDULER = 55,
  OCIRT_STEP_IOPRIO = 56,
  OCIRT_STEP_CPU_AFFINITY = 57,
  OCIRT_STEP_PERSONALITY = 58,
  OCIRT_STEP_MEMORY_POLICY = 59,
  OCIRT_STEP_NET_DEVICE = 60,
  OCIRT_STEP_LOOPBACK = 61,
  OCIRT_STEP_CAP_CHECK = 62,
  OCIRT_STEP_MOUNT_COPYUP = 63,
  OCIRT_STEP_MOUNT_ATTACH = 64,
  OCIRT_STEP_CREATE_CWD = 65,
  OCIRT_STEP_MOUNT_MODE = 66,
  OCIRT_STEP_USERNS_MAPS = 67,
};

#define OCIRT_DETAIL_LEN 232

struct ocirt_sync_record {
  uint32_t magic;
  uint32_t type;
  uint32_t step;
  int32_t err;                   /* positive errno, 0 if none */
  int32_t index;                 /* index of the failing item in its plan list, -1 if not a list item */
  int32_t pid;                   /* OCIRT_MSG_PID: the forked init, as seen from the caller's pid namespace */
  char detail[OCIRT_DETAIL_LEN]; /* NUL-terminated, truncated */
};

#ifdef __cplusplus
static_assert(sizeof(struct ocirt_sync_record) == 256, "sync record size is part of the protocol");
#else
_Static_assert(sizeof(struct ocirt_sync_record) == 256, "sync record size is part of the protocol");
#endif

#endif
