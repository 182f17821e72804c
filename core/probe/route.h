/*
 * route: ask the kernel which route it would use to reach an address — the `ip route get`
 * question — over rtnetlink (RTM_GETROUTE), without running any program.
 *
 * The answer says whether this host can reach the target at all (LOCAL_ROUTE verdicts):
 * the route type (unicast, local, unreachable, blackhole, prohibit, ...), gateway,
 * outgoing interface, preferred source address, table and metric; or "no route" with
 * the errno the kernel gave, which also names a route that discards (blackhole,
 * unreachable, prohibit: the kernel fails those lookups with distinct errnos).  The reply parser is a
 * pure function over the netlink bytes, bounds-checked, so it is unit-tested on crafted
 * and truncated messages.
 */
#ifndef NRB_PROBE_ROUTE_H
#define NRB_PROBE_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** The kernel's answer for one destination. */
struct nrb_route_result {
	int found;            /* 1: a usable route; 0: the lookup failed (see error, type) */
	int error;            /* errno of a failed lookup: ENETUNREACH (no route), EINVAL
	                       * (blackhole), EHOSTUNREACH (unreachable), EACCES (prohibit) */
	int family;           /* AF_INET or AF_INET6 */
	char type[16];        /* "unicast", "local", ...; for a failed lookup "none",
	                       * "blackhole", "unreachable", "prohibit" (from the errno) */
	char dst[64];         /* the destination asked about (numeric) */
	char gateway[64];     /* next hop, "" when directly connected */
	char prefsrc[64];     /* source address the kernel would use, "" if none given */
	char dev[32];         /* outgoing interface name, "" if none */
	int oif;              /* outgoing interface index, 0 if none */
	uint32_t table;       /* routing table id (254 = main) */
	uint32_t metric;      /* route priority, 0 if none */
	uint64_t elapsed_us;  /* time the kernel took to answer */
};

/**
 * Look up the route to dst (a numeric IPv4 or IPv6 address).
 * @return 0 when the kernel answered (res->found says whether there is a route),
 *         -EINVAL for a non-numeric address, or -errno when netlink itself failed
 *         (err filled).
 */
int nrb_route_get(const char *dst, struct nrb_route_result *res, char *err, size_t errlen);

/**
 * Parse one RTM_GETROUTE reply (a buffer of netlink messages) into res (fields other
 * than dst, dev and elapsed_us).  Pure: no syscalls except if_indextoname() for dev.
 * @return 0 on a route or a kernel error message, -EBADMSG on malformed input.
 */
int nrb_route_parse(const void *buf, size_t len, struct nrb_route_result *res);

#endif
