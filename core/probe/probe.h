/*
 * probe: the first two probes of nrb, usable without privileges.
 *
 *  - TCP connect ("tcping"): a non-blocking connect(2) bounded by a timeout, classified as
 *    connected / refused / timeout / unreachable / error, with the errno and the time the
 *    kernel took to answer.  It tells whether a port accepts connections from here.
 *  - Name resolution: getaddrinfo(3) for a host name or literal, all addresses, time taken.
 *
 * Both return plain result structs; they never print.  A probe that ran and saw nothing
 * (timeout, NXDOMAIN) is a result, not an error: the functions fail (-errno) only for
 * caller mistakes or when the probe could not be run at all.  The full asynchronous
 * engine (traces, statistics, raw probes) lives in core/loop and core/net.
 */
#ifndef NRB_PROBE_H
#define NRB_PROBE_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

/** Outcome of a TCP connect probe. */
enum nrb_tcp_status {
	NRB_TCP_CONNECTED = 0, /* three-way handshake completed */
	NRB_TCP_REFUSED,       /* RST in answer to our SYN (ECONNREFUSED) */
	NRB_TCP_TIMEOUT,       /* nothing came back before the timeout */
	NRB_TCP_UNREACHABLE,   /* ICMP unreachable or no route (EHOSTUNREACH/ENETUNREACH/...) */
	NRB_TCP_INTERRUPTED,   /* the run was interrupted (SIGINT/SIGTERM) while waiting */
	NRB_TCP_ERROR,         /* any other local failure (errno says which) */
};

/** What happened to a request sent on a connected socket (nrb_tcp_req.send). */
enum nrb_xchg_status {
	NRB_XCHG_NONE = 0,     /* nothing was sent (no request, or not connected) */
	NRB_XCHG_RESPONSE,     /* the peer answered with bytes */
	NRB_XCHG_RESET,        /* the connection was reset (after `bytes` bytes, maybe 0) */
	NRB_XCHG_CLOSED,       /* the peer closed without a byte */
	NRB_XCHG_TIMEOUT,      /* no byte came back in time */
	NRB_XCHG_ERROR,        /* another failure (xchg_error says which) */
};

enum {
	NRB_TCP_MAX_SEND = 4096, /* request bytes ceiling */
	NRB_TCP_HEAD = 256       /* response bytes kept */
};

/** Request for nrb_tcp_connect(). */
struct nrb_tcp_req {
	struct sockaddr_storage addr; /* destination address and port (AF_INET or AF_INET6) */
	socklen_t addrlen;            /* valid length of addr */
	int timeout_ms;               /* 1..600000; how long to wait for the handshake */
	const void *send;             /* once connected, send these bytes (NULL: close) */
	size_t send_len;              /* 0..NRB_TCP_MAX_SEND */
	int read_timeout_ms;          /* then read the answer for at most this long (1..600000) */
	size_t max_read;              /* stop reading after this many bytes (0: 1 MiB) */
};

/** Result of nrb_tcp_connect(). */
struct nrb_tcp_result {
	enum nrb_tcp_status status; /* classification, see enum */
	int error;                  /* errno behind the status (0 when connected/timeout) */
	uint64_t elapsed_us;        /* from connect() to the answer (or to the timeout) */
	char local[64];             /* local address:port the kernel chose ("" if none) */
	/* the request, when one was sent */
	enum nrb_xchg_status xchg;  /* outcome */
	int xchg_error;             /* errno behind RESET/ERROR */
	size_t sent;                /* request bytes written */
	size_t bytes;               /* answer bytes read (at most max_read) */
	uint64_t first_byte_us;     /* from the request to the first answer byte, 0 none */
	uint64_t xchg_us;           /* from the request to the outcome */
	uint8_t head[NRB_TCP_HEAD]; /* the first answer bytes */
	size_t head_len;            /* used */
};

/** @return a stable lower-case name for an exchange outcome ("response", "reset", ...). */
const char *nrb_xchg_status_name(enum nrb_xchg_status st);

/** @return a stable lower-case name for a status ("connected", "refused", ...). */
const char *nrb_tcp_status_name(enum nrb_tcp_status st);

/**
 * Try one TCP connection and classify the outcome; with req->send, also send a request on
 * it and classify what came back (an answer, a reset -- the mark of a middlebox that
 * resets flows by their content --, a close, silence).  Blocks for at most timeout_ms
 * (+ read_timeout_ms with a request).
 * @param req the destination (borrowed).
 * @param res filled on success (borrowed).
 * @return 0 when the probe ran (whatever the outcome), -EINVAL for a bad request.
 */
int nrb_tcp_connect(const struct nrb_tcp_req *req, struct nrb_tcp_result *res,
                    char *err, size_t errlen);

/** Maximum number of addresses nrb_resolve() keeps. */
#define NRB_RESOLVE_MAX 16

/** Result of nrb_resolve(). */
struct nrb_resolve_result {
	int ok;                                 /* 1 when at least one address was found */
	int gai_error;                          /* getaddrinfo() return code (0 on success) */
	char error[128];                        /* resolver's message when !ok */
	int count;                              /* addresses in addrs[] */
	char addrs[NRB_RESOLVE_MAX][64];        /* numeric addresses, resolver order, no duplicates */
	int families[NRB_RESOLVE_MAX];          /* AF_INET or AF_INET6, per address */
	int is_literal;                         /* the host was already a numeric address */
	uint64_t elapsed_us;                    /* time getaddrinfo() took */
};

/**
 * Resolve host to its addresses (family AF_UNSPEC, AF_INET or AF_INET6).
 * @return 0 when the resolver ran (res->ok says whether it found anything), -EINVAL for
 *         an empty or over-long host name, a bad family, or a host that is neither a
 *         numeric address nor a DNS name (nrb_target_parse: `1.2.3`, `999.1.1.1` are
 *         refused before the resolver sees them).
 */
int nrb_resolve(const char *host, int family, struct nrb_resolve_result *res,
                char *err, size_t errlen);

/**
 * Parse a numeric IPv4/IPv6 address and a port into a sockaddr.
 * @return 0, or -EINVAL when text is not a numeric address or port is not 1..65535.
 */
int nrb_sockaddr_parse(const char *text, int port, struct sockaddr_storage *ss,
                       socklen_t *len);

#endif
