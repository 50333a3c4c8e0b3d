/* Credentials and capabilities, last before the exec: groups, gid, uid, the five capability sets. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cap_last = 40;

void read_cap_last(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char b[16] = {0};
  if (read(fd, b, sizeof b - 1) > 0) cap_last = atoi(b);
  close(fd);
}

static void capset3(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  d[0].effective = (uint32_t)eff;
  d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)prm;
  d[1].permitted = (uint32_t)(prm >> 32);
  d[0].inheritable = (uint32_t)inh;
  d[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &h, d) < 0) fail(OCIRT_STEP_CAPABILITIES, -1, "capset");
}

static void current_caps(uint64_t *eff, uint64_t *prm, uint64_t *inh) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) fail(OCIRT_STEP_CAPABILITIES, -1, "capget");
  *eff = d[0].effective | ((uint64_t)d[1].effective << 32);
  *prm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
  *inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
}

static int cap_name_index(uint64_t set) {
  for (int c = 0; c < 64; c++)
    if (set & (1ull << c)) return c;
  return -1;
}

/*
 * Before READY, so that `create` fails rather than the container after `start` (as runc and crun
 * fail at create): would set_credentials() succeed? The kernel's capset rules, evaluated on what
 * this process holds now (the runtime may lack some capabilities, e.g. CAP_SYS_RESOURCE on hosts
 * that drop it), with `keep` (what set_credentials is asked to keep) added to the permitted and
 * effective sets. The failure names the capability (its number is the record's index).
 */
void check_credentials(const struct plan *p, uint64_t keep) {
  uint64_t eff, prm, inh;
  current_caps(&eff, &prm, &inh);
  uint64_t bset = 0;
  for (int c = 0; c <= cap_last && c < 64; c++)
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) bset |= 1ull << c;
  uint64_t setpcap = 1ull << CAP_SETPCAP;
  uint64_t missing;
  if ((missing = bset & ~p->cap_bounding) && !(eff & setpcap))
    fail_err(OCIRT_STEP_CAP_CHECK, EPERM, CAP_SETPCAP, "bounding");
  uint64_t new_bset = bset & p->cap_bounding;
  uint64_t want_prm = p->cap_permitted | keep;
  if ((missing = want_prm & ~prm)) fail_err(OCIRT_STEP_CAP_CHECK, EPERM, cap_name_index(missing), "permitted");
  if ((missing = (p->cap_effective | keep) & ~want_prm))
    fail_err(OCIRT_STEP_CAP_CHECK, EPERM, cap_name_index(missing), "effective");
  /* capset(2): new inheritable within old inheritable | bounding, and | permitted without CAP_SETPCAP */
  uint64_t inh_ok = inh | (new_bset & ((prm & setpcap) ? ~0ull : prm));
  if ((missing = p->cap_inheritable & ~inh_ok))
    fail_err(OCIRT_STEP_CAP_CHECK, EPERM, cap_name_index(missing), "inheritable");
  if ((missing = p->cap_ambient & ~(p->cap_permitted & p->cap_inheritable)))
    fail_err(OCIRT_STEP_CAP_CHECK, EPERM, cap_name_index(missing), "ambient");
  /* the id changes need these while the init is still root of its namespace */
  if (p->uid != 0 && !(prm & (1ull << CAP_SETUID))) fail_err(OCIRT_STEP_CAP_CHECK, EPERM, CAP_SETUID, "uid");
  if (!(prm & (1ull << CAP_SETGID)) && (p->gid != 0 || p->ngids))
    fail_err(OCIRT_STEP_CAP_CHECK, EPERM, CAP_SETGID, "gid");
}

void set_credentials(const struct plan *p, uint64_t keep) {
  /* bounding first: dropping needs CAP_SETPCAP, which a non-root uid no longer has effective */
  for (int c = 0; c <= cap_last && c < 64; c++) {
    if (p->cap_bounding & (1ull << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      char d[32];
      snprintf(d, sizeof d, "cap %d", c);
      fail(OCIRT_STEP_CAP_BOUNDING, c, d);
    }
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(OCIRT_STEP_CAPABILITIES, -1, "PR_SET_KEEPCAPS");

  /* with setgroups denied (rootless) an empty list is the only possible state: not an error */
  if (syscall(SYS_setgroups, (size_t)p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
    fail(OCIRT_STEP_SETGROUPS, -1, "setgroups");
  if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0) fail(OCIRT_STEP_SETGID, -1, "setresgid");
  if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0) fail(OCIRT_STEP_SETUID, -1, "setresuid");

  /* after a uid change effective is empty: restore it so CAP_SETPCAP allows the final capset */
  uint64_t eff, prm, inh;
  current_caps(&eff, &prm, &inh);
  capset3(prm, prm, inh);
  capset3(p->cap_effective | keep, p->cap_permitted | keep, p->cap_inheritable);

  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail(OCIRT_STEP_CAP_AMBIENT, -1, "clear ambient");
  for (int c = 0; c <= cap_last && c < 64; c++) {
    if (!(p->cap_ambient & (1ull << c))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
      char d[32];
      snprintf(d, sizeof d, "cap %d", c);
      fail(OCIRT_STEP_CAP_AMBIENT, c, d);
    }
  }
  if ((p->flags & OCIRT_PF_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    fail(OCIRT_STEP_NO_NEW_PRIVS, -1, "PR_SET_NO_NEW_PRIVS");
}
