/* capture/link: link-layer headers and the TCP options pkt.h leaves out (see capture.h). */
#include "capture/capture_int.h"

#include <errno.h>
#include <string.h>
#include <pcap/dlt.h>

#define ETH_HDR 14
#define SLL_HDR 16
#define SLL2_HDR 20
#define NULL_HDR 4
#define MAX_TAGS 4 /* QinQ stacks deeper than this are not IP we can use */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Walk ethertype + VLAN tags starting with the ethertype at buf[off - 2].  A tag is
 * TPID (already read as type) + TCI (2) + next type (2). */
static int ethertype_walk(const uint8_t *buf, size_t len, size_t off, uint16_t type,
                          struct nrb_cap_link *out)
{
	int tags = 0;

	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (++tags > MAX_TAGS || len - off < 4)
			return -EBADMSG;
		if (out->vlan < 0)
			out->vlan = get16(buf + off) & 0x0fff;
		type = get16(buf + off + 2);
		off += 4;
	}
	out->l3_off = off;
	out->is_ip = type == 0x0800 || type == 0x86dd;
	return 0;
}

int nrb_cap_link_supported(int linktype)
{
	switch (linktype) {
	case DLT_NULL: case DLT_EN10MB: case DLT_RAW: case 14: case DLT_LOOP:
	case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_IPV4: case DLT_IPV6:
		return 1;
	default:
		return 0;
	}
}

int nrb_cap_link_decode(int linktype, const uint8_t *buf, size_t len,
                        struct nrb_cap_link *out)
{
	memset(out, 0, sizeof *out);
	out->vlan = -1;
	switch (linktype) {
	case DLT_EN10MB:
		if (len < ETH_HDR)
			return -EBADMSG;
		return ethertype_walk(buf, len, ETH_HDR, get16(buf + 12), out);
	case DLT_LINUX_SLL:
		if (len < SLL_HDR)
			return -EBADMSG;
		out->multi_if = 1;
		out->pkttype = buf[1];
		return ethertype_walk(buf, len, SLL_HDR, get16(buf + 14), out);
	case DLT_LINUX_SLL2:
		if (len < SLL2_HDR)
			return -EBADMSG;
		out->multi_if = 1;
		out->ifindex = (uint32_t)get16(buf + 4) << 16 | get16(buf + 6);
		out->pkttype = buf[10];
		return ethertype_walk(buf, len, SLL2_HDR, get16(buf), out);
	case DLT_NULL:
	case DLT_LOOP:
		/* the family word is in the capturing host's byte order (NULL) or network
		 * order (LOOP), and its IPv6 value differs between BSDs: the IP version
		 * nibble is the reliable test */
		if (len < NULL_HDR)
			return -EBADMSG;
		out->l3_off = NULL_HDR;
		out->is_ip = len > NULL_HDR && (buf[NULL_HDR] >> 4 == 4 || buf[NULL_HDR] >> 4 == 6);
		return 0;
	case DLT_RAW:
	case 14: /* DLT_RAW on OpenBSD */
	case DLT_IPV4:
	case DLT_IPV6:
		out->l3_off = 0;
		out->is_ip = len > 0 && (buf[0] >> 4 == 4 || buf[0] >> 4 == 6);
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

void nrb_cap_tcp_options(const uint8_t *tcp, size_t len, struct nrb_cap_tcpopt *out)
{
	size_t doff, i;

	memset(out, 0, sizeof *out);
	out->wscale = -1;
	if (len < 20)
		return;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff > len)
		doff = len;
	for (i = 20; i < doff;) {
		if (tcp[i] == 0)
			break;
		if (tcp[i] == 1) {
			i++;
			continue;
		}
		if (doff - i < 2 || tcp[i + 1] < 2 || tcp[i + 1] > doff - i)
			break;
		switch (tcp[i]) {
		case 2:
			if (tcp[i + 1] == 4)
				out->mss = get16(tcp + i + 2);
			break;
		case 3:
			if (tcp[i + 1] == 3)
				out->wscale = (int8_t)(tcp[i + 2] > 14 ? 14 : tcp[i + 2]);
			break;
		case 4:
			out->sack_ok = 1;
			break;
		case 8:
			out->timestamps = 1;
			break;
		default:
			break;
		}
		i += tcp[i + 1];
	}
}
