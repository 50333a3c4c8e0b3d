// state.json, read with a strict scanner for exactly the shape src/container/state-store.ts
// writes (compact JSON.stringify of StoredState), and the status derived from the live system as
// src/container/status.ts does. Anything unexpected -- an unknown key, a nested value, a number
// that is not a small non-negative integer, a string JSON.stringify would have written
// differently -- makes read_state fail, and the caller falls back to the core.
#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum key_bit {
  K_OCI_VERSION = 1 << 0,
  K_ID = 1 << 1,
  K_PID = 1 << 2,
  K_PID_START = 1 << 3,
  K_BUNDLE = 1 << 4,
  K_ROOTFS = 1 << 5,
  K_ANNOTATIONS = 1 << 6,
  K_CREATED = 1 << 7,
  K_OWNER = 1 << 8,
  K_CGROUP_PATH = 1 << 9,
  K_CGROUP_V1 = 1 << 10,
  K_ROOTLESS = 1 << 11,
  K_CGROUP_V1_CTRL = 1 << 12,
};
// every field of StoredState that is not optional
#define K_REQUIRED (K_OCI_VERSION | K_ID | K_PID | K_PID_START | K_BUNDLE | K_ROOTFS | K_CREATED | K_OWNER | K_ROOTLESS)

#define MAX_STATE_BYTES (4u << 20)
#define MAX_ANNOTATIONS 4096

struct scanner {
  const char *p, *end;
};

// What a string decoded to, beyond its bytes.
struct decoded {
  bool canonical;       // JSON.stringify would write exactly the raw text
  bool has_nul;         // \u0000: unusable as a path
  bool lone_surrogate;  // Node would turn it into U+FFFD in a path
};

static void skip_ws(struct scanner *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static bool take(struct scanner *s, char c) {
  skip_ws(s);
  if (s->p < s->end && *s->p == c) {
    s->p++;
    return true;
  }
  return false;
}

// Length of one well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates), else 0.
// Node decodes a malformed file to U+FFFD; such a file is left to it.
static size_t utf8_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3;
  else if (c >= 0xF0 && c <= 0xF4) n = 4;
  else return 0;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return n;
}

static void add_utf8(struct dstr *d, uint32_t cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | cp >> 6);
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | cp >> 12);
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | cp >> 18);
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (d) dstr_add(d, b, n);
}

// Four hex digits after "\u"; *lower is cleared by an upper-case digit (JSON.stringify writes
// lower case).
static int hex4(const char *p, const char *end, bool *lower) {
  if (end - p < 4) return -1;
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
      *lower = false;
    } else return -1;
    v = v * 16 + d;
  }
  return v;
}

// One \uXXXX escape (s->p just past the 'u'), a surrogate pair taking a second one.
static int scan_unicode_escape(struct scanner *s, struct dstr *out, struct decoded *info) {
  bool lower = true;
  int u = hex4(s->p, s->end, &lower);
  if (u < 0) return -1;
  s->p += 4;
  if (u >= 0xD800 && u <= 0xDBFF && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
    bool lower2 = true;
    int low = hex4(s->p + 2, s->end, &lower2);
    if (low >= 0xDC00 && low <= 0xDFFF) {
      s->p += 6;
      add_utf8(out, 0x10000 + (((uint32_t)u - 0xD800) << 10) + ((uint32_t)low - 0xDC00));
      info->canonical = false;  // JSON.stringify writes a pair as the character itself
      return 0;
    }
  }
  if (u >= 0xD800 && u <= 0xDFFF) {
    // JSON.stringify escapes lone surrogates exactly like this (lower case)
    info->lone_surrogate = true;
    if (!lower) info->canonical = false;
    return 0;
  }
  if (u < 0x20) {
    // control characters are written \u00xx, except the five with a short escape
    if (!lower || u == '\b' || u == '\f' || u == '\n' || u == '\r' || u == '\t') info->canonical = false;
    if (u == 0) info->has_nul = true;
  } else {
    info->canonical = false;  // printable: JSON.stringify writes it unescaped
  }
  add_utf8(out, (uint32_t)u);
  return 0;
}

// A JSON string at s->p. raw: the bytes between the quotes; out (optional): the decoded UTF-8.
static int scan_string(struct scanner *s, struct slice *raw, struct dstr *out, struct decoded *info) {
  *info = (struct decoded){.canonical = true};
  if (!take(s, '"')) return -1;
  const char *start = s->p;
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p;
    if (c == '"') {
      raw->p = start;
      raw->n = (size_t)(s->p - start);
      s->p++;
      return 0;
    }
    if (c < 0x20) return -1;  // not JSON
    if (c != '\\') {
      size_t n = utf8_seq((const unsigned char *)s->p, (const unsigned char *)s->end);
      if (!n) return -1;
      if (out) dstr_add(out, s->p, n);
      s->p += n;
      continue;
    }
    if (s->end - s->p < 2) return -1;
    char e = s->p[1];
    s->p += 2;
    char plain;
    switch (e) {
      case '"':
        plain = '"';
        break;
      case '\\':
        plain = '\\';
        break;
      case '/':
        plain = '/';
        info->canonical = false;
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u':
        if (scan_unicode_escape(s, out, info) < 0) return -1;
        continue;
      default:
        return -1;
    }
    if (out) dstr_addc(out, plain);
  }
  return -1;
}

// A string that will be printed as is: it must be in JSON.stringify's form.
static int scan_printable(struct scanner *s, struct slice *raw) {
  struct decoded info;
  return scan_string(s, raw, NULL, &info) == 0 && info.canonical ? 0 : -1;
}

// A string that will be used as a path: decoded; NUL or lone surrogates are left to the core.
static int scan_path(struct scanner *s, char **path) {
  struct dstr d = {0};
  struct slice raw;
  struct decoded info;
  if (scan_string(s, &raw, &d, &info) < 0 || info.has_nul || info.lone_surrogate) return -1;
  dstr_addc(&d, '\0');
  if (d.failed) return -1;
  *path = d.p;
  return 0;
}

// A non-negative integer as JSON.stringify writes one (no sign, fraction, exponent or leading
// zero), at most 15 digits: exact in a double, so the stored text is what TypeScript would print.
static int scan_uint(struct scanner *s, struct slice *text, unsigned long long *v) {
  skip_ws(s);
  const char *start = s->p;
  unsigned long long n = 0;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') n = n * 10 + (unsigned)(*s->p++ - '0');
  size_t len = (size_t)(s->p - start);
  if (len == 0 || len > 15 || (start[0] == '0' && len > 1)) return -1;
  if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E')) return -1;
  text->p = start;
  text->n = len;
  *v = n;
  return 0;
}

static int scan_bool(struct scanner *s, bool *v) {
  skip_ws(s);
  size_t left = (size_t)(s->end - s->p);
  if (left >= 4 && !memcmp(s->p, "true", 4)) {
    s->p += 4;
    *v = true;
    return 0;
  }
  if (left >= 5 && !memcmp(s->p, "false", 5)) {
    s->p += 5;
    *v = false;
    return 0;
  }
  return -1;
}

// An array index ("0".."4294967294"): JavaScript objects list such keys first, in numeric order,
// whatever the order in the file; a file with them is left to the core.
static bool is_array_index(struct slice k) {
  if (k.n == 0 || k.n > 10 || (k.p[0] == '0' && k.n > 1)) return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < k.n; i++) {
    if (k.p[i] < '0' || k.p[i] > '9') return false;
    v = v * 10 + (unsigned)(k.p[i] - '0');
  }
  return v < 4294967295ull;
}

static bool same_slice(struct slice a, struct slice b) { return a.n == b.n && !memcmp(a.p, b.p, a.n); }

// annotations: an object of string -> string, in file order (JSON.parse keeps it), no repeats
// (JSON.parse would keep the last value at the first key's place).
static int scan_annotations(struct scanner *s, struct stored_state *st) {
  if (!take(s, '{')) return -1;
  if (take(s, '}')) return 0;
  size_t cap = 0;
  do {
    struct annotation a;
    if (scan_printable(s, &a.key) < 0 || !take(s, ':') || scan_printable(s, &a.value) < 0) return -1;
    if (is_array_index(a.key)) return -1;
    for (size_t i = 0; i < st->n_annotations; i++)
      if (same_slice(st->annotations[i].key, a.key)) return -1;  // canonical text: same text, same key
    if (st->n_annotations == cap) {
      if (cap >= MAX_ANNOTATIONS) return -1;
      cap = cap ? cap * 2 : 8;
      struct annotation *grown = realloc(st->annotations, cap * sizeof *grown);
      if (!grown) return -1;
      st->annotations = grown;
    }
    st->annotations[st->n_annotations++] = a;
  } while (take(s, ','));
  return take(s, '}') ? 0 : -1;
}

static int scan_paths(struct scanner *s, struct path_list *l) {
  if (!take(s, '[')) return -1;
  if (take(s, ']')) return 0;
  size_t cap = 0;
  do {
    if (l->n == cap) {
      if (cap >= 64) return -1;
      cap = cap ? cap * 2 : 8;
      char **grown = realloc(l->v, cap * sizeof *grown);
      if (!grown) return -1;
      l->v = grown;
    }
    if (scan_path(s, &l->v[l->n]) < 0) return -1;
    l->n++;
  } while (take(s, ','));
  return take(s, ']') ? 0 : -1;
}

static const struct {
  const char *name;
  enum key_bit bit;
} KEYS[] = {
    {"ociVersion", K_OCI_VERSION},
    {"id", K_ID},
    {"pid", K_PID},
    {"pidStartTime", K_PID_START},
    {"bundle", K_BUNDLE},
    {"rootfs", K_ROOTFS},
    {"annotations", K_ANNOTATIONS},
    {"created", K_CREATED},
    {"owner", K_OWNER},
    {"cgroupPath", K_CGROUP_PATH},
    {"cgroupV1Paths", K_CGROUP_V1},
    {"rootless", K_ROOTLESS},
    {"cgroupV1Controllers", K_CGROUP_V1_CTRL},
};

static int scan_value(struct scanner *s, enum key_bit bit, struct stored_state *st) {
  switch (bit) {
    case K_OCI_VERSION:
      return scan_printable(s, &st->oci_version);
    case K_ID:
      return scan_printable(s, &st->id);
    case K_BUNDLE:
      return scan_printable(s, &st->bundle);
    case K_ROOTFS:
      return scan_printable(s, &st->rootfs);
    case K_CREATED:
      return scan_printable(s, &st->created);
    case K_OWNER:
      return scan_printable(s, &st->owner);
    case K_PID:
      return scan_uint(s, &st->pid_text, &st->pid);
    case K_PID_START: {
      struct slice unused;
      return scan_uint(s, &unused, &st->start_time);
    }
    case K_ANNOTATIONS:
      return scan_annotations(s, st);
    case K_CGROUP_PATH:
      return scan_path(s, &st->cgroup_path);
    case K_CGROUP_V1:
      return scan_paths(s, &st->cgroup_v1_paths);
    case K_CGROUP_V1_CTRL:
      return scan_paths(s, &st->cgroup_v1_controllers);
    case K_ROOTLESS:
      return scan_bool(s, &st->rootless);
  }
  return -1;
}

static int scan_state(struct scanner *s, struct stored_state *st) {
  unsigned seen = 0;
  if (!take(s, '{')) return -1;
  do {
    struct slice key;
    if (scan_printable(s, &key) < 0 || !take(s, ':')) return -1;
    enum key_bit bit = 0;
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
      if (strlen(KEYS[i].name) == key.n && !memcmp(KEYS[i].name, key.p, key.n)) bit = KEYS[i].bit;
    // an unknown key may be something a newer ocirt added that changes the meaning: core's job
    if (!bit || (seen & bit)) return -1;
    seen |= bit;
    skip_ws(s);
    if (scan_value(s, bit, st) < 0) return -1;
  } while (take(s, ','));
  if (!take(s, '}')) return -1;
  skip_ws(s);
  return s->p == s->end && (seen & K_REQUIRED) == K_REQUIRED ? 0 : -1;
}

int read_state(const char *path, struct stored_state *st) {
  memset(st, 0, sizeof *st);
  size_t len;
  char *text = read_file(path, MAX_STATE_BYTES, &len);
  if (!text) return -1;
  // The scanned slices point into text, which lives as long as the process (it exits or execs).
  struct scanner s = {text, text + len};
  return scan_state(&s, st);
}

// ---- status (src/container/status.ts) ----

// /proc/<pid>/stat: same start time (field 22) and not a zombie or dead. The fields are read after
// the last ')', as the command name may contain anything.
bool same_process(unsigned long long pid, unsigned long long start_time) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%llu/stat", pid);
  size_t len;
  char *text = read_file(path, 1 << 16, &len);
  if (!text) return false;
  char *close_paren = strrchr(text, ')');
  // status.ts: text.slice(lastIndexOf(')') + 2).split(' '); rest[0] is field 3, rest[19] field 22
  const char *p = close_paren && (size_t)(close_paren - text) + 2 <= len ? close_paren + 2 : text + len;
  const char *field[20] = {0};
  size_t flen[20] = {0};
  for (int i = 0; i < 20; i++) {
    const char *sp = strchr(p, ' ');
    field[i] = p;
    flen[i] = sp ? (size_t)(sp - p) : strlen(p);
    if (!sp) {
      if (i < 19) break;
    } else {
      p = sp + 1;
    }
  }
  bool same = false;
  if (field[19] && flen[19] > 0 && flen[19] <= 19) {
    unsigned long long v = 0;
    size_t i = 0;
    while (i < flen[19] && field[19][i] >= '0' && field[19][i] <= '9') v = v * 10 + (unsigned)(field[19][i++] - '0');
    bool state_ok = !(flen[0] == 1 && (field[0][0] == 'Z' || field[0][0] == 'X'));
    same = i == flen[19] && v == start_time && state_ok;
  }
  free(text);
  return same;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// 1 when the file, trimmed, is `word`; 0 not; -1 unsure (non-ASCII bytes, which trim() might strip
// as Unicode spaces).
static int frozen(const char *dir, const char *file, const char *word) {
  char *path = str_printf("%s/%s", dir, file);
  if (!path) return -1;
  size_t len;
  char *text = read_file(path, 4096, &len);
  free(path);
  if (!text) return 0;  // status.ts: unreadable is not frozen
  int result = 0;
  size_t a = 0, b = len;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)text[i] >= 0x80 || text[i] == '\0') result = -1;
  while (a < b && is_space(text[a])) a++;
  while (b > a && is_space(text[b - 1])) b--;
  if (result == 0 && b - a == strlen(word) && memcmp(text + a, word, b - a) == 0) result = 1;
  free(text);
  return result;
}

enum status derive_status(const struct stored_state *st, const char *fifo_path) {
  // pid 0: create recorded the container but has not (or never) started its init
  if (st->pid == 0) return ST_CREATING;
  if (!same_process(st->pid, st->start_time)) return ST_STOPPED;
  // existsSync: any error reads as "does not exist"
  if (access(fifo_path, F_OK) == 0) return ST_CREATED;
  // a v1 freezer hierarchy among the container's: "freezer" is one of a hierarchy's controllers
  const char *v1_freezer = NULL;
  for (size_t i = 0; i < st->cgroup_v1_controllers.n && i < st->cgroup_v1_paths.n && !v1_freezer; i++) {
    const char *k = st->cgroup_v1_controllers.v[i];
    for (const char *p = k; *p;) {
      size_t n = strcspn(p, ",");
      if (n == 7 && memcmp(p, "freezer", 7) == 0) v1_freezer = st->cgroup_v1_paths.v[i];
      p += n + (p[n] == ',');
    }
  }
  if (v1_freezer) {
    int f = frozen(v1_freezer, "freezer.state", "FROZEN");
    if (f < 0) return ST_UNSURE;
    if (f) return ST_PAUSED;
  } else if (st->cgroup_path && st->cgroup_path[0]) {
    int f = frozen(st->cgroup_path, "cgroup.freeze", "1");
    if (f < 0) return ST_UNSURE;
    if (f) return ST_PAUSED;
  }
  return ST_RUNNING;
}

const char *status_name(enum status s) {
  switch (s) {
    case ST_CREATING:
      return "creating";
    case ST_CREATED:
      return "created";
    case ST_RUNNING:
      return "running";
    case ST_PAUSED:
      return "paused";
    case ST_STOPPED:
      return "stopped";
    case ST_UNSURE:
      break;
  }
  return NULL;
}
