/*
 * The container's seccomp filter: the BPF program the runtime compiled (src/seccomp/), installed
 * where the plan says (enum ocirt_seccomp_install). The stub never sees a profile.
 */
#include "init.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static struct {
  int present;
  uint32_t flags, install;
  uint64_t keep_caps;
  struct sock_fprog prog;
} filter;

void decode_seccomp(struct rd *r) {
  filter.present = 1;
  filter.flags = rd_u32(r);
  filter.install = rd_u32(r);
  filter.keep_caps = rd_u64(r);
  uint32_t len = rd_u32(r);
  const void *bytes = rd_bytes(r, len);
  if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
    fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "seccomp program length");
  /* a copy, aligned for the kernel's struct sock_filter[] */
  struct sock_filter *insns = xcalloc(len / sizeof *insns, sizeof *insns);
  memcpy(insns, bytes, len);
  filter.prog.len = (unsigned short)(len / sizeof *insns);
  filter.prog.filter = insns;
}

uint64_t seccomp_kept_caps(void) { return filter.present ? filter.keep_caps : 0; }

void install_seccomp(uint32_t when) {
  if (!filter.present || filter.install != when) return;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter.flags, &filter.prog);
  if (fd < 0) fail(OCIRT_STEP_SECCOMP, -1, "seccomp(SECCOMP_SET_MODE_FILTER)");
  if (filter.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    /* the runtime hands it to the seccomp agent; the container itself must never hold it */
    if (send_record_fd(OCIRT_MSG_SECCOMP_FD, (int)fd) < 0) fail(OCIRT_STEP_SECCOMP, -1, "send the listener fd");
    close((int)fd);
  }
}
