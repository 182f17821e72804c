/* loop: epoll + timer heap + send queue with pps bucket and window (see loop.h). */
#include "loop/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define MAX_EVENTS 64
#define MICRO 1000000u

static uint64_t real_now(void *ctx)
{
	(void)ctx;
	return nrb_now_us();
}

const struct nrb_clock nrb_clock_monotonic = { real_now, NULL, NULL };

/* One armed timer.  The heap orders by (when, seq); seq is unique and increasing, so
 * timers due together run in arming order and re-armed timers go after new ones. */
struct timer {
	uint64_t when;     /* absolute deadline, loop clock µs */
	uint64_t seq;      /* arming order, tie-break */
	uint64_t id;       /* handle given to the caller */
	nrb_timer_fn *fn;  /* callback */
	void *arg;         /* its argument */
};

/* One watched fd. */
struct watch {
	int fd;            /* the fd, -1 when the slot is free */
	nrb_fd_fn *fn;     /* callback */
	void *arg;         /* its argument */
};

/* One queued probe, in a singly linked FIFO. */
struct sendq {
	struct sendq *next;     /* later item */
	uint64_t id;            /* handle */
	nrb_send_fn *fn;        /* send callback */
	void *arg;              /* its argument */
	struct nrb_pace *pace;  /* per-destination pace, borrowed, may be NULL */
};

struct nrb_loop {
	struct nrb_clock clock;     /* copy of the caller's clock */
	int epfd;                   /* epoll instance */
	struct timer *heap;         /* binary min-heap of timers */
	size_t nheap, capheap;      /* used and allocated heap slots */
	uint64_t next_seq;          /* next timer seq */
	uint64_t next_id;           /* next timer / send handle (shared space, never 0) */
	struct watch *watches;      /* watched fds */
	size_t nwatch;              /* slots in watches */
	struct sendq *qhead, *qtail;/* send FIFO */
	struct nrb_bucket bucket;   /* global pps limit */
	uint32_t window;            /* in-flight limit */
	struct nrb_loop_stats st;   /* counters (inflight/queued/timers kept live) */
	uint64_t firing_id;         /* id of the timer whose callback runs now, 0 none */
	int firing_cancelled;       /* that timer cancelled itself: do not re-arm */
};

/* ---------------------------------------------------------------- bucket */

void nrb_bucket_init(struct nrb_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_us)
{
	if (rate < 1)
		rate = 1;
	if (rate > NRB_LOOP_MAX_PPS)
		rate = NRB_LOOP_MAX_PPS;
	if (burst < 1)
		burst = 1;
	b->rate = rate;
	b->depth_u = (uint64_t)burst * MICRO;
	b->tokens_u = b->depth_u;
	b->last_us = now_us;
}

static void bucket_refill(struct nrb_bucket *b, uint64_t now_us)
{
	uint64_t dt;

	if (now_us <= b->last_us)
		return;
	dt = now_us - b->last_us;
	b->last_us = now_us;
	/* a long idle gap only fills the bucket; cap dt so dt * rate cannot overflow */
	if (dt > b->depth_u)
		dt = b->depth_u;
	b->tokens_u += dt * b->rate;
	if (b->tokens_u > b->depth_u)
		b->tokens_u = b->depth_u;
}

int nrb_bucket_take(struct nrb_bucket *b, uint64_t now_us)
{
	bucket_refill(b, now_us);
	if (b->tokens_u < MICRO)
		return -EAGAIN;
	b->tokens_u -= MICRO;
	return 0;
}

uint64_t nrb_bucket_wait_us(struct nrb_bucket *b, uint64_t now_us)
{
	bucket_refill(b, now_us);
	if (b->tokens_u >= MICRO)
		return 0;
	/* round up: after this many µs there is a whole token */
	return (MICRO - b->tokens_u + b->rate - 1) / b->rate;
}

/* ------------------------------------------------------------------ pace */

void nrb_pace_init(struct nrb_pace *p, uint64_t interval_us)
{
	p->interval_us = interval_us;
	p->next_us = 0;
}

uint64_t nrb_pace_wait_us(const struct nrb_pace *p, uint64_t now_us)
{
	return p->next_us > now_us ? p->next_us - now_us : 0;
}

void nrb_pace_mark(struct nrb_pace *p, uint64_t now_us)
{
	p->next_us = now_us + p->interval_us;
}

/* ------------------------------------------------------------------ heap */

static int timer_before(const struct timer *a, const struct timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_swap(struct timer *h, size_t i, size_t j)
{
	struct timer t = h[i];

	h[i] = h[j];
	h[j] = t;
}

static void heap_up(struct timer *h, size_t i)
{
	while (i > 0 && timer_before(&h[i], &h[(i - 1) / 2])) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct timer *h, size_t n, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < n && timer_before(&h[l], &h[m]))
			m = l;
		if (r < n && timer_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static void heap_remove(struct nrb_loop *loop, size_t i)
{
	loop->nheap--;
	if (i == loop->nheap)
		return;
	loop->heap[i] = loop->heap[loop->nheap];
	heap_up(loop->heap, i);
	heap_down(loop->heap, loop->nheap, i);
}

static int heap_push(struct nrb_loop *loop, const struct timer *t)
{
	struct timer *nh;
	size_t cap;

	if (loop->nheap == loop->capheap) {
		cap = loop->capheap ? loop->capheap * 2 : 16;
		nh = realloc(loop->heap, cap * sizeof *nh);
		if (!nh)
			return -ENOMEM;
		loop->heap = nh;
		loop->capheap = cap;
	}
	loop->heap[loop->nheap] = *t;
	heap_up(loop->heap, loop->nheap);
	loop->nheap++;
	return 0;
}

/* ------------------------------------------------------------------ loop */

int nrb_loop_new(const struct nrb_loop_opts *opts, struct nrb_loop **out,
                 char *err, size_t errlen)
{
	struct nrb_loop *loop;
	int e;

	if (!out)
		return nrb_err(err, errlen, EINVAL, "loop: no output pointer");
	*out = NULL;
	if (opts && opts->pps > NRB_LOOP_MAX_PPS)
		return nrb_err(err, errlen, EINVAL, "loop: pps %u over the ceiling %u",
		               opts->pps, (unsigned)NRB_LOOP_MAX_PPS);
	if (opts && opts->clock && !opts->clock->now_us)
		return nrb_err(err, errlen, EINVAL, "loop: clock without now_us");
	loop = calloc(1, sizeof *loop);
	if (!loop)
		return nrb_err(err, errlen, ENOMEM, "loop: out of memory");
	loop->clock = opts && opts->clock ? *opts->clock : nrb_clock_monotonic;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		e = errno;
		free(loop);
		return nrb_err(err, errlen, e, "loop: epoll_create1: %s", strerror(e));
	}
	loop->next_id = 1;
	loop->window = opts && opts->window ? opts->window : NRB_LOOP_DEFAULT_WINDOW;
	nrb_bucket_init(&loop->bucket, opts && opts->pps ? opts->pps : NRB_LOOP_DEFAULT_PPS,
	                opts && opts->burst ? opts->burst : NRB_LOOP_DEFAULT_BURST,
	                nrb_loop_now(loop));
	*out = loop;
	return 0;
}

void nrb_loop_free(struct nrb_loop *loop)
{
	struct sendq *q, *next;

	if (!loop)
		return;
	for (q = loop->qhead; q; q = next) {
		next = q->next;
		free(q);
	}
	free(loop->heap);
	free(loop->watches);
	close(loop->epfd);
	free(loop);
}

uint64_t nrb_loop_now(const struct nrb_loop *loop)
{
	return loop->clock.now_us(loop->clock.ctx);
}

static struct watch *find_watch(struct nrb_loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->nwatch; i++)
		if (loop->watches[i].fd == fd)
			return &loop->watches[i];
	return NULL;
}

int nrb_loop_fd_add(struct nrb_loop *loop, int fd, uint32_t events, nrb_fd_fn *fn, void *arg)
{
	struct epoll_event ev;
	struct watch *w, *nw;

	if (!loop || fd < 0 || !fn || (events & ~(uint32_t)(NRB_EV_READ | NRB_EV_WRITE)))
		return -EINVAL;
	if (find_watch(loop, fd))
		return -EEXIST;
	w = find_watch(loop, -1);
	if (!w) {
		nw = realloc(loop->watches, (loop->nwatch + 1) * sizeof *nw);
		if (!nw)
			return -ENOMEM;
		loop->watches = nw;
		w = &loop->watches[loop->nwatch++];
	}
	memset(&ev, 0, sizeof ev);
	ev.events = (events & NRB_EV_READ ? EPOLLIN : 0) | (events & NRB_EV_WRITE ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return -errno;
	}
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	return 0;
}

int nrb_loop_fd_del(struct nrb_loop *loop, int fd)
{
	struct watch *w;

	if (!loop || fd < 0 || !(w = find_watch(loop, fd)))
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->fd = -1; /* the slot is reused; a pending event for fd is dropped */
	return 0;
}

static int timer_arm(struct nrb_loop *loop, uint64_t when, nrb_timer_fn *fn, void *arg,
                     uint64_t id)
{
	struct timer t;

	t.when = when;
	t.seq = loop->next_seq++;
	t.id = id;
	t.fn = fn;
	t.arg = arg;
	return heap_push(loop, &t);
}

int nrb_loop_timer_add(struct nrb_loop *loop, uint64_t delay_us, nrb_timer_fn *fn, void *arg,
                       uint64_t *id)
{
	uint64_t tid;
	int rc;

	if (!loop || !fn)
		return -EINVAL;
	tid = loop->next_id++;
	rc = timer_arm(loop, nrb_loop_now(loop) + delay_us, fn, arg, tid);
	if (rc)
		return rc;
	if (id)
		*id = tid;
	return 0;
}

int nrb_loop_timer_cancel(struct nrb_loop *loop, uint64_t id)
{
	size_t i;

	if (!loop || !id)
		return -ENOENT;
	if (id == loop->firing_id && !loop->firing_cancelled) {
		loop->firing_cancelled = 1;
		return 0;
	}
	for (i = 0; i < loop->nheap; i++) {
		if (loop->heap[i].id == id) {
			heap_remove(loop, i);
			return 0;
		}
	}
	return -ENOENT;
}

int nrb_loop_send_queue(struct nrb_loop *loop, nrb_send_fn *fn, void *arg,
                        struct nrb_pace *pace, uint64_t *id)
{
	struct sendq *q;

	if (!loop || !fn)
		return -EINVAL;
	q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	q->id = loop->next_id++;
	q->fn = fn;
	q->arg = arg;
	q->pace = pace;
	if (loop->qtail)
		loop->qtail->next = q;
	else
		loop->qhead = q;
	loop->qtail = q;
	loop->st.queued++;
	if (id)
		*id = q->id;
	return 0;
}

/* Unlink q (whose predecessor is prev, NULL for the head) and free it. */
static void sendq_unlink(struct nrb_loop *loop, struct sendq *prev, struct sendq *q)
{
	if (prev)
		prev->next = q->next;
	else
		loop->qhead = q->next;
	if (loop->qtail == q)
		loop->qtail = prev;
	loop->st.queued--;
	free(q);
}

int nrb_loop_send_cancel(struct nrb_loop *loop, uint64_t id)
{
	struct sendq *q, *prev = NULL;

	if (!loop)
		return -ENOENT;
	for (q = loop->qhead; q; prev = q, q = q->next) {
		if (q->id == id) {
			sendq_unlink(loop, prev, q);
			return 0;
		}
	}
	return -ENOENT;
}

void nrb_loop_inflight_done(struct nrb_loop *loop)
{
	if (loop && loop->st.inflight > 0)
		loop->st.inflight--;
}

void nrb_loop_stats(const struct nrb_loop *loop, struct nrb_loop_stats *st)
{
	*st = loop->st;
	st->timers = (uint32_t)loop->nheap;
}

/* µs until the send stage could do something: 0 now, UINT64_MAX never (queue empty or
 * window full: only a reply or timeout can change that, and those wake us anyway). */
static uint64_t send_wait(struct nrb_loop *loop, uint64_t now)
{
	uint64_t w, best = UINT64_MAX;
	struct sendq *q;

	if (!loop->qhead || loop->st.inflight >= loop->window)
		return UINT64_MAX;
	for (q = loop->qhead; q; q = q->next) {
		w = q->pace ? nrb_pace_wait_us(q->pace, now) : 0;
		if (w < best)
			best = w;
		if (!best)
			break;
	}
	w = nrb_bucket_wait_us(&loop->bucket, now);
	return w > best ? w : best;
}

/* 2. expire: run the timers due at `now`.  Only timers armed before this stage began
 * run, so a callback returning 0 (or arming a 0 delay) cannot spin the stage forever. */
static void expire_timers(struct nrb_loop *loop, uint64_t now)
{
	uint64_t seq_limit = loop->next_seq;
	struct timer t;
	int64_t again;

	while (loop->nheap && loop->heap[0].when <= now && loop->heap[0].seq < seq_limit) {
		t = loop->heap[0];
		heap_remove(loop, 0);
		loop->st.timers_fired++;
		loop->firing_id = t.id;
		loop->firing_cancelled = 0;
		again = t.fn(loop, t.arg);
		loop->firing_id = 0;
		if (again >= 0 && !loop->firing_cancelled) {
			/* re-arm under the same id so the caller's handle stays valid; if
			 * memory runs out the timer ends as if it returned NRB_NOMORE */
			(void)timer_arm(loop, now + (uint64_t)again, t.fn, t.arg, t.id);
		}
	}
}

/* 3. send: queued probes whose pace allows, while bucket and window allow. */
static void send_stage(struct nrb_loop *loop)
{
	struct sendq *q, *prev, *next;
	uint64_t now = nrb_loop_now(loop);
	nrb_send_fn *fn;
	struct nrb_pace *pace;
	void *arg;
	int rc;

	prev = NULL;
	for (q = loop->qhead; q && loop->st.inflight < loop->window; q = next) {
		next = q->next;
		if (q->pace && nrb_pace_wait_us(q->pace, now)) {
			prev = q;
			continue;
		}
		if (nrb_bucket_wait_us(&loop->bucket, now))
			break;
		fn = q->fn;
		arg = q->arg;
		pace = q->pace;
		sendq_unlink(loop, prev, q);
		/* the callback may queue or cancel sends: restart from the head after it */
		rc = fn(loop, arg);
		if (rc == 0) {
			(void)nrb_bucket_take(&loop->bucket, now);
			loop->st.inflight++;
			loop->st.sent++;
			if (pace)
				nrb_pace_mark(pace, now);
		} else {
			loop->st.send_errors++;
		}
		prev = NULL;
		next = loop->qhead;
		/* items before the first unpaced one were skipped for pace: skip again */
		while (next && next->pace && nrb_pace_wait_us(next->pace, now)) {
			prev = next;
			next = next->next;
		}
	}
}

/* Block in epoll for at most wait µs.  epoll_pwait2 (Linux 5.11) takes a timespec, so
 * pacing at high rates keeps µs precision; older kernels fall back to epoll_wait, whose
 * ms timeout is rounded up so we never wake just before a deadline and spin. */
static int wait_real(struct nrb_loop *loop, struct epoll_event *evs, uint64_t wait)
{
	static int no_pwait2; /* set once the kernel said ENOSYS */
	struct timespec ts;
	int n;

	if (!no_pwait2) {
		if (wait > (uint64_t)INT32_MAX * MICRO)
			wait = (uint64_t)INT32_MAX * MICRO;
		ts.tv_sec = (time_t)(wait / MICRO);
		ts.tv_nsec = (long)(wait % MICRO) * 1000;
		n = epoll_pwait2(loop->epfd, evs, MAX_EVENTS, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
	}
	return epoll_wait(loop->epfd, evs, MAX_EVENTS,
	                  wait > (uint64_t)INT32_MAX * 1000 ? INT32_MAX : (int)((wait + 999) / 1000));
}

int nrb_loop_run_once(struct nrb_loop *loop, uint64_t max_wait_us)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t now, wait, sw;
	struct watch *w;
	int n, i;

	if (!loop)
		return -EINVAL;
	now = nrb_loop_now(loop);
	wait = max_wait_us;
	if (loop->nheap)
		wait = loop->heap[0].when <= now ? 0 :
		       (loop->heap[0].when - now < wait ? loop->heap[0].when - now : wait);
	sw = send_wait(loop, now);
	if (sw < wait)
		wait = sw;

	if (loop->clock.sleep_us) {
		/* fake clock: poll without blocking, jump time only when nothing is ready */
		n = epoll_wait(loop->epfd, evs, MAX_EVENTS, 0);
		if (n == 0 && wait)
			loop->clock.sleep_us(loop->clock.ctx, wait);
	} else {
		n = wait_real(loop, evs, wait);
	}
	if (n < 0)
		return -errno;

	/* 1. receive */
	for (i = 0; i < n; i++) {
		w = find_watch(loop, evs[i].data.fd);
		if (!w)
			continue; /* removed by an earlier callback in this batch */
		loop->st.fd_events++;
		w->fn(loop, w->fd,
		      (evs[i].events & (EPOLLIN | EPOLLHUP) ? NRB_EV_READ : 0) |
		      (evs[i].events & EPOLLOUT ? NRB_EV_WRITE : 0) |
		      (evs[i].events & EPOLLERR ? NRB_EV_ERROR : 0), w->arg);
	}
	/* 2. expire */
	expire_timers(loop, nrb_loop_now(loop));
	/* 3. send */
	send_stage(loop);
	return 0;
}

int nrb_loop_run(struct nrb_loop *loop, const int *done, uint64_t deadline_us)
{
	uint64_t now, max_wait;
	int rc;

	if (!loop)
		return -EINVAL;
	for (;;) {
		if (done && *done)
			return 0;
		if (nrb_interrupted())
			return -EINTR;
		if (!loop->nheap && !loop->qhead)
			return 0;
		now = nrb_loop_now(loop);
		if (deadline_us && now >= deadline_us)
			return -ETIMEDOUT;
		/* wake at least every 100 ms to notice an interrupt */
		max_wait = 100000;
		if (deadline_us && deadline_us - now < max_wait)
			max_wait = deadline_us - now;
		rc = nrb_loop_run_once(loop, max_wait);
		if (rc == -EINTR)
			continue; /* nrb_interrupted() decides at the top */
		if (rc < 0)
			return rc;
	}
}
