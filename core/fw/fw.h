/*
 * fw: the firewall inspection engine.  It owns the one model of a host's packet filter
 * (tables, chains with hooks, priorities and policies, rules with matches, counters and
 * verdicts, named sets), the two parsers that fill it from untrusted text
 * (`iptables-save -c` / `ip6tables-save -c` output and `nft -j list ruleset` JSON), the
 * evaluator that walks a described flow through the hooks in kernel order and says
 * which rule decides it, counter snapshots and their difference (which rules a probe
 * hit), recognition of the tools that manage the rules (ufw, firewalld, fail2ban,
 * Docker), and the only place in nrb that executes external programs: reading the
 * live ruleset with a fixed argv (fw_exec.c).
 *
 * It never changes a ruleset.  An answer it cannot be sure of is UNCERTAIN, with one
 * note per rule it could not evaluate, never a silent guess.
 *
 * Ownership: a struct nrb_fw_ruleset owns every table, chain, rule, set and string
 * reachable from it; they live until nrb_fw_ruleset_free().  Results of an evaluation
 * point into the ruleset they were computed from (borrowed), plus heap strings the
 * result owns (freed by nrb_fw_result_free()).
 */
#ifndef NRB_FW_H
#define NRB_FW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Largest ruleset text either parser accepts (bytes). */
#define NRB_FW_MAX_INPUT (64u * 1024u * 1024u)
/** Longest single line of iptables-save text accepted. */
#define NRB_FW_MAX_LINE (64u * 1024u)
/** Deepest chain nesting (jumps) the evaluator follows before giving up as uncertain. */
#define NRB_FW_MAX_DEPTH 64

/** Table family, as nftables names them; iptables tables are IP or IP6. */
enum nrb_fw_tfamily {
	NRB_FW_TF_IP = 1, /* "ip": IPv4 only (iptables) */
	NRB_FW_TF_IP6,    /* "ip6": IPv6 only (ip6tables) */
	NRB_FW_TF_INET,   /* "inet": both */
	NRB_FW_TF_ARP,    /* "arp": not evaluated */
	NRB_FW_TF_BRIDGE, /* "bridge": not evaluated */
	NRB_FW_TF_NETDEV, /* "netdev": ingress/egress per device, not evaluated */
};

/** Where a table came from. */
enum nrb_fw_origin {
	NRB_FW_ORIGIN_IPTABLES = 1, /* iptables-save / ip6tables-save text */
	NRB_FW_ORIGIN_NFT,          /* nft -j list ruleset */
};

/** Netfilter hook a base chain is attached to (NONE: a regular chain). */
enum nrb_fw_hook {
	NRB_FW_HOOK_NONE = 0,
	NRB_FW_HOOK_PREROUTING,
	NRB_FW_HOOK_INPUT,
	NRB_FW_HOOK_FORWARD,
	NRB_FW_HOOK_OUTPUT,
	NRB_FW_HOOK_POSTROUTING,
	NRB_FW_HOOK_INGRESS,
	NRB_FW_HOOK_EGRESS,
};

/** Base chain type. */
enum nrb_fw_ctype {
	NRB_FW_CT_FILTER = 0, /* filter (also iptables raw/mangle/filter/security) */
	NRB_FW_CT_NAT,        /* nat: seen only by the first packet of a connection */
	NRB_FW_CT_ROUTE,      /* route (mangle OUTPUT): filters like a filter chain */
};

/** What a rule does when all its matches hold. */
enum nrb_fw_vkind {
	NRB_FW_V_NONE = 0, /* no verdict: counter/log/mark only, go on with the next rule */
	NRB_FW_V_ACCEPT,   /* accept (ends this base chain, later hooks still run) */
	NRB_FW_V_DROP,     /* drop silently */
	NRB_FW_V_REJECT,   /* drop and answer (reject_with says how) */
	NRB_FW_V_JUMP,     /* jump to target; come back on return */
	NRB_FW_V_GOTO,     /* goto target; its return returns from this chain */
	NRB_FW_V_RETURN,   /* return to the calling chain (base chain: policy) */
	NRB_FW_V_QUEUE,    /* hand to userspace: outcome unknown */
	NRB_FW_V_DNAT,     /* destination rewrite (DNAT/REDIRECT): later hooks see other addresses */
	NRB_FW_V_SNAT,     /* source rewrite (SNAT/MASQUERADE): ends the nat chain, no filtering effect */
	NRB_FW_V_VMAP,     /* nftables verdict map: verdict chosen by a key */
	NRB_FW_V_UNKNOWN,  /* a target or statement the parser does not know */
	NRB_FW_V_NOTRACK,  /* path steps only: a notrack rule marked the packet untracked */
};

/** Final answer for a flow. */
enum nrb_fw_decision {
	NRB_FW_ACCEPT = 1, /* every hook lets it through */
	NRB_FW_DROP,       /* dropped silently */
	NRB_FW_REJECT,     /* dropped with an answer (see reject_with) */
	NRB_FW_UNCERTAIN,  /* some rule on the way could not be evaluated (see notes) */
};

/** Packet direction relative to this host. */
enum nrb_fw_direction {
	NRB_FW_DIR_INPUT = 1, /* to this host */
	NRB_FW_DIR_OUTPUT,    /* from this host */
	NRB_FW_DIR_FORWARD,   /* routed through this host */
};

/** Conntrack state of the packet evaluated (bit values, as nftables defines them). */
enum nrb_fw_ctstate {
	NRB_FW_CT_UNKNOWN = 0,       /* not given: rules on ct state cannot be evaluated */
	NRB_FW_CT_INVALID = 1,
	NRB_FW_CT_ESTABLISHED = 2,
	NRB_FW_CT_RELATED = 4,
	NRB_FW_CT_NEW = 8,
	NRB_FW_CT_UNTRACKED = 64,
};

/** Tools known to manage rules (bit flags). */
enum nrb_fw_manager {
	NRB_FW_MGR_UFW = 1,
	NRB_FW_MGR_FIREWALLD = 2,
	NRB_FW_MGR_FAIL2BAN = 4,
	NRB_FW_MGR_DOCKER = 8,
};

struct nrb_fw_match;     /* one match of a rule (opaque; fw_int.h) */
struct nrb_fw_vmap;      /* an nftables verdict map (opaque; fw_int.h) */
struct nrb_fw_vals;      /* a list of values/ranges a match compares with (opaque; fw_int.h) */
struct fw_chash;         /* name index of a table's chains (opaque; fw_model.c) */
struct nrb_fw_chain;
struct nrb_fw_table;

/** One rule. */
struct nrb_fw_rule {
	struct nrb_fw_chain *chain;       /* chain holding the rule (borrowed) */
	unsigned index;                   /* 1-based position in the chain */
	unsigned line;                    /* iptables-save line number (1-based), 0 for nft */
	uint64_t handle;                  /* nft rule handle, 0 for iptables */
	char *text;                       /* "-A INPUT -p tcp ... -j DROP" or nft-like rendering */
	char *comment;                    /* rule comment, or NULL */
	int has_counter;                  /* packets/bytes are meaningful */
	uint64_t packets;                 /* packet counter */
	uint64_t bytes;                   /* byte counter */
	enum nrb_fw_vkind verdict;        /* what the rule does when it matches */
	char *target;                     /* jump/goto chain, unknown target name, or NULL */
	struct nrb_fw_chain *target_chain; /* resolved jump/goto target, or NULL */
	char *reject_with;                /* reject type ("icmp-port-unreachable", "tcp reset") */
	size_t nmatches;                  /* number of matches */
	struct nrb_fw_match *matches;     /* matches, all must hold (opaque) */
	struct nrb_fw_vmap *vmap;         /* verdict map for NRB_FW_V_VMAP (opaque) */
	int notrack;                      /* marks the packet untracked (nft notrack, -j CT --notrack) */
	char *dynset;                     /* named set the rule adds the packet's key to (nft
	                                   * add/update @set, meter), or NULL */
	struct nrb_fw_match *dynset_key;  /* the key it adds ("ip saddr"; opaque), NULL unknown */
};

/** One chain. */
struct nrb_fw_chain {
	struct nrb_fw_table *table;   /* table holding the chain (borrowed) */
	char *name;                   /* chain name */
	uint64_t handle;              /* nft chain handle, 0 for iptables */
	enum nrb_fw_hook hook;        /* hook for a base chain, NONE for a regular one */
	enum nrb_fw_ctype type;       /* base chain type */
	int prio;                     /* base chain priority (iptables: the table's) */
	int has_policy;               /* policy is set (base chain) */
	enum nrb_fw_vkind policy;     /* ACCEPT or DROP */
	uint64_t packets;             /* policy counter (iptables-save -c), packets */
	uint64_t bytes;               /* policy counter, bytes */
	unsigned line;                /* iptables-save line of ":NAME POLICY", 0 for nft */
	size_t nrules;                /* number of rules */
	struct nrb_fw_rule **rules;   /* rules in order */
};

/** One named set or map (nftables); elements are kept in opaque form for matching. */
struct nrb_fw_set {
	struct nrb_fw_table *table;   /* table holding the set (borrowed) */
	char *name;                   /* set name */
	char *type;                   /* element type as nft prints it ("ipv4_addr") */
	int is_map;                   /* a map rather than a set */
	size_t nelems;                /* number of elements */
	struct nrb_fw_vals *vals;     /* elements (opaque) */
	struct nrb_fw_vmap *vmap;     /* entries of a verdict map (opaque), or NULL */
};

/** One table. */
struct nrb_fw_table {
	enum nrb_fw_origin origin;    /* which parser made it */
	enum nrb_fw_tfamily family;   /* address family */
	char *name;                   /* table name ("filter", "firewalld") */
	char *source;                 /* source name given to the parser ("iptables-save") */
	size_t nchains;               /* number of chains */
	struct nrb_fw_chain **chains; /* chains in order of appearance */
	size_t nsets;                 /* number of named sets/maps */
	struct nrb_fw_set **sets;     /* named sets/maps */
	struct fw_chash *chash;       /* chain name index (opaque; kept by fw_chain_add) */
};

/** A whole ruleset: any number of tables from any number of sources. */
struct nrb_fw_ruleset {
	size_t ntables;               /* number of tables */
	struct nrb_fw_table **tables; /* tables in order of parsing */
	size_t nwarnings;             /* number of parse warnings */
	char **warnings;              /* parse warnings ("nft: table inet x rule 5: ...") */
	size_t nrules;                /* total rules over all tables */
	size_t nunread;               /* number of sources that could not be read */
	char **unread;                /* why each could not be read ("iptables-save: ...");
	                               * every evaluation of this ruleset is then UNCERTAIN */
	void *arena;                  /* allocator owning everything (opaque) */
};

/** Description of the flow to evaluate.  Initialise with nrb_fw_flow_init(). */
struct nrb_fw_flow {
	int family;                   /* 4 or 6 */
	enum nrb_fw_direction direction; /* input, output or forward */
	int has_src;                  /* src is set */
	uint8_t src[16];              /* source address (IPv4 in the first 4 bytes) */
	int has_dst;                  /* dst is set */
	uint8_t dst[16];              /* destination address */
	int proto;                    /* IP protocol number, -1 unknown */
	int sport;                    /* source port, -1 unknown */
	int dport;                    /* destination port, -1 unknown */
	int icmp_type;                /* ICMP/ICMPv6 type, -1 unknown */
	int icmp_code;                /* ICMP code, -1 unknown */
	char iif[16];                 /* input interface, "" unknown (output: none) */
	char oif[16];                 /* output interface, "" unknown (input: none) */
	enum nrb_fw_ctstate state;    /* conntrack state (default NEW) */
};

/** What a path step did. */
enum nrb_fw_step_kind {
	NRB_FW_STEP_RULE = 1,  /* a rule matched and acted (verdict in rule->verdict) */
	NRB_FW_STEP_POLICY,    /* the base chain's policy applied */
	NRB_FW_STEP_END,       /* a base chain without policy ended (accept) */
};

/** One step of the path that led to the decision. */
struct nrb_fw_step {
	enum nrb_fw_step_kind kind;        /* rule, policy or end of chain */
	const struct nrb_fw_chain *chain;  /* chain where it happened (borrowed) */
	const struct nrb_fw_rule *rule;    /* rule for NRB_FW_STEP_RULE, else NULL (borrowed) */
	enum nrb_fw_vkind action;          /* what happened: ACCEPT, DROP, JUMP, RETURN, ... */
	char *ref;                         /* reference the user can find again (owned) */
};

/** Result of an evaluation. */
struct nrb_fw_result {
	enum nrb_fw_decision decision;     /* final answer */
	enum nrb_fw_decision assumed;      /* answer if every rule that could not be evaluated did
	                                    * not match, and every rate limit saw only this packet
	                                    * (`limit rate N` matches, `limit rate over N` does not) */
	char *reject_with;                 /* reject type for REJECT (owned), or NULL */
	const struct nrb_fw_rule *deciding; /* rule that decided, NULL for a policy or ACCEPT by default */
	const struct nrb_fw_chain *deciding_chain; /* chain whose rule/policy decided, or NULL */
	size_t deciding_step;              /* 1-based index in path of the deciding step, 0 none:
	                                    * the last step that is not a rule that only counted
	                                    * or logged ("continue"), marked the packet untracked
	                                    * ("notrack") or rewrote its source ("snat") */
	unsigned manager;                  /* manager (enum nrb_fw_manager bit) owning the decision, 0 none */
	size_t nsteps;                     /* steps in path */
	struct nrb_fw_step *path;          /* the rules that led there, in order (owned) */
	size_t nnotes;                     /* notes */
	char **notes;                      /* "cannot evaluate rule X (match Y)" etc. (owned) */
	size_t visited;                    /* rules looked at (for benchmarks) */
};

/** Counter change of one rule between two snapshots. */
struct nrb_fw_delta {
	const struct nrb_fw_rule *rule;    /* the rule in the later snapshot (borrowed) */
	const struct nrb_fw_chain *chain;  /* for a policy counter: the chain, rule NULL */
	uint64_t packets;                  /* packets added */
	uint64_t bytes;                    /* bytes added */
	char *ref;                         /* reference (owned by the delta array) */
};

/** @return a new empty ruleset (caller frees with nrb_fw_ruleset_free), NULL on ENOMEM. */
struct nrb_fw_ruleset *nrb_fw_ruleset_new(void);

/** Free a ruleset and everything it owns; NULL is allowed. */
void nrb_fw_ruleset_free(struct nrb_fw_ruleset *rs);

/**
 * Record that a source of this ruleset could not be read (or parsed): every evaluation of
 * rs is then UNCERTAIN, with msg in a note.  nrb_fw_read_live() does this for its sources.
 * @param msg why ("iptables-save:12: bad address: ..."); borrowed, copied
 * @return 0, -EINVAL (NULL argument), -ENOMEM
 */
int nrb_fw_ruleset_add_unread(struct nrb_fw_ruleset *rs, const char *msg);

/**
 * Parse `iptables-save [-c]` or `ip6tables-save [-c]` text into rs.
 * @param rs ruleset to add the tables to
 * @param text the text (need not be NUL-terminated; untrusted)
 * @param len its length (at most NRB_FW_MAX_INPUT)
 * @param ipv 4 for iptables-save, 6 for ip6tables-save
 * @param source name used in references and errors ("iptables-save"); borrowed, copied
 * @return 0, -EINVAL for malformed text (err names "SOURCE:LINE: ..."), -E2BIG, -ENOMEM.
 *         On error the tables of this text are removed again: rs is as it was (a table
 *         read up to a bad line would be evaluated as if its later rules did not exist).
 */
int nrb_fw_parse_iptables(struct nrb_fw_ruleset *rs, const char *text, size_t len, int ipv,
                          const char *source, char *err, size_t errlen);

/**
 * Parse `nft -j list ruleset` JSON into rs.
 * @param skip_iptables_dups skip ip/ip6 tables that rs already holds from iptables text
 *        (iptables-nft tables appear in both listings; the iptables text is the readable one)
 * @return 0, -EINVAL (err names the object: "nft: rule 12 of chain inet t input: ..."),
 *         -E2BIG, -ENOMEM.  Expressions it does not know are kept as unknown matches.
 *         On error the tables of this text are removed again (as for iptables).
 */
int nrb_fw_parse_nft_json(struct nrb_fw_ruleset *rs, const char *text, size_t len,
                          const char *source, int skip_iptables_dups, char *err, size_t errlen);

/** Set flow to defaults: family 4, direction input, nothing known, state NEW. */
void nrb_fw_flow_init(struct nrb_fw_flow *flow);

/**
 * Parse a numeric IPv4/IPv6 address into flow->src or flow->dst and set flow->family.
 * @param which 's' for source, 'd' for destination
 * @return 0 or -EINVAL (err says which address is bad, or that its family differs from the other's)
 */
int nrb_fw_flow_set_addr(struct nrb_fw_flow *flow, int which, const char *addr,
                         char *err, size_t errlen);

/**
 * Walk flow through the ruleset in kernel order and decide.
 * @param rs the ruleset (borrowed; must outlive res)
 * @param flow the flow (copied)
 * @param res filled; free with nrb_fw_result_free() whenever 0 was returned
 * @return 0 (also for UNCERTAIN), -EINVAL for an unusable flow (no family/direction),
 *         -ENOMEM.
 */
int nrb_fw_evaluate(const struct nrb_fw_ruleset *rs, const struct nrb_fw_flow *flow,
                    struct nrb_fw_result *res, char *err, size_t errlen);

/** Free what a result owns (not the struct itself); NULL is allowed. */
void nrb_fw_result_free(struct nrb_fw_result *res);

/**
 * Format a reference to a rule the user can find again: for nft
 * "table inet filter chain input handle 7", for iptables
 * "iptables-save line 12 (table filter): -A INPUT -p tcp --dport 443 -j DROP".
 * @return buf
 */
char *nrb_fw_rule_ref(const struct nrb_fw_rule *rule, char *buf, size_t len);

/** Format a reference to a chain's policy ("table ip filter chain INPUT policy drop"). */
char *nrb_fw_chain_ref(const struct nrb_fw_chain *chain, char *buf, size_t len);

/** Names for enums, for printing ("accept", "input", "inet", ...). Never NULL. */
const char *nrb_fw_decision_name(enum nrb_fw_decision d);
const char *nrb_fw_vkind_name(enum nrb_fw_vkind v);
const char *nrb_fw_hook_name(enum nrb_fw_hook h);
const char *nrb_fw_tfamily_name(enum nrb_fw_tfamily f);
const char *nrb_fw_direction_name(enum nrb_fw_direction d);
const char *nrb_fw_manager_name(unsigned mgr_bit);

/** @return the manager owning a chain, from its and its table's name (0 none). */
unsigned nrb_fw_chain_manager(const struct nrb_fw_chain *chain);

/** @return the manager owning a rule: its chain's, or fail2ban for a rule matching one of
 *  fail2ban's ipsets (`--match-set f2b-JAIL`); 0 none. */
unsigned nrb_fw_rule_manager(const struct nrb_fw_rule *rule);

/** @return bit set of every manager whose chains, tables or sets appear in rs. */
unsigned nrb_fw_managers(const struct nrb_fw_ruleset *rs);

/** @return advice naming the tool to use instead of raw iptables/nft, for a manager bit. */
const char *nrb_fw_manager_advice(unsigned mgr_bit);

/**
 * Compare counters of two snapshots of the same ruleset.  Rules are paired by table,
 * chain and position plus text (iptables) or handle (nft); a rule whose packet counter
 * rose by at least min_packets is listed, as are policy counters that rose.
 * @param out receives a new array (caller frees with nrb_fw_deltas_free), NULL when none
 * @param n receives its length
 * @return 0, -EINVAL (NULL argument), -ENOMEM
 */
int nrb_fw_diff(const struct nrb_fw_ruleset *before, const struct nrb_fw_ruleset *after,
                uint64_t min_packets, struct nrb_fw_delta **out, size_t *n);

/** Free an array from nrb_fw_diff. */
void nrb_fw_deltas_free(struct nrb_fw_delta *d, size_t n);

/* ---- live ruleset (fw_exec.c): the only code in nrb that executes programs ---- */

/** Absolute paths of the programs run; fixed, never taken from the environment. */
#define NRB_FW_NFT_PATH "/usr/sbin/nft"
#define NRB_FW_IPTABLES_SAVE_PATH "/usr/sbin/iptables-save"
#define NRB_FW_IP6TABLES_SAVE_PATH "/usr/sbin/ip6tables-save"

/** What to read live (flags for nrb_fw_read_live). */
enum nrb_fw_read_flags {
	NRB_FW_READ_NFT = 1,       /* nft -j list ruleset */
	NRB_FW_READ_IPTABLES = 2,  /* iptables-save -c */
	NRB_FW_READ_IP6TABLES = 4, /* ip6tables-save -c */
	NRB_FW_READ_ALL = 7,
};

/**
 * Run a program with a fixed argv and an empty environment, collect its stdout.
 * @param path absolute path; @param argv NULL-terminated argv (argv[0] included)
 * @param max_bytes output above this is an error (-E2BIG); @param timeout_ms kill after
 * @param out receives the NUL-terminated output (caller frees); @param out_len its length
 * @return 0 when the program exited 0; -ENOENT no such program, -EACCES/-EPERM its exit
 *         says permission denied, -ETIMEDOUT, -E2BIG, -EIO other failure (err has its stderr)
 */
int nrb_fw_run(const char *path, char *const argv[], size_t max_bytes, int timeout_ms,
               char **out, size_t *out_len, char *err, size_t errlen);

/**
 * Read the live ruleset of the current network namespace: iptables-save -c,
 * ip6tables-save -c, their legacy variants when the namespace has legacy (x_tables)
 * tables, and nft -j list ruleset.
 * @param out receives a new ruleset (caller frees); it holds whatever could be read, and
 *        every source that could not be read is in (*out)->unread, which makes each
 *        evaluation UNCERTAIN (a missing iptables-save is not, when nft was read: nft
 *        lists the iptables-nft tables too)
 * @param problems receives a newline-separated text of sources that failed (caller
 *        frees), or NULL when all worked
 * @return 0 when at least one source was read, -EPERM when every source failed for
 *         lack of permission, -ENOENT when no program exists, else -EIO (err set)
 */
int nrb_fw_read_live(unsigned flags, struct nrb_fw_ruleset **out, char **problems,
                     char *err, size_t errlen);

/**
 * Read the live ruleset of another network namespace: the programs run there (setns in
 * the child), this process stays where it is.
 * @param netns "host" (the namespace of PID 1), an absolute path (/proc/PID/ns/net), or a
 *        name under /run/netns (as `ip netns` makes them)
 * @return as nrb_fw_read_live; -ENOENT no such namespace, -EPERM not allowed to enter it
 */
int nrb_fw_read_live_netns(const char *netns, unsigned flags, struct nrb_fw_ruleset **out,
                           char **problems, char *err, size_t errlen);

/**
 * The `nrb probe fw` command.
 * @param argc/argv arguments after "fw" (argv[0] is "fw")
 * @param out where the report goes
 * @return 0 decided (any decision, also uncertain), 1 bad input, 2 usage, 3 environment
 */
int nrb_fw_cli(int argc, char **argv, FILE *out);

#endif
