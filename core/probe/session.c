/* session: sockets, sending, reply matching and timeouts for probe tasks (see task.h). */
#include "probe/task.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

/* Which identifier tells probes of one flow apart (the flow itself stays constant). */
enum ident_kind {
	ID_NONE = 0,   /* the signature alone (ICMP seq, TCP seq are in it) */
	ID_IPID,       /* IPv4 IP ID, read back from the ICMP error's quote */
	ID_UDPCSUM,    /* IPv6 UDP checksum, read back from the quote */
	ID_SERIAL      /* 4-byte serial at the start of the payload (dgram UDP errors) */
};

/* One probe, queued or in flight. */
struct inflight {
	struct inflight *next;     /* list of the session's probes, oldest first */
	struct inflight *prev;     /* previous in that list */
	struct nrb_sess *s;        /* owning session */
	struct nrb_task *task;     /* task that asked for it */
	struct nrb_sess_probe p;   /* what to send */
	struct nrb_pkt_sig sig;    /* signature replies must match */
	enum ident_kind idk;       /* which identifier narrows the signature */
	uint32_t ident;            /* its value */
	uint32_t serial;           /* session-wide probe number */
	int fd;                    /* the probe's own socket (degraded UDP), -1 none */
	int sent;                  /* 1 once handed to the kernel */
	int in_loop;               /* 1 while in the loop's send queue (send_id valid) */
	uint64_t sent_us;          /* when */
	uint64_t timer_id;         /* timeout timer (sent only) */
	uint64_t send_id;          /* queued send (until sent) */
};

/* Sockets and state of one address family. */
struct afstate {
	int prepared[4];           /* per enum nrb_proto: nrb_sess_prepare ran */
	int raw[4];                /* per proto: runs on raw sockets */
	const char *degraded[4];   /* per proto: why not, NULL if raw (points at why[]) */
	char why[4][224];          /* per proto: the degraded text */
	int raw_err;               /* errno that refused a raw socket, 0 none yet */
	int send_fd;               /* IPv4: IP_HDRINCL send socket; -1 none */
	int icmp_fd;               /* ICMP socket (raw or ping) */
	enum nrb_priv_kind icmp_kind; /* which */
	int udp_fd;                /* raw UDP (v6 send + rx, v4 rx); degraded UDP probes
	                            * have a socket each (struct inflight.fd) */
	int tcp_fd;                /* raw TCP (v6 send + rx, v4 rx) */
	int cur_ttl[3];            /* TTL last set on icmp/udp/tcp fd (per-probe setsockopt) */
	int cur_df[3];             /* DF/PMTUDISC mode last set on each, -1 unknown */
};

/* Cached answer of the source lookup. */
struct srccache {
	struct nrb_pkt_addr dst;   /* destination asked about */
	struct nrb_pkt_addr src;   /* the kernel's source for it */
};

struct nrb_sess {
	struct nrb_loop *loop;           /* the one loop */
	struct nrb_sock_ops ops;         /* socket seam */
	int system;                      /* ops are the real sockets */
	struct nrb_sess_opener open;     /* privileged opens */
	int unprivileged;                /* never try raw */
	struct nrb_pkt_addr src4, src6;  /* configured sources (af 0 = ask the kernel) */
	uint16_t sport;                  /* constant source port (raw UDP/TCP) */
	uint16_t icmp_id;                /* echo id */
	uint32_t tcp_seq_base;           /* TCP sequence numbers are base + serial */
	struct afstate af4, af6;         /* per family */
	struct srccache srcs[8];         /* source lookups */
	unsigned nsrcs;                  /* used entries (round robin beyond 8) */
	struct inflight *head, *tail;    /* probes queued or in flight */
	uint32_t serial;                 /* next probe number */
	struct nrb_task *tasks[NRB_SESS_MAX_TASKS]; /* tasks added */
	unsigned ntasks;                 /* count */
	struct nrb_sess_stats st;        /* counters */
	void (*progress)(void *);        /* nrb_sess_on_progress */
	void *progress_ctx;
	uint64_t progress_every;         /* us */
};

/* ------------------------------------------------------------ small helpers */

const char *nrb_proto_name(enum nrb_proto p)
{
	switch (p) {
	case NRB_PROTO_ICMP: return "icmp";
	case NRB_PROTO_UDP: return "udp";
	case NRB_PROTO_TCP: return "tcp";
	}
	return "?";
}

const char *nrb_sess_err_kind(int af, uint8_t type, uint8_t code, enum nrb_pkt_err err)
{
	switch (err) {
	case NRB_ERR_TTL_EXCEEDED: return "time_exceeded";
	case NRB_ERR_NET_UNREACH:
		return af == AF_INET6 ? "no_route" : "net_unreachable";
	case NRB_ERR_HOST_UNREACH:
		return af == AF_INET6 ? "address_unreachable" : "host_unreachable";
	case NRB_ERR_PROTO_UNREACH: return "protocol_unreachable";
	case NRB_ERR_PORT_UNREACH: return "port_unreachable";
	case NRB_ERR_FRAG_NEEDED: return "frag_needed";
	case NRB_ERR_PACKET_TOO_BIG: return "packet_too_big";
	case NRB_ERR_ADMIN_PROHIB:
		/* evidence.md keeps IPv6 reject-route (1/6) apart from admin prohibited */
		if (af == AF_INET6 && type == 1 && code == 6)
			return "reject_route";
		if (af == AF_INET && type == 3 && code != 9 && code != 10 && code != 13)
			return "other";
		return "admin_prohibited";
	default: return "other";
	}
}

static struct afstate *afs(struct nrb_sess *s, int af)
{
	return af == AF_INET ? &s->af4 : af == AF_INET6 ? &s->af6 : NULL;
}

static const struct afstate *cafs(const struct nrb_sess *s, int af)
{
	return af == AF_INET ? &s->af4 : af == AF_INET6 ? &s->af6 : NULL;
}

static int def_open_raw(void *ctx, int af, int proto, char *err, size_t errlen)
{
	(void)ctx;
	return nrb_priv_open_raw(af, proto, err, errlen);
}

static int def_open_icmp(void *ctx, int af, enum nrb_priv_kind *kind, char *err, size_t errlen)
{
	(void)ctx;
	return nrb_priv_open_icmp(af, kind, err, errlen);
}

static const struct nrb_sess_opener default_opener = { def_open_raw, def_open_icmp, NULL };

static socklen_t to_sockaddr(const struct nrb_pkt_addr *a, uint16_t port,
                             struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->bytes, 4);
		return sizeof *in;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, a->bytes, 16);
	return sizeof *in6;
}

/* ------------------------------------------------------------ stats helpers */

void nrb_rto_init(struct nrb_rto *r, uint64_t min_us, uint64_t max_us)
{
	memset(r, 0, sizeof *r);
	r->min_us = min_us;
	r->max_us = max_us < min_us ? min_us : max_us;
}

void nrb_rto_sample(struct nrb_rto *r, uint64_t rtt_us)
{
	uint64_t d;

	if (!r->samples) {
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else {
		d = rtt_us > r->srtt_us ? rtt_us - r->srtt_us : r->srtt_us - rtt_us;
		r->rttvar_us = (3 * r->rttvar_us + d) / 4;
		r->srtt_us = (7 * r->srtt_us + rtt_us) / 8;
	}
	r->samples++;
}

uint64_t nrb_rto_get(const struct nrb_rto *r)
{
	uint64_t t;

	if (!r->samples)
		return r->max_us;
	t = r->srtt_us + 4 * r->rttvar_us;
	if (t < r->min_us)
		t = r->min_us;
	if (t > r->max_us)
		t = r->max_us;
	return t;
}

void nrb_rtt_add(struct nrb_rtt_stats *st, double ms)
{
	double d;

	if (st->n) {
		st->jsum += fabs(ms - st->last);
		st->jitter = st->jsum / st->n;
	}
	st->n++;
	if (st->n == 1 || ms < st->min)
		st->min = ms;
	if (st->n == 1 || ms > st->max)
		st->max = ms;
	d = ms - st->mean;
	st->mean += d / st->n;
	st->m2 += d * (ms - st->mean);
	st->last = ms;
}

double nrb_rtt_stddev(const struct nrb_rtt_stats *st)
{
	return st->n < 2 ? 0.0 : sqrt(st->m2 / (st->n - 1));
}

double nrb_rtt_pstddev(const struct nrb_rtt_stats *st)
{
	return st->n < 1 ? 0.0 : sqrt(st->m2 / st->n);
}

/* -------------------------------------------------------------- lifecycle */

/* 64 random bits.  getrandom(2) without blocking; where it is missing (ENOSYS) or not
 * seeded yet (EAGAIN, early boot), a mix of the clock, the pid, a counter and salt (the
 * session's address), which still differs from one session to the next. */
static uint64_t sess_random(const void *salt)
{
	static uint64_t counter;
	uint64_t v;

	if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
		return v;
	v = nrb_now_us() ^ (uint64_t)getpid() << 40 ^ (uint64_t)(uintptr_t)salt ^
	    ++counter * 0x9e3779b97f4a7c15ull;
	/* splitmix64's finaliser spreads every input bit over the result */
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
	return v ^ (v >> 31);
}

static void afstate_init(struct afstate *a)
{
	memset(a, 0, sizeof *a);
	a->send_fd = a->icmp_fd = a->udp_fd = a->tcp_fd = -1;
	for (int i = 0; i < 3; i++)
		a->cur_ttl[i] = a->cur_df[i] = -1;
}

int nrb_sess_new(const struct nrb_sess_opts *opts, struct nrb_sess **out, char *err,
                 size_t errlen)
{
	struct nrb_loop_opts lo;
	struct nrb_sess *s;
	uint64_t r;
	int rc;

	if (!out)
		return nrb_err(err, errlen, EINVAL, "session: no output");
	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return nrb_err(err, errlen, ENOMEM, "session: out of memory");
	memset(&lo, 0, sizeof lo);
	if (opts) {
		lo.clock = opts->clock;
		lo.pps = opts->pps;
		lo.burst = opts->burst;
		lo.window = opts->window;
	}
	if (!lo.window)
		lo.window = 64; /* a session runs several tasks, each bounded by its own window
		                 * (trace: 32), so its total is larger than the loop's default */
	rc = nrb_loop_new(&lo, &s->loop, err, errlen);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->ops = opts && opts->ops ? *opts->ops : nrb_sock_system;
	s->system = !(opts && opts->ops);
	s->open = opts && opts->open ? *opts->open : default_opener;
	s->unprivileged = opts ? opts->unprivileged : 0;
	if (opts) {
		s->src4 = opts->src4;
		s->src6 = opts->src6;
	}
	/* Every identifier a reply is matched by is drawn afresh for each session: a reply
	 * that arrives after its own session ended (a ping's echo reply later than its
	 * timeout) must not match a probe of the next session in the same process -- the
	 * standard runbook runs ping, traces and mtr back to back.  Raw sockets see every
	 * ICMP message of the host, so the echo id, source port, serial (ICMP sequence, IP
	 * ID, UDP checksum, payload serial) and TCP sequence must all differ. */
	r = sess_random(s);
	s->sport = opts && opts->sport ? opts->sport : (uint16_t)(33000 + r % 20000);
	r /= 20000;
	s->icmp_id = opts && opts->icmp_id ? opts->icmp_id : (uint16_t)(r & 0xffff);
	if (!s->icmp_id)
		s->icmp_id = 1;
	s->serial = (uint32_t)(r >> 16); /* the first probe gets serial + 1 */
	s->tcp_seq_base = (uint32_t)sess_random(s);
	afstate_init(&s->af4);
	afstate_init(&s->af6);
	*out = s;
	return 0;
}

static void close_fd(struct nrb_sess *s, int *fd)
{
	if (*fd >= 0) {
		(void)nrb_loop_fd_del(s->loop, *fd);
		s->ops.close(s->ops.ctx, *fd);
	}
	*fd = -1;
}

/* Unlink and free f, closing its own socket: an answer arriving later finds no socket
 * and is dropped by the kernel, never matched to another probe. */
static void free_inflight(struct nrb_sess *s, struct inflight *f)
{
	close_fd(s, &f->fd);
	if (f->prev)
		f->prev->next = f->next;
	else
		s->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		s->tail = f->prev;
	free(f);
}

/* Drop a probe without calling its task (task finished or session ending). */
static void cancel_inflight(struct nrb_sess *s, struct inflight *f)
{
	if (f->sent) {
		(void)nrb_loop_timer_cancel(s->loop, f->timer_id);
		nrb_loop_inflight_done(s->loop);
		if (f->task->inflight)
			f->task->inflight--;
	} else if (f->in_loop) {
		(void)nrb_loop_send_cancel(s->loop, f->send_id);
	}
	if (f->task->outstanding)
		f->task->outstanding--;
	free_inflight(s, f);
}

void nrb_sess_free(struct nrb_sess *s)
{
	struct afstate *a;

	if (!s)
		return;
	while (s->head)
		cancel_inflight(s, s->head);
	for (unsigned i = 0; i < s->ntasks; i++) {
		if (s->tasks[i]->ops->free)
			s->tasks[i]->ops->free(s->tasks[i]);
		free(s->tasks[i]);
	}
	for (int k = 0; k < 2; k++) {
		a = k ? &s->af6 : &s->af4;
		close_fd(s, &a->send_fd);
		close_fd(s, &a->icmp_fd);
		close_fd(s, &a->udp_fd);
		close_fd(s, &a->tcp_fd);
	}
	nrb_loop_free(s->loop);
	free(s);
}

struct nrb_loop *nrb_sess_loop(struct nrb_sess *s)
{
	return s ? s->loop : NULL;
}

void nrb_sess_stats(const struct nrb_sess *s, struct nrb_sess_stats *st)
{
	*st = s->st;
}

/* ------------------------------------------------------------ source lookup */

int nrb_sess_source(struct nrb_sess *s, const struct nrb_pkt_addr *dst,
                    struct nrb_pkt_addr *out, char *err, size_t errlen)
{
	struct sockaddr_storage ss, local;
	socklen_t len, llen = sizeof local;
	char text[64];
	int fd;

	if (!s || !dst || !out || (dst->af != AF_INET && dst->af != AF_INET6))
		return nrb_err(err, errlen, EINVAL, "session: bad destination");
	if (dst->af == AF_INET && s->src4.af) {
		*out = s->src4;
		return 0;
	}
	if (dst->af == AF_INET6 && s->src6.af) {
		*out = s->src6;
		return 0;
	}
	for (unsigned i = 0; i < s->nsrcs && i < 8; i++) {
		if (nrb_pkt_addr_equal(&s->srcs[i].dst, dst)) {
			*out = s->srcs[i].src;
			return 0;
		}
	}
	if (!s->system) {
		/* the fake has no routing table: an unspecified source of the family */
		memset(out, 0, sizeof *out);
		out->af = dst->af;
		return 0;
	}
	/* connect(2) on a UDP socket only consults the routing table: nothing is sent */
	len = to_sockaddr(dst, 9, &ss);
	fd = socket(dst->af, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return nrb_err(err, errlen, errno, "session: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		return nrb_err(err, errlen, e, "no route to %s: %s; nothing sent",
		               nrb_pkt_addr_to_string(dst, text, sizeof text), strerror(e));
	}
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0 ||
	    nrb_pkt_addr_from_sockaddr(out, (struct sockaddr *)&local, llen) < 0) {
		int e = errno ? errno : EINVAL;

		close(fd);
		return nrb_err(err, errlen, e, "session: getsockname: %s", strerror(e));
	}
	close(fd);
	s->srcs[s->nsrcs % 8].dst = *dst;
	s->srcs[s->nsrcs % 8].src = *out;
	s->nsrcs++;
	return 0;
}

int nrb_sess_local_mtu(struct nrb_sess *s, const struct nrb_pkt_addr *dst)
{
	struct sockaddr_storage ss;
	socklen_t len, olen;
	int fd, mtu = 0, rc;

	if (!s || !dst || (dst->af != AF_INET && dst->af != AF_INET6))
		return -EINVAL;
	if (!s->system)
		return 1500;
	len = to_sockaddr(dst, 9, &ss);
	fd = socket(dst->af, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	olen = sizeof mtu;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		rc = -errno;
	else if (getsockopt(fd, dst->af == AF_INET ? SOL_IP : SOL_IPV6,
	                    dst->af == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &olen) < 0)
		rc = -errno;
	else
		rc = mtu;
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ receive path */

static void on_readable(struct nrb_loop *loop, int fd, uint32_t events, void *arg);
static void feed(struct nrb_sess *s, struct nrb_task *t);

static int watch(struct nrb_sess *s, int fd)
{
	int rc = nrb_loop_fd_add(s->loop, fd, NRB_EV_READ, on_readable, s);

	return rc == -EEXIST ? 0 : rc;
}

static int setopt_int(struct nrb_sess *s, int fd, int level, int name, int v)
{
	return s->ops.setopt(s->ops.ctx, fd, level, name, &v, sizeof v);
}

/* Receive options for sockets we open through the seam (dgram UDP). */
static int dgram_opts(struct nrb_sess *s, int fd, int af)
{
	if (af == AF_INET) {
		if (setopt_int(s, fd, SOL_IP, IP_RECVERR, 1) < 0 ||
		    setopt_int(s, fd, SOL_IP, IP_RECVTTL, 1) < 0)
			return -EIO;
	} else {
		if (setopt_int(s, fd, SOL_IPV6, IPV6_RECVERR, 1) < 0 ||
		    setopt_int(s, fd, SOL_IPV6, IPV6_RECVHOPLIMIT, 1) < 0)
			return -EIO;
	}
	return 0;
}

/* What a degraded protocol does instead; nrb_sess_degraded prefixes why (degrade()). */
static const char *const DEG_WHAT[4] = {
	NULL,
	"ICMP probes use an unprivileged ping socket (ICMP errors via IP_RECVERR; reply IP ID "
	"unknown)",
	"UDP probes use ordinary UDP sockets, one per probe, with IP_RECVERR (like tracepath); "
	"reply IP ID unknown",
	"half-open TCP SYN probes are impossible; TCP falls back to connect() (no per-hop "
	"answers)"
};

/* Mark proto of a degraded: e is the errno that refused the raw socket (0: raw sockets
 * were not to be tried).  The text names the reason, since the fallbacks differ in what
 * they can see. */
static void degrade(struct nrb_sess *s, struct afstate *a, enum nrb_proto proto, int e)
{
	char *b = a->why[proto];
	size_t n = sizeof a->why[proto];

	if (s->unprivileged || !e)
		snprintf(b, n, "raw sockets not used (unprivileged): %s", DEG_WHAT[proto]);
	else if (e == EPERM)
		snprintf(b, n, "no CAP_NET_RAW: %s", DEG_WHAT[proto]);
	else
		snprintf(b, n, "no raw socket (%s): %s", strerror(e), DEG_WHAT[proto]);
	a->raw[proto] = 0;
	a->degraded[proto] = b;
}

/* Take a raw ICMP socket fd (owned from here on) as af's ICMP socket; IPv4 probes also
 * need the header-included send socket.  @return 0, or -errno when that send socket is
 * refused (fd is closed then, a->raw_err set: raw probes cannot be sent). */
static int adopt_raw_icmp(struct nrb_sess *s, int af, struct afstate *a, int fd)
{
	int sfd;

	if (af == AF_INET) {
		sfd = s->open.open_raw(s->open.ctx, AF_INET, IPPROTO_RAW, NULL, 0);
		if (sfd < 0) {
			s->ops.close(s->ops.ctx, fd);
			a->raw_err = -sfd;
			return sfd;
		}
		/* our own DF bit decides; ignore the kernel's PMTU cache */
		(void)setopt_int(s, sfd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
		a->send_fd = sfd;
	} else {
		(void)setopt_int(s, fd, SOL_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
	}
	a->icmp_fd = fd;
	a->icmp_kind = NRB_PRIV_RAW;
	return watch(s, fd);
}

/* The ICMP socket of af for ICMP probes: raw if permitted, else a ping socket. */
static int prepare_icmp(struct nrb_sess *s, int af, struct afstate *a, char *err, size_t errlen)
{
	enum nrb_priv_kind kind = NRB_PRIV_NONE;
	int fd;

	if (a->icmp_fd >= 0)
		return 0;
	if (!s->unprivileged) {
		fd = s->open.open_icmp(s->open.ctx, af, &kind, err, errlen);
		if (fd < 0)
			return fd; /* neither raw nor ping socket; err says why */
		if (kind != NRB_PRIV_RAW) {
			/* core/priv falls back to a ping socket only when raw was not permitted */
			a->raw_err = EPERM;
			a->icmp_fd = fd;
			a->icmp_kind = NRB_PRIV_DGRAM;
			return watch(s, fd);
		}
		if (adopt_raw_icmp(s, af, a, fd) == 0)
			return 0;
		/* raw ICMP but no header-included send socket: a ping socket after all */
	}
	fd = s->ops.open(s->ops.ctx, af, SOCK_DGRAM, af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return nrb_err(err, errlen, -fd, "no raw ICMP socket and no ping socket: %s (is "
		               "the group in net.ipv4.ping_group_range?)", strerror(-fd));
	if (dgram_opts(s, fd, af) < 0) {
		s->ops.close(s->ops.ctx, fd);
		return nrb_err(err, errlen, EIO, "session: ping socket options refused");
	}
	a->icmp_fd = fd;
	a->icmp_kind = NRB_PRIV_DGRAM;
	return watch(s, fd);
}

/* The raw ICMP socket raw UDP and TCP probes need (their ICMP errors arrive there) -- never
 * a ping socket, which they cannot use: degraded UDP reads its errors through IP_RECVERR
 * on its own sockets and degraded TCP connects.  So a UDP or TCP probe works without a
 * ping socket (net.ipv4.ping_group_range excludes most users by default).
 * @return 0, or -errno that refused raw sockets. */
static int raw_icmp(struct nrb_sess *s, int af, struct afstate *a)
{
	int fd;

	if (s->unprivileged)
		return -EPERM;
	if (a->raw_err)
		return -a->raw_err;
	if (a->icmp_fd >= 0)
		return a->icmp_kind == NRB_PRIV_RAW ? 0 : -EPERM;
	fd = s->open.open_raw(s->open.ctx, af, af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
	                      NULL, 0);
	if (fd < 0) {
		a->raw_err = -fd;
		return fd;
	}
	return adopt_raw_icmp(s, af, a, fd);
}

int nrb_sess_prepare(struct nrb_sess *s, int af, enum nrb_proto proto, char *err,
                     size_t errlen)
{
	struct afstate *a;
	int rc, fd, p, opts_ok;

	if (!s || !(a = afs(s, af)) || proto < NRB_PROTO_ICMP || proto > NRB_PROTO_TCP)
		return nrb_err(err, errlen, EINVAL, "session: bad family or protocol");
	if (a->prepared[proto])
		return 0;
	if (proto == NRB_PROTO_ICMP) {
		rc = prepare_icmp(s, af, a, err, errlen);
		if (rc < 0)
			return rc;
		a->raw[proto] = a->icmp_kind == NRB_PRIV_RAW;
		if (!a->raw[proto])
			degrade(s, a, proto, a->raw_err);
		a->prepared[proto] = 1;
		return 0;
	}
	p = proto == NRB_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	rc = raw_icmp(s, af, a);
	if (rc == 0) {
		fd = s->open.open_raw(s->open.ctx, af, p, NULL, 0);
		if (fd >= 0) {
			if (af == AF_INET6)
				(void)setopt_int(s, fd, SOL_IPV6, IPV6_MTU_DISCOVER,
				                 IPV6_PMTUDISC_PROBE);
			if (proto == NRB_PROTO_UDP)
				a->udp_fd = fd;
			else
				a->tcp_fd = fd;
			a->raw[proto] = 1;
			a->prepared[proto] = 1;
			return watch(s, fd);
		}
		rc = fd;
	}
	if (proto == NRB_PROTO_UDP) {
		/* each probe opens its own socket as it goes out: make sure one can be had
		 * before anything is sent */
		fd = s->ops.open(s->ops.ctx, af, SOCK_DGRAM, IPPROTO_UDP);
		if (fd < 0)
			return nrb_err(err, errlen, -fd, "session: UDP socket: %s", strerror(-fd));
		opts_ok = dgram_opts(s, fd, af) == 0;
		s->ops.close(s->ops.ctx, fd);
		if (!opts_ok)
			return nrb_err(err, errlen, EIO,
			               "session: cannot set IP_RECVERR on a UDP socket");
	}
	degrade(s, a, proto, s->unprivileged ? 0 : -rc);
	a->prepared[proto] = 1;
	return 0;
}

int nrb_sess_is_raw(const struct nrb_sess *s, int af, enum nrb_proto proto)
{
	const struct afstate *a = s ? cafs(s, af) : NULL;

	if (!a || proto < NRB_PROTO_ICMP || proto > NRB_PROTO_TCP)
		return 0;
	return a->prepared[proto] && a->raw[proto];
}

const char *nrb_sess_degraded(const struct nrb_sess *s, int af, enum nrb_proto proto)
{
	const struct afstate *a = s ? cafs(s, af) : NULL;

	if (!a || proto < NRB_PROTO_ICMP || proto > NRB_PROTO_TCP || !a->prepared[proto])
		return NULL;
	return a->degraded[proto];
}

int nrb_sess_fd(const struct nrb_sess *s, int af, enum nrb_proto proto)
{
	const struct afstate *a = s ? cafs(s, af) : NULL;

	if (!a)
		return -1;
	switch (proto) {
	case NRB_PROTO_ICMP: return a->icmp_fd;
	case NRB_PROTO_UDP: return a->udp_fd;
	case NRB_PROTO_TCP: return a->tcp_fd;
	}
	return -1;
}

/* The IPv6 UDP checksum inside an ICMPv6 error's quote (no extension headers: ours
 * never carry any).  @return 0 and *csum, or -1. */
static int quoted_udp6_csum(const uint8_t *buf, size_t len, const struct nrb_pkt_info *in,
                            uint32_t *csum)
{
	size_t q = in->l4_off + 8;

	if (len < q + 40 + 8 || (buf[q] >> 4) != 6 || buf[q + 6] != IPPROTO_UDP)
		return -1;
	*csum = (uint32_t)buf[q + 46] << 8 | buf[q + 47];
	return 0;
}

static void deliver(struct nrb_sess *s, struct inflight *f, const struct nrb_pkt_info *in,
                    const struct nrb_sock_msg *m)
{
	struct nrb_sess_reply r;
	struct nrb_task *t = f->task;
	uint32_t cookie = f->p.cookie;

	memset(&r, 0, sizeof r);
	r.kind = in->kind;
	r.err = in->err;
	r.icmp_type = in->icmp_type;
	r.icmp_code = in->icmp_code;
	r.mtu = in->mtu;
	r.from = in->src;
	r.ttl = in->has_ip ? in->ttl : m->ttl;
	r.ip_id = in->has_ip && in->af == AF_INET ? in->ip_id : -1;
	r.tcp_flags = in->tcp_flags;
	r.payload_len = in->payload_len;
	r.sent_us = f->sent_us;
	r.rtt_us = m->rx_us > f->sent_us ? m->rx_us - f->sent_us : 0;
	(void)nrb_loop_timer_cancel(s->loop, f->timer_id);
	nrb_loop_inflight_done(s->loop);
	free_inflight(s, f);
	s->st.matched++;
	if (t->outstanding)
		t->outstanding--;
	if (t->inflight)
		t->inflight--;
	t->ops->on_reply(t, cookie, &r);
	feed(s, t); /* a slot of the task's window is free */
}

/* Find the probe a parsed packet answers. */
static struct inflight *match(struct nrb_sess *s, struct nrb_pkt_sig *sig, int have_ident,
                              uint32_t ident, int dgram_icmp)
{
	struct inflight *f;

	for (f = s->head; f; f = f->next) {
		if (!f->sent)
			continue;
		if (dgram_icmp && sig->proto == f->sig.proto)
			sig->a = f->sig.a; /* ping sockets rewrite the echo id; they see only ours */
		if (!nrb_pkt_sig_match(&f->sig, sig))
			continue;
		if (have_ident && f->idk != ID_NONE && f->ident != ident)
			continue;
		return f;
	}
	return NULL;
}

/* Handle one message received on fd. */
static void handle_msg(struct nrb_sess *s, int af, enum nrb_proto which, int raw,
                       const struct nrb_sock_msg *m)
{
	struct nrb_pkt_info in;
	struct nrb_pkt_sig sig;
	struct inflight *f;
	uint32_t ident = 0;
	int have_ident = 0, rc, dgram_icmp = 0;
	uint8_t l4 = which == NRB_PROTO_ICMP ? (af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6)
	             : which == NRB_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;

	if (m->is_error) {
		rc = nrb_pkt_parse_recverr(af, l4, &m->ee, (const struct sockaddr *)&m->offender,
		                           (const struct sockaddr *)&m->from, m->buf, m->len, &in);
		if (rc < 0) {
			s->st.malformed++;
			return;
		}
		dgram_icmp = which == NRB_PROTO_ICMP;
	} else if (af == AF_INET && raw) {
		rc = nrb_pkt_parse_ip(m->buf, m->len, &in);
		if (rc == 0 && in.kind == NRB_PKT_ICMP_ERROR && in.quote.present) {
			ident = in.quote.ip_id;
			have_ident = 1;
		}
	} else {
		rc = nrb_pkt_parse_l4(af, l4, m->buf, m->len, &in);
		if (rc == 0)
			rc = nrb_pkt_addr_from_sockaddr(&in.src, (const struct sockaddr *)&m->from,
			                                m->fromlen);
		dgram_icmp = which == NRB_PROTO_ICMP && !raw;
		if (rc == 0 && af == AF_INET6 && in.kind == NRB_PKT_ICMP_ERROR &&
		    in.quote.proto == IPPROTO_UDP &&
		    quoted_udp6_csum(m->buf, m->len, &in, &ident) == 0)
			have_ident = 1;
	}
	if (rc < 0) {
		s->st.malformed++;
		return;
	}
	if (nrb_pkt_sig_from_reply(&in, &sig) < 0) {
		s->st.unmatched++;
		return;
	}
	f = match(s, &sig, have_ident, ident, dgram_icmp);
	if (!f) {
		s->st.unmatched++;
		return;
	}
	deliver(s, f, &in, m);
}

/* Port of a sender address, host order. */
static uint16_t from_port(const struct nrb_sock_msg *m)
{
	if (m->from.ss_family == AF_INET && m->fromlen >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)&m->from)->sin_port);
	if (m->from.ss_family == AF_INET6 && m->fromlen >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)&m->from)->sin6_port);
	return 0;
}

/* One message on degraded UDP probe f's own socket.  The socket is f's alone, so what
 * arrives on it concerns f or nothing: an error from the error queue (which hands back
 * our payload, serial first) or, on the ordinary receive path, a datagram -- the kernel
 * strips the UDP header and leaves the sender's payload, nothing of ours to match on --
 * which answers f when it comes from the address and port f was sent to.
 * @return 1 if it answered f (f and its socket are gone), else 0. */
static int probe_msg(struct nrb_sess *s, struct inflight *f, const struct nrb_sock_msg *m)
{
	struct nrb_pkt_info in;
	int af = f->p.dst.af;
	uint32_t serial;

	memset(&in, 0, sizeof in);
	if (m->is_error) {
		if (m->truncated ||
		    nrb_pkt_parse_recverr(af, IPPROTO_UDP, &m->ee,
		                          (const struct sockaddr *)&m->offender,
		                          (const struct sockaddr *)&m->from, m->buf, m->len,
		                          &in) < 0) {
			s->st.malformed++;
			return 0;
		}
		serial = m->len < 4 ? 0 : (uint32_t)m->buf[0] << 24 | (uint32_t)m->buf[1] << 16 |
		                          (uint32_t)m->buf[2] << 8 | m->buf[3];
		if (m->len < 4 || serial != f->ident ||
		    !nrb_pkt_addr_equal(&f->p.dst, &in.quote.dst)) {
			s->st.unmatched++;
			return 0;
		}
		deliver(s, f, &in, m);
		return 1;
	}
	if (nrb_pkt_addr_from_sockaddr(&in.src, (const struct sockaddr *)&m->from,
	                               m->fromlen) < 0 ||
	    !nrb_pkt_addr_equal(&in.src, &f->p.dst) || from_port(m) != f->p.dport) {
		s->st.unmatched++;
		return 0;
	}
	in.af = (uint8_t)af;
	in.kind = NRB_PKT_UDP;
	in.sport = f->p.dport;
	in.payload_len = m->len; /* at most the buffer: an answer longer is still one */
	deliver(s, f, &in, m);
	return 1;
}

/* Readable callback of a degraded UDP probe's own socket (arg: the probe). */
static void on_probe_readable(struct nrb_loop *loop, int fd, uint32_t events, void *arg)
{
	struct inflight *f = arg;
	struct nrb_sess *s = f->s;
	struct nrb_sock_msg m;
	uint8_t buf[NRB_SESS_MAX_SIZE + 512];
	int budget = 16;

	(void)loop;
	(void)events;
	/* data first, then the error queue, as on_readable; bounded, since a peer could
	 * send us anything */
	for (int q = 0; q < 2; q++) {
		while (budget-- > 0) {
			memset(&m, 0, sizeof m);
			m.buf = buf;
			m.cap = sizeof buf;
			if (s->ops.recv(s->ops.ctx, fd, &m, q ? NRB_SOCK_ERRQUEUE : 0) < 0)
				break;
			if (probe_msg(s, f, &m))
				return;
		}
	}
}

static void on_readable(struct nrb_loop *loop, int fd, uint32_t events, void *arg)
{
	struct nrb_sess *s = arg;
	struct nrb_sock_msg m;
	uint8_t buf[NRB_SESS_MAX_SIZE + 512];
	enum nrb_proto which = NRB_PROTO_ICMP;
	int af = AF_INET, raw = 1, budget = 64, rc;
	struct afstate *a = NULL;

	(void)loop;
	(void)events;
	for (int k = 0; k < 2 && !a; k++) {
		struct afstate *c = k ? &s->af6 : &s->af4;

		if (fd == c->icmp_fd) {
			which = NRB_PROTO_ICMP;
			raw = c->icmp_kind == NRB_PRIV_RAW;
		} else if (fd == c->udp_fd) {
			which = NRB_PROTO_UDP;
			raw = c->raw[NRB_PROTO_UDP];
		} else if (fd == c->tcp_fd) {
			which = NRB_PROTO_TCP;
		} else {
			continue;
		}
		a = c;
		af = k ? AF_INET6 : AF_INET;
	}
	if (!a)
		return;
	/* drain data then the error queue, bounded so one busy socket cannot starve */
	for (int q = 0; q < 2; q++) {
		while (budget-- > 0) {
			memset(&m, 0, sizeof m);
			m.buf = buf;
			m.cap = sizeof buf;
			rc = s->ops.recv(s->ops.ctx, fd, &m, q ? NRB_SOCK_ERRQUEUE : 0);
			if (rc < 0)
				break;
			if (m.truncated) {
				s->st.malformed++;
				continue;
			}
			handle_msg(s, af, which, raw, &m);
		}
	}
}

/* -------------------------------------------------------------- send path */

/* Ones'-complement 16-bit add. */
static uint16_t oc_add(uint16_t a, uint16_t b)
{
	uint32_t v = (uint32_t)a + b;

	return (uint16_t)((v & 0xffff) + (v >> 16));
}

/* Make the checksum at csum_at equal `want` by choosing the 16-bit word at word_at
 * (which must be zero and 16-bit aligned relative to the checksummed data):
 * Paris-traceroute's trick to keep a checksum (part of the flow hash on some routers)
 * constant, or to make it carry an identifier. */
static void set_csum(uint8_t *csum_at, uint8_t *word_at, uint16_t want)
{
	uint16_t c = (uint16_t)(csum_at[0] << 8 | csum_at[1]);
	uint16_t w = oc_add((uint16_t)~want, c);

	word_at[0] = (uint8_t)(w >> 8);
	word_at[1] = (uint8_t)w;
	csum_at[0] = (uint8_t)(want >> 8);
	csum_at[1] = (uint8_t)want;
}

/* Payload: the serial (4 bytes), 2 bytes for set_csum, then filler. */
static size_t fill_payload(uint8_t *pl, size_t n, uint32_t serial)
{
	memset(pl, 0, n);
	if (n >= 4) {
		pl[0] = (uint8_t)(serial >> 24);
		pl[1] = (uint8_t)(serial >> 16);
		pl[2] = (uint8_t)(serial >> 8);
		pl[3] = (uint8_t)serial;
	}
	for (size_t i = 6; i < n; i++)
		pl[i] = (uint8_t)('n' + (i % 3));
	return n;
}

static size_t l4_hdr(enum nrb_proto p)
{
	return p == NRB_PROTO_TCP ? NRB_PKT_TCP_HDR + NRB_PKT_TCP_MSS_OPT :
	       p == NRB_PROTO_UDP ? NRB_PKT_UDP_HDR : NRB_PKT_ICMP_HDR;
}

static size_t ip_hdr(int af)
{
	return af == AF_INET ? NRB_PKT_IPV4_HDR : NRB_PKT_IPV6_HDR;
}

/* TTL / hop limit of what fd sends. */
static int sock_ttl(struct nrb_sess *s, int fd, int af, int ttl)
{
	return af == AF_INET ? setopt_int(s, fd, SOL_IP, IP_TTL, ttl)
	                     : setopt_int(s, fd, SOL_IPV6, IPV6_UNICAST_HOPS, ttl);
}

/* Fragmentation of what fd sends (a socket whose IP header the kernel writes).  df 1:
 * DF set (IPv4) / never fragment (IPv6), and the PMTU cache ignored on IPv4: PMTU
 * probing sizes its packets itself.  df 0: the kernel fragments, as for ping.  A raw
 * IPv6 socket runs with IPV6_PMTUDISC_PROBE (adopt_raw_icmp, nrb_sess_prepare), under
 * which the kernel refuses anything above the MTU (EMSGSIZE) whatever IPV6_DONTFRAG
 * says, so df 0 switches it to IPV6_PMTUDISC_DONT; ordinary IPv6 sockets keep the
 * system's mode, which fragments. */
static int sock_df(struct nrb_sess *s, int fd, int af, int raw, int df)
{
	int rc;

	if (af == AF_INET)
		return setopt_int(s, fd, SOL_IP, IP_MTU_DISCOVER,
		                  df ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DONT);
	rc = 0;
	if (raw)
		rc = setopt_int(s, fd, SOL_IPV6, IPV6_MTU_DISCOVER,
		                df ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DONT);
	if (rc == 0)
		rc = setopt_int(s, fd, SOL_IPV6, IPV6_DONTFRAG, df);
	return rc;
}

/* sock_ttl / sock_df on one of af's shared sockets, remembering the value (slot: 0
 * icmp_fd, 1 udp_fd, 2 tcp_fd) so that a run of probes alike costs no system call. */
static int set_ttl(struct nrb_sess *s, struct afstate *a, int fd, int slot, int af, int ttl)
{
	int rc;

	if (a->cur_ttl[slot] == ttl)
		return 0;
	rc = sock_ttl(s, fd, af, ttl);
	if (rc == 0)
		a->cur_ttl[slot] = ttl;
	return rc;
}

static int set_df(struct nrb_sess *s, struct afstate *a, int fd, int slot, int af, int raw,
                  int df)
{
	int rc;

	if (a->cur_df[slot] == df)
		return 0;
	rc = sock_df(s, fd, af, raw, df);
	if (rc == 0)
		a->cur_df[slot] = df;
	return rc;
}

/* Degraded UDP: open probe f's own ordinary UDP socket (f->fd; free_inflight closes it).
 * An answer from the target carries nothing of ours to tell which probe it answers (the
 * kernel strips the UDP header, the payload is the sender's), and probes of one trace
 * or PMTU search all go to the same port: so the socket it arrives on says which --
 * one probe, one socket, as traceroute's udp method does. */
static int probe_socket(struct nrb_sess *s, struct inflight *f, int af, int ttl, int df)
{
	int fd, rc;

	fd = s->ops.open(s->ops.ctx, af, SOCK_DGRAM, IPPROTO_UDP);
	if (fd < 0)
		return fd;
	f->fd = fd;
	rc = dgram_opts(s, fd, af);
	if (rc == 0)
		rc = sock_ttl(s, fd, af, ttl);
	if (rc == 0)
		rc = sock_df(s, fd, af, 0, df);
	if (rc == 0)
		rc = nrb_loop_fd_add(s->loop, fd, NRB_EV_READ, on_probe_readable, f);
	return rc;
}

/* IPv4 echo request without DF that the header-included socket refused as larger than
 * the interface MTU (the kernel never fragments IP_HDRINCL packets): send it through the
 * raw ICMP socket, where the kernel writes the IP header and fragments, as ping's are.
 * DF probes (PMTU discovery) never come here.  @return bytes sent or -errno. */
static int send_fragmentable(struct nrb_sess *s, struct afstate *a, const struct nrb_pkt_probe *pr,
                             uint8_t *buf, size_t cap, const struct sockaddr *to, socklen_t tolen)
{
	int n, rc;

	n = nrb_pkt_build_icmp_echo(buf, cap, AF_INET, pr->icmp_id, pr->icmp_seq, pr->data,
	                            pr->data_len, NULL);
	if (n < 0)
		return n;
	if (pr->data_len >= 6)
		set_csum(buf + 2, buf + 8 + 4, 0x4e52); /* the same constant checksum */
	rc = set_ttl(s, a, a->icmp_fd, 0, AF_INET, pr->ip.ttl);
	if (rc == 0)
		rc = set_df(s, a, a->icmp_fd, 0, AF_INET, 1, 0);
	if (rc < 0)
		return rc;
	return s->ops.send(s->ops.ctx, a->icmp_fd, buf, (size_t)n, to, tolen);
}

static int64_t on_probe_timeout(struct nrb_loop *loop, void *arg);

/* Build and send f.  @return 0 or -errno. */
static int send_one(struct nrb_sess *s, struct inflight *f)
{
	struct afstate *a = afs(s, f->p.dst.af);
	struct nrb_pkt_probe pr;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint8_t buf[NRB_SESS_MAX_SIZE];
	uint8_t *l4;
	size_t plen, total, hl = ip_hdr(f->p.dst.af);
	int af = f->p.dst.af, n, fd, rc, slot;
	int raw = a->raw[f->p.proto];

	total = f->p.size ? f->p.size : hl + l4_hdr(f->p.proto) + 8;
	plen = total - hl - l4_hdr(f->p.proto);
	if (f->p.proto == NRB_PROTO_TCP)
		plen = 0; /* a SYN carries no data; size is not used */
	memset(&pr, 0, sizeof pr);
	if (nrb_sess_source(s, &f->p.dst, &pr.ip.src, NULL, 0) < 0)
		return -ENETUNREACH;
	pr.ip.dst = f->p.dst;
	pr.ip.ttl = f->p.ttl;
	pr.ip.dont_frag = f->p.df;
	pr.ip.ip_id = (uint16_t)(f->serial & 0xffff);
	uint8_t pl[NRB_SESS_MAX_SIZE];

	fill_payload(pl, plen, f->serial);
	pr.data = pl;
	pr.data_len = plen;
	switch (f->p.proto) {
	case NRB_PROTO_ICMP:
		pr.proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		pr.icmp_id = s->icmp_id;
		pr.icmp_seq = (uint16_t)f->serial;
		break;
	case NRB_PROTO_UDP:
		pr.proto = IPPROTO_UDP;
		pr.sport = f->p.sport ? f->p.sport : s->sport;
		pr.dport = f->p.dport;
		break;
	case NRB_PROTO_TCP:
		pr.proto = IPPROTO_TCP;
		pr.tcp.sport = f->p.sport ? f->p.sport : s->sport;
		pr.tcp.dport = f->p.dport;
		pr.tcp.seq = s->tcp_seq_base + f->serial;
		pr.tcp.flags = NRB_TCP_SYN;
		pr.tcp.window = 64240;
		pr.tcp.mss = 1460;
		break;
	}
	if (nrb_pkt_sig_from_probe(&pr, &f->sig) < 0)
		return -EINVAL;
	tolen = to_sockaddr(&f->p.dst, 0, &to);

	if (af == AF_INET && raw) {
		n = nrb_pkt_build_probe(buf, sizeof buf, &pr);
		if (n < 0)
			return n;
		l4 = buf + hl;
		if (f->p.proto == NRB_PROTO_ICMP && plen >= 6)
			set_csum(l4 + 2, l4 + 8 + 4, 0x4e52); /* constant checksum (Paris) */
		f->idk = f->p.proto == NRB_PROTO_UDP ? ID_IPID : ID_NONE;
		f->ident = pr.ip.ip_id;
		fd = a->send_fd;
		rc = s->ops.send(s->ops.ctx, fd, buf, (size_t)n, (struct sockaddr *)&to, tolen);
		if (rc == -EMSGSIZE && f->p.proto == NRB_PROTO_ICMP && !f->p.df)
			rc = send_fragmentable(s, a, &pr, buf, sizeof buf, (struct sockaddr *)&to,
			                       tolen);
		return rc < 0 ? rc : 0;
	}
	/* IPv6 raw, or degraded sockets: transport only, TTL by socket option */
	switch (f->p.proto) {
	case NRB_PROTO_ICMP:
		n = nrb_pkt_build_icmp_echo(buf, sizeof buf, af, pr.icmp_id, pr.icmp_seq, pl, plen,
		                            af == AF_INET6 ? &pr.ip : NULL);
		if (n > 0 && raw && plen >= 6)
			set_csum(buf + 2, buf + 8 + 4, 0x4e52);
		fd = a->icmp_fd;
		slot = 0;
		break;
	case NRB_PROTO_UDP:
		if (raw) {
			n = nrb_pkt_build_udp(buf, sizeof buf, &pr.ip, pr.sport, pr.dport, pl, plen);
			if (n > 0 && plen >= 6) {
				f->idk = ID_UDPCSUM;
				f->ident = 1 + f->serial % 0xfffd;
				set_csum(buf + 6, buf + 8 + 4, (uint16_t)f->ident);
			}
		} else {
			/* the kernel writes the UDP header; we send the payload */
			if (plen < 4)
				return -EINVAL;
			memcpy(buf, pl, plen);
			n = (int)plen;
			f->idk = ID_SERIAL;
			f->ident = f->serial;
			to_sockaddr(&f->p.dst, f->p.dport, &to);
			rc = probe_socket(s, f, af, f->p.ttl, f->p.df);
			if (rc < 0)
				return rc;
		}
		fd = raw ? a->udp_fd : f->fd;
		slot = 1;
		break;
	default:
		if (!raw)
			return -EPERM;
		n = nrb_pkt_build_tcp(buf, sizeof buf, &pr.ip, &pr.tcp);
		fd = a->tcp_fd;
		slot = 2;
		break;
	}
	if (n < 0)
		return n;
	if (fd < 0)
		return -EBADF;
	if (fd != f->fd) { /* a probe's own socket is set up already */
		rc = set_ttl(s, a, fd, slot, af, f->p.ttl);
		if (rc == 0 && (af == AF_INET6 || !raw))
			rc = set_df(s, a, fd, slot, af, raw, f->p.df);
		if (rc < 0)
			return rc;
	}
	rc = s->ops.send(s->ops.ctx, fd, buf, (size_t)n, (struct sockaddr *)&to, tolen);
	if (!raw && fd != f->fd &&
	    (rc == -EHOSTUNREACH || rc == -ENETUNREACH || rc == -ECONNREFUSED ||
	     rc == -EPROTO || rc == -EMSGSIZE || rc == -EACCES)) {
		/* with IP_RECVERR an ICMP error about an earlier probe also sets the socket's
		 * pending error, which the next send reports (and clears) instead of sending:
		 * the error itself waits on the error queue, so send again (a ping socket;
		 * a probe's own socket has sent nothing before) */
		rc = s->ops.send(s->ops.ctx, fd, buf, (size_t)n, (struct sockaddr *)&to, tolen);
	}
	return rc < 0 ? rc : 0;
}

static int do_send(struct nrb_loop *loop, void *arg);

/* Hand task t's next waiting probe to the loop's send queue, keeping at most one of
 * each task there: the loop sends its queue in FIFO order, so this makes concurrent
 * tasks (ICMP, UDP and TCP traces of one target) take turns under the global rate
 * instead of one task's whole batch going first.  Nothing is handed over while the
 * task's own window is full (t->inflight counts its probes sent and not called back;
 * the one queued here makes at most t->window once sent), nor once the task is done
 * (it is reaped before its next turn).  Called again whenever a slot frees: reply,
 * timeout, cancel, send. */
static void feed(struct nrb_sess *s, struct nrb_task *t)
{
	struct inflight *f, *first = NULL;

	if (t->done || (t->window && t->inflight >= t->window))
		return;
	for (f = s->head; f; f = f->next) {
		if (f->task != t || f->sent)
			continue;
		if (f->in_loop)
			return;
		if (!first)
			first = f;
	}
	if (first && nrb_loop_send_queue(s->loop, do_send, first, first->p.pace,
	                                 &first->send_id) == 0)
		first->in_loop = 1;
}

/* Loop send callback. */
static int do_send(struct nrb_loop *loop, void *arg)
{
	struct inflight *f = arg;
	struct nrb_sess *s = f->s;
	struct nrb_task *t = f->task;
	uint32_t cookie = f->p.cookie;
	int rc;

	f->send_id = 0;
	f->in_loop = 0;
	f->sent_us = nrb_loop_now(loop);
	rc = send_one(s, f);
	if (rc < 0) {
		s->st.send_errors++;
		free_inflight(s, f);
		feed(s, t);
		if (t->outstanding)
			t->outstanding--;
		t->ops->on_timeout(t, cookie, nrb_loop_now(loop), rc);
		return rc;
	}
	s->st.sent++;
	f->sent = 1;
	t->inflight++;
	feed(s, t);
	if (t->ops->probe_timeout) {
		uint64_t to = t->ops->probe_timeout(t, cookie);

		if (to && to < f->p.timeout_us)
			f->p.timeout_us = to;
	}
	if (nrb_loop_timer_add(loop, f->p.timeout_us, on_probe_timeout, f, &f->timer_id) < 0) {
		/* cannot time it out: count it as lost now rather than hang */
		f->timer_id = 0;
	}
	return 0;
}

static int64_t on_probe_timeout(struct nrb_loop *loop, void *arg)
{
	struct inflight *f = arg;
	struct nrb_sess *s = f->s;
	struct nrb_task *t = f->task;
	uint32_t cookie = f->p.cookie;
	uint64_t sent = f->sent_us;

	nrb_loop_inflight_done(loop);
	free_inflight(s, f);
	s->st.timeouts++;
	if (t->outstanding)
		t->outstanding--;
	if (t->inflight)
		t->inflight--;
	t->ops->on_timeout(t, cookie, sent, 0);
	feed(s, t); /* a slot of the task's window is free */
	return NRB_NOMORE;
}

int nrb_sess_send(struct nrb_sess *s, struct nrb_task *t, const struct nrb_sess_probe *p)
{
	struct inflight *f;
	struct afstate *a;
	size_t min;

	if (!s || !t || !p || !(a = afs(s, p->dst.af)) || p->proto < NRB_PROTO_ICMP ||
	    p->proto > NRB_PROTO_TCP || !a->prepared[p->proto] || p->ttl == 0 ||
	    p->timeout_us == 0 || p->size > NRB_SESS_MAX_SIZE)
		return -EINVAL;
	if (p->proto != NRB_PROTO_ICMP && p->dport == 0)
		return -EINVAL;
	min = ip_hdr(p->dst.af) + l4_hdr(p->proto) + 8;
	if (p->size && p->size < min)
		return -EINVAL;
	if (p->proto == NRB_PROTO_TCP && !a->raw[NRB_PROTO_TCP])
		return -EPERM;
	if (t->probes >= t->max_probes || t->probes >= NRB_TASK_MAX_PROBES) {
		t->capped = 1;
		return -EDQUOT;
	}
	f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->s = s;
	f->task = t;
	f->p = *p;
	f->fd = -1;
	f->serial = ++s->serial;
	f->prev = s->tail;
	if (s->tail)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	t->probes++;
	t->outstanding++;
	feed(s, t);
	return 0;
}

struct nrb_task *nrb_sess_task(struct nrb_sess *s, unsigned i)
{
	return s && i < s->ntasks ? s->tasks[i] : NULL;
}

int nrb_sess_outstanding(const struct nrb_sess *s, const struct nrb_task *t, int max_ttl,
                         uint32_t *queued, uint64_t *newest_sent_us)
{
	const struct inflight *f;
	uint32_t q = 0;
	uint64_t newest = 0;
	int n = 0;

	if (!s || !t)
		return -EINVAL;
	for (f = s->head; f; f = f->next) {
		if (f->task != t || f->p.ttl > max_ttl)
			continue;
		if (!f->sent) {
			q++;
			continue;
		}
		n++;
		if (f->sent_us > newest)
			newest = f->sent_us;
	}
	if (queued)
		*queued = q;
	if (newest_sent_us)
		*newest_sent_us = newest;
	return n;
}

int nrb_sess_shorten(struct nrb_sess *s, struct nrb_task *t, uint64_t timeout_us)
{
	return nrb_sess_shorten_ttl(s, t, 1, 255, timeout_us);
}

int nrb_sess_shorten_ttl(struct nrb_sess *s, struct nrb_task *t, int min_ttl, int max_ttl,
                         uint64_t timeout_us)
{
	struct inflight *f;
	uint64_t now, due, id;
	int n = 0;

	if (!s || !t || !timeout_us)
		return -EINVAL;
	now = nrb_loop_now(s->loop);
	for (f = s->head; f; f = f->next) {
		if (f->task != t || !f->sent || !f->timer_id || f->p.timeout_us <= timeout_us ||
		    f->p.ttl < min_ttl || f->p.ttl > max_ttl)
			continue;
		/* a timer is armed before the old one goes, so running out of memory leaves
		 * the probe with its old timeout rather than none */
		due = f->sent_us + timeout_us;
		if (nrb_loop_timer_add(s->loop, due > now ? due - now : 0, on_probe_timeout, f,
		                       &id) < 0)
			continue;
		(void)nrb_loop_timer_cancel(s->loop, f->timer_id);
		f->timer_id = id;
		f->p.timeout_us = timeout_us;
		n++;
	}
	return n;
}

int nrb_sess_cancel_above(struct nrb_sess *s, struct nrb_task *t, int above)
{
	struct inflight *f, *next;
	int n = 0;

	if (!s || !t)
		return 0;
	for (f = s->head; f; f = next) {
		next = f->next;
		if (f->task == t && f->p.ttl > above) {
			cancel_inflight(s, f);
			n++;
		}
	}
	feed(s, t);
	return n;
}

/* ------------------------------------------------------------------ running */

int nrb_sess_add(struct nrb_sess *s, struct nrb_task *t)
{
	if (!s || !t || !t->ops || !t->ops->start || !t->ops->on_reply || !t->ops->on_timeout)
		return -EINVAL;
	if (s->ntasks >= NRB_SESS_MAX_TASKS)
		return -ENOSPC;
	t->sess = s;
	if (!t->max_probes || t->max_probes > NRB_TASK_MAX_PROBES)
		t->max_probes = NRB_TASK_MAX_PROBES;
	s->tasks[s->ntasks++] = t;
	return 0;
}

/* Drop what a finished task still has queued or in flight. */
static void reap(struct nrb_sess *s, struct nrb_task *t)
{
	struct inflight *f, *next;

	for (f = s->head; f; f = next) {
		next = f->next;
		if (f->task == t)
			cancel_inflight(s, f);
	}
}

void nrb_sess_on_progress(struct nrb_sess *s, uint64_t every_us, void (*fn)(void *ctx), void *ctx)
{
	if (!s)
		return;
	s->progress = fn;
	s->progress_ctx = ctx;
	s->progress_every = every_us < 50000 ? 50000 : every_us;
}

int nrb_sess_run(struct nrb_sess *s, uint64_t max_time_us)
{
	uint64_t start, now, wait, shown;
	int rc = 0, all;
	unsigned i;

	if (!s || !max_time_us)
		return -EINVAL;
	start = nrb_loop_now(s->loop);
	shown = start;
	for (i = 0; i < s->ntasks; i++) {
		struct nrb_task *t = s->tasks[i];

		t->started_us = start;
		if (t->ops->start(t) < 0)
			t->done = 1;
	}
	for (;;) {
		now = nrb_loop_now(s->loop);
		all = 1;
		for (i = 0; i < s->ntasks; i++) {
			struct nrb_task *t = s->tasks[i];

			if (!t->done && t->max_time_us && now - t->started_us >= t->max_time_us) {
				t->capped = 1;
				t->done = 1;
			}
			if (!t->done && t->outstanding == 0 && !t->waiting)
				t->done = 1; /* nothing left that could call it back */
			if (t->done)
				reap(s, t);
			else
				all = 0;
		}
		if (all)
			break;
		if (nrb_interrupted()) {
			rc = -EINTR;
			break;
		}
		if (now - start >= max_time_us) {
			rc = -ETIMEDOUT;
			break;
		}
		wait = max_time_us - (now - start);
		if (wait > 100000)
			wait = 100000;
		rc = nrb_loop_run_once(s->loop, wait);
		if (rc < 0 && rc != -EINTR)
			break;
		rc = 0;
		if (s->progress && nrb_loop_now(s->loop) - shown >= s->progress_every) {
			shown = nrb_loop_now(s->loop);
			s->progress(s->progress_ctx);
		}
	}
	for (i = 0; i < s->ntasks; i++) {
		reap(s, s->tasks[i]);
		if (s->tasks[i]->ops->finish)
			s->tasks[i]->ops->finish(s->tasks[i]);
	}
	if (s->progress)
		s->progress(s->progress_ctx);
	return rc;
}
