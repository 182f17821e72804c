/* sock: the system socket ops and the test fake (see sock.h). */
#include "net/sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/util.h"

/* ---------------------------------------------------------------- system */

static int sys_open(void *ctx, int af, int type, int proto)
{
	int fd;

	(void)ctx;
	fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	return fd < 0 ? -errno : fd;
}

static int sys_setopt(void *ctx, int fd, int level, int name, const void *val, socklen_t len)
{
	(void)ctx;
	return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

static int sys_send(void *ctx, int fd, const void *buf, size_t len, const struct sockaddr *to,
                    socklen_t tolen)
{
	ssize_t n;

	(void)ctx;
	n = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
	if (n < 0)
		return -errno;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* Pick the metadata we use out of the control messages. */
static void read_cmsgs(struct msghdr *mh, struct nrb_sock_msg *msg)
{
	struct cmsghdr *c;
	int v;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
			if (c->cmsg_len >= CMSG_LEN(sizeof v)) {
				memcpy(&v, CMSG_DATA(c), sizeof v);
				msg->ttl = v;
			}
		} else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		           (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			const struct sock_extended_err *ee;
			const struct sockaddr *off;
			size_t room;

			if (c->cmsg_len < CMSG_LEN(sizeof *ee))
				continue;
			ee = (const struct sock_extended_err *)CMSG_DATA(c);
			memcpy(&msg->ee, ee, sizeof *ee);
			msg->is_error = 1;
			/* the offender address follows the struct inside the same cmsg */
			room = c->cmsg_len - CMSG_LEN(sizeof *ee);
			off = SO_EE_OFFENDER(ee);
			if (room >= sizeof(struct sockaddr_in6))
				memcpy(&msg->offender, off, sizeof(struct sockaddr_in6));
			else if (room >= sizeof(struct sockaddr_in))
				memcpy(&msg->offender, off, sizeof(struct sockaddr_in));
		}
	}
}

static int sys_recv(void *ctx, int fd, struct nrb_sock_msg *msg, int flags)
{
	union {
		char buf[512];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	(void)ctx;
	if (!msg || (!msg->buf && msg->cap))
		return -EINVAL;
	iov.iov_base = msg->buf;
	iov.iov_len = msg->cap;
	memset(&mh, 0, sizeof mh);
	mh.msg_name = &msg->from;
	mh.msg_namelen = sizeof msg->from;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof ctl.buf;
	memset(&msg->from, 0, sizeof msg->from);
	memset(&msg->offender, 0, sizeof msg->offender);
	memset(&msg->ee, 0, sizeof msg->ee);
	msg->ttl = -1;
	msg->is_error = 0;
	msg->len = 0;
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC |
	            ((flags & NRB_SOCK_ERRQUEUE) ? MSG_ERRQUEUE : 0));
	if (n < 0)
		return -errno;
	msg->rx_us = nrb_now_us();
	msg->fromlen = mh.msg_namelen;
	msg->truncated = (size_t)n > msg->cap || (mh.msg_flags & MSG_TRUNC);
	msg->len = (size_t)n > msg->cap ? msg->cap : (size_t)n;
	read_cmsgs(&mh, msg);
	return (int)msg->len;
}

static int sys_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd) < 0 ? -errno : 0;
}

const struct nrb_sock_ops nrb_sock_system = {
	sys_open, sys_setopt, sys_send, sys_recv, sys_close, NULL
};

/* ------------------------------------------------------------------ fake */

/* One fake socket. */
struct ffd {
	int fd;     /* the eventfd standing in for it, -1 once closed */
	int ttl;    /* last TTL / hop limit set, -1 none */
};

/* One injected reply. */
struct freply {
	int fd;                  /* socket it is for */
	uint64_t due;            /* fake time it arrives */
	uint64_t order;          /* injection order, tie-break */
	int signalled;           /* its fd was made readable for it */
	struct nrb_sock_msg msg; /* metadata; msg.buf is owned (len bytes) */
};

struct nrb_sock_fake {
	uint64_t (*now_us)(void *);        /* clock */
	void *clock_ctx;                   /* its argument */
	struct ffd *fds;                   /* sockets opened */
	size_t nfds;                       /* count */
	struct freply *replies;            /* pending replies */
	size_t nreplies, capreplies;       /* used, allocated */
	uint64_t next_order;               /* injection counter */
	struct nrb_sock_fake_sent *sent;   /* send log */
	size_t nsent, capsent;             /* used, allocated */
	nrb_sock_fake_responder *responder;/* called per send */
	void *rctx;                        /* its argument */
	int open_err;                      /* make open fail with this (< 0) */
};

static struct ffd *fake_fd(struct nrb_sock_fake *f, int fd)
{
	size_t i;

	for (i = 0; i < f->nfds; i++)
		if (f->fds[i].fd == fd && fd >= 0)
			return &f->fds[i];
	return NULL;
}

static int fake_open(void *ctx, int af, int type, int proto)
{
	struct nrb_sock_fake *f = ctx;
	struct ffd *n;
	int fd;

	(void)af;
	(void)type;
	(void)proto;
	if (f->open_err)
		return f->open_err;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
	if (fd < 0)
		return -errno;
	n = realloc(f->fds, (f->nfds + 1) * sizeof *n);
	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	f->fds = n;
	f->fds[f->nfds].fd = fd;
	f->fds[f->nfds].ttl = -1;
	f->nfds++;
	return fd;
}

static int fake_setopt(void *ctx, int fd, int level, int name, const void *val, socklen_t len)
{
	struct ffd *s = fake_fd(ctx, fd);
	int v;

	if (!s)
		return -EBADF;
	if (((level == SOL_IP && name == IP_TTL) ||
	     (level == SOL_IPV6 && name == IPV6_UNICAST_HOPS)) && val && len == sizeof v) {
		memcpy(&v, val, sizeof v);
		s->ttl = v;
	}
	return 0;
}

static int fake_send(void *ctx, int fd, const void *buf, size_t len, const struct sockaddr *to,
                     socklen_t tolen)
{
	struct nrb_sock_fake *f = ctx;
	struct nrb_sock_fake_sent *e, *n;
	struct ffd *s = fake_fd(f, fd);
	size_t cap;
	int rc;

	if (!s)
		return -EBADF;
	if ((!buf && len) || len > INT32_MAX || tolen > sizeof e->to)
		return -EINVAL;
	if (f->nsent == f->capsent) {
		cap = f->capsent ? f->capsent * 2 : 16;
		n = realloc(f->sent, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		f->sent = n;
		f->capsent = cap;
	}
	e = &f->sent[f->nsent];
	memset(e, 0, sizeof *e);
	e->data = malloc(len ? len : 1);
	if (!e->data)
		return -ENOMEM;
	if (len)
		memcpy(e->data, buf, len);
	e->fd = fd;
	e->len = len;
	if (to && tolen)
		memcpy(&e->to, to, tolen);
	e->at_us = f->now_us(f->clock_ctx);
	e->ttl = s->ttl;
	f->nsent++;
	if (f->responder) {
		rc = f->responder(f, f->rctx, &f->sent[f->nsent - 1]);
		if (rc < 0)
			return rc;
	}
	return (int)len;
}

/* Index of the reply recv should deliver on fd, or -1. */
static long next_reply(struct nrb_sock_fake *f, int fd, int want_error)
{
	long best = -1;
	size_t i;

	for (i = 0; i < f->nreplies; i++) {
		struct freply *r = &f->replies[i];

		if (r->fd != fd || !r->signalled || r->msg.is_error != want_error)
			continue;
		if (best < 0 || r->due < f->replies[best].due ||
		    (r->due == f->replies[best].due && r->order < f->replies[best].order))
			best = (long)i;
	}
	return best;
}

static int fake_recv(void *ctx, int fd, struct nrb_sock_msg *msg, int flags)
{
	struct nrb_sock_fake *f = ctx;
	struct freply r;
	uint64_t one;
	uint8_t *buf;
	size_t cap;
	long i;

	if (!fake_fd(f, fd))
		return -EBADF;
	if (!msg || (!msg->buf && msg->cap))
		return -EINVAL;
	i = next_reply(f, fd, (flags & NRB_SOCK_ERRQUEUE) ? 1 : 0);
	if (i < 0)
		return -EAGAIN;
	r = f->replies[i];
	f->replies[i] = f->replies[--f->nreplies];
	if (read(fd, &one, sizeof one) < 0) {
		/* counter out of step cannot happen unless someone read our eventfd */
	}
	buf = msg->buf;
	cap = msg->cap;
	*msg = r.msg;
	msg->buf = buf;
	msg->cap = cap;
	msg->truncated = r.msg.len > cap;
	msg->len = r.msg.len > cap ? cap : r.msg.len;
	if (msg->len)
		memcpy(buf, r.msg.buf, msg->len);
	msg->rx_us = f->now_us(f->clock_ctx);
	free(r.msg.buf);
	return (int)msg->len;
}

static int fake_close(void *ctx, int fd)
{
	struct nrb_sock_fake *f = ctx;
	struct ffd *s = fake_fd(f, fd);
	size_t i;

	if (!s)
		return -EBADF;
	close(s->fd);
	s->fd = -1;
	for (i = 0; i < f->nreplies;) {
		if (f->replies[i].fd == fd) {
			free(f->replies[i].msg.buf);
			f->replies[i] = f->replies[--f->nreplies];
		} else {
			i++;
		}
	}
	return 0;
}

int nrb_sock_fake_new(uint64_t (*now_us)(void *), void *clock_ctx, struct nrb_sock_fake **out)
{
	struct nrb_sock_fake *f;

	if (!now_us || !out)
		return -EINVAL;
	f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->now_us = now_us;
	f->clock_ctx = clock_ctx;
	*out = f;
	return 0;
}

void nrb_sock_fake_free(struct nrb_sock_fake *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nfds; i++)
		if (f->fds[i].fd >= 0)
			close(f->fds[i].fd);
	for (i = 0; i < f->nreplies; i++)
		free(f->replies[i].msg.buf);
	for (i = 0; i < f->nsent; i++)
		free(f->sent[i].data);
	free(f->fds);
	free(f->replies);
	free(f->sent);
	free(f);
}

struct nrb_sock_ops nrb_sock_fake_ops(struct nrb_sock_fake *fake)
{
	struct nrb_sock_ops ops = {
		fake_open, fake_setopt, fake_send, fake_recv, fake_close, fake
	};

	return ops;
}

void nrb_sock_fake_set_responder(struct nrb_sock_fake *fake, nrb_sock_fake_responder *fn,
                                 void *rctx)
{
	fake->responder = fn;
	fake->rctx = rctx;
}

void nrb_sock_fake_fail_open(struct nrb_sock_fake *fake, int err)
{
	fake->open_err = err > 0 ? -err : err;
}

int nrb_sock_fake_inject(struct nrb_sock_fake *f, int fd, uint64_t at_us,
                         const struct nrb_sock_msg *msg)
{
	struct freply *n, *r;
	size_t cap;

	if (!f || !msg || (!msg->buf && msg->len))
		return -EINVAL;
	if (!fake_fd(f, fd))
		return -EBADF;
	if (f->nreplies == f->capreplies) {
		cap = f->capreplies ? f->capreplies * 2 : 16;
		n = realloc(f->replies, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		f->replies = n;
		f->capreplies = cap;
	}
	r = &f->replies[f->nreplies];
	memset(r, 0, sizeof *r);
	r->msg = *msg;
	r->msg.buf = malloc(msg->len ? msg->len : 1);
	if (!r->msg.buf)
		return -ENOMEM;
	if (msg->len)
		memcpy(r->msg.buf, msg->buf, msg->len);
	r->msg.cap = msg->len;
	r->fd = fd;
	r->due = at_us;
	r->order = f->next_order++;
	f->nreplies++;
	return 0;
}

int nrb_sock_fake_pump(struct nrb_sock_fake *f)
{
	uint64_t now = f->now_us(f->clock_ctx), one = 1;
	size_t i;
	int n = 0;

	for (i = 0; i < f->nreplies; i++) {
		if (f->replies[i].signalled || f->replies[i].due > now)
			continue;
		if (write(f->replies[i].fd, &one, sizeof one) != (ssize_t)sizeof one)
			continue; /* leave it for the next pump */
		f->replies[i].signalled = 1;
		n++;
	}
	return n;
}

uint64_t nrb_sock_fake_next_due(const struct nrb_sock_fake *f)
{
	uint64_t best = UINT64_MAX;
	size_t i;

	for (i = 0; i < f->nreplies; i++)
		if (!f->replies[i].signalled && f->replies[i].due < best)
			best = f->replies[i].due;
	return best;
}

size_t nrb_sock_fake_nsent(const struct nrb_sock_fake *f)
{
	return f->nsent;
}

const struct nrb_sock_fake_sent *nrb_sock_fake_sent_at(const struct nrb_sock_fake *f, size_t i)
{
	return i < f->nsent ? &f->sent[i] : NULL;
}
