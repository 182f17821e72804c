/*
 * target: what a user may name as a probe's target, decided before anything is resolved
 * or sent.  A target is a numeric IPv4 address in dotted-quad form, a numeric IPv6
 * address (both exactly as inet_pton reads them), or a DNS name; everything else is
 * refused with a message that says why.
 *
 * The legacy forms inet_aton and getaddrinfo still accept are refused, not read: `1.2.3`
 * is 1.2.0.3 to them, `0x7f.1` is 127.0.0.1, `017.0.0.1` is 15.0.0.1, and `999.1.1.1`
 * or `1.2.3.4.` go to DNS as names.  A user who typed any of these meant an address and
 * made a mistake; probing whatever the legacy reading gives sends packets to a host nobody
 * asked for.  So text whose last label reads as a number (decimal, octal or 0x-hex, as
 * RFC 1123 2.1 and the WHATWG host parser judge it) must be a dotted quad, or is refused.
 *
 * An address must also be one a probe can go to: not unspecified (0.0.0.0, ::), not
 * multicast (224.0.0.0/4, ff00::/8), not the limited broadcast 255.255.255.255, not IPv6
 * link-local (fe80::/10: it needs an interface as its scope, which nrb's probes do not
 * take; the kernel refuses it without one), not IPv4-mapped IPv6 (::ffff:a.b.c.d: the
 * IPv4 address is the target, and the probes would go out as IPv4 or not at all).
 * IPv4 link-local (169.254.0.0/16) is allowed: it needs no scope, the kernel sends it by
 * the interface its on-link route names, and hosts there (cloud metadata services,
 * devices without DHCP) are real targets.
 *
 * Pure functions: no socket, no resolver, no allocation.
 */
#ifndef NRB_NET_TARGET_H
#define NRB_NET_TARGET_H

#include <stddef.h>

#include "net/pkt.h"

/** Longest DNS name, without a trailing dot (RFC 1035 3.1: 255 octets on the wire). */
#define NRB_TARGET_NAME_MAX 253

/** What a target's text is. */
enum nrb_target_kind {
	NRB_TARGET_NAME = 1,    /* a DNS name, to resolve */
	NRB_TARGET_ADDRESS = 2  /* a numeric IPv4 or IPv6 address */
};

/**
 * Read a target as a user typed it: a numeric address (filled into out) or a DNS name
 * (letters, digits, '-' and '_'; labels of 1..63 characters not starting with '-'; at
 * most 253 characters; one trailing dot allowed).  Syntax only: an address is not
 * checked as a destination (nrb_target_check_dest).
 * @param text NUL-terminated text (borrowed); @param out the address, or NULL; zeroed
 * unless the text is an address.  @param err,errlen the reason when refused.
 * @return NRB_TARGET_ADDRESS, NRB_TARGET_NAME, or -EINVAL (malformed, empty, NULL).
 */
int nrb_target_parse(const char *text, struct nrb_pkt_addr *out, char *err, size_t errlen);

/**
 * Check that an address can be a probe's destination (see the header comment).
 * @param a the address (borrowed); @param err,errlen the reason when it cannot.
 * @return 0, or -EINVAL (also for NULL or an unset address).
 */
int nrb_target_check_dest(const struct nrb_pkt_addr *a, char *err, size_t errlen);

/**
 * nrb_target_parse, then for an address nrb_target_check_dest: the one check every
 * target of a probe passes (runbook parameters of type host, `nrb probe`, the bindings).
 * @return NRB_TARGET_ADDRESS, NRB_TARGET_NAME, or -EINVAL with the reason in err.
 */
int nrb_target_check(const char *text, struct nrb_pkt_addr *out, char *err, size_t errlen);

#endif
