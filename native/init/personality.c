/* linux.personality (section OCIRT_SECTION_PERSONALITY): the execution domain and its flags. */
#include "init.h"

#include <errno.h>
#include <sys/personality.h>

static int has_persona;
static uint32_t persona;

void decode_personality(struct rd *r) {
  has_persona = 1;
  persona = rd_u32(r);
}

void set_personality(void) {
  if (!has_persona) return;
  if (personality(persona) < 0) fail(OCIRT_STEP_PERSONALITY, -1, "personality");
  /* personality(2) stores what it is given; read back to see that the kernel kept it all */
  int now = personality(0xffffffff);
  if (now < 0) fail(OCIRT_STEP_PERSONALITY, -1, "personality");
  if ((uint32_t)now != persona) fail_err(OCIRT_STEP_PERSONALITY, EINVAL, -1, "personality not kept by the kernel");
}
