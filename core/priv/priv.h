/*
 * priv: every privileged socket open goes through here, and only this module may
 * create SOCK_RAW sockets (a lint test in tests/unit/test_priv.c enforces it).  The
 * API returns plain fds, so it can later move into a separate privileged helper that
 * passes fds back over SCM_RIGHTS without its callers changing (DESIGN: Privileges).
 *
 * Fallback: when raw sockets are not permitted (no CAP_NET_RAW), ICMP echo probes use
 * the kernel's unprivileged "ping" sockets, SOCK_DGRAM/IPPROTO_ICMP[V6], allowed for
 * groups in net.ipv4.ping_group_range.  Those deliver the ICMP message without the IP
 * header, rewrite the echo id to the socket's local port, and report ICMP errors for
 * our probes through IP_RECVERR/IPV6_RECVERR (parse with nrb_pkt_parse_recverr).
 *
 * All fds are non-blocking and close-on-exec; the caller owns and closes them.
 *
 * Live captures: nrb_priv_open_pcap activates a libpcap handle on an interface (the only
 * pcap_create in the tree); core/capture reads it on its session thread and closes it.
 * nrb_priv_capture_ifname picks the interface a capture about a target should use: the
 * one the kernel routes the target through (core/probe/route.h), else "any".
 */
#ifndef NRB_PRIV_PRIV_H
#define NRB_PRIV_PRIV_H

#include <stddef.h>

/** Which kind of ICMP socket nrb_priv_open_icmp returned. */
enum nrb_priv_kind {
	NRB_PRIV_NONE = 0, /* nothing opened */
	NRB_PRIV_RAW,      /* SOCK_RAW: sees every ICMP message for the host, with the IP
	                    * header for IPv4 (not for IPv6); echo id is ours to choose */
	NRB_PRIV_DGRAM     /* SOCK_DGRAM ping socket: sees replies and errors for its own
	                    * probes only; errors arrive on the error queue */
};

/** Open an ICMP (af AF_INET) or ICMPv6 (AF_INET6) socket for echo probes: raw if
 *  permitted, else a ping socket.  Reply TTL / hop-limit reporting (IP_RECVTTL /
 *  IPV6_RECVHOPLIMIT) is enabled on both; IP_RECVERR / IPV6_RECVERR on ping sockets.
 *  @param kind receives the kind opened (may be NULL).
 *  @return the fd, or -errno of the ping-socket attempt when both fail (-EACCES: the
 *  user's group is outside ping_group_range; err says what to do); -EAFNOSUPPORT for
 *  another family. */
int nrb_priv_open_icmp(int af, enum nrb_priv_kind *kind, char *err, size_t errlen);

/** Open a raw socket.  proto IPPROTO_ICMP/ICMPV6/UDP/TCP receives that protocol;
 *  IPPROTO_RAW (IPv4 only) sends packets with our own IP header (IP_HDRINCL).  Reply
 *  TTL reporting is enabled.  No fallback: raw or nothing.
 *  @return the fd, or -errno (-EPERM without CAP_NET_RAW; -EAFNOSUPPORT; -EINVAL for
 *  IPPROTO_RAW on IPv6). */
int nrb_priv_open_raw(int af, int proto, char *err, size_t errlen);

/** How a live capture handle is set up (0 fields take the default). */
struct nrb_priv_pcap_opts {
	int snaplen;        /* bytes kept per packet; 0: 262144 (whole packets) */
	int timeout_ms;     /* read timeout handed to libpcap; 0: 100 (the session polls) */
	int buffer_bytes;   /* kernel ring size; 0: 4 MiB (a burst of probes fits) */
	int promisc;        /* 1: promiscuous mode; 0 (default): only this host's traffic */
};

struct pcap;

/** Open and activate a live capture handle on an interface, in immediate mode (packets
 *  are delivered as they arrive, not when a ring block fills).
 *  @param ifname interface name, "any" for all (borrowed; NULL means "any").
 *  @param o may be NULL (defaults).
 *  @param out receives the handle (caller closes with pcap_close, or hands it to
 *         nrb_cap_session_start, which consumes it).
 *  @return 0; -EINVAL (NULL out, name too long); -ENODEV no such interface (or it is
 *          down); -EPERM no permission (needs root or CAP_NET_RAW); -EIO any other
 *          libpcap failure (err says which).  A libpcap warning (e.g. promiscuous mode
 *          not supported) is not an error. */
int nrb_priv_open_pcap(const char *ifname, const struct nrb_priv_pcap_opts *o,
                       struct pcap **out, char *err, size_t errlen);

/** The interface a capture about dst should listen on: the outgoing interface of the
 *  kernel's route to it (rtnetlink, like `ip route get`), "lo" for a local address, or
 *  "any" when dst is NULL, not numeric, unroutable or the lookup fails.
 *  @param buf receives the name (at least 16 bytes).
 *  @return 0 when the route named an interface, 1 when buf holds the fallback "any",
 *          -EINVAL (NULL buf, len too small). */
int nrb_priv_capture_ifname(const char *dst, char *buf, size_t len);

/** @return a static name for a kind: "raw", "dgram", "none". */
const char *nrb_priv_kind_name(enum nrb_priv_kind kind);

#endif
