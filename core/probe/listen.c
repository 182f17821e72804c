/* listen: inet_diag dump of listening/bound sockets on one port (see listen.h). */
#include "probe/listen.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#define TCP_LISTEN_STATE 10 /* TCP_LISTEN in the kernel's enum */
#define UDP_ANY_STATE 7     /* TCP_CLOSE: how unconnected UDP sockets are reported */
#define LISTEN_TIMEOUT_MS 2000

int nrb_listen_parse(const void *buf, size_t len, int port, struct nrb_listen_result *res)
{
	const struct nlmsghdr *nh = buf;
	size_t left = len;

	if (!buf || !res)
		return -EINVAL;
	while (left >= sizeof *nh) {
		size_t step;

		if (nh->nlmsg_len < sizeof *nh || nh->nlmsg_len > left)
			return -EBADMSG;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *e))
				return -EBADMSG;
			return e->error ? e->error : -EPROTO;
		}
		if (nh->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			const struct inet_diag_msg *m = NLMSG_DATA(nh);
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *m))
				return -EBADMSG;
			if (ntohs(m->id.idiag_sport) == port &&
			    (m->idiag_family == AF_INET || m->idiag_family == AF_INET6)) {
				if (res->count < NRB_LISTEN_MAX) {
					struct nrb_listen_sock *s = &res->socks[res->count++];
					memset(s, 0, sizeof *s);
					s->family = m->idiag_family;
					if (!inet_ntop(m->idiag_family, m->id.idiag_src, s->addr, sizeof s->addr))
						s->addr[0] = '\0';
					s->inode = m->idiag_inode;
					s->uid = m->idiag_uid;
					s->backlog = m->idiag_wqueue;
					s->queued = m->idiag_rqueue;
				} else {
					res->truncated = 1;
				}
			}
		}
		step = NLMSG_ALIGN(nh->nlmsg_len);
		if (step >= left)
			break;
		left -= step;
		nh = (const struct nlmsghdr *)((const char *)nh + step);
	}
	return 0;
}

/* Dump one family; add matches to res. */
static int dump(int family, int proto, int port, struct nrb_listen_result *res,
                char *err, size_t errlen)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char buf[16384];
	int fd, rc = 0, e;

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = sizeof req;
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.r.sdiag_family = (unsigned char)family;
	req.r.sdiag_protocol = (unsigned char)proto;
	req.r.idiag_states = 1u << (proto == IPPROTO_TCP ? TCP_LISTEN_STATE : UDP_ANY_STATE);
	req.r.id.idiag_sport = htons((uint16_t)port);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		e = errno;
		return nrb_err(err, errlen, e, "listen: sock_diag socket: %s", strerror(e));
	}
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = errno;
		close(fd);
		return nrb_err(err, errlen, e, "listen: sock_diag send: %s", strerror(e));
	}
	/* the dump comes in several datagrams; bounded by count and time */
	for (int i = 0; i < 10000 && rc == 0; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, LISTEN_TIMEOUT_MS) <= 0) {
			close(fd);
			return nrb_err(err, errlen, ETIMEDOUT, "listen: no complete answer from sock_diag");
		}
		n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			e = errno;
			close(fd);
			return nrb_err(err, errlen, e, "listen: sock_diag receive: %s", strerror(e));
		}
		rc = nrb_listen_parse(buf, (size_t)n, port, res);
	}
	close(fd);
	if (rc < 0)
		return nrb_err(err, errlen, -rc, "listen: sock_diag: %s", strerror(-rc));
	return 0;
}

int nrb_listen_lookup(int proto, int port, struct nrb_listen_result *res, char *err, size_t errlen)
{
	int rc;

	if (!res || (proto != IPPROTO_TCP && proto != IPPROTO_UDP) || port < 1 || port > 65535)
		return nrb_err(err, errlen, EINVAL, "listen: protocol must be tcp or udp and port 1..65535");
	memset(res, 0, sizeof *res);
	rc = dump(AF_INET, proto, port, res, err, errlen);
	if (rc == 0)
		rc = dump(AF_INET6, proto, port, res, err, errlen);
	/* a host without IPv6 answers the v6 dump with an error: keep the v4 answer */
	if (rc == -EAFNOSUPPORT || rc == -ENOENT)
		rc = 0;
	return rc;
}
