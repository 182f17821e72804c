/* fw_cli: `nrb probe fw ...` (see fw.h nrb_fw_cli): describe a flow on the command line,
 * read the live ruleset (or a saved one), print the decision and the rule path as
 * Markdown or JSON. */
#include "fw/fw_int.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define EXIT_DECIDED 0
#define EXIT_BADINPUT 1
#define EXIT_USAGE 2
#define EXIT_ENV 3

static const char usage_text[] =
	"usage: nrb probe fw [--proto tcp|udp|icmp|icmpv6|N] [--dst ADDR] [--src ADDR]\n"
	"                    [--dport N] [--sport N] [--icmp-type N]\n"
	"                    [--direction input|output|forward] [--iif IF] [--oif IF]\n"
	"                    [--state new|established|related|invalid] [--format md|json]\n"
	"                    [--ruleset-file FILE --ruleset-format iptables|ip6tables|nft]\n"
	"                    [--netns host|NAME|PATH]\n"
	"Says which firewall rule decides the flow (default direction: input, state: new).\n";

struct cli {
	struct nrb_fw_flow flow;   /* flow being described */
	int json;                  /* --format json */
	const char *file;          /* --ruleset-file */
	const char *file_format;   /* --ruleset-format */
	const char *netns;         /* --netns: read the live rules of that namespace */
	int dir_given;             /* --direction was given */
};

static int usage(FILE *out, const char *msg, const char *arg)
{
	fprintf(out, "nrb probe fw: %s%s%s\n%s", msg, arg ? " " : "", arg ? arg : "", usage_text);
	return EXIT_USAGE;
}

static int parse_int(const char *s, int max, int *v)
{
	char *end;
	long x;

	if (!s || !*s || (*s < '0' || *s > '9'))
		return -1;
	x = strtol(s, &end, 10);
	if (*end || x < 0 || x > max)
		return -1;
	*v = (int)x;
	return 0;
}

static int parse_proto(const char *s, int *proto, int *fam6)
{
	static const struct {
		const char *n;
		int p;
	} t[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"ipv6-icmp", 58},
	         {"sctp", 132}, {NULL, 0}};

	for (int i = 0; t[i].n; i++)
		if (!strcmp(s, t[i].n)) {
			*proto = t[i].p;
			*fam6 = t[i].p == 58;
			return 0;
		}
	*fam6 = 0;
	return parse_int(s, 255, proto);
}

/* @return -1 to go on, or an exit status */
static int parse_args(struct cli *c, int argc, char **argv, FILE *out)
{
	char err[256];
	int fam6 = 0;

	nrb_fw_flow_init(&c->flow);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage_text, out);
			return EXIT_DECIDED;
		}
		if (strncmp(o, "--", 2) != 0)
			return usage(out, "unexpected argument", o);
		if (!v)
			return usage(out, "missing value after", o);
		i++;
		if (!strcmp(o, "--proto")) {
			if (parse_proto(v, &c->flow.proto, &fam6))
				return usage(out, "unknown protocol", v);
			if (fam6)
				c->flow.family = 6;
		} else if (!strcmp(o, "--dst") || !strcmp(o, "--src")) {
			if (nrb_fw_flow_set_addr(&c->flow, o[2] == 'd' ? 'd' : 's', v, err, sizeof err)) {
				fprintf(out, "nrb probe fw: %s\n", err);
				return EXIT_BADINPUT;
			}
		} else if (!strcmp(o, "--dport") || !strcmp(o, "--sport")) {
			int p;

			if (parse_int(v, 65535, &p))
				return usage(out, "port must be 0..65535, not", v);
			if (o[2] == 'd')
				c->flow.dport = p;
			else
				c->flow.sport = p;
		} else if (!strcmp(o, "--icmp-type")) {
			if (parse_int(v, 255, &c->flow.icmp_type))
				return usage(out, "ICMP type must be 0..255, not", v);
		} else if (!strcmp(o, "--direction")) {
			if (!strcmp(v, "input"))
				c->flow.direction = NRB_FW_DIR_INPUT;
			else if (!strcmp(v, "output"))
				c->flow.direction = NRB_FW_DIR_OUTPUT;
			else if (!strcmp(v, "forward"))
				c->flow.direction = NRB_FW_DIR_FORWARD;
			else
				return usage(out, "direction must be input, output or forward, not", v);
			c->dir_given = 1;
		} else if (!strcmp(o, "--iif") || !strcmp(o, "--oif")) {
			if (strlen(v) == 0 || strlen(v) >= sizeof c->flow.iif)
				return usage(out, "interface name must be 1..15 characters:", v);
			snprintf(o[2] == 'i' ? c->flow.iif : c->flow.oif, sizeof c->flow.iif, "%s", v);
		} else if (!strcmp(o, "--state")) {
			if (!strcmp(v, "new"))
				c->flow.state = NRB_FW_CT_NEW;
			else if (!strcmp(v, "established"))
				c->flow.state = NRB_FW_CT_ESTABLISHED;
			else if (!strcmp(v, "related"))
				c->flow.state = NRB_FW_CT_RELATED;
			else if (!strcmp(v, "invalid"))
				c->flow.state = NRB_FW_CT_INVALID;
			else
				return usage(out, "state must be new, established, related or invalid, not", v);
		} else if (!strcmp(o, "--format")) {
			if (!strcmp(v, "json"))
				c->json = 1;
			else if (strcmp(v, "md"))
				return usage(out, "format must be md or json, not", v);
		} else if (!strcmp(o, "--netns")) {
			c->netns = v;
		} else if (!strcmp(o, "--ruleset-file")) {
			c->file = v;
		} else if (!strcmp(o, "--ruleset-format")) {
			if (strcmp(v, "iptables") && strcmp(v, "ip6tables") && strcmp(v, "nft"))
				return usage(out, "ruleset format must be iptables, ip6tables or nft, not", v);
			c->file_format = v;
		} else {
			return usage(out, "unknown option", o);
		}
	}
	if (c->file && c->netns)
		return usage(out, "--netns reads live rules; it does not go with --ruleset-file", NULL);
	if (!!c->file != !!c->file_format)
		return usage(out, "--ruleset-file and --ruleset-format go together", NULL);
	if (fam6 && c->flow.family != 6)
		return usage(out, "icmpv6 with IPv4 addresses", NULL);
	return -1;
}

static void flow_text(const struct cli *c, char *buf, size_t len)
{
	const struct nrb_fw_flow *f = &c->flow;
	char a[64] = "any", b[64] = "any";
	const char *pn = f->proto == 6 ? "tcp" : f->proto == 17 ? "udp" : f->proto == 1 ? "icmp"
	                 : f->proto == 58 ? "icmpv6" : NULL;

	if (f->has_src)
		inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, f->src, a, sizeof a);
	if (f->has_dst)
		inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, f->dst, b, sizeof b);
	buf[0] = '\0';
	if (pn)
		fw_appendf(buf, len, "%s ", pn);
	else if (f->proto >= 0)
		fw_appendf(buf, len, "proto %d ", f->proto);
	else
		fw_appendf(buf, len, "any protocol ");
	fw_appendf(buf, len, "%s", a);
	if (f->sport >= 0)
		fw_appendf(buf, len, ":%d", f->sport);
	fw_appendf(buf, len, " -> %s", b);
	if (f->dport >= 0)
		fw_appendf(buf, len, ":%d", f->dport);
	if (f->icmp_type >= 0)
		fw_appendf(buf, len, " type %d", f->icmp_type);
	fw_appendf(buf, len, " (%s%s, state %s", nrb_fw_direction_name(f->direction),
	               c->dir_given ? "" : " by default",
	               f->state == NRB_FW_CT_NEW ? "new" : f->state == NRB_FW_CT_ESTABLISHED ? "established"
	               : f->state == NRB_FW_CT_RELATED ? "related" : "invalid");
	if (f->iif[0])
		fw_appendf(buf, len, ", in %s", f->iif);
	if (f->oif[0])
		fw_appendf(buf, len, ", out %s", f->oif);
	fw_appendf(buf, len, ")");
}

static void print_md(FILE *out, const struct cli *c, const struct nrb_fw_ruleset *rs,
                     const struct nrb_fw_result *res, const char *problems)
{
	char ft[512];

	flow_text(c, ft, sizeof ft);
	fprintf(out, "## Firewall check: %s\n\n", ft);
	if (!c->flow.has_src && !c->flow.has_dst)
		fprintf(out, "No address given: evaluated as IPv%d (give --src/--dst to choose).\n\n",
		        c->flow.family);
	fprintf(out, "**Decision: %s**", nrb_fw_decision_name(res->decision));
	if (res->reject_with)
		fprintf(out, " (with %s)", res->reject_with);
	if (res->decision == NRB_FW_UNCERTAIN)
		fprintf(out, " (if the rules nrb could not evaluate do not match: %s)",
		        nrb_fw_decision_name(res->assumed));
	fprintf(out, "\n\n");
	if (res->nsteps) {
		fprintf(out, "Rule path:\n\n");
		for (size_t i = 0; i < res->nsteps; i++) {
			const struct nrb_fw_step *s = &res->path[i];

			fprintf(out, "%zu. `%s`", i + 1, s->ref);
			/* nft references carry no rule text: add nrb's rendering of it */
			if (s->rule && s->rule->text && s->chain->table->origin == NRB_FW_ORIGIN_NFT)
				fprintf(out, " (`%s`)", s->rule->text);
			fprintf(out, " -> %s\n", nrb_fw_vkind_name(s->action));
		}
		fprintf(out, "\n");
	} else {
		fprintf(out, "No rule applies to this flow (%zu rules read).\n\n", rs->nrules);
	}
	if (res->nnotes) {
		fprintf(out, "Not evaluated:\n\n");
		for (size_t i = 0; i < res->nnotes; i++)
			fprintf(out, "- %s\n", res->notes[i]);
		fprintf(out, "\n");
	}
	if (res->manager)
		fprintf(out, "Managed by %s: %s\n\n", nrb_fw_manager_name(res->manager),
		        nrb_fw_manager_advice(res->manager));
	if (problems)
		fprintf(out, "Ruleset sources not read%s:\n\n```\n%s```\n",
		        rs->nunread ? " (their rules are missing: the decision is uncertain)" : "",
		        problems);
	for (size_t i = 0; i < rs->nwarnings; i++)
		fprintf(out, "- warning: %s\n", rs->warnings[i]);
}

static void print_json(FILE *out, const struct cli *c, const struct nrb_fw_ruleset *rs,
                       const struct nrb_fw_result *res, const char *problems)
{
	struct json_object *o = json_object_new_object(), *path = json_object_new_array();
	struct json_object *notes = json_object_new_array(), *warn = json_object_new_array();
	char ft[512];

	flow_text(c, ft, sizeof ft);
	json_object_object_add(o, "schema", json_object_new_string("nrb.fw/1"));
	json_object_object_add(o, "flow", json_object_new_string(ft));
	json_object_object_add(o, "family", json_object_new_int(c->flow.family));
	json_object_object_add(o, "direction",
	                       json_object_new_string(nrb_fw_direction_name(c->flow.direction)));
	json_object_object_add(o, "decision", json_object_new_string(nrb_fw_decision_name(res->decision)));
	json_object_object_add(o, "assumed", json_object_new_string(nrb_fw_decision_name(res->assumed)));
	json_object_object_add(o, "reject_with",
	                       res->reject_with ? json_object_new_string(res->reject_with) : NULL);
	json_object_object_add(o, "manager", res->manager ?
	                       json_object_new_string(nrb_fw_manager_name(res->manager)) : NULL);
	json_object_object_add(o, "advice", res->manager ?
	                       json_object_new_string(nrb_fw_manager_advice(res->manager)) : NULL);
	for (size_t i = 0; i < res->nsteps; i++) {
		const struct nrb_fw_step *s = &res->path[i];
		struct json_object *st = json_object_new_object();

		json_object_object_add(st, "ref", json_object_new_string(s->ref));
		json_object_object_add(st, "action", json_object_new_string(nrb_fw_vkind_name(s->action)));
		json_object_object_add(st, "kind", json_object_new_string(
		                       s->kind == NRB_FW_STEP_RULE ? "rule" : "policy"));
		json_object_object_add(st, "table", json_object_new_string(s->chain->table->name));
		json_object_object_add(st, "family",
		                       json_object_new_string(nrb_fw_tfamily_name(s->chain->table->family)));
		json_object_object_add(st, "chain", json_object_new_string(s->chain->name));
		if (s->rule && s->rule->line)
			json_object_object_add(st, "line", json_object_new_int((int)s->rule->line));
		if (s->rule && s->rule->handle)
			json_object_object_add(st, "handle", json_object_new_int64((int64_t)s->rule->handle));
		if (s->rule && s->rule->text)
			json_object_object_add(st, "text", json_object_new_string(s->rule->text));
		json_object_array_add(path, st);
	}
	json_object_object_add(o, "path", path);
	json_object_object_add(o, "deciding", res->deciding_step ?
	                       json_object_new_int((int)res->deciding_step) : NULL);
	for (size_t i = 0; i < res->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(res->notes[i]));
	json_object_object_add(o, "notes", notes);
	for (size_t i = 0; i < rs->nwarnings; i++)
		json_object_array_add(warn, json_object_new_string(rs->warnings[i]));
	json_object_object_add(o, "warnings", warn);
	json_object_object_add(o, "sources_failed", problems ? json_object_new_string(problems) : NULL);
	{
		struct json_object *un = json_object_new_array();

		for (size_t i = 0; i < rs->nunread; i++)
			json_object_array_add(un, json_object_new_string(rs->unread[i]));
		json_object_object_add(o, "unread", un);
	}
	json_object_object_add(o, "rules_read", json_object_new_int64((int64_t)rs->nrules));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int nrb_fw_cli(int argc, char **argv, FILE *out)
{
	struct cli c;
	struct nrb_fw_ruleset *rs = NULL;
	struct nrb_fw_result res;
	char *problems = NULL, err[1024];
	int rc;

	if (!out)
		return EXIT_USAGE;
	if (!argv || argc < 1)
		return usage(out, "no arguments", NULL);
	memset(&c, 0, sizeof c);
	rc = parse_args(&c, argc, argv, out);
	if (rc >= 0)
		return rc;
	if (c.file) {
		char *text = NULL;
		size_t len = 0;
		int e;

		if (nrb_read_file(c.file, NRB_FW_MAX_INPUT, &text, &len, err, sizeof err)) {
			fprintf(out, "nrb probe fw: %s\n", err);
			return EXIT_BADINPUT;
		}
		rs = nrb_fw_ruleset_new();
		if (!rs) {
			free(text);
			return EXIT_ENV;
		}
		if (!strcmp(c.file_format, "nft"))
			e = nrb_fw_parse_nft_json(rs, text, len, c.file, 1, err, sizeof err);
		else
			e = nrb_fw_parse_iptables(rs, text, len, c.file_format[2] == '6' ? 6 : 4, c.file,
			                          err, sizeof err);
		free(text);
		if (e) {
			fprintf(out, "nrb probe fw: %s\n", err);
			nrb_fw_ruleset_free(rs);
			return e == -ENOMEM ? EXIT_ENV : EXIT_BADINPUT;
		}
	} else {
		int e = c.netns ? nrb_fw_read_live_netns(c.netns, NRB_FW_READ_ALL, &rs, &problems, err,
		                                         sizeof err)
		                : nrb_fw_read_live(NRB_FW_READ_ALL, &rs, &problems, err, sizeof err);

		if (e) {
			fprintf(out, "nrb probe fw: %s\n", err);
			return e == -EINVAL ? EXIT_USAGE : EXIT_ENV;
		}
	}
	if (nrb_fw_evaluate(rs, &c.flow, &res, err, sizeof err)) {
		fprintf(out, "nrb probe fw: %s\n", err);
		nrb_fw_ruleset_free(rs);
		free(problems);
		return EXIT_BADINPUT;
	}
	if (c.json)
		print_json(out, &c, rs, &res, problems);
	else
		print_md(out, &c, rs, &res, problems);
	nrb_fw_result_free(&res);
	nrb_fw_ruleset_free(rs);
	free(problems);
	return EXIT_DECIDED;
}
