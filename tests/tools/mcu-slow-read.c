/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A slow disk for the tests, by LD_PRELOAD: every read() of a file whose
 * name ends in $MCU_SLOW_READ_SUFFIX first sleeps $MCU_SLOW_READ_MS
 * milliseconds. A program that reads such a file on its main loop stalls
 * with it; one that reads in a worker thread does not
 * (tests/integration/test_download.py). Other files are untouched. */
#define _GNU_SOURCE
/* open and open64 are both defined here: no redirection of one to the
 * other (meson builds with _FILE_OFFSET_BITS=64) */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536

/* 1: an fd of a slow file (set by the open calls, cleared by close) */
static unsigned char slow_fds[MAX_FDS];

static int
is_slow_path (const char *path)
{
  const char *suffix = getenv ("MCU_SLOW_READ_SUFFIX");
  size_t n, m;

  if (path == NULL || suffix == NULL || *suffix == '\0')
    return 0;
  n = strlen (path);
  m = strlen (suffix);
  return n >= m && strcmp (path + n - m, suffix) == 0;
}

static int
note (int fd, const char *path)
{
  if (fd >= 0 && fd < MAX_FDS)
    __atomic_store_n (&slow_fds[fd], is_slow_path (path), __ATOMIC_RELAXED);
  return fd;
}

typedef int (*OpenFunc) (const char *, int, ...);
typedef int (*OpenAtFunc) (int, const char *, int, ...);
typedef ssize_t (*ReadFunc) (int, void *, size_t);
typedef int (*CloseFunc) (int);

#define REAL(name, type)   \
  static type real_##name; \
  if (!real_##name)        \
  real_##name = (type)dlsym (RTLD_NEXT, #name)

static mode_t
mode_arg (int flags, va_list ap)
{
  return (flags & (O_CREAT | O_TMPFILE)) ? va_arg (ap, mode_t) : 0;
}

int
open (const char *path, int flags, ...)
{
  REAL (open, OpenFunc);
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = mode_arg (flags, ap);
  va_end (ap);
  return note (real_open (path, flags, mode), path);
}

int
open64 (const char *path, int flags, ...)
{
  REAL (open64, OpenFunc);
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = mode_arg (flags, ap);
  va_end (ap);
  return note (real_open64 (path, flags, mode), path);
}

int
openat (int dir, const char *path, int flags, ...)
{
  REAL (openat, OpenAtFunc);
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = mode_arg (flags, ap);
  va_end (ap);
  return note (real_openat (dir, path, flags, mode), path);
}

int
openat64 (int dir, const char *path, int flags, ...)
{
  REAL (openat64, OpenAtFunc);
  va_list ap;
  mode_t mode;

  va_start (ap, flags);
  mode = mode_arg (flags, ap);
  va_end (ap);
  return note (real_openat64 (dir, path, flags, mode), path);
}

ssize_t
read (int fd, void *buf, size_t count)
{
  REAL (read, ReadFunc);

  if (fd >= 0 && fd < MAX_FDS &&
      __atomic_load_n (&slow_fds[fd], __ATOMIC_RELAXED)) {
    const char *ms = getenv ("MCU_SLOW_READ_MS");
    long delay = ms ? atol (ms) : 0;
    struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };

    nanosleep (&ts, NULL);
  }
  return real_read (fd, buf, count);
}

int
close (int fd)
{
  REAL (close, CloseFunc);

  if (fd >= 0 && fd < MAX_FDS)
    __atomic_store_n (&slow_fds[fd], 0, __ATOMIC_RELAXED);
  return real_close (fd);
}
