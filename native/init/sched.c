/*
 * process.scheduler (sched_setattr), process.ioPriority (ioprio_set) and the final CPU affinity
 * (section OCIRT_SECTION_SCHEDULING), set while the init still holds its capabilities: a real-time
 * policy, a lower nice value and the real-time I/O class need them. All are inherited by the
 * program across execve.
 */
#include "init.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the kernel's struct sched_attr (include/uapi/linux/sched/types.h), version 1 */
struct ocirt_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

static uint32_t what;
static struct ocirt_sched_attr attr;
static uint32_t ioprio;
static uint64_t *cpu_mask;
static uint32_t cpu_words;

void decode_scheduling(struct rd *r) {
  what = rd_u32(r);
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.sched_policy = rd_u32(r);
  attr.sched_flags = rd_u64(r);
  attr.sched_nice = (int32_t)rd_u32(r);
  attr.sched_priority = rd_u32(r);
  attr.sched_runtime = rd_u64(r);
  attr.sched_deadline = rd_u64(r);
  attr.sched_period = rd_u64(r);
  ioprio = rd_u32(r);
  cpu_words = rd_count(r);
  cpu_mask = xcalloc(cpu_words, sizeof *cpu_mask);
  for (uint32_t i = 0; i < cpu_words; i++) cpu_mask[i] = rd_u64(r);
}

void set_scheduling(void) {
  /* affinity first: a real-time policy set on a CPU the task then leaves would be pointless */
  if ((what & OCIRT_SCHED_AFFINITY) &&
      syscall(SYS_sched_setaffinity, 0, (size_t)cpu_words * sizeof *cpu_mask, cpu_mask) < 0)
    fail(OCIRT_STEP_CPU_AFFINITY, -1, "sched_setaffinity");
  /* IOPRIO_WHO_PROCESS = 1, pid 0: this process; the program and its children inherit it */
  if ((what & OCIRT_SCHED_IOPRIO) && syscall(SYS_ioprio_set, 1, 0, (int)ioprio) < 0)
    fail(OCIRT_STEP_IOPRIO, -1, "ioprio_set");
  if ((what & OCIRT_SCHED_POLICY) && syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    fail(OCIRT_STEP_SCHEDULER, -1, "sched_setattr");
}
