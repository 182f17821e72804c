/*
 * trace_floor ADDRESS PORT: the ICMP, UDP and TCP traces of `nrb probe trace --proto all`
 * on nrb's probe engine alone, with the same defaults, and no Lua, no option parsing and
 * a bare table: how fast a one-shot 3-protocol trace can be on this engine.
 * probe_bench.sh runs it next to nrb and the traceroutes to show where the remaining
 * time goes (doc/performance.md).  A benchmark tool, not part of nrb.
 */
#include "loop/loop.h"
#include "net/pkt.h"
#include "probe/netprobe.h"
#include "probe/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static struct nrb_trace_result res[3];
	struct nrb_sess_opts o;
	struct nrb_trace_req q;
	struct nrb_sess *s;
	char err[256], a[64];
	int port;

	memset(&q, 0, sizeof q);
	if (argc != 3 || nrb_pkt_addr_from_string(&q.dst, argv[1]) < 0 ||
	    (port = atoi(argv[2])) < 1 || port > 65535) {
		fprintf(stderr, "usage: trace_floor ADDRESS PORT (numeric address)\n");
		return 2;
	}
	/* nrb probe trace's defaults (core/lua/l_probe.c) */
	q.first_ttl = 1;
	q.max_ttl = 30;
	q.queries = 3;
	q.timeout_us = 2000000;
	q.min_timeout_us = 300000;
	q.window = NRB_TRACE_DEFAULT_WINDOW;
	memset(&o, 0, sizeof o);
	o.pps = NRB_LOOP_DEFAULT_PPS;
	o.burst = NRB_LOOP_DEFAULT_BURST;
	if (nrb_sess_new(&o, &s, err, sizeof err) < 0) {
		fprintf(stderr, "trace_floor: %s\n", err);
		return 3;
	}
	for (int i = 0; i < 3; i++) {
		struct nrb_trace_req r = q;

		r.proto = (enum nrb_proto)(NRB_PROTO_ICMP + i);
		r.port = r.proto == NRB_PROTO_ICMP ? 0 : r.proto == NRB_PROTO_UDP ? 33434 : (uint16_t)port;
		if (nrb_trace_add(s, &r, &res[i], err, sizeof err) < 0) {
			fprintf(stderr, "trace_floor: %s\n", err);
			nrb_sess_free(s);
			return 3;
		}
	}
	nrb_sess_run(s, 3 * q.timeout_us + 20000000);
	for (int i = 0; i < 3; i++) {
		printf("trace %d: %s at ttl %d\n", i + 1, res[i].stop ? res[i].stop : "?",
		       res[i].reached_ttl);
		for (int h = 0; h < res[i].nhops; h++) {
			const struct nrb_hop *hop = &res[i].hops[h];

			printf("%2d", hop->ttl);
			for (int k = 0; k < hop->nreplies; k++)
				printf("  %s %.3f ms %s",
				       nrb_pkt_addr_to_string(&hop->replies[k].from, a, sizeof a),
				       hop->replies[k].rtt_ms, hop->replies[k].kind);
			printf("\n");
		}
	}
	nrb_sess_free(s);
	return 0;
}
