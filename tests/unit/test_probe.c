/* Unit tests for core/probe (TCP connect and resolve), on loopback only: a listener this
 * test opens, a port it closed, and a listener whose accept queue it fills so that SYNs
 * go unanswered (a timeout without leaving the host). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "probe/probe.h"
#include "util/util.h"

static int listener(int backlog, int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static struct nrb_tcp_req req_for(const char *addr, int port, int timeout_ms)
{
	struct nrb_tcp_req r;

	memset(&r, 0, sizeof r);
	assert_int_equal(nrb_sockaddr_parse(addr, port, &r.addr, &r.addrlen), 0);
	r.timeout_ms = timeout_ms;
	return r;
}

static void test_connected_and_refused(void **state)
{
	struct nrb_tcp_result res;
	struct nrb_tcp_req r;
	char err[128];
	int port, closed;
	int fd = listener(8, &port);

	(void)state;
	r = req_for("127.0.0.1", port, 1000);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.status, NRB_TCP_CONNECTED);
	assert_string_equal(nrb_tcp_status_name(res.status), "connected");
	assert_int_equal(res.error, 0);
	assert_true(res.elapsed_us < 1000000);
	assert_true(strncmp(res.local, "127.0.0.1:", 10) == 0);
	close(fd);

	/* a bound socket that never listens: the kernel answers the SYN with RST */
	fd = listener(-1, &closed);
	r = req_for("127.0.0.1", closed, 1000);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.status, NRB_TCP_REFUSED);
	assert_int_equal(res.error, ECONNREFUSED);
	assert_string_equal(res.local, "");
	close(fd);
}

static void test_ipv6_loopback(void **state)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct nrb_tcp_result res;
	struct nrb_tcp_req r;
	socklen_t len = sizeof a;
	char err[128];
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	(void)state;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		if (fd >= 0)
			close(fd);
		skip(); /* no IPv6 on this host */
	}
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	r = req_for("::1", ntohs(a.sin6_port), 1000);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.status, NRB_TCP_CONNECTED);
	assert_true(strncmp(res.local, "[::1]:", 6) == 0);
	close(fd);
}

/* Fill the accept queue of a backlog-0 listener so that further SYNs are dropped. */
static int full_listener(int *port, int fillers[], int nfill)
{
	int fd = listener(0, port);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons((uint16_t)*port)};

	for (int i = 0; i < nfill; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fillers[i], (struct sockaddr *)&a, sizeof a);
	}
	usleep(50000);
	return fd;
}

static void test_timeout_is_bounded(void **state)
{
	struct nrb_tcp_result res;
	struct nrb_tcp_req r;
	int port, fillers[4];
	char err[128];
	int fd = full_listener(&port, fillers, 4);
	uint64_t t0 = nrb_now_us();

	(void)state;
	r = req_for("127.0.0.1", port, 300);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.status, NRB_TCP_TIMEOUT);
	assert_int_equal(res.error, 0);
	/* at least the timeout, and not much more (generous bound: a noisy machine) */
	assert_true(res.elapsed_us >= 300000);
	assert_true(nrb_now_us() - t0 < 3000000);
	for (int i = 0; i < 4; i++)
		close(fillers[i]);
	close(fd);
}

static void test_interrupt_stops_a_waiting_probe(void **state)
{
	struct nrb_tcp_result res;
	struct nrb_tcp_req r;
	int port, fillers[4];
	char err[128];
	int fd = full_listener(&port, fillers, 4);

	(void)state;
	nrb_install_interrupt_handlers();
	/* a POSIX timer delivers SIGINT to this process 100 ms into the wait */
	r = req_for("127.0.0.1", port, 5000);
	{
		struct sigevent sev;
		timer_t tid;

		memset(&sev, 0, sizeof sev);
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGINT;
		assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &tid), 0);
		struct itimerspec its = {.it_value = {.tv_sec = 0, .tv_nsec = 100000000}};
		assert_int_equal(timer_settime(tid, 0, &its, NULL), 0);
		assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
		timer_delete(tid);
	}
	assert_int_equal(res.status, NRB_TCP_INTERRUPTED);
	assert_true(res.elapsed_us < 4000000);
	assert_int_equal(nrb_interrupted(), SIGINT);
	nrb_interrupt_signal = 0;
	signal(SIGINT, SIG_DFL);
	for (int i = 0; i < 4; i++)
		close(fillers[i]);
	close(fd);
}

enum peer_mode { ANSWER, RESET, CLOSE, SILENT };

/* A child process that accepts one connection on fd, reads the request and then answers,
 * resets (SO_LINGER 0), closes, or keeps silent for 2 s.  @return its PID. */
static pid_t peer(int fd, enum peer_mode mode)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[512];
		struct linger lg = {1, 0};
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			_exit(1);
		if (read(c, buf, sizeof buf) <= 0)
			_exit(2);
		if (mode == ANSWER) {
			static const char ans[] = "HTTP/1.0 200 OK\r\nX: \x01\r\n\r\nhello";

			if (write(c, ans, sizeof ans - 1) < 0)
				_exit(3);
		} else if (mode == RESET) {
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		} else if (mode == SILENT) {
			sleep(2);
		}
		close(c);
		_exit(0);
	}
	return pid;
}

static void test_request_exchange(void **state)
{
	static const char rq[] = "GET /forbidden HTTP/1.0\r\n\r\n";
	struct nrb_tcp_result res;
	struct nrb_tcp_req r;
	char err[128];
	int port, st;
	int fd = listener(8, &port);
	pid_t pid;

	(void)state;
	r = req_for("127.0.0.1", port, 1000);
	r.send = rq;
	r.send_len = sizeof rq - 1;
	r.read_timeout_ms = 500;

	pid = peer(fd, ANSWER);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.status, NRB_TCP_CONNECTED);
	assert_int_equal(res.xchg, NRB_XCHG_RESPONSE);
	assert_string_equal(nrb_xchg_status_name(res.xchg), "response");
	assert_int_equal(res.sent, sizeof rq - 1);
	assert_int_equal(res.bytes, 30); /* 17 + 6 + 2 + 5 */
	assert_int_equal(res.head_len, 30);
	assert_memory_equal(res.head, "HTTP/1.0 200 OK\r\n", 17);
	assert_true(res.first_byte_us > 0 && res.first_byte_us <= res.xchg_us);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* max_read stops reading early, and what was read counts as a response */
	pid = peer(fd, ANSWER);
	r.max_read = 5;
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.xchg, NRB_XCHG_RESPONSE);
	assert_true(res.bytes >= 5);
	r.max_read = 0;
	waitpid(pid, &st, 0);

	pid = peer(fd, RESET);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.status, NRB_TCP_CONNECTED);
	assert_int_equal(res.xchg, NRB_XCHG_RESET);
	assert_int_equal(res.xchg_error, ECONNRESET);
	assert_int_equal(res.bytes, 0);
	waitpid(pid, &st, 0);

	pid = peer(fd, CLOSE);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.xchg, NRB_XCHG_CLOSED);
	waitpid(pid, &st, 0);

	pid = peer(fd, SILENT);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.xchg, NRB_XCHG_TIMEOUT);
	assert_true(res.xchg_us >= 450000 && res.xchg_us < 1500000); /* read_timeout_ms bounds it */
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);

	/* without a request nothing is exchanged */
	pid = peer(fd, CLOSE);
	r.send = NULL;
	r.send_len = 0;
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), 0);
	assert_int_equal(res.xchg, NRB_XCHG_NONE);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);

	/* bad requests: too long, no bytes, no read timeout */
	r.send = rq;
	r.send_len = NRB_TCP_MAX_SEND + 1;
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "request"));
	r.send = NULL;
	r.send_len = 3;
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), -EINVAL);
	r.send = rq;
	r.read_timeout_ms = 0;
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "read_timeout_ms"));
	close(fd);
}

static void test_bad_requests(void **state)
{
	struct nrb_tcp_result res;
	struct nrb_tcp_req r;
	struct sockaddr_storage ss;
	socklen_t len;
	char err[128];

	(void)state;
	assert_int_equal(nrb_tcp_connect(NULL, &res, err, sizeof err), -EINVAL);
	memset(&r, 0, sizeof r);
	r.timeout_ms = 100;
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "family"));
	r = req_for("127.0.0.1", 9, 0);
	assert_int_equal(nrb_tcp_connect(&r, &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "timeout_ms 0"));
	/* address parsing: numeric only, port 1..65535 */
	assert_int_equal(nrb_sockaddr_parse("192.0.2.1", 443, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(nrb_sockaddr_parse("2001:db8::1", 443, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(nrb_sockaddr_parse("example.com", 443, &ss, &len), -EINVAL);
	assert_int_equal(nrb_sockaddr_parse("192.0.2.1", 0, &ss, &len), -EINVAL);
	assert_int_equal(nrb_sockaddr_parse("192.0.2.1", 65536, &ss, &len), -EINVAL);
	assert_int_equal(nrb_sockaddr_parse(NULL, 80, &ss, &len), -EINVAL);
}

static void test_resolve(void **state)
{
	struct nrb_resolve_result res;
	char err[128], longname[300];

	(void)state;
	assert_int_equal(nrb_resolve("203.0.113.10", AF_UNSPEC, &res, err, sizeof err), 0);
	assert_true(res.ok);
	assert_true(res.is_literal);
	assert_int_equal(res.count, 1);
	assert_string_equal(res.addrs[0], "203.0.113.10");
	assert_int_equal(res.families[0], AF_INET);
	assert_int_equal(nrb_resolve("2001:db8::10", AF_UNSPEC, &res, err, sizeof err), 0);
	assert_string_equal(res.addrs[0], "2001:db8::10");
	assert_int_equal(res.families[0], AF_INET6);
	/* a literal of the other family does not resolve */
	assert_int_equal(nrb_resolve("203.0.113.10", AF_INET6, &res, err, sizeof err), 0);
	assert_false(res.ok);
	assert_true(res.gai_error != 0);
	assert_true(strlen(res.error) > 0);
	/* localhost comes from /etc/hosts, no DNS traffic */
	assert_int_equal(nrb_resolve("localhost", AF_INET, &res, err, sizeof err), 0);
	assert_true(res.ok);
	assert_false(res.is_literal);
	assert_string_equal(res.addrs[0], "127.0.0.1");
	/* caller mistakes */
	assert_int_equal(nrb_resolve("", AF_UNSPEC, &res, err, sizeof err), -EINVAL);
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(nrb_resolve(longname, AF_UNSPEC, &res, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_resolve("x", 12345, &res, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_resolve(NULL, AF_UNSPEC, &res, err, sizeof err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connected_and_refused),
		cmocka_unit_test(test_ipv6_loopback),
		cmocka_unit_test(test_timeout_is_bounded),
		cmocka_unit_test(test_interrupt_stops_a_waiting_probe),
		cmocka_unit_test(test_request_exchange),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
