/* Internals shared by the files of core/capture (not a public API). */
#ifndef NRB_CAPTURE_INT_H
#define NRB_CAPTURE_INT_H

#include "capture/capture.h"

/** What the link layer of one record holds. */
struct nrb_cap_link {
	size_t l3_off;  /* offset of the IP header in the record */
	int is_ip;      /* 1 when an IPv4/IPv6 packet follows, 0 otherwise (ARP, ...) */
	int vlan;       /* first VLAN ID, -1 when untagged */
	int multi_if;   /* the link type records the interface or direction (Linux cooked,
	                 * tcpdump -i any): one packet may be captured more than once */
	uint32_t ifindex; /* SLL2: interface index; 0 unknown */
	uint8_t pkttype;  /* SLL/SLL2 packet type (0 to us ... 4 outgoing) */
};

/** TCP options pkt.h does not keep. */
struct nrb_cap_tcpopt {
	uint16_t mss;      /* MSS, 0 absent */
	int8_t wscale;     /* window scale shift, -1 absent */
	uint8_t sack_ok;   /* SACK permitted */
	uint8_t timestamps;/* timestamps */
};

/**
 * Decode the link header of one record.
 * @param linktype DLT_*; @param buf,len the record (borrowed).
 * @return 0 (out filled); -EBADMSG record shorter than its link header;
 *         -EPROTONOSUPPORT link type not handled.
 */
int nrb_cap_link_decode(int linktype, const uint8_t *buf, size_t len,
                        struct nrb_cap_link *out);

/** @return 1 if nrb_cap_link_decode handles linktype, else 0. */
int nrb_cap_link_supported(int linktype);

/** Parse the options of a TCP header at tcp[0..len) (the header only, bounds checked;
 *  malformed options stop the walk).  out is always initialised. */
void nrb_cap_tcp_options(const uint8_t *tcp, size_t len, struct nrb_cap_tcpopt *out);

/** Build the findings of a finished result (findings.c).  @return 0 or -ENOMEM. */
int nrb_cap_build_findings(struct nrb_cap_result *r);

/** Reference data about one address's genuine packets, kept by analyze.c and read by the
 *  provenance code. */
struct nrb_cap_host {
	struct nrb_pkt_addr addr;  /* the address */
	uint8_t ttl[4];            /* up to 4 distinct TTLs seen */
	uint32_t ttl_count[4];     /* how often each */
	uint32_t ids;              /* IPv4 packets seen */
	uint32_t zero_ids;         /* of which with ID 0 */
	uint32_t seq_ids;          /* successive IDs that grew by 1..1024 */
	uint16_t last_id;          /* last ID */
	int64_t rtt_us;            /* smallest round trip measured to it (echo, handshake,
	                            * UDP), -1 unknown */
};

#endif
