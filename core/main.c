/*
 * nrb: command-line entry point.
 *
 * main.c owns the command line and the process: it parses arguments (getopt_long, one
 * option set per subcommand), decides where the data roots are, installs the signal
 * handlers, creates the Lua host and hands a table of options to lua/nrb/cli.lua.  Exit
 * status (DESIGN.md): 0 ran to a verdict, 1 bad runbook or input, 2 usage error,
 * 3 environment problem, 130 interrupted (partial report written).
 */
#include "fw/fw.h"
#include "lua/host.h"
#include "lua/host_int.h"
#include "nrb_config.h"
#include "util/util.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>

#define EXIT_USAGE 2
#define EXIT_ENV 3
#define MAX_DIRS 32

static const char *const usage_main =
	"usage: nrb COMMAND [OPTIONS]\n"
	"\n"
	"Find out why clients cannot reach a server's port — a routing problem or a firewall\n"
	"problem, at which hop — by running a diagnostic runbook, and print a Markdown ticket.\n"
	"\n"
	"commands:\n"
	"  run RUNBOOK      run a runbook and print its report (nrb run --help)\n"
	"  list             list the runbooks on the search path, with one-line summaries\n"
	"  check RUNBOOK    validate a runbook; errors as FILE:LINE:COL: message\n"
	"  probe KIND ...   run one probe by hand (nrb probe --help)\n"
	"  merge REPORT.json...   one ticket from several vantage points / both ends\n"
	"  diff BEFORE.json AFTER.json   what changed after a fix\n"
	"  analyze FILE.pcap   offline analysis of a capture someone sent you\n"
	"  help [COMMAND]   show help\n"
	"\n"
	"options:\n"
	"  -h, --help       show this help\n"
	"  -V, --version    show the version\n"
	"\n"
	"RUNBOOK is a name found on the runbook search path (see `nrb list`) or a path to a\n"
	"YAML or Lua file.  Search path: --runbook-path DIR (repeatable), then $NRB_PATH\n"
	"(colon-separated), then the runbooks/ folder of the data root ($NRB_DATADIR, or the\n"
	"source tree for a build-tree binary, or " NRB_INSTALL_DATADIR ").\n"
	"\n"
	"exit status: 0 ran to a verdict (whatever it is), 1 the runbook or its input is bad,\n"
	"2 usage error, 3 environment problem, 130 interrupted (a partial report is written).\n";

static const char *const usage_run =
	"usage: nrb run RUNBOOK [--target HOST] [--port N] [--proto tcp|udp]\n"
	"               [--param KEY=VALUE]... [--format md|json] [--output FILE]\n"
	"               [--json FILE] [--lang en|zh] [--label TEXT] [--runbook-path DIR]\n"
	"               [--quiet]\n"
	"\n"
	"Run RUNBOOK and print its report on stdout (Markdown by default).  Progress goes to\n"
	"stderr when it is a terminal.  Ctrl-C stops the run and still writes the report of\n"
	"what was gathered, marked interrupted (a second Ctrl-C kills nrb).\n"
	"\n"
	"  --target HOST        the runbook's 'target' parameter (name or address)\n"
	"  --port N             the runbook's 'port' parameter (1-65535)\n"
	"  --proto tcp|udp      the runbook's 'proto' parameter\n"
	"  --param KEY=VALUE    any runbook parameter (repeatable)\n"
	"  --format md|json     report format on stdout/--output (default md)\n"
	"  --output FILE        write the report to FILE (atomically) instead of stdout\n"
	"  --json FILE          also write the JSON report (schema nrb.report/1) to FILE\n"
	"  --lang en|zh         language of the Markdown ticket (default en)\n"
	"  --label TEXT         name of this vantage point in the report (e.g. \"Shanghai CT\")\n"
	"  --runbook-path DIR   also look for runbooks in DIR (repeatable)\n"
	"  -q, --quiet          no progress on stderr\n"
	"\n"
	"example: nrb run standard --target 203.0.113.10 --port 443 --label \"Shanghai CT\"\n";

static const char *const usage_list =
	"usage: nrb list [--runbook-path DIR] [--verbose]\n"
	"\n"
	"List the runbooks on the search path: name and one-line summary (with --verbose,\n"
	"also the file).  When two folders hold the same name, the first on the path wins.\n";

static const char *const usage_check =
	"usage: nrb check RUNBOOK [--runbook-path DIR]\n"
	"\n"
	"Validate RUNBOOK without running it: YAML or Lua syntax, unknown keys, unknown\n"
	"probes and arguments, parameter types and defaults, expressions, verdict rules.\n"
	"Each problem is printed as FILE:LINE:COL: message; exit status 1 if there is any.\n";

static const char *const usage_merge =
	"usage: nrb merge [--format md|json] [--output FILE] REPORT.json REPORT.json...\n"
	"\n"
	"One ticket from several reports of the same incident: clients in several places\n"
	"(--label tells them apart) and/or the server's own view (the server-side runbook).\n"
	"Prints the combined verdict and why, and a table of vantage point x verdict x where\n"
	"the path breaks.  Reports about different targets are refused (exit 1); reports\n"
	"taken far apart in time are merged with a note and a lower confidence.\n";

static const char *const usage_diff =
	"usage: nrb diff [--format md|json] [--output FILE] BEFORE.json AFTER.json\n"
	"\n"
	"What changed between two runs against the same target — the check after a repair:\n"
	"verdict, step results, loss, RTT, where traces stop, port results, per-hop loss.\n";

static const char *const usage_analyze =
	"usage: nrb analyze [--target ADDR] [--port N] [--format md|json] [--output FILE] FILE.pcap\n"
	"\n"
	"Analyse a capture (pcap or pcapng; Ethernet, Linux cooked SLL/SLL2 from -i any, raw\n"
	"IP; VLAN tags): every TCP connection attempt with its state (Zeek-like), handshake RTT,\n"
	"retransmissions and who reset it; whether a reset was sent by the server or injected\n"
	"by a device on the path (TTL, IP ID, timing); UDP request/response pairs; ICMP errors\n"
	"and the flows they quote; full-size segments that vanish (PMTU blackhole).\n"
	"--target/--port narrow it to one server.  Exit 1 if the file cannot be analysed.\n";

static const char *const usage_help =
	"usage: nrb help [COMMAND]\n"
	"\n"
	"Show the help of COMMAND (run, list, check, probe, merge, diff, analyze, help), or\n"
	"of nrb itself without one.  `nrb COMMAND --help` shows the same.\n";

/* Command-line state shared by the subcommands. */
struct cli {
	const char *roots[2];          /* data roots (lua/, runbooks/, reports/) */
	size_t nroots;                 /* entries in roots */
	const char *dirs[MAX_DIRS];    /* runbook folders from --runbook-path and NRB_PATH */
	size_t ndirs;                  /* entries in dirs */
	char *path_copy;               /* strdup of NRB_PATH the dirs point into */
	char *rbpath_copies[MAX_DIRS]; /* strdups of --runbook-path values */
	size_t ncopies;                /* entries in rbpath_copies */
	char exe_root[PATH_MAX];       /* storage for a computed root */
};

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nrb: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'nrb %s%s--help' for more information.\n", cmd ? cmd : "",
	        cmd ? " " : "");
	return EXIT_USAGE;
}

/* Add colon-separated folders from s (modified in place). */
static int add_dirs(struct cli *c, char *s)
{
	for (char *save = NULL, *tok = strtok_r(s, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (*tok == '\0')
			continue;
		if (c->ndirs == MAX_DIRS)
			return -1;
		c->dirs[c->ndirs++] = tok;
	}
	return 0;
}

static int add_runbook_path(struct cli *c, const char *arg)
{
	char *copy;

	if (c->ncopies == MAX_DIRS || !(copy = strdup(arg)))
		return -1;
	c->rbpath_copies[c->ncopies++] = copy;
	return add_dirs(c, copy);
}

/*
 * Data root: $NRB_DATADIR if set; the source tree when this binary lives in the build
 * tree (so a fresh build runs without installing); PREFIX/share/nrb next to an installed
 * PREFIX/bin/nrb (so an installed tree can be moved); the configured install path last.
 */
static void find_roots(struct cli *c)
{
	const char *env = getenv("NRB_DATADIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		c->roots[c->nroots++] = env;
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		size_t bl = strlen(NRB_BUILD_DIR);
		exe[n] = '\0';
		if (strncmp(exe, NRB_BUILD_DIR, bl) == 0 && exe[bl] == '/') {
			c->roots[c->nroots++] = NRB_SOURCE_DATADIR;
			return;
		}
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(c->exe_root, sizeof c->exe_root, "%s/../share/nrb", exe) <
			        sizeof c->exe_root &&
			    access(c->exe_root, R_OK | X_OK) == 0) {
				c->roots[c->nroots++] = c->exe_root;
				return;
			}
		}
	}
	c->roots[c->nroots++] = NRB_INSTALL_DATADIR;
}

static void cli_free(struct cli *c)
{
	for (size_t i = 0; i < c->ncopies; i++)
		free(c->rbpath_copies[i]);
	free(c->path_copy);
}

/* Create the host, push opts (built by fill()) and call cli.<func>. */
static int enter_lua(struct cli *c, const char *func,
                     void (*fill)(lua_State *L, void *arg), void *arg)
{
	struct nrb_host_opts ho;
	struct nrb_host *h;
	char err[512];
	const char *env = getenv("NRB_PATH");
	int rc;

	/* the Lua side lives in the data root: without it nothing can run (a wrong
	 * NRB_DATADIR, an incomplete install) — say so plainly, an environment problem */
	for (size_t i = 0; i < c->nroots; i++) {
		char probe[PATH_MAX];

		if ((size_t)snprintf(probe, sizeof probe, "%s/lua/nrb/cli.lua", c->roots[i]) < sizeof probe &&
		    access(probe, R_OK) == 0)
			goto found;
	}
	{
		const char *dd = getenv("NRB_DATADIR");
		int from_env = dd && *dd;

		fprintf(stderr, "nrb: no nrb data folder at %s (%s): it must hold lua/nrb/cli.lua, "
		        "runbooks/ and reports/; %s\n", c->nroots ? c->roots[0] : "(none)",
		        from_env ? "from NRB_DATADIR" : "the installed data",
		        from_env ? "point NRB_DATADIR at the folder that does, or unset it"
		                 : "reinstall nrb or set NRB_DATADIR");
	}
	return EXIT_ENV;
found:
	if (env && *env) {
		c->path_copy = strdup(env);
		if (!c->path_copy || add_dirs(c, c->path_copy) < 0) {
			fprintf(stderr, "nrb: NRB_PATH has too many folders (at most %d)\n", MAX_DIRS);
			return EXIT_USAGE;
		}
	}
	memset(&ho, 0, sizeof ho);
	ho.roots = c->roots;
	ho.nroots = c->nroots;
	ho.runbook_dirs = c->dirs;
	ho.nrunbook_dirs = c->ndirs;
	if (nrb_host_new(&ho, &h, err, sizeof err) < 0) {
		fprintf(stderr, "nrb: %s\n", err);
		return EXIT_ENV;
	}
	lua_State *L = nrb_host_state(h);
	lua_newtable(L);
	fill(L, arg);
	rc = nrb_host_call_main(h, "nrb.cli", func);
	nrb_host_free(h);
	return rc;
}

/* Options of `nrb run`. */
struct run_opts {
	const char *runbook, *target, *port, *proto, *format, *output, *json, *lang, *label;
	const char *params[64]; /* KEY=VALUE strings */
	int nparams;            /* entries in params */
	int quiet;              /* no progress output */
};

static void fill_run(lua_State *L, void *arg)
{
	struct run_opts *o = arg;

	nrb_lua_setstr(L, "runbook", o->runbook);
	nrb_lua_setstr(L, "target", o->target);
	nrb_lua_setstr(L, "port", o->port);
	nrb_lua_setstr(L, "proto", o->proto);
	nrb_lua_setstr(L, "format", o->format);
	nrb_lua_setstr(L, "output", o->output);
	nrb_lua_setstr(L, "json", o->json);
	nrb_lua_setstr(L, "lang", o->lang);
	nrb_lua_setstr(L, "label", o->label);
	lua_pushboolean(L, o->quiet);
	lua_setfield(L, -2, "quiet");
	lua_newtable(L);
	for (int i = 0; i < o->nparams; i++) {
		const char *eq = strchr(o->params[i], '=');
		lua_pushlstring(L, o->params[i], (size_t)(eq - o->params[i]));
		lua_pushstring(L, eq + 1);
		lua_settable(L, -3);
	}
	lua_setfield(L, -2, "params");
}

static int cmd_run(struct cli *c, int argc, char **argv)
{
	enum { O_TARGET = 256, O_PORT, O_PROTO, O_PARAM, O_FORMAT, O_OUTPUT, O_JSON, O_LANG,
	       O_LABEL, O_RBPATH };
	static const struct option longopts[] = {
		{"target", required_argument, NULL, O_TARGET},
		{"port", required_argument, NULL, O_PORT},
		{"proto", required_argument, NULL, O_PROTO},
		{"param", required_argument, NULL, O_PARAM},
		{"format", required_argument, NULL, O_FORMAT},
		{"output", required_argument, NULL, O_OUTPUT},
		{"json", required_argument, NULL, O_JSON},
		{"lang", required_argument, NULL, O_LANG},
		{"label", required_argument, NULL, O_LABEL},
		{"runbook-path", required_argument, NULL, O_RBPATH},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_opts o;
	int ch;

	memset(&o, 0, sizeof o);
	o.format = "md";
	o.lang = "en";
	while ((ch = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
		switch (ch) {
		case O_TARGET: o.target = optarg; break;
		case O_PORT: o.port = optarg; break;
		case O_PROTO: o.proto = optarg; break;
		case O_PARAM:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage_error("run", "--param needs KEY=VALUE, got '%s'", optarg);
			if (o.nparams == 64)
				return usage_error("run", "too many --param options");
			o.params[o.nparams++] = optarg;
			break;
		case O_FORMAT: o.format = optarg; break;
		case O_OUTPUT: o.output = optarg; break;
		case O_JSON: o.json = optarg; break;
		case O_LANG: o.lang = optarg; break;
		case O_LABEL: o.label = optarg; break;
		case O_RBPATH:
			if (add_runbook_path(c, optarg) < 0)
				return usage_error("run", "too many runbook folders");
			break;
		case 'q': o.quiet = 1; break;
		case 'h': fputs(usage_run, stdout); return 0;
		default: return usage_error("run", "invalid option");
		}
	}
	if (strcmp(o.format, "md") && strcmp(o.format, "json"))
		return usage_error("run", "--format must be md or json, not '%s'", o.format);
	if (strcmp(o.lang, "en") && strcmp(o.lang, "zh"))
		return usage_error("run", "--lang must be en or zh, not '%s'", o.lang);
	if (optind >= argc)
		return usage_error("run", "which runbook? (%s)", "see `nrb list`");
	o.runbook = argv[optind++];
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (o.output && o.json && strcmp(o.output, o.json) == 0)
		return usage_error("run", "--output and --json name the same file '%s'", o.output);
	return enter_lua(c, "run", fill_run, &o);
}

/* Options of `nrb check` / `nrb list`. */
struct simple_opts {
	const char *runbook; /* RUNBOOK argument (check) */
	int verbose;         /* list: show paths */
};

static void fill_simple(lua_State *L, void *arg)
{
	struct simple_opts *o = arg;

	nrb_lua_setstr(L, "runbook", o->runbook);
	lua_pushboolean(L, o->verbose);
	lua_setfield(L, -2, "verbose");
}

static int cmd_simple(struct cli *c, int argc, char **argv, const char *name,
                      const char *usage, int wants_runbook)
{
	static const struct option longopts[] = {
		{"runbook-path", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct simple_opts o;
	int ch;

	memset(&o, 0, sizeof o);
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (add_runbook_path(c, optarg) < 0)
				return usage_error(name, "too many runbook folders");
			break;
		case 'v': o.verbose = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return usage_error(name, "invalid option");
		}
	}
	if (wants_runbook) {
		if (optind >= argc)
			return usage_error(name, "which runbook? (%s)", "see `nrb list`");
		o.runbook = argv[optind++];
	}
	if (optind < argc)
		return usage_error(name, "unexpected argument '%s'", argv[optind]);
	return enter_lua(c, name, fill_simple, &o);
}

/* `nrb probe KIND ...`: the options differ per kind, so the argument list goes to
 * lua/nrb/probecli.lua as it is. */
struct argv_opts {
	int argc;    /* arguments after "probe" */
	char **argv; /* borrowed from main() */
};

static void fill_argv(lua_State *L, void *arg)
{
	struct argv_opts *o = arg;

	lua_createtable(L, o->argc, 0);
	for (int i = 0; i < o->argc; i++) {
		lua_pushstring(L, o->argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "argv");
}

static int cmd_probe(struct cli *c, int argc, char **argv)
{
	struct argv_opts o = {argc - 1, argv + 1};

	/* the firewall check is all C (core/fw): no Lua state needed */
	if (argc > 1 && !strcmp(argv[1], "fw"))
		return nrb_fw_cli(argc - 1, argv + 1, stdout);

	return enter_lua(c, "probe", fill_argv, &o);
}

/* Options of `nrb merge` / `nrb diff` / `nrb analyze`: input files, output format and file. */
struct files_opts {
	const char *format;   /* md | json */
	const char *output;   /* FILE or NULL for stdout */
	const char *target;   /* analyze: --target ADDR */
	const char *port;     /* analyze: --port N */
	int nfiles;           /* report files */
	char **files;         /* borrowed from argv */
};

static void fill_files(lua_State *L, void *arg)
{
	struct files_opts *o = arg;

	nrb_lua_setstr(L, "format", o->format);
	nrb_lua_setstr(L, "output", o->output);
	nrb_lua_setstr(L, "target", o->target);
	nrb_lua_setstr(L, "port", o->port);
	lua_createtable(L, o->nfiles, 0);
	for (int i = 0; i < o->nfiles; i++) {
		lua_pushstring(L, o->files[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "files");
}

static int cmd_files(struct cli *c, int argc, char **argv, const char *name,
                     const char *usage, int min, int max)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"target", required_argument, NULL, 't'},
		{"port", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct files_opts o = {"md", NULL, NULL, NULL, 0, NULL};
	int takes_target = !strcmp(name, "analyze");
	int ch;

	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o.format = optarg; break;
		case 'o': o.output = optarg; break;
		case 't':
		case 'p':
			if (!takes_target)
				return usage_error(name, "invalid option");
			if (ch == 't')
				o.target = optarg;
			else
				o.port = optarg;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return usage_error(name, "invalid option");
		}
	}
	if (strcmp(o.format, "md") && strcmp(o.format, "json"))
		return usage_error(name, "--format must be md or json, not '%s'", o.format);
	o.nfiles = argc - optind;
	o.files = argv + optind;
	if (o.nfiles < min)
		return usage_error(name, "needs %s", min == 1 ? "a capture file" :
		                   min == max ? "exactly two report files" : "at least two report files");
	if (max && o.nfiles > max)
		return usage_error(name, "unexpected argument '%s'", o.files[max]);
	return enter_lua(c, name, fill_files, &o);
}

static int help(const char *cmd)
{
	if (!cmd)
		fputs(usage_main, stdout);
	else if (!strcmp(cmd, "run"))
		fputs(usage_run, stdout);
	else if (!strcmp(cmd, "list"))
		fputs(usage_list, stdout);
	else if (!strcmp(cmd, "check"))
		fputs(usage_check, stdout);
	else if (!strcmp(cmd, "merge"))
		fputs(usage_merge, stdout);
	else if (!strcmp(cmd, "diff"))
		fputs(usage_diff, stdout);
	else if (!strcmp(cmd, "analyze"))
		fputs(usage_analyze, stdout);
	else if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		fputs(usage_help, stdout);
	else
		return usage_error(NULL, "no such command '%s'", cmd);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c;
	const char *cmd;
	int rc;

	memset(&c, 0, sizeof c);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return help(NULL);
	if (!strcmp(cmd, "help") && !(argc > 2 && !strcmp(argv[2], "probe")))
		return help(argc > 2 ? argv[2] : NULL);
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("nrb %s\n", NRB_VERSION);
		return 0;
	}
	find_roots(&c);
	nrb_install_interrupt_handlers();
	if (!strcmp(cmd, "help")) { /* help probe: the kinds are listed by the Lua side */
		char *hargv[] = {"probe", "--help", NULL};
		rc = cmd_probe(&c, 2, hargv);
		cli_free(&c);
		return rc;
	}
	/* subcommand options start after the command name */
	argc--;
	argv++;
	optind = 1;
	if (!strcmp(cmd, "run"))
		rc = cmd_run(&c, argc, argv);
	else if (!strcmp(cmd, "list"))
		rc = cmd_simple(&c, argc, argv, "list", usage_list, 0);
	else if (!strcmp(cmd, "check"))
		rc = cmd_simple(&c, argc, argv, "check", usage_check, 1);
	else if (!strcmp(cmd, "probe"))
		rc = cmd_probe(&c, argc, argv);
	else if (!strcmp(cmd, "merge"))
		rc = cmd_files(&c, argc, argv, "merge", usage_merge, 2, 0);
	else if (!strcmp(cmd, "diff"))
		rc = cmd_files(&c, argc, argv, "diff", usage_diff, 2, 2);
	else if (!strcmp(cmd, "analyze"))
		rc = cmd_files(&c, argc, argv, "analyze", usage_analyze, 1, 1);
	else
		rc = usage_error(NULL, "unknown command '%s'", cmd);
	cli_free(&c);
	return rc;
}
