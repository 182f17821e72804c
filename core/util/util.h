/*
 * util: small pieces every module needs and none owns: the monotonic clock, the
 * process-wide interrupt flag set by SIGINT/SIGTERM, bounded string helpers and the
 * atomic file write used for every report nrb produces.
 *
 * Conventions used across core/: functions return 0 or -errno; where a message is
 * useful they take `char *err, size_t errlen` and fill it (always NUL-terminated).
 */
#ifndef NRB_UTIL_H
#define NRB_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/** Monotonic time in microseconds (CLOCK_MONOTONIC); never use wall time for timeouts. */
uint64_t nrb_now_us(void);

/** Wall-clock time as RFC 3339 UTC with milliseconds ("2026-11-22T03:24:00.123Z").
 *  @param buf receives the text; @param len its size (>= 25). */
void nrb_rfc3339_now(char *buf, size_t len);

/** Set by the SIGINT/SIGTERM handler; 0 until then. Read with nrb_interrupted(). */
extern volatile sig_atomic_t nrb_interrupt_signal;

/** @return the signal number that asked the run to stop, or 0. */
int nrb_interrupted(void);

/** Install SIGINT/SIGTERM handlers that set nrb_interrupt_signal (no SA_RESTART, so a
 *  blocking poll() returns EINTR and probes notice). A second signal (SIGINT or
 *  SIGTERM) restores the default action and re-raises itself: the process dies by it,
 *  so a user can always kill a stuck run with a second Ctrl-C. */
void nrb_install_interrupt_handlers(void);

/** @return the symbolic name of errno value e ("ECONNREFUSED"), or NULL when it is not
 *  one of the errors nrb's probes and files meet (a static string: do not free). */
const char *nrb_errno_name(int e);

/** snprintf into err if err is not NULL; always NUL-terminates. @return -code (so
 *  `return nrb_err(err, len, EINVAL, "...")` reads naturally); code must be > 0. */
int nrb_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Write data to path atomically: write PATH.tmp.PID, fsync, rename over path. A reader
 *  never sees a half-written file, and an interrupted write leaves the old one.  The
 *  temporary file is created new (O_EXCL|O_NOFOLLOW): if the name exists already (a
 *  planted symlink, a leftover) the write fails with -EEXIST and nothing is followed.  An
 *  existing path that is not a regular file or directory (/dev/null, a FIFO) is opened
 *  and written in place instead, never replaced.
 *  @return 0 or -errno (err filled). */
int nrb_write_file_atomic(const char *path, const char *data, size_t len,
                          char *err, size_t errlen);

/** Read a whole regular file (at most max_bytes) into a new NUL-terminated buffer.
 *  @param out receives the buffer (caller frees); @param out_len its length.
 *  @return 0 or -errno (err names the path). */
int nrb_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len,
                  char *err, size_t errlen);

#endif
