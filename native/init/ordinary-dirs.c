/*
 * procfs and sysfs land only on an ordinary directory of the rootfs, reached without any symlink
 * (src/linux/ordinary-dirs.ts says why; the planner marks the mounts, this file reads the marks
 * from the plan section ORDINARY_DIR_TARGETS and resolves those destinations).
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t nmarked;
static uint32_t *marked;

void decode_ordinary_dir_targets(struct rd *r) {
  nmarked = rd_count(r);
  marked = xcalloc(nmarked, sizeof *marked);
  for (uint32_t i = 0; i < nmarked; i++) marked[i] = rd_u32(r);
}

int needs_ordinary_dir(uint32_t mount_index) {
  for (uint32_t i = 0; i < nmarked; i++)
    if (marked[i] == mount_index) return 1;
  return 0;
}

static long open_plain(int root, const char *path) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do fd = syscall(SYS_openat2, root, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

/*
 * An O_PATH fd of `path`, a directory of the rootfs reached without symlinks, created if missing.
 * A symlink anywhere on the way (ELOOP) or a non-directory (ENOTDIR) is refused.
 */
int open_ordinary_dir_in_root(int root, const char *path) {
  long fd = open_plain(root, path);
  if (fd >= 0 || errno != ENOENT) return (int)fd;
  int made = open_create_in_root(root, path, 0, 0);
  if (made < 0) return -1;
  close(made);
  /* again without symlinks: what was created (or swapped in meanwhile) must pass the same test */
  return (int)open_plain(root, path);
}
