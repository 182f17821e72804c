/*
 * pkt: building probe packets and parsing what comes back, as pure functions over byte
 * buffers.  Nothing here opens a socket, reads a clock or allocates: a builder writes
 * into a buffer the caller owns, a parser reads a buffer the caller owns and fills a
 * struct the caller owns.  That makes every function testable byte for byte and safe to
 * fuzz (tests/fuzz/fuzz_pkt.c).
 *
 * Owned here:
 *   - the internet checksum, including the IPv4 and IPv6 pseudo-headers;
 *   - builders for IPv4/IPv6 headers, ICMP/ICMPv6 echo requests, UDP and TCP (SYN with
 *     an MSS option, or any flags) headers;
 *   - a parser for received packets that start with an IP header (raw IPv4 sockets,
 *     pcap), one for transport messages without an IP header (raw ICMPv6 sockets,
 *     unprivileged ICMP datagram sockets) and one for what IP_RECVERR/IPV6_RECVERR
 *     deliver on the error queue;
 *   - reply signatures: the (protocol, peer, ports or ICMP id/seq, TCP seq) tuple that
 *     lets a probe engine match a reply, or the ICMP error a router sent about a probe,
 *     to the probe that caused it (scamper's task signatures, mtr's sequence numbers).
 *
 * Parsers treat their input as hostile: every length is checked before it is read, a
 * malformed packet returns -EBADMSG (or -EPROTONOSUPPORT for a well-formed packet of a
 * kind we do not decode), and no parser reads outside [buf, buf + len).
 * All multi-byte values in the structs below are in host byte order.
 */
#ifndef NRB_NET_PKT_H
#define NRB_NET_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sock_extended_err;

/** Fixed sizes the builders produce. */
enum {
	NRB_PKT_IPV4_HDR = 20,  /* IPv4 header without options */
	NRB_PKT_IPV6_HDR = 40,  /* IPv6 fixed header */
	NRB_PKT_ICMP_HDR = 8,   /* ICMP/ICMPv6 echo header (type, code, csum, id, seq) */
	NRB_PKT_UDP_HDR = 8,    /* UDP header */
	NRB_PKT_TCP_HDR = 20,   /* TCP header without options */
	NRB_PKT_TCP_MSS_OPT = 4 /* MSS option: kind 2, length 4, value */
};

/** TCP flag bits as they appear in byte 13 of the TCP header. */
enum {
	NRB_TCP_FIN = 0x01, /* no more data */
	NRB_TCP_SYN = 0x02, /* synchronise sequence numbers */
	NRB_TCP_RST = 0x04, /* reset */
	NRB_TCP_PSH = 0x08, /* push */
	NRB_TCP_ACK = 0x10, /* acknowledgment field valid */
	NRB_TCP_URG = 0x20, /* urgent pointer valid */
	NRB_TCP_ECE = 0x40, /* ECN echo */
	NRB_TCP_CWR = 0x80  /* congestion window reduced */
};

/** An IPv4 or IPv6 address, tagged with its family. */
struct nrb_pkt_addr {
	uint8_t af;         /* AF_INET, AF_INET6, or 0 when unset */
	uint8_t bytes[16];  /* network byte order; IPv4 uses the first 4 bytes */
};

/** Fill an address from a sockaddr_in/sockaddr_in6.  @return 0 or -EINVAL (NULL or
 *  another family, or len too short). */
int nrb_pkt_addr_from_sockaddr(struct nrb_pkt_addr *out, const struct sockaddr *sa,
                               socklen_t len);

/** Parse text ("192.0.2.1", "2001:db8::1") into an address.  @return 0 or -EINVAL. */
int nrb_pkt_addr_from_string(struct nrb_pkt_addr *out, const char *text);

/** Format an address as text into buf (>= 46 bytes for any IPv6 address).
 *  @return buf, or "?" if the address is unset or buf too small. */
const char *nrb_pkt_addr_to_string(const struct nrb_pkt_addr *a, char *buf, size_t len);

/** @return 1 if both addresses have the same family and bytes, else 0 (NULL: 0). */
int nrb_pkt_addr_equal(const struct nrb_pkt_addr *a, const struct nrb_pkt_addr *b);

/* ---------------------------------------------------------------- checksums */

/** Add len bytes to a running ones'-complement sum (RFC 1071).  An odd trailing byte is
 *  padded with zero, so only the last chunk of a sum may have odd length.
 *  @param sum the running sum (start with 0); @return the new unfolded sum. */
uint32_t nrb_pkt_csum_add(uint32_t sum, const void *buf, size_t len);

/** Fold a running sum to 16 bits and complement it.  @return the checksum in host order;
 *  store it with a big-endian write. */
uint16_t nrb_pkt_csum_fold(uint32_t sum);

/** Sum of the IPv4 (RFC 793) or IPv6 (RFC 8200 8.1) pseudo-header.
 *  @param src,dst same family; @param proto upper-layer protocol; @param l4_len
 *  upper-layer length in bytes.  @return the unfolded sum, 0 if the families differ. */
uint32_t nrb_pkt_csum_pseudo(const struct nrb_pkt_addr *src, const struct nrb_pkt_addr *dst,
                             uint8_t proto, uint32_t l4_len);

/* ----------------------------------------------------------------- builders */

/** The IP layer of a probe. */
struct nrb_pkt_ip {
	struct nrb_pkt_addr src; /* source; its family selects IPv4 or IPv6 */
	struct nrb_pkt_addr dst; /* destination, same family as src */
	uint8_t ttl;             /* IPv4 TTL / IPv6 hop limit */
	uint8_t tos;             /* IPv4 TOS / IPv6 traffic class */
	uint16_t ip_id;          /* IPv4 identification (ignored for IPv6) */
	uint8_t dont_frag;       /* IPv4: set DF (PMTU probes); ignored for IPv6 */
	uint32_t flow_label;     /* IPv6 flow label, 20 bits (ignored for IPv4) */
};

/** A TCP header to build. */
struct nrb_pkt_tcp {
	uint16_t sport;  /* source port */
	uint16_t dport;  /* destination port */
	uint32_t seq;    /* sequence number; a reply acks seq + 1 for a SYN */
	uint32_t ack;    /* acknowledgment number (sent only if flags has ACK) */
	uint8_t flags;   /* NRB_TCP_* bits, NRB_TCP_SYN for a connect probe */
	uint16_t window; /* advertised window */
	uint16_t mss;    /* MSS option value; 0 = no option (20-byte header) */
};

/** Write an IPv4 header (20 bytes, no options) with its checksum.
 *  @param buf,cap output buffer (caller owned); @param ip addresses and fields (IPv4);
 *  @param proto next protocol; @param payload_len bytes that will follow the header.
 *  @return bytes written (20), -EINVAL (NULL, wrong family, total > 65535), -ENOSPC. */
int nrb_pkt_build_ipv4(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip, uint8_t proto,
                       size_t payload_len);

/** Write an IPv6 header (40 bytes).  Same contract as nrb_pkt_build_ipv4; payload_len
 *  must be <= 65535. */
int nrb_pkt_build_ipv6(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip, uint8_t proto,
                       size_t payload_len);

/** Write an ICMP (af AF_INET) or ICMPv6 (AF_INET6) echo request: 8-byte header + data.
 *  ICMPv4's checksum is always filled.  ICMPv6's covers a pseudo-header: it is filled
 *  when ip is given, left 0 when ip is NULL (raw ICMPv6 and ICMP datagram sockets have
 *  the kernel fill it).
 *  @param data,data_len payload copied after the header (data may be NULL if len 0).
 *  @return bytes written, -EINVAL, -ENOSPC. */
int nrb_pkt_build_icmp_echo(uint8_t *buf, size_t cap, int af, uint16_t id, uint16_t seq,
                            const void *data, size_t data_len, const struct nrb_pkt_ip *ip);

/** Write a UDP header + data with the checksum over the pseudo-header of ip (required:
 *  the checksum is mandatory for IPv6 and we always send it for IPv4).  A computed 0 is
 *  sent as 0xffff (RFC 768).  @return bytes written, -EINVAL, -ENOSPC. */
int nrb_pkt_build_udp(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip, uint16_t sport,
                      uint16_t dport, const void *data, size_t data_len);

/** Write a TCP header (20 bytes, or 24 with the MSS option) without data, with the
 *  checksum over the pseudo-header of ip (required).  @return bytes written, -EINVAL,
 *  -ENOSPC. */
int nrb_pkt_build_tcp(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip,
                      const struct nrb_pkt_tcp *tcp);

/** A whole probe: IP header + transport, for raw IPv4 sockets with IP_HDRINCL (and for
 *  tests).  Exactly one of the transport parts is used, chosen by proto. */
struct nrb_pkt_probe {
	struct nrb_pkt_ip ip;    /* IP layer */
	uint8_t proto;           /* IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP or IPPROTO_TCP */
	uint16_t icmp_id;        /* ICMP echo identifier */
	uint16_t icmp_seq;       /* ICMP echo sequence */
	uint16_t sport;          /* UDP source port */
	uint16_t dport;          /* UDP destination port */
	struct nrb_pkt_tcp tcp;  /* TCP header fields */
	const uint8_t *data;     /* ICMP/UDP payload, borrowed (NULL if data_len 0) */
	size_t data_len;         /* payload length */
};

/** Build a full probe packet (IP header then transport).  The ICMP protocol must match
 *  the family (ICMP for IPv4, ICMPv6 for IPv6).  @return total bytes written, -EINVAL,
 *  -ENOSPC. */
int nrb_pkt_build_probe(uint8_t *buf, size_t cap, const struct nrb_pkt_probe *p);

/* ------------------------------------------------------------------ parsing */

/** What a parsed packet is, in probe terms. */
enum nrb_pkt_kind {
	NRB_PKT_OTHER = 0,     /* parsed, but none of the kinds below (e.g. MLD, UDP data) */
	NRB_PKT_ECHO_REQUEST,  /* ICMP/ICMPv6 echo request */
	NRB_PKT_ECHO_REPLY,    /* ICMP/ICMPv6 echo reply: icmp_id/icmp_seq set */
	NRB_PKT_ICMP_ERROR,    /* time exceeded, unreachable, too big, param problem: see
	                        * icmp_type/icmp_code, err and quote */
	NRB_PKT_TCP,           /* a TCP segment: tcp_* fields set */
	NRB_PKT_UDP            /* a UDP datagram: sport/dport set */
};

/** ICMP errors normalised across IPv4 and IPv6: what the device that sent it means. */
enum nrb_pkt_err {
	NRB_ERR_NONE = 0,         /* not an ICMP error */
	NRB_ERR_TTL_EXCEEDED,     /* v4 11/0, v6 3/0: a hop on the path (traceroute) */
	NRB_ERR_REASSEMBLY,       /* v4 11/1, v6 3/1: fragment reassembly time exceeded */
	NRB_ERR_NET_UNREACH,      /* v4 3/0, 3/6 (unknown net), 3/11 (net for TOS); v6 1/0 no route */
	NRB_ERR_HOST_UNREACH,     /* v4 3/1, 3/7, 3/8, 3/12; v6 1/3 address unreachable */
	NRB_ERR_PROTO_UNREACH,    /* v4 3/2; v6 4/1 unrecognised next header */
	NRB_ERR_PORT_UNREACH,     /* v4 3/3, v6 1/4: the target answered, nothing listens */
	NRB_ERR_FRAG_NEEDED,      /* v4 3/4 (mtu = next-hop MTU, 0 if the router left it 0) */
	NRB_ERR_SRCROUTE_FAILED,  /* v4 3/5; v6 1/7 error in source routing header */
	NRB_ERR_ADMIN_PROHIB,     /* v4 3/9, 3/10, 3/13 (filtered), 3/14, 3/15; v6 1/1, 1/5
	                           * (source policy), 1/6 (reject route): a firewall */
	NRB_ERR_BEYOND_SCOPE,     /* v6 1/2 beyond scope of source address */
	NRB_ERR_PACKET_TOO_BIG,   /* v6 2/0 (mtu set) */
	NRB_ERR_PARAM_PROBLEM,    /* v4 12/x, v6 4/0, 4/2 and above */
	NRB_ERR_OTHER             /* another ICMP error type/code (source quench, redirect, ...) */
};

/** The original packet quoted inside an ICMP error (RFC 792: IP header + >= 8 bytes;
 *  RFC 1812 / 4443: as much as fits).  This is what ties an error to a probe. */
struct nrb_pkt_quote {
	uint8_t present;          /* 1 if a quoted IP header was parsed */
	uint8_t proto;            /* quoted transport protocol (after IPv6 ext headers) */
	struct nrb_pkt_addr src;  /* quoted source (us, possibly NATed) */
	struct nrb_pkt_addr dst;  /* quoted destination (the probe's target) */
	uint8_t ttl;              /* quoted TTL/hop limit as the erring device saw it
	                           * (normally 0 or 1 for time exceeded) */
	uint16_t ip_id;           /* quoted IPv4 identification (0 for IPv6) */
	uint16_t ip_len;          /* quoted IPv4 total length / IPv6 payload length + 40, as
	                           * the erring device saw it (tells a PMTU probe's size) */
	uint8_t tos;              /* quoted TOS / traffic class (detects rewriting) */
	uint8_t l4_present;       /* 1 if >= 8 bytes of the quoted transport header exist */
	uint16_t sport;           /* quoted UDP/TCP source port */
	uint16_t dport;           /* quoted UDP/TCP destination port */
	uint32_t tcp_seq;         /* quoted TCP sequence number (in the first 8 bytes) */
	uint8_t icmp_type;        /* quoted ICMP type (echo request expected) */
	uint16_t icmp_id;         /* quoted ICMP echo identifier */
	uint16_t icmp_seq;        /* quoted ICMP echo sequence */
	size_t len;               /* bytes quoted, from the quoted IP header on */
};

/** Most MPLS label stack entries kept from an ICMP extension (RFC 4950). */
#define NRB_PKT_MAX_MPLS 4

/** One MPLS label stack entry a router reported with its ICMP error (RFC 4950). */
struct nrb_pkt_mpls {
	uint32_t label;  /* 20-bit label */
	uint8_t tc;      /* traffic class (formerly EXP), 3 bits */
	uint8_t bottom;  /* 1 on the bottom-of-stack entry */
	uint8_t ttl;     /* the label's TTL */
};

/** Everything the parsers extract from one received packet. */
struct nrb_pkt_info {
	enum nrb_pkt_kind kind;   /* classification, see enum */
	uint8_t af;               /* AF_INET or AF_INET6 */
	uint8_t has_ip;           /* 1 if the buffer began with an IP header (fields below
	                           * marked "IP" are valid); 0 for transport-only parses */
	struct nrb_pkt_addr src;  /* IP: source (for transport-only parses: as given) */
	struct nrb_pkt_addr dst;  /* IP: destination (transport-only: as given) */
	uint8_t ttl;              /* IP: received TTL / hop limit */
	uint8_t tos;              /* IP: TOS / traffic class */
	uint16_t ip_id;           /* IP: IPv4 identification (0 for IPv6) */
	uint8_t dont_frag;        /* IP: IPv4 DF bit */
	uint8_t is_fragment;      /* IP: a non-first fragment (transport not parsed) or a
	                           * first fragment with more to come */
	size_t ip_hdr_len;        /* IP: header bytes incl. IPv4 options / IPv6 ext headers */
	size_t ip_total_len;      /* IP: length the header claims (<= captured length) */
	size_t captured_len;      /* bytes given to the parser */
	uint8_t proto;            /* transport protocol (after IPv6 extension headers) */
	size_t l4_off;            /* offset of the transport header in the buffer */
	size_t l4_len;            /* transport bytes (header + payload) within the packet */
	uint8_t icmp_type;        /* ICMP/ICMPv6 type */
	uint8_t icmp_code;        /* ICMP/ICMPv6 code */
	uint16_t icmp_id;         /* echo request/reply identifier */
	uint16_t icmp_seq;        /* echo request/reply sequence */
	enum nrb_pkt_err err;     /* normalised ICMP error, NRB_ERR_NONE otherwise */
	uint32_t mtu;             /* next-hop MTU (v4 frag needed) or MTU (v6 too big), else 0 */
	struct nrb_pkt_quote quote; /* quoted original for ICMP errors */
	uint8_t has_ext;          /* the ICMP error carries an RFC 4884 extension structure */
	uint8_t mpls_count;       /* MPLS entries in mpls[] (at most NRB_PKT_MAX_MPLS) */
	struct nrb_pkt_mpls mpls[NRB_PKT_MAX_MPLS]; /* label stack the router saw (RFC 4950) */
	uint16_t sport;           /* TCP/UDP source port */
	uint16_t dport;           /* TCP/UDP destination port */
	uint32_t tcp_seq;         /* TCP sequence number */
	uint32_t tcp_ack;         /* TCP acknowledgment number */
	uint8_t tcp_flags;        /* NRB_TCP_* bits */
	uint16_t tcp_window;      /* TCP window (unscaled) */
	uint16_t tcp_mss;         /* MSS option value, 0 if absent */
	size_t payload_off;       /* offset of the transport payload (echo data, UDP data) */
	size_t payload_len;       /* its length */
};

/** Parse a packet that starts with an IPv4 or IPv6 header (raw IPv4 socket, pcap after
 *  the link header).  IPv4 options are skipped (IHL checked); IPv6 hop-by-hop,
 *  routing, fragment, destination-options and AH headers are skipped, at most 8.
 *  Trailing bytes beyond the IP total length (Ethernet padding) are ignored.
 *  ICMP errors with RFC 4884 extensions (length field set, or the older fixed 128-byte
 *  layout with a version-2 header) have the quote limited to the original datagram and
 *  MPLS label stacks (RFC 4950) extracted; a malformed extension is ignored, never an
 *  error of the packet.
 *  @param buf,len the packet (borrowed); @param out filled (zeroed first).
 *  @return 0; -EINVAL (NULL); -EBADMSG malformed or truncated; -EPROTONOSUPPORT not
 *  IPv4/IPv6.  A truncated ICMP quote is not an error: quote.l4_present says what is there. */
int nrb_pkt_parse_ip(const uint8_t *buf, size_t len, struct nrb_pkt_info *out);

/** Parse a transport message without an IP header: what a raw ICMPv6 socket or an
 *  unprivileged ICMP datagram socket (SOCK_DGRAM/IPPROTO_ICMP[V6]) delivers.  has_ip is
 *  0; src/dst/ttl are left for the caller to fill from recvmsg's name and cmsgs.
 *  @param af AF_INET or AF_INET6; @param proto IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP
 *  or IPPROTO_TCP.  @return 0, -EINVAL, -EBADMSG, -EPROTONOSUPPORT. */
int nrb_pkt_parse_l4(int af, uint8_t proto, const uint8_t *buf, size_t len,
                     struct nrb_pkt_info *out);

/** Turn one IP_RECVERR/IPV6_RECVERR error-queue message into an ICMP_ERROR info.
 *  The kernel gives the ICMP type/code and MTU in ee, the erring router in the offender
 *  address (SO_EE_OFFENDER) and, as data, the start of our own probe without its IP
 *  header: that becomes the quote (quote.dst is taken from probe_dst, since the kernel
 *  does not return the quoted IP header).
 *  @param af family of the socket; @param proto protocol of the socket (what we sent);
 *  @param ee the sock_extended_err from the cmsg (borrowed; origin must be
 *  SO_EE_ORIGIN_ICMP or SO_EE_ORIGIN_ICMP6); @param offender may be NULL (unknown);
 *  @param probe_dst the msg_name of the error message (our probe's destination), may be
 *  NULL; @param data,len the returned probe bytes.
 *  @return 0; -EINVAL (NULL ee, or an origin that is not ICMP, e.g. a local error);
 *  -EBADMSG. */
int nrb_pkt_parse_recverr(int af, uint8_t proto, const struct sock_extended_err *ee,
                          const struct sockaddr *offender, const struct sockaddr *probe_dst,
                          const uint8_t *data, size_t len, struct nrb_pkt_info *out);

/** @return a static English name for an ICMP/ICMPv6 type/code ("time exceeded",
 *  "admin prohibited", ...), "unknown" for others. */
const char *nrb_pkt_icmp_name(int af, uint8_t type, uint8_t code);

/** @return a static name for a normalised error ("ttl_exceeded", "port_unreach", ...),
 *  suitable for evidence tables. */
const char *nrb_pkt_err_name(enum nrb_pkt_err err);

/* --------------------------------------------------------------- signatures */

/** Flags in struct nrb_pkt_sig. */
enum {
	NRB_SIG_HAS_SEQ = 0x1   /* tcp_seq is known and must match */
};

/** What identifies a probe: built from a probe before sending, and from any reply or
 *  ICMP error after.  Two signatures match when nrb_pkt_sig_match() says so. */
struct nrb_pkt_sig {
	uint8_t af;               /* AF_INET or AF_INET6 */
	uint8_t proto;            /* probe protocol: ICMP/ICMPv6 echo, UDP or TCP */
	struct nrb_pkt_addr dst;  /* the probe's destination */
	uint16_t a;               /* ICMP: echo id; UDP/TCP: our (source) port */
	uint16_t b;               /* ICMP: echo seq; UDP/TCP: the destination port */
	uint32_t tcp_seq;         /* TCP: the probe's sequence number (see flags) */
	uint8_t flags;            /* NRB_SIG_* */
};

/** Signature of a probe about to be sent.  @return 0, -EINVAL (NULL, unknown proto). */
int nrb_pkt_sig_from_probe(const struct nrb_pkt_probe *p, struct nrb_pkt_sig *sig);

/** Signature of the probe a received packet answers:
 *   - echo reply: proto ICMP, dst = reply source, id/seq;
 *   - ICMP error: from the quote (quoted proto, quoted dst, ports or id/seq, TCP seq);
 *     a quoted ICMP message must be an echo request;
 *   - TCP with ACK: dst = source, ports swapped, tcp_seq = ack - 1 (a SYN consumes one);
 *   - TCP without ACK, UDP reply: dst = source, ports swapped, no seq.
 *  For transport-only parses (datagram sockets) src must have been filled by the caller.
 *  @return 0; -ENOENT if the packet answers no probe (echo request, no quote, ...); -EINVAL. */
int nrb_pkt_sig_from_reply(const struct nrb_pkt_info *r, struct nrb_pkt_sig *sig);

/** @return 1 if a reply's signature matches a probe's: same family, protocol, addresses
 *  and ports/id/seq, and the TCP sequence when both carry one.  0 otherwise (NULL: 0).
 *  Note: unprivileged ICMP datagram sockets rewrite the echo id to the socket's port;
 *  build the probe signature with that id. */
int nrb_pkt_sig_match(const struct nrb_pkt_sig *probe, const struct nrb_pkt_sig *reply);

#endif
