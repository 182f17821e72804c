/*
 * netprobe: the asynchronous probe families that run as tasks in a probe session
 * (task.h): ping (ICMP echo), trace (ICMP/UDP/TCP, TTLs in parallel up to a per-trace
 * window of probes in flight, TTL-major, constant flow, adaptive timeout), mtr (per-hop
 * statistics over rounds), tcp_syn (one half-open SYN), udp (one port probe) and pmtu (DF
 * probes in rounds; locates a blackhole).  Each family has a request struct
 * (validated by its *_add function: bad input fails with -EINVAL and a message before
 * anything is sent), a result struct the caller owns, and an *_add function that creates
 * the task and attaches it to a session; nrb_sess_run then runs every task added at once
 * (so ICMP, UDP and TCP traces of a target run concurrently) and fills the results.
 * The Lua bindings (core/lua/l_probe.c) turn the results into evidence tables
 * (doc/evidence.md).
 */
#ifndef NRB_PROBE_NETPROBE_H
#define NRB_PROBE_NETPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "probe/task.h"

enum {
	NRB_PING_MAX_COUNT = 1000,  /* ping count ceiling */
	NRB_TRACE_MAX_TTL = 64,     /* trace/mtr TTL ceiling */
	NRB_TRACE_MAX_QUERIES = 10, /* probes per hop per trace */
	NRB_TRACE_DEFAULT_WINDOW = 32, /* a trace's probes in flight at once (traceroute -N) */
	NRB_TRACE_MAX_WINDOW = NRB_TRACE_MAX_TTL * NRB_TRACE_MAX_QUERIES, /* = no limit */
	NRB_MTR_MAX_ROUNDS = 1000,  /* mtr rounds ceiling */
	NRB_MTR_MAX_UNKNOWN = 5,    /* silent hops probed past the farthest answer (mtr's) */
	NRB_HOP_MAX_ADDRS = 8,      /* distinct responders kept per hop */
	NRB_PMTU_MAX_PROBES = 96,   /* pmtu outcomes kept (one per size per round) */
	NRB_PMTU_MAX_TTL = 64,      /* pmtu locate TTL ceiling */
	NRB_ERR_KEEP = 32           /* ICMP errors kept in a ping result */
};

/** An ICMP error as evidence describes it ({from, type, code, kind}, + mtu, ttl). */
struct nrb_icmp_err {
	struct nrb_pkt_addr from; /* who sent it */
	uint8_t type;             /* ICMP type */
	uint8_t code;             /* ICMP code */
	const char *kind;         /* evidence kind (nrb_sess_err_kind), static */
	uint32_t mtu;             /* frag_needed / packet_too_big MTU, else 0 */
	int ttl;                  /* probe TTL it answered (trace), else 0 */
	int reply_ttl;            /* TTL of the error as received, -1 unknown */
};

/* ---------------------------------------------------------------------- ping */

struct nrb_ping_req {
	struct nrb_pkt_addr dst;   /* target */
	int count;                 /* echo requests, 1..NRB_PING_MAX_COUNT */
	uint64_t interval_us;      /* gap between requests, >= 10 ms */
	int size;                  /* ICMP payload bytes like ping -s, 8..8952 */
	int df;                    /* set DF (IPv4) / never fragment (IPv6) */
	int ttl;                   /* TTL of the requests, 1..255 (0 = 64) */
	uint64_t timeout_us;       /* wait per request, > 0 */
};

struct nrb_ping_reply {
	int seq;                   /* 1-based request number */
	double rtt_ms;             /* round-trip time */
	int ttl;                   /* reply TTL, -1 unknown */
};

struct nrb_ping_result {
	int sent;                  /* requests sent */
	int received;              /* echo replies */
	struct nrb_rtt_stats rtt;  /* over replies */
	int reply_ttl;             /* most common reply TTL, -1 none */
	struct nrb_ping_reply *replies; /* received replies (count entries allocated) */
	int nreplies;              /* used */
	struct nrb_icmp_err errors[NRB_ERR_KEEP]; /* errors instead of replies */
	int nerrors;               /* used */
	int send_errno;            /* last local send error, 0 none */
	const char *degraded;      /* why degraded, NULL if not (the session's) */
};

/** Attach a ping task.  res must live until nrb_sess_run returns; free res->replies
 *  with nrb_ping_result_free.  @return 0 or -errno (err says why; nothing sent). */
int nrb_ping_add(struct nrb_sess *s, const struct nrb_ping_req *req,
                 struct nrb_ping_result *res, char *err, size_t errlen);
void nrb_ping_result_free(struct nrb_ping_result *res);

/* --------------------------------------------------------------------- trace */

struct nrb_trace_req {
	struct nrb_pkt_addr dst;   /* target */
	enum nrb_proto proto;      /* ICMP, UDP or TCP */
	uint16_t port;             /* UDP/TCP destination port (1..65535); UDP default 33434 */
	int first_ttl;             /* 1.. */
	int max_ttl;               /* ..NRB_TRACE_MAX_TTL */
	int queries;               /* probes per hop, 1..NRB_TRACE_MAX_QUERIES */
	uint64_t timeout_us;       /* adaptive timeout ceiling (and initial value) */
	uint64_t min_timeout_us;   /* adaptive timeout floor */
	int window;                /* trace only: most of its probes in flight at once,
	                            * 1..NRB_TRACE_MAX_WINDOW; 0 = NRB_TRACE_DEFAULT_WINDOW
	                            * (mtr ignores it: one probe per hop per round) */
};

struct nrb_hop_reply {
	struct nrb_pkt_addr from;  /* responder */
	double rtt_ms;             /* round trip */
	const char *kind;          /* time_exceeded, echo_reply, syn_ack, rst, port_unreachable, ... */
	uint8_t type, code;        /* ICMP type/code (ICMP kinds) */
	int reply_ttl;             /* TTL of the reply as received, -1 unknown */
	uint32_t mtu;              /* for frag_needed / packet_too_big */
};

struct nrb_hop {
	int ttl;                   /* probe TTL */
	int sent;                  /* probes sent */
	int received;              /* answered */
	struct nrb_hop_reply replies[NRB_TRACE_MAX_QUERIES]; /* answers */
	int nreplies;              /* used */
};

struct nrb_trace_result {
	struct nrb_trace_req req;  /* the request as run (defaults filled) */
	int reached;               /* the destination answered */
	int reached_ttl;           /* lowest TTL at which it did */
	const char *dest_answer;   /* echo_reply, syn_ack, rst, port_unreachable, or the kind */
	int dest_reply_ttl;        /* TTL of that answer as received */
	int last_ttl;              /* farthest TTL that answered anything, 0 none */
	struct nrb_pkt_addr last_address; /* who answered there */
	const char *stop;          /* reached, unreachable, silence, max_ttl */
	int has_unreach;           /* unreach is set */
	struct nrb_icmp_err unreach; /* the ICMP unreachable that ended the path */
	int nhops;                 /* hops[0..nhops-1] are TTL first_ttl.. */
	struct nrb_hop hops[NRB_TRACE_MAX_TTL]; /* by TTL - 1 */
	const char *degraded;      /* why degraded, NULL if not */
	int send_errno;            /* a local send error, 0 none */
	uint64_t elapsed_us;       /* run time of this trace */
	uint64_t timeout_used_us;  /* the adaptive timeout at the end */
};

/** Attach a trace task.  Without raw TCP the trace cannot probe hops: the task is not
 *  added, *tcp_fallback is set and the caller runs a connect() instead.
 *  @return 0 or -errno. */
int nrb_trace_add(struct nrb_sess *s, const struct nrb_trace_req *req,
                  struct nrb_trace_result *res, char *err, size_t errlen);

/* ----------------------------------------------------------------------- mtr */

/* Pacing.  A hop's ICMP rate limit shows as a hop that does not answer a round while a
 * farther hop does.  With slow_interval_us set, rounds start every interval_us and, from
 * the first round that shows that gap at a hop which has answered before (a hop that
 * never answers is silent, not limiting), every slow_interval_us — the first slow round
 * a whole slow interval after the last fast one, so a limiter's bucket has refilled.
 * Tasks of one session that share a `struct nrb_mtr_pace` slow down together: they
 * spend the same hops' budget.  A task with stop_when_slowed sends no more rounds once
 * the pace is slow (a second protocol would double the rate at the limiting hop). */
struct nrb_mtr_pace {
	int slow;                   /* 1: the pace is slow */
	int slow_hop;               /* the TTL whose gap slowed it down */
};

struct nrb_mtr_req {
	struct nrb_trace_req trace; /* path and protocol (queries unused) */
	int rounds;                 /* 1..NRB_MTR_MAX_ROUNDS (mtr -c) */
	uint64_t interval_us;       /* gap between rounds, >= 100 ms (mtr -i) */
	uint64_t slow_interval_us;  /* 0: fixed pace; else > interval_us, 100 ms..60 s */
	struct nrb_mtr_pace *pace;  /* shared pace state (NULL: the task's own) */
	int stop_when_slowed;       /* 1: no rounds at the slow pace */
};

struct nrb_mtr_hop {
	int ttl;                   /* probe TTL */
	int sent, received;        /* Snt, and replies */
	struct nrb_rtt_stats rtt;  /* Last, Avg, Best, Wrst, StDev */
	struct nrb_pkt_addr addrs[NRB_HOP_MAX_ADDRS]; /* responders */
	int addr_count[NRB_HOP_MAX_ADDRS];            /* replies per responder */
	int naddrs;                /* used */
	int dest;                  /* 1 if the destination answered here */
};

struct nrb_mtr_result {
	struct nrb_mtr_req req;    /* as run */
	int nhops;                 /* hops in use */
	int dest_ttl;              /* TTL where the destination answers, 0 unknown */
	int rounds_done;           /* rounds sent */
	int slowed_round;          /* first round (1-based) at the slow pace, 0: none */
	int stopped_round;         /* stop_when_slowed: rounds sent before it stopped, else 0 */
	struct nrb_mtr_pace pace;  /* how the pace went (a copy of the shared one at the end) */
	struct nrb_mtr_hop hops[NRB_TRACE_MAX_TTL]; /* by TTL - 1 */
	const char *degraded;      /* why degraded */
};

int nrb_mtr_add(struct nrb_sess *s, const struct nrb_mtr_req *req, struct nrb_mtr_result *res,
                char *err, size_t errlen);

/* ------------------------------------------------------------ tcp_syn, udp */

struct nrb_port_req {
	struct nrb_pkt_addr dst;   /* target */
	uint16_t port;             /* 1..65535 */
	enum nrb_proto proto;      /* TCP (half-open SYN) or UDP */
	int ttl;                   /* 1..255, 0 = 64 */
	uint64_t timeout_us;       /* > 0 */
	int size;                  /* UDP payload bytes (0 = 8) */
};

struct nrb_port_result {
	const char *status;        /* tcp: syn_ack, rst, icmp, timeout; udp: answer,
	                            * port_unreachable, icmp, open_filtered */
	double rtt_ms;             /* time to the answer */
	struct nrb_pkt_addr from;  /* who answered */
	int answered;              /* from/rtt valid */
	int reply_ttl;             /* -1 unknown */
	int reply_ipid;            /* -1 unknown */
	uint8_t tcp_flags;         /* flags of a TCP answer */
	size_t bytes;              /* UDP answer payload size */
	int has_icmp;              /* icmp valid */
	struct nrb_icmp_err icmp;  /* the ICMP error */
	const char *degraded;      /* why degraded */
	int send_errno;            /* a local send error */
};

int nrb_port_add(struct nrb_sess *s, const struct nrb_port_req *req,
                 struct nrb_port_result *res, char *err, size_t errlen);

/* ---------------------------------------------------------------------- pmtu */

struct nrb_pmtu_req {
	struct nrb_pkt_addr dst;   /* target */
	enum nrb_proto proto;      /* ICMP (default) or UDP */
	uint16_t port;             /* UDP port */
	int min_size;              /* smallest size tried, bytes incl. IP header (>= 68/1280) */
	int max_size;              /* largest (the local MTU if 0) */
	int tries;                 /* copies of each size per round, 1..5 (default 2) */
	uint64_t timeout_us;       /* per probe */
	int max_ttl;               /* locating a blackhole: highest TTL tried (default 30) */
};

struct nrb_pmtu_probe {
	int size;                  /* bytes incl. IP header */
	const char *result;        /* passed, lost, frag_needed, too_big_local */
	int round;                 /* search round (the last one confirms) */
};

struct nrb_pmtu_result {
	const char *status;        /* ok, frag_needed, blackhole, lossy (sizes vanished but not
	                            * provably for their size), no_reply */
	int local_mtu;             /* MTU of the outgoing interface (or max_size) */
	int path_mtu;              /* largest size that passed, 0 none */
	int smallest_lost;         /* smallest size that vanished, 0 none */
	int has_reported;          /* reported valid */
	struct nrb_pkt_addr reported_from; /* router that sent frag-needed / too-big */
	uint32_t reported_mtu;     /* the MTU it reported */
	int reported_ttl;          /* TTL of that error as received */
	struct nrb_pmtu_probe probes[NRB_PMTU_MAX_PROBES]; /* what was tried */
	int nprobes;               /* used */
	int rounds;                /* rounds run */
	int random_losses;         /* sizes lost although a larger one passed */
	int confirmed;             /* the final round saw small packets reach the target */
	int located;               /* hop/next_hop were looked for (a confirmed blackhole) */
	int hop;                   /* last TTL whose router answered a full-size probe, 0 none */
	struct nrb_pkt_addr hop_addr;      /* that router */
	int next_hop;              /* first TTL beyond it answering only small probes, 0 none */
	struct nrb_pkt_addr next_hop_addr; /* that router */
	int send_errors;           /* probes that could not be sent */
	int send_error;            /* the first such -errno */
	const char *degraded;      /* why degraded */
};

/** Upper bound on a pmtu task's run time for these options (for the caller's deadline). */
uint64_t nrb_pmtu_budget_us(const struct nrb_pmtu_req *q);

int nrb_pmtu_add(struct nrb_sess *s, const struct nrb_pmtu_req *req,
                 struct nrb_pmtu_result *res, char *err, size_t errlen);

#endif
