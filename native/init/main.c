/*
 * ocirt-init: the container's first process image. The addon clones a child of the (multi-threaded)
 * Node process, which can only run raw syscalls, and that child immediately execs this static stub
 * from a sealed memfd. Here we are single-threaded and own our memory, so ordinary libc is fine.
 *
 * argv: ocirt-init <sync fd> <plan fd> <exec fifo O_PATH fd, or -1> <wait-go|wait-go-reexec|went>
 * "wait-go": the addon's child exec'd us at once (it shared the parent's memory), so the parent's
 * "go" (id maps written) is awaited here, before anything the container could observe.
 * The plan format and the sync records are described in ../plan_format.h. main() below is the
 * order of operations (design.md "The child's order of operations"; init.h lists which file does
 * what); each failure is reported as (step, errno, index, detail) on the sync socket and ends the
 * process with exit status 1.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* Blocks until `start` opens the exec fifo for reading; returns our end (open until the execve). */
static int wait_for_start(const struct plan *p, int fifo, int min_fd) {
  int w = procfs_reopen_own_fd(fifo, O_WRONLY);
  if (w < 0) fail(OCIRT_STEP_EXEC_FIFO, -1, p->exec_fifo);
  if (write(w, "0", 1) != 1) fail(OCIRT_STEP_EXEC_FIFO, -1, p->exec_fifo);
  /*
   * The write end stays open (CLOEXEC) until the execve: `start` reads on to end-of-file and so
   * returns once the user's program runs (or this process died), as runc's start does. A kill
   * right after start then reaches the program, not an init about to exec it. A failure before
   * the execve is written there for `start` to report (report_to_start).
   */
  w = move_fd_high(w, min_fd);
  close(fifo);
  return w;
}

/*
 * The create kind: the container's first process. Namespaces, the root filesystem, then READY;
 * `create` returns while this waits on the exec fifo for `start`.
 */
static __attribute__((noreturn)) void create_kind(struct plan *p, int fifo, int console, int min_fd) {
  /* 2. namespaces */
  join_namespaces(p);
  /* a procfs handle of our own (procfs.c) for every write to /proc: made here, in the container's
     pid namespace, before its mounts; the fifo must be reachable after pivot_root too */
  procfs_open_handle(min_fd);
  enter_time_namespace();
  if (setsid() < 0 && errno != EPERM) fail(OCIRT_STEP_SETSID, -1, "setsid");
  /* 3. UTS, and the network namespace from the inside */
  set_uts_names(p);
  setup_network(p);

  read_cap_last();
  if ((p->flags & OCIRT_PF_HAS_EXEC_FIFO) && fifo < 0) {
    fifo = open(p->exec_fifo, O_PATH | O_CLOEXEC);
    if (fifo < 0) fail(OCIRT_STEP_EXEC_FIFO, -1, p->exec_fifo);
  }
  if (fifo >= 0) fifo = move_fd_high(fifo, min_fd);

  /* 4. the root filesystem; sysctls between pivot_root and the readonly paths (process.c says why) */
  int root = prepare_rootfs(p, min_fd);
  /* the runtime's prestart and createRuntime hooks, then createContainer: mounts made, no pivot yet */
  run_create_hooks();
  pivot_into_rootfs(p, root);
  write_sysctls(p);
  finish_rootfs(p);

  /* 5. per-process settings while privileged, and the terminal; the keyring gets its label */
  write_lsm_labels(procfs_handle(), OCIRT_LSM_BEFORE_KEYRING);
  set_process_attributes(p);
  set_scheduling();
  set_personality();
  set_memory_policy();
  if (console >= 0) setup_console(p, console);
  reopen_dev_null_stdio();

  /* no args: a container without a process (config.json has none); start only releases it */
  char exe[PATH_MAX];
  int lerr = p->nargs ? lookup(p, exe, sizeof exe) : 0;
  if (lerr) fail_err(OCIRT_STEP_EXEC_LOOKUP, lerr, -1, p->args[0]);
  if (p->nargs) {
    /* what would fail after `start` fails `create` instead, as with runc */
    check_credentials(p, seccomp_kept_caps());
    set_default_home(p);
    precheck_cwd(p->cwd);
  }

  /* with SCMP_ACT_NOTIFY the listener fd must reach the runtime, which reads only until READY */
  install_seccomp(OCIRT_SECCOMP_BEFORE_READY);
  send_record(OCIRT_MSG_READY, OCIRT_STEP_NONE, 0, -1, 0, NULL);
  ready_sent = 1;

  /* 6. create returns here; startContainer hooks once `start` released us */
  if (fifo >= 0) start_report_fd = wait_for_start(p, fifo, min_fd);
  run_start_hooks();
  if (p->nargs == 0) _exit(0);

  /*
   * 7. confinement and credentials, then the program. The LSM label first (it takes effect at
   * execve; AppArmor refuses some transitions once no_new_privs is set); seccomp last, so that
   * only execve runs under the filter. Without no_new_privs installing it needs CAP_SYS_ADMIN:
   * the planner then has us keep it in the effective and permitted sets until then. It never
   * reaches the program: execve computes the new sets afresh, from the bounding set for root
   * and the ambient set for any other uid, and the plan's sets decide both. The cwd is entered
   * while still privileged (runc: a 0700 directory of root's works for another uid).
   */
  write_lsm_labels(procfs_handle(), OCIRT_LSM_BEFORE_EXEC);
  procfs_close_handle();
  int in_cwd = enter_cwd_privileged(p);
  set_credentials(p, seccomp_kept_caps());
  prepare_exec(p, in_cwd);
  install_seccomp(OCIRT_SECCOMP_LAST);
  exec_program(p, exe, sizeof exe);
}

/*
 * The exec kind: a further process of a running container. It joins the container (setns through
 * the init's pidfd, the fork into its pid namespace), takes the process's settings and execs. No
 * READY: the runtime reads the sync socket to its end, which the execve closes (CLOEXEC), or to a
 * failure record. Non-dumpable throughout, and the only fds it holds besides the container's
 * stdio and preserved fds are its own, CLOEXEC, closed before the program runs.
 */
static __attribute__((noreturn)) void exec_kind(struct plan *p, int pidfd, int console, int rootfd, int min_fd) {
  read_cap_last();
  /*
   * a procfs of our own (procfs.c), for oom_score_adj and the LSM attributes, made before we join:
   * the container's /proc is its own to shape
   */
  procfs_open_handle(min_fd);
  join_container(pidfd, rootfd);
  /* then stages 5 and 7 of the create kind, in the same order */
  write_lsm_labels(procfs_handle(), OCIRT_LSM_BEFORE_KEYRING);
  set_process_attributes(p);
  set_scheduling();
  set_personality();
  set_memory_policy();
  if (console >= 0) setup_console(p, console);
  char exe[PATH_MAX];
  int lerr = lookup(p, exe, sizeof exe);
  if (lerr) fail_err(OCIRT_STEP_EXEC_LOOKUP, lerr, -1, p->args[0]);
  check_credentials(p, seccomp_kept_caps());
  set_default_home(p);
  /* a SCMP_ACT_NOTIFY listener goes to the runtime, which reads the sync socket to its end */
  install_seccomp(OCIRT_SECCOMP_BEFORE_READY);
  write_lsm_labels(procfs_handle(), OCIRT_LSM_BEFORE_EXEC);
  procfs_close_handle();
  int in_cwd = enter_cwd_privileged(p);
  set_credentials(p, seccomp_kept_caps());
  prepare_exec(p, in_cwd);
  install_seccomp(OCIRT_SECCOMP_LAST);
  exec_program(p, exe, sizeof exe);
}

/*
 * Every fd from `from` up, except ours: a runtime started with leaked fds (engines leak them) must
 * not carry them into the container, and not even hold them while it joins it (a leaked directory
 * fd reachable as /proc/self/fd/N could become the process's cwd: CVE-2024-21626).
 */
static void close_leaked_fds(int from, int keep_a, int keep_b) {
  int keep[2] = {keep_a < keep_b ? keep_a : keep_b, keep_a < keep_b ? keep_b : keep_a};
  unsigned lo = (unsigned)from;
  for (int i = 0; i < 2; i++) {
    if (keep[i] < from) continue;
    if ((unsigned)keep[i] > lo && syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0) < 0)
      fail(OCIRT_STEP_CLOSE_FDS, -1, "close_range");
    if ((unsigned)keep[i] + 1 > lo) lo = (unsigned)keep[i] + 1;
  }
  if (syscall(SYS_close_range, lo, ~0U, 0) < 0) fail(OCIRT_STEP_CLOSE_FDS, -1, "close_range");
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
  decode_plan(map, (size_t)st.st_size, &pl);
  struct plan *p = &pl;

  /* keep our own fds out of the way of the preserved fds and the stdio dup3s below */
  int min_fd = 3 + (int)p->preserve_fds;
  sync_fd = move_fd_high(sync_fd, min_fd);
  if (sync_fd < 0) fail(OCIRT_STEP_PREPARE, -1, "move sync fd");
  if (fifo >= 0) fifo = move_fd_high(fifo, min_fd);
  close_leaked_fds(min_fd, sync_fd, fifo);

  /* the runtime's descriptors, in the order of ../plan_format.h */
  int want_console = (p->flags & OCIRT_PF_TERMINAL) && (p->flags & OCIRT_PF_HAS_CONSOLE);
  int nexec = exec_fd_count();
  int nmounts = mount_source_count();
  int nfds = nexec + want_console + nmounts;
  if (nfds > OCIRT_SYNC_MAX_FDS) fail_err(OCIRT_STEP_RECV_FDS, E2BIG, nfds, "descriptors from the runtime");
  int fds[OCIRT_SYNC_MAX_FDS];
  if (nfds) recv_fds(fds, nfds);
  for (int i = 0; i < nfds; i++) fds[i] = move_fd_high(fds[i], min_fd);
  int k = 0;
  int pidfd = is_exec_kind() ? fds[k++] : -1;
  int console = want_console ? fds[k++] : -1;
  int rootfd = k < nexec + want_console ? fds[k++] : -1;
  set_mount_sources(fds + k, nmounts);

  if (is_exec_kind()) exec_kind(p, pidfd, console, rootfd, min_fd);
  create_kind(p, fifo, console, min_fd);
}
