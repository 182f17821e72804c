/*
 * Unit tests of core/capture: the analysis of the captures recorded in the lab
 * (tests/fixtures/capture, see its README), field by field.  Expected values were read
 * by hand from `tcpdump -nn -v -r FILE` (times, TTLs, IDs, ports, options, lengths),
 * never from the analyser's output.  Also: link types built by hand, bad and truncated
 * files, NULL and invalid arguments.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "capture/capture.h"
#include "capture/capture_int.h"
#include "util/util.h"

#define FIX NRB_TEST_DIR "/fixtures/capture/"

static struct nrb_cap_result *load(const char *name, const char *target, uint16_t port)
{
	struct nrb_cap_opts o;
	struct nrb_cap_result *r = NULL;
	char err[256] = "";

	memset(&o, 0, sizeof o);
	if (target)
		assert_int_equal(nrb_pkt_addr_from_string(&o.target, target), 0);
	o.port = port;
	if (nrb_cap_analyze_file(name, &o, &r, err, sizeof err))
		fail_msg("%s: %s", name, err);
	assert_non_null(r);
	return r;
}

static void assert_addr(const struct nrb_pkt_addr *a, const char *text)
{
	char buf[64];

	assert_string_equal(nrb_pkt_addr_to_string(a, buf, sizeof buf), text);
}

/* index of the first finding of a kind, -1 if none */
static long find(const struct nrb_cap_result *r, const char *kind)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].kind, kind))
			return (long)i;
	return -1;
}

static size_t count(const struct nrb_cap_result *r, const char *kind)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_findings; i++)
		n += !strcmp(r->findings[i].kind, kind);
	return n;
}

/* The established connection of established.pcap, whatever the container. */
static void check_established(const struct nrb_cap_result *r, uint16_t cport, int64_t rtt,
                              int64_t ack_rtt)
{
	const struct nrb_cap_conn *c;
	long f;

	assert_int_equal(r->n_conns, 1);
	assert_int_equal(r->n_udp, 0);
	assert_int_equal(r->n_icmp, 0);
	assert_int_equal(r->stats.packets, 10);
	assert_int_equal(r->stats.ip_packets, 10);
	assert_int_equal(r->stats.malformed, 0);
	assert_int_equal(r->truncated, 0);
	c = &r->conns[0];
	assert_int_equal(c->af, AF_INET);
	assert_int_equal(c->state, NRB_CONN_SF);
	assert_string_equal(nrb_cap_state_name(c->state), "SF");
	assert_string_equal(c->history, "ShADaFf");
	assert_addr(&c->orig.addr, "192.0.2.2");
	assert_int_equal(c->orig.port, cport);
	assert_addr(&c->resp.addr, "198.51.100.2");
	assert_int_equal(c->resp.port, 8080);
	assert_int_equal(c->handshake_rtt_us, rtt);
	assert_int_equal(c->ack_rtt_us, ack_rtt);
	/* SYN, ACK, P. (6 bytes), F., ACK / S., ACK, F. */
	assert_int_equal(c->orig.packets, 5);
	assert_int_equal(c->resp.packets, 3);
	assert_int_equal(c->orig.payload_bytes, 6);
	assert_int_equal(c->resp.payload_bytes, 0);
	assert_int_equal(c->orig.mss, 1460);
	assert_int_equal(c->orig.wscale, 10);
	assert_int_equal(c->orig.sack_ok, 1);
	assert_int_equal(c->orig.timestamps, 1);
	assert_int_equal(c->orig.syn_window, 64240);
	assert_int_equal(c->resp.mss, 1460);
	assert_int_equal(c->resp.wscale, 10);
	assert_int_equal(c->resp.syn_window, 65160);
	assert_int_equal(c->orig.ttl_first, 64);
	assert_int_equal(c->resp.ttl_min, 62);
	assert_int_equal(c->resp.ttl_max, 62);
	assert_int_equal(c->resp.ip_id_first, 0); /* Linux SYN-ACK with DF */
	assert_int_equal(c->orig.syns, 1);
	assert_int_equal(c->resp.syns, 1);
	assert_int_equal(c->orig.retrans, 0);
	assert_int_equal(c->resp.retrans, 0);
	assert_int_equal(c->orig.fin, 1);
	assert_int_equal(c->resp.fin, 1);
	assert_int_equal(c->reset_by, NRB_CAP_NOBODY);
	assert_null(c->rst);
	assert_int_equal(c->large_loss, NRB_CAP_NOBODY);
	assert_int_equal(c->icmp_count, 0);
	assert_int_equal(c->icmp_first, -1);
	f = find(r, "established");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_INFO);
	assert_int_equal(r->findings[f].conn, 0);
	assert_int_equal(count(r, "established"), 1);
}

static void test_established(void **state)
{
	struct nrb_cap_result *r = load(FIX "established.pcap", NULL, 0);

	(void)state;
	assert_int_equal(r->linktype, DLT_EN10MB);
	assert_string_equal(r->linktype_name, "EN10MB");
	/* 98+98+74+74+66+72+66+66+66+66 bytes on the wire */
	assert_int_equal(r->stats.bytes, 746);
	assert_int_equal(r->stats.vlan_tagged, 0);
	assert_int_equal(r->stats.first_vlan, -1);
	/* SYN 06.744546, SYN-ACK 06.744601, ACK 06.744618 */
	check_established(r, 46654, 55, 17);
	assert_int_equal(r->conns[0].orig.ip_id_first, 11581);
	assert_int_equal(r->conns[0].orig.ip_id_last, 11585);
	assert_int_equal(r->conns[0].resp.ip_id_last, 48662);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->stats.first_us % 1000000, 739238);
	assert_int_equal(r->stats.last_us % 1000000, 744861);
	nrb_cap_result_free(r);
}

static void test_containers(void **state)
{
	struct nrb_cap_result *r;

	(void)state;
	r = load(FIX "established.pcapng", NULL, 0);
	assert_int_equal(r->linktype, DLT_EN10MB);
	check_established(r, 46654, 55, 17);
	nrb_cap_result_free(r);

	r = load(FIX "vlan.pcap", NULL, 0);
	check_established(r, 46654, 55, 17);
	assert_int_equal(r->stats.vlan_tagged, 10);
	assert_int_equal(r->stats.first_vlan, 100);
	assert_int_equal(r->stats.bytes, 746 + 40);
	nrb_cap_result_free(r);

	/* tcpdump -i any: LINUX_SLL2; SYN 27.146550, SYN-ACK 27.146609, ACK 27.146625 */
	r = load(FIX "any_sll2.pcap", NULL, 0);
	assert_int_equal(r->linktype, DLT_LINUX_SLL2);
	assert_string_equal(r->linktype_name, "LINUX_SLL2");
	check_established(r, 47632, 59, 16);
	nrb_cap_result_free(r);

	/* snaplen 96: the two 98-byte echo frames are cut, the TCP ones are not */
	r = load(FIX "established_snap96.pcap", NULL, 0);
	check_established(r, 46654, 55, 17);
	assert_int_equal(r->stats.snaplen_cut, 2);
	assert_true(find(r, "snaplen_cut") >= 0);
	nrb_cap_result_free(r);
}

/* tcpdump -i any on router R1: every packet twice (in, then out with TTL - 1) */
static void test_router_any(void **state)
{
	struct nrb_cap_result *r = load(FIX "router_any.pcap", NULL, 0);
	const struct nrb_cap_conn *c = &r->conns[0];

	(void)state;
	assert_int_equal(r->linktype, DLT_LINUX_SLL2);
	assert_int_equal(r->stats.packets, 20);
	assert_int_equal(r->stats.duplicates, 10);
	assert_int_equal(r->stats.ip_packets, 10);
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->state, NRB_CONN_SF);
	assert_string_equal(c->history, "ShADaFf");
	assert_int_equal(c->orig.port, 42340);
	assert_int_equal(c->orig.packets, 5);
	assert_int_equal(c->resp.packets, 3);
	assert_int_equal(c->orig.retrans, 0);
	assert_int_equal(c->resp.retrans, 0);
	/* the first copy is kept: as received by R1 */
	assert_int_equal(c->orig.ttl_min, 64);
	assert_int_equal(c->orig.ttl_max, 64);
	assert_int_equal(c->resp.ttl_min, 63);
	assert_int_equal(c->resp.ttl_max, 63);
	assert_int_equal(c->handshake_rtt_us, 718483 - 718438);
	nrb_cap_result_free(r);
}

static void check_refused(const struct nrb_cap_result *r)
{
	const struct nrb_cap_conn *c;

	assert_int_equal(r->n_conns, 2);
	assert_int_equal(r->stats.packets, 8);
	c = &r->conns[0];
	assert_int_equal(c->state, NRB_CONN_REJ);
	assert_string_equal(c->history, "Sr");
	assert_addr(&c->orig.addr, "192.0.2.2");
	assert_int_equal(c->orig.port, 59414);
	assert_int_equal(c->resp.port, 8082);
	assert_int_equal(c->reset_by, NRB_CAP_RESP);
	assert_int_equal(c->handshake_rtt_us, -1);
	assert_int_equal(c->resp.syns, 0);
	assert_int_equal(c->resp.mss, 0);
	assert_int_equal(c->resp.wscale, -1);
	assert_non_null(c->rst);
	assert_int_equal(c->rst->origin, NRB_ORIGIN_GENUINE);
	assert_int_equal(c->rst->confidence, NRB_CONF_MEDIUM);
	assert_int_equal(c->rst->ttl, 62);
	assert_int_equal(c->rst->hop, 3);
	assert_int_equal(c->rst->genuine_ttl, 62); /* the echo reply */
	assert_int_equal(c->rst->genuine_hop, 3);
	assert_int_equal(c->rst->ip_id, 0);
	assert_int_equal(c->rst->delay_us, 801483 - 801419);
	assert_int_equal(c->rst->genuine_rtt_us, 792914 - 792862);
	assert_true(c->rst->n_reasons >= 1);
	assert_non_null(strstr(c->rst->reasons[0], "TTL 62 equals"));

	c = &r->conns[1];
	assert_int_equal(c->af, AF_INET6);
	assert_int_equal(c->state, NRB_CONN_REJ);
	assert_addr(&c->orig.addr, "2001:db8:1::2");
	assert_int_equal(c->orig.port, 54136);
	assert_addr(&c->resp.addr, "2001:db8:2::2");
	assert_int_equal(c->orig.mss, 1440);
	assert_int_equal(c->orig.syn_window, 64800);
	assert_int_equal(c->rst->origin, NRB_ORIGIN_GENUINE);
	assert_int_equal(c->rst->ttl, 62);
	assert_int_equal(c->rst->genuine_ttl, 62);
	assert_int_equal(c->rst->delay_us, 825034 - 824985);

	assert_int_equal(r->n_findings, 4);
	assert_string_equal(r->findings[0].kind, "rejected");
	assert_int_equal(r->findings[0].severity, NRB_CAP_PROBLEM);
	assert_int_equal(r->findings[0].conn, 0);
	assert_int_equal(r->findings[0].hop, 3);
	assert_int_equal(r->findings[0].count, 1);
	assert_addr(&r->findings[0].addr, "198.51.100.2");
	assert_int_equal(r->findings[0].port, 8082);
	assert_non_null(strstr(r->findings[0].text, "198.51.100.2:8082"));
	assert_string_equal(r->findings[1].kind, "rejected");
	assert_int_equal(r->findings[1].conn, 1);
	assert_non_null(strstr(r->findings[1].text, "[2001:db8:2::2]:8082"));
	assert_string_equal(r->findings[2].kind, "rst_genuine");
	assert_int_equal(r->findings[2].severity, NRB_CAP_INFO);
	assert_string_equal(r->findings[3].kind, "rst_genuine");
}

static void test_refused(void **state)
{
	struct nrb_cap_result *r;

	(void)state;
	r = load(FIX "refused.pcap", NULL, 0);
	check_refused(r);
	nrb_cap_result_free(r);
	r = load(FIX "refused_raw.pcap", NULL, 0);
	assert_int_equal(r->linktype, DLT_RAW);
	check_refused(r);
	nrb_cap_result_free(r);
	r = load(FIX "qinq.pcap", NULL, 0);
	check_refused(r);
	assert_int_equal(r->stats.vlan_tagged, 8);
	assert_int_equal(r->stats.first_vlan, 200); /* the outer 802.1ad tag */
	nrb_cap_result_free(r);
}

static void test_forged_rst(void **state)
{
	struct nrb_cap_result *r = load(FIX "forged_rst.pcap", NULL, 0);
	const struct nrb_cap_conn *c = &r->conns[0];
	long f;

	(void)state;
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->state, NRB_CONN_REJ);
	assert_int_equal(c->orig.port, 53926);
	assert_int_equal(c->resp.port, 8083);
	assert_int_equal(c->reset_by, NRB_CAP_RESP);
	/* R1 (first hop) forged it: TTL 64, where 198.51.100.2's echo reply has 62 */
	assert_int_equal(c->rst->origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(c->rst->confidence, NRB_CONF_MEDIUM);
	assert_int_equal(c->rst->ttl, 64);
	assert_int_equal(c->rst->hop, 1);
	assert_int_equal(c->rst->genuine_ttl, 62);
	assert_int_equal(c->rst->genuine_hop, 3);
	assert_int_equal(c->rst->delay_us, 878422 - 878389);
	assert_non_null(strstr(c->rst->reasons[c->rst->n_reasons - 1], "TTL 64 vs 62"));
	f = find(r, "rst_injected");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_PROBLEM);
	assert_int_equal(r->findings[f].hop, 1);
	assert_int_equal(r->findings[f].conn, 0);
	assert_non_null(strstr(r->findings[f].text, "about hop 1"));
	assert_true(find(r, "rejected") >= 0);
	assert_int_equal(find(r, "rst_genuine"), -1);
	nrb_cap_result_free(r);
}

static void test_midstream_rst(void **state)
{
	struct nrb_cap_result *r = load(FIX "midstream_rst.pcap", NULL, 0);
	const struct nrb_cap_conn *c = &r->conns[0];
	long f;

	(void)state;
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->state, NRB_CONN_RSTR);
	assert_string_equal(c->history, "ShADar");
	assert_int_equal(c->orig.payload_bytes, 18);
	assert_int_equal(c->handshake_rtt_us, 190235 - 190169);
	assert_int_equal(c->resp.ttl_min, 62);
	assert_int_equal(c->resp.ttl_max, 64);
	assert_int_equal(c->resp.ip_id_last, 4919);
	assert_int_equal(c->reset_by, NRB_CAP_RESP);
	/* genuine reference from the same connection: SYN-ACK and ACK at TTL 62 */
	assert_int_equal(c->rst->origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(c->rst->ttl, 64);
	assert_int_equal(c->rst->hop, 1);
	assert_int_equal(c->rst->genuine_ttl, 62);
	assert_int_equal(c->rst->ip_id, 4919);
	assert_int_equal(c->rst->delay_us, 190433 - 190291);
	f = find(r, "rst_injected");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].hop, 1);
	f = find(r, "reset_by_responder");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_WARNING);
	nrb_cap_result_free(r);
}

static void test_syn_drop(void **state)
{
	struct nrb_cap_result *r = load(FIX "syn_drop.pcap", NULL, 0);
	const struct nrb_cap_conn *c = &r->conns[0];

	(void)state;
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->state, NRB_CONN_S0);
	assert_string_equal(c->history, "S");
	assert_int_equal(c->orig.port, 52594);
	assert_int_equal(c->resp.port, 8084);
	assert_int_equal(c->orig.syns, 2);
	assert_int_equal(c->orig.retrans, 1);
	assert_int_equal(c->resp.packets, 0);
	assert_int_equal(c->first_us % 1000000, 918815);
	assert_int_equal(c->last_us % 1000000, 932802);
	assert_int_equal(r->n_findings, 1);
	assert_string_equal(r->findings[0].kind, "syn_unanswered");
	assert_int_equal(r->findings[0].severity, NRB_CAP_PROBLEM);
	assert_int_equal(r->findings[0].hop, -1);
	assert_non_null(strstr(r->findings[0].text, "2 time(s)"));
	nrb_cap_result_free(r);
}

static void test_admin_prohib(void **state)
{
	struct nrb_cap_result *r = load(FIX "admin_prohib.pcap", NULL, 0);
	const struct nrb_cap_conn *c = &r->conns[0];
	const struct nrb_cap_icmp *e = &r->icmp[0];
	long f;

	(void)state;
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->state, NRB_CONN_S0);
	assert_int_equal(c->icmp_count, 1);
	assert_int_equal(c->icmp_first, 0);
	assert_int_equal(r->n_icmp, 1);
	assert_int_equal(e->type, 3);
	assert_int_equal(e->code, 13);
	assert_int_equal(e->err, NRB_ERR_ADMIN_PROHIB);
	assert_addr(&e->sender, "203.0.113.2");
	assert_addr(&e->to, "192.0.2.2");
	assert_int_equal(e->ttl, 63);
	assert_int_equal(e->hop, 2);
	assert_int_equal(e->ip_id, 35864);
	assert_int_equal(e->conn, 0);
	assert_int_equal(e->udp, -1);
	assert_int_equal(e->from_target, 0);
	assert_int_equal(e->quote.proto, IPPROTO_TCP);
	assert_addr(&e->quote.src, "192.0.2.2");
	assert_addr(&e->quote.dst, "198.51.100.2");
	assert_int_equal(e->quote.sport, 41194);
	assert_int_equal(e->quote.dport, 8085);
	assert_int_equal(e->quote.tcp_seq, 4248789409u);
	f = find(r, "syn_icmp");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].hop, 2);
	assert_int_equal(find(r, "syn_unanswered"), -1);
	f = find(r, "icmp_admin_prohib");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_PROBLEM);
	assert_int_equal(r->findings[f].icmp, 0);
	assert_non_null(strstr(r->findings[f].text, "203.0.113.2"));
	nrb_cap_result_free(r);
}

static void test_udp(void **state)
{
	struct nrb_cap_result *r = load(FIX "udp.pcap", NULL, 0);
	const struct nrb_cap_udp *u;
	const struct nrb_cap_icmp *e;
	long f;

	(void)state;
	assert_int_equal(r->n_conns, 0);
	assert_int_equal(r->n_udp, 3);
	u = &r->udp[0];
	assert_addr(&u->client, "192.0.2.2");
	assert_addr(&u->server, "198.51.100.2");
	assert_int_equal(u->client_port, 40001);
	assert_int_equal(u->server_port, 5353);
	assert_int_equal(u->requests, 1);
	assert_int_equal(u->responses, 1);
	assert_int_equal(u->request_bytes, 5);
	assert_int_equal(u->response_bytes, 5);
	assert_int_equal(u->rtt_us, 30351 - 30173);
	assert_int_equal(u->server_ttl, 62);
	assert_int_equal(u->icmp_count, 0);
	u = &r->udp[1];
	assert_int_equal(u->server_port, 5354);
	assert_int_equal(u->responses, 0);
	assert_int_equal(u->rtt_us, -1);
	assert_int_equal(u->icmp_count, 1);
	assert_int_equal(u->icmp_first, 0);
	u = &r->udp[2];
	assert_int_equal(u->server_port, 5355);
	assert_int_equal(u->requests, 1);
	assert_int_equal(u->responses, 0);
	assert_int_equal(u->icmp_count, 0);

	assert_int_equal(r->n_icmp, 1);
	e = &r->icmp[0];
	assert_int_equal(e->type, 3);
	assert_int_equal(e->code, 3);
	assert_int_equal(e->err, NRB_ERR_PORT_UNREACH);
	assert_addr(&e->sender, "198.51.100.2");
	assert_int_equal(e->ttl, 62);
	assert_int_equal(e->udp, 1);
	assert_int_equal(e->conn, -1);
	assert_int_equal(e->from_target, 1);
	assert_int_equal(e->quote.proto, IPPROTO_UDP);
	assert_int_equal(e->quote.sport, 40002);
	assert_int_equal(e->prov.origin, NRB_ORIGIN_GENUINE);
	assert_int_equal(e->prov.ttl, 62);
	assert_int_equal(e->prov.genuine_ttl, 62);
	assert_int_equal(e->prov.delay_us, 41225 - 41154);

	assert_int_equal(r->n_findings, 4);
	assert_string_equal(r->findings[0].kind, "icmp_port_unreach");
	assert_int_equal(r->findings[0].udp, 1);
	assert_string_equal(r->findings[1].kind, "udp_unanswered");
	assert_int_equal(r->findings[1].udp, 2);
	assert_int_equal(r->findings[1].severity, NRB_CAP_WARNING);
	f = find(r, "icmp_genuine");
	assert_true(f >= 0);
	f = find(r, "udp_answered");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].udp, 0);
	nrb_cap_result_free(r);
}

static void test_icmp_forged(void **state)
{
	struct nrb_cap_result *r = load(FIX "icmp_forged.pcap", NULL, 0);
	const struct nrb_cap_icmp *e = &r->icmp[0];
	long f;

	(void)state;
	assert_int_equal(r->n_udp, 1);
	assert_int_equal(r->udp[0].client_port, 40004);
	assert_int_equal(r->udp[0].icmp_count, 1);
	assert_int_equal(r->n_icmp, 1);
	assert_int_equal(e->type, 3);
	assert_int_equal(e->code, 3);
	assert_addr(&e->sender, "198.51.100.2");
	assert_int_equal(e->ttl, 64);
	assert_int_equal(e->ip_id, 16962);
	assert_int_equal(e->from_target, 1);
	assert_int_equal(e->prov.origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(e->prov.hop, 1);
	assert_int_equal(e->prov.genuine_ttl, 62);
	f = find(r, "icmp_injected");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_PROBLEM);
	assert_int_equal(r->findings[f].hop, 1);
	assert_int_equal(r->findings[f].icmp, 0);
	nrb_cap_result_free(r);
}

static void check_pmtu(const struct nrb_cap_result *r)
{
	const struct nrb_cap_conn *c = &r->conns[0];
	long f;

	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->state, NRB_CONN_S1);
	assert_string_equal(c->history, "ShADaT");
	/* 6 + 4096 + 1448 + 456 + 5 x 1448 retransmitted */
	assert_int_equal(c->orig.payload_bytes, 13246);
	assert_int_equal(c->orig.max_payload, 4096);
	assert_int_equal(c->large_threshold, 1095);
	assert_int_equal(c->orig.large_segments, 7);
	assert_int_equal(c->orig.large_retrans, 5);
	assert_int_equal(c->orig.retrans, 5);
	assert_int_equal(c->resp.packets, 3);
	assert_int_equal(c->frag_needed, 0);
	assert_int_equal(c->large_loss, NRB_CAP_ORIG);
	f = find(r, "large_packet_loss");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_PROBLEM);
	assert_int_equal(r->findings[f].conn, 0);
}

static void test_pmtu_blackhole(void **state)
{
	struct nrb_cap_result *r;

	(void)state;
	r = load(FIX "pmtu_blackhole.pcap", NULL, 0);
	check_pmtu(r);
	assert_int_equal(r->stats.snaplen_cut, 0);
	nrb_cap_result_free(r);
	/* the same cut to 96 bytes: payload sizes come from the IP header */
	r = load(FIX "pmtu_snap96.pcap", NULL, 0);
	check_pmtu(r);
	assert_int_equal(r->stats.snaplen_cut, 8);
	nrb_cap_result_free(r);
}

/* IPv6 over the MTU-1280 link with nothing dropping ICMPv6: "packet too big" from R1
 * comes back, the sender adapts -- PMTU discovery works, no blackhole. */
static void test_pmtu_v6(void **state)
{
	struct nrb_cap_result *r = load(FIX "pmtu_v6.pcap", NULL, 0);
	const struct nrb_cap_conn *c = &r->conns[0];
	const struct nrb_cap_icmp *e = &r->icmp[0];
	long f;

	(void)state;
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(c->af, AF_INET6);
	assert_int_equal(c->state, NRB_CONN_SF);
	assert_string_equal(c->history, "ShADaTFf");
	assert_int_equal(c->handshake_rtt_us, 562150 - 562038);
	assert_int_equal(c->orig.mss, 1440);
	assert_int_equal(c->large_threshold, 1080);
	/* 6 + 4096 + 4096 (again, after the ICMP) + 1904 */
	assert_int_equal(c->orig.payload_bytes, 10102);
	assert_int_equal(c->orig.large_segments, 3);
	assert_int_equal(c->orig.large_retrans, 1);
	assert_int_equal(c->orig.retrans, 1);
	assert_int_equal(c->frag_needed, 1);
	assert_int_equal(c->large_loss, NRB_CAP_NOBODY);
	assert_int_equal(c->icmp_count, 1);
	assert_int_equal(r->n_icmp, 1);
	assert_int_equal(e->af, AF_INET6);
	assert_int_equal(e->type, 2);
	assert_int_equal(e->code, 0);
	assert_int_equal(e->err, NRB_ERR_PACKET_TOO_BIG);
	assert_int_equal(e->mtu, 1280);
	assert_addr(&e->sender, "2001:db8:1::1");
	assert_int_equal(e->ttl, 64);
	assert_int_equal(e->hop, 1);
	assert_int_equal(e->conn, 0);
	assert_int_equal(e->from_target, 0);
	assert_addr(&e->quote.dst, "2001:db8:2::2");
	assert_int_equal(e->quote.sport, 45016);
	assert_int_equal(e->quote.dport, 8089);
	assert_int_equal(find(r, "large_packet_loss"), -1);
	f = find(r, "icmp_packet_too_big");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_INFO);
	assert_int_equal(r->findings[f].hop, 1);
	nrb_cap_result_free(r);
}

static void test_filters(void **state)
{
	struct nrb_cap_result *r;

	(void)state;
	r = load(FIX "refused.pcap", "2001:db8:2::2", 0);
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(r->conns[0].af, AF_INET6);
	assert_int_equal(r->stats.filtered, 4);
	/* the v6 echo reply is still the reference */
	assert_int_equal(r->conns[0].rst->origin, NRB_ORIGIN_GENUINE);
	nrb_cap_result_free(r);

	r = load(FIX "udp.pcap", NULL, 5353);
	assert_int_equal(r->n_udp, 1);
	assert_int_equal(r->udp[0].server_port, 5353);
	assert_int_equal(r->n_icmp, 0);
	assert_int_equal(r->stats.filtered, 3); /* 5354, its ICMP, 5355 */
	nrb_cap_result_free(r);

	r = load(FIX "udp.pcap", "203.0.113.99", 0);
	assert_int_equal(r->n_udp, 0);
	assert_int_equal(r->stats.filtered, 7);
	assert_true(find(r, "target_absent") >= 0);
	nrb_cap_result_free(r);
}

static void test_flow_cap(void **state)
{
	struct nrb_cap_opts o;
	struct nrb_cap_result *r = NULL;
	char err[256];
	long f;

	(void)state;
	memset(&o, 0, sizeof o);
	o.max_flows = 1;
	assert_int_equal(nrb_cap_analyze_file(FIX "refused.pcap", &o, &r, err, sizeof err), 0);
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(r->opts.max_flows, 1);
	assert_int_equal(r->stats.flows_dropped, 2); /* v6 SYN and RST */
	f = find(r, "flow_limit");
	assert_true(f >= 0);
	assert_int_equal(r->findings[f].severity, NRB_CAP_WARNING);
	nrb_cap_result_free(r);
}

/* ------------------------------------------------------------ bad input */

static char tmpdir[64];

static char *tmpfile_with(const char *name, const void *data, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/nrb-capture-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "%s/cut.pcap", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/user0.pcap", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/text.pcap", tmpdir);
	unlink(cmd);
	rmdir(tmpdir);
	return 0;
}

static void test_bad_files(void **state)
{
	/* a valid pcap header with link type 147 (DLT_USER0) and one record */
	static const uint8_t user0[] = {
		0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x00, 0x04, 0x00, 147, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0xab, 0xcd};
	struct nrb_cap_result *r = (struct nrb_cap_result *)1;
	char err[256];
	char *p;

	(void)state;
	assert_int_equal(nrb_cap_analyze_file(FIX "does-not-exist.pcap", NULL, &r, err, sizeof err), -ENOENT);
	assert_null(r);
	assert_non_null(strstr(err, "does-not-exist.pcap"));
	assert_int_equal(nrb_cap_analyze_file(FIX, NULL, &r, err, sizeof err), -EISDIR);
	p = tmpfile_with("text.pcap", "this is not a capture\n", 22);
	assert_int_equal(nrb_cap_analyze_file(p, NULL, &r, err, sizeof err), -EBADMSG);
	assert_non_null(strstr(err, "not a readable pcap"));
	p = tmpfile_with("user0.pcap", user0, sizeof user0);
	assert_int_equal(nrb_cap_analyze_file(p, NULL, &r, err, sizeof err), -EPROTONOSUPPORT);
	assert_null(r);
	assert_non_null(strstr(err, "link type 147"));
	assert_non_null(strstr(err, "not supported"));
}

/* established.pcap cut at every length: an error for a cut header, a truncated result
 * after it -- never a crash (ASan watches the reads). */
static void test_truncated_every_length(void **state)
{
	FILE *f = fopen(FIX "established.pcap", "rb");
	uint8_t buf[4096];
	size_t n, len, boundaries = 0, truncated = 0;
	struct nrb_cap_result *r;
	char err[256];

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 24 && n < sizeof buf);
	for (len = 0; len < n; len++) {
		char *p = tmpfile_with("cut.pcap", buf, len);
		int rc = nrb_cap_analyze_file(p, NULL, &r, err, sizeof err);

		if (len < 24) {
			assert_int_equal(rc, -EBADMSG);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(r->stats.packets < 10);
		if (r->truncated) {
			truncated++;
			assert_true(find(r, "capture_truncated") >= 0);
			assert_true(r->read_error[0] != 0);
		} else {
			boundaries++;
		}
		nrb_cap_result_free(r);
	}
	/* 10 record boundaries (after the header, after records 1..9) */
	assert_int_equal(boundaries, 10);
	assert_int_equal(truncated, n - 24 - 10);
}

static void test_stream(void **state)
{
	FILE *f = fopen(FIX "syn_drop.pcap", "rb");
	struct nrb_cap_result *r;
	char err[256];

	(void)state;
	assert_non_null(f);
	assert_int_equal(nrb_cap_analyze_stream(f, NULL, &r, err, sizeof err), 0);
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(r->conns[0].state, NRB_CONN_S0);
	nrb_cap_result_free(r);
	assert_int_equal(nrb_cap_analyze_stream(NULL, NULL, &r, err, sizeof err), -EINVAL);
	f = fopen(FIX "README.md", "rb");
	assert_non_null(f);
	assert_int_equal(nrb_cap_analyze_stream(f, NULL, &r, err, sizeof err), -EBADMSG);
}

static void test_null_args(void **state)
{
	struct nrb_cap_analyzer *a = NULL;
	struct nrb_cap_result *r;
	char err[256];

	(void)state;
	assert_int_equal(nrb_cap_analyze_file(NULL, NULL, &r, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_cap_analyze_file(FIX "established.pcap", NULL, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_cap_analyzer_new(NULL, DLT_EN10MB, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_cap_analyzer_new(NULL, 147, &a, err, sizeof err), -EPROTONOSUPPORT);
	assert_null(a);
	assert_int_equal(nrb_cap_analyzer_finish(NULL, &r), -EINVAL);
	nrb_cap_analyzer_feed(NULL, 0, NULL, 0, 0);
	nrb_cap_analyzer_set_truncated(NULL, "x");
	nrb_cap_analyzer_free(NULL);
	nrb_cap_result_free(NULL);
	assert_int_equal(nrb_cap_analyzer_new(NULL, DLT_EN10MB, &a, err, sizeof err), 0);
	assert_int_equal(nrb_cap_analyzer_finish(a, NULL), -EINVAL); /* a freed anyway */
	assert_string_equal(nrb_cap_state_name((enum nrb_cap_state)99), "?");
	assert_string_equal(nrb_cap_state_desc((enum nrb_cap_state)99), "?");
	assert_string_equal(nrb_cap_state_name(NRB_CONN_RSTOS0), "RSTOS0");
	assert_string_equal(nrb_cap_who_name(NRB_CAP_RESP), "resp");
	assert_string_equal(nrb_cap_origin_name(NRB_ORIGIN_INJECTED), "injected");
	assert_string_equal(nrb_cap_confidence_name(NRB_CONF_HIGH), "high");
	assert_string_equal(nrb_cap_severity_name(NRB_CAP_PROBLEM), "problem");
}

static void test_ttl_hop(void **state)
{
	(void)state;
	assert_int_equal(nrb_cap_ttl_hop(64), 1);
	assert_int_equal(nrb_cap_ttl_hop(62), 3);
	assert_int_equal(nrb_cap_ttl_hop(128), 1);
	assert_int_equal(nrb_cap_ttl_hop(120), 9);
	assert_int_equal(nrb_cap_ttl_hop(255), 1);
	assert_int_equal(nrb_cap_ttl_hop(250), 6);
	assert_int_equal(nrb_cap_ttl_hop(30), 3);
	assert_int_equal(nrb_cap_ttl_hop(0), 33);
}

/* ------------------------------------------------------- hand-built frames */

/* A SYN 192.0.2.2:40000 -> 198.51.100.2:80 (IPv4, 24-byte TCP header with MSS 1400) */
static size_t syn(uint8_t *buf, size_t cap)
{
	struct nrb_pkt_probe p;
	int n;

	memset(&p, 0, sizeof p);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.src, "192.0.2.2"), 0);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.dst, "198.51.100.2"), 0);
	p.ip.ttl = 64;
	p.ip.ip_id = 7;
	p.proto = IPPROTO_TCP;
	p.tcp.sport = 40000;
	p.tcp.dport = 80;
	p.tcp.seq = 1000;
	p.tcp.flags = NRB_TCP_SYN;
	p.tcp.window = 1024;
	p.tcp.mss = 1400;
	n = nrb_pkt_build_probe(buf, cap, &p);
	assert_int_equal(n, 44);
	return (size_t)n;
}

static void one_frame(int linktype, const uint8_t *hdr, size_t hlen, int vlan)
{
	struct nrb_cap_analyzer *a;
	struct nrb_cap_result *r;
	uint8_t frame[128];
	size_t n;
	char err[256];

	if (hlen)
		memcpy(frame, hdr, hlen);
	n = hlen + syn(frame + hlen, sizeof frame - hlen);
	assert_int_equal(nrb_cap_analyzer_new(NULL, linktype, &a, err, sizeof err), 0);
	nrb_cap_analyzer_feed(a, 5000000, frame, n, n);
	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->stats.packets, 1);
	assert_int_equal(r->stats.ip_packets, 1);
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(r->conns[0].state, NRB_CONN_S0);
	assert_int_equal(r->conns[0].orig.port, 40000);
	assert_int_equal(r->conns[0].orig.mss, 1400);
	assert_int_equal(r->conns[0].orig.wscale, -1);
	assert_int_equal(r->conns[0].orig.ip_id_first, 7);
	assert_int_equal(r->stats.first_vlan, vlan);
	nrb_cap_result_free(r);
}

static void test_link_types(void **state)
{
	static const uint8_t eth[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
	static const uint8_t eth_vlan[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00,
					   0x20, 0x2a, 0x08, 0x00}; /* PCP 1, VLAN 42 */
	static const uint8_t sll[] = {0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0, 0x08, 0x00};
	static const uint8_t sll2[] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6,
				       2, 0, 0, 0, 0, 2, 0, 0};
	static const uint8_t null_le[] = {2, 0, 0, 0};
	static const uint8_t loop_be[] = {0, 0, 0, 2};

	(void)state;
	one_frame(DLT_EN10MB, eth, sizeof eth, -1);
	one_frame(DLT_EN10MB, eth_vlan, sizeof eth_vlan, 42);
	one_frame(DLT_LINUX_SLL, sll, sizeof sll, -1);
	one_frame(DLT_LINUX_SLL2, sll2, sizeof sll2, -1);
	one_frame(DLT_NULL, null_le, sizeof null_le, -1);
	one_frame(DLT_LOOP, loop_be, sizeof loop_be, -1);
	one_frame(DLT_RAW, NULL, 0, -1);
	one_frame(DLT_IPV4, NULL, 0, -1);
}

static void test_bad_frames(void **state)
{
	static const uint8_t arp[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x06, 0, 1};
	static const uint8_t shorteth[] = {2, 0, 0, 0, 0, 1, 2};
	/* Ethernet + IPv4 header with IHL 4 (invalid) */
	static const uint8_t badihl[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
					 0x44, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0,
					 192, 0, 2, 2, 198, 51, 100, 2};
	/* VLAN tags stacked deeper than the decoder accepts */
	static const uint8_t deep[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00,
				       0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x81, 0x00,
				       0, 4, 0x81, 0x00, 0, 5, 0x08, 0x00};
	struct nrb_cap_analyzer *a;
	struct nrb_cap_result *r;
	uint8_t frame[128];
	size_t n;
	char err[256];

	(void)state;
	assert_int_equal(nrb_cap_analyzer_new(NULL, DLT_EN10MB, &a, err, sizeof err), 0);
	nrb_cap_analyzer_feed(a, 1, arp, sizeof arp, sizeof arp);
	nrb_cap_analyzer_feed(a, 2, shorteth, sizeof shorteth, sizeof shorteth);
	nrb_cap_analyzer_feed(a, 3, badihl, sizeof badihl, sizeof badihl);
	nrb_cap_analyzer_feed(a, 4, deep, sizeof deep, sizeof deep);
	/* a SYN cut inside its TCP header (snaplen 14 + 20 + 10) */
	memcpy(frame, arp, 12);
	frame[12] = 0x08;
	frame[13] = 0x00;
	n = 14 + syn(frame + 14, sizeof frame - 14);
	nrb_cap_analyzer_feed(a, 5, frame, 44, n);
	/* the whole SYN, but its IPv4 header claims 100 bytes: lying, not cut */
	frame[14 + 2] = 0;
	frame[14 + 3] = 100;
	nrb_cap_analyzer_feed(a, 6, frame, n, n);
	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->stats.packets, 6);
	assert_int_equal(r->stats.non_ip, 1);
	assert_int_equal(r->stats.malformed, 5);
	assert_int_equal(r->stats.snaplen_cut, 1);
	assert_int_equal(r->n_conns, 0);
	assert_true(find(r, "malformed_packets") >= 0);
	nrb_cap_result_free(r);
}

/* Many flows: the table grows past its initial size and lookups still find old flows;
 * the cap drops the flows beyond it and counts their packets. */
static void test_many_flows(void **state)
{
	struct nrb_cap_opts o;
	struct nrb_cap_analyzer *a;
	struct nrb_cap_result *r;
	uint8_t frame[64];
	size_t n, i;
	char err[256];

	(void)state;
	memset(&o, 0, sizeof o);
	o.max_flows = 1000;
	assert_int_equal(nrb_cap_analyzer_new(&o, DLT_RAW, &a, err, sizeof err), 0);
	n = syn(frame, sizeof frame);
	for (i = 0; i < 1200; i++) {
		/* source port at IP header (20) + 0; checksums are not verified */
		frame[20] = (uint8_t)((10000 + i) >> 8);
		frame[21] = (uint8_t)(10000 + i);
		nrb_cap_analyzer_feed(a, 1000000 + i, frame, n, n);
	}
	/* a second SYN of flow 0 (same ISN): a retransmission, not a new flow */
	frame[20] = (uint8_t)(10000 >> 8);
	frame[21] = (uint8_t)10000;
	nrb_cap_analyzer_feed(a, 3000000, frame, n, n);
	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->n_conns, 1000);
	assert_int_equal(r->stats.flows_dropped, 200);
	assert_int_equal(r->conns[0].orig.syns, 2);
	assert_int_equal(r->conns[0].orig.retrans, 1);
	assert_int_equal(r->conns[999].orig.port, 10999);
	assert_int_equal(r->conns[999].orig.syns, 1);
	assert_true(find(r, "flow_limit") >= 0);
	/* the limit first; the 1000 unanswered SYNs to one port are one finding */
	assert_int_equal(r->n_findings, 2);
	assert_string_equal(r->findings[0].kind, "flow_limit");
	assert_int_equal(r->findings[0].count, 1);
	assert_int_equal(r->findings[0].addr.af, 0);
	assert_string_equal(r->findings[1].kind, "syn_unanswered");
	assert_int_equal(r->findings[1].count, 1000);
	assert_int_equal(r->findings[1].conn, 0);
	assert_addr(&r->findings[1].addr, "198.51.100.2");
	assert_int_equal(r->findings[1].port, 80);
	assert_non_null(strstr(r->findings[1].text, "(1000 like this)"));
	assert_int_equal(r->stats.findings_dropped, 0);
	nrb_cap_result_free(r);

	/* 300 different ports: 300 findings, capped at NRB_CAP_MAX_FINDINGS */
	assert_int_equal(nrb_cap_analyzer_new(NULL, DLT_RAW, &a, err, sizeof err), 0);
	for (i = 0; i < 300; i++) {
		frame[22] = (uint8_t)((i + 1) >> 8);
		frame[23] = (uint8_t)(i + 1);
		nrb_cap_analyzer_feed(a, 1000000 + i, frame, n, n);
	}
	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->n_conns, 300);
	assert_int_equal(r->n_findings, NRB_CAP_MAX_FINDINGS);
	assert_int_equal(r->stats.findings_dropped, 300 - NRB_CAP_MAX_FINDINGS);
	assert_int_equal(r->findings[255].port, 256);
	nrb_cap_result_free(r);
}

/* One TCP segment 192.0.2.2:40000 <-> 198.51.100.2:80 (dir 0: from the client) with
 * flags, seq/ack and payload bytes, as raw IPv4; checksums are not verified. */
static uint16_t seg_ip_id; /* IPv4 ID of the next seg() */

static void seg(struct nrb_cap_analyzer *a, uint64_t t, int dir, uint8_t flags, uint32_t seq,
                uint32_t ack, size_t payload, uint8_t ttl)
{
	struct nrb_pkt_probe p;
	uint8_t buf[1600];
	int n;

	memset(&p, 0, sizeof p);
	memset(buf, 0x5a, sizeof buf);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.src, dir ? "198.51.100.2" : "192.0.2.2"), 0);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.dst, dir ? "192.0.2.2" : "198.51.100.2"), 0);
	p.ip.ttl = ttl;
	p.ip.ip_id = seg_ip_id;
	p.proto = IPPROTO_TCP;
	p.tcp.sport = dir ? 80 : 40000;
	p.tcp.dport = dir ? 40000 : 80;
	p.tcp.seq = seq;
	p.tcp.ack = ack;
	p.tcp.flags = flags;
	p.tcp.window = 1000;
	n = nrb_pkt_build_probe(buf, sizeof buf, &p);
	assert_int_equal(n, 40);
	/* append the payload (already 0x5a) and fix the IPv4 total length */
	buf[2] = (uint8_t)((40 + payload) >> 8);
	buf[3] = (uint8_t)(40 + payload);
	nrb_cap_analyzer_feed(a, t, buf, 40 + payload, 40 + payload);
}

static struct nrb_cap_analyzer *raw_analyzer(void)
{
	struct nrb_cap_analyzer *a;
	char err[256];

	assert_int_equal(nrb_cap_analyzer_new(NULL, DLT_RAW, &a, err, sizeof err), 0);
	return a;
}

static struct nrb_cap_result *done(struct nrb_cap_analyzer *a)
{
	struct nrb_cap_result *r;

	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->n_conns, 1);
	return r;
}

enum { SYN = NRB_TCP_SYN, ACK = NRB_TCP_ACK, FIN = NRB_TCP_FIN, RST = NRB_TCP_RST };

static void test_states(void **state)
{
	struct nrb_cap_analyzer *a;
	struct nrb_cap_result *r;

	(void)state;
	/* SYN-ACK seen first, then a RST from the same side: roles inferred, RSTRH */
	a = raw_analyzer();
	seg(a, 1000, 1, SYN | ACK, 500, 101, 0, 60);
	seg(a, 2000, 1, RST, 501, 0, 0, 60);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_RSTRH);
	assert_string_equal(r->conns[0].history, "^hr");
	assert_int_equal(r->conns[0].orig.port, 40000);
	assert_int_equal(r->conns[0].reset_by, NRB_CAP_RESP);
	nrb_cap_result_free(r);

	/* SYN then FIN from the originator, nothing back: SH */
	a = raw_analyzer();
	seg(a, 1000, 0, SYN, 100, 0, 0, 64);
	seg(a, 2000, 0, FIN | ACK, 101, 0, 0, 64);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_SH);
	assert_string_equal(r->conns[0].history, "SF");
	nrb_cap_result_free(r);

	/* SYN then RST from the originator, no SYN-ACK: RSTOS0 */
	a = raw_analyzer();
	seg(a, 1000, 0, SYN, 100, 0, 0, 64);
	seg(a, 2000, 0, RST, 101, 0, 0, 64);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_RSTOS0);
	assert_int_equal(r->conns[0].reset_by, NRB_CAP_ORIG);
	nrb_cap_result_free(r);

	/* handshake, data both ways with one retransmission, client resets: RSTO */
	a = raw_analyzer();
	seg(a, 1000, 0, SYN, 100, 0, 0, 64);
	seg(a, 1500, 1, SYN | ACK, 500, 101, 0, 60);
	seg(a, 1600, 0, ACK, 101, 501, 0, 64);
	seg(a, 1700, 0, ACK, 101, 501, 100, 64);
	seg(a, 2700, 0, ACK, 101, 501, 100, 64); /* retransmitted */
	seg(a, 3000, 1, ACK, 501, 201, 1200, 60);
	seg(a, 3100, 0, RST | ACK, 201, 1701, 0, 64);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_RSTO);
	assert_string_equal(r->conns[0].history, "ShADTdR");
	assert_int_equal(r->conns[0].orig.retrans, 1);
	assert_int_equal(r->conns[0].orig.payload_bytes, 200);
	assert_int_equal(r->conns[0].resp.payload_bytes, 1200);
	assert_int_equal(r->conns[0].resp.large_segments, 1);
	assert_int_equal(r->conns[0].handshake_rtt_us, 500);
	assert_int_equal(r->conns[0].ack_rtt_us, 100);
	assert_int_equal(r->conns[0].rst->origin, NRB_ORIGIN_GENUINE); /* our own, TTL 64 */
	assert_int_equal(find(r, "reset_by_originator"), 0);
	nrb_cap_result_free(r);

	/* established, FIN from the originator only: S2; from the responder only: S3 */
	a = raw_analyzer();
	seg(a, 1000, 0, SYN, 100, 0, 0, 64);
	seg(a, 1500, 1, SYN | ACK, 500, 101, 0, 60);
	seg(a, 1600, 0, FIN | ACK, 101, 501, 0, 64);
	seg(a, 1700, 0, FIN | ACK, 101, 501, 0, 64); /* FIN retransmitted */
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_S2);
	assert_int_equal(r->conns[0].orig.retrans, 1);
	nrb_cap_result_free(r);
	a = raw_analyzer();
	seg(a, 1000, 0, SYN, 100, 0, 0, 64);
	seg(a, 1500, 1, SYN | ACK, 500, 101, 0, 60);
	seg(a, 1600, 1, FIN | ACK, 501, 101, 0, 60);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_S3);
	nrb_cap_result_free(r);

	/* midstream data only: OTH; SYN-ACK then FIN: SHR */
	a = raw_analyzer();
	seg(a, 1000, 0, ACK, 100, 500, 10, 64);
	seg(a, 1100, 1, ACK, 500, 110, 0, 60);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_OTH);
	assert_string_equal(r->conns[0].history, "Da");
	assert_int_equal(find(r, "conn_state"), 0);
	nrb_cap_result_free(r);
	a = raw_analyzer();
	seg(a, 1000, 1, SYN | ACK, 500, 101, 0, 60);
	seg(a, 1100, 1, FIN | ACK, 501, 101, 0, 60);
	r = done(a);
	assert_int_equal(r->conns[0].state, NRB_CONN_SHR);
	nrb_cap_result_free(r);
}

/* A reset whose TTL starts from another initial value (a box with TTL 255), and port
 * reuse: a new SYN after the reset is a new connection. */
static void test_rst_other_stack_and_reuse(void **state)
{
	struct nrb_cap_analyzer *a = raw_analyzer();
	struct nrb_cap_result *r;

	(void)state;
	seg(a, 1000, 0, SYN, 100, 0, 0, 64);
	seg(a, 1500, 1, SYN | ACK, 500, 101, 0, 52);
	seg(a, 1600, 0, ACK, 101, 501, 0, 64);
	seg(a, 1700, 1, RST, 501, 0, 0, 250);
	seg(a, 9000, 0, SYN, 7777, 0, 0, 64);
	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->n_conns, 2);
	assert_int_equal(r->conns[0].state, NRB_CONN_RSTR);
	assert_int_equal(r->conns[0].rst->origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(r->conns[0].rst->hop, 6);
	assert_int_equal(r->conns[0].rst->genuine_ttl, 52);
	assert_int_equal(r->conns[0].rst->genuine_hop, 13);
	assert_non_null(strstr(r->conns[0].rst->reasons[r->conns[0].rst->n_reasons - 1], "starts from 255"));
	assert_int_equal(r->conns[1].state, NRB_CONN_S0);
	assert_int_equal(r->conns[1].first_us, 9000);
	nrb_cap_result_free(r);
}

/* Feed one IPv6 packet src -> dst: UDP (flags 0) or TCP with flags. */
static void v6pkt(struct nrb_cap_analyzer *a, uint64_t t, const char *src, const char *dst,
                  uint8_t flags, uint8_t ttl)
{
	struct nrb_pkt_probe p;
	uint8_t buf[128];
	int n;

	memset(&p, 0, sizeof p);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.src, src), 0);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.dst, dst), 0);
	p.ip.ttl = ttl;
	p.proto = flags ? IPPROTO_TCP : IPPROTO_UDP;
	p.sport = 5000;
	p.dport = 53;
	p.tcp.sport = flags & NRB_TCP_ACK ? 443 : 40000;
	p.tcp.dport = flags & NRB_TCP_ACK ? 40000 : 443;
	p.tcp.flags = flags;
	p.tcp.seq = 100;
	p.tcp.ack = 101;
	n = nrb_pkt_build_probe(buf, sizeof buf, &p);
	assert_true(n > 40);
	nrb_cap_analyzer_feed(a, t, buf, (size_t)n, (size_t)n);
}

/* The genuine-packet references are capped (4096 addresses); the target always gets one,
 * so its forged resets are still recognised in a capture with many peers. */
static void test_host_cap_keeps_target(void **state)
{
	struct nrb_cap_opts o;
	struct nrb_cap_analyzer *a;
	struct nrb_cap_result *r;
	char err[256], src[64];
	int i;

	(void)state;
	memset(&o, 0, sizeof o);
	assert_int_equal(nrb_pkt_addr_from_string(&o.target, "2001:db8:ffff::1"), 0);
	assert_int_equal(nrb_cap_analyzer_new(&o, DLT_RAW, &a, err, sizeof err), 0);
	for (i = 0; i < 4200; i++) {
		snprintf(src, sizeof src, "2001:db8:1::%x", i + 1);
		v6pkt(a, 1000 + i, src, "2001:db8:ffff::1", 0, 64);
	}
	v6pkt(a, 10000, "2001:db8:2::1", "2001:db8:ffff::1", NRB_TCP_SYN, 64);
	v6pkt(a, 10100, "2001:db8:ffff::1", "2001:db8:2::1", NRB_TCP_SYN | NRB_TCP_ACK, 58);
	v6pkt(a, 10200, "2001:db8:ffff::1", "2001:db8:2::1", NRB_TCP_RST | NRB_TCP_ACK, 63);
	assert_int_equal(nrb_cap_analyzer_finish(a, &r), 0);
	assert_int_equal(r->n_udp, 4200);
	assert_int_equal(r->n_conns, 1);
	assert_int_equal(r->conns[0].state, NRB_CONN_RSTR);
	assert_int_equal(r->conns[0].rst->genuine_ttl, 58);
	assert_int_equal(r->conns[0].rst->origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(r->conns[0].rst->hop, 2);
	nrb_cap_result_free(r);
}

/* ------------------------------------------------------------------ sessions */

static void test_filter_for(void **state)
{
	struct nrb_cap_opts o;
	char buf[128];

	(void)state;
	memset(&o, 0, sizeof o);
	assert_int_equal(nrb_cap_filter_for(&o, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	o.port = 443;
	assert_int_equal(nrb_cap_filter_for(&o, buf, sizeof buf), 0);
	assert_string_equal(buf, "port 443 or icmp or icmp6");
	assert_int_equal(nrb_pkt_addr_from_string(&o.target, "2001:db8::5"), 0);
	assert_int_equal(nrb_cap_filter_for(&o, buf, sizeof buf), 0);
	assert_string_equal(buf, "host 2001:db8::5 and (port 443 or icmp or icmp6)");
	o.port = 0;
	assert_int_equal(nrb_cap_filter_for(&o, buf, sizeof buf), 0);
	assert_string_equal(buf, "host 2001:db8::5");
	assert_int_equal(nrb_cap_filter_for(&o, buf, 10), -ENOSPC);
	assert_int_equal(nrb_cap_filter_for(NULL, buf, sizeof buf), -EINVAL);
	assert_int_equal(nrb_cap_filter_for(&o, NULL, 0), -EINVAL);
}

static pcap_t *offline(const char *name)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(name, perr);

	if (!p)
		fail_msg("%s: %s", name, perr);
	return p;
}

static void wait_done(struct nrb_cap_session *s)
{
	int i;

	for (i = 0; i < 500 && !nrb_cap_session_done(s); i++)
		usleep(10000);
	assert_int_equal(nrb_cap_session_done(s), 1);
}

static void test_session_offline(void **state)
{
	struct nrb_cap_session_opts o;
	struct nrb_cap_session *s;
	struct nrb_cap_result *r;
	char err[256], path[128];
	long f;

	(void)state;
	snprintf(path, sizeof path, "%s/session.pcap", tmpdir);
	memset(&o, 0, sizeof o);
	assert_int_equal(nrb_pkt_addr_from_string(&o.analysis.target, "198.51.100.2"), 0);
	o.analysis.port = 8083;
	o.pcap_path = path;
	assert_int_equal(nrb_cap_session_start(offline(FIX "forged_rst.pcap"), &o, &s, err, sizeof err), 0);
	wait_done(s);
	assert_int_equal(nrb_cap_session_stop(s, &r, err, sizeof err), 0);
	assert_string_equal(r->stopped_by, "end_of_file");
	assert_int_equal(r->stats.packets, 4);
	assert_int_equal(r->conns[0].state, NRB_CONN_REJ);
	assert_int_equal(r->conns[0].rst->origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(find(r, "capture_bounded"), -1);
	nrb_cap_result_free(r);
	/* the file written holds the same packets */
	r = load(path, NULL, 0);
	assert_int_equal(r->stats.packets, 4);
	assert_int_equal(r->conns[0].rst->hop, 1);
	assert_string_equal(r->stopped_by, "");
	nrb_cap_result_free(r);
	unlink(path);

	/* the filter keeps only what it names: port 8080 of established.pcap, no ICMP */
	memset(&o, 0, sizeof o);
	o.filter = "tcp port 8080";
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), &o, &s, err, sizeof err), 0);
	wait_done(s);
	assert_int_equal(nrb_cap_session_stop(s, &r, err, sizeof err), 0);
	assert_int_equal(r->stats.packets, 8);
	assert_int_equal(r->conns[0].state, NRB_CONN_SF);
	nrb_cap_result_free(r);

	/* bounded in packets */
	memset(&o, 0, sizeof o);
	o.max_packets = 3;
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), &o, &s, err, sizeof err), 0);
	wait_done(s);
	assert_int_equal(nrb_cap_session_stop(s, &r, err, sizeof err), 0);
	assert_string_equal(r->stopped_by, "max_packets");
	assert_int_equal(r->stats.packets, 3);
	f = find(r, "capture_bounded");
	assert_true(f >= 0);
	assert_non_null(strstr(r->findings[f].text, "packets bound after 3 packets"));
	nrb_cap_result_free(r);

	/* bounded in bytes: 98 + 98 >= 150 */
	memset(&o, 0, sizeof o);
	o.max_bytes = 150;
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), &o, &s, err, sizeof err), 0);
	wait_done(s);
	assert_int_equal(nrb_cap_session_stop(s, &r, err, sizeof err), 0);
	assert_string_equal(r->stopped_by, "max_bytes");
	assert_int_equal(r->stats.packets, 2);
	nrb_cap_result_free(r);
}

/* The .pcap is written as a new file: never over a device or FIFO (stop renames the .tmp
 * over the path, which as root would replace /dev/null), never through a planted symlink. */
static void test_session_file_safety(void **state)
{
	struct nrb_cap_session_opts o;
	struct nrb_cap_session *s = NULL;
	struct nrb_cap_result *r;
	char err[256], fifo[160], path[160], tmp[170], victim[160], buf[8] = {0};
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(fifo, sizeof fifo, "%s/fifo.pcap", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	memset(&o, 0, sizeof o);
	o.pcap_path = fifo;
	assert_int_equal(nrb_cap_session_start(offline(FIX "forged_rst.pcap"), &o, &s, err, sizeof err), -EIO);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(fifo);

	/* a symlink left where the .tmp goes, pointing at a file someone cares about */
	snprintf(path, sizeof path, "%s/safe.pcap", tmpdir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(victim, sizeof victim, "%s/victim", tmpdir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("keep", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	o.pcap_path = path;
	assert_int_equal(nrb_cap_session_start(offline(FIX "forged_rst.pcap"), &o, &s, err, sizeof err), 0);
	wait_done(s);
	assert_int_equal(nrb_cap_session_stop(s, &r, err, sizeof err), 0);
	nrb_cap_result_free(r);
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 4);
	fclose(f);
	assert_string_equal(buf, "keep");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(lstat(tmp, &st), -1); /* renamed away, the symlink gone with it */
	r = load(path, NULL, 0);
	assert_int_equal(r->stats.packets, 4);
	nrb_cap_result_free(r);
	unlink(path);
	unlink(victim);
}

/* nrb_cap_session_wait: a session over a pipe that stays open is never done, so the wait
 * ends by time (elapsed, or the caller's limit) or by the interrupt flag. */
static void test_session_wait(void **state)
{
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
	                                0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0};
	struct nrb_cap_session_opts o;
	struct nrb_cap_session *s;
	struct nrb_cap_result *r;
	char perr[PCAP_ERRBUF_SIZE], err[256];
	uint64_t t0, ms;
	int fds[2];
	pcap_t *p;
	FILE *fp;

	(void)state;
	assert_int_equal(nrb_cap_session_wait(NULL, 10, 0), -EINVAL);
	assert_int_equal(nrb_cap_session_elapsed_ms(NULL), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], hdr, sizeof hdr), (ssize_t)sizeof hdr);
	fp = fdopen(fds[0], "rb");
	assert_non_null(fp);
	p = pcap_fopen_offline(fp, perr); /* reads the header, then blocks in the thread */
	assert_non_null(p);
	memset(&o, 0, sizeof o);
	assert_int_equal(nrb_cap_session_start(p, &o, &s, err, sizeof err), 0);

	t0 = nrb_now_us();
	assert_int_equal(nrb_cap_session_wait(s, 0, 0), NRB_CAP_WAIT_ELAPSED);
	assert_int_equal(nrb_cap_session_wait(s, 300, 0), NRB_CAP_WAIT_ELAPSED);
	ms = (nrb_now_us() - t0) / 1000u;
	assert_true(ms >= 290 && ms < 1500);
	assert_true(nrb_cap_session_elapsed_ms(s) >= 300);
	/* counted from the start: already run that long, no wait */
	t0 = nrb_now_us();
	assert_int_equal(nrb_cap_session_wait(s, 200, 0), NRB_CAP_WAIT_ELAPSED);
	assert_true((nrb_now_us() - t0) / 1000u < 50);
	/* the caller's limit first */
	t0 = nrb_now_us();
	assert_int_equal(nrb_cap_session_wait(s, 60000, t0 + 150000u), NRB_CAP_WAIT_LIMIT);
	ms = (nrb_now_us() - t0) / 1000u;
	assert_true(ms >= 140 && ms < 1500);
	/* Ctrl-C: at once */
	nrb_interrupt_signal = SIGINT;
	t0 = nrb_now_us();
	assert_int_equal(nrb_cap_session_wait(s, 60000, 0), NRB_CAP_WAIT_INTERRUPTED);
	assert_true((nrb_now_us() - t0) / 1000u < 50);
	nrb_interrupt_signal = 0;
	assert_int_equal(nrb_cap_session_done(s), 0);

	/* end of the stream: the reader stops on its own, the wait says so */
	close(fds[1]);
	t0 = nrb_now_us();
	assert_int_equal(nrb_cap_session_wait(s, 60000, 0), NRB_CAP_WAIT_DONE);
	assert_true((nrb_now_us() - t0) / 1000u < 1500);
	assert_int_equal(nrb_cap_session_stop(s, &r, err, sizeof err), 0);
	assert_string_equal(r->stopped_by, "end_of_file");
	assert_int_equal(r->stats.packets, 0);
	nrb_cap_result_free(r);
}

static void test_session_errors(void **state)
{
	struct nrb_cap_session_opts o;
	struct nrb_cap_session *s = (struct nrb_cap_session *)1;
	struct nrb_cap_result *r;
	char err[256], path[128];

	(void)state;
	memset(&o, 0, sizeof o);
	o.filter = "tcp port";
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), &o, &s, err, sizeof err), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "does not compile"));
	o.filter = NULL;
	o.pcap_path = "/nonexistent-dir/x.pcap";
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), &o, &s, err, sizeof err), -EIO);
	assert_non_null(strstr(err, "/nonexistent-dir/x.pcap"));
	assert_int_equal(nrb_cap_session_start(NULL, &o, &s, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), NULL, &s, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_cap_session_stop(NULL, &r, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_cap_session_done(NULL), 0);
	nrb_cap_session_free(NULL);

	/* discarding a session removes its file */
	snprintf(path, sizeof path, "%s/discard.pcap", tmpdir);
	o.pcap_path = path;
	assert_int_equal(nrb_cap_session_start(offline(FIX "established.pcap"), &o, &s, err, sizeof err), 0);
	wait_done(s);
	nrb_cap_session_free(s);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/discard.pcap.tmp", tmpdir);
	assert_int_equal(access(path, F_OK), -1);
}

/* The supporting evidence: a reset much faster than the server's round trip, and an IP
 * ID where the server's packets all carry 0, raise an injected verdict to high
 * confidence; a genuine-looking TTL with contradicting evidence is only low confidence. */
static void test_provenance_support(void **state)
{
	struct nrb_cap_analyzer *a = raw_analyzer();
	struct nrb_cap_result *r;
	const struct nrb_cap_provenance *p;

	(void)state;
	seg_ip_id = 0;
	seg(a, 1000000, 0, SYN, 100, 0, 0, 64);
	seg(a, 1020000, 1, SYN | ACK, 500, 101, 0, 52);      /* 20 ms round trip */
	seg(a, 1020100, 0, ACK, 101, 501, 0, 64);
	seg(a, 1030000, 0, ACK, 101, 501, 100, 64);
	seg(a, 1030200, 1, ACK, 501, 201, 0, 52);
	seg_ip_id = 4242;
	seg(a, 1030500, 1, RST | ACK, 501, 201, 0, 60);      /* 0.5 ms after the data */
	seg_ip_id = 0;
	r = done(a);
	p = r->conns[0].rst;
	assert_int_equal(r->conns[0].state, NRB_CONN_RSTR);
	assert_int_equal(p->origin, NRB_ORIGIN_INJECTED);
	assert_int_equal(p->confidence, NRB_CONF_HIGH);
	assert_int_equal(p->ttl, 60);
	assert_int_equal(p->hop, 5);
	assert_int_equal(p->genuine_ttl, 52);
	assert_int_equal(p->delay_us, 500);
	assert_int_equal(p->genuine_rtt_us, 20000);
	assert_int_equal(p->n_reasons, 3);
	assert_non_null(strstr(p->reasons[0], "IP ID 4242 while all 2 genuine packets"));
	assert_non_null(strstr(p->reasons[1], "0.5 ms after the packet it answers"));
	assert_non_null(strstr(p->reasons[2], "TTL 60 vs 52"));
	nrb_cap_result_free(r);

	/* same TTL as the server, but the same contradicting evidence: genuine, low */
	a = raw_analyzer();
	seg(a, 1000000, 0, SYN, 100, 0, 0, 64);
	seg(a, 1020000, 1, SYN | ACK, 500, 101, 0, 52);
	seg(a, 1020100, 0, ACK, 101, 501, 0, 64);
	seg(a, 1030000, 0, ACK, 101, 501, 100, 64);
	seg(a, 1030200, 1, ACK, 501, 201, 0, 52);
	seg_ip_id = 4242;
	seg(a, 1030500, 1, RST | ACK, 501, 201, 0, 52);
	seg_ip_id = 0;
	r = done(a);
	assert_int_equal(r->conns[0].rst->origin, NRB_ORIGIN_GENUINE);
	assert_int_equal(r->conns[0].rst->confidence, NRB_CONF_LOW);
	nrb_cap_result_free(r);
}

static void test_tcp_options(void **state)
{
	/* 40-byte header: MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 */
	static const uint8_t h[40] = {0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02, 0xff, 0xff,
				      0, 0, 0, 0, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
				      0, 0, 0, 0, 1, 3, 3, 7};
	/* option length running past the header */
	static const uint8_t bad[24] = {0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0, 0,
					0, 0, 0, 0, 2, 9, 0x05, 0xb4};
	struct nrb_cap_tcpopt o;

	(void)state;
	nrb_cap_tcp_options(h, sizeof h, &o);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.wscale, 7);
	assert_int_equal(o.sack_ok, 1);
	assert_int_equal(o.timestamps, 1);
	nrb_cap_tcp_options(bad, sizeof bad, &o);
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.wscale, -1);
	nrb_cap_tcp_options(h, 30, &o); /* header claims 40, only 30 present */
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.wscale, -1);
	nrb_cap_tcp_options(h, 10, &o);
	assert_int_equal(o.mss, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_established),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_router_any),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_forged_rst),
		cmocka_unit_test(test_midstream_rst),
		cmocka_unit_test(test_syn_drop),
		cmocka_unit_test(test_admin_prohib),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_icmp_forged),
		cmocka_unit_test(test_pmtu_blackhole),
		cmocka_unit_test(test_pmtu_v6),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_flow_cap),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_ttl_hop),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_host_cap_keeps_target),
		cmocka_unit_test(test_rst_other_stack_and_reuse),
		cmocka_unit_test(test_provenance_support),
		cmocka_unit_test(test_filter_for),
		cmocka_unit_test(test_session_offline),
		cmocka_unit_test(test_session_file_safety),
		cmocka_unit_test(test_session_errors),
		cmocka_unit_test(test_session_wait),
		cmocka_unit_test(test_tcp_options),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
