/* fw_nft: parser of `nft -j list ruleset` JSON (libnftables JSON schema 1) into the model
 * (see fw.h).  The JSON is untrusted: its size is bounded, its nesting depth is bounded
 * by the tokenizer, every field is type-checked, and an expression or statement this
 * parser does not know becomes an UNKNOWN match carrying its JSON text. */
#include "fw/fw_int.h"
#include "util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#define NFT_MAX_DEPTH 64

struct nft_ctx {
	struct nrb_fw_ruleset *rs;   /* ruleset being filled */
	const char *source;          /* source name */
	size_t first_table;          /* index of the first table this parse added */
	int skip_dups;               /* skip ip/ip6 tables that iptables text already gave */
	struct nrb_fw_table *last_t; /* lookup cache */
	struct nrb_fw_chain *last_c; /* lookup cache */
	char *err;                   /* error buffer */
	size_t errlen;               /* its size */
};

/* What a value on the right side of a match stands for. */
enum vkind {
	VK_ADDR4, VK_ADDR6, VK_ADDR, VK_NUM, VK_PORT, VK_PROTO, VK_IFNAME, VK_CTSTATE,
	VK_ICMP4, VK_ICMP6, VK_NFPROTO, VK_PKTTYPE, VK_CTSTATUS, VK_UNKNOWN,
};

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int jint(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The single key of a one-key object ({"payload": {...}}), or NULL. */
static const char *one_key(struct json_object *o, struct json_object **val)
{
	struct json_object_iterator it, end;

	if (!o || !json_object_is_type(o, json_type_object) || json_object_object_length(o) != 1)
		return NULL;
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	if (json_object_iter_equal(&it, &end))
		return NULL;
	*val = json_object_iter_peek_value(&it);
	return json_object_iter_peek_name(&it);
}

static enum nrb_fw_tfamily family_of(const char *f)
{
	static const char *const n[] = {"ip", "ip6", "inet", "arp", "bridge", "netdev"};

	for (int i = 0; f && i < 6; i++)
		if (!strcmp(f, n[i]))
			return (enum nrb_fw_tfamily)(NRB_FW_TF_IP + i);
	return 0;
}

static enum nrb_fw_hook hook_of(const char *h)
{
	static const char *const n[] = {"prerouting", "input", "forward", "output",
	                                "postrouting", "ingress", "egress"};

	for (int i = 0; h && i < 7; i++)
		if (!strcmp(h, n[i]))
			return (enum nrb_fw_hook)(NRB_FW_HOOK_PREROUTING + i);
	return NRB_FW_HOOK_NONE;
}

static struct nrb_fw_table *find_table(struct nft_ctx *c, const char *fam, const char *name)
{
	enum nrb_fw_tfamily f = family_of(fam);

	if (!f || !name)
		return NULL;
	if (c->last_t && c->last_t->family == f && !strcmp(c->last_t->name, name))
		return c->last_t;
	for (size_t i = c->first_table; i < c->rs->ntables; i++) {
		struct nrb_fw_table *t = c->rs->tables[i];

		if (t->family == f && !strcmp(t->name, name) && t->origin == NRB_FW_ORIGIN_NFT) {
			c->last_t = t;
			return t;
		}
	}
	return NULL;
}

static int is_iptables_dup(struct nft_ctx *c, const char *fam, const char *name)
{
	enum nrb_fw_tfamily f = family_of(fam);

	if (!c->skip_dups || (f != NRB_FW_TF_IP && f != NRB_FW_TF_IP6) || !name)
		return 0;
	for (size_t i = 0; i < c->first_table; i++) {
		struct nrb_fw_table *t = c->rs->tables[i];

		if (t->origin == NRB_FW_ORIGIN_IPTABLES && t->family == f && !strcmp(t->name, name))
			return 1;
	}
	return 0;
}

/* ---- values ---- */

static int port_by_name(const char *s)
{
	static const struct {
		const char *n;
		int p;
	} svc[] = {{"ssh", 22}, {"http", 80}, {"https", 443}, {"domain", 53}, {"smtp", 25},
	           {"ntp", 123}, {"bootps", 67}, {"bootpc", 68}, {NULL, 0}};
	if (s && s[0] >= '0' && s[0] <= '9') {
		char *end;
		long p = strtol(s, &end, 10);

		return (*end || p > 65535) ? -1 : (int)p;
	}
	for (int i = 0; s && svc[i].n; i++)
		if (!strcmp(s, svc[i].n))
			return svc[i].p;
	return -1;
}

/* One scalar (string or number) into r as kind k. @return 0, or -1 not understood */
static int scalar(struct nft_ctx *c, struct json_object *v, enum vkind k, struct fw_range *r,
                  unsigned *types)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	int64_t n = -1;
	int x;

	if (json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	switch (k) {
	case VK_ADDR4:
	case VK_ADDR6:
	case VK_ADDR:
		if (!s || fw_parse_prefix(s, r) || strchr(s, '/'))
			return -1;
		if ((k == VK_ADDR4 && r->vfam != 4) || (k == VK_ADDR6 && r->vfam != 6))
			return -1;
		return 0;
	case VK_PORT:
		x = s ? port_by_name(s) : (n >= 0 && n <= 65535 ? (int)n : -1);
		break;
	case VK_NUM:
		x = (n >= 0 && n <= 0xffffffffLL) ? (int)n : -1;
		break;
	case VK_PROTO:
		x = s ? fw_proto_num(s) : (n >= 0 && n <= 255 ? (int)n : -1);
		break;
	case VK_IFNAME: {
		size_t len;

		if (!s || (len = strlen(s)) == 0 || len >= 16)
			return -1;
		r->str = fw_strdup(c->rs, s);
		if (!r->str)
			return -1;
		if (s[len - 1] == '*') {
			r->wildcard = 1;
			r->str[len - 1] = '\0';
		}
		return 0;
	}
	case VK_CTSTATE:
		x = s ? (int)fw_ctstate_bit(s) : -1;
		if (x == 0)
			x = -1;
		break;
	case VK_ICMP4:
	case VK_ICMP6:
		x = s ? fw_icmp_type(s, k == VK_ICMP6) : (n >= 0 && n <= 255 ? (int)n : -1);
		if (x < 0)
			return -1;
		fw_num_range(r, (uint32_t)(x * 256), (uint32_t)(x * 256 + 255));
		return 0;
	case VK_NFPROTO:
		if (!s)
			return -1;
		x = (!strcmp(s, "ipv4") || !strcmp(s, "ip")) ? 4
		    : (!strcmp(s, "ipv6") || !strcmp(s, "ip6")) ? 6 : -1;
		break;
	case VK_CTSTATUS:
		x = (s && !strcmp(s, "dnat")) ? 1 : -1;
		break;
	case VK_PKTTYPE:
		if (!s)
			return -1;
		if (!strcmp(s, "host") || !strcmp(s, "unicast"))
			*types |= FW_AT_UNICAST;
		else if (!strcmp(s, "broadcast"))
			*types |= FW_AT_BROADCAST;
		else if (!strcmp(s, "multicast"))
			*types |= FW_AT_MULTICAST;
		else
			*types |= FW_AT_OTHER;
		fw_num_range(r, 0, 0);
		return 0;
	default:
		return -1;
	}
	if (x < 0)
		return -1;
	fw_num_range(r, (uint32_t)x, (uint32_t)x);
	return 0;
}

/* One element (scalar, prefix, range, {"elem":{"val":...}}) into vals. @return 0 or -1 */
static int element(struct nft_ctx *c, struct json_object *e, enum vkind k,
                   struct nrb_fw_vals *vals, unsigned *types)
{
	struct json_object *inner;
	const char *key;
	struct fw_range *r;

	if (json_object_is_type(e, json_type_object) && (key = one_key(e, &inner))) {
		if (!strcmp(key, "elem"))
			return element(c, jget(inner, "val"), k, vals, types);
		r = fw_vals_add(c->rs, vals);
		if (!r)
			return -1;
		if (!strcmp(key, "prefix") && (k == VK_ADDR4 || k == VK_ADDR6 || k == VK_ADDR)) {
			const char *a = jstr(inner, "addr");
			int64_t len;
			char buf[80];

			if (!a || jint(inner, "len", &len) || len < 0 || len > 128 || strlen(a) > 60)
				return -1;
			snprintf(buf, sizeof buf, "%s/%d", a, (int)len);
			if (fw_parse_prefix(buf, r))
				return -1;
			return ((k == VK_ADDR4 && r->vfam != 4) || (k == VK_ADDR6 && r->vfam != 6)) ? -1 : 0;
		}
		if (!strcmp(key, "range") && json_object_is_type(inner, json_type_array) &&
		    json_object_array_length(inner) == 2 && k != VK_IFNAME && k != VK_PKTTYPE) {
			struct fw_range a = {0}, b = {0};

			if (scalar(c, json_object_array_get_idx(inner, 0), k, &a, types) ||
			    scalar(c, json_object_array_get_idx(inner, 1), k, &b, types))
				return -1;
			memcpy(r->lo, a.lo, 16);
			memcpy(r->hi, b.hi, 16);
			r->vfam = a.vfam;
			if (a.vfam != b.vfam || memcmp(r->lo, r->hi, 16) > 0)
				return -1;
			return 0;
		}
		return -1;
	}
	r = fw_vals_add(c->rs, vals);
	if (!r)
		return -1;
	return scalar(c, e, k, r, types);
}

/* Right side of a match into m (vals, set reference or TCP flags). @return 0 or -1 */
static int right_side(struct nft_ctx *c, struct json_object *right, enum vkind k,
                      struct nrb_fw_match *m)
{
	struct json_object *inner;
	const char *key;

	if (json_object_is_type(right, json_type_string) && json_object_get_string(right)[0] == '@') {
		m->setname = fw_strdup(c->rs, json_object_get_string(right) + 1);
		return m->setname ? 0 : -1;
	}
	if (json_object_is_type(right, json_type_object) && (key = one_key(right, &inner)) &&
	    !strcmp(key, "set")) {
		if (json_object_is_type(inner, json_type_array)) {
			size_t n = json_object_array_length(inner);

			for (size_t i = 0; i < n; i++)
				if (element(c, json_object_array_get_idx(inner, i), k, &m->vals, &m->types))
					return -1;
			return 0;
		}
		return element(c, inner, k, &m->vals, &m->types);
	}
	if (json_object_is_type(right, json_type_array)) {
		/* flag list ("ct state established,related"): any of them */
		size_t n = json_object_array_length(right);

		for (size_t i = 0; i < n; i++)
			if (element(c, json_object_array_get_idx(right, i), k, &m->vals, &m->types))
				return -1;
		return 0;
	}
	return element(c, right, k, &m->vals, &m->types);
}

/* Classify the left side of a match: which key, and the kind of its values. */
static enum vkind left_side(struct json_object *left, struct nrb_fw_match *m)
{
	struct json_object *inner;
	const char *key = one_key(left, &inner);
	const char *p, *f;

	if (!key)
		return VK_UNKNOWN;
	if (!strcmp(key, "payload")) {
		p = jstr(inner, "protocol");
		f = jstr(inner, "field");
		if (!p || !f)
			return VK_UNKNOWN;
		if (!strcmp(p, "ip") || !strcmp(p, "ip6")) {
			m->family = p[2] == '6' ? 6 : 4;
			if (!strcmp(f, "saddr") || !strcmp(f, "daddr")) {
				m->key = f[0] == 's' ? FW_K_SADDR : FW_K_DADDR;
				return m->family == 6 ? VK_ADDR6 : VK_ADDR4;
			}
			if (!strcmp(f, "protocol") || !strcmp(f, "nexthdr")) {
				m->key = FW_K_L4PROTO;
				return VK_PROTO;
			}
			return VK_UNKNOWN;
		}
		if (!strcmp(f, "sport") || !strcmp(f, "dport")) {
			int l4 = !strcmp(p, "th") ? -1 : fw_proto_num(p);

			if (l4 == 0 || (l4 < 0 && strcmp(p, "th")))
				return VK_UNKNOWN;
			m->l4 = l4;
			m->key = f[0] == 's' ? FW_K_SPORT : FW_K_DPORT;
			return VK_PORT;
		}
		if ((!strcmp(p, "icmp") || !strcmp(p, "icmpv6")) && !strcmp(f, "type")) {
			m->key = FW_K_ICMPTYPE;
			m->l4 = p[4] ? 58 : 1;
			m->family = p[4] ? 6 : 4;
			return p[4] ? VK_ICMP6 : VK_ICMP4;
		}
		return VK_UNKNOWN;
	}
	if (!strcmp(key, "meta")) {
		const char *mk = jstr(inner, "key");

		if (!mk)
			return VK_UNKNOWN;
		if (!strcmp(mk, "l4proto")) {
			m->key = FW_K_L4PROTO;
			return VK_PROTO;
		}
		if (!strcmp(mk, "iifname") || !strcmp(mk, "iif")) {
			m->key = FW_K_IIF;
			return VK_IFNAME;
		}
		if (!strcmp(mk, "oifname") || !strcmp(mk, "oif")) {
			m->key = FW_K_OIF;
			return VK_IFNAME;
		}
		if (!strcmp(mk, "nfproto") || !strcmp(mk, "protocol")) {
			m->key = FW_K_NFPROTO;
			return VK_NFPROTO;
		}
		if (!strcmp(mk, "pkttype")) {
			m->key = FW_K_PKTTYPE;
			return VK_PKTTYPE;
		}
		return VK_UNKNOWN;
	}
	if (!strcmp(key, "ct")) {
		const char *ck = jstr(inner, "key");

		if (ck && !strcmp(ck, "state") && !jget(inner, "dir")) {
			m->key = FW_K_CTSTATE;
			return VK_CTSTATE;
		}
		if (ck && !strcmp(ck, "status") && !jget(inner, "dir")) {
			m->key = FW_K_CTDNAT;
			return VK_CTSTATUS;
		}
		return VK_UNKNOWN;
	}
	return VK_UNKNOWN;
}

static int tcp_flags_of(struct json_object *v, unsigned *out)
{
	*out = 0;
	if (json_object_is_type(v, json_type_string)) {
		unsigned b = fw_tcpflag_bit(json_object_get_string(v));

		if (b == 0x100u)
			return -1;
		*out = b;
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);

		if (n < 0 || n > 255)
			return -1;
		*out = (unsigned)n;
		return 0;
	}
	{
		/* a flag list ["fin", "syn"] or a combination {"|": ["syn", "ack"]}: the union */
		struct json_object *inner;
		const char *k = one_key(v, &inner);

		if (k && !strcmp(k, "|"))
			v = inner;
	}
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			unsigned b;

			if (tcp_flags_of(json_object_array_get_idx(v, i), &b))
				return -1;
			*out |= b;
		}
		return 0;
	}
	return -1;
}

static int is_tcp_flags(struct json_object *e)
{
	struct json_object *pi;
	const char *pk = one_key(e, &pi);

	return pk && !strcmp(pk, "payload") && jstr(pi, "protocol") &&
	       !strcmp(jstr(pi, "protocol"), "tcp") && jstr(pi, "field") &&
	       !strcmp(jstr(pi, "field"), "flags");
}

/* A TCP flags match into m; left is `tcp flags` or `tcp flags & MASK`.  The forms nft
 * lists (1.0.6):
 *   tcp flags syn            {"op": "in", "right": "syn"}           any of them is set
 *   tcp flags syn,ack        {"op": "in", "right": ["syn", "ack"]}  any of them is set
 *   tcp flags == syn         {"op": "==", "right": "syn"}           exactly these
 *   tcp flags != syn         {"op": "!=", ...}                      not exactly these
 *   tcp flags { syn, syn|ack }  {"op": "==", "right": {"set": [...]}} exactly one of them
 *   tcp flags & (fin|syn|rst|ack) == syn   (also `tcp flags syn / fin,syn,rst,ack`)
 * Each becomes (flags & flags_mask) compared with flags_cmp, or with every value of vals.
 * @return 0 understood, -1 not */
static int tcp_flags_match(struct nft_ctx *c, struct nrb_fw_match *m, struct json_object *mask,
                           const char *op, struct json_object *right)
{
	struct json_object *inner = NULL;
	const char *rk = one_key(right, &inner);

	m->flags_mask = 0xff;
	if (mask && tcp_flags_of(mask, &m->flags_mask))
		return -1;
	if (!strcmp(op, "in") && !mask) {
		/* any of the flags: not (flags & F == 0) */
		if (tcp_flags_of(right, &m->flags_mask) || m->flags_mask == 0)
			return -1;
		m->flags_cmp = 0;
		m->neg = 1;
	} else if (!strcmp(op, "==") || !strcmp(op, "!=") || (!strcmp(op, "in") && rk)) {
		m->neg = op[0] == '!';
		if (rk && !strcmp(rk, "set") && json_object_is_type(inner, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(inner); i++) {
				struct fw_range *rg = fw_vals_add(c->rs, &m->vals);
				unsigned v;

				if (!rg || tcp_flags_of(json_object_array_get_idx(inner, i), &v))
					return -1;
				fw_num_range(rg, v & m->flags_mask, v & m->flags_mask);
			}
			if (m->vals.n == 0)
				return -1;
		} else if (tcp_flags_of(right, &m->flags_cmp)) {
			return -1;
		}
		m->flags_cmp &= m->flags_mask;
	} else {
		return -1;
	}
	m->key = FW_K_TCPFLAGS;
	m->l4 = 6;
	return 0;
}

/* `ip saddr & 255.255.0.255 == 198.51.0.0`: how iptables-nft lists a non-contiguous
 * netmask.  @return 0 understood, -1 not */
static int masked_addr_match(struct nrb_fw_match *m, struct json_object *addr,
                             struct json_object *mask, const char *op, struct json_object *right,
                             struct nft_ctx *c)
{
	struct fw_range mk = {0}, *rg;
	enum vkind k = left_side(addr, m);

	if ((m->key != FW_K_SADDR && m->key != FW_K_DADDR) || (k != VK_ADDR4 && k != VK_ADDR6) ||
	    (strcmp(op, "==") && strcmp(op, "!=")) || !json_object_is_type(mask, json_type_string) ||
	    !json_object_is_type(right, json_type_string) ||
	    fw_parse_prefix(json_object_get_string(mask), &mk) || strchr(json_object_get_string(mask), '/') ||
	    mk.vfam != m->family)
		return -1;
	rg = fw_vals_add(c->rs, &m->vals);
	if (!rg || scalar(c, right, k, rg, NULL))
		return -1;
	fw_mask_range(rg, mk.lo, m->family);
	m->neg = op[0] == '!';
	return 0;
}

/* Short text of an expression for rule texts and notes (nft-like, bounded). */
static void render(struct json_object *e, char *buf, size_t len)
{
	struct json_object *inner;
	const char *key;

	if (!e) {
		fw_appendf(buf, len, "?");
		return;
	}
	if (json_object_is_type(e, json_type_string) || json_object_is_type(e, json_type_int)) {
		fw_appendf(buf, len, "%s", json_object_get_string(e));
		return;
	}
	key = one_key(e, &inner);
	if (key && !strcmp(key, "payload")) {
		fw_appendf(buf, len, "%s %s", jstr(inner, "protocol") ? jstr(inner, "protocol") : "?",
		           jstr(inner, "field") ? jstr(inner, "field") : "?");
	} else if (key && !strcmp(key, "meta")) {
		const char *k = jstr(inner, "key");

		if (k && (!strcmp(k, "iifname") || !strcmp(k, "oifname") || !strcmp(k, "iif") ||
		          !strcmp(k, "oif")))
			fw_appendf(buf, len, "%s", k);
		else
			fw_appendf(buf, len, "meta %s", k ? k : "?");
	} else if (key && !strcmp(key, "ct")) {
		fw_appendf(buf, len, "ct %s", jstr(inner, "key") ? jstr(inner, "key") : "?");
	} else if (key && !strcmp(key, "prefix")) {
		int64_t l = 0;

		jint(inner, "len", &l);
		fw_appendf(buf, len, "%s/%d", jstr(inner, "addr") ? jstr(inner, "addr") : "?", (int)l);
	} else if (key && !strcmp(key, "range") && json_object_is_type(inner, json_type_array) &&
	           json_object_array_length(inner) == 2) {
		render(json_object_array_get_idx(inner, 0), buf, len);
		fw_appendf(buf, len, "-");
		render(json_object_array_get_idx(inner, 1), buf, len);
	} else if (key && !strcmp(key, "set") && json_object_is_type(inner, json_type_array)) {
		fw_appendf(buf, len, "{ ");
		for (size_t i = 0; i < json_object_array_length(inner) && i < 16; i++) {
			if (i)
				fw_appendf(buf, len, ", ");
			render(json_object_array_get_idx(inner, i), buf, len);
		}
		fw_appendf(buf, len, json_object_array_length(inner) > 16 ? ", ... }" : " }");
	} else if (json_object_is_type(e, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(e) && i < 16; i++) {
			if (i)
				fw_appendf(buf, len, ",");
			render(json_object_array_get_idx(e, i), buf, len);
		}
	} else {
		const char *js = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);

		fw_appendf(buf, len, "%.200s", js ? js : "?");
	}
}

static int parse_match(struct nft_ctx *c, struct nrb_fw_rule *r, struct json_object *mo,
                       char *text, size_t tlen)
{
	struct json_object *left = jget(mo, "left"), *right = jget(mo, "right"), *inner;
	const char *op = jstr(mo, "op");
	struct nrb_fw_match *m = fw_match_add(c->rs, r);
	char desc[512] = "";
	enum vkind k;
	const char *lk;

	if (!m)
		return -ENOMEM;
	render(left, desc, sizeof desc);
	fw_appendf(desc, sizeof desc, " %s ", op ? op : "?");
	render(right, desc, sizeof desc);
	m->desc = fw_strdup(c->rs, desc);
	if (!m->desc)
		return -ENOMEM;
	fw_appendf(text, tlen, "%s%s", text[0] ? " " : "", desc);
	if (!op || !left || !right) {
		m->key = FW_K_UNKNOWN;
		return 0;
	}
	/* tcp flags (& mask) OP value(s); address & mask == value */
	if (is_tcp_flags(left)) {
		if (tcp_flags_match(c, m, NULL, op, right))
			*m = (struct nrb_fw_match){.key = FW_K_UNKNOWN, .desc = m->desc};
		return 0;
	}
	lk = one_key(left, &inner);
	if (lk && !strcmp(lk, "&") && json_object_is_type(inner, json_type_array) &&
	    json_object_array_length(inner) == 2) {
		struct json_object *pl = json_object_array_get_idx(inner, 0);
		struct json_object *mask = json_object_array_get_idx(inner, 1);
		int e = is_tcp_flags(pl) ? tcp_flags_match(c, m, mask, op, right)
		                         : masked_addr_match(m, pl, mask, op, right, c);

		if (e)
			*m = (struct nrb_fw_match){.key = FW_K_UNKNOWN, .desc = m->desc};
		return 0;
	}
	k = left_side(left, m);
	if (k == VK_UNKNOWN) {
		m->key = FW_K_UNKNOWN;
		return 0;
	}
	if (!strcmp(op, "==") || !strcmp(op, "in")) {
		m->neg = 0;
	} else if (!strcmp(op, "!=")) {
		m->neg = 1;
	} else if ((!strcmp(op, "<") || !strcmp(op, ">") || !strcmp(op, "<=") || !strcmp(op, ">=")) &&
	           (k == VK_PORT || k == VK_PROTO) && json_object_is_type(right, json_type_int)) {
		int64_t v = json_object_get_int64(right), max = k == VK_PORT ? 65535 : 255;
		int64_t lo = 0, hi = max;
		struct fw_range *rg;

		if (op[0] == '<')
			hi = op[1] == '=' ? v : v - 1;
		else
			lo = op[1] == '=' ? v : v + 1;
		if (lo < 0)
			lo = 0;
		if (hi > max)
			hi = max;
		rg = fw_vals_add(c->rs, &m->vals);
		if (!rg)
			return -ENOMEM;
		if (lo > hi) /* empty: can never match; keep an impossible range */
			fw_num_range(rg, 1, 0);
		else
			fw_num_range(rg, (uint32_t)lo, (uint32_t)hi);
		return 0;
	} else {
		m->key = FW_K_UNKNOWN;
		return 0;
	}
	if (right_side(c, right, k, m)) {
		m->key = FW_K_UNKNOWN;
		m->setname = NULL;
	}
	return 0;
}

static enum nrb_fw_vkind verdict_of(const char *key)
{
	if (!strcmp(key, "accept"))
		return NRB_FW_V_ACCEPT;
	if (!strcmp(key, "drop"))
		return NRB_FW_V_DROP;
	if (!strcmp(key, "return"))
		return NRB_FW_V_RETURN;
	if (!strcmp(key, "jump"))
		return NRB_FW_V_JUMP;
	if (!strcmp(key, "goto"))
		return NRB_FW_V_GOTO;
	if (!strcmp(key, "continue"))
		return NRB_FW_V_NONE;
	return NRB_FW_V_UNKNOWN;
}

/* Entries [[key, verdict], ...] of a verdict map into v (keys of kind k). */
static int vmap_entries(struct nft_ctx *c, struct nrb_fw_vmap *v, struct json_object *arr,
                        enum vkind k)
{
	v->n = json_object_array_length(arr);
	if (v->n > 100000) {
		v->unknown = 1;
		v->n = 0;
		return 0;
	}
	v->e = fw_alloc(c->rs, (v->n ? v->n : 1) * sizeof(*v->e));
	if (!v->e)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		struct json_object *pair = json_object_array_get_idx(arr, i), *vd;
		struct nrb_fw_vals tmp = {0};
		const char *vk;
		unsigned types = 0;

		if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
		    element(c, json_object_array_get_idx(pair, 0), k, &tmp, &types) || tmp.n != 1 ||
		    !(vk = one_key(json_object_array_get_idx(pair, 1), &vd))) {
			v->unknown = 1;
			continue;
		}
		v->e[i].key = tmp.r[0];
		v->e[i].verdict = verdict_of(vk);
		if (v->e[i].verdict == NRB_FW_V_JUMP || v->e[i].verdict == NRB_FW_V_GOTO) {
			v->e[i].target = fw_strdup(c->rs, jstr(vd, "target") ? jstr(vd, "target") : "");
			if (!v->e[i].target)
				return -ENOMEM;
		}
		if (v->e[i].verdict == NRB_FW_V_UNKNOWN)
			v->unknown = 1;
	}
	return 0;
}

static int parse_vmap(struct nft_ctx *c, struct nrb_fw_rule *r, struct json_object *vm,
                      char *text, size_t tlen)
{
	struct nrb_fw_vmap *v = fw_alloc(c->rs, sizeof(*v));
	struct json_object *data = jget(vm, "data"), *inner;
	const char *dk;
	enum vkind k;
	char buf[512] = "";

	if (!v)
		return -ENOMEM;
	r->vmap = v;
	r->verdict = NRB_FW_V_VMAP;
	render(jget(vm, "key"), buf, sizeof buf);
	fw_appendf(buf, sizeof buf, " vmap ");
	render(data, buf, sizeof buf);
	fw_appendf(text, tlen, "%s%s", text[0] ? " " : "", buf);
	v->keym.desc = fw_strdup(c->rs, buf);
	k = left_side(jget(vm, "key"), &v->keym);
	if (k != VK_UNKNOWN && json_object_is_type(data, json_type_string) &&
	    json_object_get_string(data)[0] == '@') {
		/* a named verdict map: its entries are joined in by fw_resolve */
		v->setname = fw_strdup(c->rs, json_object_get_string(data) + 1);
		return v->setname ? 0 : -ENOMEM;
	}
	dk = one_key(data, &inner);
	if (k == VK_UNKNOWN || !dk || strcmp(dk, "set") || !json_object_is_type(inner, json_type_array)) {
		v->unknown = 1;
		return 0;
	}
	return vmap_entries(c, v, inner, k);
}

static const char *reject_text(struct nft_ctx *c, struct json_object *rj)
{
	const char *type = jstr(rj, "type"), *expr = jstr(rj, "expr");
	char buf[128];

	if (!type)
		return "port-unreachable";
	if (!strcmp(type, "tcp reset"))
		return "tcp reset";
	snprintf(buf, sizeof buf, "%s %s", type, expr ? expr : "port-unreachable");
	return fw_strdup(c->rs, buf);
}

/* A limit statement ({"rate": 1, "per": "second", "inv": true, "burst": 5,
 * "rate_unit": "mbytes"}) as a FW_K_LIMIT match; the text keeps "over" (`inv`), so the
 * rule reads as nft lists it.  A named limit object ({"limit": "name"}) says neither rate
 * nor direction here: an unknown match.  prefix: text before it ("ip saddr" in a meter). */
static int limit_match(struct nft_ctx *c, struct nrb_fw_rule *r, struct json_object *v,
                       const char *prefix, char *text, size_t tlen)
{
	struct nrb_fw_match *m = fw_match_add(c->rs, r);
	struct json_object *inv = jget(v, "inv");
	const char *unit = jstr(v, "rate_unit"), *bunit = jstr(v, "burst_unit");
	int64_t rate = 0, burst = -1;
	char d[160] = "";

	if (!m)
		return -ENOMEM;
	if (prefix)
		fw_appendf(d, sizeof d, "%s ", prefix);
	if (json_object_is_type(v, json_type_string)) {
		/* `limit name "x"`: the rate and its direction are in the object */
		fw_appendf(d, sizeof d, "limit name \"%.64s\"", json_object_get_string(v));
		m->key = FW_K_UNKNOWN;
	} else if (jint(v, "rate", &rate) || !jstr(v, "per")) {
		char js[96] = "";

		render(v, js, sizeof js);
		fw_appendf(d, sizeof d, "limit %s", js);
		m->key = FW_K_UNKNOWN;
	} else {
		m->key = FW_K_LIMIT;
		m->over = inv && json_object_get_boolean(inv);
		jint(v, "burst", &burst);
		fw_appendf(d, sizeof d, "limit rate %s%lld", m->over ? "over " : "", (long long)rate);
		if (unit && strcmp(unit, "packets"))
			fw_appendf(d, sizeof d, " %s", unit);
		fw_appendf(d, sizeof d, "/%s", jstr(v, "per"));
		/* nft leaves out the default burst: 5 packets, 0 bytes */
		if (burst > 0 && !((!unit || !strcmp(unit, "packets")) && burst == 5))
			fw_appendf(d, sizeof d, " burst %lld %s", (long long)burst, bunit ? bunit : "packets");
	}
	m->desc = fw_strdup(c->rs, d);
	if (!m->desc)
		return -ENOMEM;
	fw_appendf(text, tlen, "%s%s", text[0] ? " " : "", d);
	return 0;
}

/* One statement inside a meter or set statement: a limit gates the rule; a counter
 * counts; anything else (ct count, quota) is an unknown match.  head: the text of the
 * set statement up to here, put before the first one ("add @s { ip saddr"). */
static int dynset_inner(struct nft_ctx *c, struct nrb_fw_rule *r, struct json_object *one,
                        const char *head, char *text, size_t tlen)
{
	struct json_object *sv;
	const char *sk = one_key(one, &sv);
	struct nrb_fw_match *m;
	char d[256] = "";

	if (sk && !strcmp(sk, "limit"))
		return limit_match(c, r, sv, head, text, tlen);
	if (head)
		fw_appendf(d, sizeof d, "%s ", head);
	if (sk && !strcmp(sk, "counter")) {
		fw_appendf(text, tlen, "%s%scounter", text[0] ? " " : "", d);
		return 0;
	}
	m = fw_match_add(c->rs, r);
	if (!m)
		return -ENOMEM;
	m->key = FW_K_UNKNOWN;
	render(one, d, sizeof d);
	m->desc = fw_strdup(c->rs, d);
	if (!m->desc)
		return -ENOMEM;
	fw_appendf(text, tlen, "%s%s", text[0] ? " " : "", d);
	return 0;
}

/* `meter NAME { KEY limit rate over N/second }` and `add|update @SET { KEY [limit ...] }`:
 * the packet's key goes into a set as it passes (r->dynset: a later match on that set may
 * now hold this packet); a limit inside is a per-key rate limit and gates the rule like a
 * limit statement.  JSON: {"meter": {"name", "key", "stmt": {...}}},
 * {"set": {"op", "set": "@s", "elem", "stmt": [...]}}. */
static int dynset_stmt(struct nft_ctx *c, struct nrb_fw_rule *r, const char *key,
                       struct json_object *v, char *text, size_t tlen)
{
	int is_set = !strcmp(key, "set");
	const char *name = jstr(v, is_set ? "set" : "name"), *op = jstr(v, "op");
	struct json_object *stmts = jget(v, "stmt");
	char k[128] = "", head[256];
	size_t n = 0;
	int e = 0;

	if (name && name[0] == '@')
		name++;
	render(jget(v, is_set ? "elem" : "key"), k, sizeof k);
	if (is_set)
		snprintf(head, sizeof head, "%s @%s { %s", op ? op : "?", name ? name : "?", k);
	else
		snprintf(head, sizeof head, "meter %s { %s", name ? name : "?", k);
	if (name && !(r->dynset = fw_strdup(c->rs, name)))
		return -ENOMEM;
	{
		/* a plain key (ip saddr, tcp dport) is one nrb can compare with a later match
		 * on the set; a concatenation or expression is not */
		struct nrb_fw_match *km = fw_alloc(c->rs, sizeof(*km));

		if (!km)
			return -ENOMEM;
		if (left_side(jget(v, is_set ? "elem" : "key"), km) != VK_UNKNOWN)
			r->dynset_key = km;
	}
	if (stmts && json_object_is_type(stmts, json_type_array)) {
		n = json_object_array_length(stmts);
		for (size_t i = 0; i < n && !e; i++)
			e = dynset_inner(c, r, json_object_array_get_idx(stmts, i), i ? NULL : head,
			                 text, tlen);
	} else if (stmts) {
		n = 1; /* a meter's one statement */
		e = dynset_inner(c, r, stmts, head, text, tlen);
	}
	if (e)
		return e;
	if (n == 0)
		fw_appendf(text, tlen, "%s%s", text[0] ? " " : "", head);
	fw_appendf(text, tlen, " }");
	return 0;
}

static int parse_rule(struct nft_ctx *c, struct json_object *ro, size_t idx)
{
	const char *fam = jstr(ro, "family"), *tname = jstr(ro, "table"), *cname = jstr(ro, "chain");
	struct json_object *expr = jget(ro, "expr");
	struct nrb_fw_table *t;
	struct nrb_fw_chain *ch;
	struct nrb_fw_rule *r;
	char text[2048] = "";
	int64_t handle = 0;

	if (!fam || !tname || !cname || !expr || !json_object_is_type(expr, json_type_array))
		return nrb_err(c->err, c->errlen, EINVAL,
		               "%s: object %zu: rule without family/table/chain/expr", c->source, idx);
	if (is_iptables_dup(c, fam, tname))
		return 0;
	t = find_table(c, fam, tname);
	if (!t)
		return nrb_err(c->err, c->errlen, EINVAL, "%s: object %zu: rule for unknown table %s %s",
		               c->source, idx, fam, tname);
	ch = (c->last_c && c->last_c->table == t && !strcmp(c->last_c->name, cname))
	     ? c->last_c : fw_chain_find(t, cname);
	if (!ch)
		return nrb_err(c->err, c->errlen, EINVAL,
		               "%s: object %zu: rule for unknown chain %s in table %s %s", c->source,
		               idx, cname, fam, tname);
	c->last_c = ch;
	r = fw_rule_add(c->rs, ch);
	if (!r)
		return -ENOMEM;
	jint(ro, "handle", &handle);
	r->handle = handle > 0 ? (uint64_t)handle : 0;
	if (jstr(ro, "comment") && !(r->comment = fw_strdup(c->rs, jstr(ro, "comment"))))
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(expr); i++) {
		struct json_object *st = json_object_array_get_idx(expr, i), *v;
		const char *key = one_key(st, &v);
		int e = 0;

		if (!key) {
			struct nrb_fw_match *m = fw_match_add(c->rs, r);

			if (!m)
				return -ENOMEM;
			m->key = FW_K_UNKNOWN;
			m->desc = "malformed statement";
			continue;
		}
		if (!strcmp(key, "match")) {
			e = parse_match(c, r, v, text, sizeof text);
		} else if (!strcmp(key, "counter")) {
			int64_t p = 0, b = 0;

			if (!jint(v, "packets", &p) && !jint(v, "bytes", &b) && p >= 0 && b >= 0) {
				r->has_counter = 1;
				r->packets = (uint64_t)p;
				r->bytes = (uint64_t)b;
			}
			fw_appendf(text, sizeof text, "%scounter", text[0] ? " " : "");
		} else if (!strcmp(key, "accept") || !strcmp(key, "drop") || !strcmp(key, "return") ||
		           !strcmp(key, "continue") || !strcmp(key, "jump") || !strcmp(key, "goto")) {
			r->verdict = verdict_of(key);
			if (r->verdict == NRB_FW_V_JUMP || r->verdict == NRB_FW_V_GOTO) {
				const char *tg = jstr(v, "target");

				if (!tg)
					return nrb_err(c->err, c->errlen, EINVAL,
					               "%s: table %s %s chain %s handle %llu: %s without target",
					               c->source, fam, tname, cname, (unsigned long long)r->handle, key);
				r->target = fw_strdup(c->rs, tg);
				if (!r->target)
					return -ENOMEM;
				fw_appendf(text, sizeof text, "%s%s %s", text[0] ? " " : "", key, tg);
			} else {
				fw_appendf(text, sizeof text, "%s%s", text[0] ? " " : "", key);
			}
		} else if (!strcmp(key, "reject")) {
			r->verdict = NRB_FW_V_REJECT;
			r->reject_with = (char *)reject_text(c, v);
			fw_appendf(text, sizeof text, "%sreject with %s", text[0] ? " " : "", r->reject_with);
		} else if (!strcmp(key, "queue")) {
			r->verdict = NRB_FW_V_QUEUE;
			fw_appendf(text, sizeof text, "%squeue", text[0] ? " " : "");
		} else if (!strcmp(key, "dnat") || !strcmp(key, "redirect") || !strcmp(key, "tproxy")) {
			r->verdict = NRB_FW_V_DNAT;
			r->target = fw_strdup(c->rs, key);
			fw_appendf(text, sizeof text, "%s%s", text[0] ? " " : "", key);
		} else if (!strcmp(key, "snat") || !strcmp(key, "masquerade")) {
			r->verdict = NRB_FW_V_SNAT;
			r->target = fw_strdup(c->rs, key);
			fw_appendf(text, sizeof text, "%s%s", text[0] ? " " : "", key);
		} else if (!strcmp(key, "vmap")) {
			e = parse_vmap(c, r, v, text, sizeof text);
		} else if (!strcmp(key, "limit")) {
			e = limit_match(c, r, v, NULL, text, sizeof text);
		} else if (!strcmp(key, "notrack")) {
			r->notrack = 1;
			fw_appendf(text, sizeof text, "%snotrack", text[0] ? " " : "");
		} else if (!strcmp(key, "meter") || !strcmp(key, "set")) {
			e = dynset_stmt(c, r, key, v, text, sizeof text);
		} else if (!strcmp(key, "log") || !strcmp(key, "mangle") || !strcmp(key, "ct helper") ||
		           !strcmp(key, "ct timeout") || !strcmp(key, "ct expectation") ||
		           !strcmp(key, "flow") || !strcmp(key, "dup") || !strcmp(key, "last")) {
			/* logging, marks, helpers, offload, a copy of the packet: the verdict
			 * stays the rule's (marks matter only to matches nrb does not evaluate) */
			fw_appendf(text, sizeof text, "%s%s", text[0] ? " " : "", key);
		} else if (!strcmp(key, "xt") && jstr(v, "type") && !strcmp(jstr(v, "type"), "target") &&
		           jstr(v, "name") && (!strcmp(jstr(v, "name"), "LOG") ||
		                               !strcmp(jstr(v, "name"), "NFLOG"))) {
			fw_appendf(text, sizeof text, "%sxt target %s", text[0] ? " " : "", jstr(v, "name"));
		} else {
			/* an expression or statement this parser does not know: it might match
			 * or not, and it might end the rule; the evaluator will say so */
			struct nrb_fw_match *m = fw_match_add(c->rs, r);
			char d[256] = "";

			if (!m)
				return -ENOMEM;
			m->key = FW_K_UNKNOWN;
			/* quota, ct count and xt matches decide whether the rule applies (a
			 * match); anything else may act on the packet itself (synproxy drops
			 * or answers it): a statement, noted even on a rule with no verdict */
			m->stmt = strcmp(key, "quota") && strcmp(key, "ct count") &&
			          !(!strcmp(key, "xt") && jstr(v, "type") && !strcmp(jstr(v, "type"), "match"));
			render(st, d, sizeof d);
			m->desc = fw_strdup(c->rs, d);
			fw_appendf(text, sizeof text, "%s%s", text[0] ? " " : "", d);
			if (r->verdict == NRB_FW_V_NONE && !strcmp(key, "xt") && jstr(v, "type") &&
			    !strcmp(jstr(v, "type"), "target")) {
				r->verdict = NRB_FW_V_UNKNOWN;
				r->target = fw_strdup(c->rs, jstr(v, "name") ? jstr(v, "name") : "xt");
			}
		}
		if (e)
			return e;
	}
	if (r->comment)
		fw_appendf(text, sizeof text, " comment \"%s\"", r->comment);
	r->text = fw_strdup(c->rs, text);
	return r->text ? 0 : -ENOMEM;
}

static enum vkind set_kind(const char *type)
{
	if (!type)
		return VK_UNKNOWN;
	if (!strcmp(type, "ipv4_addr"))
		return VK_ADDR4;
	if (!strcmp(type, "ipv6_addr"))
		return VK_ADDR6;
	if (!strcmp(type, "inet_service"))
		return VK_PORT;
	if (!strcmp(type, "inet_proto"))
		return VK_PROTO;
	if (!strcmp(type, "ifname"))
		return VK_IFNAME;
	if (!strcmp(type, "ct_state"))
		return VK_CTSTATE;
	if (!strcmp(type, "icmp_type"))
		return VK_ICMP4;
	if (!strcmp(type, "icmpv6_type"))
		return VK_ICMP6;
	return VK_UNKNOWN;
}

static int parse_set(struct nft_ctx *c, struct json_object *so, int is_map, size_t idx)
{
	const char *fam = jstr(so, "family"), *tname = jstr(so, "table"), *name = jstr(so, "name");
	struct json_object *type = jget(so, "type"), *elem = jget(so, "elem");
	struct nrb_fw_table *t;
	struct nrb_fw_set *s;
	enum vkind k;
	unsigned types = 0;

	if (!fam || !tname || !name)
		return nrb_err(c->err, c->errlen, EINVAL, "%s: object %zu: set without family/table/name",
		               c->source, idx);
	if (is_iptables_dup(c, fam, tname))
		return 0;
	t = find_table(c, fam, tname);
	if (!t)
		return nrb_err(c->err, c->errlen, EINVAL, "%s: object %zu: set %s for unknown table",
		               c->source, idx, name);
	s = fw_alloc(c->rs, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->table = t;
	s->name = fw_strdup(c->rs, name);
	s->is_map = is_map;
	s->vals = fw_alloc(c->rs, sizeof(*s->vals));
	if (!s->name || !s->vals)
		return -ENOMEM;
	/* concatenated types come as an array: not evaluated */
	s->type = fw_strdup(c->rs, type && json_object_is_type(type, json_type_string)
	                           ? json_object_get_string(type) : "concat");
	k = (type && json_object_is_type(type, json_type_string)) ? set_kind(s->type) : VK_UNKNOWN;
	if (is_map && k != VK_UNKNOWN && jstr(so, "map") && !strcmp(jstr(so, "map"), "verdict") &&
	    elem && json_object_is_type(elem, json_type_array)) {
		int e;

		s->vmap = fw_alloc(c->rs, sizeof(*s->vmap));
		if (!s->vmap)
			return -ENOMEM;
		if ((e = vmap_entries(c, s->vmap, elem, k)))
			return e;
	}
	if (k == VK_UNKNOWN || is_map)
		s->vals->unknown = 1;
	if (elem && json_object_is_type(elem, json_type_array)) {
		s->nelems = json_object_array_length(elem);
		for (size_t i = 0; i < s->nelems && !s->vals->unknown; i++)
			if (element(c, json_object_array_get_idx(elem, i), k, s->vals, &types))
				s->vals->unknown = 1;
	}
	{
		size_t cap = t->nsets;
		/* sets per table are few: grow by the generic pointer push */
		size_t c2 = 8;

		while (c2 < cap)
			c2 *= 2;
		if (cap == 0)
			c2 = 0;
		if (fw_push(c->rs, (void ***)&t->sets, &t->nsets, &c2, s))
			return -ENOMEM;
	}
	return 0;
}

static int parse_chain(struct nft_ctx *c, struct json_object *co, size_t idx)
{
	const char *fam = jstr(co, "family"), *tname = jstr(co, "table"), *name = jstr(co, "name");
	const char *hook = jstr(co, "hook"), *type = jstr(co, "type"), *pol = jstr(co, "policy");
	struct nrb_fw_table *t;
	struct nrb_fw_chain *ch;
	int64_t v;

	if (!fam || !tname || !name)
		return nrb_err(c->err, c->errlen, EINVAL,
		               "%s: object %zu: chain without family/table/name", c->source, idx);
	if (is_iptables_dup(c, fam, tname))
		return 0;
	t = find_table(c, fam, tname);
	if (!t)
		return nrb_err(c->err, c->errlen, EINVAL, "%s: object %zu: chain %s for unknown table %s %s",
		               c->source, idx, name, fam, tname);
	if (fw_chain_find(t, name))
		return nrb_err(c->err, c->errlen, EINVAL, "%s: object %zu: chain %s listed twice",
		               c->source, idx, name);
	ch = fw_chain_add(c->rs, t, name);
	if (!ch)
		return -ENOMEM;
	if (!jint(co, "handle", &v) && v > 0)
		ch->handle = (uint64_t)v;
	if (hook) {
		ch->hook = hook_of(hook);
		if (ch->hook == NRB_FW_HOOK_NONE)
			fw_warn(c->rs, "%s: chain %s %s %s: unknown hook '%s', not evaluated", c->source,
			        fam, tname, name, hook);
		if (!jint(co, "prio", &v) && v > -100000 && v < 100000)
			ch->prio = (int)v;
		ch->type = (type && !strcmp(type, "nat")) ? NRB_FW_CT_NAT
		           : (type && !strcmp(type, "route")) ? NRB_FW_CT_ROUTE : NRB_FW_CT_FILTER;
		ch->has_policy = 1;
		ch->policy = (pol && !strcmp(pol, "drop")) ? NRB_FW_V_DROP : NRB_FW_V_ACCEPT;
	}
	return 0;
}

int nrb_fw_parse_nft_json(struct nrb_fw_ruleset *rs, const char *text, size_t len,
                          const char *source, int skip_iptables_dups, char *err, size_t errlen)
{
	struct nft_ctx c = {0};
	struct json_tokener *tk;
	struct json_object *root, *arr;
	enum json_tokener_error je;
	size_t n;
	int e = 0;

	if (!rs || (!text && len))
		return nrb_err(err, errlen, EINVAL, "nft parser: bad arguments");
	c.source = source ? source : "nft";
	if (len > NRB_FW_MAX_INPUT)
		return nrb_err(err, errlen, E2BIG, "%s: %zu bytes is more than the %u accepted",
		               c.source, len, NRB_FW_MAX_INPUT);
	if (len == 0)
		return nrb_err(err, errlen, EINVAL, "%s: empty input (expected nft -j JSON)", c.source);
	if (len > INT32_MAX)
		return nrb_err(err, errlen, E2BIG, "%s: too large", c.source);
	tk = json_tokener_new_ex(NFT_MAX_DEPTH);
	if (!tk)
		return nrb_err(err, errlen, ENOMEM, "%s: out of memory", c.source);
	root = json_tokener_parse_ex(tk, text, (int)len);
	je = json_tokener_get_error(tk);
	if (!root || je != json_tokener_success) {
		e = nrb_err(err, errlen, EINVAL, "%s: not valid JSON at byte %zu: %s", c.source,
		            (size_t)json_tokener_get_parse_end(tk),
		            je == json_tokener_continue ? "truncated" : json_tokener_error_desc(je));
		json_tokener_free(tk);
		json_object_put(root);
		return e;
	}
	json_tokener_free(tk);
	arr = jget(root, "nftables");
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return nrb_err(err, errlen, EINVAL, "%s: no \"nftables\" array at the top", c.source);
	}
	c.rs = rs;
	c.first_table = rs->ntables;
	c.skip_dups = skip_iptables_dups;
	c.err = err;
	c.errlen = errlen;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n && !e; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		const char *key = one_key(o, &v);

		if (!key)
			e = nrb_err(err, errlen, EINVAL, "%s: object %zu is not a one-key object", c.source, i);
		else if (!strcmp(key, "metainfo"))
			continue;
		else if (!strcmp(key, "table")) {
			const char *fam = jstr(v, "family"), *name = jstr(v, "name");

			if (!family_of(fam) || !name)
				e = nrb_err(err, errlen, EINVAL, "%s: object %zu: table without a known family or name",
				            c.source, i);
			else if (find_table(&c, fam, name))
				e = nrb_err(err, errlen, EINVAL, "%s: object %zu: table %s %s listed twice",
				            c.source, i, fam, name);
			else if (!is_iptables_dup(&c, fam, name) &&
			         !fw_table_add(rs, NRB_FW_ORIGIN_NFT, family_of(fam), name, c.source))
				e = -ENOMEM;
		} else if (!strcmp(key, "chain"))
			e = parse_chain(&c, v, i);
		else if (!strcmp(key, "rule"))
			e = parse_rule(&c, v, i);
		else if (!strcmp(key, "set") || !strcmp(key, "map"))
			e = parse_set(&c, v, key[0] == 'm', i);
		else
			continue; /* flowtable, counter, quota, ct helper objects: no verdict */
	}
	json_object_put(root);
	/* json-c just freed one small chunk per JSON value (hundreds of thousands for a big
	 * ruleset); glibc sorts them at the next large request.  Make that request here, so
	 * the cost (~90 ms for 10,000 rules, tests/bench/fw_bench.c) is part of the parse
	 * and not a stall in the first evaluation. */
	{
		void *volatile big = malloc(4096); /* volatile: the pair must not be optimised away */

		free(big);
	}
	if (e == -ENOMEM)
		nrb_err(err, errlen, ENOMEM, "%s: out of memory", c.source);
	if (!e)
		e = fw_resolve(rs, c.first_table, err, errlen);
	if (e)
		fw_rollback(rs, c.first_table);
	return e;
}
