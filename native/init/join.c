/*
 * The exec kind: a process that joins a running container instead of making one. The runtime
 * opened the container init's pidfd and checked its identity; setns through that pidfd enters
 * every namespace at once (the user namespace first, by the kernel's own ordering), and a pid that
 * was recycled meanwhile cannot be joined. No mounts, no pivot_root: the mount namespace's root is
 * the container's root, and setns makes it our root and cwd.
 */
#include "init.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

static struct {
  int present;
  uint32_t ns_flags, flags;
} exec_section;

void decode_exec_section(struct rd *r) {
  exec_section.present = 1;
  exec_section.ns_flags = rd_u32(r);
  exec_section.flags = rd_u32(r);
}

int is_exec_kind(void) { return exec_section.present; }

int exec_fd_count(void) { return exec_section.present ? 1 + ((exec_section.flags & OCIRT_EXEC_CHROOT) != 0) : 0; }

void join_container(int pidfd, int rootfd) {
  if (exec_section.ns_flags && setns(pidfd, (int)exec_section.ns_flags) < 0)
    fail(OCIRT_STEP_JOIN, -1, "the container's namespaces (setns through the init's pidfd)");
  close(pidfd);
  if (rootfd >= 0) {
    /* no mount namespace of its own: the container is its init's root directory in ours */
    if (fchdir(rootfd) < 0 || chroot(".") < 0) fail(OCIRT_STEP_JOIN, -1, "the init's root directory");
    close(rootfd);
  }
  if (exec_section.ns_flags & CLONE_NEWPID) fork_into_pid_namespace();
  /* after the fork: a pty can only become the controlling terminal of a session leader */
  if (setsid() < 0) fail(OCIRT_STEP_SETSID, -1, "setsid");
}
