// Small system helpers for the front end: growable strings, whole-file reads, messages, errno
// names as Node spells them, Node's path.dirname/basename, and `rm -rf`. Every fd is opened
// O_CLOEXEC and closed before return, so nothing leaks into the core if the front end falls back.
#include "front.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void dstr_add(struct dstr *d, const char *s, size_t n) {
  if (d->failed) return;
  if (d->len + n + 1 > d->cap) {
    size_t cap = d->cap ? d->cap : 256;
    while (cap < d->len + n + 1) cap *= 2;
    char *p = realloc(d->p, cap);
    if (!p) {
      d->failed = true;
      return;
    }
    d->p = p;
    d->cap = cap;
  }
  memcpy(d->p + d->len, s, n);
  d->len += n;
  d->p[d->len] = '\0';
}

void dstr_adds(struct dstr *d, const char *s) { dstr_add(d, s, strlen(s)); }
void dstr_addc(struct dstr *d, char c) { dstr_add(d, &c, 1); }

char *read_file(const char *path, size_t max, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct dstr d = {0};
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      d.failed = true;
      break;
    }
    if (n == 0) break;
    if (d.len + (size_t)n > max) {
      errno = EFBIG;
      d.failed = true;
      break;
    }
    dstr_add(&d, chunk, (size_t)n);
  }
  int saved = errno;
  close(fd);
  if (!d.failed && !d.p) dstr_add(&d, "", 0);  // an empty file is an empty string
  if (d.failed) {
    free(d.p);
    errno = saved;
    return NULL;
  }
  *len = d.len;
  return d.p;
}

int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static const char *g_log_path;
static bool g_log_json;

void log_errors_to(const char *path, bool json) {
  g_log_path = path;
  g_log_json = json;
}

// JSON.stringify's escaping of a string (without the quotes).
static void json_escape(struct dstr *d, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      dstr_addc(d, '\\');
      dstr_addc(d, (char)c);
    } else if (c < 0x20) {
      static const char short_form[] = "btn\0fr";  // \b \t \n (\v has none) \f \r
      if (c >= 8 && c <= 13 && c != 11) {
        dstr_addc(d, '\\');
        dstr_addc(d, short_form[c - 8]);
      } else {
        char u[8];
        snprintf(u, sizeof u, "\\u%04x", c);
        dstr_adds(d, u);
      }
    } else {
      dstr_addc(d, (char)c);
    }
  }
}

// src/cli/log.ts: the same line createLogger writes for an error, appended to --log.
static void log_error(const char *msg, size_t n) {
  if (!g_log_path) return;
  struct timespec ts;
  struct tm tm;
  char when[40];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + w, sizeof when - w, ".%03ldZ", ts.tv_nsec / 1000000);
  struct dstr d = {0};
  if (g_log_json) {
    dstr_adds(&d, "{\"level\":\"error\",\"msg\":\"");
    json_escape(&d, msg, n);
    dstr_adds(&d, "\",\"time\":\"");
    dstr_adds(&d, when);
    dstr_adds(&d, "\"}\n");
  } else {
    dstr_adds(&d, "time=\"");
    dstr_adds(&d, when);
    dstr_adds(&d, "\" level=error msg=\"");
    json_escape(&d, msg, n);
    dstr_adds(&d, "\"\n");
  }
  int fd = open(g_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  // a log we cannot write must not hide the error itself, which stderr still gets
  if (fd >= 0 && !d.failed) (void)write_all(fd, d.p, d.len);
  if (fd >= 0) close(fd);
  free(d.p);
}

void say(const char *fmt, ...) {
  char line[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
  log_error(line, (size_t)n);
  line[n++] = '\n';
  static const char prefix[] = "ocirt: ";
  // one write per line where possible: an engine reading stderr sees whole lines
  char whole[sizeof prefix + sizeof line];
  memcpy(whole, prefix, sizeof prefix - 1);
  memcpy(whole + sizeof prefix - 1, line, (size_t)n);
  (void)write_all(2, whole, sizeof prefix - 1 + (size_t)n);
}

char *str_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

const char *errno_name(int err) {
  static const struct {
    int err;
    const char *name;
  } names[] = {
      {EPERM, "EPERM"},
      {ENOENT, "ENOENT"},
      {EIO, "EIO"},
      {EBADF, "EBADF"},
      {EAGAIN, "EAGAIN"},
      {ENOMEM, "ENOMEM"},
      {EACCES, "EACCES"},
      {EBUSY, "EBUSY"},
      {EEXIST, "EEXIST"},
      {ENOTDIR, "ENOTDIR"},
      {EISDIR, "EISDIR"},
      {EINVAL, "EINVAL"},
      {ENFILE, "ENFILE"},
      {EMFILE, "EMFILE"},
      {ENOSPC, "ENOSPC"},
      {EROFS, "EROFS"},
      {EPIPE, "EPIPE"},
      {ELOOP, "ELOOP"},
      {ENAMETOOLONG, "ENAMETOOLONG"},
      {ENOTEMPTY, "ENOTEMPTY"},
      {ESRCH, "ESRCH"},
      {EINTR, "EINTR"},
      {EFBIG, "EFBIG"},
      {EXDEV, "EXDEV"},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].err == err) return names[i].name;
  return strerror(err);
}

void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

// ---- rm -rf ----

#define MAX_DEPTH 32

static int remove_entry(int dirfd, const char *name, unsigned char type, int depth);

// Remove everything inside the directory open as fd. Entries removed while reading may make
// readdir skip others, so it reads again until a pass finds nothing.
static int clear_dir(int fd, int depth) {
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return -1;
  DIR *dir = fdopendir(dup_fd);
  if (!dir) {
    int saved = errno;
    close(dup_fd);
    errno = saved;
    return -1;
  }
  int rc = 0;
  for (int pass = 0; pass < 8; pass++) {
    bool found = false;
    rewinddir(dir);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(dir)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      found = true;
      if (remove_entry(fd, e->d_name, e->d_type, depth) < 0) {
        rc = -1;
        break;
      }
      errno = 0;
    }
    if (rc < 0 || (e == NULL && errno != 0)) {
      rc = -1;
      break;
    }
    if (!found) break;
  }
  int saved = errno;
  closedir(dir);
  errno = saved;
  return rc;
}

static int remove_entry(int dirfd, const char *name, unsigned char type, int depth) {
  if (type != DT_DIR) {
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return 0;
    if (errno != EISDIR && errno != EPERM) return -1;
    // DT_UNKNOWN on some filesystems, or EPERM as POSIX allows for directories: try as one
  }
  if (depth >= MAX_DEPTH) {
    errno = ELOOP;
    return -1;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  int rc = clear_dir(fd, depth + 1);
  int saved = errno;
  close(fd);
  errno = saved;
  if (rc < 0) return -1;
  if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return 0;
  return -1;
}

int remove_tree(const char *path) {
  // rmSync(dir, {recursive: true, force: true}): gone already is fine; a symlink is removed, not
  // followed
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    if (errno != ENOTDIR && errno != ELOOP) return -1;
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
  }
  int rc = clear_dir(fd, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  if (rc < 0) return -1;
  return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}

// state-store.ts StateStore.remove: everything but state.json first, state.json last, then the
// directory, so that a delete killed halfway leaves a record the next delete finishes from.
int remove_state_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  int dfd = dup(fd);
  DIR *dir = dfd < 0 ? NULL : fdopendir(dfd);
  if (!dir) {
    int saved = errno;
    if (dfd >= 0) close(dfd);
    close(fd);
    errno = saved;
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  errno = 0;
  while ((e = readdir(dir)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "state.json")) continue;
    if (remove_entry(fd, e->d_name, e->d_type, 0) < 0) {
      rc = -1;
      break;
    }
    errno = 0;
  }
  if (rc == 0 && errno != 0) rc = -1;
  if (rc == 0 && unlinkat(fd, "state.json", 0) < 0 && errno != ENOENT) rc = -1;
  int saved = errno;
  closedir(dir);
  close(fd);
  errno = saved;
  if (rc < 0) return -1;
  // whatever appeared meanwhile (nothing should: we hold the lock) goes the generic way
  return remove_tree(path);
}
