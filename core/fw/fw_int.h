/*
 * fw_int.h: structures shared by the files of core/fw (parsers, evaluator, model) and
 * by nothing else.  A match compares one property of the packet with a list of values;
 * every value is a closed range of 16-byte big-endian keys (addresses in the first 4 or
 * 16 bytes, numbers in the last 4), or a string (interface names), so one comparison
 * serves addresses, prefixes, ranges, ports, multiport lists and sets.
 */
#ifndef NRB_FW_INT_H
#define NRB_FW_INT_H

#include "fw/fw.h"

/** Which property of the packet a match looks at. */
enum fw_key {
	FW_K_TRUE = 0,   /* always holds (comment, a match with no effect on the verdict) */
	FW_K_SADDR,      /* source address */
	FW_K_DADDR,      /* destination address */
	FW_K_L4PROTO,    /* transport protocol number */
	FW_K_SPORT,      /* transport source port */
	FW_K_DPORT,      /* transport destination port */
	FW_K_ANYPORT,    /* source or destination port (multiport --ports) */
	FW_K_IIF,        /* input interface name */
	FW_K_OIF,        /* output interface name */
	FW_K_CTSTATE,    /* conntrack state bits */
	FW_K_CTDNAT,     /* ct status dnat: the connection had its destination rewritten */
	FW_K_ICMPTYPE,   /* ICMP/ICMPv6 type (value = type*256+code range) */
	FW_K_NFPROTO,    /* IP family: value 4 or 6 */
	FW_K_SRCTYPE,    /* addrtype of the source (bits in types) */
	FW_K_DSTTYPE,    /* addrtype of the destination (bits in types) */
	FW_K_PKTTYPE,    /* link-layer packet type (unicast/broadcast/multicast bits) */
	FW_K_TCPFLAGS,   /* TCP flags (flags_mask, flags_cmp) */
	FW_K_LIMIT,      /* rate limit (limit, hashlimit, meter): depends on the packet rate, which
	                  * nrb cannot know; always noted, the answer UNCERTAIN (fw_eval.c) */
	FW_K_UNKNOWN,    /* not understood: the rule cannot be evaluated */
};

/** addrtype / pkttype bits. */
enum fw_atype {
	FW_AT_UNICAST = 1,
	FW_AT_LOCAL = 2,
	FW_AT_BROADCAST = 4,
	FW_AT_MULTICAST = 8,
	FW_AT_OTHER = 16,  /* a type nrb cannot judge (BLACKHOLE, ANYCAST, ...) */
};

/** Priority of conntrack's own hook in prerouting/output (NF_IP_PRI_CONNTRACK): a
 *  notrack before it leaves the packet untracked, after it does nothing. */
#define NRB_FW_PRIO_CONNTRACK (-200)

/** One value: a closed key range, or an interface-name pattern. */
struct fw_range {
	uint8_t lo[16];     /* first key */
	uint8_t hi[16];     /* last key */
	char *str;          /* interface name, or NULL for a key range */
	int wildcard;       /* str ends in '+' or '*': prefix match */
	int vfam;           /* address family of an address value (4/6), 0 for others */
	int masked;         /* a non-contiguous netmask (iptables -s A/255.255.0.255): the key
	                     * matches when key & mask == lo & mask; lo..hi is only the span */
	uint8_t mask[16];   /* that mask (masked only) */
};

/** A list of values; a match holds when the packet's property is in any of them. */
struct nrb_fw_vals {
	size_t n;            /* ranges used */
	size_t cap;          /* ranges allocated */
	struct fw_range *r;  /* the ranges (arena) */
	int unknown;         /* some element could not be understood (set uncertain) */
};

/** One match of a rule. */
struct nrb_fw_match {
	enum fw_key key;           /* property compared */
	int neg;                   /* the comparison is negated ('!', '!=') */
	int family;                /* packet must be this family (4/6), 0 any; not negated */
	int l4;                    /* packet must have this protocol (6 tcp), 0 any; not negated */
	struct nrb_fw_vals vals;   /* values compared with (inline anonymous set) */
	char *setname;             /* named set ("@addr-set-sshd"), resolved into set */
	struct nrb_fw_set *set;    /* resolved named set, or NULL */
	unsigned types;            /* addrtype/pkttype bits; CTSTATE: 1 DNAT, 2 SNAT also listed */
	unsigned flags_mask;       /* TCP flags mask (FW_K_TCPFLAGS) */
	unsigned flags_cmp;        /* TCP flags that must be set within mask */
	int over;                  /* FW_K_LIMIT: matches when the rate is exceeded ("over",
	                            * --hashlimit-above), not while it is kept */
	int stmt;                  /* FW_K_UNKNOWN: a statement whose effect on the packet is not
	                            * known (synproxy, ...), not a match: noted even on a rule
	                            * with no verdict */
	char *desc;                /* the match as written, for notes */
};

/** One entry of a verdict map. */
struct fw_vmap_ent {
	struct fw_range key;       /* key value */
	enum nrb_fw_vkind verdict; /* verdict for it (ACCEPT/DROP/JUMP/GOTO/RETURN) */
	char *target;              /* chain for JUMP/GOTO */
	struct nrb_fw_chain *target_chain; /* resolved */
};

/** An nftables verdict map (`iifname vmap { "eth0" : goto x }`). */
struct nrb_fw_vmap {
	struct nrb_fw_match keym;  /* key expression (vals unused) */
	size_t n;                  /* entries */
	struct fw_vmap_ent *e;     /* entries */
	int unknown;               /* key or some entry not understood */
	char *setname;             /* named map, or NULL */
};

/* ---- arena: every object of a ruleset lives here and dies with it ---- */
void *fw_alloc(struct nrb_fw_ruleset *rs, size_t size);          /* zeroed; NULL on ENOMEM */
char *fw_strdup(struct nrb_fw_ruleset *rs, const char *s);
char *fw_strndup(struct nrb_fw_ruleset *rs, const char *s, size_t n);
/** Grow an arena array of pointers (*arr has *n used, *cap room). @return 0 or -ENOMEM */
int fw_push(struct nrb_fw_ruleset *rs, void ***arr, size_t *n, size_t *cap, void *item);

/* ---- model building ---- */
struct nrb_fw_table *fw_table_add(struct nrb_fw_ruleset *rs, enum nrb_fw_origin origin,
                                  enum nrb_fw_tfamily family, const char *name,
                                  const char *source);
struct nrb_fw_table *fw_table_find(const struct nrb_fw_ruleset *rs, enum nrb_fw_tfamily family,
                                   const char *name);
struct nrb_fw_chain *fw_chain_add(struct nrb_fw_ruleset *rs, struct nrb_fw_table *t,
                                  const char *name);
struct nrb_fw_chain *fw_chain_find(const struct nrb_fw_table *t, const char *name);
struct nrb_fw_rule *fw_rule_add(struct nrb_fw_ruleset *rs, struct nrb_fw_chain *c);
struct nrb_fw_set *fw_set_find(const struct nrb_fw_table *t, const char *name);
/** Add a match to a rule (arena). @return the zeroed match or NULL */
struct nrb_fw_match *fw_match_add(struct nrb_fw_ruleset *rs, struct nrb_fw_rule *r);
/** Append a range to vals. @return pointer to it or NULL */
struct fw_range *fw_vals_add(struct nrb_fw_ruleset *rs, struct nrb_fw_vals *v);
/** Record a parse warning (formatted). */
void fw_warn(struct nrb_fw_ruleset *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Remove the tables added from index 'first' on (a source that failed to parse must not
 *  be evaluated half-read); their memory stays in the arena. */
void fw_rollback(struct nrb_fw_ruleset *rs, size_t first);
/** Resolve jump/goto targets and named sets of every table from index 'from' on.
 *  @return 0 or -EINVAL (unknown jump target; err says which) */
int fw_resolve(struct nrb_fw_ruleset *rs, size_t from, char *err, size_t errlen);

/* ---- live reading (fw_exec.c) ---- */
/** One program that lists rules. */
struct fw_live_src {
	unsigned flag;           /* NRB_FW_READ_* it belongs to */
	const char *path;        /* program (absolute) */
	const char *argv1;       /* its one argument (iptables: "-c"); nft gets -j list ruleset */
	const char *name;        /* source name in references and messages */
	int ipv;                 /* 4/6 for iptables text, 0 for nft JSON */
	const char *legacy_proc; /* legacy tables only: run when this /proc/net file lists tables
	                          * in the namespace read (not this process's) */
	const char *main_path;   /* legacy only: skip when this binary is itself the legacy one */
};
/** Read sources in order (the engine of nrb_fw_read_live; tests pass their own).  Every
 *  source that failed is in *problems and, unless covered by another, recorded as unread
 *  in the ruleset (its evaluations are then UNCERTAIN).
 *  @param netns_fd namespace to read (programs and the legacy check run there), -1 ours
 *  @return as nrb_fw_read_live */
int fw_read_sources(int netns_fd, const struct fw_live_src *src, size_t nsrc, unsigned flags,
                    struct nrb_fw_ruleset **out, char **problems, char *err, size_t errlen);

/* ---- values ---- */
/** Parse "A", "A/len", "A/mask" into a range (family 4/6 set in vfam). @return 0 or -EINVAL */
int fw_parse_prefix(const char *s, struct fw_range *r);
/** Make r the address value/mask pair of a non-contiguous netmask (r->lo holds the
 *  address); fam 4 or 6. @return 0 */
int fw_mask_range(struct fw_range *r, const uint8_t mask[16], int fam);
/** Parse an address range "A-B". @return 0 or -EINVAL */
int fw_parse_addr_range(const char *s, struct fw_range *r);
/** Key of a number (big-endian in the last 4 bytes). */
void fw_num_key(uint32_t v, uint8_t key[16]);
/** Set r to the numeric range [lo, hi]. */
void fw_num_range(struct fw_range *r, uint32_t lo, uint32_t hi);
/** Protocol number from a name or number ("tcp", "6"), -1 unknown. */
int fw_proto_num(const char *s);
/** ICMP (v6=0) or ICMPv6 (v6=1) type from a name, -1 unknown. */
int fw_icmp_type(const char *s, int v6);
/** ct state bit from a name ("established"), 0 unknown. */
unsigned fw_ctstate_bit(const char *s);
/** TCP flag bit from a name ("syn", "SYN"), 0 unknown. */
unsigned fw_tcpflag_bit(const char *s);
/** Bounded appending formatter used to build texts. */
void fw_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
