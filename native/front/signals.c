// Signal arguments exactly as src/container/signals.ts parseSignal reads them. The name table
// and SIGRTMIN/SIGRTMAX are generated from src/linux/constants.ts by scripts/build-front.mjs, so
// the two cannot drift apart. What parseSignal would reject, and forms it would accept only after
// trimming or case-folding non-ASCII text, return -1: the core then prints the real error.
#include "front.h"
#include "front_signals.h"

#include <string.h>

static int lookup(const char *name) {
  for (size_t i = 0; i < sizeof FRONT_SIGNALS / sizeof FRONT_SIGNALS[0]; i++)
    if (!strcmp(FRONT_SIGNALS[i].name, name)) return FRONT_SIGNALS[i].number;
  return -1;
}

// Decimal digits into a value, -1 past `max` (no overflow however long the text).
static long small_decimal(const char *p, long max) {
  long n = 0;
  if (!*p) return -1;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    n = n * 10 + (*p - '0');
    if (n > max) return -1;
  }
  return n;
}

// SIGRTMIN, SIGRTMAX, SIGRTMIN+n, SIGRTMAX-n, within SIGRTMIN..SIGRTMAX.
static int realtime(const char *name) {
  int base;
  if (!strncmp(name, "SIGRTMIN", 8)) base = FRONT_SIGRTMIN;
  else if (!strncmp(name, "SIGRTMAX", 8)) base = FRONT_SIGRTMAX;
  else return -1;
  const char *rest = name + 8;
  long n = base;
  if (*rest) {
    if (*rest != '+' && *rest != '-') return -1;
    long off = small_decimal(rest + 1, FRONT_SIGRTMAX);
    if (off < 0) return -1;
    n = *rest == '-' ? base - off : base + off;
  }
  return n >= FRONT_SIGRTMIN && n <= FRONT_SIGRTMAX ? (int)n : -1;
}

int parse_signal(const char *text) {
  if (!text) return lookup("SIGTERM");
  size_t len = strlen(text);
  // parseSignal maps "" to SIGTERM and trims whitespace; leave such arguments to it
  if (len == 0 || len > 32) return -1;
  if (text[0] >= '0' && text[0] <= '9') {
    long n = small_decimal(text, FRONT_SIGRTMAX);
    return n >= 0 ? (int)n : -1;  // 0: a liveness check, no signal sent
  }
  char name[40] = "SIG";
  char upper[36];
  for (size_t i = 0; i <= len; i++) {
    char ch = text[i];
    if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
    // ASCII letters, digits, + and - only: toUpperCase() folds some non-ASCII letters to ASCII
    else if (ch && !((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-')) return -1;
    upper[i] = ch;
  }
  strcpy(strncmp(upper, "SIG", 3) ? name + 3 : name, upper);
  int n = lookup(name);
  return n > 0 ? n : realtime(name);
}
