/* Failure and progress records to the parent, on the sync socket (struct ocirt_sync_record). */
#include "init.h"
#include "../scm_rights.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_fd = -1;
int ready_sent;
int start_report_fd = -1;

/*
 * The steps that can fail after READY, in the words of src/container/init-errors.ts: nobody reads
 * the sync socket any more, so these failures go to the container's stderr and to `start`.
 */
static const char *after_ready(uint32_t step) {
  switch (step) {
    case OCIRT_STEP_EXEC_FIFO:
      return "wait on the exec fifo";
    case OCIRT_STEP_SETGROUPS:
      return "set additional groups";
    case OCIRT_STEP_SETGID:
      return "set gid";
    case OCIRT_STEP_SETUID:
      return "set uid";
    case OCIRT_STEP_CAP_BOUNDING:
      return "drop capabilities from the bounding set";
    case OCIRT_STEP_CAPABILITIES:
      return "set capabilities";
    case OCIRT_STEP_CAP_AMBIENT:
      return "raise ambient capabilities";
    case OCIRT_STEP_NO_NEW_PRIVS:
      return "set no_new_privs";
    case OCIRT_STEP_CWD:
      return "change to the working directory";
    case OCIRT_STEP_CLOSE_FDS:
      return "close inherited file descriptors";
    default:
      return NULL;
  }
}

void send_record(uint32_t type, uint32_t step, int err, int index, int pid, const char *detail) {
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
  while (send(sync_fd, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

int send_record_fd(uint32_t type, int fd) {
  struct ocirt_sync_record r;
  memset(&r, 0, sizeof r);
  r.magic = OCIRT_SYNC_MAGIC;
  r.type = type;
  r.index = -1;
  ssize_t n = scm_send(sync_fd, &r, sizeof r, &fd, 1);
  return n == (ssize_t)sizeof r ? 0 : -1;
}

void fail_err(uint32_t step, int err, int index, const char *detail) {
  send_record(OCIRT_MSG_ERROR, step, err, index, 0, detail);
  if (ready_sent) {
    /* create has returned: `start` (if it is the one waiting) and the container's stderr are
       where a failure can still be seen */
    char msg[OCIRT_DETAIL_LEN + 96], what[32];
    const char *phrase = after_ready(step);
    if (!phrase) {
      snprintf(what, sizeof what, "step %u", step);
      phrase = what;
    }
    snprintf(msg, sizeof msg, "container init: %s%s%s: %s", phrase, detail ? " " : "", detail ? detail : "",
             errno_words(err));
    report_to_start(OCIRT_FIFO_FAILED, msg);
    dprintf(2, "ocirt: %s\n", msg);
  }
  _exit(1);
}

const char *errno_words(int err) {
  /* Go's words ("no such file or directory"), which engines match to pick exit status 127/126 */
  static char buf[128];
  snprintf(buf, sizeof buf, "%s", strerror(err));
  if (buf[0] >= 'A' && buf[0] <= 'Z') buf[0] = (char)(buf[0] - 'A' + 'a');
  return buf;
}

void fail(uint32_t step, int index, const char *detail) { fail_err(step, errno, index, detail); }

void report_to_start(char kind, const char *msg) {
  if (start_report_fd < 0) return;
  char buf[OCIRT_DETAIL_LEN + 128];
  int n = snprintf(buf, sizeof buf, "%c%s", kind, msg);
  if (n <= 0) return;
  if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
  /* one write: `start` reads until end-of-file, which comes when we exit */
  while (write(start_report_fd, buf, (size_t)n) < 0 && errno == EINTR) {}
}

/*
 * The runtime's 'F' message after "go": exactly `want` descriptors (SCM_RIGHTS, received
 * CLOEXEC), in the order ../plan_format.h gives.
 */
void recv_fds(int *fds, int want) {
  char tag = 0;
  struct iovec iov = {.iov_base = &tag, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int) * OCIRT_SYNC_MAX_FDS)];
    struct cmsghdr align;
  } u;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t n;
  do n = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) fail(OCIRT_STEP_RECV_FDS, -1, "recvmsg sync socket");
  int got = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k && got < OCIRT_SYNC_MAX_FDS; i++)
      memcpy(&fds[got++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  if (n == 0) fail_err(OCIRT_STEP_RECV_FDS, EPIPE, -1, "the runtime went away before sending descriptors");
  if (tag != OCIRT_SYNC_FDS || got != want || (msg.msg_flags & MSG_CTRUNC))
    fail_err(OCIRT_STEP_RECV_FDS, EPROTO, got, "unexpected descriptor message");
}
