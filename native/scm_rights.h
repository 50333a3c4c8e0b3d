/*
 * One sendmsg carrying descriptors (SCM_RIGHTS): the init stub's records and console master, the
 * addon's "go" with the runtime's descriptors and the seccomp listener's hand-over. C and C++; no
 * allocation (the control buffer is on the stack), so the init stub may call it anywhere.
 */
#ifndef OCIRT_SCM_RIGHTS_H
#define OCIRT_SCM_RIGHTS_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "plan_format.h"

/* sendmsg(sock, data, fds) with MSG_NOSIGNAL, retried on EINTR: its result, or -1 with errno
   (EINVAL for more than OCIRT_SYNC_MAX_FDS descriptors) */
static inline ssize_t scm_send(int sock, const void *data, size_t len, const int *fds, int nfds) {
  if (nfds < 1 || nfds > OCIRT_SYNC_MAX_FDS) {
    errno = EINVAL;
    return -1;
  }
  struct iovec iov;
  iov.iov_base = (void *)data;
  iov.iov_len = len;
  union {
    char buf[CMSG_SPACE(sizeof(int) * OCIRT_SYNC_MAX_FDS)];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

#endif
