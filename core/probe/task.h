/*
 * task: the probe session every asynchronous probe (ping, trace, mtr, tcp_syn, udp, pmtu)
 * runs in.  A session owns one nrb_loop (epoll + timer heap + global pps bucket +
 * in-flight window), the probe sockets, and the table of probes in flight.  Probe
 * families are tasks: a struct nrb_task with a vtable {start, on_reply, on_timeout,
 * finish, free} (scamper_task_funcs_t).  A task asks the session to send single probes
 * (struct nrb_sess_probe); the session builds the packet, queues it through the loop's
 * limits, and later calls the task back exactly once per probe: on_reply with what came
 * back, or on_timeout.  Replies are matched to probes by signature (protocol, peer,
 * ports or ICMP id/seq, TCP sequence) plus a per-probe identifier that varies while the
 * flow stays constant (Paris traceroute): the IPv4 IP ID, the ICMP echo sequence, the
 * TCP sequence number, the IPv6 UDP checksum (set through two payload bytes), or a serial
 * number in the payload for unprivileged UDP sockets.  Replies that match nothing are
 * counted and dropped.  Every session draws its own echo id, source port, serial base
 * and TCP sequence base at random (getrandom), so a reply that comes after its session
 * ended -- a ping's echo reply later than its timeout -- matches nothing in the next
 * session of the process.
 *
 * Two limits sit on top of each other: the loop's global bucket and window (every
 * probe of the session), and a task's own in-flight window (nrb_task.window): a task
 * never has more than that many probes sent and not yet called back.  Its next probe
 * waits in the session, not in the loop's queue, until one of its probes is answered,
 * times out or is cancelled; so a trace cannot spend the whole burst of the bucket on
 * TTLs beyond a near destination before the destination has had a chance to answer.
 *
 * Sockets.  With CAP_NET_RAW: IPv4 probes go out through one IP_HDRINCL socket (we write
 * TTL, IP ID, DF and ports), IPv6 probes through raw sockets per protocol (hop limit set
 * per probe); ICMP, TCP and UDP raw sockets receive.  An IPv4 echo request without DF
 * too large for the interface goes through the raw ICMP socket instead, where the kernel
 * fragments it (it never fragments IP_HDRINCL packets).  Without CAP_NET_RAW the session
 * degrades and says so (nrb_sess_degraded): ICMP uses the kernel's ping sockets, each
 * UDP probe an ordinary socket of its own with IP_RECVERR (tracepath; an answer carries
 * nothing of ours, so the socket it arrives on names the probe, and the source port is
 * not constant), and TCP probes cannot be sent half-open (tasks fall back to connect()).
 * Only ICMP probes need the ICMP socket in that mode: UDP and TCP probes run without a
 * ping socket.  Privileged opens go through core/priv (or through the callbacks in the
 * options, which tests point at the fake socket seam).
 *
 * nrb_sess_run() runs the loop until every task added has finished (Lua sees one
 * synchronous call), its deadline passes, or the run is interrupted.
 */
#ifndef NRB_PROBE_TASK_H
#define NRB_PROBE_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "loop/loop.h"
#include "net/pkt.h"
#include "net/sock.h"
#include "priv/priv.h"

/** Probe protocols. */
enum nrb_proto {
	NRB_PROTO_ICMP = 1, /* ICMP / ICMPv6 echo request */
	NRB_PROTO_UDP,      /* UDP datagram */
	NRB_PROTO_TCP       /* TCP SYN (half-open) */
};

/** Limits on what a caller may ask for (bad input is refused before anything is sent). */
enum {
	NRB_SESS_MAX_TASKS = 64,        /* tasks in one session */
	NRB_SESS_MAX_SIZE = 9000,       /* largest probe packet, bytes incl. IP header */
	NRB_TASK_MAX_PROBES = 20000     /* hard cap on probes one task may send */
};

struct nrb_sess;
struct nrb_task;

/** What came back for one probe (or that nothing did). */
struct nrb_sess_reply {
	enum nrb_pkt_kind kind;   /* NRB_PKT_ECHO_REPLY, _ICMP_ERROR, _TCP or _UDP */
	enum nrb_pkt_err err;     /* normalised ICMP error (ICMP_ERROR only) */
	uint8_t icmp_type;        /* ICMP type (ICMP kinds) */
	uint8_t icmp_code;        /* ICMP code */
	uint32_t mtu;             /* MTU a frag-needed / packet-too-big reported, else 0 */
	struct nrb_pkt_addr from; /* who answered */
	int ttl;                  /* TTL / hop limit of the reply as received, -1 unknown */
	int ip_id;                /* IPv4 ID of the reply, -1 unknown (IPv6, dgram sockets) */
	uint8_t tcp_flags;        /* TCP flags (kind TCP) */
	size_t payload_len;       /* UDP answer payload bytes (kind UDP) */
	uint64_t sent_us;         /* when the probe went out (loop clock) */
	uint64_t rtt_us;          /* reply time - sent_us */
};

/** One probe to send. */
struct nrb_sess_probe {
	enum nrb_proto proto;     /* protocol */
	struct nrb_pkt_addr dst;  /* destination */
	uint16_t dport;           /* UDP/TCP destination port */
	uint16_t sport;           /* UDP/TCP source port; 0 = the session's constant port */
	uint8_t ttl;              /* TTL / hop limit, 1..255 */
	uint16_t size;            /* IP packet size in bytes; 0 = smallest for the protocol */
	uint8_t df;               /* 1: don't fragment (IPv4 DF; IPv6 never fragments) */
	uint64_t timeout_us;      /* how long to wait for an answer, > 0 */
	struct nrb_pace *pace;    /* per-destination pacing, borrowed (may be NULL) */
	uint32_t cookie;          /* the task's own tag, handed back with the outcome */
};

/** A task's vtable.  on_reply / on_timeout are called once per probe the task sent. */
struct nrb_task_ops {
	const char *name;                                        /* "ping", "trace", ... */
	/** Queue the first probes.  @return 0 or -errno (the task then counts as finished). */
	int (*start)(struct nrb_task *t);
	/** A reply matched probe `cookie`. */
	void (*on_reply)(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r);
	/** Probe `cookie` got no answer in time (or could not be sent: send_err < 0). */
	void (*on_timeout)(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err);
	/** The run ended (task done, deadline, interrupt): settle the result. May be NULL. */
	void (*finish)(struct nrb_task *t);
	/** Free the task's own state (not the struct nrb_task itself). May be NULL. */
	void (*free)(struct nrb_task *t);
	/** May be NULL.  Called as a probe goes out: the timeout to give it (µs), so an
	 *  adaptive timeout learnt from earlier replies applies to later probes and silent
	 *  probes free their in-flight window slots early.  0 = the probe's timeout_us. */
	uint64_t (*probe_timeout)(struct nrb_task *t, uint32_t cookie);
};

/** The part of a task the session sees; a family embeds it first in its own struct. */
struct nrb_task {
	const struct nrb_task_ops *ops; /* vtable */
	struct nrb_sess *sess;          /* session it runs in (set by nrb_sess_add) */
	int done;                       /* set by the task when it has its answer */
	uint32_t max_probes;            /* cap on probes (<= NRB_TASK_MAX_PROBES) */
	uint64_t max_time_us;           /* cap on running time, 0 = session deadline only */
	uint64_t started_us;            /* loop time at start */
	uint32_t probes;                /* probes sent so far (counts toward max_probes) */
	uint32_t outstanding;           /* probes sent or queued, not yet called back */
	uint32_t window;                /* most probes sent and not yet called back at
	                                 * once; 0 = no limit of the task's own (the
	                                 * loop's window still applies) */
	uint32_t inflight;              /* probes sent and not yet called back (session) */
	uint64_t cap_timer;             /* timer enforcing max_time_us (0 none) */
	int capped;                     /* 1 if the task hit max_probes or max_time_us */
	int waiting;                    /* 1 while a timer of the task's will send more (so
	                                 * no probe outstanding does not mean finished) */
};

/** Opens of privileged sockets; tests replace them (default: core/priv). */
struct nrb_sess_opener {
	/** Raw socket for af/proto (IPPROTO_RAW = IPv4 header-included send socket).
	 *  @return fd or -errno (-EPERM without privilege). */
	int (*open_raw)(void *ctx, int af, int proto, char *err, size_t errlen);
	/** ICMP echo socket: raw if permitted, else a ping socket (*kind says which). */
	int (*open_icmp)(void *ctx, int af, enum nrb_priv_kind *kind, char *err, size_t errlen);
	void *ctx; /* passed to both */
};

/** Session options; zero fields take defaults. */
struct nrb_sess_opts {
	const struct nrb_sock_ops *ops;      /* socket seam, borrowed; NULL = system */
	const struct nrb_sess_opener *open;  /* privileged opens, borrowed; NULL = core/priv */
	const struct nrb_clock *clock;       /* loop clock, borrowed; NULL = monotonic */
	uint32_t pps;                        /* global packets per second (default 100) */
	uint32_t burst;                      /* bucket depth (default 48) */
	uint32_t window;                     /* probes in flight (default 64) */
	int unprivileged;                    /* 1: do not try raw sockets (tests, --no-raw) */
	struct nrb_pkt_addr src4;            /* IPv4 source; unset = ask the kernel */
	struct nrb_pkt_addr src6;            /* IPv6 source; unset = ask the kernel */
	uint16_t sport;                      /* constant UDP/TCP source port; 0 = random */
	uint16_t icmp_id;                    /* ICMP echo id; 0 = random */
};

/** Create a session.  @param out receives it (caller frees with nrb_sess_free).
 *  @return 0, -EINVAL (bad options), -ENOMEM, or the loop's -errno. */
int nrb_sess_new(const struct nrb_sess_opts *opts, struct nrb_sess **out, char *err,
                 size_t errlen);

/** Free the session: tasks still attached are freed (ops->free), sockets closed.
 *  NULL is a no-op. */
void nrb_sess_free(struct nrb_sess *s);

/** @return the session's loop (borrowed), for tests and pacing helpers. */
struct nrb_loop *nrb_sess_loop(struct nrb_sess *s);

/** Make sure the sockets for (af, proto) are open, degrading when not permitted (any
 *  refusal of a raw socket degrades; nrb_sess_degraded names it).  Tasks call this from
 *  their constructor so a family that cannot be probed fails before anything is sent.
 *  @return 0, or -errno (err says why: ICMP with neither a raw nor a ping socket, no UDP
 *  socket at all, ...). */
int nrb_sess_prepare(struct nrb_sess *s, int af, enum nrb_proto proto, char *err,
                     size_t errlen);

/** @return 1 if (af, proto) runs on raw sockets, 0 if degraded (or not prepared). */
int nrb_sess_is_raw(const struct nrb_sess *s, int af, enum nrb_proto proto);

/** @return a text saying why (af, proto) is degraded (no CAP_NET_RAW, another errno,
 *  unprivileged mode) and what the probes do instead, or NULL if it is not; owned by the
 *  session (valid until nrb_sess_free). */
const char *nrb_sess_degraded(const struct nrb_sess *s, int af, enum nrb_proto proto);

/** The source address probes to dst will carry: opts.src4/src6 if set, else the
 *  kernel's choice (a UDP socket connected to dst, read back with getsockname: no
 *  packet is sent).  Tasks call it before sending, so a family with no route fails
 *  with a clear error and nothing sent.
 *  @return 0, -ENETUNREACH (no route; err says so), -EINVAL. */
int nrb_sess_source(struct nrb_sess *s, const struct nrb_pkt_addr *dst,
                    struct nrb_pkt_addr *out, char *err, size_t errlen);

/** @return the MTU of the route to dst (IP_MTU / IPV6_MTU of a UDP socket connected to
 *  it: the outgoing interface's MTU, or a PMTU the kernel learned), 1500 for the fake,
 *  or -errno. */
int nrb_sess_local_mtu(struct nrb_sess *s, const struct nrb_pkt_addr *dst);

/** @return the fd that receives (af, proto) replies in raw mode, or the ping socket in
 *  degraded mode; -1 if none (degraded UDP: each probe has its own socket, the fd the
 *  fake seam records its send on).  For tests that inject replies through the fake seam. */
int nrb_sess_fd(const struct nrb_sess *s, int af, enum nrb_proto proto);

/** Add a task (the session takes ownership: ops->free and free() of the struct at
 *  nrb_sess_free, so allocate it with malloc).  Started by nrb_sess_run.
 *  @return 0, -EINVAL, -ENOSPC (too many tasks). */
int nrb_sess_add(struct nrb_sess *s, struct nrb_task *t);

/** Queue one probe for task t.  The outcome comes back through t->ops.
 *  @return 0, -EINVAL (bad probe), -EDQUOT (task's probe cap reached), -ENOMEM. */
int nrb_sess_send(struct nrb_sess *s, struct nrb_task *t, const struct nrb_sess_probe *p);

/** @return the i-th task added (borrowed; NULL past the end), for tests and evidence. */
struct nrb_task *nrb_sess_task(struct nrb_sess *s, unsigned i);

/** Count task t's probes with ttl <= max_ttl: *queued not yet sent, the return value
 *  those sent and not called back; *newest_sent_us the latest send time among them (0
 *  if none).  Tasks use it for adaptive timeouts.  @return the count sent, or -EINVAL. */
int nrb_sess_outstanding(const struct nrb_sess *s, const struct nrb_task *t, int max_ttl,
                         uint32_t *queued, uint64_t *newest_sent_us);

/** Shorten the timeout of task t's probes in flight to timeout_us from their send time
 *  (probes already given less keep theirs; a probe past the new deadline expires in the
 *  loop's next expire stage).  An adaptive timeout learnt from the first answers then
 *  applies to the probes sent before them too (a burst that left before any answer got
 *  the initial ceiling), so they free their window slots as early as later probes.
 *  @return how many probes were re-timed, or -EINVAL. */
int nrb_sess_shorten(struct nrb_sess *s, struct nrb_task *t, uint64_t timeout_us);

/** nrb_sess_shorten for task t's probes with min_ttl <= ttl <= max_ttl only: a trace
 *  learns a wait per TTL (what answered at that TTL or farther says), not one for all.
 *  @return how many probes were re-timed, or -EINVAL. */
int nrb_sess_shorten_ttl(struct nrb_sess *s, struct nrb_task *t, int min_ttl, int max_ttl,
                         uint64_t timeout_us);

/** Drop task t's probes with ttl > above (queued or in flight) without calling back:
 *  a trace that reached its destination stops probing farther.  @return how many. */
int nrb_sess_cancel_above(struct nrb_sess *s, struct nrb_task *t, int above);

/** Run until every task is done (or has nothing outstanding), the deadline passes, or
 *  an interrupt.  Finishes each task (ops->finish).
 *  @param max_time_us overall cap (> 0).  @return 0, -ETIMEDOUT, -EINTR, -errno. */
int nrb_sess_run(struct nrb_sess *s, uint64_t max_time_us);

/**
 * While nrb_sess_run runs, call fn(ctx) about every every_us (at least 50 ms; the loop
 * wakes every 100 ms at the latest), and once more before it returns -- for a display of
 * results filling in.  fn must not touch the session.  fn NULL: no calls.
 */
void nrb_sess_on_progress(struct nrb_sess *s, uint64_t every_us, void (*fn)(void *ctx), void *ctx);

/** Counters, for tests, evidence and the benchmark. */
struct nrb_sess_stats {
	uint64_t sent;        /* probes handed to the kernel */
	uint64_t send_errors; /* sends that failed */
	uint64_t matched;     /* replies matched to a probe */
	uint64_t unmatched;   /* packets received that matched no probe (ignored) */
	uint64_t malformed;   /* packets that did not parse (ignored) */
	uint64_t timeouts;    /* probes that got no answer */
};

/** Fill st. */
void nrb_sess_stats(const struct nrb_sess *s, struct nrb_sess_stats *st);

/** @return the evidence name of an ICMP error kind (doc/evidence.md: "time_exceeded",
 *  "port_unreachable", "admin_prohibited", "no_route", ...) for an error as received. */
const char *nrb_sess_err_kind(int af, uint8_t type, uint8_t code, enum nrb_pkt_err err);

/** @return "icmp", "udp", "tcp". */
const char *nrb_proto_name(enum nrb_proto p);

/** Adaptive timeout (RFC 6298 style, like scamper's): srtt + 4 * rttvar, clamped to
 *  [min_us, max_us]; before any sample: max_us. */
struct nrb_rto {
	uint64_t srtt_us;   /* smoothed RTT */
	uint64_t rttvar_us; /* RTT variation */
	int samples;        /* samples seen */
	uint64_t min_us;    /* floor */
	uint64_t max_us;    /* ceiling and initial value */
};

/** Set the bounds; no samples.  */
void nrb_rto_init(struct nrb_rto *r, uint64_t min_us, uint64_t max_us);
/** Add an RTT sample. */
void nrb_rto_sample(struct nrb_rto *r, uint64_t rtt_us);
/** @return the current timeout in µs. */
uint64_t nrb_rto_get(const struct nrb_rto *r);

/** Running statistics over RTT samples (ms), as mtr and ping report them. */
struct nrb_rtt_stats {
	uint32_t n;       /* samples */
	double last;      /* last sample */
	double min;       /* best */
	double max;       /* worst */
	double mean;      /* running mean (Welford) */
	double m2;        /* sum of squared deviations (Welford) */
	double jitter;    /* mean |x_i - x_{i-1}| */
	double jsum;      /* sum of |x_i - x_{i-1}| */
};

/** Add a sample in ms. */
void nrb_rtt_add(struct nrb_rtt_stats *st, double ms);
/** @return the sample standard deviation (n-1; 0 when n < 2), as mtr's StDev. */
double nrb_rtt_stddev(const struct nrb_rtt_stats *st);
/** @return the population standard deviation (ping's mdev; 0 when n < 1). */
double nrb_rtt_pstddev(const struct nrb_rtt_stats *st);

#endif
