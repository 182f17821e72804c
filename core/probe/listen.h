/*
 * listen: is anything listening on a local port?  The `ss -ltn` question, asked over
 * NETLINK_SOCK_DIAG (inet_diag), without running a program.  The server-side runbook uses
 * it to tell "nothing listens" (SERVICE_DOWN) from "the firewall drops" (SERVER_FIREWALL).
 *
 * TCP: sockets in LISTEN state bound to the port (any address).  UDP: sockets bound to the
 * port.  IPv4 and IPv6 both.  The reply parser is a pure, bounds-checked function.
 */
#ifndef NRB_PROBE_LISTEN_H
#define NRB_PROBE_LISTEN_H

#include <stddef.h>
#include <stdint.h>

/** Most sockets reported per lookup. */
#define NRB_LISTEN_MAX 16

/** One listening (TCP) or bound (UDP) socket. */
struct nrb_listen_sock {
	int family;        /* AF_INET or AF_INET6 */
	char addr[64];     /* local address ("0.0.0.0", "::", or a specific one) */
	uint32_t inode;    /* socket inode (matches /proc/PID/fd links) */
	uint32_t uid;      /* owner uid */
	uint32_t backlog;  /* TCP: accept queue limit (idiag_wqueue); UDP: 0 */
	uint32_t queued;   /* TCP: connections waiting in the accept queue (idiag_rqueue) */
};

/** Result of nrb_listen_lookup(). */
struct nrb_listen_result {
	int count;                                /* sockets found (0: nothing listens) */
	int truncated;                            /* more than NRB_LISTEN_MAX matched */
	struct nrb_listen_sock socks[NRB_LISTEN_MAX]; /* the sockets */
};

/**
 * Find sockets listening on (TCP) or bound to (UDP) a local port, IPv4 and IPv6.
 * @param proto IPPROTO_TCP or IPPROTO_UDP; @param port 1..65535.
 * @return 0 (res->count may be 0), -EINVAL for bad arguments, -errno when sock_diag
 *         fails (err filled).
 */
int nrb_listen_lookup(int proto, int port, struct nrb_listen_result *res, char *err, size_t errlen);

/**
 * Parse inet_diag reply bytes (a dump) and add the sockets on `port` to res.
 * @return 1 when the dump is complete (NLMSG_DONE seen), 0 when more is to come,
 *         -EBADMSG on malformed input, or -errno from an NLMSG_ERROR.
 */
int nrb_listen_parse(const void *buf, size_t len, int port, struct nrb_listen_result *res);

#endif
