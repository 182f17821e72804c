/* fw_ipt: parser of `iptables-save -c` / `ip6tables-save -c` text (see fw.h).
 *
 * The text is untrusted: lines are bounded, tokens are bounded, every error names the
 * source and line.  Matches the evaluator understands become typed matches; a module or
 * option it does not know becomes an UNKNOWN match that carries its text, so a rule
 * using it is reported as "cannot evaluate" instead of being guessed. */
#include "fw/fw_int.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS 512

struct ipt_ctx {
	struct nrb_fw_ruleset *rs;   /* ruleset being filled */
	const char *source;          /* source name for messages */
	int ipv;                     /* 4 or 6 */
	unsigned line;               /* current line number */
	struct nrb_fw_table *table;  /* open table (between *name and COMMIT), or NULL */
	struct nrb_fw_chain *last;   /* chain of the previous rule (lookup cache) */
	char *err;                   /* error buffer */
	size_t errlen;               /* its size */
};

static int perr(struct ipt_ctx *c, const char *what, const char *detail)
{
	return nrb_err(c->err, c->errlen, EINVAL, "%s:%u: %s%s%s", c->source, c->line, what,
	               detail ? ": " : "", detail ? detail : "");
}

/* Split a line into tokens in place.  Double quotes group, backslash escapes the next
 * character inside quotes (iptables-save writes `"a \"b\""`).  @return count or -1. */
static int tokenize(char *s, char **tok, int max)
{
	int n = 0;

	while (*s) {
		char *out;

		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -1;
		tok[n++] = out = s;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				*out++ = *s++;
			}
			if (*s != '"')
				return -1; /* unterminated quote */
			s++;
		} else {
			while (*s && *s != ' ' && *s != '\t' && *s != '\r')
				*out++ = *s++;
		}
		if (*s)
			s++;
		*out = '\0';
	}
	return n;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno || end == s) ? -1 : (int)(end - s);
}

/* "[p:b]" -> counters. @return 0 or -1 */
static int parse_counters(const char *s, uint64_t *p, uint64_t *b)
{
	int k;

	if (*s++ != '[')
		return -1;
	if ((k = parse_u64(s, p)) < 0)
		return -1;
	s += k;
	if (*s++ != ':')
		return -1;
	if ((k = parse_u64(s, b)) < 0)
		return -1;
	s += k;
	return (s[0] == ']' && s[1] == '\0') ? 0 : -1;
}

/* Port or "lo:hi" / ":hi" / "lo:" into r. @return 0 or -1 */
static int parse_port_range(const char *s, struct fw_range *r)
{
	char *end;
	long lo = 0, hi = 65535;
	const char *colon = strchr(s, ':');

	if (colon != s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		lo = strtol(s, &end, 10);
		if (end != (colon ? colon : s + strlen(s)))
			return -1;
	}
	if (!colon)
		hi = lo;
	else if (colon[1]) {
		if (!isdigit((unsigned char)colon[1]))
			return -1;
		hi = strtol(colon + 1, &end, 10);
		if (*end)
			return -1;
	}
	if (lo < 0 || hi > 65535 || lo > hi)
		return -1;
	fw_num_range(r, (uint32_t)lo, (uint32_t)hi);
	return 0;
}

/* Comma-separated port list (multiport) into m->vals. */
static int parse_port_list(struct ipt_ctx *c, struct nrb_fw_match *m, const char *arg)
{
	char buf[1024];
	char *save = NULL, *p;

	if (strlen(arg) >= sizeof buf)
		return perr(c, "port list too long", arg);
	strcpy(buf, arg);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		struct fw_range *r = fw_vals_add(c->rs, &m->vals);

		if (!r)
			return -ENOMEM;
		if (parse_port_range(p, r))
			return perr(c, "bad port", p);
	}
	if (m->vals.n == 0)
		return perr(c, "empty port list", arg);
	return 0;
}

static unsigned atype_bit(const char *s)
{
	if (strcasecmp(s, "UNICAST") == 0)
		return FW_AT_UNICAST;
	if (strcasecmp(s, "LOCAL") == 0)
		return FW_AT_LOCAL;
	if (strcasecmp(s, "BROADCAST") == 0)
		return FW_AT_BROADCAST;
	if (strcasecmp(s, "MULTICAST") == 0)
		return FW_AT_MULTICAST;
	return FW_AT_OTHER;
}

static unsigned list_bits(const char *arg, unsigned (*fn)(const char *), int *bad)
{
	char buf[256];
	char *save = NULL, *p;
	unsigned bits = 0;

	*bad = 0;
	if (strlen(arg) >= sizeof buf) {
		*bad = 1;
		return 0;
	}
	strcpy(buf, arg);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		unsigned b = fn(p);

		if (!b || b == 0x100u)
			*bad = 1;
		bits |= b;
	}
	return bits;
}

/* Conntrack state names in iptables spelling (upper case) share nft's table. */
static unsigned ct_bit(const char *s)
{
	if (strcasecmp(s, "SNAT") == 0 || strcasecmp(s, "DNAT") == 0)
		return 0; /* virtual states: not evaluated */
	return fw_ctstate_bit(s);
}

static int l4_of_module(const char *mod)
{
	if (strcmp(mod, "tcp") == 0)
		return 6;
	if (strcmp(mod, "udp") == 0)
		return 17;
	if (strcmp(mod, "sctp") == 0)
		return 132;
	if (strcmp(mod, "udplite") == 0)
		return 136;
	if (strcmp(mod, "dccp") == 0)
		return 33;
	return 0;
}

/* The tokens [from, to) joined by spaces (quoted again where they hold a space): the
 * text of one match as written, for "cannot evaluate" notes. */
static char *join_desc(struct ipt_ctx *c, char **tok, int from, int to)
{
	char buf[1024] = "";

	for (int i = from; i < to; i++) {
		int quote = strchr(tok[i], ' ') != NULL;

		fw_appendf(buf, sizeof buf, "%s%s%s%s", i > from ? " " : "", quote ? "\"" : "",
		           tok[i], quote ? "\"" : "");
	}
	return fw_strdup(c->rs, buf);
}

static const char *const nonterminal_targets[] = {
	"LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CT", "NOTRACK", "TRACE", "TCPMSS",
	"CLASSIFY", "DSCP", "TOS", "TTL", "HL", "CHECKSUM", "AUDIT", "SECMARK",
	"CONNSECMARK", "SET", "IDLETIMER", "LED", "RATEEST", "TEE", "HMARK", "TCPOPTSTRIP",
	"ECN", NULL};

static void set_target(struct ipt_ctx *c, struct nrb_fw_rule *r, const char *t, int is_goto)
{
	if (is_goto) {
		r->verdict = NRB_FW_V_GOTO;
	} else if (strcmp(t, "ACCEPT") == 0) {
		r->verdict = NRB_FW_V_ACCEPT;
	} else if (strcmp(t, "DROP") == 0) {
		r->verdict = NRB_FW_V_DROP;
	} else if (strcmp(t, "REJECT") == 0) {
		r->verdict = NRB_FW_V_REJECT;
		r->reject_with = c->ipv == 6 ? "icmp6-port-unreachable" : "icmp-port-unreachable";
	} else if (strcmp(t, "RETURN") == 0) {
		r->verdict = NRB_FW_V_RETURN;
	} else if (strcmp(t, "QUEUE") == 0 || strcmp(t, "NFQUEUE") == 0) {
		r->verdict = NRB_FW_V_QUEUE;
	} else if (strcmp(t, "DNAT") == 0 || strcmp(t, "REDIRECT") == 0 ||
	           strcmp(t, "NETMAP") == 0 || strcmp(t, "TPROXY") == 0) {
		r->verdict = NRB_FW_V_DNAT;
	} else if (strcmp(t, "SNAT") == 0 || strcmp(t, "MASQUERADE") == 0) {
		r->verdict = NRB_FW_V_SNAT;
	} else if (fw_chain_find(c->table, t)) {
		r->verdict = NRB_FW_V_JUMP;
	} else {
		r->verdict = NRB_FW_V_UNKNOWN;
		for (size_t i = 0; nonterminal_targets[i]; i++)
			if (strcmp(t, nonterminal_targets[i]) == 0)
				r->verdict = NRB_FW_V_NONE;
	}
	r->target = fw_strdup(c->rs, t);
}

/* Add a match from a core or module option.  *i points at the option; consumes its
 * arguments.  @return 0 or -errno */
static int module_option(struct ipt_ctx *c, struct nrb_fw_rule *r, const char *mod,
                         char **tok, int ntok, int *i, int neg, int neg_at)
{
	const char *opt = tok[*i];
	const char *arg = *i + 1 < ntok ? tok[*i + 1] : NULL;
	struct nrb_fw_match *m;
	int l4 = l4_of_module(mod);
	int bad = 0, takes_arg = 1;

	m = fw_match_add(c->rs, r);
	if (!m)
		return -ENOMEM;
	m->neg = neg;

	if (l4 && (!strcmp(opt, "--dport") || !strcmp(opt, "--destination-port") ||
	           !strcmp(opt, "--sport") || !strcmp(opt, "--source-port"))) {
		struct fw_range *rg;

		m->key = opt[2] == 'd' ? FW_K_DPORT : FW_K_SPORT;
		m->l4 = l4;
		if (!arg || !(rg = fw_vals_add(c->rs, &m->vals)) || parse_port_range(arg, rg))
			return arg ? perr(c, "bad port", arg) : perr(c, "missing port after", opt);
	} else if (l4 == 6 && !strcmp(opt, "--syn")) {
		m->key = FW_K_TCPFLAGS;
		m->l4 = 6;
		m->flags_mask = 0x17; /* FIN,SYN,RST,ACK */
		m->flags_cmp = 0x02;
		takes_arg = 0;
	} else if (l4 == 6 && !strcmp(opt, "--tcp-flags")) {
		const char *cmp = *i + 2 < ntok ? tok[*i + 2] : NULL;

		if (!arg || !cmp)
			return perr(c, "--tcp-flags needs a mask and a comparison", NULL);
		m->key = FW_K_TCPFLAGS;
		m->l4 = 6;
		m->flags_mask = list_bits(arg, fw_tcpflag_bit, &bad);
		if (!bad && strcasecmp(cmp, "NONE") != 0)
			m->flags_cmp = list_bits(cmp, fw_tcpflag_bit, &bad);
		if (bad)
			return perr(c, "bad TCP flags", arg);
		(*i)++; /* two arguments */
	} else if (!strcmp(mod, "multiport") &&
	           (!strcmp(opt, "--dports") || !strcmp(opt, "--destination-ports") ||
	            !strcmp(opt, "--sports") || !strcmp(opt, "--source-ports") ||
	            !strcmp(opt, "--ports"))) {
		int e;

		m->key = !strcmp(opt, "--ports") ? FW_K_ANYPORT
		         : (opt[2] == 'd' ? FW_K_DPORT : FW_K_SPORT);
		if (!arg)
			return perr(c, "missing ports after", opt);
		if ((e = parse_port_list(c, m, arg)))
			return e;
	} else if ((!strcmp(mod, "icmp") && !strcmp(opt, "--icmp-type")) ||
	           ((!strcmp(mod, "icmp6") || !strcmp(mod, "icmpv6")) &&
	            !strcmp(opt, "--icmpv6-type"))) {
		int v6 = opt[6] == 'v';
		char buf[64];
		char *slash;
		int type, code = -1;
		struct fw_range *rg;

		m->key = FW_K_ICMPTYPE;
		m->l4 = v6 ? 58 : 1;
		m->family = v6 ? 6 : 4;
		if (!arg || strlen(arg) >= sizeof buf)
			return perr(c, "bad ICMP type", arg);
		strcpy(buf, arg);
		if (!strcmp(buf, "any")) {
			m->key = FW_K_TRUE;
		} else {
			slash = strchr(buf, '/');
			if (slash) {
				*slash = '\0';
				code = fw_icmp_type(slash + 1, 0); /* numeric only */
			}
			type = fw_icmp_type(buf, v6);
			if (type < 0 || (slash && code < 0))
				return perr(c, "unknown ICMP type", arg);
			if (!(rg = fw_vals_add(c->rs, &m->vals)))
				return -ENOMEM;
			if (code >= 0)
				fw_num_range(rg, (uint32_t)(type * 256 + code), (uint32_t)(type * 256 + code));
			else
				fw_num_range(rg, (uint32_t)(type * 256), (uint32_t)(type * 256 + 255));
		}
	} else if ((!strcmp(mod, "conntrack") && !strcmp(opt, "--ctstate")) ||
	           (!strcmp(mod, "state") && !strcmp(opt, "--state"))) {
		unsigned bits;

		if (!arg)
			return perr(c, "missing state list", NULL);
		bits = list_bits(arg, ct_bit, &bad);
		/* the virtual states DNAT/SNAT (firewalld: RELATED,ESTABLISHED,DNAT) */
		if (bad && opt[4] == 's' && strcasestr(arg, "NAT")) {
			char buf[256];
			char *save = NULL, *p;

			snprintf(buf, sizeof buf, "%s", arg);
			bad = 0;
			for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
				if (!strcasecmp(p, "DNAT"))
					m->types |= 1;
				else if (!strcasecmp(p, "SNAT"))
					m->types |= 2;
				else if (!ct_bit(p))
					bad = 1;
			}
		}
		if (bad) {
			m->key = FW_K_UNKNOWN;
		} else {
			m->key = FW_K_CTSTATE;
			for (unsigned b = 1; b <= 64; b <<= 1) {
				struct fw_range *rg;

				if (!(bits & b))
					continue;
				if (!(rg = fw_vals_add(c->rs, &m->vals)))
					return -ENOMEM;
				fw_num_range(rg, b, b);
			}
		}
	} else if (!strcmp(mod, "comment") && !strcmp(opt, "--comment")) {
		m->key = FW_K_TRUE;
		if (!arg)
			return perr(c, "missing comment", NULL);
		r->comment = fw_strdup(c->rs, arg);
	} else if ((!strcmp(mod, "limit") && !strcmp(opt, "--limit")) ||
	           (!strcmp(mod, "hashlimit") &&
	            (!strcmp(opt, "--hashlimit") || !strcmp(opt, "--hashlimit-upto") ||
	             !strcmp(opt, "--hashlimit-above")))) {
		/* the rate: matches while it is kept (--limit, --hashlimit-upto) or, with
		 * --hashlimit-above, once it is exceeded */
		if (!arg)
			return perr(c, "missing rate after", opt);
		m->key = FW_K_LIMIT;
		m->over = !strcmp(opt, "--hashlimit-above");
		if (neg)
			m->over = !m->over;
		m->neg = 0;
	} else if ((!strcmp(mod, "limit") && !strcmp(opt, "--limit-burst")) ||
	           (!strcmp(mod, "hashlimit") && strncmp(opt, "--hashlimit-", 12) == 0 &&
	            strcmp(opt, "--hashlimit-rate-match") && strcmp(opt, "--hashlimit-rate-interval"))) {
		/* burst, mode, name, masks, table sizes: how the rate is counted, not whether
		 * the rule applies (--hashlimit-rate-match changes the meaning: unknown below) */
		m->key = FW_K_TRUE;
		takes_arg = !(arg == NULL || strncmp(arg, "--", 2) == 0);
	} else if (!strcmp(mod, "addrtype") &&
	           (!strcmp(opt, "--src-type") || !strcmp(opt, "--dst-type"))) {
		m->key = opt[2] == 's' ? FW_K_SRCTYPE : FW_K_DSTTYPE;
		if (!arg)
			return perr(c, "missing address type", NULL);
		m->types = list_bits(arg, atype_bit, &bad);
	} else if (!strcmp(mod, "iprange") &&
	           (!strcmp(opt, "--src-range") || !strcmp(opt, "--dst-range"))) {
		struct fw_range *rg;

		m->key = opt[2] == 's' ? FW_K_SADDR : FW_K_DADDR;
		m->family = c->ipv;
		if (!arg || !(rg = fw_vals_add(c->rs, &m->vals)) || fw_parse_addr_range(arg, rg) ||
		    rg->vfam != c->ipv)
			return perr(c, "bad address range", arg);
	} else if (!strcmp(mod, "pkttype") && !strcmp(opt, "--pkt-type")) {
		m->key = FW_K_PKTTYPE;
		if (!arg)
			return perr(c, "missing packet type", NULL);
		m->types = atype_bit(arg);
		if (m->types == FW_AT_LOCAL)
			m->types = FW_AT_OTHER;
	} else {
		/* unknown module or option: keep the text, consume its arguments */
		int j = *i + 1;

		m->key = FW_K_UNKNOWN;
		while (j < ntok && strncmp(tok[j], "-", 1) != 0 && strcmp(tok[j], "!") != 0)
			j++;
		m->desc = join_desc(c, tok, neg_at, j);
		if (m->desc) {
			char buf[1024];

			snprintf(buf, sizeof buf, "-m %s %s", mod, m->desc);
			m->desc = fw_strdup(c->rs, buf);
		}
		*i = j - 1;
		return m->desc ? 0 : -ENOMEM;
	}
	{
		char buf[1024];
		int end = *i + (takes_arg ? 2 : 1);

		if (end > ntok)
			end = ntok;
		snprintf(buf, sizeof buf, "-m %s ", mod);
		m->desc = join_desc(c, tok, neg_at, end);
		if (m->desc) {
			fw_appendf(buf, sizeof buf, "%s", m->desc);
			m->desc = fw_strdup(c->rs, buf);
		}
		*i = end - 1;
	}
	return m->desc ? 0 : -ENOMEM;
}

static int core_match(struct ipt_ctx *c, struct nrb_fw_rule *r, char **tok, int ntok, int *i,
                      int neg, int neg_at)
{
	const char *opt = tok[*i];
	const char *arg = *i + 1 < ntok ? tok[*i + 1] : NULL;
	struct nrb_fw_match *m;
	struct fw_range *rg;

	if (!arg)
		return perr(c, "option needs an argument", opt);
	m = fw_match_add(c->rs, r);
	if (!m)
		return -ENOMEM;
	m->neg = neg;
	m->desc = join_desc(c, tok, neg_at, *i + 2);
	if (!m->desc)
		return -ENOMEM;
	(*i)++;
	if (!strcmp(opt, "-s") || !strcmp(opt, "--source") || !strcmp(opt, "-d") ||
	    !strcmp(opt, "--destination")) {
		m->key = (opt[1] == 's' || opt[2] == 's') ? FW_K_SADDR : FW_K_DADDR;
		m->family = c->ipv;
		if (!(rg = fw_vals_add(c->rs, &m->vals)))
			return -ENOMEM;
		if (fw_parse_prefix(arg, rg) || rg->vfam != c->ipv)
			return perr(c, "bad address", arg);
	} else if (!strcmp(opt, "-p") || !strcmp(opt, "--protocol")) {
		int p = fw_proto_num(arg);

		if (!strcmp(arg, "all") || p == 0) {
			m->key = FW_K_TRUE;
			if (neg)
				m->key = FW_K_UNKNOWN; /* "! -p all": never matches; odd, say so */
		} else if (p < 0) {
			m->key = FW_K_UNKNOWN;
		} else {
			m->key = FW_K_L4PROTO;
			if (!(rg = fw_vals_add(c->rs, &m->vals)))
				return -ENOMEM;
			fw_num_range(rg, (uint32_t)p, (uint32_t)p);
		}
	} else {
		/* -i / -o */
		size_t n = strlen(arg);

		m->key = (opt[1] == 'i' || opt[2] == 'i') ? FW_K_IIF : FW_K_OIF;
		if (n == 0 || n >= 16)
			return perr(c, "bad interface name", arg);
		if (!(rg = fw_vals_add(c->rs, &m->vals)))
			return -ENOMEM;
		rg->str = fw_strdup(c->rs, arg);
		if (!rg->str)
			return -ENOMEM;
		if (arg[n - 1] == '+') {
			rg->wildcard = 1;
			rg->str[n - 1] = '\0';
		}
	}
	return 0;
}

static int parse_rule(struct ipt_ctx *c, char **tok, int ntok, const char *text)
{
	struct nrb_fw_rule *r;
	struct nrb_fw_chain *ch;
	uint64_t pk = 0, by = 0;
	int i = 0, has_counter = 0, neg = 0, neg_at = 0;
	const char *mod = NULL, *pmod = NULL;
	const char *start;

	if (!c->table)
		return perr(c, "rule outside a table (no *table line before)", NULL);
	if (tok[0][0] == '[') {
		if (parse_counters(tok[0], &pk, &by))
			return perr(c, "bad counters", tok[0]);
		has_counter = 1;
		i = 1;
	}
	if (i + 1 >= ntok || strcmp(tok[i], "-A") != 0)
		return perr(c, "expected -A CHAIN", NULL);
	ch = (c->last && !strcmp(c->last->name, tok[i + 1])) ? c->last : fw_chain_find(c->table, tok[i + 1]);
	if (!ch)
		return perr(c, "rule for an undeclared chain", tok[i + 1]);
	c->last = ch;
	r = fw_rule_add(c->rs, ch);
	if (!r)
		return -ENOMEM;
	r->line = c->line;
	r->has_counter = has_counter;
	r->packets = pk;
	r->bytes = by;
	/* text without the counters: it identifies the rule across snapshots */
	start = strstr(text, "-A ");
	r->text = fw_strdup(c->rs, start ? start : text);
	if (!r->text)
		return -ENOMEM;
	for (i += 2; i < ntok; i++) {
		const char *t = tok[i];
		int e = 0;

		if (!strcmp(t, "!")) {
			neg = 1;
			neg_at = i;
			continue;
		}
		if (!neg)
			neg_at = i;
		if (!strcmp(t, "-j") || !strcmp(t, "--jump") || !strcmp(t, "-g") ||
		    !strcmp(t, "--goto")) {
			int is_goto = t[1] == 'g' || t[2] == 'g';

			if (i + 1 >= ntok)
				return perr(c, "missing target after", t);
			if (is_goto && !fw_chain_find(c->table, tok[i + 1]))
				return perr(c, "goto to an undeclared chain", tok[i + 1]);
			set_target(c, r, tok[i + 1], is_goto);
			if (!r->target)
				return -ENOMEM;
			/* `-j NOTRACK`, `-j CT --notrack` (raw table): the packet gets no
			 * conntrack entry, later `--ctstate NEW` does not match it */
			if (!is_goto && !strcmp(tok[i + 1], "NOTRACK"))
				r->notrack = 1;
			/* target options: --reject-with and CT's --notrack matter */
			for (i += 2; i < ntok; i++) {
				if (!strcmp(tok[i], "--notrack") && r->target && !strcmp(r->target, "CT"))
					r->notrack = 1;
				if (!strcmp(tok[i], "--reject-with") && i + 1 < ntok) {
					r->reject_with = fw_strdup(c->rs, tok[++i]);
					if (!r->reject_with)
						return -ENOMEM;
				}
				if (!strcmp(tok[i], "-m") || !strcmp(tok[i], "-j"))
					return perr(c, "options after the target", tok[i]);
			}
			break;
		} else if (!strcmp(t, "-m") || !strcmp(t, "--match")) {
			if (i + 1 >= ntok)
				return perr(c, "missing module name after -m", NULL);
			mod = tok[++i];
		} else if (!strcmp(t, "-c") && i + 2 < ntok) {
			if (parse_u64(tok[i + 1], &r->packets) < 0 || parse_u64(tok[i + 2], &r->bytes) < 0)
				return perr(c, "bad -c counters", NULL);
			r->has_counter = 1;
			i += 2;
		} else if (!strcmp(t, "-s") || !strcmp(t, "--source") || !strcmp(t, "-d") ||
		           !strcmp(t, "--destination") || !strcmp(t, "-p") ||
		           !strcmp(t, "--protocol") || !strcmp(t, "-i") ||
		           !strcmp(t, "--in-interface") || !strcmp(t, "-o") ||
		           !strcmp(t, "--out-interface")) {
			if ((t[1] == 'p' || t[2] == 'p') && i + 1 < ntok)
				pmod = tok[i + 1]; /* "-p tcp --dport 22": tcp options without -m tcp */
			e = core_match(c, r, tok, ntok, &i, neg, neg_at);
		} else if (!strcmp(t, "-f") || !strcmp(t, "--fragment")) {
			struct nrb_fw_match *m = fw_match_add(c->rs, r);

			if (!m)
				return -ENOMEM;
			m->key = FW_K_UNKNOWN;
			m->desc = neg ? "! -f" : "-f";
		} else if (!strncmp(t, "--", 2) && (mod || pmod)) {
			e = module_option(c, r, mod ? mod : pmod, tok, ntok, &i, neg, neg_at);
		} else {
			return perr(c, "unexpected token", t);
		}
		if (e)
			return e;
		neg = 0;
	}
	if (neg)
		return perr(c, "'!' at the end of the rule", NULL);
	return 0;
}

static int hook_of(const char *name)
{
	static const char *const n[] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT",
	                                "POSTROUTING"};

	for (int i = 0; i < 5; i++)
		if (!strcmp(name, n[i]))
			return NRB_FW_HOOK_PREROUTING + i;
	return NRB_FW_HOOK_NONE;
}

/* The fixed priorities of the iptables tables (linux/netfilter_ipv4.h). */
static int table_prio(const char *table, int hook)
{
	if (!strcmp(table, "raw"))
		return -300;
	if (!strcmp(table, "mangle"))
		return -150;
	if (!strcmp(table, "nat"))
		return (hook == NRB_FW_HOOK_PREROUTING || hook == NRB_FW_HOOK_OUTPUT) ? -100 : 100;
	if (!strcmp(table, "security"))
		return 50;
	return 0;
}

static int parse_chain_decl(struct ipt_ctx *c, char **tok, int ntok)
{
	struct nrb_fw_chain *ch;
	const char *name = tok[0] + 1;

	if (!c->table)
		return perr(c, "chain outside a table", tok[0]);
	if (ntok < 2 || !*name)
		return perr(c, "chain line needs a name and a policy", NULL);
	if (fw_chain_find(c->table, name))
		return perr(c, "chain declared twice", name);
	ch = fw_chain_add(c->rs, c->table, name);
	if (!ch)
		return -ENOMEM;
	ch->line = c->line;
	if (strcmp(tok[1], "-") != 0) {
		if (!strcmp(tok[1], "ACCEPT"))
			ch->policy = NRB_FW_V_ACCEPT;
		else if (!strcmp(tok[1], "DROP"))
			ch->policy = NRB_FW_V_DROP;
		else
			return perr(c, "unknown policy", tok[1]);
		ch->has_policy = 1;
		ch->hook = hook_of(name);
		if (ch->hook == NRB_FW_HOOK_NONE)
			return perr(c, "policy on a chain that is not built in", name);
		ch->prio = table_prio(c->table->name, ch->hook);
		if (!strcmp(c->table->name, "nat"))
			ch->type = NRB_FW_CT_NAT;
	}
	if (ntok >= 3 && parse_counters(tok[2], &ch->packets, &ch->bytes))
		return perr(c, "bad chain counters", tok[2]);
	return 0;
}

int nrb_fw_parse_iptables(struct nrb_fw_ruleset *rs, const char *text, size_t len, int ipv,
                          const char *source, char *err, size_t errlen)
{
	struct ipt_ctx c = {0};
	char *line = NULL, **tok = NULL;
	size_t pos = 0, first_table;
	int e = 0;

	if (!rs || (!text && len) || (ipv != 4 && ipv != 6))
		return nrb_err(err, errlen, EINVAL, "iptables parser: bad arguments");
	if (len > NRB_FW_MAX_INPUT)
		return nrb_err(err, errlen, E2BIG, "%s: %zu bytes is more than the %u accepted",
		               source ? source : "iptables-save", len, NRB_FW_MAX_INPUT);
	c.rs = rs;
	c.source = source ? source : (ipv == 6 ? "ip6tables-save" : "iptables-save");
	c.ipv = ipv;
	c.err = err;
	c.errlen = errlen;
	first_table = rs->ntables;
	line = malloc(NRB_FW_MAX_LINE + 1);
	tok = malloc(MAX_TOKENS * sizeof(*tok));
	if (!line || !tok) {
		e = -ENOMEM;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int ntok;

		c.line++;
		if (n > NRB_FW_MAX_LINE) {
			e = perr(&c, "line too long", NULL);
			goto out;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n)) {
			e = perr(&c, "NUL byte in text", NULL);
			goto out;
		}
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] == '*') {
			if (c.table) {
				e = perr(&c, "table started before COMMIT of the previous one", line);
				goto out;
			}
			if (!line[1] || strchr(line, ' ')) {
				e = perr(&c, "bad table line", line);
				goto out;
			}
			c.table = fw_table_add(rs, NRB_FW_ORIGIN_IPTABLES,
			                       ipv == 6 ? NRB_FW_TF_IP6 : NRB_FW_TF_IP, line + 1, c.source);
			c.last = NULL;
			if (!c.table) {
				e = -ENOMEM;
				goto out;
			}
			continue;
		}
		if (!strcmp(line, "COMMIT")) {
			if (!c.table) {
				e = perr(&c, "COMMIT without a table", NULL);
				goto out;
			}
			c.table = NULL;
			continue;
		}
		{
			/* keep the line text for references before tokenizing in place */
			char *copy = fw_strdup(rs, line);

			if (!copy) {
				e = -ENOMEM;
				goto out;
			}
			ntok = tokenize(line, tok, MAX_TOKENS);
			if (ntok < 0) {
				e = perr(&c, "unterminated quote or too many words", NULL);
				goto out;
			}
			if (tok[0][0] == ':')
				e = parse_chain_decl(&c, tok, ntok);
			else if (tok[0][0] == '[' || !strcmp(tok[0], "-A"))
				e = parse_rule(&c, tok, ntok, copy);
			else
				e = perr(&c, "unexpected line", tok[0]);
			if (e)
				goto out;
		}
	}
	if (c.table) {
		e = nrb_err(err, errlen, EINVAL, "%s:%u: table %s has no COMMIT (truncated input?)",
		            c.source, c.line, c.table->name);
		goto out;
	}
	e = fw_resolve(rs, first_table, err, errlen);
out:
	if (e == -ENOMEM)
		nrb_err(err, errlen, ENOMEM, "%s: out of memory", c.source ? c.source : "iptables");
	if (e)
		fw_rollback(rs, first_table);
	free(line);
	free(tok);
	return e;
}
