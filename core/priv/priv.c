/* priv: privileged socket opens with the unprivileged ICMP fallback (see priv.h). */
#include "priv/priv.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include "priv/pcap_dl.h"
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/route.h"
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

/* Map a pcap_activate() status to -errno. */
static int activate_errno(int rc)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENODEV;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	default:
		return -EIO;
	}
}

int nrb_priv_open_pcap(const char *ifname, const struct nrb_priv_pcap_opts *o,
                       struct pcap **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct nrb_priv_pcap_opts d = {0};
	pcap_t *p;
	int rc, e;

	if (out)
		*out = NULL;
	if (!out)
		return nrb_err(err, errlen, EINVAL, "priv: no output for the capture handle");
	if (!ifname)
		ifname = "any";
	if (strlen(ifname) >= IF_NAMESIZE || !*ifname)
		return nrb_err(err, errlen, EINVAL, "priv: '%s' is not an interface name", ifname);
	if (o)
		d = *o;
	if ((rc = nrb_pcap_load(err, errlen)) < 0)
		return rc;
	p = pcap_create(ifname, perr);
	if (!p)
		return nrb_err(err, errlen, EIO, "priv: capture on %s: %s", ifname, perr);
	/* immediate mode: a probe's answer must be seen within its own timeout, not when
	 * TPACKET_V3 fills a block; the session polls the fd with its own short timeout */
	if (pcap_set_snaplen(p, d.snaplen > 0 ? d.snaplen : 262144) ||
	    pcap_set_promisc(p, d.promisc ? 1 : 0) ||
	    pcap_set_timeout(p, d.timeout_ms > 0 ? d.timeout_ms : 100) ||
	    pcap_set_immediate_mode(p, 1) ||
	    pcap_set_buffer_size(p, d.buffer_bytes > 0 ? d.buffer_bytes : 4 << 20)) {
		pcap_close(p);
		return nrb_err(err, errlen, EIO, "priv: capture on %s: cannot set options", ifname);
	}
	rc = pcap_activate(p);
	if (rc < 0) {
		e = activate_errno(rc);
		if (e == -ENODEV)
			nrb_err(err, errlen, ENODEV, "priv: capture on %s: no such interface, or it is down", ifname);
		else if (e == -EPERM)
			nrb_err(err, errlen, EPERM, "priv: capture on %s: %s (needs root or CAP_NET_RAW)",
			        ifname, *pcap_geterr(p) ? pcap_geterr(p) : "permission denied");
		else
			nrb_err(err, errlen, EIO, "priv: capture on %s: %s", ifname,
			        rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		pcap_close(p);
		return e;
	}
	*out = p;
	return 0;
}

int nrb_priv_capture_ifname(const char *dst, char *buf, size_t len)
{
	struct nrb_route_result r;
	char err[128];

	if (!buf || len < IF_NAMESIZE)
		return -EINVAL;
	if (dst && nrb_route_get(dst, &r, err, sizeof err) == 0 && r.found && r.dev[0]) {
		snprintf(buf, len, "%s", r.dev);
		return 0;
	}
	snprintf(buf, len, "any");
	return 1;
}
