/*
 * A new time namespace with linux.timeOffsets (section OCIRT_SECTION_TIME_NAMESPACE). The offsets
 * can only be written before any process is in the namespace: a clone into it would freeze them at
 * zero. So the init unshares one (it becomes the namespace of its future children), writes
 * /proc/self/timens_offsets, and then enters it itself with setns.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int wanted;
static uint32_t present;
static int64_t mono_secs, boot_secs;
static uint32_t mono_nsecs, boot_nsecs;

void decode_time_namespace(struct rd *r) {
  wanted = 1;
  present = rd_u32(r);
  mono_secs = (int64_t)rd_u64(r);
  mono_nsecs = rd_u32(r);
  boot_secs = (int64_t)rd_u64(r);
  boot_nsecs = rd_u32(r);
}

void enter_time_namespace(void) {
  if (!wanted) return;
  /* EINVAL: a kernel built without CONFIG_TIME_NS (init-errors.ts says so) */
  if (unshare(CLONE_NEWTIME) < 0) fail(OCIRT_STEP_TIME_NAMESPACE, -1, "unshare(CLONE_NEWTIME)");
  char text[128];
  int n = 0;
  if (present & 1)
    n += snprintf(text + n, sizeof text - (size_t)n, "monotonic %" PRId64 " %u\n", mono_secs, mono_nsecs);
  if (present & 2) n += snprintf(text + n, sizeof text - (size_t)n, "boottime %" PRId64 " %u\n", boot_secs, boot_nsecs);
  /* one write: the kernel takes the whole file at once */
  if (n > 0 && procfs_write_self("timens_offsets", text) < 0) fail(OCIRT_STEP_TIME_NAMESPACE, -1, "timens_offsets");
  /* ns/ holds magic links, which the handle's resolution refuses: open the directory, then the link */
  int dir = procfs_open_self("ns", O_PATH | O_DIRECTORY);
  int fd = dir < 0 ? -1 : openat(dir, "time_for_children", O_RDONLY | O_CLOEXEC);
  if (dir >= 0) close(dir);
  if (fd < 0) fail(OCIRT_STEP_TIME_NAMESPACE, -1, "ns/time_for_children");
  if (setns(fd, CLONE_NEWTIME) < 0) fail(OCIRT_STEP_TIME_NAMESPACE, -1, "setns(time)");
  close(fd);
}
