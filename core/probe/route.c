/* route: RTM_GETROUTE over rtnetlink and a bounds-checked reply parser (see route.h). */
#include "probe/route.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Netlink reply wait: the kernel answers at once; this only bounds a broken socket. */
#define ROUTE_TIMEOUT_MS 2000

static const char *route_type_name(unsigned t)
{
	switch (t) {
	case RTN_UNICAST: return "unicast";
	case RTN_LOCAL: return "local";
	case RTN_BROADCAST: return "broadcast";
	case RTN_ANYCAST: return "anycast";
	case RTN_MULTICAST: return "multicast";
	case RTN_BLACKHOLE: return "blackhole";
	case RTN_UNREACHABLE: return "unreachable";
	case RTN_PROHIBIT: return "prohibit";
	case RTN_THROW: return "throw";
	case RTN_NAT: return "nat";
	default: return "unknown";
	}
}

/* Copy an address attribute of the right size as text. */
static void addr_attr(int family, const struct rtattr *rta, char *out, size_t outlen)
{
	size_t need = family == AF_INET ? 4 : 16;

	if (RTA_PAYLOAD(rta) < need || !inet_ntop(family, RTA_DATA(rta), out, (socklen_t)outlen))
		out[0] = '\0';
}

int nrb_route_parse(const void *buf, size_t len, struct nrb_route_result *res)
{
	const struct nlmsghdr *nh;
	size_t left = len;

	if (!buf || !res)
		return -EINVAL;
	for (nh = buf; left >= sizeof *nh; ) {
		if (nh->nlmsg_len < sizeof *nh || nh->nlmsg_len > left)
			return -EBADMSG;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *e))
				return -EBADMSG;
			if (e->error == 0) /* an ACK: keep looking */
				goto next;
			res->found = 0;
			res->error = -e->error;
			return 0;
		}
		if (nh->nlmsg_type == RTM_NEWROUTE) {
			const struct rtmsg *rtm = NLMSG_DATA(nh);
			const struct rtattr *rta;
			int rlen;

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *rtm))
				return -EBADMSG;
			if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
				return -EBADMSG;
			res->found = 1;
			res->error = 0;
			res->family = rtm->rtm_family;
			snprintf(res->type, sizeof res->type, "%s", route_type_name(rtm->rtm_type));
			res->table = rtm->rtm_table;
			rlen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof *rtm));
			for (rta = RTM_RTA(rtm); RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen)) {
				switch (rta->rta_type) {
				case RTA_GATEWAY:
					addr_attr(res->family, rta, res->gateway, sizeof res->gateway);
					break;
				case RTA_PREFSRC:
					addr_attr(res->family, rta, res->prefsrc, sizeof res->prefsrc);
					break;
				case RTA_OIF:
					if (RTA_PAYLOAD(rta) >= sizeof(int))
						memcpy(&res->oif, RTA_DATA(rta), sizeof(int));
					break;
				case RTA_TABLE:
					if (RTA_PAYLOAD(rta) >= sizeof(uint32_t))
						memcpy(&res->table, RTA_DATA(rta), sizeof(uint32_t));
					break;
				case RTA_PRIORITY:
					if (RTA_PAYLOAD(rta) >= sizeof(uint32_t))
						memcpy(&res->metric, RTA_DATA(rta), sizeof(uint32_t));
					break;
				default:
					break;
				}
			}
			return 0;
		}
next:
		{
			size_t step = NLMSG_ALIGN(nh->nlmsg_len);
			if (step >= left)
				break;
			left -= step;
			nh = (const struct nlmsghdr *)((const char *)nh + step);
		}
	}
	return -EBADMSG; /* neither a route nor an error */
}

/* One RTM_GETROUTE round trip; fills res via the parser. */
static int query(int family, const unsigned char *addr, size_t alen,
                 struct nrb_route_result *res, char *err, size_t errlen)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rtm;
		char attrs[64];
	} req;
	char reply[8192];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct pollfd pfd;
	struct rtattr *rta;
	int fd, rc, e;
	ssize_t n;

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.rtm);
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rtm.rtm_family = (unsigned char)family;
	req.rtm.rtm_dst_len = (unsigned char)(alen * 8);
	req.rtm.rtm_flags = RTM_F_LOOKUP_TABLE; /* report the table that matched, as ip route get */
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), addr, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);

	/* a netlink datagram socket: no privilege needed for a lookup */
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		e = errno;
		return nrb_err(err, errlen, e, "route: netlink socket: %s", strerror(e));
	}
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = errno;
		close(fd);
		return nrb_err(err, errlen, e, "route: netlink send: %s", strerror(e));
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	do
		rc = poll(&pfd, 1, ROUTE_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR && !nrb_interrupted());
	if (rc <= 0) {
		close(fd);
		return nrb_err(err, errlen, ETIMEDOUT, "route: no answer from the kernel");
	}
	n = recv(fd, reply, sizeof reply, 0);
	e = errno;
	close(fd);
	if (n < 0)
		return nrb_err(err, errlen, e, "route: netlink receive: %s", strerror(e));
	if (nrb_route_parse(reply, (size_t)n, res) < 0)
		return nrb_err(err, errlen, EBADMSG, "route: malformed netlink answer");
	return 0;
}

int nrb_route_get(const char *dst, struct nrb_route_result *res, char *err, size_t errlen)
{
	unsigned char addr[16];
	uint64_t start;
	int family, rc;
	size_t alen;

	if (!dst || !res)
		return nrb_err(err, errlen, EINVAL, "route: no destination");
	memset(res, 0, sizeof *res);
	if (inet_pton(AF_INET, dst, addr) == 1)
		family = AF_INET, alen = 4;
	else if (inet_pton(AF_INET6, dst, addr) == 1)
		family = AF_INET6, alen = 16;
	else
		return nrb_err(err, errlen, EINVAL, "route: '%s' is not a numeric IPv4 or IPv6 address", dst);
	start = nrb_now_us();
	rc = query(family, addr, alen, res, err, errlen);
	if (rc == 0 && !res->found) {
		/* The kernel's lookup (ip_route_output) fails with EINVAL on a blackhole route,
		 * EHOSTUNREACH on an unreachable one, EACCES on a prohibit one and ENETUNREACH
		 * when nothing matches (RTM_F_FIB_MATCH does not name those routes either). */
		const char *t = res->error == EINVAL ? "blackhole" :
		                res->error == EHOSTUNREACH ? "unreachable" :
		                res->error == EACCES ? "prohibit" :
		                res->error == ENETUNREACH ? "none" : "error";
		snprintf(res->type, sizeof res->type, "%s", t);
	}
	res->elapsed_us = nrb_now_us() - start;
	res->family = family;
	snprintf(res->dst, sizeof res->dst, "%s", dst);
	if (rc < 0)
		return rc;
	if (res->oif > 0 && !if_indextoname((unsigned)res->oif, res->dev))
		res->dev[0] = '\0';
	return 0;
}
