/* priv: privileged socket opens with the unprivileged ICMP fallback (see priv.h). */
#include "priv/priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

static const char *af_name(int af)
{
	return af == AF_INET ? "IPv4" : "IPv6";
}

/* Enable reply TTL / hop limit cmsgs, and the error queue if want_err. */
static int set_recv_opts(int fd, int af, int want_err)
{
	int on = 1;

	if (af == AF_INET) {
		if (setsockopt(fd, SOL_IP, IP_RECVTTL, &on, sizeof on) < 0)
			return -errno;
		if (want_err && setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on) < 0)
			return -errno;
		return 0;
	}
	if (setsockopt(fd, SOL_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) < 0)
		return -errno;
	if (want_err && setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on) < 0)
		return -errno;
	return 0;
}

static int open_sock(int af, int type, int proto, int want_err)
{
	int fd, rc;

	fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	rc = set_recv_opts(fd, af, want_err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int nrb_priv_open_raw(int af, int proto, char *err, size_t errlen)
{
	int fd;

	if (af != AF_INET && af != AF_INET6)
		return nrb_err(err, errlen, EAFNOSUPPORT, "priv: address family %d", af);
	if (proto == IPPROTO_RAW && af != AF_INET)
		return nrb_err(err, errlen, EINVAL, "priv: IPPROTO_RAW is for IPv4 only");
	fd = open_sock(af, SOCK_RAW, proto, 0);
	if (fd < 0)
		return nrb_err(err, errlen, -fd, "priv: raw %s socket (protocol %d): %s%s",
		               af_name(af), proto, strerror(-fd),
		               fd == -EPERM ? " (needs root or CAP_NET_RAW)" : "");
	return fd;
}

int nrb_priv_open_icmp(int af, enum nrb_priv_kind *kind, char *err, size_t errlen)
{
	int proto, fd;

	if (kind)
		*kind = NRB_PRIV_NONE;
	if (af != AF_INET && af != AF_INET6)
		return nrb_err(err, errlen, EAFNOSUPPORT, "priv: address family %d", af);
	proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	fd = open_sock(af, SOCK_RAW, proto, 0);
	if (fd >= 0) {
		if (kind)
			*kind = NRB_PRIV_RAW;
		return fd;
	}
	if (fd != -EPERM && fd != -EACCES)
		return nrb_err(err, errlen, -fd, "priv: raw %s ICMP socket: %s", af_name(af),
		               strerror(-fd));
	/* not permitted: try the unprivileged ping socket (mtr open_ip4_sockets_dgram) */
	fd = open_sock(af, SOCK_DGRAM, proto, 1);
	if (fd >= 0) {
		if (kind)
			*kind = NRB_PRIV_DGRAM;
		return fd;
	}
	return nrb_err(err, errlen, -fd,
	               "priv: no raw %s ICMP socket (needs root or CAP_NET_RAW) and no "
	               "ping socket: %s (is your group in net.ipv4.ping_group_range?)",
	               af_name(af), strerror(-fd));
}

const char *nrb_priv_kind_name(enum nrb_priv_kind kind)
{
	switch (kind) {
	case NRB_PRIV_RAW: return "raw";
	case NRB_PRIV_DGRAM: return "dgram";
	default: return "none";
	}
}
