/* Unit tests for core/util: atomic write, bounded read, error formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/util.h"

static void test_err_formats_and_negates(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(nrb_err(buf, sizeof buf, EINVAL, "bad %s", "port"), -EINVAL);
	assert_string_equal(buf, "bad port");
	/* truncated, still terminated */
	assert_int_equal(nrb_err(buf, 4, ENOENT, "abcdefgh"), -ENOENT);
	assert_string_equal(buf, "abc");
	assert_int_equal(nrb_err(NULL, 0, EIO, "x"), -EIO);
	/* errno names for evidence */
	assert_string_equal(nrb_errno_name(ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(nrb_errno_name(EHOSTUNREACH), "EHOSTUNREACH");
	assert_null(nrb_errno_name(0));
	assert_null(nrb_errno_name(-1));
}

static void test_atomic_write_then_read(void **state)
{
	char dir[] = "/tmp/nrb-util-XXXXXX", path[256], err[256];
	char *data = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out.json", dir);
	assert_int_equal(nrb_write_file_atomic(path, "{\"a\":1}", 7, err, sizeof err), 0);
	assert_int_equal(nrb_read_file(path, 1024, &data, &len, err, sizeof err), 0);
	assert_int_equal(len, 7);
	assert_string_equal(data, "{\"a\":1}");
	free(data);
	/* over the size limit */
	assert_int_equal(nrb_read_file(path, 3, &data, &len, err, sizeof err), -EFBIG);
	assert_non_null(strstr(err, path));
	/* a directory is not a file */
	assert_int_equal(nrb_read_file(dir, 1024, &data, &len, err, sizeof err), -EISDIR);
	unlink(path);
	/* missing file names the path */
	assert_int_equal(nrb_read_file(path, 1024, &data, &len, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "out.json"));
	/* a write into a missing directory fails and leaves nothing behind */
	snprintf(path, sizeof path, "%s/missing/out.json", dir);
	assert_true(nrb_write_file_atomic(path, "x", 1, err, sizeof err) < 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(nrb_write_file_atomic(NULL, "x", 1, err, sizeof err), -EINVAL);
}

/* A FIFO (standing in for /dev/null or /dev/stdout) is written in place, never replaced
 * by a regular file through the rename. */
static void test_atomic_write_to_a_fifo_writes_in_place(void **state)
{
	char dir[] = "/tmp/nrb-util-XXXXXX", path[256], err[256], buf[8] = { 0 };
	struct stat st;
	int rd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK); /* a reader, so the writer's open does not block */
	assert_true(rd >= 0);
	assert_int_equal(nrb_write_file_atomic(path, "abc", 3, err, sizeof err), 0);
	assert_int_equal(read(rd, buf, sizeof buf), 3);
	assert_string_equal(buf, "abc");
	close(rd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The temporary name is never followed: a symlink planted there (to a file root would
 * truncate) makes the write fail clearly, and the symlink's target is left as it was. */
static void test_atomic_write_refuses_a_planted_tmp(void **state)
{
	char dir[] = "/tmp/nrb-util-XXXXXX", path[256], tmp[300], victim[256], err[512];
	char *data = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/report.md", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	assert_int_equal(nrb_write_file_atomic(victim, "keep", 4, err, sizeof err), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(nrb_write_file_atomic(path, "report", 6, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(nrb_read_file(victim, 64, &data, &len, err, sizeof err), 0);
	assert_string_equal(data, "keep");
	free(data);
	assert_int_equal(access(path, F_OK), -1);
	/* a dangling symlink (O_CREAT alone would create its target) */
	unlink(tmp);
	unlink(victim);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(nrb_write_file_atomic(path, "report", 6, err, sizeof err), -EEXIST);
	assert_int_equal(access(victim, F_OK), -1);
	/* a leftover regular file is refused too, not truncated */
	unlink(tmp);
	assert_int_equal(nrb_write_file_atomic(tmp, "old", 3, err, sizeof err), 0);
	assert_int_equal(nrb_write_file_atomic(path, "report", 6, err, sizeof err), -EEXIST);
	unlink(tmp);
	assert_int_equal(nrb_write_file_atomic(path, "report", 6, err, sizeof err), 0);
	unlink(path);
	rmdir(dir);
}

/* The first SIGINT/SIGTERM only sets the flag; the second one kills (in a child). */
static void test_second_signal_kills(void **state)
{
	int sigs[][2] = {{SIGINT, SIGINT}, {SIGTERM, SIGTERM}, {SIGINT, SIGTERM}};

	(void)state;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		int status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			nrb_install_interrupt_handlers();
			raise(sigs[i][0]);
			if (nrb_interrupted() != sigs[i][0])
				_exit(10);
			raise(sigs[i][1]);
			_exit(11); /* still alive after the second signal */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), sigs[i][1]);
	}
}

static void test_clock_is_monotonic(void **state)
{
	uint64_t a = nrb_now_us(), b = nrb_now_us();
	char ts[40];

	(void)state;
	assert_true(b >= a);
	nrb_rfc3339_now(ts, sizeof ts);
	assert_int_equal(strlen(ts), 24);
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[23], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_formats_and_negates),
		cmocka_unit_test(test_atomic_write_then_read),
		cmocka_unit_test(test_atomic_write_to_a_fifo_writes_in_place),
		cmocka_unit_test(test_atomic_write_refuses_a_planted_tmp),
		cmocka_unit_test(test_second_signal_kills),
		cmocka_unit_test(test_clock_is_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
