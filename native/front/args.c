// The command line the front end handles itself: a strict subset of what src/cli/fastpath.ts
// accepts, interpreted the same way. Whatever falls outside it (help, --version, --debug, unknown
// or repeated flags, `--`, a boolean followed by true/false, unusual values...) returns -1 and
// goes, unchanged, to the TypeScript executable, which prints the canonical result or error.
#include "front.h"

#include <string.h>

enum given_bit {
  G_ROOT = 1,
  G_LOG = 2,
  G_LOG_FORMAT = 4,
  G_ROOTLESS = 8,
  F_FORCE = 16,
  F_DETACH = 32,
  F_PID_FILE = 64
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool name_is(const char *name, size_t n, const char *want) {
  return strlen(want) == n && memcmp(name, want, n) == 0;
}

static enum command command_of(const char *word) {
  if (!strcmp(word, "state")) return CMD_STATE;
  if (!strcmp(word, "start")) return CMD_START;
  if (!strcmp(word, "kill")) return CMD_KILL;
  if (!strcmp(word, "delete")) return CMD_DELETE;
  if (!strcmp(word, "exec")) return CMD_EXEC;
  return CMD_NONE;  // other commands (create, run, list...) are the core's
}

// delete's boolean --force/-f. fastpath.ts gives up on repeats and on a following "true"/"false"
// (yargs would take it as the flag's value).
static int take_force(int argc, char **argv, int i, unsigned *given, struct cli *c) {
  if (c->cmd != CMD_DELETE || (*given & F_FORCE)) return -1;
  if (i + 1 < argc && (!strcmp(argv[i + 1], "true") || !strcmp(argv[i + 1], "false"))) return -1;
  *given |= F_FORCE;
  c->force = true;
  return 0;
}

// exec's boolean -d/--detach, with fastpath.ts's limits (no repeat, no "true"/"false" after it).
static int take_detach(int argc, char **argv, int i, unsigned *given, struct cli *c) {
  if (c->cmd != CMD_EXEC || (*given & F_DETACH)) return -1;
  if (i + 1 < argc && (!strcmp(argv[i + 1], "true") || !strcmp(argv[i + 1], "false"))) return -1;
  *given |= F_DETACH;
  c->detach = true;
  return 0;
}

// exec's --pid-file F / --pid-file=F (a value starting with '-' is left to the core, as fastpath.ts does).
static int take_pid_file(int argc, char **argv, int *i, const char *inline_val, unsigned *given, struct cli *c) {
  if (c->cmd != CMD_EXEC || (*given & F_PID_FILE)) return -1;
  const char *v = inline_val;
  if (!v) {
    if (*i + 1 >= argc) return -1;
    v = argv[++*i];
    if (v[0] == '-') return -1;
  }
  if (!*v) return -1;
  *given |= F_PID_FILE;
  c->pid_file = v;
  return 0;
}

// A global flag with a value: --root, --log, --log-format, --rootless (each `--x v` or `--x=v`).
static int take_global(int argc, char **argv, int *i, const char *name, size_t nlen, const char *inline_val,
                       unsigned *given, struct cli *c) {
  unsigned bit;
  if (name_is(name, nlen, "root")) bit = G_ROOT;
  else if (name_is(name, nlen, "log")) bit = G_LOG;
  else if (name_is(name, nlen, "log-format")) bit = G_LOG_FORMAT;
  else if (name_is(name, nlen, "rootless")) bit = G_ROOTLESS;
  else return -1;  // --debug, --systemd-cgroup, --help, --version, anything unknown
  if (*given & bit) return -1;
  *given |= bit;
  const char *v = inline_val;
  if (!v) {
    if (*i + 1 >= argc) return -1;
    v = argv[++*i];
  }
  // fastpath.ts refuses a separate value starting with '-'; an inline one it would take, but such a
  // value is unusual enough to leave to the core too.
  if (v[0] == '-') return -1;
  switch (bit) {
    case G_ROOT:
      c->root = v;
      break;
    case G_LOG:
      c->log = v;  // errors after a side effect are written there (say())
      break;
    case G_LOG_FORMAT:
      if (strcmp(v, "text") && strcmp(v, "json")) return -1;
      c->log_json = !strcmp(v, "json");
      break;
    case G_ROOTLESS:
      // main.ts's rootlessMode accepts these three; it does not matter to these commands
      if (strcmp(v, "auto") && strcmp(v, "true") && strcmp(v, "false")) return -1;
      break;
  }
  return 0;
}

int parse_cli(int argc, char **argv, struct cli *c) {
  memset(c, 0, sizeof *c);
  unsigned given = 0;
  const char *pos[2];
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *tok = argv[i];
    size_t len = strlen(tok);
    if (len > 1 && tok[0] == '-') {
      if (tok[1] != '-') {
        // short flags are command flags only, after the command; the ones kept here: -f, exec's -d
        if (len != 2) return -1;
        if (tok[1] == 'f' && take_force(argc, argv, i, &given, c) == 0) continue;
        if (tok[1] == 'd' && take_detach(argc, argv, i, &given, c) == 0) continue;
        return -1;
      }
      if (len == 2) return -1;  // `--`
      const char *name = tok + 2;
      const char *eq = strchr(name, '=');
      size_t nlen = eq ? (size_t)(eq - name) : len - 2;
      if (name_is(name, nlen, "force")) {
        if (eq || take_force(argc, argv, i, &given, c) < 0) return -1;
        continue;
      }
      if (name_is(name, nlen, "detach")) {
        if (eq || take_detach(argc, argv, i, &given, c) < 0) return -1;
        continue;
      }
      if (name_is(name, nlen, "pid-file")) {
        if (take_pid_file(argc, argv, &i, eq ? eq + 1 : NULL, &given, c) < 0) return -1;
        continue;
      }
      if (take_global(argc, argv, &i, name, nlen, eq ? eq + 1 : NULL, &given, c) < 0) return -1;
      continue;
    }
    if (c->cmd == CMD_NONE) {
      c->cmd = command_of(tok);
      if (c->cmd == CMD_NONE) return -1;
      continue;
    }
    if (c->cmd == CMD_EXEC) {
      // src/cli/fastpath.ts splitCommand: everything after the id is the command, verbatim
      pos[npos++] = tok;
      c->cmd_argv = argv + i + 1;
      c->cmd_argc = argc - i - 1;
      if (c->cmd_argc > 0 && !strcmp(c->cmd_argv[0], "--")) {
        c->cmd_argv++;
        c->cmd_argc--;
      }
      break;
    }
    if (npos == 2) return -1;
    pos[npos++] = tok;
  }
  if (c->cmd == CMD_NONE || npos == 0) return -1;
  if (c->cmd == CMD_EXEC && c->cmd_argc == 0) return -1;  // no command: the core says so
  if (npos == 2 && c->cmd != CMD_KILL) return -1;
  c->id = pos[0];
  c->signal = npos == 2 ? pos[1] : NULL;
  return 0;
}

// yargs-parser's looksLikeNumber (fastpath.ts): such positionals become numbers.
static bool looks_like_number(const char *s) {
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
    const char *p = s + 2;
    while (is_digit(*p) || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')) p++;
    if (!*p) return true;
  }
  if (s[0] == '0' && s[1] && s[1] != '.') return false;
  const char *p = s;
  if (*p == '-') p++;
  if (is_digit(*p)) {
    while (is_digit(*p)) p++;
    if (*p == '.')
      for (p++; is_digit(*p); p++) {}
  } else if (*p == '.' && is_digit(p[1])) {
    for (p++; is_digit(*p); p++) {}
  } else {
    return false;
  }
  if (*p == 'e') {
    p++;
    if (*p == '-' || *p == '+') p++;
    if (!is_digit(*p)) return false;
    while (is_digit(*p)) p++;
  }
  return *p == '\0';
}

bool valid_id(const char *id) {
  // state-store.ts's ID_PATTERN /^[\w+.-]+$/, not "." or ".."
  if (!id || !*id || !strcmp(id, ".") || !strcmp(id, "..")) return false;
  bool digits_only = true;
  for (const char *p = id; *p; p++) {
    char ch = *p;
    bool alnum = is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    if (!alnum && ch != '_' && ch != '+' && ch != '.' && ch != '-') return false;
    if (!is_digit(ch)) digits_only = false;
  }
  // yargs turns "1e3" into 1000 and "1.50" into 1.5, so TypeScript would look for another id.
  // Digits alone come back unchanged (String(Number(x)) === x, or they stay strings).
  return digits_only || !looks_like_number(id);
}
