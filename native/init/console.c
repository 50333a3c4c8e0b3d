/* process.terminal: a pty made inside the container, its master sent over the console socket. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* process.consoleSize (section OCIRT_SECTION_CONSOLE_SIZE): the pty's size before the program runs */
static int has_size;
static struct winsize size;

void decode_console_size(struct rd *r) {
  has_size = 1;
  memset(&size, 0, sizeof size);
  size.ws_row = (unsigned short)rd_u32(r);
  size.ws_col = (unsigned short)rd_u32(r);
}

int console_connect(const char *path) {
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

void setup_console(int sock) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail(OCIRT_STEP_CONSOLE, -1, "/dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(OCIRT_STEP_CONSOLE, -1, "unlockpt");
  if (has_size && ioctl(master, TIOCSWINSZ, &size) < 0) fail(OCIRT_STEP_CONSOLE, -1, "TIOCSWINSZ");
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

