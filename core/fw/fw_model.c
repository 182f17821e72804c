/* fw model: arena, tables/chains/rules/sets, value helpers, names, references,
 * managers and counter differences (see fw.h). */
#include "fw/fw_int.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- arena ----
 * A ruleset of 10,000 rules makes ~100,000 small objects; a bump allocator makes
 * building fast and freeing one loop.  Blocks are chained; big requests get their own. */
struct fw_block {
	struct fw_block *next; /* older block */
	size_t used;           /* bytes handed out */
	size_t size;           /* bytes in data */
	max_align_t data[];    /* storage */
};

#define FW_BLOCK_SIZE (256u * 1024u)

void *fw_alloc(struct nrb_fw_ruleset *rs, size_t size)
{
	struct fw_block *b = rs->arena;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (size == 0)
		need = sizeof(max_align_t);
	if (!b || b->size - b->used < need) {
		size_t sz = need > FW_BLOCK_SIZE ? need : FW_BLOCK_SIZE;
		struct fw_block *nb = malloc(sizeof(*nb) + sz);

		if (!nb)
			return NULL;
		nb->used = 0;
		nb->size = sz;
		if (b && need > FW_BLOCK_SIZE) {
			/* keep the current block current: slip the big one behind it */
			nb->next = b->next;
			b->next = nb;
			nb->used = need;
			memset(nb->data, 0, need);
			return nb->data;
		}
		nb->next = b;
		rs->arena = nb;
		b = nb;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	memset(p, 0, need);
	return p;
}

char *fw_strndup(struct nrb_fw_ruleset *rs, const char *s, size_t n)
{
	char *d = fw_alloc(rs, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *fw_strdup(struct nrb_fw_ruleset *rs, const char *s)
{
	return s ? fw_strndup(rs, s, strlen(s)) : NULL;
}

int fw_push(struct nrb_fw_ruleset *rs, void ***arr, size_t *n, size_t *cap, void *item)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void **na = fw_alloc(rs, nc * sizeof(void *));

		if (!na)
			return -ENOMEM;
		if (*n)
			memcpy(na, *arr, *n * sizeof(void *));
		*arr = na; /* the old array stays in the arena; total waste is below 2x */
		*cap = nc;
	}
	(*arr)[(*n)++] = item;
	return 0;
}

struct nrb_fw_ruleset *nrb_fw_ruleset_new(void)
{
	return calloc(1, sizeof(struct nrb_fw_ruleset));
}

void nrb_fw_ruleset_free(struct nrb_fw_ruleset *rs)
{
	struct fw_block *b, *nx;

	if (!rs)
		return;
	for (b = rs->arena; b; b = nx) {
		nx = b->next;
		free(b);
	}
	free(rs);
}

/* Arrays are grown by powers of two, so the capacity is derived from the count. */
static size_t cap_of(size_t n)
{
	size_t c = 8;

	if (n == 0)
		return 0;
	while (c < n)
		c *= 2;
	return c;
}

static int push_auto(struct nrb_fw_ruleset *rs, void ***arr, size_t *n, void *item)
{
	size_t cap = cap_of(*n);

	return fw_push(rs, arr, n, &cap, item);
}

int nrb_fw_ruleset_add_unread(struct nrb_fw_ruleset *rs, const char *msg)
{
	char *s;

	if (!rs || !msg)
		return -EINVAL;
	if (rs->nunread >= 100)
		return 0; /* a handful of sources exist; more is a caller looping */
	s = fw_strdup(rs, msg);
	if (!s || push_auto(rs, (void ***)&rs->unread, &rs->nunread, s))
		return -ENOMEM;
	return 0;
}

void fw_rollback(struct nrb_fw_ruleset *rs, size_t first)
{
	for (size_t t = first; t < rs->ntables; t++)
		for (size_t c = 0; c < rs->tables[t]->nchains; c++)
			rs->nrules -= rs->tables[t]->chains[c]->nrules;
	if (first < rs->ntables)
		rs->ntables = first;
}

void fw_warn(struct nrb_fw_ruleset *rs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char *s;

	if (rs->nwarnings >= 1000)
		return; /* a hostile input must not make the warning list the big cost */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	s = fw_strdup(rs, buf);
	if (s)
		push_auto(rs, (void ***)&rs->warnings, &rs->nwarnings, s);
}

struct nrb_fw_table *fw_table_add(struct nrb_fw_ruleset *rs, enum nrb_fw_origin origin,
                                  enum nrb_fw_tfamily family, const char *name,
                                  const char *source)
{
	struct nrb_fw_table *t = fw_alloc(rs, sizeof(*t));

	if (!t)
		return NULL;
	t->origin = origin;
	t->family = family;
	t->name = fw_strdup(rs, name);
	t->source = fw_strdup(rs, source ? source : "");
	if (!t->name || !t->source || push_auto(rs, (void ***)&rs->tables, &rs->ntables, t))
		return NULL;
	return t;
}

struct nrb_fw_table *fw_table_find(const struct nrb_fw_ruleset *rs, enum nrb_fw_tfamily family,
                                   const char *name)
{
	for (size_t i = 0; i < rs->ntables; i++)
		if (rs->tables[i]->family == family && strcmp(rs->tables[i]->name, name) == 0)
			return rs->tables[i];
	return NULL;
}

/* Chain names are looked up for every jump target and every rule header: kube-proxy and
 * Docker make thousands of chains, so a linear search would make parsing quadratic. */
struct fw_chash {
	size_t cap;                  /* slots, a power of two, kept at most half full */
	struct nrb_fw_chain **slot;  /* open addressing, linear probing */
};

static size_t name_hash(const char *s)
{
	size_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void chash_put(struct fw_chash *h, struct nrb_fw_chain *c)
{
	size_t i = name_hash(c->name) & (h->cap - 1);

	while (h->slot[i])
		i = (i + 1) & (h->cap - 1);
	h->slot[i] = c;
}

static int chash_grow(struct nrb_fw_ruleset *rs, struct nrb_fw_table *t)
{
	struct fw_chash *h = t->chash;
	size_t cap = h ? h->cap * 2 : 64;
	struct nrb_fw_chain **slot = fw_alloc(rs, cap * sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	if (!h && !(h = t->chash = fw_alloc(rs, sizeof(*h))))
		return -ENOMEM;
	h->cap = cap;
	h->slot = slot; /* the old slots stay in the arena */
	for (size_t i = 0; i < t->nchains; i++)
		chash_put(h, t->chains[i]);
	return 0;
}

struct nrb_fw_chain *fw_chain_add(struct nrb_fw_ruleset *rs, struct nrb_fw_table *t,
                                  const char *name)
{
	struct nrb_fw_chain *c = fw_alloc(rs, sizeof(*c));

	if (!c)
		return NULL;
	c->table = t;
	c->name = fw_strdup(rs, name);
	if (!c->name || push_auto(rs, (void ***)&t->chains, &t->nchains, c))
		return NULL;
	if (!t->chash || t->nchains * 2 > t->chash->cap) {
		if (chash_grow(rs, t)) /* re-inserts every chain, this one included */
			return NULL;
	} else {
		chash_put(t->chash, c);
	}
	return c;
}

struct nrb_fw_chain *fw_chain_find(const struct nrb_fw_table *t, const char *name)
{
	const struct fw_chash *h = t->chash;
	size_t i;

	if (!h)
		return NULL;
	for (i = name_hash(name) & (h->cap - 1); h->slot[i]; i = (i + 1) & (h->cap - 1))
		if (strcmp(h->slot[i]->name, name) == 0)
			return h->slot[i];
	return NULL;
}

struct nrb_fw_rule *fw_rule_add(struct nrb_fw_ruleset *rs, struct nrb_fw_chain *c)
{
	struct nrb_fw_rule *r = fw_alloc(rs, sizeof(*r));

	if (!r)
		return NULL;
	r->chain = c;
	if (push_auto(rs, (void ***)&c->rules, &c->nrules, r))
		return NULL;
	r->index = (unsigned)c->nrules;
	rs->nrules++;
	return r;
}

struct nrb_fw_set *fw_set_find(const struct nrb_fw_table *t, const char *name)
{
	for (size_t i = 0; i < t->nsets; i++)
		if (strcmp(t->sets[i]->name, name) == 0)
			return t->sets[i];
	return NULL;
}

struct nrb_fw_match *fw_match_add(struct nrb_fw_ruleset *rs, struct nrb_fw_rule *r)
{
	/* Matches are an array of structs: grow by copying (rules have a handful). */
	size_t cap = cap_of(r->nmatches);
	struct nrb_fw_match *m;

	if (r->nmatches == cap) {
		size_t nc = cap ? cap * 2 : 8;
		struct nrb_fw_match *na = fw_alloc(rs, nc * sizeof(*na));

		if (!na)
			return NULL;
		if (r->nmatches)
			memcpy(na, r->matches, r->nmatches * sizeof(*na));
		r->matches = na;
	}
	m = &r->matches[r->nmatches++];
	memset(m, 0, sizeof(*m));
	return m;
}

struct fw_range *fw_vals_add(struct nrb_fw_ruleset *rs, struct nrb_fw_vals *v)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 4;
		struct fw_range *na = fw_alloc(rs, nc * sizeof(*na));

		if (!na)
			return NULL;
		if (v->n)
			memcpy(na, v->r, v->n * sizeof(*na));
		v->r = na;
		v->cap = nc;
	}
	memset(&v->r[v->n], 0, sizeof(v->r[0]));
	return &v->r[v->n++];
}

/* ---- resolution of jumps and sets ---- */

static int cmp_chain_name(const void *a, const void *b)
{
	const struct nrb_fw_chain *x = *(const struct nrb_fw_chain *const *)a;
	const struct nrb_fw_chain *y = *(const struct nrb_fw_chain *const *)b;

	return strcmp(x->name, y->name);
}

static struct nrb_fw_chain *lookup_sorted(struct nrb_fw_chain **idx, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, idx[mid]->name);

		if (c == 0)
			return idx[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void resolve_match_set(struct nrb_fw_ruleset *rs, struct nrb_fw_table *t,
                              struct nrb_fw_match *m)
{
	if (!m->setname || m->set)
		return;
	m->set = fw_set_find(t, m->setname);
	if (!m->set)
		fw_warn(rs, "%s: table %s %s: set @%s is referenced but not listed", t->source,
		        nrb_fw_tfamily_name(t->family), t->name, m->setname);
}

int fw_resolve(struct nrb_fw_ruleset *rs, size_t from, char *err, size_t errlen)
{
	for (size_t ti = from; ti < rs->ntables; ti++) {
		struct nrb_fw_table *t = rs->tables[ti];
		struct nrb_fw_chain **idx;

		if (t->nchains == 0)
			continue;
		idx = malloc(t->nchains * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
		memcpy(idx, t->chains, t->nchains * sizeof(*idx));
		qsort(idx, t->nchains, sizeof(*idx), cmp_chain_name);
		for (size_t ci = 0; ci < t->nchains; ci++) {
			struct nrb_fw_chain *c = t->chains[ci];

			for (size_t ri = 0; ri < c->nrules; ri++) {
				struct nrb_fw_rule *r = c->rules[ri];

				for (size_t mi = 0; mi < r->nmatches; mi++)
					resolve_match_set(rs, t, &r->matches[mi]);
				if ((r->verdict == NRB_FW_V_JUMP || r->verdict == NRB_FW_V_GOTO) &&
				    !r->target_chain) {
					r->target_chain = lookup_sorted(idx, t->nchains, r->target);
					if (!r->target_chain) {
						int e;

						if (r->line)
							e = nrb_err(err, errlen, EINVAL,
							            "%s:%u: jump to unknown chain '%s'",
							            t->source, r->line, r->target);
						else
							e = nrb_err(err, errlen, EINVAL,
							            "%s: table %s %s chain %s handle %llu: jump to unknown chain '%s'",
							            t->source, nrb_fw_tfamily_name(t->family), t->name,
							            c->name, (unsigned long long)r->handle, r->target);
						free(idx);
						return e;
					}
				}
				if (r->vmap) {
					struct nrb_fw_vmap *vm = r->vmap;

					if (vm->setname && !vm->e) {
						struct nrb_fw_set *set = fw_set_find(t, vm->setname);

						if (set && set->vmap) {
							vm->e = set->vmap->e;
							vm->n = set->vmap->n;
							vm->unknown |= set->vmap->unknown;
						} else {
							vm->unknown = 1;
						}
					}

					for (size_t k = 0; k < vm->n; k++) {
						struct fw_vmap_ent *e = &vm->e[k];

						if ((e->verdict == NRB_FW_V_JUMP || e->verdict == NRB_FW_V_GOTO) &&
						    !e->target_chain) {
							e->target_chain = lookup_sorted(idx, t->nchains, e->target);
							if (!e->target_chain)
								vm->unknown = 1;
						}
					}
				}
			}
		}
		free(idx);
	}
	return 0;
}

/* ---- values ---- */

void fw_num_key(uint32_t v, uint8_t key[16])
{
	memset(key, 0, 16);
	key[12] = (uint8_t)(v >> 24);
	key[13] = (uint8_t)(v >> 16);
	key[14] = (uint8_t)(v >> 8);
	key[15] = (uint8_t)v;
}

void fw_num_range(struct fw_range *r, uint32_t lo, uint32_t hi)
{
	fw_num_key(lo, r->lo);
	fw_num_key(hi, r->hi);
}

/* Parse one numeric address. @return 4, 6 or 0 */
static int parse_addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(s, ':'))
		return inet_pton(AF_INET6, s, out) == 1 ? 6 : 0;
	return inet_pton(AF_INET, s, out) == 1 ? 4 : 0;
}

int fw_parse_prefix(const char *s, struct fw_range *r)
{
	char buf[128];
	const char *slash;
	int fam, bits, plen;

	if (!s || strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		buf[slash - buf] = '\0';
	fam = parse_addr(buf, r->lo);
	if (!fam)
		return -EINVAL;
	bits = fam == 4 ? 32 : 128;
	plen = bits;
	if (slash) {
		const char *m = slash + 1;
		char *end;
		long v;

		if (strchr(m, '.') || (fam == 6 && strchr(m, ':'))) {
			/* dotted netmask; iptables also takes a non-contiguous one
			 * (198.51.0.0/255.255.0.255: every 198.51.X.0) */
			uint8_t mk[16];
			int n = 0, seen_zero = 0, contiguous = 1;

			if (parse_addr(m, mk) != fam)
				return -EINVAL;
			for (int i = 0; i < bits; i++) {
				int bit = (mk[i / 8] >> (7 - i % 8)) & 1;

				if (bit && seen_zero)
					contiguous = 0;
				if (bit)
					n++;
				else
					seen_zero = 1;
			}
			if (!contiguous)
				return fw_mask_range(r, mk, fam);
			plen = n;
		} else {
			if (!isdigit((unsigned char)*m))
				return -EINVAL;
			v = strtol(m, &end, 10);
			if (*end || v < 0 || v > bits)
				return -EINVAL;
			plen = (int)v;
		}
	}
	memcpy(r->hi, r->lo, 16);
	for (int i = plen; i < bits; i++) {
		r->lo[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		r->hi[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	}
	r->vfam = fam;
	return 0;
}

int fw_mask_range(struct fw_range *r, const uint8_t mask[16], int fam)
{
	/* the kernel compares (addr & mask) == (value & mask); lo..hi is the span of all
	 * such addresses, so range code that ignores the mask errs only by including */
	for (int i = 0; i < 16; i++) {
		r->lo[i] &= mask[i];
		r->hi[i] = (uint8_t)(r->lo[i] | (uint8_t)~mask[i]);
	}
	if (fam == 4)
		memset(r->hi + 4, 0, 12);
	memcpy(r->mask, mask, 16);
	r->masked = 1;
	r->vfam = fam;
	return 0;
}

int fw_parse_addr_range(const char *s, struct fw_range *r)
{
	char buf[128];
	char *dash;
	uint8_t hi[16];
	int f1, f2;

	if (!s || strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return fw_parse_prefix(s, r);
	*dash = '\0';
	f1 = parse_addr(buf, r->lo);
	f2 = parse_addr(dash + 1, hi);
	if (!f1 || f1 != f2 || memcmp(r->lo, hi, 16) > 0)
		return -EINVAL;
	memcpy(r->hi, hi, 16);
	r->vfam = f1;
	return 0;
}

struct fw_name {
	const char *name; /* spelling */
	int val;          /* value */
};

static int name_lookup(const struct fw_name *t, const char *s)
{
	for (; t->name; t++)
		if (strcasecmp(t->name, s) == 0)
			return t->val;
	return -1;
}

static int small_number(const char *s, int max)
{
	char *end;
	long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v > max)
		return -1;
	return (int)v;
}

int fw_proto_num(const char *s)
{
	static const struct fw_name protos[] = {
		{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"ipv6-icmp", 58}, {"icmpv6", 58},
		{"sctp", 132}, {"gre", 47}, {"esp", 50}, {"ah", 51}, {"udplite", 136},
		{"igmp", 2}, {"ipip", 4}, {"ipv6", 41}, {"dccp", 33}, {"ospf", 89},
		{"vrrp", 112}, {"l2tp", 115}, {NULL, 0}};
	int v = small_number(s, 255);

	return v >= 0 ? v : (s ? name_lookup(protos, s) : -1);
}

int fw_icmp_type(const char *s, int v6)
{
	static const struct fw_name icmp4[] = {
		{"echo-reply", 0}, {"pong", 0}, {"destination-unreachable", 3},
		{"source-quench", 4}, {"redirect", 5}, {"echo-request", 8}, {"ping", 8},
		{"router-advertisement", 9}, {"router-solicitation", 10},
		{"time-exceeded", 11}, {"ttl-exceeded", 11}, {"parameter-problem", 12},
		{"timestamp-request", 13}, {"timestamp-reply", 14}, {"info-request", 15},
		{"info-reply", 16}, {"address-mask-request", 17}, {"address-mask-reply", 18},
		{NULL, 0}};
	static const struct fw_name icmp6[] = {
		{"destination-unreachable", 1}, {"packet-too-big", 2}, {"time-exceeded", 3},
		{"ttl-exceeded", 3}, {"parameter-problem", 4}, {"echo-request", 128},
		{"echo-reply", 129}, {"mld-listener-query", 130}, {"mld-listener-report", 131},
		{"mld-listener-done", 132}, {"mld-listener-reduction", 132},
		{"nd-router-solicit", 133}, {"router-solicitation", 133},
		{"nd-router-advert", 134}, {"router-advertisement", 134},
		{"nd-neighbor-solicit", 135}, {"neighbour-solicitation", 135},
		{"neighbor-solicitation", 135}, {"nd-neighbor-advert", 136},
		{"neighbour-advertisement", 136}, {"neighbor-advertisement", 136},
		{"nd-redirect", 137}, {"redirect", 137}, {"router-renumbering", 138},
		{"ind-neighbor-solicit", 141}, {"ind-neighbor-advert", 142},
		{"mld2-listener-report", 143}, {NULL, 0}};
	int v = small_number(s, 255);

	if (v >= 0)
		return v;
	return s ? name_lookup(v6 ? icmp6 : icmp4, s) : -1;
}

unsigned fw_ctstate_bit(const char *s)
{
	static const struct fw_name st[] = {
		{"invalid", NRB_FW_CT_INVALID}, {"established", NRB_FW_CT_ESTABLISHED},
		{"related", NRB_FW_CT_RELATED}, {"new", NRB_FW_CT_NEW},
		{"untracked", NRB_FW_CT_UNTRACKED}, {NULL, 0}};
	int v = s ? name_lookup(st, s) : -1;

	return v < 0 ? 0 : (unsigned)v;
}

unsigned fw_tcpflag_bit(const char *s)
{
	static const struct fw_name fl[] = {
		{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08}, {"ack", 0x10},
		{"urg", 0x20}, {"ecn", 0x40}, {"cwr", 0x80}, {"all", 0x3f}, {"none", 0},
		{NULL, 0}};
	int v = s ? name_lookup(fl, s) : -1;

	return v < 0 ? 0x100u : (unsigned)v; /* 0x100: unknown flag name */
}

void fw_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* ---- names and references ---- */

const char *nrb_fw_decision_name(enum nrb_fw_decision d)
{
	switch (d) {
	case NRB_FW_ACCEPT: return "accept";
	case NRB_FW_DROP: return "drop";
	case NRB_FW_REJECT: return "reject";
	case NRB_FW_UNCERTAIN: return "uncertain";
	}
	return "?";
}

const char *nrb_fw_vkind_name(enum nrb_fw_vkind v)
{
	static const char *const n[] = {"continue", "accept", "drop", "reject", "jump", "goto",
	                                "return", "queue", "dnat", "snat", "vmap", "unknown",
	                                "notrack"};

	return (unsigned)v < sizeof n / sizeof n[0] ? n[v] : "?";
}

const char *nrb_fw_hook_name(enum nrb_fw_hook h)
{
	static const char *const n[] = {"none", "prerouting", "input", "forward", "output",
	                                "postrouting", "ingress", "egress"};

	return (unsigned)h < sizeof n / sizeof n[0] ? n[h] : "?";
}

const char *nrb_fw_tfamily_name(enum nrb_fw_tfamily f)
{
	static const char *const n[] = {"?", "ip", "ip6", "inet", "arp", "bridge", "netdev"};

	return (unsigned)f < sizeof n / sizeof n[0] ? n[f] : "?";
}

const char *nrb_fw_direction_name(enum nrb_fw_direction d)
{
	switch (d) {
	case NRB_FW_DIR_INPUT: return "input";
	case NRB_FW_DIR_OUTPUT: return "output";
	case NRB_FW_DIR_FORWARD: return "forward";
	}
	return "?";
}

char *nrb_fw_rule_ref(const struct nrb_fw_rule *r, char *buf, size_t len)
{
	const struct nrb_fw_table *t;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (!r || !r->chain || !r->chain->table)
		return buf;
	t = r->chain->table;
	if (t->origin == NRB_FW_ORIGIN_IPTABLES)
		snprintf(buf, len, "%s line %u (table %s): %s", t->source, r->line, t->name,
		         r->text ? r->text : "");
	else
		snprintf(buf, len, "table %s %s chain %s handle %llu", nrb_fw_tfamily_name(t->family),
		         t->name, r->chain->name, (unsigned long long)r->handle);
	return buf;
}

char *nrb_fw_chain_ref(const struct nrb_fw_chain *c, char *buf, size_t len)
{
	const struct nrb_fw_table *t;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (!c || !c->table)
		return buf;
	t = c->table;
	if (t->origin == NRB_FW_ORIGIN_IPTABLES)
		snprintf(buf, len, "%s line %u (table %s): :%s %s", t->source, c->line, t->name,
		         c->name, c->has_policy ? (c->policy == NRB_FW_V_DROP ? "DROP" : "ACCEPT") : "-");
	else
		snprintf(buf, len, "table %s %s chain %s policy %s", nrb_fw_tfamily_name(t->family),
		         t->name, c->name,
		         c->has_policy ? (c->policy == NRB_FW_V_DROP ? "drop" : "accept") : "accept");
	return buf;
}

/* ---- managers ---- */

const char *nrb_fw_manager_name(unsigned m)
{
	switch (m) {
	case NRB_FW_MGR_UFW: return "ufw";
	case NRB_FW_MGR_FIREWALLD: return "firewalld";
	case NRB_FW_MGR_FAIL2BAN: return "fail2ban";
	case NRB_FW_MGR_DOCKER: return "docker";
	}
	return "none";
}

const char *nrb_fw_manager_advice(unsigned m)
{
	switch (m) {
	case NRB_FW_MGR_UFW:
		return "ufw manages these rules: change them with `ufw allow|deny ...` (see `ufw status numbered`), not with iptables";
	case NRB_FW_MGR_FIREWALLD:
		return "firewalld manages these rules: change them with `firewall-cmd --zone=ZONE --add-port=PORT/PROTO` (and --permanent), not with nft/iptables";
	case NRB_FW_MGR_FAIL2BAN:
		return "fail2ban banned this address: see `fail2ban-client status JAIL` and lift it with `fail2ban-client set JAIL unbanip ADDRESS`";
	case NRB_FW_MGR_DOCKER:
		return "Docker manages these chains: publish the port with `docker run -p` or put your own rules in the DOCKER-USER chain; Docker rewrites the others";
	}
	return "";
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static unsigned name_manager(const char *n)
{
	static const char *const fwd_ipt[] = {
		"INPUT_direct", "INPUT_ZONES", "FORWARD_direct", "FORWARD_IN_ZONES",
		"FORWARD_OUT_ZONES", "OUTPUT_direct", "IN_", "FWDI_", "FWDO_", NULL};

	if (has_prefix(n, "ufw-") || has_prefix(n, "ufw6-"))
		return NRB_FW_MGR_UFW;
	if (has_prefix(n, "f2b-") || has_prefix(n, "fail2ban-") || has_prefix(n, "addr-set-"))
		return NRB_FW_MGR_FAIL2BAN;
	if (strcmp(n, "DOCKER") == 0 || has_prefix(n, "DOCKER-"))
		return NRB_FW_MGR_DOCKER;
	for (size_t i = 0; fwd_ipt[i]; i++)
		if (has_prefix(n, fwd_ipt[i]))
			return NRB_FW_MGR_FIREWALLD;
	return 0;
}

static unsigned table_manager(const struct nrb_fw_table *t)
{
	if (strcmp(t->name, "firewalld") == 0)
		return NRB_FW_MGR_FIREWALLD;
	if (has_prefix(t->name, "f2b-") || has_prefix(t->name, "fail2ban"))
		return NRB_FW_MGR_FAIL2BAN;
	return 0;
}

unsigned nrb_fw_chain_manager(const struct nrb_fw_chain *c)
{
	unsigned m;

	if (!c || !c->table)
		return 0;
	m = table_manager(c->table);
	return m ? m : name_manager(c->name);
}

/* A rule that matches an ipset fail2ban made (`-m set --match-set f2b-sshd src`):
 * fail2ban's ipset actions put their verdict rule straight into INPUT. */
static unsigned rule_ipset_manager(const struct nrb_fw_rule *r)
{
	for (size_t i = 0; r && i < r->nmatches; i++)
		if (r->matches[i].desc && strstr(r->matches[i].desc, "--match-set f2b-"))
			return NRB_FW_MGR_FAIL2BAN;
	return 0;
}

/* Docker also puts rules into the built-in FORWARD chain; they name its bridge. */
static unsigned rule_docker_manager(const struct nrb_fw_rule *r)
{
	if (r->text && r->chain->table->origin == NRB_FW_ORIGIN_IPTABLES &&
	    (strstr(r->text, "-i docker0 ") || strstr(r->text, "-o docker0 ")))
		return NRB_FW_MGR_DOCKER;
	return 0;
}

unsigned nrb_fw_rule_manager(const struct nrb_fw_rule *r)
{
	unsigned m;

	if (!r)
		return 0;
	m = rule_ipset_manager(r);
	if (!m)
		m = nrb_fw_chain_manager(r->chain);
	return m ? m : rule_docker_manager(r);
}

unsigned nrb_fw_managers(const struct nrb_fw_ruleset *rs)
{
	unsigned m = 0;

	if (!rs)
		return 0;
	for (size_t i = 0; i < rs->ntables; i++) {
		const struct nrb_fw_table *t = rs->tables[i];

		m |= table_manager(t);
		for (size_t c = 0; c < t->nchains; c++) {
			m |= nrb_fw_chain_manager(t->chains[c]);
			for (size_t r = 0; r < t->chains[c]->nrules; r++)
				m |= rule_ipset_manager(t->chains[c]->rules[r]);
		}
		for (size_t s = 0; s < t->nsets; s++)
			m |= name_manager(t->sets[s]->name) & NRB_FW_MGR_FAIL2BAN;
	}
	return m;
}

/* ---- counter differences ---- */

static int same_rule(const struct nrb_fw_rule *a, const struct nrb_fw_rule *b)
{
	if (a->chain->table->origin == NRB_FW_ORIGIN_NFT)
		return a->handle == b->handle;
	return a->text && b->text && strcmp(a->text, b->text) == 0;
}

static const struct nrb_fw_rule *pair_rule(const struct nrb_fw_chain *bc,
                                           const struct nrb_fw_rule *r)
{
	/* Same position first (the common case: nothing changed), then a search. */
	if (r->index >= 1 && r->index <= bc->nrules && same_rule(bc->rules[r->index - 1], r))
		return bc->rules[r->index - 1];
	for (size_t i = 0; i < bc->nrules; i++)
		if (same_rule(bc->rules[i], r))
			return bc->rules[i];
	return NULL;
}

static int add_delta(struct nrb_fw_delta **arr, size_t *n, size_t *cap,
                     const struct nrb_fw_rule *r, const struct nrb_fw_chain *c,
                     uint64_t dp, uint64_t db)
{
	char buf[1024];

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct nrb_fw_delta *na = realloc(*arr, nc * sizeof(*na));

		if (!na)
			return -ENOMEM;
		*arr = na;
		*cap = nc;
	}
	if (r)
		nrb_fw_rule_ref(r, buf, sizeof buf);
	else
		nrb_fw_chain_ref(c, buf, sizeof buf);
	(*arr)[*n].rule = r;
	(*arr)[*n].chain = c;
	(*arr)[*n].packets = dp;
	(*arr)[*n].bytes = db;
	(*arr)[*n].ref = strdup(buf);
	if (!(*arr)[*n].ref)
		return -ENOMEM;
	(*n)++;
	return 0;
}

int nrb_fw_diff(const struct nrb_fw_ruleset *before, const struct nrb_fw_ruleset *after,
                uint64_t min_packets, struct nrb_fw_delta **out, size_t *n)
{
	struct nrb_fw_delta *arr = NULL;
	size_t cnt = 0, cap = 0;

	if (!before || !after || !out || !n)
		return -EINVAL;
	if (min_packets == 0)
		min_packets = 1;
	for (size_t ti = 0; ti < after->ntables; ti++) {
		const struct nrb_fw_table *t = after->tables[ti];
		const struct nrb_fw_table *bt = NULL;

		/* the same table of the same source: with legacy and nft-backed iptables in
		 * use at once, "ip filter" exists twice (iptables-save, iptables-legacy-save) */
		for (size_t k = 0; k < before->ntables && !bt; k++) {
			const struct nrb_fw_table *c = before->tables[k];

			if (c->family == t->family && c->origin == t->origin &&
			    !strcmp(c->name, t->name) && !strcmp(c->source, t->source))
				bt = c;
		}
		if (!bt)
			continue;
		for (size_t ci = 0; ci < t->nchains; ci++) {
			const struct nrb_fw_chain *c = t->chains[ci];
			const struct nrb_fw_chain *bc = fw_chain_find(bt, c->name);

			if (!bc)
				continue;
			for (size_t ri = 0; ri < c->nrules; ri++) {
				const struct nrb_fw_rule *r = c->rules[ri];
				const struct nrb_fw_rule *br;

				if (!r->has_counter)
					continue;
				br = pair_rule(bc, r);
				if (!br || !br->has_counter || r->packets < br->packets ||
				    r->packets - br->packets < min_packets)
					continue;
				if (add_delta(&arr, &cnt, &cap, r, NULL, r->packets - br->packets,
				              r->bytes >= br->bytes ? r->bytes - br->bytes : 0))
					goto nomem;
			}
			if (c->has_policy && c->packets >= bc->packets &&
			    c->packets - bc->packets >= min_packets &&
			    add_delta(&arr, &cnt, &cap, NULL, c, c->packets - bc->packets,
			              c->bytes >= bc->bytes ? c->bytes - bc->bytes : 0))
				goto nomem;
		}
	}
	*out = arr;
	*n = cnt;
	return 0;
nomem:
	nrb_fw_deltas_free(arr, cnt);
	return -ENOMEM;
}

void nrb_fw_deltas_free(struct nrb_fw_delta *d, size_t n)
{
	if (!d)
		return;
	for (size_t i = 0; i < n; i++)
		free(d[i].ref);
	free(d);
}
