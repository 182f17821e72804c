/* fw_eval: walk a flow through the ruleset in kernel order (see fw.h).
 *
 * Every match is judged with three values: holds, does not hold, cannot tell.  A rule
 * holds when all its matches hold; one that does not hold settles it.  A rule that could
 * act on the packet but cannot be judged is noted ("cannot evaluate rule X (match Y)"),
 * makes the decision UNCERTAIN, and the walk goes on as if it had not matched, so the
 * result still says what would happen in that case (res->assumed).
 *
 * Rate limits (limit, hashlimit, meter/set statements with a limit) are the one kind of
 * "cannot tell" with a known likely answer: whether the rule matches depends on how many
 * packets it saw lately, which a ruleset listing does not show.  Such a rule is always
 * noted and makes the decision UNCERTAIN; the assumed walk takes a quiet rule, the state a
 * single probe meets (`limit rate N` holds, `limit rate over N` does not).
 *
 * A rule with no verdict can still change the outcome: `notrack` (before conntrack) makes
 * later `ct state new` fail, `add @set` puts the packet into a set a later rule matches,
 * a statement nrb does not know (synproxy) may take the packet.  Those are evaluated
 * like rules with verdicts; rules that only count or log and certainly matched appear in
 * the path as "continue" steps (their counters rise too), the rest are skipped. */
#include "fw/fw_int.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* T_LIM: a rate limit, holds or not depending on the traffic (see the top) */
enum tri { T_NO = 0, T_YES = 1, T_UNK = 2, T_LIM = 3 };

/* Outcome of a chain. */
enum chain_out { C_CONT = 0, C_ACCEPT, C_DROP, C_REJECT, C_ABORT };

#define MAX_VISITS 10000000u /* rules looked at before giving up: a hostile ruleset guard */

struct ev {
	const struct nrb_fw_ruleset *rs; /* ruleset */
	struct nrb_fw_flow f;            /* flow (normalised copy) */
	struct nrb_fw_result *res;       /* result being filled */
	int uncertain;                   /* some rule on the way could not be judged */
	int nomem;                       /* an allocation failed */
	size_t cap_steps;                /* path capacity */
	size_t cap_notes;                /* notes capacity */
	const char *reject_with;         /* reject type of the deciding rule */
	int dnat;                        /* a DNAT rule acted on this packet */
	enum nrb_fw_ctstate ct;          /* conntrack state now (f.state until a notrack) */
	const struct nrb_fw_chain *base; /* base chain being walked */
	size_t ndyn;                     /* sets in dyn */
	const char *dyn[16];             /* sets a rule on the way added this packet to */
	const struct nrb_fw_rule *dyn_rule[16]; /* the rule that did, per set */
	int dyn_sure[16];                /* that rule certainly matched (not only assumed) */
};

static void add_note(struct ev *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(struct ev *ev, const char *fmt, ...)
{
	struct nrb_fw_result *res = ev->res;
	char buf[1536];
	va_list ap;

	if (res->nnotes >= 200)
		return; /* enough to act on; the rest would drown the report */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < res->nnotes; i++)
		if (!strcmp(res->notes[i], buf))
			return; /* the same rule seen twice (two jumps into one chain) */
	if (res->nnotes == ev->cap_notes) {
		size_t nc = ev->cap_notes ? ev->cap_notes * 2 : 8;
		char **na = realloc(res->notes, nc * sizeof(*na));

		if (!na) {
			ev->nomem = 1;
			return;
		}
		res->notes = na;
		ev->cap_notes = nc;
	}
	res->notes[res->nnotes] = strdup(buf);
	if (!res->notes[res->nnotes])
		ev->nomem = 1;
	else
		res->nnotes++;
}

static void add_step(struct ev *ev, enum nrb_fw_step_kind kind, const struct nrb_fw_chain *c,
                     const struct nrb_fw_rule *r, enum nrb_fw_vkind action)
{
	struct nrb_fw_result *res = ev->res;
	char buf[1024];

	if (res->nsteps >= 10000)
		return;
	if (res->nsteps == ev->cap_steps) {
		size_t nc = ev->cap_steps ? ev->cap_steps * 2 : 16;
		struct nrb_fw_step *na = realloc(res->path, nc * sizeof(*na));

		if (!na) {
			ev->nomem = 1;
			return;
		}
		res->path = na;
		ev->cap_steps = nc;
	}
	if (r)
		nrb_fw_rule_ref(r, buf, sizeof buf);
	else
		nrb_fw_chain_ref(c, buf, sizeof buf);
	res->path[res->nsteps].kind = kind;
	res->path[res->nsteps].chain = c;
	res->path[res->nsteps].rule = r;
	res->path[res->nsteps].action = action;
	res->path[res->nsteps].ref = strdup(buf);
	if (!res->path[res->nsteps].ref)
		ev->nomem = 1;
	else
		res->nsteps++;
}

/* ---- match evaluation ---- */

static int has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136 || proto == 33;
}

static enum tri in_vals(const struct nrb_fw_vals *v, const uint8_t key[16], int vfam)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct fw_range *r = &v->r[i];

		if (r->str || (r->vfam && vfam && r->vfam != vfam))
			continue;
		if (r->masked) {
			int eq = 1;

			for (int b = 0; b < 16 && eq; b++)
				eq = (key[b] & r->mask[b]) == r->lo[b];
			if (eq)
				return T_YES;
			continue;
		}
		if (memcmp(key, r->lo, 16) >= 0 && memcmp(key, r->hi, 16) <= 0)
			return T_YES;
	}
	return v->unknown ? T_UNK : T_NO;
}

static enum tri num_in(const struct nrb_fw_vals *v, uint32_t x)
{
	uint8_t k[16];

	fw_num_key(x, k);
	return in_vals(v, k, 0);
}

static enum tri name_in(const struct nrb_fw_vals *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct fw_range *r = &v->r[i];

		if (!r->str)
			continue;
		if (r->wildcard ? !strncmp(name, r->str, strlen(r->str)) : !strcmp(name, r->str))
			return T_YES;
	}
	return v->unknown ? T_UNK : T_NO;
}

static int is_loopback(const struct nrb_fw_flow *f, const uint8_t *a)
{
	static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	return f->family == 4 ? a[0] == 127 : !memcmp(a, v6lo, 16);
}

static int is_multicast(const struct nrb_fw_flow *f, const uint8_t *a)
{
	return f->family == 4 ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
}

static int is_bcast(const struct nrb_fw_flow *f, const uint8_t *a)
{
	return f->family == 4 && a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255;
}

/* Interface match with what can be inferred when the flow does not name it: a packet
 * arrives on or leaves by "lo" only when it is between addresses of this host, so for two
 * different non-loopback addresses "lo" is known not to match. */
static enum tri iface(const struct ev *ev, const struct nrb_fw_match *m, const char *name,
                      const char **why)
{
	const struct nrb_fw_flow *f = &ev->f;
	const struct nrb_fw_vals *v = m->set ? m->set->vals : &m->vals;

	if (name[0])
		return name_in(v, name);
	if (f->has_src && f->has_dst && memcmp(f->src, f->dst, 16) != 0 &&
	    !is_loopback(f, f->src) && !is_loopback(f, f->dst)) {
		/* only "lo" can be judged without the name */
		int only_lo = v->n > 0 && !v->unknown;

		for (size_t i = 0; i < v->n; i++)
			if (!v->r[i].str || v->r[i].wildcard || strcmp(v->r[i].str, "lo"))
				only_lo = 0;
		if (only_lo)
			return T_NO;
	}
	*why = m->key == FW_K_IIF ? "the flow names no input interface (--iif)"
	                          : "the flow names no output interface (--oif)";
	return T_UNK;
}

/* Address types of src (is_dst 0) or dst, with LOCAL possibly unknown. */
static unsigned addr_types(const struct ev *ev, int is_dst, int *local_unknown)
{
	const struct nrb_fw_flow *f = &ev->f;
	const uint8_t *a = is_dst ? f->dst : f->src;
	unsigned t = 0;

	*local_unknown = 0;
	if (is_multicast(f, a))
		t |= FW_AT_MULTICAST;
	else if (is_bcast(f, a))
		t |= FW_AT_BROADCAST;
	else
		t |= FW_AT_UNICAST;
	if (is_loopback(f, a) || (f->has_src && f->has_dst && !memcmp(f->src, f->dst, 16)))
		return t | FW_AT_LOCAL;
	switch (f->direction) {
	case NRB_FW_DIR_INPUT:
		if (is_dst)
			t |= FW_AT_LOCAL;
		else if (!strcmp(f->iif, "lo"))
			t |= FW_AT_LOCAL;
		break;
	case NRB_FW_DIR_OUTPUT:
		if (!is_dst)
			t |= FW_AT_LOCAL;
		else if (!strcmp(f->oif, "lo"))
			t |= FW_AT_LOCAL;
		else if (!f->oif[0])
			*local_unknown = 1;
		break;
	case NRB_FW_DIR_FORWARD:
		break; /* routed: neither end is this host */
	}
	return t;
}

/* (flags & mask) compared with flags_cmp, or with each value of vals; known says which
 * bits of flags are certain. */
static enum tri tcp_flags_in(const struct nrb_fw_match *m, unsigned flags, unsigned known)
{
	enum tri res = T_NO;
	size_t n = m->vals.n ? m->vals.n : 1;

	for (size_t i = 0; i < n; i++) {
		unsigned cmp = m->flags_cmp;

		if (m->vals.n)
			cmp = (unsigned)m->vals.r[i].lo[15];
		if (((flags ^ cmp) & m->flags_mask & known) != 0)
			continue; /* a certain bit differs */
		if (m->flags_mask & ~known & 0xffu)
			res = T_UNK;
		else
			return T_YES;
	}
	return res;
}

/* @return the index in ev->dyn of a set filled on the way, or ev->ndyn */
static size_t dyn_index(const struct ev *ev, const struct nrb_fw_table *t, const char *set)
{
	size_t i;

	for (i = 0; i < ev->ndyn; i++)
		if (ev->dyn_rule[i]->chain->table == t && !strcmp(ev->dyn[i], set))
			break;
	return i;
}

/* @return the rule that added this packet to the named set on the way, or NULL */
static const struct nrb_fw_rule *dyn_rule(const struct ev *ev, const struct nrb_fw_table *t,
                                          const char *set)
{
	size_t i = dyn_index(ev, t, set);

	return i < ev->ndyn ? ev->dyn_rule[i] : NULL;
}

static enum tri eval_match(const struct ev *ev, const struct nrb_fw_match *m, const char **why)
{
	const struct nrb_fw_flow *f = &ev->f;
	const struct nrb_fw_vals *v = &m->vals;
	enum tri r;
	uint8_t key[16];

	*why = NULL;
	if (m->family && m->family != f->family)
		return T_NO;
	if (m->l4) {
		if (f->proto < 0) {
			*why = "the flow names no protocol";
			return T_UNK;
		}
		if (m->l4 > 0 ? f->proto != m->l4 : !has_ports(f->proto))
			return T_NO;
	}
	if (m->setname) {
		if (!m->set) {
			*why = "the named set is not in the ruleset";
			return T_UNK;
		}
		v = m->set->vals;
		if (v->unknown) {
			*why = "the set's elements are of a type nrb does not evaluate";
			return T_UNK;
		}
	}
	switch (m->key) {
	case FW_K_TRUE:
		r = T_YES;
		break;
	case FW_K_SADDR:
	case FW_K_DADDR:
		if (m->key == FW_K_SADDR ? !f->has_src : !f->has_dst) {
			*why = m->key == FW_K_SADDR ? "the flow names no source address"
			                            : "the flow names no destination address";
			return T_UNK;
		}
		memcpy(key, m->key == FW_K_SADDR ? f->src : f->dst, 16);
		if (f->family == 4)
			memset(key + 4, 0, 12);
		r = in_vals(v, key, f->family);
		break;
	case FW_K_L4PROTO:
		if (f->proto < 0) {
			*why = "the flow names no protocol";
			return T_UNK;
		}
		r = num_in(v, (uint32_t)f->proto);
		break;
	case FW_K_SPORT:
	case FW_K_DPORT:
	case FW_K_ANYPORT: {
		int sp = f->sport, dp = f->dport;

		if (f->proto >= 0 && !has_ports(f->proto))
			return T_NO;
		if (m->key == FW_K_ANYPORT) {
			enum tri a = sp < 0 ? T_UNK : num_in(v, (uint32_t)sp);
			enum tri b = dp < 0 ? T_UNK : num_in(v, (uint32_t)dp);

			r = (a == T_YES || b == T_YES) ? T_YES : (a == T_NO && b == T_NO) ? T_NO : T_UNK;
			if (r == T_UNK)
				*why = "the flow lacks a port";
			break;
		}
		if ((m->key == FW_K_SPORT ? sp : dp) < 0) {
			*why = m->key == FW_K_SPORT ? "the flow names no source port (--sport)"
			                            : "the flow names no destination port";
			return T_UNK;
		}
		r = num_in(v, (uint32_t)(m->key == FW_K_SPORT ? sp : dp));
		break;
	}
	case FW_K_IIF:
	case FW_K_OIF: {
		/* locally generated packets have no input interface, delivered ones no output */
		int none = m->key == FW_K_IIF ? f->direction == NRB_FW_DIR_OUTPUT
		                              : f->direction == NRB_FW_DIR_INPUT;

		r = none ? T_NO : iface(ev, m, m->key == FW_K_IIF ? f->iif : f->oif, why);
		if (none && !m->setname) {
			/* "! -i lo" on output: the name "" is not lo, so the negation holds */
			r = T_NO;
		}
		break;
	}
	case FW_K_CTSTATE:
		if (ev->ct == NRB_FW_CT_UNKNOWN) {
			*why = "the flow gives no conntrack state";
			return T_UNK;
		}
		r = num_in(v, (uint32_t)ev->ct);
		if (r == T_NO && (m->types & 1) && ev->dnat)
			r = T_YES;
		else if (r == T_NO && m->types && ev->ct != NRB_FW_CT_NEW &&
		         ev->ct != NRB_FW_CT_UNTRACKED) {
			/* an older connection may have been NATed when it started */
			*why = "whether this connection was NATed when it started";
			return T_UNK;
		}
		break;
	case FW_K_CTDNAT:
		/* a new connection has the dnat status only if a DNAT rule just acted */
		if (ev->dnat)
			r = in_vals(v, (const uint8_t[16]){[15] = 1}, 0);
		else if (ev->ct == NRB_FW_CT_NEW || ev->ct == NRB_FW_CT_UNTRACKED)
			r = T_NO; /* untracked: no connection, no status */
		else {
			*why = "whether this connection was DNATed when it started";
			return T_UNK;
		}
		break;
	case FW_K_ICMPTYPE:
		if (f->icmp_type < 0) {
			*why = "the flow gives no ICMP type";
			return T_UNK;
		}
		if (f->icmp_code >= 0) {
			r = num_in(v, (uint32_t)(f->icmp_type * 256 + f->icmp_code));
		} else {
			uint8_t lo[16], hi[16];

			fw_num_key((uint32_t)(f->icmp_type * 256), lo);
			fw_num_key((uint32_t)(f->icmp_type * 256 + 255), hi);
			r = v->unknown ? T_UNK : T_NO;
			for (size_t i = 0; i < v->n; i++) {
				if (memcmp(v->r[i].lo, lo, 16) <= 0 && memcmp(v->r[i].hi, hi, 16) >= 0) {
					r = T_YES;
					break;
				}
				if (memcmp(v->r[i].lo, hi, 16) <= 0 && memcmp(v->r[i].hi, lo, 16) >= 0)
					r = T_UNK;
			}
			if (r == T_UNK)
				*why = "the rule names an ICMP code and the flow gives none";
		}
		break;
	case FW_K_NFPROTO:
		r = num_in(v, (uint32_t)f->family);
		break;
	case FW_K_SRCTYPE:
	case FW_K_DSTTYPE: {
		int is_dst = m->key == FW_K_DSTTYPE, lu;
		unsigned t;

		if (is_dst ? !f->has_dst : !f->has_src) {
			*why = is_dst ? "the flow names no destination address"
			              : "the flow names no source address";
			return T_UNK;
		}
		if (m->types & FW_AT_OTHER) {
			*why = "address type other than UNICAST/LOCAL/BROADCAST/MULTICAST";
			return T_UNK;
		}
		t = addr_types(ev, is_dst, &lu);
		if (t & m->types)
			r = T_YES;
		else if (lu && (m->types & FW_AT_LOCAL)) {
			*why = "whether the destination is an address of this host (give --oif)";
			return T_UNK;
		} else
			r = T_NO;
		break;
	}
	case FW_K_PKTTYPE: {
		unsigned t;

		if (!f->has_dst) {
			*why = "the flow names no destination address";
			return T_UNK;
		}
		t = is_multicast(f, f->dst) ? FW_AT_MULTICAST
		    : is_bcast(f, f->dst) ? FW_AT_BROADCAST : FW_AT_UNICAST;
		r = (t & m->types) ? T_YES : T_NO;
		break;
	}
	case FW_K_TCPFLAGS: {
		unsigned flags, known;

		/* the flow's state says which packet it is (f->state: what the caller described,
		 * not the conntrack state a notrack rule may have changed since) */
		if (f->state == NRB_FW_CT_NEW) {
			/* the first packet of a connection: a plain SYN.  An ECN-setup SYN also
			 * has ECE and CWR; Linux sends one only with net.ipv4.tcp_ecn=1 (the
			 * default 2 does not), so nrb takes them as clear (doc/architecture.md) */
			flags = 0x02;
			known = 0xff;
		} else if (f->state == NRB_FW_CT_ESTABLISHED) {
			flags = 0x10; /* a packet of an established one: ACK */
			known = 0x37; /* PSH with data, ECE/CWR with ECN: unknown */
		} else {
			*why = "TCP flags are known only for new (SYN) or established (ACK) flows";
			return T_UNK;
		}
		r = tcp_flags_in(m, flags, known);
		if (r == T_UNK) {
			*why = "the rule tests TCP flags (PSH, ECE, CWR) an established flow's packets may or may not carry";
			return T_UNK;
		}
		break;
	}
	case FW_K_LIMIT:
		*why = m->over ? "over" : "under";
		return T_LIM; /* the caller notes it and takes a quiet rule */
	case FW_K_UNKNOWN:
	default:
		*why = m->stmt ? "nrb does not know what this statement does to the packet"
		               : "nrb does not understand this match";
		return T_UNK;
	}
	if (r == T_NO && m->set && dyn_rule(ev, m->set->table, m->set->name)) {
		/* the listing predates this packet, but a rule on the way put its key in: when
		 * that rule surely matched and added the very key compared here, the packet is
		 * in the set now */
		size_t k = dyn_index(ev, m->set->table, m->set->name);
		const struct nrb_fw_match *dk = ev->dyn_rule[k]->dynset_key;

		if (ev->dyn_sure[k] && dk && dk->key == m->key && dk->family == m->family &&
		    dk->l4 == m->l4 && m->key != FW_K_TRUE) {
			r = T_YES;
		} else {
			*why = "a rule on the way adds packets to this set (add/update @set, meter); this packet may be in it now";
			return T_UNK;
		}
	}
	if (r == T_UNK) {
		if (!*why)
			*why = "some elements of the set are not understood";
		return T_UNK;
	}
	return m->neg ? (r == T_YES ? T_NO : T_YES) : r;
}

/* What a rule's matches say about the flow. */
struct rule_eval {
	const struct nrb_fw_match *um; /* first match or statement that could not be judged */
	const char *why;               /* why not */
	const struct nrb_fw_match *lm; /* first rate limit */
	int quiet;                     /* with no other traffic, every rate limit lets it match */
};

/* @return T_NO (some match fails), T_UNK (re->um: cannot tell), T_LIM (only rate limits
 *         stand between the rule and the packet: re->lm, re->quiet), T_YES */
static enum tri eval_rule(const struct ev *ev, const struct nrb_fw_rule *r, struct rule_eval *re)
{
	memset(re, 0, sizeof(*re));
	re->quiet = 1;
	for (size_t i = 0; i < r->nmatches; i++) {
		const struct nrb_fw_match *m = &r->matches[i];
		const char *w = NULL;
		enum tri t = eval_match(ev, m, &w);

		if (t == T_NO)
			return T_NO;
		if (t == T_UNK && !re->um) {
			re->um = m;
			re->why = w;
		}
		if (t == T_LIM) {
			if (!re->lm)
				re->lm = m;
			if (m->over)
				re->quiet = 0; /* "over": a quiet rule does not match */
		}
	}
	return re->um ? T_UNK : re->lm ? T_LIM : T_YES;
}

/* Does the rule hold a statement nrb does not know (it may act on the packet)? */
static int has_unknown_stmt(const struct nrb_fw_rule *r)
{
	for (size_t i = 0; i < r->nmatches; i++)
		if (r->matches[i].key == FW_K_UNKNOWN && r->matches[i].stmt)
			return 1;
	return 0;
}

/* Can the rule change the packet's fate (even without a verdict)? */
static int has_effect(const struct nrb_fw_rule *r)
{
	return r->verdict != NRB_FW_V_NONE || r->notrack || r->dynset || has_unknown_stmt(r);
}

static void note_rule(struct ev *ev, const struct nrb_fw_rule *r, const char *what,
                      const char *why)
{
	char ref[1024];

	nrb_fw_rule_ref(r, ref, sizeof ref);
	add_note(ev, "cannot evaluate rule %s (%s): %s", ref, what, why);
	ev->uncertain = 1;
}

static enum chain_out eval_chain(struct ev *ev, const struct nrb_fw_chain *c, int depth);

/* Apply the verdict of a rule that matched (for a vmap: of the entry that matched).
 * @return C_ACCEPT/C_DROP/C_REJECT to end the base chain, C_ABORT to stop the walk,
 *         C_CONT to go on; *returned says C_CONT means "leave this chain" (return, or a
 *         goto whose target returned). */
static enum chain_out act(struct ev *ev, const struct nrb_fw_chain *c, const struct nrb_fw_rule *r,
                          enum nrb_fw_vkind v, const struct nrb_fw_chain *target, int depth,
                          int *returned)
{
	enum chain_out o;
	char ref[1024];

	*returned = 0;
	switch (v) {
	case NRB_FW_V_ACCEPT:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		return C_ACCEPT;
	case NRB_FW_V_DROP:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		return C_DROP;
	case NRB_FW_V_REJECT:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		ev->reject_with = r->reject_with;
		return C_REJECT;
	case NRB_FW_V_RETURN:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		*returned = 1;
		return C_CONT;
	case NRB_FW_V_JUMP:
	case NRB_FW_V_GOTO:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		if (!target) {
			note_rule(ev, r, "jump", "its target chain is not in the ruleset");
			return C_CONT;
		}
		if (depth + 1 >= NRB_FW_MAX_DEPTH) {
			note_rule(ev, r, "jump", "chains nest deeper than nrb follows (a loop?)");
			return C_ABORT;
		}
		o = eval_chain(ev, target, depth + 1);
		if (v == NRB_FW_V_GOTO && o == C_CONT)
			*returned = 1; /* the goto target's return returns from this chain too */
		return o;
	case NRB_FW_V_QUEUE:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		note_rule(ev, r, "queue", "the packet is handed to a userspace program whose verdict nrb cannot know");
		return C_ACCEPT;
	case NRB_FW_V_DNAT:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		ev->dnat = 1;
		nrb_fw_rule_ref(r, ref, sizeof ref);
		add_note(ev, "rule %s rewrites the destination (%s); later hooks see the new address, nrb goes on with the original one",
		         ref, r->target ? r->target : "dnat");
		ev->uncertain = 1;
		return C_ACCEPT;
	case NRB_FW_V_SNAT:
		add_step(ev, NRB_FW_STEP_RULE, c, r, v);
		return C_ACCEPT; /* ends the nat chain; source rewriting does not filter */
	case NRB_FW_V_UNKNOWN:
		note_rule(ev, r, r->target ? r->target : "statement",
		          "its target is not understood; nrb assumes it lets the packet continue");
		return C_CONT;
	case NRB_FW_V_NONE:
	case NRB_FW_V_VMAP:
	case NRB_FW_V_NOTRACK:
		break;
	}
	return C_CONT;
}

static enum chain_out eval_vmap(struct ev *ev, const struct nrb_fw_chain *c,
                                const struct nrb_fw_rule *r, int depth, int *returned)
{
	const struct nrb_fw_vmap *vm = r->vmap;

	*returned = 0;
	if (vm) {
		/* a key that cannot apply to this packet (udp dport for a tcp flow) ends it here */
		struct nrb_fw_match pre = vm->keym;
		const char *why;

		pre.key = FW_K_TRUE;
		pre.neg = 0;
		pre.setname = NULL;
		if (eval_match(ev, &pre, &why) == T_NO)
			return C_CONT;
	}
	if (!vm || vm->unknown) {
		note_rule(ev, r, "vmap", vm && vm->setname
		          ? "the named verdict map is missing or has entries nrb does not understand"
		          : "the verdict map has keys or verdicts nrb does not understand");
		return C_CONT;
	}
	for (size_t i = 0; i < vm->n; i++) {
		struct nrb_fw_match m = vm->keym;
		struct fw_range one = vm->e[i].key;
		const char *why;
		enum tri t;

		m.vals.n = 1;
		m.vals.r = &one;
		m.vals.unknown = 0;
		m.neg = 0;
		m.setname = NULL;
		t = eval_match(ev, &m, &why);
		if (t == T_UNK) {
			note_rule(ev, r, vm->keym.desc ? vm->keym.desc : "vmap", why ? why : "?");
			continue;
		}
		if (t == T_YES)
			return act(ev, c, r, vm->e[i].verdict, vm->e[i].target_chain, depth, returned);
	}
	return C_CONT;
}

static void note_limit(struct ev *ev, const struct nrb_fw_rule *r, const struct rule_eval *re)
{
	char ref[1024];

	nrb_fw_rule_ref(r, ref, sizeof ref);
	add_note(ev, "cannot evaluate rule %s (%s): whether a rate limit holds depends on the packets "
	         "the rule saw lately, which nrb cannot know; on a quiet rule (a single probe) %s, "
	         "and the assumed answer takes that", ref,
	         re->lm->desc ? re->lm->desc : "limit",
	         re->quiet ? "the rule matches" : "the rule does not match");
	ev->uncertain = 1;
}

/* The rule puts the packet into a set (add/update @set, meter): a later match on that set
 * may hold for it now. */
static void remember_dynset(struct ev *ev, const struct nrb_fw_rule *r, int sure)
{
	size_t i = dyn_index(ev, r->chain->table, r->dynset);

	if (i < ev->ndyn) {
		if (sure && !ev->dyn_sure[i]) {
			ev->dyn_rule[i] = r;
			ev->dyn_sure[i] = 1;
		}
		return;
	}
	if (ev->ndyn == sizeof ev->dyn / sizeof ev->dyn[0]) {
		add_note(ev, "more sets are filled on the way than nrb follows; later matches on them may be wrong");
		ev->uncertain = 1;
		return;
	}
	ev->dyn[ev->ndyn] = r->dynset;
	ev->dyn_sure[ev->ndyn] = sure;
	ev->dyn_rule[ev->ndyn++] = r;
}

static enum chain_out eval_chain(struct ev *ev, const struct nrb_fw_chain *c, int depth)
{
	for (size_t i = 0; i < c->nrules; i++) {
		const struct nrb_fw_rule *r = c->rules[i];
		struct rule_eval re;
		enum chain_out o;
		enum tri t;
		int returned = 0, effect;

		if (++ev->res->visited > MAX_VISITS) {
			add_note(ev, "stopped after %u rules: the ruleset loops or is too large", MAX_VISITS);
			ev->uncertain = 1;
			return C_ABORT;
		}
		t = eval_rule(ev, r, &re);
		if (t == T_NO)
			continue;
		effect = has_effect(r);
		if (!effect) {
			/* counts or logs only: cannot change the outcome; when it certainly
			 * matched, its counter rises with the packet's, so it is on the path */
			if (t == T_YES)
				add_step(ev, NRB_FW_STEP_RULE, c, r, NRB_FW_V_NONE);
			continue;
		}
		if ((t == T_UNK || t == T_LIM) && r->verdict == NRB_FW_V_NONE && !r->notrack &&
		    r->dynset && !has_unknown_stmt(r)) {
			/* all it can do is put the packet into a set, and it may have: only a
			 * later match on that set can tell, and that one is noted then */
			remember_dynset(ev, r, 0);
			continue;
		}
		if (t == T_UNK) {
			char what[600];

			snprintf(what, sizeof what, "%s%s", re.um->stmt ? "statement " : "",
			         re.um->desc ? re.um->desc : "match");
			note_rule(ev, r, what, re.why ? re.why : "?");
			continue;
		}
		if (t == T_LIM) {
			note_limit(ev, r, &re);
			if (!re.quiet)
				continue;
		}
		/* the rule matches (for a rate limit: on the assumed quiet rule) */
		if (r->dynset)
			remember_dynset(ev, r, t == T_YES);
		if (r->notrack && ev->ct != NRB_FW_CT_UNTRACKED && ev->base &&
		    (ev->base->hook == NRB_FW_HOOK_PREROUTING || ev->base->hook == NRB_FW_HOOK_OUTPUT) &&
		    ev->base->prio < NRB_FW_PRIO_CONNTRACK) {
			/* before conntrack looked the packet up: it stays untracked for every
			 * later hook (ct state untracked, no nat chains) */
			ev->ct = NRB_FW_CT_UNTRACKED;
			add_step(ev, NRB_FW_STEP_RULE, c, r, NRB_FW_V_NOTRACK);
		} else if (r->verdict == NRB_FW_V_NONE) {
			add_step(ev, NRB_FW_STEP_RULE, c, r, NRB_FW_V_NONE);
		}
		if (r->verdict == NRB_FW_V_NONE)
			continue;
		if (r->verdict == NRB_FW_V_VMAP)
			o = eval_vmap(ev, c, r, depth, &returned);
		else
			o = act(ev, c, r, r->verdict, r->target_chain, depth, &returned);
		if (o != C_CONT || returned)
			return o;
	}
	return C_CONT;
}

/* ---- hooks ---- */

static int table_applies(const struct nrb_fw_table *t, int family)
{
	return t->family == NRB_FW_TF_INET || (t->family == NRB_FW_TF_IP && family == 4) ||
	       (t->family == NRB_FW_TF_IP6 && family == 6);
}

struct base {
	const struct nrb_fw_chain *c; /* base chain */
	size_t order;                 /* registration order for equal priorities */
};

static int cmp_base(const void *a, const void *b)
{
	const struct base *x = a, *y = b;

	if (x->c->prio != y->c->prio)
		return x->c->prio < y->c->prio ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Run every base chain of one hook.  @return C_ACCEPT when the packet goes on. */
static enum chain_out run_hook(struct ev *ev, enum nrb_fw_hook hook)
{
	struct base *b = NULL;
	size_t n = 0, cap = 0, order = 0;
	enum chain_out out = C_ACCEPT;

	for (size_t ti = 0; ti < ev->rs->ntables; ti++) {
		const struct nrb_fw_table *t = ev->rs->tables[ti];

		if (!table_applies(t, ev->f.family))
			continue;
		for (size_t ci = 0; ci < t->nchains; ci++) {
			const struct nrb_fw_chain *c = t->chains[ci];

			order++;
			if (c->hook != hook)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct base *nb = realloc(b, nc * sizeof(*nb));

				if (!nb) {
					free(b);
					ev->nomem = 1;
					return C_ABORT;
				}
				b = nb;
				cap = nc;
			}
			b[n].c = c;
			b[n].order = order;
			n++;
		}
	}
	if (n > 1)
		qsort(b, n, sizeof(*b), cmp_base);
	for (size_t i = 0; i < n; i++) {
		const struct nrb_fw_chain *c = b[i].c;
		enum chain_out o;

		/* nat chains see only the first packet of a connection (an untracked packet
		 * has none: never) */
		if (c->type == NRB_FW_CT_NAT && ev->ct != NRB_FW_CT_NEW) {
			if (ev->ct != NRB_FW_CT_UNKNOWN || c->nrules == 0)
				continue;
		}
		ev->base = c;
		o = eval_chain(ev, c, 0);
		if (o == C_CONT) {
			if (c->has_policy && c->policy == NRB_FW_V_DROP) {
				add_step(ev, NRB_FW_STEP_POLICY, c, NULL, NRB_FW_V_DROP);
				out = C_DROP;
				break;
			}
			if (c->nrules && c->type != NRB_FW_CT_NAT)
				add_step(ev, c->has_policy ? NRB_FW_STEP_POLICY : NRB_FW_STEP_END, c, NULL,
				         NRB_FW_V_ACCEPT);
			continue;
		}
		if (o != C_ACCEPT) {
			out = o;
			break;
		}
	}
	free(b);
	return out;
}

void nrb_fw_flow_init(struct nrb_fw_flow *flow)
{
	if (!flow)
		return;
	memset(flow, 0, sizeof(*flow));
	flow->family = 4;
	flow->direction = NRB_FW_DIR_INPUT;
	flow->proto = -1;
	flow->sport = -1;
	flow->dport = -1;
	flow->icmp_type = -1;
	flow->icmp_code = -1;
	flow->state = NRB_FW_CT_NEW;
}

int nrb_fw_flow_set_addr(struct nrb_fw_flow *flow, int which, const char *addr, char *err,
                         size_t errlen)
{
	uint8_t a[16] = {0};
	int fam;
	const char *name = which == 's' ? "source" : "destination";

	if (!flow || !addr || (which != 's' && which != 'd'))
		return nrb_err(err, errlen, EINVAL, "bad arguments");
	if (inet_pton(AF_INET, addr, a) == 1)
		fam = 4;
	else if (inet_pton(AF_INET6, addr, a) == 1)
		fam = 6;
	else
		return nrb_err(err, errlen, EINVAL, "%s address '%.64s' is not a numeric IPv4 or IPv6 address",
		               name, addr);
	if ((which == 's' ? flow->has_dst : flow->has_src) && flow->family != fam)
		return nrb_err(err, errlen, EINVAL, "%s address %s is IPv%d but the other address is IPv%d",
		               name, addr, fam, flow->family);
	flow->family = fam;
	if (which == 's') {
		memcpy(flow->src, a, 16);
		flow->has_src = 1;
	} else {
		memcpy(flow->dst, a, 16);
		flow->has_dst = 1;
	}
	return 0;
}

void nrb_fw_result_free(struct nrb_fw_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nsteps; i++)
		free(res->path[i].ref);
	free(res->path);
	for (size_t i = 0; i < res->nnotes; i++)
		free(res->notes[i]);
	free(res->notes);
	free(res->reject_with);
	memset(res, 0, sizeof(*res));
}

/* The tool that owns the rule or policy that decided, for advice on changing it.  Only
 * the deciding step counts: a flow that merely passed fail2ban's chain (its RETURN) and
 * was accepted later was not banned.  fail2ban's advice is about lifting a ban, so it is
 * named only for a drop or reject. */
static unsigned decide_manager(const struct nrb_fw_ruleset *rs, const struct nrb_fw_result *res)
{
	const struct nrb_fw_step *s;
	unsigned m = 0;

	if (!res->deciding_step)
		return 0;
	s = &res->path[res->deciding_step - 1];
	if (s->kind == NRB_FW_STEP_RULE) {
		m = nrb_fw_rule_manager(s->rule);
	} else {
		m = nrb_fw_chain_manager(s->chain);
		if (!m && s->kind == NRB_FW_STEP_POLICY) {
			/* a built-in chain's policy: ufw and firewalld set those, Docker sets
			 * FORWARD's.  Only here, and only chain and table names: scanning every
			 * rule of a big ruleset on each evaluation cost more than the evaluation */
			unsigned present = 0;

			for (size_t t = 0; t < rs->ntables; t++)
				for (size_t c = 0; c < rs->tables[t]->nchains; c++)
					present |= nrb_fw_chain_manager(rs->tables[t]->chains[c]);
			if (present & NRB_FW_MGR_UFW)
				m = NRB_FW_MGR_UFW;
			else if (present & NRB_FW_MGR_FIREWALLD)
				m = NRB_FW_MGR_FIREWALLD;
			else if ((present & NRB_FW_MGR_DOCKER) && s->chain->hook == NRB_FW_HOOK_FORWARD)
				m = NRB_FW_MGR_DOCKER;
		}
	}
	if (m == NRB_FW_MGR_FAIL2BAN && res->assumed != NRB_FW_DROP && res->assumed != NRB_FW_REJECT)
		m = 0;
	return m;
}

int nrb_fw_evaluate(const struct nrb_fw_ruleset *rs, const struct nrb_fw_flow *flow,
                    struct nrb_fw_result *res, char *err, size_t errlen)
{
	static const enum nrb_fw_hook in_hooks[] = {NRB_FW_HOOK_PREROUTING, NRB_FW_HOOK_INPUT, 0};
	static const enum nrb_fw_hook out_hooks[] = {NRB_FW_HOOK_OUTPUT, NRB_FW_HOOK_POSTROUTING, 0};
	static const enum nrb_fw_hook fwd_hooks[] = {NRB_FW_HOOK_PREROUTING, NRB_FW_HOOK_FORWARD,
	                                             NRB_FW_HOOK_POSTROUTING, 0};
	const enum nrb_fw_hook *hooks;
	enum chain_out o = C_ACCEPT;
	struct ev ev;

	if (!res)
		return nrb_err(err, errlen, EINVAL, "no result to fill");
	memset(res, 0, sizeof(*res));
	if (!rs || !flow)
		return nrb_err(err, errlen, EINVAL, "no ruleset or no flow");
	if (flow->family != 4 && flow->family != 6)
		return nrb_err(err, errlen, EINVAL, "flow family must be 4 or 6, not %d", flow->family);
	switch (flow->direction) {
	case NRB_FW_DIR_INPUT: hooks = in_hooks; break;
	case NRB_FW_DIR_OUTPUT: hooks = out_hooks; break;
	case NRB_FW_DIR_FORWARD: hooks = fwd_hooks; break;
	default:
		return nrb_err(err, errlen, EINVAL, "flow direction must be input, output or forward");
	}
	if (flow->proto > 255 || flow->sport > 65535 || flow->dport > 65535 ||
	    flow->icmp_type > 255 || flow->icmp_code > 255)
		return nrb_err(err, errlen, EINVAL, "flow protocol, port or ICMP type out of range");
	memset(&ev, 0, sizeof ev);
	ev.rs = rs;
	ev.f = *flow;
	ev.f.iif[sizeof ev.f.iif - 1] = '\0';
	ev.f.oif[sizeof ev.f.oif - 1] = '\0';
	ev.res = res;
	ev.ct = flow->state;

	/* a source that could not be read: its rules are missing from the walk */
	for (size_t i = 0; i < rs->nunread; i++) {
		add_note(&ev, "cannot evaluate the rules of a ruleset source that could not be read: %s",
		         rs->unread[i]);
		ev.uncertain = 1;
	}

	for (size_t i = 0; i < rs->ntables; i++) {
		const struct nrb_fw_table *t = rs->tables[i];

		if (t->family != NRB_FW_TF_NETDEV || flow->direction == NRB_FW_DIR_OUTPUT)
			continue;
		for (size_t c = 0; c < t->nchains; c++)
			if (t->chains[c]->hook == NRB_FW_HOOK_INGRESS && t->chains[c]->nrules) {
				add_note(&ev, "table netdev %s chain %s (ingress) is not evaluated", t->name,
				         t->chains[c]->name);
				ev.uncertain = 1;
			}
	}
	for (; *hooks && o == C_ACCEPT; hooks++)
		o = run_hook(&ev, *hooks);
	switch (o) {
	case C_ACCEPT: res->assumed = NRB_FW_ACCEPT; break;
	case C_DROP: res->assumed = NRB_FW_DROP; break;
	case C_REJECT: res->assumed = NRB_FW_REJECT; break;
	default: res->assumed = NRB_FW_UNCERTAIN; ev.uncertain = 1; break;
	}
	res->decision = ev.uncertain ? NRB_FW_UNCERTAIN : res->assumed;
	if (o == C_REJECT && ev.reject_with)
		res->reject_with = strdup(ev.reject_with);
	/* the deciding step: the last that is not a rule that only counted, logged, marked
	 * the packet untracked or rewrote its source (masquerade filters nothing) */
	for (size_t i = res->nsteps; i > 0; i--) {
		const struct nrb_fw_step *s = &res->path[i - 1];

		if (s->kind == NRB_FW_STEP_RULE &&
		    (s->action == NRB_FW_V_NONE || s->action == NRB_FW_V_NOTRACK ||
		     s->action == NRB_FW_V_SNAT))
			continue;
		res->deciding = s->rule;
		res->deciding_chain = s->chain;
		res->deciding_step = i;
		break;
	}
	res->manager = decide_manager(rs, res);
	if (ev.nomem) {
		nrb_fw_result_free(res);
		return nrb_err(err, errlen, ENOMEM, "out of memory while evaluating");
	}
	return 0;
}
