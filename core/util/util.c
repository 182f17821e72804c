/* util: clock, interrupt flag, error formatting and file helpers (see util.h). */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t nrb_interrupt_signal = 0;

uint64_t nrb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void nrb_rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}

int nrb_interrupted(void)
{
	return (int)nrb_interrupt_signal;
}

static void on_signal(int sig)
{
	/* First signal: ask the run to stop and write its partial report.  Second (either
	 * one): the user means it, die by it now.  sig is blocked while this handler runs, so
	 * the re-raised signal is delivered, with the default action, as soon as it returns.
	 * signal() and raise() are async-signal-safe. */
	if (nrb_interrupt_signal) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	nrb_interrupt_signal = sig;
}

void nrb_install_interrupt_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const char *nrb_errno_name(int e)
{
	/* the errors sockets, connect, routes and the probes' files report; glibc's
	 * strerrorname_np is not portable */
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {EINTR, "EINTR"}, {EIO, "EIO"},
		{EBADF, "EBADF"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"},
		{EEXIST, "EEXIST"}, {ENODEV, "ENODEV"}, {EINVAL, "EINVAL"}, {EMFILE, "EMFILE"},
		{ENFILE, "ENFILE"}, {ENOSPC, "ENOSPC"}, {EPIPE, "EPIPE"}, {ENOSYS, "ENOSYS"},
		{ENOBUFS, "ENOBUFS"}, {EMSGSIZE, "EMSGSIZE"}, {EPROTO, "EPROTO"},
		{EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {ENOPROTOOPT, "ENOPROTOOPT"},
		{EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
		{EADDRINUSE, "EADDRINUSE"}, {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
		{ENETDOWN, "ENETDOWN"}, {ENETUNREACH, "ENETUNREACH"}, {ENETRESET, "ENETRESET"},
		{ECONNABORTED, "ECONNABORTED"}, {ECONNRESET, "ECONNRESET"}, {EISCONN, "EISCONN"},
		{ENOTCONN, "ENOTCONN"}, {ETIMEDOUT, "ETIMEDOUT"}, {ECONNREFUSED, "ECONNREFUSED"},
		{EHOSTDOWN, "EHOSTDOWN"}, {EHOSTUNREACH, "EHOSTUNREACH"}, {EALREADY, "EALREADY"},
		{EINPROGRESS, "EINPROGRESS"}, {ELOOP, "ELOOP"}, {ENAMETOOLONG, "ENAMETOOLONG"},
		{EFBIG, "EFBIG"}, {EISDIR, "EISDIR"}, {ENOTDIR, "ENOTDIR"}, {EROFS, "EROFS"},
#ifdef ENONET
		{ENONET, "ENONET"},
#endif
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].e == e)
			return names[i].name;
	return NULL;
}

int nrb_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -code;
}

/* Write all of data to fd, retrying on EINTR.  @return 0 or an errno value. */
static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		off += (size_t)n;
	}
	return 0;
}

/* Write data to an existing non-regular file (device, FIFO) without creating or renaming. */
static int write_in_place(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	int fd, e;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return nrb_err(err, errlen, e, "%s: %s", path, strerror(e));
	}
	e = write_all(fd, data, len);
	if (close(fd) < 0 && !e)
		e = errno;
	if (e)
		return nrb_err(err, errlen, e, "%s: %s", path, strerror(e));
	return 0;
}

int nrb_write_file_atomic(const char *path, const char *data, size_t len,
                          char *err, size_t errlen)
{
	char tmp[4096];
	struct stat st;
	int fd, e;

	if (!path || !data)
		return nrb_err(err, errlen, EINVAL, "no path or no data to write");
	/* An existing path that is not a regular file (/dev/null, /dev/stdout, a FIFO) is
	 * written in place: renaming over it would replace a device node with a regular
	 * file, and nrb runs as root (`--output /dev/null` would turn the host's /dev/null
	 * into a file). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return write_in_place(path, data, len, err, errlen);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
		return nrb_err(err, errlen, ENAMETOOLONG, "%s: path too long", path);
	/* A new file, never an existing one: O_EXCL refuses a name someone planted (a
	 * symlink to a file root would then truncate, or a leftover), O_NOFOLLOW says so
	 * for a symlink even where O_EXCL alone would. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		if (e == EEXIST || e == ELOOP)
			return nrb_err(err, errlen, EEXIST,
			               "%s: the temporary file %s already exists (left over or planted); "
			               "remove it or choose another output path", path, tmp);
		return nrb_err(err, errlen, e, "%s: %s", path, strerror(e));
	}
	e = write_all(fd, data, len);
	if (e)
		goto fail;
	if (fsync(fd) < 0 && errno != EINVAL) {
		e = errno;
		goto fail;
	}
	if (close(fd) < 0) {
		e = errno;
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		return nrb_err(err, errlen, e, "%s: %s", path, strerror(e));
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return nrb_err(err, errlen, e, "%s: %s", path, strerror(e));
}

int nrb_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len,
                  char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	int fd, e;

	if (!path || !out)
		return nrb_err(err, errlen, EINVAL, "no path to read");
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return nrb_err(err, errlen, e, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nrb_err(err, errlen, EISDIR, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > max_bytes) {
		close(fd);
		return nrb_err(err, errlen, EFBIG, "%s: larger than %zu bytes", path, max_bytes);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return nrb_err(err, errlen, ENOMEM, "%s: out of memory", path);
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*out = buf;
	if (out_len)
		*out_len = off;
	return 0;
}
