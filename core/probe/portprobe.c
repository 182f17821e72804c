/* tcp_syn and udp: one port probe, classified (see netprobe.h). */
#include "probe/netprobe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct port_task {
	struct nrb_task t;              /* must be first */
	struct nrb_port_req req;        /* request */
	struct nrb_port_result *res;    /* caller's result */
};

static int port_start(struct nrb_task *t)
{
	struct port_task *k = (struct port_task *)t;
	struct nrb_sess_probe pr;
	size_t hl = k->req.dst.af == AF_INET ? NRB_PKT_IPV4_HDR : NRB_PKT_IPV6_HDR;

	memset(&pr, 0, sizeof pr);
	pr.proto = k->req.proto;
	pr.dst = k->req.dst;
	pr.dport = k->req.port;
	pr.ttl = (uint8_t)k->req.ttl;
	pr.timeout_us = k->req.timeout_us;
	if (k->req.proto == NRB_PROTO_UDP)
		pr.size = (uint16_t)(hl + NRB_PKT_UDP_HDR + (size_t)k->req.size);
	return nrb_sess_send(t->sess, t, &pr);
}

static void port_reply(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r)
{
	struct port_task *k = (struct port_task *)t;
	struct nrb_port_result *res = k->res;

	(void)cookie;
	res->answered = 1;
	res->from = r->from;
	res->rtt_ms = (double)r->rtt_us / 1000.0;
	res->reply_ttl = r->ttl;
	res->reply_ipid = r->ip_id;
	if (r->kind == NRB_PKT_ICMP_ERROR) {
		res->has_icmp = 1;
		res->icmp.from = r->from;
		res->icmp.type = r->icmp_type;
		res->icmp.code = r->icmp_code;
		res->icmp.kind = nrb_sess_err_kind(k->req.dst.af, r->icmp_type, r->icmp_code, r->err);
		res->icmp.mtu = r->mtu;
		res->icmp.reply_ttl = r->ttl;
		if (k->req.proto == NRB_PROTO_UDP && r->err == NRB_ERR_PORT_UNREACH &&
		    nrb_pkt_addr_equal(&r->from, &k->req.dst))
			res->status = "port_unreachable";
		else
			res->status = "icmp";
	} else if (r->kind == NRB_PKT_TCP) {
		res->tcp_flags = r->tcp_flags;
		if ((r->tcp_flags & (NRB_TCP_SYN | NRB_TCP_ACK)) == (NRB_TCP_SYN | NRB_TCP_ACK))
			res->status = "syn_ack";
		else if (r->tcp_flags & NRB_TCP_RST)
			res->status = "rst";
		else
			res->status = "tcp_other";
	} else if (r->kind == NRB_PKT_UDP) {
		res->bytes = r->payload_len;
		res->status = "answer";
	} else {
		res->status = "other";
	}
	t->done = 1;
}

static void port_timeout(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err)
{
	struct port_task *k = (struct port_task *)t;

	(void)cookie;
	(void)sent_us;
	if (send_err) {
		k->res->send_errno = -send_err;
		k->res->status = "error";
	} else {
		k->res->status = k->req.proto == NRB_PROTO_UDP ? "open_filtered" : "timeout";
	}
	t->done = 1;
}

static const struct nrb_task_ops port_ops = {
	"port", port_start, port_reply, port_timeout, NULL, NULL, NULL
};

int nrb_port_add(struct nrb_sess *s, const struct nrb_port_req *req,
                 struct nrb_port_result *res, char *err, size_t errlen)
{
	struct nrb_pkt_addr src;
	struct port_task *k;
	int rc;

	if (!s || !req || !res)
		return nrb_err(err, errlen, EINVAL, "port probe: missing argument");
	if (req->dst.af != AF_INET && req->dst.af != AF_INET6)
		return nrb_err(err, errlen, EINVAL, "port probe: no target address");
	if (req->proto != NRB_PROTO_TCP && req->proto != NRB_PROTO_UDP)
		return nrb_err(err, errlen, EINVAL, "port probe: protocol must be tcp or udp");
	if (req->port == 0)
		return nrb_err(err, errlen, EINVAL, "port probe: port must be 1..65535");
	if (req->ttl < 0 || req->ttl > 255)
		return nrb_err(err, errlen, EINVAL, "port probe: ttl must be 1..255");
	if (req->timeout_us < 1000 || req->timeout_us > 60000000)
		return nrb_err(err, errlen, EINVAL, "port probe: timeout must be 1 ms..60 s");
	if (req->size < 0 || req->size > 1400)
		return nrb_err(err, errlen, EINVAL, "port probe: size must be 0..1400 bytes");
	rc = nrb_sess_source(s, &req->dst, &src, err, errlen);
	if (rc < 0)
		return rc;
	rc = nrb_sess_prepare(s, req->dst.af, req->proto, err, errlen);
	if (rc < 0)
		return rc;
	memset(res, 0, sizeof *res);
	res->reply_ttl = -1;
	res->reply_ipid = -1;
	res->degraded = nrb_sess_degraded(s, req->dst.af, req->proto);
	if (!nrb_sess_is_raw(s, req->dst.af, req->proto) && req->proto == NRB_PROTO_TCP)
		return nrb_err(err, errlen, EPERM, "%s", res->degraded);
	k = calloc(1, sizeof *k);
	if (!k)
		return nrb_err(err, errlen, ENOMEM, "port probe: out of memory");
	k->t.ops = &port_ops;
	k->t.max_probes = 1;
	k->req = *req;
	if (!k->req.ttl)
		k->req.ttl = 64;
	if (!k->req.size)
		k->req.size = 8;
	k->res = res;
	rc = nrb_sess_add(s, &k->t);
	if (rc < 0) {
		free(k);
		return nrb_err(err, errlen, -rc, "port probe: too many probes in one run");
	}
	return 0;
}
