/*
 * capture: analysing packet captures -- a .pcap/.pcapng file someone sent, or a live
 * capture session a runbook started on a handle core/priv opened -- into the answers an investigation ends with: did the
 * three-way handshake complete, did a SYN leave and get no answer, who sent the RST (the
 * server, or a device in the path forging one, told apart by TTL, IP ID and timing), which
 * ICMP errors came back from where and about which flow, and whether full-size segments
 * vanish while small ones pass (a PMTU blackhole).
 *
 * Owned here:
 *   - reading capture files through libpcap's offline API (pcap and pcapng; never a live
 *     handle: those are opened by core/priv);
 *   - link-layer decoding: Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2
 *     (tcpdump -i any), raw IP, BSD loopback (NULL/LOOP);
 *   - a bounded flow table: TCP connections with a Zeek-like conn_state and history, UDP
 *     request/response pairs, ICMP errors matched to the flow they quote;
 *   - reset and ICMP provenance, large-packet-loss evidence, and the findings the verdict
 *     rules read;
 *   - capture sessions: a background reader over a given pcap handle, bounded in packets,
 *     bytes and time, writing a .pcap and returning the same analysis.
 * IP/TCP/UDP/ICMP decoding is core/net/pkt.h's; this module adds only the link layer and
 * the TCP options pkt.h does not keep (window scale, SACK, timestamps).
 *
 * Everything a file contains is untrusted: a truncated or corrupt file, a packet cut by
 * the snaplen or a header that lies ends as a counter or a finding, never as a read
 * outside a buffer.  Memory is bounded by nrb_cap_opts.max_flows whatever the file size.
 * The engine never includes Lua; core/lua/l_capture.c turns a result into a table.
 *
 * Conventions: "orig" is the side that sent the first SYN (or, with no SYN seen, the
 * first packet); "resp" the other.  Times are microseconds since the Unix epoch as the
 * capture recorded them.  "hop" is a traceroute-style distance from the capture point
 * implied by a received TTL: initial TTL (32, 64, 128 or 255, the nearest above) minus the
 * TTL plus one, so the first router is hop 1 -- the TTL at which a traceroute would name
 * the device.
 */
#ifndef NRB_CAPTURE_CAPTURE_H
#define NRB_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/pkt.h"

/** Limits. */
enum {
	NRB_CAP_DEFAULT_MAX_FLOWS = 65536, /* TCP connections + UDP flows tracked by default */
	NRB_CAP_MAX_ICMP = 4096,           /* ICMP errors kept (more are counted) */
	NRB_CAP_MAX_FINDINGS = 256,        /* findings kept (more are counted) */
	NRB_CAP_MAX_REASONS = 4,           /* reasons behind one provenance conclusion */
	NRB_CAP_REASON_LEN = 192,          /* bytes per reason */
	NRB_CAP_TEXT_LEN = 320,            /* bytes per finding text */
	NRB_CAP_HISTORY_LEN = 24           /* history letters kept per connection (+ NUL) */
};

/** Zeek's conn_state for a TCP connection attempt. */
enum nrb_cap_state {
	NRB_CONN_OTH = 0, /* no SYN seen: midstream traffic only */
	NRB_CONN_S0,      /* SYN seen, no reply at all */
	NRB_CONN_S1,      /* established, not terminated */
	NRB_CONN_SF,      /* established and closed normally (FIN both ways) */
	NRB_CONN_REJ,     /* SYN answered by a RST: rejected */
	NRB_CONN_S2,      /* established, FIN from the originator only */
	NRB_CONN_S3,      /* established, FIN from the responder only */
	NRB_CONN_RSTO,    /* SYN-ACK seen, then the originator reset */
	NRB_CONN_RSTR,    /* established, then the responder reset */
	NRB_CONN_RSTOS0,  /* SYN then a RST from the originator, no SYN-ACK seen */
	NRB_CONN_RSTRH,   /* SYN-ACK then a RST from the responder, no SYN seen */
	NRB_CONN_SH,      /* SYN then FIN from the originator, no SYN-ACK seen (half open) */
	NRB_CONN_SHR      /* SYN-ACK then FIN from the responder, no SYN seen */
};

/** Who did something in a connection. */
enum nrb_cap_who {
	NRB_CAP_NOBODY = 0, /* not seen */
	NRB_CAP_ORIG,       /* the originator */
	NRB_CAP_RESP        /* the responder */
};

/** Where a reset or an ICMP error claiming to be from an endpoint really came from. */
enum nrb_cap_origin {
	NRB_ORIGIN_UNKNOWN = 0, /* nothing genuine from that address to compare with */
	NRB_ORIGIN_GENUINE,     /* consistent with the address's own packets */
	NRB_ORIGIN_INJECTED     /* sent by a device in the path on its behalf */
};

/** How sure a provenance conclusion is. */
enum nrb_cap_confidence {
	NRB_CONF_LOW = 0, /* one weak indication, or nothing to compare */
	NRB_CONF_MEDIUM,  /* the TTL alone decides */
	NRB_CONF_HIGH     /* the TTL decides and IP ID or timing agrees */
};

/** Severity of a finding. */
enum nrb_cap_severity {
	NRB_CAP_INFO = 0, /* context: a normal connection, a PMTU hint that worked */
	NRB_CAP_WARNING,  /* something partial: unanswered UDP, truncated file */
	NRB_CAP_PROBLEM   /* what a verdict is made of: unanswered SYN, forged RST, ... */
};

/** The conclusion about a packet that claims to come from an endpoint (a RST, or an
 *  ICMP error whose sender is the address it quotes). */
struct nrb_cap_provenance {
	enum nrb_cap_origin origin;         /* the conclusion */
	enum nrb_cap_confidence confidence; /* how sure */
	uint8_t ttl;                        /* TTL/hop limit of the packet examined */
	int hop;                            /* hop implied by ttl (see the header comment) */
	int genuine_ttl;                    /* most common TTL of the address's genuine
	                                     * packets (SYN-ACK, data, echo/probe replies), -1
	                                     * when there were none */
	int genuine_hop;                    /* hop implied by genuine_ttl, -1 if none */
	uint16_t ip_id;                     /* IPv4 ID of the packet examined (0 for IPv6) */
	int64_t delay_us;                   /* time since the packet it answers, -1 unknown */
	int64_t genuine_rtt_us;             /* the address's round trip seen elsewhere (its
	                                     * handshake or echo RTT), -1 unknown */
	size_t n_reasons;                   /* reasons[] used */
	char reasons[NRB_CAP_MAX_REASONS][NRB_CAP_REASON_LEN]; /* why, in English */
};

/** One side of a TCP connection. */
struct nrb_cap_side {
	struct nrb_pkt_addr addr; /* its address */
	uint16_t port;            /* its port */
	uint64_t packets;         /* packets it sent */
	uint64_t payload_bytes;   /* TCP payload bytes it sent, retransmissions included */
	uint8_t ttl_first;        /* TTL of its first packet (as received at the capture) */
	uint8_t ttl_min;          /* lowest TTL of its packets */
	uint8_t ttl_max;          /* highest TTL of its packets */
	uint16_t ip_id_first;     /* IPv4 ID of its first packet */
	uint16_t ip_id_last;      /* IPv4 ID of its last packet */
	uint16_t mss;             /* MSS option in its SYN/SYN-ACK, 0 if absent */
	int8_t wscale;            /* window scale option, -1 if absent */
	uint8_t sack_ok;          /* SACK permitted option seen */
	uint8_t timestamps;       /* timestamps option seen */
	uint16_t syn_window;      /* window field of its SYN/SYN-ACK */
	uint32_t syns;            /* SYN (orig) or SYN-ACK (resp) segments it sent */
	uint32_t retrans;         /* retransmitted segments (SYN, data, FIN) */
	uint32_t large_segments;  /* full-size data segments (see large_threshold) */
	uint32_t large_retrans;   /* of which retransmissions */
	uint16_t max_payload;     /* largest payload it sent */
	uint8_t fin;              /* it sent a FIN */
	uint8_t rst;              /* it sent a RST */
};

/** One TCP connection attempt. */
struct nrb_cap_conn {
	uint8_t af;                        /* AF_INET or AF_INET6 */
	struct nrb_cap_side orig;          /* the originator */
	struct nrb_cap_side resp;          /* the responder */
	enum nrb_cap_state state;          /* Zeek-like state */
	char history[NRB_CAP_HISTORY_LEN]; /* Zeek-like history: S syn, H syn-ack, A ack, D
	                                    * data, F fin, R rst, T retransmission, W zero
	                                    * window; upper case from the originator, lower
	                                    * from the responder, each once per direction; ^
	                                    * first when the roles were inferred from a
	                                    * SYN-ACK seen before any SYN */
	uint64_t first_us;                 /* first packet */
	uint64_t last_us;                  /* last packet */
	int64_t handshake_rtt_us;          /* last SYN before the SYN-ACK to the SYN-ACK, -1 */
	int64_t ack_rtt_us;                /* SYN-ACK to the originator's ACK, -1 */
	enum nrb_cap_who reset_by;         /* who sent the first RST */
	uint64_t reset_us;                 /* when, 0 if no RST */
	struct nrb_cap_provenance *rst;    /* provenance of the first RST, NULL when no RST
	                                    * (owned by the result) */
	uint32_t icmp_count;               /* ICMP errors quoting this connection */
	long icmp_first;                   /* index in result->icmp of the first, -1 */
	uint8_t frag_needed;               /* one of them says "fragmentation needed"/"too
	                                    * big" */
	uint16_t large_threshold;          /* payload size counted as full-size */
	enum nrb_cap_who large_loss;       /* side whose full-size segments vanished (PMTU
	                                    * blackhole evidence), NOBODY if none */
};

/** One UDP flow: requests from the client (first sender) and the server's responses. */
struct nrb_cap_udp {
	uint8_t af;                  /* AF_INET or AF_INET6 */
	struct nrb_pkt_addr client;  /* first sender */
	struct nrb_pkt_addr server;  /* the other side */
	uint16_t client_port;        /* client port */
	uint16_t server_port;        /* server port */
	uint64_t requests;           /* datagrams client -> server */
	uint64_t responses;          /* datagrams server -> client */
	uint64_t request_bytes;      /* payload bytes client -> server */
	uint64_t response_bytes;     /* payload bytes server -> client */
	uint64_t first_us;           /* first datagram */
	uint64_t last_us;            /* last datagram */
	int64_t rtt_us;              /* first request to first response, -1 if none */
	uint8_t server_ttl;          /* TTL of the first response, 0 if none */
	uint32_t icmp_count;         /* ICMP errors quoting this flow */
	long icmp_first;             /* index in result->icmp of the first, -1 */
};

/** One ICMP/ICMPv6 error seen. */
struct nrb_cap_icmp {
	uint64_t ts_us;                /* when */
	uint8_t af;                    /* AF_INET or AF_INET6 */
	uint8_t type;                  /* ICMP type */
	uint8_t code;                  /* ICMP code */
	enum nrb_pkt_err err;          /* normalised meaning */
	struct nrb_pkt_addr sender;    /* the address that sent it */
	struct nrb_pkt_addr to;        /* its destination */
	uint8_t ttl;                   /* its TTL as received */
	int hop;                       /* hop implied by ttl */
	uint16_t ip_id;                /* its IPv4 ID */
	uint32_t mtu;                  /* next-hop MTU (frag needed / too big), else 0 */
	struct nrb_pkt_quote quote;    /* the flow it quotes */
	long conn;                     /* index in result->conns of that flow, -1 */
	long udp;                      /* index in result->udp of that flow, -1 */
	uint8_t from_target;           /* the sender is the quoted destination itself */
	struct nrb_cap_provenance prov;/* when from_target: genuine or forged */
};

/** One conclusion the verdict rules can use. */
struct nrb_cap_finding {
	enum nrb_cap_severity severity; /* see enum */
	const char *kind;               /* machine-readable kind (static string), e.g.
	                                 * "syn_unanswered", "rst_injected" */
	char text[NRB_CAP_TEXT_LEN];    /* one English sentence with the evidence */
	long conn;                      /* index in result->conns, -1 */
	long udp;                       /* index in result->udp, -1 */
	long icmp;                      /* index in result->icmp, -1 */
	int hop;                        /* hop blamed, -1 if none applies */
	struct nrb_pkt_addr addr;       /* the endpoint it is about: the responder of a
	                                 * connection, the UDP server, the ICMP sender; af 0
	                                 * for findings about the capture itself */
	uint16_t port;                  /* that endpoint's port (0 for ICMP senders) */
	uint32_t count;                 /* connections/flows/errors it stands for: findings
	                                 * of one kind about one endpoint are grouped, the
	                                 * indexes and text are those of the first */
};

/** What to analyse. */
struct nrb_cap_opts {
	struct nrb_pkt_addr target; /* only traffic to/from it (and ICMP quoting it); af 0:
	                             * everything */
	uint16_t port;              /* only TCP/UDP with this port (and ICMP quoting it); 0:
	                             * any (ICMP echo is always kept: it is a TTL reference) */
	size_t max_flows;           /* TCP + UDP flows tracked; 0: NRB_CAP_DEFAULT_MAX_FLOWS */
};

/** Packet counters. */
struct nrb_cap_stats {
	uint64_t packets;         /* records read */
	uint64_t bytes;           /* their original (wire) lengths */
	uint64_t ip_packets;      /* decoded as IPv4/IPv6 */
	uint64_t non_ip;          /* link frames that carry something else (ARP, ...) */
	uint64_t malformed;       /* IP/transport headers that did not parse */
	uint64_t snaplen_cut;     /* records shorter than the packet (payload partly missing) */
	uint64_t filtered;        /* decoded but outside target/port */
	uint64_t fragments;       /* IP fragments (transport of later ones not analysed) */
	uint64_t duplicates;      /* copies of a packet already seen on another interface
	                           * (tcpdump -i any on a router or bridge), skipped */
	uint64_t vlan_tagged;     /* frames with an 802.1Q/802.1ad tag */
	int first_vlan;           /* VLAN ID of the first tagged frame, -1 none */
	uint64_t flows_dropped;   /* packets of new flows not tracked: max_flows reached */
	uint64_t icmp_dropped;    /* ICMP errors counted but not kept */
	uint64_t findings_dropped;/* findings not kept */
	uint64_t first_us;        /* first record's timestamp */
	uint64_t last_us;         /* last record's timestamp */
};

/** The whole analysis; owned by the caller, freed with nrb_cap_result_free(). */
struct nrb_cap_result {
	int linktype;                     /* pcap DLT_* of the file */
	char linktype_name[32];           /* its name ("EN10MB", "LINUX_SLL2", ...) */
	struct nrb_cap_opts opts;         /* the options used (max_flows resolved) */
	struct nrb_cap_stats stats;       /* counters */
	int truncated;                    /* reading stopped on a truncated/corrupt file */
	char read_error[256];             /* why, when truncated */
	char stopped_by[32];              /* sessions: "stop", "max_packets", "max_bytes",
	                                   * "max_ms", "end_of_file" or "error"; "" for
	                                   * files */
	struct nrb_cap_conn *conns;       /* TCP connections, in order of first packet */
	size_t n_conns;                   /* count */
	struct nrb_cap_udp *udp;          /* UDP flows, in order of first datagram */
	size_t n_udp;                     /* count */
	struct nrb_cap_icmp *icmp;        /* ICMP errors, in order */
	size_t n_icmp;                    /* count */
	struct nrb_cap_finding *findings; /* conclusions: those about the analysis itself
	                                   * (truncated, limits) first, then the others
	                                   * most severe first */
	size_t n_findings;                /* count */
};

/** An analysis in progress: packets are fed one by one (from a file, or from a live
 *  capture), then finished into a result. */
struct nrb_cap_analyzer;

/**
 * Start an analysis of packets of one link type.
 * @param opts may be NULL (everything, default limits); copied.
 * @param linktype pcap DLT_* value.
 * @param out receives the analyzer (caller frees with nrb_cap_analyzer_free, or hands it
 *        to nrb_cap_analyzer_finish).
 * @return 0; -EINVAL (NULL out); -EPROTONOSUPPORT a link type we cannot decode (message
 *         names it); -ENOMEM.
 */
int nrb_cap_analyzer_new(const struct nrb_cap_opts *opts, int linktype,
                         struct nrb_cap_analyzer **out, char *err, size_t errlen);

/**
 * Feed one captured record.
 * @param ts_us capture timestamp; @param data,caplen the bytes captured (borrowed);
 * @param wirelen the packet's length on the wire (>= caplen when the snaplen cut it).
 * Never fails: what cannot be decoded is counted.
 */
void nrb_cap_analyzer_feed(struct nrb_cap_analyzer *a, uint64_t ts_us, const uint8_t *data,
                           size_t caplen, size_t wirelen);

/**
 * Note that reading stopped early (truncated or corrupt file); the result says so.
 * @param why copied (may be NULL).
 */
void nrb_cap_analyzer_set_truncated(struct nrb_cap_analyzer *a, const char *why);

/**
 * Finish: classify connections, decide provenance, build findings.
 * @param a consumed (freed) whatever the outcome.
 * @param out receives the result (caller frees with nrb_cap_result_free).
 * @return 0, -EINVAL, -ENOMEM.
 */
int nrb_cap_analyzer_finish(struct nrb_cap_analyzer *a, struct nrb_cap_result **out);

/** Free an analyzer not handed to finish.  NULL is ignored. */
void nrb_cap_analyzer_free(struct nrb_cap_analyzer *a);

/**
 * Analyse a capture file (pcap or pcapng).
 * @param path file to read (borrowed); @param opts may be NULL.
 * @param out receives the result (caller frees).  A file that stops mid-record gives a
 *        result with truncated set and a finding, not an error.
 * @return 0; -EINVAL (NULL args); -ENOENT/-EACCES/-EBADMSG the file cannot be opened or
 *         is not a capture (message from libpcap); -EPROTONOSUPPORT unknown link type;
 *         -ENOMEM.
 */
int nrb_cap_analyze_file(const char *path, const struct nrb_cap_opts *opts,
                         struct nrb_cap_result **out, char *err, size_t errlen);

/**
 * Analyse a capture from an open stream (e.g. fmemopen over bytes in memory).
 * @param fp consumed: closed before returning, whatever the outcome.
 * Otherwise as nrb_cap_analyze_file.
 */
int nrb_cap_analyze_stream(FILE *fp, const struct nrb_cap_opts *opts,
                           struct nrb_cap_result **out, char *err, size_t errlen);

/** Free a result.  NULL is ignored. */
void nrb_cap_result_free(struct nrb_cap_result *r);

/** @return the Zeek name of a state ("S0", "REJ", ...), "?" if out of range. */
const char *nrb_cap_state_name(enum nrb_cap_state s);

/** @return a short English description of a state, "?" if out of range. */
const char *nrb_cap_state_desc(enum nrb_cap_state s);

/** @return "orig", "resp" or "none". */
const char *nrb_cap_who_name(enum nrb_cap_who w);

/** @return "unknown", "genuine" or "injected". */
const char *nrb_cap_origin_name(enum nrb_cap_origin o);

/** @return "low", "medium" or "high". */
const char *nrb_cap_confidence_name(enum nrb_cap_confidence c);

/** @return "info", "warning" or "problem". */
const char *nrb_cap_severity_name(enum nrb_cap_severity s);

/** @return the hop implied by a received TTL (initial TTL 32/64/128/255 minus ttl plus
 *  one); see the header comment. */
int nrb_cap_ttl_hop(uint8_t ttl);

/* ------------------------------------------------------------- live sessions */

/*
 * A capture session reads packets from a pcap handle someone else opened (core/priv opens
 * live handles; an offline handle works too) in a background thread while the runbook
 * probes, within bounds on packets, bytes and time, optionally writing them to a .pcap
 * file, and hands back the analysis when stopped.  This module never opens a live
 * handle itself.
 */
struct pcap;

/** What a session captures and for how long. */
struct nrb_cap_session_opts {
	struct nrb_cap_opts analysis; /* target/port/max_flows of the analysis */
	const char *filter;           /* BPF filter (copied); NULL: nrb_cap_filter_for() of
	                               * analysis.target/port */
	const char *pcap_path;        /* write the packets here (copied; written to
	                               * PATH.tmp, renamed on stop), NULL: no file */
	uint64_t max_packets;         /* stop reading after this many; 0: 100000 */
	uint64_t max_bytes;           /* ... or this many captured bytes; 0: 64 MiB */
	uint32_t max_ms;              /* ... or after this long; 0: 60000 */
};

/** A running session (opaque). */
struct nrb_cap_session;

/**
 * Build the BPF filter for a target: its traffic on the port (TCP and UDP) and every
 * ICMP/ICMPv6 (errors about the flow come from other addresses).
 * "host 198.51.100.2 and (port 443 or icmp or icmp6)"; without a port "host X";
 * without a target "port 443 or icmp or icmp6"; with neither "" (everything).
 * @return 0, -EINVAL (NULL), -ENOSPC (buffer too small).
 */
int nrb_cap_filter_for(const struct nrb_cap_opts *o, char *buf, size_t len);

/**
 * Start a session on handle p.
 * @param p consumed: closed by stop/free (and here on error).
 * @return 0; -EINVAL (NULL args, a filter that does not compile: message from libpcap
 *         -- always the caller's mistake); -EPROTONOSUPPORT (link type); -EIO (cannot
 *         create the .pcap file, or a live handle cannot be polled); -ENOMEM; -errno
 *         from pthread_create.
 */
int nrb_cap_session_start(struct pcap *p, const struct nrb_cap_session_opts *o,
                          struct nrb_cap_session **out, char *err, size_t errlen);

/** @return 1 once the session stopped reading on its own (a bound reached, end of an
 *  offline file, or a read error), else 0. */
int nrb_cap_session_done(struct nrb_cap_session *s);

/** How nrb_cap_session_wait ended. */
enum nrb_cap_wait {
	NRB_CAP_WAIT_ELAPSED = 0,     /* the session has run min_ms */
	NRB_CAP_WAIT_DONE,            /* it stopped reading on its own first (a bound) */
	NRB_CAP_WAIT_INTERRUPTED,     /* SIGINT/SIGTERM (nrb_interrupted()) first */
	NRB_CAP_WAIT_LIMIT            /* the caller's limit came first */
};

/** @return milliseconds since the session started (monotonic), 0 for NULL. */
uint64_t nrb_cap_session_elapsed_ms(const struct nrb_cap_session *s);

/**
 * Wait until the session has been running for min_ms (counted from its start, so the
 * time other steps took counts), without reading packets itself: the reader thread goes
 * on capturing meanwhile.  Sleeps in slices of at most 100 ms (never spins) and returns
 * early when the session stops on its own, the run is interrupted, or limit_us passes.
 * @param min_ms 0 returns at once.  @param limit_us monotonic time (nrb_now_us()) not to
 *        wait past, 0 for none (the session's own time bound still applies).
 * @return an enum nrb_cap_wait value (>= 0), or -EINVAL for NULL.
 */
int nrb_cap_session_wait(struct nrb_cap_session *s, uint32_t min_ms, uint64_t limit_us);

/**
 * Stop reading, close the handle and the .pcap file, and analyse what was read.
 * @param s consumed.  @param out receives the result (caller frees); stopped_by says
 *        what ended the reading.
 * @return 0, -EINVAL, -ENOMEM, -EIO (the .pcap file could not be completed).
 */
int nrb_cap_session_stop(struct nrb_cap_session *s, struct nrb_cap_result **out, char *err,
                         size_t errlen);

/** Stop and discard a session (the .pcap file is removed).  NULL is ignored. */
void nrb_cap_session_free(struct nrb_cap_session *s);

#endif
