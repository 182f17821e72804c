/* TCP connect probe: non-blocking connect bounded by poll() (see probe.h). */
#include "probe/probe.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *nrb_tcp_status_name(enum nrb_tcp_status st)
{
	switch (st) {
	case NRB_TCP_CONNECTED: return "connected";
	case NRB_TCP_REFUSED: return "refused";
	case NRB_TCP_TIMEOUT: return "timeout";
	case NRB_TCP_UNREACHABLE: return "unreachable";
	case NRB_TCP_INTERRUPTED: return "interrupted";
	case NRB_TCP_ERROR: return "error";
	}
	return "error";
}

const char *nrb_xchg_status_name(enum nrb_xchg_status st)
{
	switch (st) {
	case NRB_XCHG_NONE: return "none";
	case NRB_XCHG_RESPONSE: return "response";
	case NRB_XCHG_RESET: return "reset";
	case NRB_XCHG_CLOSED: return "closed";
	case NRB_XCHG_TIMEOUT: return "timeout";
	case NRB_XCHG_ERROR: return "error";
	}
	return "error";
}

int nrb_sockaddr_parse(const char *text, int port, struct sockaddr_storage *ss,
                       socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (!text || !ss || !len || port < 1 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof *in4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof *in6;
		return 0;
	}
	return -EINVAL;
}

/* Map a connect() errno to the probe's vocabulary. */
static enum nrb_tcp_status classify(int e)
{
	switch (e) {
	case 0: return NRB_TCP_CONNECTED;
	case ECONNREFUSED: return NRB_TCP_REFUSED;
	case ETIMEDOUT: return NRB_TCP_TIMEOUT;
	case EHOSTUNREACH: case ENETUNREACH: case EACCES: case EPERM:
	case EHOSTDOWN: case ENONET: case EPROTO:
		/* EACCES/EPERM: an ICMP admin-prohibited or a local firewall REJECT. */
		return NRB_TCP_UNREACHABLE;
	default: return NRB_TCP_ERROR;
	}
}

static void local_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	const void *a;
	int port;

	buf[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		a = &((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		if (inet_ntop(AF_INET, a, host, sizeof host))
			snprintf(buf, len, "%s:%d", host, port);
	} else if (ss.ss_family == AF_INET6) {
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		if (inet_ntop(AF_INET6, a, host, sizeof host))
			snprintf(buf, len, "[%s]:%d", host, port);
	}
}

/* Wait for ev on fd until deadline.  @return 1 ready, 0 deadline, -1 interrupted, -errno. */
static int wait_for(int fd, short ev, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now;
	int rc;

	for (;;) {
		now = nrb_now_us();
		if (now >= deadline)
			return 0;
		pfd.fd = fd;
		pfd.events = ev;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (rc < 0 && errno == EINTR) {
			if (nrb_interrupted())
				return -1;
			continue;
		}
		if (rc < 0)
			return -errno;
		if (rc > 0)
			return 1;
	}
}

/* Send the request on a connected socket and read the answer (see probe.h). */
static void exchange(int fd, const struct nrb_tcp_req *req, struct nrb_tcp_result *res)
{
	size_t max_read = req->max_read ? req->max_read : (size_t)1 << 20;
	uint64_t start = nrb_now_us();
	uint64_t deadline = start + (uint64_t)req->read_timeout_ms * 1000u;
	uint8_t buf[4096];
	ssize_t n;
	int rc;

	while (res->sent < req->send_len) {
		rc = wait_for(fd, POLLOUT, deadline);
		if (rc <= 0) {
			res->xchg = rc == 0 ? NRB_XCHG_TIMEOUT : NRB_XCHG_ERROR;
			res->xchg_error = rc == -1 ? EINTR : -rc;
			goto out;
		}
		n = send(fd, (const uint8_t *)req->send + res->sent, req->send_len - res->sent,
		         MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			res->xchg = errno == ECONNRESET || errno == EPIPE ? NRB_XCHG_RESET : NRB_XCHG_ERROR;
			res->xchg_error = errno;
			goto out;
		}
		res->sent += (size_t)n;
	}
	while (res->bytes < max_read) {
		rc = wait_for(fd, POLLIN, deadline);
		if (rc == 0) {
			res->xchg = res->bytes ? NRB_XCHG_RESPONSE : NRB_XCHG_TIMEOUT;
			goto out;
		}
		if (rc < 0) {
			res->xchg = NRB_XCHG_ERROR;
			res->xchg_error = rc == -1 ? EINTR : -rc;
			goto out;
		}
		n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			res->xchg = errno == ECONNRESET ? NRB_XCHG_RESET : NRB_XCHG_ERROR;
			res->xchg_error = errno;
			goto out;
		}
		if (n == 0) {
			res->xchg = res->bytes ? NRB_XCHG_RESPONSE : NRB_XCHG_CLOSED;
			goto out;
		}
		if (!res->bytes)
			res->first_byte_us = nrb_now_us() - start;
		if (res->head_len < sizeof res->head) {
			size_t k = sizeof res->head - res->head_len;

			if (k > (size_t)n)
				k = (size_t)n;
			memcpy(res->head + res->head_len, buf, k);
			res->head_len += k;
		}
		res->bytes += (size_t)n;
	}
	res->xchg = NRB_XCHG_RESPONSE; /* enough read */
out:
	res->xchg_us = nrb_now_us() - start;
}

int nrb_tcp_connect(const struct nrb_tcp_req *req, struct nrb_tcp_result *res,
                    char *err, size_t errlen)
{
	struct pollfd pfd;
	uint64_t start, deadline, now;
	int fd, rc, e;
	socklen_t elen = sizeof e;

	if (!req || !res)
		return nrb_err(err, errlen, EINVAL, "tcp_connect: no request or result");
	if (req->addr.ss_family != AF_INET && req->addr.ss_family != AF_INET6)
		return nrb_err(err, errlen, EINVAL, "tcp_connect: address family must be IPv4 or IPv6");
	if (req->timeout_ms < 1 || req->timeout_ms > 600000)
		return nrb_err(err, errlen, EINVAL, "tcp_connect: timeout_ms %d not in 1..600000",
		               req->timeout_ms);
	if (req->send_len > NRB_TCP_MAX_SEND || (req->send_len && !req->send))
		return nrb_err(err, errlen, EINVAL, "tcp_connect: request must be 1..%d bytes",
		               NRB_TCP_MAX_SEND);
	if (req->send_len && (req->read_timeout_ms < 1 || req->read_timeout_ms > 600000))
		return nrb_err(err, errlen, EINVAL, "tcp_connect: read_timeout_ms %d not in 1..600000",
		               req->read_timeout_ms);
	memset(res, 0, sizeof *res);

	fd = socket(req->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		res->status = NRB_TCP_ERROR;
		res->error = errno;
		return 0;
	}
	start = nrb_now_us();
	deadline = start + (uint64_t)req->timeout_ms * 1000u;
	rc = connect(fd, (const struct sockaddr *)&req->addr, req->addrlen);
	if (rc == 0) {
		e = 0;
		goto done;
	}
	if (errno != EINPROGRESS) {
		e = errno;
		goto done;
	}
	for (;;) {
		now = nrb_now_us();
		if (now >= deadline) {
			e = ETIMEDOUT;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (rc < 0 && errno == EINTR) {
			if (nrb_interrupted()) {
				res->status = NRB_TCP_INTERRUPTED;
				res->error = EINTR;
				res->elapsed_us = nrb_now_us() - start;
				close(fd);
				return 0;
			}
			continue;
		}
		if (rc < 0) {
			e = errno;
			break;
		}
		if (rc == 0)
			continue; /* loop re-checks the deadline */
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		break;
	}
done:
	res->elapsed_us = nrb_now_us() - start;
	res->error = (e == ETIMEDOUT) ? 0 : e;
	res->status = classify(e);
	if (res->status == NRB_TCP_CONNECTED) {
		local_name(fd, res->local, sizeof res->local);
		if (req->send_len)
			exchange(fd, req, res);
	}
	close(fd);
	return 0;
}
