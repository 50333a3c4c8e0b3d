/* Namespaces joined by path, the ones unshared after them, and the UTS names. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Joining a pid namespace only affects children: fork once more. CLONE_PARENT makes the runtime
 * (our parent) the child's parent, so that it can wait for the child's exit status, and can open
 * its pidfd without a race: nobody else can reap it. The parent here only reports the child's pid
 * (as its own pid namespace, the runtime's, sees it) and exits.
 */
void fork_into_pid_namespace(void) {
  long c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
  if (c < 0) fail(OCIRT_STEP_FORK, -1, "fork");
  if (c > 0) {
    send_record(OCIRT_MSG_PID, OCIRT_STEP_FORK, 0, -1, (int)c, NULL);
    _exit(0);
  }
}

/*
 * A new user namespace after namespaces joined by path (they were joined with the runtime's
 * privileges, which the new user namespace would not have over them). The parent writes the maps:
 * the init cannot map more than its own id. unshare gave us every capability in the new namespace;
 * our ids are the host's, unmapped there until we take the namespace's root ones (files we create
 * would otherwise fail with EOVERFLOW), which keeps the capabilities: the old ids were not its root.
 */
static void enter_new_user_namespace(void) {
  if (unshare(CLONE_NEWUSER) < 0) fail(OCIRT_STEP_UNSHARE, -1, "unshare(CLONE_NEWUSER)");
  send_record(OCIRT_MSG_USERNS, OCIRT_STEP_NONE, 0, -1, 0, NULL);
  char go[8];
  ssize_t n;
  do n = read(sync_fd, go, sizeof go);
  while (n < 0 && errno == EINTR);
  /* the parent gave up (writing the maps failed): it reports that itself */
  if (n <= 0 || go[0] != OCIRT_SYNC_GO) _exit(1);
  if (setresgid(0, 0, 0) < 0) fail(OCIRT_STEP_USERNS_MAPS, -1, "setresgid(0)");
  if (setresuid(0, 0, 0) < 0) fail(OCIRT_STEP_USERNS_MAPS, -1, "setresuid(0)");
}

void join_namespaces(const struct plan *p) {
  for (uint32_t i = 0; i < p->njoins; i++) {
    int fd = open(p->join_path[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(OCIRT_STEP_JOIN, (int)i, p->join_path[i]);
    if (setns(fd, (int)p->join_type[i]) < 0) fail(OCIRT_STEP_JOIN, (int)i, p->join_path[i]);
    close(fd);
  }
  uint32_t rest = p->unshare_flags;
  if (rest & CLONE_NEWUSER) {
    enter_new_user_namespace();
    rest &= ~(uint32_t)CLONE_NEWUSER;
  }
  if (rest && unshare((int)rest) < 0) fail(OCIRT_STEP_UNSHARE, -1, "unshare");
  if (p->flags & OCIRT_PF_FORK_AFTER_JOIN) fork_into_pid_namespace();
}

void set_uts_names(const struct plan *p) {
  if ((p->flags & OCIRT_PF_HAS_HOSTNAME) && sethostname(p->hostname, strlen(p->hostname)) < 0)
    fail(OCIRT_STEP_HOSTNAME, -1, p->hostname);
  if ((p->flags & OCIRT_PF_HAS_DOMAINNAME) && setdomainname(p->domainname, strlen(p->domainname)) < 0)
    fail(OCIRT_STEP_DOMAINNAME, -1, p->domainname);
}
