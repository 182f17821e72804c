/*
 * capture_analyze: print the analysis of a capture file as plain text, for the benchmark
 * (tests/bench/capture_bench.sh) and for checking fixtures by hand.
 *   capture_analyze FILE [TARGET [PORT]]   ("-" as TARGET: any)
 * Exit status: 0 analysed, 1 the file could not be analysed, 2 usage.
 */
#include "capture/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void side(const char *name, const struct nrb_cap_side *s)
{
	char ab[64];

	printf("    %s %s:%u pkts=%llu bytes=%llu ttl=%u..%u(first %u) id=%u..%u mss=%u ws=%d sack=%u ts=%u win=%u syns=%u retrans=%u large=%u/%u maxpl=%u fin=%u rst=%u\n",
	       name, nrb_pkt_addr_to_string(&s->addr, ab, sizeof ab), s->port,
	       (unsigned long long)s->packets, (unsigned long long)s->payload_bytes, s->ttl_min,
	       s->ttl_max, s->ttl_first, s->ip_id_first, s->ip_id_last, s->mss, s->wscale,
	       s->sack_ok, s->timestamps, s->syn_window, s->syns, s->retrans, s->large_segments,
	       s->large_retrans, s->max_payload, s->fin, s->rst);
}

static void prov(const struct nrb_cap_provenance *p)
{
	size_t i;

	printf("    provenance %s/%s ttl=%u hop=%d genuine_ttl=%d genuine_hop=%d id=%u delay=%lld rtt=%lld\n",
	       nrb_cap_origin_name(p->origin), nrb_cap_confidence_name(p->confidence), p->ttl,
	       p->hop, p->genuine_ttl, p->genuine_hop, p->ip_id, (long long)p->delay_us,
	       (long long)p->genuine_rtt_us);
	for (i = 0; i < p->n_reasons; i++)
		printf("      - %s\n", p->reasons[i]);
}

int main(int argc, char **argv)
{
	struct nrb_cap_opts o;
	struct nrb_cap_result *r;
	const struct nrb_cap_stats *st;
	char err[512], ab[64], bb[64];
	size_t i;
	int quiet = getenv("CAPTURE_QUIET") != NULL;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s FILE [TARGET|- [PORT]]\n", argv[0]);
		return 2;
	}
	memset(&o, 0, sizeof o);
	if (argc > 2 && strcmp(argv[2], "-") && nrb_pkt_addr_from_string(&o.target, argv[2])) {
		fprintf(stderr, "bad target %s\n", argv[2]);
		return 2;
	}
	if (argc > 3)
		o.port = (uint16_t)atoi(argv[3]);
	if (nrb_cap_analyze_file(argv[1], &o, &r, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	st = &r->stats;
	printf("link %d %s truncated=%d %s\n", r->linktype, r->linktype_name, r->truncated, r->read_error);
	printf("packets=%llu bytes=%llu ip=%llu non_ip=%llu malformed=%llu cut=%llu filtered=%llu frag=%llu vlan=%llu/%d flows_dropped=%llu\n",
	       (unsigned long long)st->packets, (unsigned long long)st->bytes,
	       (unsigned long long)st->ip_packets, (unsigned long long)st->non_ip,
	       (unsigned long long)st->malformed, (unsigned long long)st->snaplen_cut,
	       (unsigned long long)st->filtered, (unsigned long long)st->fragments,
	       (unsigned long long)st->vlan_tagged, st->first_vlan,
	       (unsigned long long)st->flows_dropped);
	printf("conns=%zu udp=%zu icmp=%zu findings=%zu\n", r->n_conns, r->n_udp, r->n_icmp, r->n_findings);
	for (i = 0; i < r->n_conns && !quiet; i++) {
		const struct nrb_cap_conn *c = &r->conns[i];

		printf("  conn %zu %s %s hist=%s rtt=%lld ack_rtt=%lld reset_by=%s icmp=%u/%ld frag=%u thr=%u large_loss=%s\n",
		       i, nrb_cap_state_name(c->state), c->af == 2 ? "v4" : "v6", c->history,
		       (long long)c->handshake_rtt_us, (long long)c->ack_rtt_us,
		       nrb_cap_who_name(c->reset_by), c->icmp_count, c->icmp_first, c->frag_needed,
		       c->large_threshold, nrb_cap_who_name(c->large_loss));
		side("orig", &c->orig);
		side("resp", &c->resp);
		if (c->rst)
			prov(c->rst);
	}
	for (i = 0; i < r->n_udp && !quiet; i++) {
		const struct nrb_cap_udp *u = &r->udp[i];

		printf("  udp %zu %s:%u -> %s:%u req=%llu/%llu resp=%llu/%llu rtt=%lld ttl=%u icmp=%u/%ld\n", i,
		       nrb_pkt_addr_to_string(&u->client, ab, sizeof ab), u->client_port,
		       nrb_pkt_addr_to_string(&u->server, bb, sizeof bb), u->server_port,
		       (unsigned long long)u->requests, (unsigned long long)u->request_bytes,
		       (unsigned long long)u->responses, (unsigned long long)u->response_bytes,
		       (long long)u->rtt_us, u->server_ttl, u->icmp_count, u->icmp_first);
	}
	for (i = 0; i < r->n_icmp && !quiet; i++) {
		const struct nrb_cap_icmp *e = &r->icmp[i];

		printf("  icmp %zu %u/%u %s from %s ttl=%u hop=%d id=%u mtu=%u conn=%ld udp=%ld from_target=%u quote=%u %s:%u->%s:%u\n",
		       i, e->type, e->code, nrb_pkt_err_name(e->err),
		       nrb_pkt_addr_to_string(&e->sender, ab, sizeof ab), e->ttl, e->hop, e->ip_id,
		       e->mtu, e->conn, e->udp, e->from_target, e->quote.proto,
		       nrb_pkt_addr_to_string(&e->quote.src, bb, sizeof bb), e->quote.sport,
		       nrb_pkt_addr_to_string(&e->quote.dst, ab, sizeof ab), e->quote.dport);
		if (e->from_target)
			prov(&e->prov);
	}
	for (i = 0; i < r->n_findings; i++)
		printf("  [%s] %s hop=%d: %s\n", nrb_cap_severity_name(r->findings[i].severity),
		       r->findings[i].kind, r->findings[i].hop, r->findings[i].text);
	nrb_cap_result_free(r);
	return 0;
}
