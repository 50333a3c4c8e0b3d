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

void join_namespaces(const struct plan *p) {
  for (uint32_t i = 0; i < p->njoins; i++) {
    int fd = open(p->join_path[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(OCIRT_STEP_JOIN, (int)i, p->join_path[i]);
    if (setns(fd, (int)p->join_type[i]) < 0) fail(OCIRT_STEP_JOIN, (int)i, p->join_path[i]);
    close(fd);
  }
  if (p->unshare_flags && unshare((int)p->unshare_flags) < 0) fail(OCIRT_STEP_UNSHARE, -1, "unshare");
  if (p->flags & OCIRT_PF_FORK_AFTER_JOIN) fork_into_pid_namespace();
}


void set_uts_names(const struct plan *p) {
  if ((p->flags & OCIRT_PF_HAS_HOSTNAME) && sethostname(p->hostname, strlen(p->hostname)) < 0)
    fail(OCIRT_STEP_HOSTNAME, -1, p->hostname);
  if ((p->flags & OCIRT_PF_HAS_DOMAINNAME) && setdomainname(p->domainname, strlen(p->domainname)) < 0)
    fail(OCIRT_STEP_DOMAINNAME, -1, p->domainname);
}
