/* fwlab_probe: one lab check of the fw engine against the kernel.
 *
 *   fwlab_probe SERVER_NS CLIENT_NS input|output tcp|udp SRC DST DPORT IIF|- OIF|- EXPECT
 *
 * EXPECT is accept|drop|reject, or uncertain:accept|drop|reject (nrb must say uncertain,
 * and its assumed answer must be the one named: a rate limit, whose assumed answer takes
 * a quiet rule, as the lab's single probe meets it).
 *
 * It reads the live ruleset of SERVER_NS (the namespace whose rules are under test,
 * created by fwlab.sh) the way `nrb probe fw --netns` does, from outside it, and asks the
 * evaluator about the flow; snapshots the counters; sends ONE probe packet (from
 * CLIENT_NS for input, from SERVER_NS for output); snapshots again.  It passes when:
 * the evaluator's decision is EXPECT; the deciding rule (or policy) is among the counters
 * that rose, by exactly one packet (the probe); every other counter that rose is a step of
 * the evaluated path (a rule that only logged or counted is a "continue" step), or is
 * explained: the other IP family's table (background traffic), the reply's direction (the
 * host's RST or ICMP error), or the accept policy of a base chain with no rules on the
 * probe's hooks (nrb shows no step for a chain that holds nothing); and what the sender
 * saw agrees (silence for drop, an answer or a local EPERM otherwise).
 * Exit 0 pass, 1 fail, 77 skip. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fw/fw.h"

#define SPORT 40123

static int enter(const char *ns)
{
	char path[256];
	int fd, rc;

	snprintf(path, sizeof path, "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	if (rc)
		fprintf(stderr, "setns %s: %s\n", ns, strerror(errno));
	return rc;
}

/* The rules of namespace ns read from wherever this process is (as `nrb probe fw --netns
 * NAME` does): the programs run there, the legacy-table check looks there. */
static struct nrb_fw_ruleset *snapshot(const char *ns)
{
	struct nrb_fw_ruleset *rs = NULL;
	char *problems = NULL, err[1024];

	if (nrb_fw_read_live_netns(ns, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err)) {
		fprintf(stderr, "read_live_netns %s: %s\n", ns, err);
		return NULL;
	}
	if (problems)
		fprintf(stderr, "read_live problems: %s", problems);
	free(problems);
	return rs;
}

/* Send one packet; @return 2 refused locally (EPERM: this host's OUTPUT dropped it),
 * 1 answered, 0 silence, -1 error */
static int probe(int tcp, const char *src, const char *dst, int dport)
{
	struct sockaddr_storage sa = {0}, da = {0};
	int v6 = strchr(dst, ':') != NULL;
	socklen_t sl = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct pollfd pf;
	int fd, one = 1, rc, answered = 0;
	char buf[16];

	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa, *d6 = (struct sockaddr_in6 *)&da;

		s6->sin6_family = d6->sin6_family = AF_INET6;
		s6->sin6_port = htons(SPORT);
		d6->sin6_port = htons((uint16_t)dport);
		inet_pton(AF_INET6, src, &s6->sin6_addr);
		inet_pton(AF_INET6, dst, &d6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa, *d4 = (struct sockaddr_in *)&da;

		s4->sin_family = d4->sin_family = AF_INET;
		s4->sin_port = htons(SPORT);
		d4->sin_port = htons((uint16_t)dport);
		inet_pton(AF_INET, src, &s4->sin_addr);
		inet_pton(AF_INET, dst, &d4->sin_addr);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sl)) {
		perror("bind");
		close(fd);
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&da, sl);
	if (rc && errno == EPERM) {
		close(fd);
		return 2; /* dropped by this host's own OUTPUT: the kernel says so at once */
	}
	if (!tcp) {
		if (send(fd, "nrb", 3, 0) < 0) {
			int e = errno;

			close(fd);
			return e == EPERM ? 2 : -1;
		}
	}
	/* 300 ms: below the 1 s SYN retransmission, so exactly one packet leaves */
	pf.fd = fd;
	pf.events = tcp ? POLLOUT : POLLIN;
	if (poll(&pf, 1, 300) > 0) {
		int soerr = 0;
		socklen_t l = sizeof soerr;

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
		if (!tcp && recv(fd, buf, sizeof buf, 0) < 0)
			soerr = errno;
		answered = soerr != 0 || tcp;
	}
	close(fd);
	return answered;
}

int main(int argc, char **argv)
{
	struct nrb_fw_ruleset *before, *after;
	struct nrb_fw_flow f;
	struct nrb_fw_result res;
	struct nrb_fw_delta *d = NULL;
	size_t nd = 0;
	char err[512], ref[1024], want[32];
	const char *want_assumed;
	int input, tcp, seen, fail = 0, found = 0;

	if (argc != 11) {
		fprintf(stderr, "usage: fwlab_probe SERVER_NS CLIENT_NS input|output tcp|udp SRC DST DPORT IIF|- OIF|- EXPECT\n");
		return 2;
	}
	/* "uncertain:accept": decision uncertain, assumed accept; "drop": both drop */
	snprintf(want, sizeof want, "%s", argv[10]);
	want_assumed = want;
	if (!strncmp(want, "uncertain:", 10)) {
		want[9] = '\0';
		want_assumed = want + 10;
	}
	input = !strcmp(argv[3], "input");
	tcp = !strcmp(argv[4], "tcp");
	before = snapshot(argv[1]);
	if (!before)
		return 1;
	nrb_fw_flow_init(&f);
	f.direction = input ? NRB_FW_DIR_INPUT : NRB_FW_DIR_OUTPUT;
	f.proto = tcp ? 6 : 17;
	f.sport = SPORT;
	f.dport = atoi(argv[7]);
	if (nrb_fw_flow_set_addr(&f, 's', argv[5], err, sizeof err) ||
	    nrb_fw_flow_set_addr(&f, 'd', argv[6], err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (strcmp(argv[8], "-"))
		snprintf(f.iif, sizeof f.iif, "%s", argv[8]);
	if (strcmp(argv[9], "-"))
		snprintf(f.oif, sizeof f.oif, "%s", argv[9]);
	if (nrb_fw_evaluate(before, &f, &res, err, sizeof err)) {
		fprintf(stderr, "evaluate: %s\n", err);
		return 1;
	}
	printf("flow %s %s %s -> %s:%s: nrb says %s", argv[3], argv[4], argv[5], argv[6], argv[7],
	       nrb_fw_decision_name(res.decision));
	if (res.decision == NRB_FW_UNCERTAIN)
		printf(" (assumed %s)", nrb_fw_decision_name(res.assumed));
	printf("\n");
	for (size_t i = 0; i < res.nsteps; i++)
		printf("  path: %s -> %s%s\n", res.path[i].ref, nrb_fw_vkind_name(res.path[i].action),
		       i + 1 == res.deciding_step ? " (deciding)" : "");
	for (size_t i = 0; i < res.nnotes; i++)
		printf("  note: %s\n", res.notes[i]);
	if (strcmp(nrb_fw_decision_name(res.decision), want) ||
	    strcmp(nrb_fw_decision_name(res.assumed), want_assumed)) {
		printf("FAIL: expected decision %s\n", argv[10]);
		fail = 1;
	}

	if (enter(input ? argv[2] : argv[1]))
		return 1;
	seen = probe(tcp, argv[5], argv[6], f.dport);
	usleep(100000);
	after = snapshot(argv[1]);
	if (!after || seen < 0)
		return 1;
	if (nrb_fw_diff(before, after, 1, &d, &nd))
		return 1;
	/* the kernel's verdict as the sender saw it */
	printf("  sender saw: %s\n", seen == 2 ? "EPERM (dropped by its own OUTPUT)"
	                               : seen ? "an answer" : "silence");
	/* input: a drop is silence; output: a drop is EPERM at the sender */
	if ((res.assumed == NRB_FW_DROP) != (input ? seen == 0 : seen == 2)) {
		printf("FAIL: what the sender saw does not fit nrb's %s\n",
		       nrb_fw_decision_name(res.assumed));
		fail = 1;
	}
	/* the deciding rule or policy must be among the counters that rose, by one packet */
	if (res.deciding)
		nrb_fw_rule_ref(res.deciding, ref, sizeof ref);
	else if (res.deciding_chain)
		nrb_fw_chain_ref(res.deciding_chain, ref, sizeof ref);
	else
		ref[0] = '\0';
	for (size_t i = 0; i < nd; i++) {
		int on_path = 0;

		const struct nrb_fw_chain *dc = d[i].rule ? d[i].rule->chain : d[i].chain;

		/* the host's answer (RST, ICMP error) travels the other way: not this flow */
		/* a table of the other IP family cannot have seen this probe: background
		 * traffic (IPv6 multicast listener reports after the link came up) */
		if ((dc->table->family == NRB_FW_TF_IP && f.family == 6) ||
		    (dc->table->family == NRB_FW_TF_IP6 && f.family == 4)) {
			printf("  counter rose (other family, background): %s (+%llu)\n", d[i].ref,
			       (unsigned long long)d[i].packets);
			continue;
		}
		/* ... and a reject's ICMP error, made by this host, passes OUTPUT once more */
		if ((input ? (dc->hook == NRB_FW_HOOK_OUTPUT || dc->hook == NRB_FW_HOOK_POSTROUTING)
		           : (dc->hook == NRB_FW_HOOK_PREROUTING || dc->hook == NRB_FW_HOOK_INPUT)) ||
		    (res.assumed == NRB_FW_REJECT && !d[i].rule && dc->policy == NRB_FW_V_ACCEPT)) {
			printf("  counter rose (reply traffic): %s (+%llu)\n", d[i].ref,
			       (unsigned long long)d[i].packets);
			continue;
		}
		/* a built-in chain with no rules (iptables-restore makes every chain of a table)
		 * let the probe through by its accept policy: nrb shows no step for it */
		if (!d[i].rule && dc->nrules == 0 && dc->policy == NRB_FW_V_ACCEPT &&
		    (input ? (dc->hook == NRB_FW_HOOK_PREROUTING || dc->hook == NRB_FW_HOOK_INPUT)
		           : (dc->hook == NRB_FW_HOOK_OUTPUT || dc->hook == NRB_FW_HOOK_POSTROUTING)) &&
		    d[i].packets == 1 && strcmp(d[i].ref, ref)) {
			printf("  counter rose (empty chain, accept policy, on the probe's hooks): %s (+1)\n",
			       d[i].ref);
			continue;
		}
		printf("  counter rose: %s (+%llu)\n", d[i].ref, (unsigned long long)d[i].packets);
		if (!strcmp(d[i].ref, ref)) {
			found = 1;
			if (d[i].packets != 1) {
				printf("FAIL: the deciding rule counted %llu packets, not 1\n",
				       (unsigned long long)d[i].packets);
				fail = 1;
			}
		}
		for (size_t k = 0; k < res.nsteps; k++)
			if (!strcmp(res.path[k].ref, d[i].ref)) {
				on_path = 1;
				if (k + 1 != res.deciding_step)
					printf("    (on nrb's path, not deciding: %s)\n",
					       nrb_fw_vkind_name(res.path[k].action));
			}
		if (on_path && d[i].packets != 1 && strcmp(d[i].ref, ref)) {
			printf("FAIL: a rule on the path counted %llu packets for one probe\n",
			       (unsigned long long)d[i].packets);
			fail = 1;
		}
		if (!on_path) {
			printf("FAIL: the kernel counted a rule nrb did not name: %s\n", d[i].ref);
			fail = 1;
		}
	}
	if (ref[0] && !found) {
		printf("FAIL: the counter of the deciding rule did not rise: %s\n", ref);
		fail = 1;
	}
	if (!ref[0])
		printf("  (no deciding rule: accepted with no rule on the path)\n");
	printf("%s\n", fail ? "FAIL" : "ok");
	nrb_fw_deltas_free(d, nd);
	nrb_fw_result_free(&res);
	nrb_fw_ruleset_free(before);
	nrb_fw_ruleset_free(after);
	return fail;
}
