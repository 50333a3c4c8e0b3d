/*
 * process.terminal: a pty made inside the container from its own devpts instance, its master sent
 * over the console socket. The runtime connects that socket (a host path: from inside a user
 * namespace the container's ids could not), and hands it over with "go".
 */
#include "init.h"
#include "../scm_rights.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* process.consoleSize (section OCIRT_SECTION_CONSOLE_SIZE); 0 x 0: not given */
static struct winsize console_size;

void decode_console_size_section(struct rd *r) {
  console_size.ws_row = (unsigned short)rd_u32(r);
  console_size.ws_col = (unsigned short)rd_u32(r);
}

/*
 * /dev/ptmx of the container's root, which the container controls: resolved without magic links
 * (a symlink to /proc/self/fd/... must not reach a host file we hold) and accepted only if it is
 * the pty multiplexer (5:2, the devpts instance's node or a device node of it).
 */
static int open_ptmx(void) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) fail(OCIRT_STEP_CONSOLE, -1, "/");
  int master = (int)openat2_in_root(root, "/dev/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) fail(OCIRT_STEP_CONSOLE, -1, "/dev/ptmx");
  close(root);
  struct stat st;
  if (fstat(master, &st) < 0) fail(OCIRT_STEP_CONSOLE, -1, "/dev/ptmx");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
    fail_err(OCIRT_STEP_CONSOLE, ENOTTY, -1, "/dev/ptmx (not the pty multiplexer)");
  return master;
}

void setup_console(const struct plan *p, int sock) {
  int master = open_ptmx();
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(OCIRT_STEP_CONSOLE, -1, "unlockpt");
  if (console_size.ws_row || console_size.ws_col) {
    if (ioctl(master, TIOCSWINSZ, &console_size) < 0) fail(OCIRT_STEP_CONSOLE, -1, "consoleSize");
  }
  /* TIOCGPTPEER opens the slave through the master: no lookup of /dev/pts/N by name */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) fail(OCIRT_STEP_CONSOLE, -1, "TIOCGPTPEER");
  /* the process's own terminal: its user owns it; the group is the devpts mount's gid= */
  if (fchown(slave, p->uid, (gid_t)-1) < 0) fail(OCIRT_STEP_CONSOLE, -1, "chown the pty");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail(OCIRT_STEP_CONSOLE, -1, "TIOCSCTTY");
  for (int i = 0; i < 3; i++)
    if (dup3(slave, i, 0) < 0) fail(OCIRT_STEP_CONSOLE, -1, "dup3");
  if (slave > 2) close(slave);

  char name[] = "/dev/ptmx";
  ssize_t n = scm_send(sock, name, sizeof name - 1, &master, 1);
  if (n < 0) fail(OCIRT_STEP_CONSOLE, -1, p->console_socket);
  close(master);
  close(sock);
}
