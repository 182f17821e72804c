/*
 * capture_live: lab tool for tests/fixtures/capture/lab_live.sh.  Opens a live pcap handle
 * on IFACE itself (a test stands in for core/priv here), runs a capture session on it for
 * TARGET/PORT while the lab script probes, and prints the findings (kind and hop, one per
 * line) once the time bound ends the session.
 *   capture_live IFACE TARGET PORT OUT.pcap MAX_MS
 * Prints "ready" on stderr when the capture is running.  Exit 0, 1 on error, 2 usage.
 */
#include "capture/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	struct nrb_cap_session_opts o;
	struct nrb_cap_session *s;
	struct nrb_cap_result *r;
	char perr[PCAP_ERRBUF_SIZE], err[512];
	pcap_t *p;
	size_t i;

	if (argc != 6) {
		fprintf(stderr, "usage: %s IFACE TARGET PORT OUT.pcap MAX_MS\n", argv[0]);
		return 2;
	}
	memset(&o, 0, sizeof o);
	if (nrb_pkt_addr_from_string(&o.analysis.target, argv[2]))
		return 2;
	o.analysis.port = (uint16_t)atoi(argv[3]);
	o.pcap_path = argv[4];
	o.max_ms = (uint32_t)atoi(argv[5]);
	p = pcap_open_live(argv[1], 65535, 0, 100, perr);
	if (!p) {
		fprintf(stderr, "%s\n", perr);
		return 1;
	}
	if (nrb_cap_session_start(p, &o, &s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	fprintf(stderr, "ready\n");
	while (!nrb_cap_session_done(s))
		usleep(20000);
	if (nrb_cap_session_stop(s, &r, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("stopped_by %s packets %llu\n", r->stopped_by, (unsigned long long)r->stats.packets);
	for (i = 0; i < r->n_findings; i++)
		printf("finding %s hop=%d\n", r->findings[i].kind, r->findings[i].hop);
	nrb_cap_result_free(r);
	return 0;
}
