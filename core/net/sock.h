/*
 * sock: the socket seam.  Probe code never calls socket/sendto/recvmsg directly; it goes
 * through a struct nrb_sock_ops, so tests swap in a fake that records every send and
 * injects replies (timed, or produced by a responder that sees each probe) with no
 * network at all.  The system implementation (nrb_sock_system) wraps the real calls,
 * reads the receive metadata a probe engine needs from the cmsgs (TTL/hop limit of the
 * reply, IP_RECVERR/IPV6_RECVERR errors with the offender's address) and stamps each
 * receive with the monotonic clock.
 *
 * Opening privileged sockets (raw, ICMP) is not done here: fds come from core/priv.
 * ops->open is for ordinary sockets (UDP/TCP) and for the fake.
 */
#ifndef NRB_NET_SOCK_H
#define NRB_NET_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>

/** Flags for ops->recv. */
enum {
	NRB_SOCK_ERRQUEUE = 0x1 /* read the error queue (MSG_ERRQUEUE) instead of data */
};

/** One received message with the metadata probes need. */
struct nrb_sock_msg {
	uint8_t *buf;                     /* caller's buffer (borrowed) */
	size_t cap;                       /* its size */
	size_t len;                       /* bytes received */
	int truncated;                    /* 1 if the message was longer than cap */
	struct sockaddr_storage from;     /* sender (msg_name); for the error queue: the
	                                   * original destination of our probe */
	socklen_t fromlen;                /* its length, 0 if none */
	int ttl;                          /* TTL / hop limit of the reply, -1 if unknown */
	uint64_t rx_us;                   /* receive time, monotonic µs (loop clock for the
	                                   * fake) */
	int is_error;                     /* 1 if this came from the error queue */
	struct sock_extended_err ee;      /* the error (is_error only) */
	struct sockaddr_storage offender; /* who sent the ICMP error (is_error only;
	                                   * ss_family AF_UNSPEC if unknown) */
};

/** The seam.  Every function returns >= 0 on success or -errno; none blocks (fds are
 *  non-blocking: recv returns -EAGAIN when nothing is there). */
struct nrb_sock_ops {
	/** Open a socket (non-blocking, close-on-exec).  @return fd or -errno. */
	int (*open)(void *ctx, int af, int type, int proto);
	/** Set a socket option (IP_TTL per probe, IP_RECVERR ...).  @return 0 or -errno. */
	int (*setopt)(void *ctx, int fd, int level, int name, const void *val, socklen_t len);
	/** Send one datagram to `to`.  @return bytes sent or -errno. */
	int (*send)(void *ctx, int fd, const void *buf, size_t len, const struct sockaddr *to,
	            socklen_t tolen);
	/** Receive one message into msg (buf/cap set by the caller, the rest filled).
	 *  @param flags NRB_SOCK_*; @return bytes received or -errno (-EAGAIN: none). */
	int (*recv)(void *ctx, int fd, struct nrb_sock_msg *msg, int flags);
	/** Close an fd from open (or from core/priv).  @return 0 or -errno. */
	int (*close)(void *ctx, int fd);
	void *ctx; /* passed to every function */
};

/** The real sockets (ctx unused). */
extern const struct nrb_sock_ops nrb_sock_system;

/* ------------------------------------------------------------------ the fake */

struct nrb_sock_fake;

/** One send the fake recorded. */
struct nrb_sock_fake_sent {
	int fd;                        /* socket it was sent on */
	uint8_t *data;                 /* copy of the bytes (owned by the fake) */
	size_t len;                    /* their length */
	struct sockaddr_storage to;    /* destination */
	uint64_t at_us;                /* fake clock time of the send */
	int ttl;                       /* last IP_TTL/IPV6_UNICAST_HOPS set on fd, -1 none */
};

/** Called by the fake for every send; may inject replies (nrb_sock_fake_inject).
 *  @return 0 to accept the send, or -errno to make send fail with it. */
typedef int nrb_sock_fake_responder(struct nrb_sock_fake *fake, void *rctx,
                                    const struct nrb_sock_fake_sent *sent);

/** Create a fake.  Its fds are eventfds, so an nrb_loop can watch them: an fd is
 *  readable exactly while it has a due reply.
 *  @param now_us the clock the fake reads for send times and reply due times (a loop
 *  test passes its fake clock); @param clock_ctx its argument.
 *  @return 0, -EINVAL, -ENOMEM. */
int nrb_sock_fake_new(uint64_t (*now_us)(void *), void *clock_ctx, struct nrb_sock_fake **out);

/** Free the fake, closing any fd still open.  NULL is a no-op. */
void nrb_sock_fake_free(struct nrb_sock_fake *fake);

/** @return ops bound to this fake (valid while the fake lives). */
struct nrb_sock_ops nrb_sock_fake_ops(struct nrb_sock_fake *fake);

/** Set the responder (NULL: none). */
void nrb_sock_fake_set_responder(struct nrb_sock_fake *fake, nrb_sock_fake_responder *fn,
                                 void *rctx);

/** Make every later open fail with -err (0 to stop), e.g. -EPERM. */
void nrb_sock_fake_fail_open(struct nrb_sock_fake *fake, int err);

/** Queue a reply for fd, due at at_us (fake clock), delivered by recv once due and
 *  after nrb_sock_fake_pump (which the caller runs from a loop timer or before
 *  polling).  msg->buf/len give the bytes (copied); from, ttl, is_error, ee, offender
 *  are copied too.  @return 0, -EBADF (not a fake fd), -ENOMEM. */
int nrb_sock_fake_inject(struct nrb_sock_fake *fake, int fd, uint64_t at_us,
                         const struct nrb_sock_msg *msg);

/** Make replies due by now readable (signal their fds).  @return how many became due. */
int nrb_sock_fake_pump(struct nrb_sock_fake *fake);

/** @return the time the next undelivered reply is due, UINT64_MAX if none. */
uint64_t nrb_sock_fake_next_due(const struct nrb_sock_fake *fake);

/** @return number of sends recorded; @param i index: the i-th (borrowed), or NULL. */
size_t nrb_sock_fake_nsent(const struct nrb_sock_fake *fake);
const struct nrb_sock_fake_sent *nrb_sock_fake_sent_at(const struct nrb_sock_fake *fake,
                                                       size_t i);

#endif
