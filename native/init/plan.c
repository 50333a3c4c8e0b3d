/*
 * The plan decoder: strings point into the mapped plan (the encoder NUL-terminates them). The core
 * is a fixed sequence of fields; what a feature adds travels in an optional section of its own
 * (tag, length, bytes), decoded by that feature's file through the table below.
 */
#include "init.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void need(struct rd *r, size_t n);

/*
 * Optional sections: one decoder per tag (enum ocirt_section in ../plan_format.h). Each reads
 * exactly its section's bytes into its own file's state; a tag the stub does not know means an
 * addon and a stub from different trees, which the version check should already have caught.
 */
struct section_decoder {
  uint32_t tag;
  void (*decode)(struct rd *r);
};
static const struct section_decoder SECTIONS[] = {
    {OCIRT_SECTION_SECCOMP, decode_seccomp},
    {OCIRT_SECTION_LSM, decode_lsm},
    {OCIRT_SECTION_EXEC, decode_exec_section},
    {OCIRT_SECTION_CONSOLE_SIZE, decode_console_size_section},
    {OCIRT_SECTION_HOOKS, decode_hooks},
    {OCIRT_SECTION_MOUNT_EXTRAS, decode_mount_extras},
    {OCIRT_SECTION_SCHEDULING, decode_scheduling},
    {OCIRT_SECTION_PERSONALITY, decode_personality},
    {OCIRT_SECTION_MEMORY_POLICY, decode_memory_policy},
    {OCIRT_SECTION_TIME_NAMESPACE, decode_time_namespace},
    {OCIRT_SECTION_NET_DEVICES, decode_net_devices},
    {OCIRT_SECTION_ORDINARY_DIR_TARGETS, decode_ordinary_dir_targets},
};

static void decode_sections(struct rd *r) {
  uint32_t n = rd_count(r);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t tag = rd_u32(r);
    uint32_t len = rd_u32(r);
    need(r, len);
    struct rd sec = {r->p, r->p + len};
    const struct section_decoder *d = NULL;
    for (size_t k = 0; k < sizeof SECTIONS / sizeof SECTIONS[0]; k++)
      if (SECTIONS[k].decode && SECTIONS[k].tag == tag) d = &SECTIONS[k];
    if (!d) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, (int)tag, "unknown plan section");
    d->decode(&sec);
    if (sec.p != sec.end) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, (int)tag, "trailing bytes in plan section");
    r->p += len;
  }
}

static void need(struct rd *r, size_t n) {
  if ((size_t)(r->end - r->p) < n) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "truncated plan");
}
uint32_t rd_u32(struct rd *r) {
  uint32_t v;
  need(r, 4);
  memcpy(&v, r->p, 4);
  r->p += 4;
  return v;
}
uint64_t rd_u64(struct rd *r) {
  uint64_t v;
  need(r, 8);
  memcpy(&v, r->p, 8);
  r->p += 8;
  return v;
}
const char *rd_str(struct rd *r) {
  uint32_t n = rd_u32(r);
  need(r, (size_t)n + 1);
  const char *s = (const char *)r->p;
  if (s[n] != 0 || memchr(s, 0, n)) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "bad string in plan");
  r->p += (size_t)n + 1;
  return s;
}
const void *rd_bytes(struct rd *r, size_t n) {
  need(r, n);
  const void *b = r->p;
  r->p += n;
  return b;
}
void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz);
  if (!p) fail_err(OCIRT_STEP_PLAN_DECODE, ENOMEM, -1, "calloc");
  return p;
}
uint32_t rd_count(struct rd *r) {
  uint32_t n = rd_u32(r);
  /* every item takes at least 4 bytes: rejects absurd counts before allocating */
  if (n > (size_t)(r->end - r->p) / 4 + 1) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "bad list length");
  return n;
}

const char **rd_strlist(struct rd *r, uint32_t *n) {
  *n = rd_count(r);
  const char **v = xcalloc(*n + 1, sizeof *v);
  for (uint32_t i = 0; i < *n; i++) v[i] = rd_str(r);
  return v;
}

void decode_plan(const uint8_t *buf, size_t len, struct plan *p) {
  struct rd r = {buf, buf + len};
  need(&r, 8);
  if (memcmp(r.p, OCIRT_PLAN_MAGIC, 8) != 0) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "bad plan magic");
  r.p += 8;
  if (rd_u32(&r) != OCIRT_PLAN_VERSION) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "plan version mismatch");
  if (rd_u32(&r) != len) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "plan length mismatch");
  p->clone_flags = rd_u32(&r);
  p->unshare_flags = rd_u32(&r);
  p->flags = rd_u32(&r);
  p->root_prop = rd_u32(&r);
  p->rootfs_prop = rd_u32(&r);
  p->hostname = rd_str(&r);
  p->domainname = rd_str(&r);
  p->rootfs = rd_str(&r);
  p->exec_fifo = rd_str(&r);
  p->console_socket = rd_str(&r);

  p->njoins = rd_count(&r);
  p->join_type = xcalloc(p->njoins, sizeof *p->join_type);
  p->join_path = xcalloc(p->njoins, sizeof *p->join_path);
  for (uint32_t i = 0; i < p->njoins; i++) {
    p->join_type[i] = rd_u32(&r);
    p->join_path[i] = rd_str(&r);
  }

  p->nmounts = rd_count(&r);
  p->mounts = xcalloc(p->nmounts, sizeof *p->mounts);
  for (uint32_t i = 0; i < p->nmounts; i++) {
    struct mount_step *m = &p->mounts[i];
    m->source = rd_str(&r);
    m->destination = rd_str(&r);
    m->fstype = rd_str(&r);
    m->flags = rd_u32(&r);
    m->remount_flags = rd_u32(&r);
    m->nprop = rd_count(&r);
    m->prop = xcalloc(m->nprop, sizeof *m->prop);
    for (uint32_t j = 0; j < m->nprop; j++) m->prop[j] = rd_u32(&r);
    m->data = rd_str(&r);
    m->create_file = rd_u32(&r);
    uint32_t has_fallback = rd_u32(&r);
    const char *fb = rd_str(&r);
    m->fallback = has_fallback ? fb : NULL;
    m->attr_set = rd_u32(&r);
    m->attr_clear = rd_u32(&r);
  }

  p->ndevices = rd_count(&r);
  p->devices = xcalloc(p->ndevices, sizeof *p->devices);
  for (uint32_t i = 0; i < p->ndevices; i++) {
    struct device_step *d = &p->devices[i];
    d->path = rd_str(&r);
    d->mode = rd_u32(&r);
    d->major = rd_u32(&r);
    d->minor = rd_u32(&r);
    d->uid = rd_u32(&r);
    d->gid = rd_u32(&r);
    d->bind_from_host = rd_u32(&r);
  }

  p->nsymlinks = rd_count(&r);
  p->link = xcalloc(p->nsymlinks, sizeof *p->link);
  p->link_target = xcalloc(p->nsymlinks, sizeof *p->link_target);
  for (uint32_t i = 0; i < p->nsymlinks; i++) {
    p->link[i] = rd_str(&r);
    p->link_target[i] = rd_str(&r);
  }
  p->masked = rd_strlist(&r, &p->nmasked);
  p->readonly = rd_strlist(&r, &p->nreadonly);
  p->nsysctls = rd_count(&r);
  p->sysctl_path = xcalloc(p->nsysctls, sizeof *p->sysctl_path);
  p->sysctl_value = xcalloc(p->nsysctls, sizeof *p->sysctl_value);
  for (uint32_t i = 0; i < p->nsysctls; i++) {
    p->sysctl_path[i] = rd_str(&r);
    p->sysctl_value[i] = rd_str(&r);
  }

  /* execve wants char *const[]; the strings are never written */
  p->args = (char **)rd_strlist(&r, &p->nargs);
  p->env = (char **)rd_strlist(&r, &p->nenv);
  p->cwd = rd_str(&r);
  p->uid = rd_u32(&r);
  p->gid = rd_u32(&r);
  p->ngids = rd_count(&r);
  p->gids = xcalloc(p->ngids, sizeof *p->gids);
  for (uint32_t i = 0; i < p->ngids; i++) p->gids[i] = rd_u32(&r);
  p->umask = rd_u32(&r);
  p->oom = (int32_t)rd_u32(&r);
  p->cap_bounding = rd_u64(&r);
  p->cap_effective = rd_u64(&r);
  p->cap_permitted = rd_u64(&r);
  p->cap_inheritable = rd_u64(&r);
  p->cap_ambient = rd_u64(&r);
  p->nrlimits = rd_count(&r);
  p->rlimits = xcalloc(p->nrlimits, sizeof *p->rlimits);
  for (uint32_t i = 0; i < p->nrlimits; i++) {
    p->rlimits[i].resource = rd_u32(&r);
    p->rlimits[i].soft = rd_u64(&r);
    p->rlimits[i].hard = rd_u64(&r);
  }
  p->preserve_fds = rd_u32(&r);
  decode_sections(&r);
  if (r.p != r.end) fail_err(OCIRT_STEP_PLAN_DECODE, EINVAL, -1, "trailing bytes in plan");
}
