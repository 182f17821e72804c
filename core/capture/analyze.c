/*
 * capture/analyze: the per-packet state machine -- flow table, TCP connection tracking,
 * UDP pairing, ICMP errors, the genuine-packet reference of each address -- and the
 * provenance decision made when the analysis finishes (see capture.h).
 */
#include "capture/capture_int.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include "priv/pcap_dl.h"

#define MAX_HOSTS 4096      /* addresses whose genuine packets we keep a reference for */
#define ECHO_RING 64        /* outstanding echo requests remembered for RTTs */
#define CUT_COPY 512        /* bytes of a snaplen-cut packet copied for header parsing */
#define NO_INDEX UINT32_MAX /* empty hash slot */
#define DUP_RING 64         /* recent packets compared for -i any duplicates */
#define DUP_WINDOW_US 10000 /* a copy on another interface arrives within this */

/* Flow key in canonical order: (a, pa) is the smaller endpoint. */
struct fkey {
	uint8_t af;      /* family */
	uint8_t a[16];   /* smaller address */
	uint8_t b[16];   /* larger address */
	uint16_t pa;     /* port of a */
	uint16_t pb;     /* port of b */
};

/* A TCP connection being tracked: the public part plus sequence state per direction
 * (index 0: originator -> responder, 1: responder -> originator). */
struct tcp_track {
	struct nrb_cap_conn c;   /* what the result will hold */
	struct fkey key;         /* hash key */
	uint32_t isn[2];         /* initial sequence numbers */
	uint8_t isn_set[2];      /* isn known */
	uint32_t max_end[2];     /* highest sequence number sent + 1 */
	uint8_t end_set[2];      /* max_end known */
	uint32_t max_ack[2];     /* highest ACK sent */
	uint8_t ack_set[2];      /* max_ack known */
	uint32_t first_large[2]; /* sequence of the first full-size segment */
	uint8_t large_set[2];    /* first_large known */
	uint32_t fin_seq[2];     /* sequence number of the FIN */
	uint16_t hist_mask[2];   /* history letters already recorded per direction */
	uint64_t last_syn_us;    /* last SYN from the originator */
	uint64_t synack_us;      /* first SYN-ACK */
	uint64_t dir_last_us[2]; /* last packet in each direction */
	uint8_t rst_ttl;         /* first RST: TTL */
	uint16_t rst_id;         /* first RST: IP ID */
	int64_t rst_delay;       /* first RST: time since the last packet the other way */
	uint16_t rst_prev_id;    /* the sender's last genuine IP ID before the RST */
	uint8_t rst_prev_valid;  /* rst_prev_id known */
	uint8_t rst_af;          /* first RST's family */
};

/* A UDP flow being tracked. */
struct udp_track {
	struct nrb_cap_udp u;    /* what the result will hold */
	struct fkey key;         /* hash key */
};

/* Open-addressing hash table of flow indexes.  It starts small and doubles while it is
 * more than half full, so a small capture does not pay for the cap of a large one. */
struct ftable {
	uint32_t *slots;         /* index into the track array, NO_INDEX when empty */
	size_t mask;             /* slots - 1 (power of two) */
	size_t used;             /* occupied slots */
};

struct echo_req {
	struct nrb_pkt_addr dst; /* where the request went */
	uint16_t id;             /* echo id */
	uint16_t seq;            /* echo sequence */
	uint64_t ts_us;          /* when (0: slot free) */
};

/* A recent packet of a multi-interface capture, to recognise its copies. */
struct dup_entry {
	uint64_t hash;           /* hash of the fields that survive forwarding */
	uint64_t ts_us;          /* when (0: free) */
	uint32_t ifindex;        /* interface (SLL2) */
	uint8_t pkttype;         /* direction (SLL/SLL2) */
	uint8_t ttl;             /* TTL, one less on the way out of a router */
};

struct nrb_cap_analyzer {
	struct nrb_cap_opts opts;   /* options, max_flows resolved */
	int linktype;               /* DLT_* */
	struct nrb_cap_stats st;    /* counters */
	int truncated;              /* reading stopped early */
	char read_error[256];       /* why */
	char stopped_by[32];        /* what ended a session's reading */
	struct tcp_track *tcp;      /* connections in order */
	size_t n_tcp, cap_tcp;      /* used / allocated */
	struct udp_track *udp;      /* UDP flows in order */
	size_t n_udp, cap_udp;      /* used / allocated */
	struct ftable tcp_tab;      /* key -> tcp index */
	struct ftable udp_tab;      /* key -> udp index */
	struct nrb_cap_icmp *icmp;  /* ICMP errors kept */
	size_t n_icmp, cap_icmp;    /* used / allocated */
	struct nrb_cap_host *hosts; /* genuine-packet references, open addressing */
	size_t n_hosts;             /* used */
	struct echo_req echo[ECHO_RING]; /* recent echo requests */
	size_t echo_next;           /* next ring slot */
	struct dup_entry dup[DUP_RING]; /* recent packets (multi-interface captures) */
	size_t dup_next;            /* next ring slot */
};

/* ------------------------------------------------------------------ helpers */

static size_t addr_len(uint8_t af)
{
	return af == AF_INET6 ? 16 : 4;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t key_hash(const struct fkey *k)
{
	uint64_t h = 14695981039346656037ull;

	h = hash_bytes(&k->af, 1, h);
	h = hash_bytes(k->a, 16, h);
	h = hash_bytes(k->b, 16, h);
	h = hash_bytes(&k->pa, 2, h);
	return hash_bytes(&k->pb, 2, h);
}

/* Build the canonical key of (src, sport) -> (dst, dport); *swapped says whether src
 * became b. */
static void make_key(const struct nrb_pkt_addr *src, uint16_t sport,
                     const struct nrb_pkt_addr *dst, uint16_t dport, struct fkey *k,
                     int *swapped)
{
	int c;

	memset(k, 0, sizeof *k);
	k->af = src->af;
	c = memcmp(src->bytes, dst->bytes, 16);
	if (c == 0)
		c = sport < dport ? -1 : sport > dport;
	*swapped = c > 0;
	if (!*swapped) {
		memcpy(k->a, src->bytes, 16);
		memcpy(k->b, dst->bytes, 16);
		k->pa = sport;
		k->pb = dport;
	} else {
		memcpy(k->a, dst->bytes, 16);
		memcpy(k->b, src->bytes, 16);
		k->pa = dport;
		k->pb = sport;
	}
}

static int ftable_init(struct ftable *t, size_t n)
{
	t->slots = malloc(n * sizeof *t->slots);
	if (!t->slots)
		return -ENOMEM;
	memset(t->slots, 0xff, n * sizeof *t->slots);
	t->mask = n - 1;
	t->used = 0;
	return 0;
}

/* @return the slot holding key (or the empty slot where it belongs). */
static size_t ftable_slot(const struct ftable *t, const struct fkey *k, const void *tracks,
                          size_t stride, size_t key_off)
{
	size_t i = (size_t)key_hash(k) & t->mask;

	for (;;) {
		uint32_t idx = t->slots[i];

		if (idx == NO_INDEX)
			return i;
		if (!memcmp((const uint8_t *)tracks + (size_t)idx * stride + key_off, k, sizeof *k))
			return i;
		i = (i + 1) & t->mask;
	}
}

/* Make room for one more entry: double the table when it would become more than half
 * full, re-inserting the n tracks' keys.  @return 0 or -ENOMEM (the table is unchanged). */
static int ftable_reserve(struct ftable *t, const void *tracks, size_t n, size_t stride,
                          size_t key_off)
{
	struct ftable nt;
	size_t i;

	if ((t->used + 1) * 2 <= t->mask + 1)
		return 0;
	if (ftable_init(&nt, (t->mask + 1) * 2))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct fkey *k = (const void *)((const uint8_t *)tracks + i * stride + key_off);
		size_t slot = ftable_slot(&nt, k, tracks, stride, key_off);

		/* a reused 4-tuple leaves older tracks with the same key: the newest wins */
		if (nt.slots[slot] == NO_INDEX)
			nt.used++;
		nt.slots[slot] = (uint32_t)i;
	}
	free(t->slots);
	*t = nt;
	return 0;
}

static int ttl_initial(uint8_t ttl)
{
	if (ttl <= 32)
		return 32;
	if (ttl <= 64)
		return 64;
	if (ttl <= 128)
		return 128;
	return 255;
}

int nrb_cap_ttl_hop(uint8_t ttl)
{
	return ttl_initial(ttl) - ttl + 1;
}

/* ------------------------------------------------------------ host references */

static struct nrb_cap_host *host_get(struct nrb_cap_analyzer *a, const struct nrb_pkt_addr *ad,
                                     int create)
{
	size_t i = (size_t)hash_bytes(ad->bytes, addr_len(ad->af), 14695981039346656037ull) &
		   (MAX_HOSTS * 2 - 1);

	for (;;) {
		struct nrb_cap_host *h = &a->hosts[i];

		if (!h->addr.af) {
			/* full: only the target still gets a reference (the table has twice
			 * MAX_HOSTS slots, so one more always fits) */
			if (!create || (a->n_hosts >= MAX_HOSTS &&
					(a->n_hosts > MAX_HOSTS || !nrb_pkt_addr_equal(ad, &a->opts.target))))
				return NULL;
			h->addr = *ad;
			h->rtt_us = -1;
			a->n_hosts++;
			return h;
		}
		if (nrb_pkt_addr_equal(&h->addr, ad))
			return h;
		i = (i + 1) & (MAX_HOSTS * 2 - 1);
	}
}

/* Record a genuine packet (anything but a RST or an ICMP error claiming to be from the
 * address it quotes) from pi->src. */
static void host_note(struct nrb_cap_analyzer *a, const struct nrb_pkt_info *pi)
{
	struct nrb_cap_host *h = host_get(a, &pi->src, 1);
	size_t i;

	if (!h)
		return;
	for (i = 0; i < 4; i++) {
		if (h->ttl_count[i] && h->ttl[i] == pi->ttl) {
			h->ttl_count[i]++;
			break;
		}
		if (!h->ttl_count[i]) {
			h->ttl[i] = pi->ttl;
			h->ttl_count[i] = 1;
			break;
		}
	}
	if (pi->af == AF_INET) {
		if (h->ids) {
			uint16_t d = (uint16_t)(pi->ip_id - h->last_id);

			if (d >= 1 && d <= 1024)
				h->seq_ids++;
		}
		h->ids++;
		if (pi->ip_id == 0)
			h->zero_ids++;
		h->last_id = pi->ip_id;
	}
}

static void host_rtt(struct nrb_cap_analyzer *a, const struct nrb_pkt_addr *ad, int64_t rtt)
{
	struct nrb_cap_host *h = host_get(a, ad, 1);

	if (h && rtt >= 0 && (h->rtt_us < 0 || rtt < h->rtt_us))
		h->rtt_us = rtt;
}

/* @return the most common TTL of h, -1 if none. */
static int host_ttl(const struct nrb_cap_host *h)
{
	int best = -1;
	uint32_t n = 0;
	size_t i;

	for (i = 0; h && i < 4; i++) {
		if (h->ttl_count[i] > n) {
			n = h->ttl_count[i];
			best = h->ttl[i];
		}
	}
	return best;
}

static int host_has_ttl(const struct nrb_cap_host *h, uint8_t ttl)
{
	size_t i;

	for (i = 0; h && i < 4; i++)
		if (h->ttl_count[i] && h->ttl[i] == ttl)
			return 1;
	return 0;
}

/* libpcap's name of a link type (EN10MB, LINUX_SLL, ...), NULL if unknown; the analyzer
 * also runs on packets that did not come through libpcap, so it may need loading here. */
static const char *linktype_name(int linktype)
{
	return nrb_pcap_load(NULL, 0) == 0 ? pcap_datalink_val_to_name(linktype) : NULL;
}

/* ------------------------------------------------------------------ analyzer */

int nrb_cap_analyzer_new(const struct nrb_cap_opts *opts, int linktype,
                         struct nrb_cap_analyzer **out, char *err, size_t errlen)
{
	struct nrb_cap_analyzer *a;
	const char *name;

	if (!out)
		return nrb_err(err, errlen, EINVAL, "no output");
	*out = NULL;
	if (!nrb_cap_link_supported(linktype)) {
		name = linktype_name(linktype);
		return nrb_err(err, errlen, EPROTONOSUPPORT,
			       "link type %d (%s) is not supported: Ethernet, Linux cooked (SLL/SLL2), raw IP and loopback captures are",
			       linktype, name ? name : "unknown");
	}
	a = calloc(1, sizeof *a);
	if (!a)
		return nrb_err(err, errlen, ENOMEM, "out of memory");
	if (opts)
		a->opts = *opts;
	if (!a->opts.max_flows)
		a->opts.max_flows = NRB_CAP_DEFAULT_MAX_FLOWS;
	if (a->opts.max_flows > (1u << 24))
		a->opts.max_flows = 1u << 24;
	a->linktype = linktype;
	a->st.first_vlan = -1;
	a->hosts = calloc(MAX_HOSTS * 2, sizeof *a->hosts);
	if (!a->hosts || ftable_init(&a->tcp_tab, 256) || ftable_init(&a->udp_tab, 256)) {
		nrb_cap_analyzer_free(a);
		return nrb_err(err, errlen, ENOMEM, "out of memory");
	}
	*out = a;
	return 0;
}

void nrb_cap_analyzer_free(struct nrb_cap_analyzer *a)
{
	if (!a)
		return;
	free(a->tcp);
	free(a->udp);
	free(a->tcp_tab.slots);
	free(a->udp_tab.slots);
	free(a->icmp);
	free(a->hosts);
	free(a);
}

void nrb_cap_analyzer_set_truncated(struct nrb_cap_analyzer *a, const char *why)
{
	if (!a)
		return;
	a->truncated = 1;
	snprintf(a->read_error, sizeof a->read_error, "%s", why ? why : "read error");
}

void nrb_cap_analyzer_set_stopped(struct nrb_cap_analyzer *a, const char *why)
{
	if (a)
		snprintf(a->stopped_by, sizeof a->stopped_by, "%s", why ? why : "");
}

/* Grow an array of elem-sized items to hold one more, bounded by max. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -ENOSPC;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int flows_full(const struct nrb_cap_analyzer *a)
{
	return a->n_tcp + a->n_udp >= a->opts.max_flows;
}

static void side_init(struct nrb_cap_side *s, const struct nrb_pkt_addr *ad, uint16_t port)
{
	memset(s, 0, sizeof *s);
	s->addr = *ad;
	s->port = port;
	s->wscale = -1;
}

/* Create a connection whose originator is (osrc, oport). @return its index or -1. */
static long tcp_new(struct nrb_cap_analyzer *a, const struct fkey *k,
                    const struct nrb_pkt_addr *osrc, uint16_t oport,
                    const struct nrb_pkt_addr *rdst, uint16_t rport, uint64_t ts)
{
	struct tcp_track *t;
	size_t slot;

	if (flows_full(a) || grow((void **)&a->tcp, &a->cap_tcp, a->n_tcp, sizeof *a->tcp,
				  a->opts.max_flows) ||
	    ftable_reserve(&a->tcp_tab, a->tcp, a->n_tcp, sizeof *a->tcp,
			   offsetof(struct tcp_track, key))) {
		a->st.flows_dropped++;
		return -1;
	}
	slot = ftable_slot(&a->tcp_tab, k, a->tcp, sizeof *a->tcp, offsetof(struct tcp_track, key));
	if (a->tcp_tab.slots[slot] == NO_INDEX)
		a->tcp_tab.used++;
	t = &a->tcp[a->n_tcp];
	memset(t, 0, sizeof *t);
	t->key = *k;
	t->c.af = osrc->af;
	side_init(&t->c.orig, osrc, oport);
	side_init(&t->c.resp, rdst, rport);
	t->c.first_us = ts;
	t->c.handshake_rtt_us = -1;
	t->c.ack_rtt_us = -1;
	t->c.icmp_first = -1;
	t->rst_delay = -1;
	a->tcp_tab.slots[slot] = (uint32_t)a->n_tcp;
	return (long)a->n_tcp++;
}

static void hist_add(struct tcp_track *t, int dir, char letter)
{
	static const char letters[] = "SHADFRTW";
	const char *p = strchr(letters, letter);
	uint16_t bit;
	size_t n;

	if (!p)
		return;
	bit = (uint16_t)(1u << (p - letters));
	if (t->hist_mask[dir] & bit)
		return;
	t->hist_mask[dir] |= bit;
	n = strlen(t->c.history);
	if (n + 1 < sizeof t->c.history) {
		t->c.history[n] = dir ? (char)(letter - 'A' + 'a') : letter;
		t->c.history[n + 1] = 0;
	}
}

static int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Size counted as a full-size segment: 3/4 of the smaller MSS announced (1460 if
 * none), so a PMTU blackhole's victims (segments near the MSS) count and ACKs do not. */
static uint16_t large_threshold(const struct nrb_cap_conn *c)
{
	uint32_t mss = 1460;

	if (c->orig.mss && c->orig.mss < mss)
		mss = c->orig.mss;
	if (c->resp.mss && c->resp.mss < mss)
		mss = c->resp.mss;
	mss = mss * 3 / 4;
	return (uint16_t)(mss < 256 ? 256 : mss);
}

static void tcp_packet(struct nrb_cap_analyzer *a, uint64_t ts, const struct nrb_pkt_info *pi,
                       const uint8_t *l3, size_t payload_len)
{
	struct fkey k;
	struct tcp_track *t;
	struct nrb_cap_side *s;
	struct nrb_cap_tcpopt opt;
	uint8_t f = pi->tcp_flags;
	int swapped, dir, is_syn = (f & NRB_TCP_SYN) && !(f & NRB_TCP_ACK);
	int is_synack = (f & NRB_TCP_SYN) && (f & NRB_TCP_ACK);
	size_t slot;
	long idx;
	uint32_t end;

	make_key(&pi->src, pi->sport, &pi->dst, pi->dport, &k, &swapped);
	slot = ftable_slot(&a->tcp_tab, &k, a->tcp, sizeof *a->tcp, offsetof(struct tcp_track, key));
	idx = a->tcp_tab.slots[slot] == NO_INDEX ? -1 : (long)a->tcp_tab.slots[slot];
	if (idx >= 0 && (is_syn || is_synack)) {
		/* a new attempt on the same ports: the old one ended, or a new ISN */
		t = &a->tcp[idx];
		dir = nrb_pkt_addr_equal(&pi->src, &t->c.orig.addr) && pi->sport == t->c.orig.port ? 0 : 1;
		if (is_syn && ((t->c.orig.rst || t->c.resp.rst || (t->c.orig.fin && t->c.resp.fin)) ||
			       (t->isn_set[dir] && t->isn[dir] != pi->tcp_seq)))
			idx = -1;
	}
	if (idx < 0) {
		if (is_synack)
			idx = tcp_new(a, &k, &pi->dst, pi->dport, &pi->src, pi->sport, ts);
		else
			idx = tcp_new(a, &k, &pi->src, pi->sport, &pi->dst, pi->dport, ts);
		if (idx < 0)
			return;
		if (is_synack)
			strcpy(a->tcp[idx].c.history, "^");
	}
	t = &a->tcp[idx];
	dir = nrb_pkt_addr_equal(&pi->src, &t->c.orig.addr) && pi->sport == t->c.orig.port ? 0 : 1;
	s = dir ? &t->c.resp : &t->c.orig;
	t->c.last_us = ts;

	if (!s->packets) {
		s->ttl_first = s->ttl_min = s->ttl_max = pi->ttl;
		s->ip_id_first = pi->ip_id;
	}
	if (pi->ttl < s->ttl_min)
		s->ttl_min = pi->ttl;
	if (pi->ttl > s->ttl_max)
		s->ttl_max = pi->ttl;
	s->ip_id_last = pi->ip_id;
	s->packets++;
	s->payload_bytes += payload_len;
	if (payload_len > s->max_payload)
		s->max_payload = (uint16_t)(payload_len > 65535 ? 65535 : payload_len);

	if (f & NRB_TCP_RST) {
		hist_add(t, dir, 'R');
		if (!t->c.reset_by) {
			struct nrb_cap_host *h = host_get(a, &pi->src, 0);

			t->c.reset_by = dir ? NRB_CAP_RESP : NRB_CAP_ORIG;
			t->c.reset_us = ts;
			t->rst_ttl = pi->ttl;
			t->rst_id = pi->ip_id;
			t->rst_af = pi->af;
			t->rst_delay = t->dir_last_us[!dir] ? (int64_t)(ts - t->dir_last_us[!dir]) : -1;
			if (h && h->ids) {
				t->rst_prev_id = h->last_id;
				t->rst_prev_valid = 1;
			}
		}
		s->rst = 1;
	} else {
		host_note(a, pi);
	}
	t->dir_last_us[dir] = ts;

	if (f & NRB_TCP_SYN) {
		nrb_cap_tcp_options(l3 + pi->l4_off, pi->payload_off - pi->l4_off, &opt);
		if (s->syns && t->isn_set[dir] && t->isn[dir] == pi->tcp_seq) {
			s->retrans++;
		} else if (!s->syns) {
			s->mss = opt.mss;
			s->wscale = opt.wscale;
			s->sack_ok = opt.sack_ok;
			s->timestamps = opt.timestamps;
			s->syn_window = pi->tcp_window;
		}
		s->syns++;
		t->isn[dir] = pi->tcp_seq;
		t->isn_set[dir] = 1;
		if (!t->end_set[dir] || seq_lt(t->max_end[dir], pi->tcp_seq + 1)) {
			t->max_end[dir] = pi->tcp_seq + 1;
			t->end_set[dir] = 1;
		}
		if (is_syn) {
			hist_add(t, dir, 'S');
			if (dir == 0 && !t->synack_us)
				t->last_syn_us = ts;
		} else {
			hist_add(t, dir, 'H');
			if (dir == 1 && !t->synack_us) {
				t->synack_us = ts;
				if (t->last_syn_us) {
					t->c.handshake_rtt_us = (int64_t)(ts - t->last_syn_us);
					host_rtt(a, &pi->src, t->c.handshake_rtt_us);
				}
			}
		}
	} else if ((f & NRB_TCP_ACK) && dir == 0 && t->synack_us && t->c.ack_rtt_us < 0) {
		t->c.ack_rtt_us = (int64_t)(ts - t->synack_us);
	}

	if (f & NRB_TCP_ACK) {
		if (!t->ack_set[dir] || seq_lt(t->max_ack[dir], pi->tcp_ack))
			t->max_ack[dir] = pi->tcp_ack;
		t->ack_set[dir] = 1;
		if (!(f & (NRB_TCP_SYN | NRB_TCP_RST | NRB_TCP_FIN)) && payload_len == 0)
			hist_add(t, dir, 'A');
		if (pi->tcp_window == 0 && !(f & NRB_TCP_RST))
			hist_add(t, dir, 'W');
	}

	if (payload_len > 0 && !(f & NRB_TCP_SYN)) {
		int retrans;

		if (!t->c.large_threshold)
			t->c.large_threshold = large_threshold(&t->c);
		hist_add(t, dir, 'D');
		end = pi->tcp_seq + (uint32_t)payload_len;
		retrans = t->end_set[dir] && seq_lt(pi->tcp_seq, t->max_end[dir]);
		if (retrans) {
			s->retrans++;
			hist_add(t, dir, 'T');
		}
		if (!t->end_set[dir] || seq_lt(t->max_end[dir], end)) {
			t->max_end[dir] = end;
			t->end_set[dir] = 1;
		}
		if (payload_len >= t->c.large_threshold) {
			s->large_segments++;
			if (retrans)
				s->large_retrans++;
			if (!t->large_set[dir]) {
				t->first_large[dir] = pi->tcp_seq;
				t->large_set[dir] = 1;
			}
		}
	}
	if (f & NRB_TCP_FIN) {
		hist_add(t, dir, 'F');
		if (s->fin && t->fin_seq[dir] == pi->tcp_seq + (uint32_t)payload_len)
			s->retrans++;
		s->fin = 1;
		t->fin_seq[dir] = pi->tcp_seq + (uint32_t)payload_len;
		end = t->fin_seq[dir] + 1;
		if (!t->end_set[dir] || seq_lt(t->max_end[dir], end)) {
			t->max_end[dir] = end;
			t->end_set[dir] = 1;
		}
	}
}

static void udp_packet(struct nrb_cap_analyzer *a, uint64_t ts, const struct nrb_pkt_info *pi,
                       size_t payload_len)
{
	struct fkey k;
	struct udp_track *t;
	struct nrb_cap_udp *u;
	int swapped;
	size_t slot;

	host_note(a, pi);
	make_key(&pi->src, pi->sport, &pi->dst, pi->dport, &k, &swapped);
	slot = ftable_slot(&a->udp_tab, &k, a->udp, sizeof *a->udp, offsetof(struct udp_track, key));
	if (a->udp_tab.slots[slot] == NO_INDEX) {
		if (flows_full(a) || grow((void **)&a->udp, &a->cap_udp, a->n_udp, sizeof *a->udp,
					  a->opts.max_flows) ||
		    ftable_reserve(&a->udp_tab, a->udp, a->n_udp, sizeof *a->udp,
				   offsetof(struct udp_track, key))) {
			a->st.flows_dropped++;
			return;
		}
		slot = ftable_slot(&a->udp_tab, &k, a->udp, sizeof *a->udp,
				   offsetof(struct udp_track, key));
		a->udp_tab.used++;
		t = &a->udp[a->n_udp];
		memset(t, 0, sizeof *t);
		t->key = k;
		u = &t->u;
		u->af = pi->af;
		u->client = pi->src;
		u->server = pi->dst;
		u->client_port = pi->sport;
		u->server_port = pi->dport;
		u->first_us = ts;
		u->rtt_us = -1;
		u->icmp_first = -1;
		a->udp_tab.slots[slot] = (uint32_t)a->n_udp++;
	}
	u = &a->udp[a->udp_tab.slots[slot]].u;
	u->last_us = ts;
	if (nrb_pkt_addr_equal(&pi->src, &u->client) && pi->sport == u->client_port) {
		u->requests++;
		u->request_bytes += payload_len;
	} else {
		if (!u->responses) {
			u->rtt_us = (int64_t)(ts - u->first_us);
			u->server_ttl = pi->ttl;
			host_rtt(a, &pi->src, u->rtt_us);
		}
		u->responses++;
		u->response_bytes += payload_len;
	}
}

static void echo_packet(struct nrb_cap_analyzer *a, uint64_t ts, const struct nrb_pkt_info *pi)
{
	size_t i;

	host_note(a, pi);
	if (pi->kind == NRB_PKT_ECHO_REQUEST) {
		struct echo_req *e = &a->echo[a->echo_next++ % ECHO_RING];

		e->dst = pi->dst;
		e->id = pi->icmp_id;
		e->seq = pi->icmp_seq;
		e->ts_us = ts;
		return;
	}
	for (i = 0; i < ECHO_RING; i++) {
		struct echo_req *e = &a->echo[i];

		if (e->ts_us && e->id == pi->icmp_id && e->seq == pi->icmp_seq &&
		    nrb_pkt_addr_equal(&e->dst, &pi->src) && ts >= e->ts_us) {
			host_rtt(a, &pi->src, (int64_t)(ts - e->ts_us));
			e->ts_us = 0;
			return;
		}
	}
}

static void icmp_error(struct nrb_cap_analyzer *a, uint64_t ts, const struct nrb_pkt_info *pi)
{
	const struct nrb_pkt_quote *q = &pi->quote;
	struct nrb_cap_icmp *e;
	struct fkey k;
	int swapped;
	size_t slot;
	long conn = -1, udp = -1;
	int from_target = q->present && nrb_pkt_addr_equal(&pi->src, &q->dst);

	if (!from_target)
		host_note(a, pi); /* a router's own packet: genuine for that router */
	if (q->present && q->l4_present && (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP)) {
		make_key(&q->src, q->sport, &q->dst, q->dport, &k, &swapped);
		if (q->proto == IPPROTO_TCP) {
			slot = ftable_slot(&a->tcp_tab, &k, a->tcp, sizeof *a->tcp,
					   offsetof(struct tcp_track, key));
			if (a->tcp_tab.slots[slot] != NO_INDEX)
				conn = (long)a->tcp_tab.slots[slot];
		} else {
			slot = ftable_slot(&a->udp_tab, &k, a->udp, sizeof *a->udp,
					   offsetof(struct udp_track, key));
			if (a->udp_tab.slots[slot] != NO_INDEX)
				udp = (long)a->udp_tab.slots[slot];
		}
	}
	if (grow((void **)&a->icmp, &a->cap_icmp, a->n_icmp, sizeof *a->icmp, NRB_CAP_MAX_ICMP)) {
		a->st.icmp_dropped++;
		if (conn >= 0)
			a->tcp[conn].c.icmp_count++;
		if (udp >= 0)
			a->udp[udp].u.icmp_count++;
		return;
	}
	e = &a->icmp[a->n_icmp];
	memset(e, 0, sizeof *e);
	e->ts_us = ts;
	e->af = pi->af;
	e->type = pi->icmp_type;
	e->code = pi->icmp_code;
	e->err = pi->err;
	e->sender = pi->src;
	e->to = pi->dst;
	e->ttl = pi->ttl;
	e->hop = nrb_cap_ttl_hop(pi->ttl);
	e->ip_id = pi->ip_id;
	e->mtu = pi->mtu;
	e->quote = *q;
	e->conn = conn;
	e->udp = udp;
	e->from_target = (uint8_t)from_target;
	if (conn >= 0) {
		struct nrb_cap_conn *c = &a->tcp[conn].c;

		if (!c->icmp_count)
			c->icmp_first = (long)a->n_icmp;
		c->icmp_count++;
		if (pi->err == NRB_ERR_FRAG_NEEDED || pi->err == NRB_ERR_PACKET_TOO_BIG)
			c->frag_needed = 1;
	}
	if (udp >= 0) {
		struct nrb_cap_udp *u = &a->udp[udp].u;

		if (!u->icmp_count)
			u->icmp_first = (long)a->n_icmp;
		u->icmp_count++;
	}
	/* remember when the quoted flow's packet left, for the timing of a forged error */
	e->prov.delay_us = -1;
	if (conn >= 0 && a->tcp[conn].dir_last_us[0] && ts >= a->tcp[conn].dir_last_us[0])
		e->prov.delay_us = (int64_t)(ts - a->tcp[conn].dir_last_us[0]);
	if (udp >= 0 && ts >= a->udp[udp].u.last_us)
		e->prov.delay_us = (int64_t)(ts - a->udp[udp].u.last_us);
	a->n_icmp++;
}

/* Is this packet about the target/port the caller asked for? */
static int relevant(const struct nrb_cap_analyzer *a, const struct nrb_pkt_info *pi)
{
	const struct nrb_pkt_addr *t = &a->opts.target;
	const struct nrb_pkt_quote *q = &pi->quote;
	uint16_t p = a->opts.port;

	if (t->af) {
		int hit = nrb_pkt_addr_equal(&pi->src, t) || nrb_pkt_addr_equal(&pi->dst, t);

		if (!hit && pi->kind == NRB_PKT_ICMP_ERROR && q->present)
			hit = nrb_pkt_addr_equal(&q->dst, t) || nrb_pkt_addr_equal(&q->src, t);
		if (!hit)
			return 0;
	}
	if (p) {
		if (pi->kind == NRB_PKT_TCP || pi->kind == NRB_PKT_UDP)
			return pi->sport == p || pi->dport == p;
		if (pi->kind == NRB_PKT_ICMP_ERROR)
			return !q->l4_present || q->proto == IPPROTO_ICMP ||
			       q->proto == IPPROTO_ICMPV6 || q->sport == p || q->dport == p;
		return pi->kind == NRB_PKT_ECHO_REQUEST || pi->kind == NRB_PKT_ECHO_REPLY;
	}
	return 1;
}

/* Is this a copy of a packet just seen on another interface?  tcpdump -i any on a router
 * or a host with bridges sees a forwarded packet twice (in, then out with the TTL one
 * lower); counting both would double packets and fake retransmissions.  The fields
 * compared are those forwarding keeps (checksums may differ with offload); otherwise the
 * packet is remembered. */
static int duplicate(struct nrb_cap_analyzer *a, uint64_t ts, const struct nrb_cap_link *l,
                     const struct nrb_pkt_info *pi)
{
	struct {
		uint8_t af, proto, flags, icmp_type, icmp_code;
		uint8_t src[16], dst[16];
		uint16_t ip_id, sport, dport, window, icmp_id, icmp_seq;
		uint32_t seq, ack;
		uint64_t total, payload;
	} k;
	struct dup_entry *e;
	uint64_t h;
	size_t i;

	memset(&k, 0, sizeof k);
	k.af = pi->af;
	k.proto = pi->proto;
	memcpy(k.src, pi->src.bytes, 16);
	memcpy(k.dst, pi->dst.bytes, 16);
	k.ip_id = pi->ip_id;
	k.total = pi->ip_total_len;
	k.payload = pi->payload_len;
	k.sport = pi->sport;
	k.dport = pi->dport;
	k.seq = pi->tcp_seq;
	k.ack = pi->tcp_ack;
	k.flags = pi->tcp_flags;
	k.window = pi->tcp_window;
	k.icmp_type = pi->icmp_type;
	k.icmp_code = pi->icmp_code;
	k.icmp_id = pi->icmp_id;
	k.icmp_seq = pi->icmp_seq;
	h = hash_bytes(&k, sizeof k, 14695981039346656037ull);
	for (i = 0; i < DUP_RING; i++) {
		e = &a->dup[i];
		if (e->ts_us && e->hash == h && ts >= e->ts_us && ts - e->ts_us <= DUP_WINDOW_US &&
		    (e->ifindex != l->ifindex || e->pkttype != l->pkttype) &&
		    (e->ttl == pi->ttl || e->ttl == pi->ttl + 1)) {
			/* a third copy (bridge, then uplink) is compared with this one */
			e->ts_us = ts ? ts : 1;
			e->ifindex = l->ifindex;
			e->pkttype = l->pkttype;
			e->ttl = pi->ttl;
			return 1;
		}
	}
	e = &a->dup[a->dup_next++ % DUP_RING];
	e->hash = h;
	e->ts_us = ts ? ts : 1;
	e->ifindex = l->ifindex;
	e->pkttype = l->pkttype;
	e->ttl = pi->ttl;
	return 0;
}

void nrb_cap_analyzer_feed(struct nrb_cap_analyzer *a, uint64_t ts_us, const uint8_t *data,
                           size_t caplen, size_t wirelen)
{
	struct nrb_cap_link link;
	struct nrb_pkt_info pi;
	uint8_t copy[CUT_COPY];
	const uint8_t *l3;
	size_t l3len, claimed = 0, payload_len;
	int cut = 0;

	if (!a || (!data && caplen))
		return;
	a->st.packets++;
	a->st.bytes += wirelen > caplen ? wirelen : caplen;
	if (!a->st.first_us || ts_us < a->st.first_us)
		a->st.first_us = ts_us;
	if (ts_us > a->st.last_us)
		a->st.last_us = ts_us;
	if (nrb_cap_link_decode(a->linktype, data, caplen, &link)) {
		a->st.malformed++;
		return;
	}
	if (link.vlan >= 0) {
		a->st.vlan_tagged++;
		if (a->st.first_vlan < 0)
			a->st.first_vlan = link.vlan;
	}
	if (!link.is_ip) {
		a->st.non_ip++;
		return;
	}
	l3 = data + link.l3_off;
	l3len = caplen - link.l3_off;
	/* A packet cut by the snaplen claims more bytes than were kept, which pkt.h rightly
	 * refuses for a received packet: parse a copy of its start with the length fields
	 * set to what is there, and take payload sizes from the original claim.  A header
	 * that claims more than a record whose wire length says it is complete is lying:
	 * that one goes to the parser as it is and counts as malformed. */
	if (l3len >= 1 && l3[0] >> 4 == 4 && l3len >= 20)
		claimed = (size_t)(l3[2] << 8 | l3[3]);
	else if (l3len >= 1 && l3[0] >> 4 == 6 && l3len >= 40)
		claimed = (size_t)(l3[4] << 8 | l3[5]) + 40;
	if (claimed > l3len && wirelen > caplen) {
		size_t n = l3len < CUT_COPY ? l3len : CUT_COPY;

		memcpy(copy, l3, n);
		if (copy[0] >> 4 == 4) {
			copy[2] = (uint8_t)(n >> 8);
			copy[3] = (uint8_t)n;
		} else {
			copy[4] = (uint8_t)((n - 40) >> 8);
			copy[5] = (uint8_t)(n - 40);
		}
		l3 = copy;
		l3len = n;
		cut = 1;
		a->st.snaplen_cut++;
	}
	if (nrb_pkt_parse_ip(l3, l3len, &pi)) {
		a->st.malformed++;
		return;
	}
	if (link.multi_if && duplicate(a, ts_us, &link, &pi)) {
		a->st.duplicates++;
		return;
	}
	a->st.ip_packets++;
	if (pi.is_fragment)
		a->st.fragments++;
	if (!relevant(a, &pi)) {
		a->st.filtered++;
		return;
	}
	payload_len = pi.payload_len;
	if (cut && claimed > pi.payload_off)
		payload_len = claimed - pi.payload_off;
	switch (pi.kind) {
	case NRB_PKT_TCP:
		tcp_packet(a, ts_us, &pi, l3, payload_len);
		break;
	case NRB_PKT_UDP:
		udp_packet(a, ts_us, &pi, payload_len);
		break;
	case NRB_PKT_ECHO_REQUEST:
	case NRB_PKT_ECHO_REPLY:
		echo_packet(a, ts_us, &pi);
		break;
	case NRB_PKT_ICMP_ERROR:
		icmp_error(a, ts_us, &pi);
		break;
	default:
		if (!pi.is_fragment)
			host_note(a, &pi);
		break;
	}
}

/* ---------------------------------------------------------------- conclusions */

static enum nrb_cap_state conn_state(const struct tcp_track *t)
{
	const struct nrb_cap_conn *c = &t->c;
	int syn = c->orig.syns > 0, synack = c->resp.syns > 0;

	if (c->reset_by == NRB_CAP_ORIG)
		return synack ? NRB_CONN_RSTO : syn ? NRB_CONN_RSTOS0 : NRB_CONN_OTH;
	if (c->reset_by == NRB_CAP_RESP) {
		if (syn && !synack)
			return NRB_CONN_REJ;
		if (!syn && synack)
			return NRB_CONN_RSTRH;
		return syn ? NRB_CONN_RSTR : NRB_CONN_OTH;
	}
	if (syn && !synack)
		return c->orig.fin ? NRB_CONN_SH : NRB_CONN_S0;
	if (!syn && synack)
		return c->resp.fin ? NRB_CONN_SHR : NRB_CONN_OTH;
	if (!syn)
		return NRB_CONN_OTH;
	if (c->orig.fin && c->resp.fin)
		return NRB_CONN_SF;
	if (c->orig.fin)
		return NRB_CONN_S2;
	if (c->resp.fin)
		return NRB_CONN_S3;
	return NRB_CONN_S1;
}

static void reason(struct nrb_cap_provenance *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reason(struct nrb_cap_provenance *p, const char *fmt, ...)
{
	va_list ap;

	if (p->n_reasons >= NRB_CAP_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(p->reasons[p->n_reasons++], NRB_CAP_REASON_LEN, fmt, ap);
	va_end(ap);
}

/*
 * Decide whether a packet claiming to come from `from` was sent by it.  The TTL decides
 * (a device in the path is fewer hops away, so its packets arrive with a higher TTL, or
 * it starts from a different initial TTL); the IP ID (a stack that sends ID 0 or counts
 * up does not suddenly send a far-off ID) and the timing (an answer faster than the
 * address's own round trip) support or weaken the conclusion.
 */
static void provenance(struct nrb_cap_analyzer *a, const struct nrb_pkt_addr *from, uint8_t af,
                       uint8_t ttl, uint16_t ip_id, int prev_valid, uint16_t prev_id,
                       int64_t delay_us, const char *what, struct nrb_cap_provenance *p)
{
	struct nrb_cap_host *h = host_get(a, from, 0);
	char ab[64];
	int g = host_ttl(h), against = 0, support = 0;

	memset(p, 0, sizeof *p);
	nrb_pkt_addr_to_string(from, ab, sizeof ab);
	p->ttl = ttl;
	p->hop = nrb_cap_ttl_hop(ttl);
	p->ip_id = ip_id;
	p->delay_us = delay_us;
	p->genuine_ttl = g;
	p->genuine_hop = g >= 0 ? nrb_cap_ttl_hop((uint8_t)g) : -1;
	p->genuine_rtt_us = h ? h->rtt_us : -1;

	/* supporting evidence first, so the TTL reason can weigh it */
	if (af == AF_INET && h && h->ids >= 2 && h->zero_ids == h->ids && ip_id != 0) {
		support++;
		reason(p, "IP ID %u while all %u genuine packets from %s carry ID 0", ip_id, h->ids, ab);
	} else if (af == AF_INET && h && h->ids >= 3 && h->seq_ids * 2 >= h->ids && prev_valid) {
		uint16_t d = (uint16_t)(ip_id - prev_id);

		if (d > 1024 && d < 65535 - 1024) {
			support++;
			reason(p, "IP ID %u is far from the counter of %s's genuine packets (last %u)",
			       ip_id, ab, prev_id);
		} else {
			against++;
		}
	}
	if (p->genuine_rtt_us >= 1000 && delay_us >= 0 && delay_us * 2 < p->genuine_rtt_us) {
		support++;
		reason(p, "it came %.1f ms after the packet it answers, less than half of %s's %.1f ms round trip",
		       (double)delay_us / 1000.0, ab, (double)p->genuine_rtt_us / 1000.0);
	}

	if (g < 0) {
		p->origin = support ? NRB_ORIGIN_INJECTED : NRB_ORIGIN_UNKNOWN;
		p->confidence = NRB_CONF_LOW;
		reason(p, "no genuine packet from %s to compare with; TTL %u implies hop %d", ab, ttl, p->hop);
		return;
	}
	if (host_has_ttl(h, ttl)) {
		p->origin = NRB_ORIGIN_GENUINE;
		p->confidence = support ? NRB_CONF_LOW : against ? NRB_CONF_HIGH : NRB_CONF_MEDIUM;
		reason(p, "%s TTL %u equals the TTL of %s's genuine packets (%d): sent by %s itself (hop %d)",
		       what, ttl, ab, g, ab, p->hop);
		return;
	}
	if (ttl_initial(ttl) != ttl_initial((uint8_t)g)) {
		p->origin = NRB_ORIGIN_INJECTED;
		p->confidence = support ? NRB_CONF_HIGH : NRB_CONF_MEDIUM;
		reason(p, "%s TTL %u starts from %d while %s's genuine packets (TTL %d) start from %d: another device",
		       what, ttl, ttl_initial(ttl), ab, g, ttl_initial((uint8_t)g));
		return;
	}
	if (ttl > g) {
		p->origin = NRB_ORIGIN_INJECTED;
		p->confidence = support ? NRB_CONF_HIGH : NRB_CONF_MEDIUM;
		reason(p, "%s TTL %u vs %d for %s's genuine packets: sent %d hop(s) closer, by a device about hop %d",
		       what, ttl, g, ab, ttl - g, p->hop);
		return;
	}
	p->origin = support ? NRB_ORIGIN_INJECTED : NRB_ORIGIN_UNKNOWN;
	p->confidence = NRB_CONF_LOW;
	reason(p, "%s TTL %u is lower than %d for %s's genuine packets: it travelled %d hop(s) farther (another path, or a device beyond %s)",
	       what, ttl, g, ab, g - ttl, ab);
}

/* Large-packet loss: full-size segments from one side were sent more than once and never
 * acknowledged, while the handshake (small packets) completed, and no ICMP "fragmentation
 * needed"/"packet too big" came back for the flow. */
static enum nrb_cap_who large_loss(const struct tcp_track *t)
{
	int d;

	if (!t->c.orig.syns || !t->c.resp.syns || t->c.frag_needed)
		return NRB_CAP_NOBODY;
	for (d = 0; d < 2; d++) {
		const struct nrb_cap_side *s = d ? &t->c.resp : &t->c.orig;

		if (s->large_retrans < 2 || !t->large_set[d])
			continue;
		if (!t->ack_set[!d] || !seq_lt(t->first_large[d], t->max_ack[!d]))
			return d ? NRB_CAP_RESP : NRB_CAP_ORIG;
	}
	return NRB_CAP_NOBODY;
}

int nrb_cap_analyzer_finish(struct nrb_cap_analyzer *a, struct nrb_cap_result **out)
{
	struct nrb_cap_result *r;
	const char *name;
	size_t i;

	if (!out) {
		nrb_cap_analyzer_free(a);
		return -EINVAL;
	}
	*out = NULL;
	if (!a)
		return -EINVAL;
	r = calloc(1, sizeof *r);
	if (!r)
		goto nomem;
	r->linktype = a->linktype;
	name = linktype_name(a->linktype);
	snprintf(r->linktype_name, sizeof r->linktype_name, "%s", name ? name : "unknown");
	r->opts = a->opts;
	r->stats = a->st;
	r->truncated = a->truncated;
	memcpy(r->read_error, a->read_error, sizeof r->read_error);
	memcpy(r->stopped_by, a->stopped_by, sizeof r->stopped_by);

	if (a->n_tcp) {
		r->conns = calloc(a->n_tcp, sizeof *r->conns);
		if (!r->conns)
			goto nomem;
	}
	for (i = 0; i < a->n_tcp; i++) {
		struct tcp_track *t = &a->tcp[i];
		struct nrb_cap_conn *c = &r->conns[i];

		*c = t->c;
		c->state = conn_state(t);
		c->large_loss = large_loss(t);
		if (!c->large_threshold)
			c->large_threshold = large_threshold(c);
		c->rst = NULL;
		r->n_conns++;
		if (c->reset_by) {
			const struct nrb_cap_side *s = c->reset_by == NRB_CAP_ORIG ? &c->orig : &c->resp;

			c->rst = calloc(1, sizeof *c->rst);
			if (!c->rst)
				goto nomem;
			provenance(a, &s->addr, t->rst_af, t->rst_ttl, t->rst_id, t->rst_prev_valid,
				   t->rst_prev_id, t->rst_delay, "RST", c->rst);
		}
	}
	if (a->n_udp) {
		r->udp = calloc(a->n_udp, sizeof *r->udp);
		if (!r->udp)
			goto nomem;
	}
	for (i = 0; i < a->n_udp; i++)
		r->udp[r->n_udp++] = a->udp[i].u;
	r->icmp = a->icmp;
	r->n_icmp = a->n_icmp;
	a->icmp = NULL;
	for (i = 0; i < r->n_icmp; i++) {
		struct nrb_cap_icmp *e = &r->icmp[i];
		int64_t delay = e->prov.delay_us;

		if (e->from_target)
			provenance(a, &e->sender, e->af, e->ttl, e->ip_id, 0, 0, delay, "ICMP", &e->prov);
		else
			e->prov.delay_us = delay;
	}
	if (nrb_cap_build_findings(r))
		goto nomem;
	nrb_cap_analyzer_free(a);
	*out = r;
	return 0;
nomem:
	nrb_cap_analyzer_free(a);
	nrb_cap_result_free(r);
	return -ENOMEM;
}

void nrb_cap_result_free(struct nrb_cap_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_conns; i++)
		free(r->conns[i].rst);
	free(r->conns);
	free(r->udp);
	free(r->icmp);
	free(r->findings);
	free(r);
}

/* --------------------------------------------------------------------- names */

const char *nrb_cap_state_name(enum nrb_cap_state s)
{
	static const char *const n[] = {"OTH", "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO",
					"RSTR", "RSTOS0", "RSTRH", "SH", "SHR"};

	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

const char *nrb_cap_state_desc(enum nrb_cap_state s)
{
	static const char *const n[] = {
		"midstream traffic, no SYN seen",
		"SYN seen, no reply",
		"established, not closed",
		"established and closed normally",
		"SYN answered by a RST (rejected)",
		"established, originator closed, responder did not",
		"established, responder closed, originator did not",
		"originator reset the connection",
		"responder reset the connection",
		"originator sent SYN then RST, no SYN-ACK seen",
		"responder sent SYN-ACK then RST, no SYN seen",
		"originator sent SYN then FIN, no SYN-ACK seen (half open)",
		"responder sent SYN-ACK then FIN, no SYN seen",
	};

	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

const char *nrb_cap_who_name(enum nrb_cap_who w)
{
	return w == NRB_CAP_ORIG ? "orig" : w == NRB_CAP_RESP ? "resp" : "none";
}

const char *nrb_cap_origin_name(enum nrb_cap_origin o)
{
	return o == NRB_ORIGIN_GENUINE ? "genuine" : o == NRB_ORIGIN_INJECTED ? "injected" : "unknown";
}

const char *nrb_cap_confidence_name(enum nrb_cap_confidence c)
{
	return c == NRB_CONF_HIGH ? "high" : c == NRB_CONF_MEDIUM ? "medium" : "low";
}

const char *nrb_cap_severity_name(enum nrb_cap_severity s)
{
	return s == NRB_CAP_PROBLEM ? "problem" : s == NRB_CAP_WARNING ? "warning" : "info";
}
