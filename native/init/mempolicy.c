/* linux.memoryPolicy (section OCIRT_SECTION_MEMORY_POLICY): set_mempolicy, kept across execve. */
#include "init.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

static int has_policy;
static uint32_t mode;
static uint64_t *nodes;
static uint32_t node_words;

void decode_memory_policy(struct rd *r) {
  has_policy = 1;
  mode = rd_u32(r);
  node_words = rd_count(r);
  nodes = xcalloc(node_words, sizeof *nodes);
  for (uint32_t i = 0; i < node_words; i++) nodes[i] = rd_u64(r);
}

void set_memory_policy(void) {
  if (!has_policy) return;
  /* maxnode counts bits, and the kernel uses one less than it is given (set_mempolicy(2) BUGS) */
  unsigned long maxnode = node_words ? (unsigned long)node_words * 64 + 1 : 0;
  if (syscall(SYS_set_mempolicy, (int)mode, node_words ? nodes : NULL, maxnode) < 0)
    fail(OCIRT_STEP_MEMORY_POLICY, -1, "set_mempolicy");
}
