// ocirt's native front end (dist/ocirt-exe): the happy path of `state`, `start`, `kill` and
// `delete`, without the ~17 ms a Bun executable needs just to start. Everything it is not sure
// about goes, argv unchanged, to the TypeScript executable (dist/ocirt-core), which stays the one
// source of truth for errors and edge cases: see docs/architecture.md "Native fast path".
#ifndef OCIRT_FRONT_H
#define OCIRT_FRONT_H

#include <stdbool.h>
#include <stddef.h>

// ---- args.c: the subset of the CLI handled here (a restriction of src/cli/fastpath.ts) ----

enum command { CMD_NONE, CMD_STATE, CMD_START, CMD_KILL, CMD_DELETE, CMD_EXEC };

struct cli {
  enum command cmd;
  const char *root;  // --root as given (NULL if absent)
  const char *log;   // --log (NULL if absent): errors reported here go there too
  bool log_json;     // --log-format json
  bool force;        // delete --force / -f
  const char *id;
  const char *signal;    // kill's second positional, NULL if absent
  bool detach;           // exec -d / --detach
  const char *pid_file;  // exec --pid-file, NULL if absent
  char **cmd_argv;       // exec: the command after the id (without a leading "--")
  int cmd_argc;
};

// ---- front.c: what the commands share ----

enum outcome { DONE, FAILED, FALLBACK };

struct paths {
  char *dir;    // <root>/<id>
  char *state;  // <root>/<id>/state.json
  char *fifo;   // <root>/<id>/exec.fifo
  char *hooks;  // <root>/<id>/hooks: the container has hooks, start and delete are the core's
  char *lock;   // <root>/.lock-<id>
};

// The per-id lock (state-store.ts StateStore.lock): 0 if taken; an existing lock is the core's.
int lock_take(const char *lock);
void lock_release(const char *lock);

// ---- exec.c: exec [-d] [--pid-file F] ID ARGS... from the exec template ----

// DONE with *exit_code set (the process's status in the foreground), or FALLBACK.
enum outcome cmd_exec(const struct paths *p, const struct cli *c, int *exit_code);

// 0, or -1 for anything outside the subset (the caller falls back).
int parse_cli(int argc, char **argv, struct cli *out);
// The id is safe to use as one path component and is the string TypeScript would see.
bool valid_id(const char *id);

// ---- signals.c: src/container/signals.ts parseSignal ----

// 1..SIGRTMAX, or -1 for anything parseSignal would reject or that is unusual (then: fallback).
int parse_signal(const char *text);

// ---- state.c: state.json as src/container/state-store.ts writes it, and the derived status ----

// The raw text of a JSON string between its quotes. Only used for strings that are in
// JSON.stringify's own form, so it can be copied into output unchanged.
struct slice {
  const char *p;
  size_t n;
};

struct annotation {
  struct slice key, value;
};

struct path_list {
  char **v;  // decoded strings
  size_t n;
};

struct stored_state {
  struct slice oci_version, id, bundle, rootfs, created, owner;
  struct slice pid_text;  // canonical decimal digits of pid
  unsigned long long pid, start_time;
  struct annotation *annotations;
  size_t n_annotations;
  char *cgroup_path;  // decoded; NULL when absent
  struct path_list cgroup_v1_paths;
  // the hierarchy of each v1 path ("memory", "cpu,cpuacct"), parallel to cgroup_v1_paths
  struct path_list cgroup_v1_controllers;
  bool rootless;
};

// 0, or -1 when the file cannot be read or does not have exactly the expected shape.
int read_state(const char *path, struct stored_state *st);

enum status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED, ST_UNSURE };

bool same_process(unsigned long long pid, unsigned long long start_time);
// ST_UNSURE: running or paused, but the freezer's file holds something JavaScript's trim() might
// read differently. The freezer is src/cgroups/record.ts freezerOf's: the v1 freezer hierarchy's
// directory when the container has one (freezer.state FROZEN), else cgroup.freeze of cgroupPath.
enum status derive_status(const struct stored_state *st, const char *fifo_path);
const char *status_name(enum status s);

// ---- sys.c: small system helpers ----

// A growable byte string; on allocation failure `failed` is set and appends are ignored.
struct dstr {
  char *p;
  size_t len, cap;
  bool failed;
};
void dstr_add(struct dstr *d, const char *s, size_t n);
void dstr_adds(struct dstr *d, const char *s);
void dstr_addc(struct dstr *d, char c);

// NUL-terminated contents of a file, at most `max` bytes (else NULL, errno EFBIG).
char *read_file(const char *path, size_t max, size_t *len);
int write_all(int fd, const char *p, size_t n);
// One line "ocirt: <message>" on stderr, and in the --log file as src/cli/log.ts writes an error.
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errors_to(const char *path, bool json);
// "ENOENT", ... (as Node names them), or strerror for the rare ones.
const char *errno_name(int err);
// `rm -rf path`: 0, or -1 with errno set.
int remove_tree(const char *path);
// state-store.ts StateStore.remove: everything but state.json first, state.json last.
int remove_state_dir(const char *path);
// Sprintf into a new string, NULL on failure.
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sleep_ms(long ms);

#endif
