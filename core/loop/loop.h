/*
 * loop: the one event loop every probe runs on.  It owns an epoll set (fd events), a
 * binary heap of timers (callbacks return the next delay or NRB_NOMORE), the send
 * queue, and the two limits every probe packet passes: a global packets-per-second
 * token bucket and an in-flight window.  It also offers a per-destination pacing helper
 * (struct nrb_pace) that queued sends can carry.
 *
 * Time is CLOCK_MONOTONIC in microseconds, read through an injectable struct nrb_clock
 * so tests run on a fake clock: with a fake clock that has sleep_us, the loop never
 * blocks in epoll_wait; when nothing is ready it asks the clock to jump to the next
 * deadline, so minutes of probing simulate in microseconds.
 *
 * One iteration (nrb_loop_run_once) does, in this order:
 *   1. receive: dispatch fd events (replies, ICMP errors);
 *   2. expire: fire timers that are due (probe timeouts, retries);
 *   3. send: hand queued probes to their send callbacks while the bucket has a token,
 *      the window has room and the destination's pace allows.
 * Receive comes first so a reply that arrived while we slept is matched before its
 * probe's timeout fires (else a reply sitting in the socket buffer would be counted as
 * lost at a busy moment).  Timeouts come before sends so window slots freed by expired
 * probes are usable in the same iteration, and so a probe sent now is never checked
 * for timeout until a later iteration (mtr packet/packet.c makes the same choice).
 *
 * Single-threaded; nothing here is safe to call from another thread or a signal handler.
 */
#ifndef NRB_LOOP_LOOP_H
#define NRB_LOOP_LOOP_H

#include <stddef.h>
#include <stdint.h>

/** A timer callback returns this to stop; any value >= 0 re-arms it that many µs on. */
#define NRB_NOMORE (-1)

/** Defaults: a polite global rate and window for a diagnostic tool (DESIGN: safety).
 *  The sustained rate is the safety bound; the burst only lets a short probe run (three
 *  concurrent traces of a short path, 3 x 16 probes) go out at once instead of being
 *  spread over a quarter of a second.  Over any second at most burst + pps packets
 *  leave (148 with the defaults), and a longer run settles at pps.  Each trace also
 *  bounds its own probes in flight (netprobe.h, NRB_TRACE_DEFAULT_WINDOW), so the burst
 *  does not turn into probes sprayed past a near destination. */
enum {
	NRB_LOOP_DEFAULT_PPS = 100,    /* packets per second, all probes together */
	NRB_LOOP_DEFAULT_BURST = 48,   /* bucket depth: packets sendable back to back */
	NRB_LOOP_DEFAULT_WINDOW = 32,  /* probes in flight (sent, not yet answered/expired);
	                                * a probe session (core/probe) asks for 64 */
	NRB_LOOP_MAX_PPS = 100000      /* hard ceiling on the configurable rate */
};

/** fd event bits for nrb_loop_fd_add (same values as EPOLLIN/EPOLLOUT/EPOLLERR). */
enum {
	NRB_EV_READ = 0x001,  /* readable (EPOLLIN) */
	NRB_EV_WRITE = 0x004, /* writable (EPOLLOUT) */
	NRB_EV_ERROR = 0x008  /* error pending, e.g. IP_RECVERR queue (EPOLLERR; always on) */
};

struct nrb_loop;

/** The loop's clock.  now_us must be monotonic.  sleep_us is NULL for the real clock;
 *  a fake clock sets it to advance its time by us (the loop calls it instead of
 *  blocking, only when no fd is ready). */
struct nrb_clock {
	uint64_t (*now_us)(void *ctx);            /* current time in µs */
	void (*sleep_us)(void *ctx, uint64_t us); /* fake clocks only: jump forward */
	void *ctx;                                /* passed to both */
};

/** The real clock: nrb_now_us() (CLOCK_MONOTONIC), no sleep_us. */
extern const struct nrb_clock nrb_clock_monotonic;

/** Timer callback.  @return the delay in µs until it runs again, or NRB_NOMORE. */
typedef int64_t nrb_timer_fn(struct nrb_loop *loop, void *arg);

/** fd callback.  @param events the NRB_EV_* bits that are ready. */
typedef void nrb_fd_fn(struct nrb_loop *loop, int fd, uint32_t events, void *arg);

/** Send callback for a queued probe, called when bucket, window and pace allow.
 *  @return 0 if a packet went out (it takes a token and a window slot until the caller
 *  calls nrb_loop_inflight_done), or -errno if it could not be sent (no token, no slot
 *  taken; the item is dropped either way, so the task records the error). */
typedef int nrb_send_fn(struct nrb_loop *loop, void *arg);

/** Token bucket: `rate` tokens a second up to `burst`.  Exposed for tests and for a
 *  task that wants its own limit on top of the global one. */
struct nrb_bucket {
	uint64_t rate;      /* tokens per second, > 0 */
	uint64_t depth_u;   /* capacity in micro-tokens (burst * 1e6) */
	uint64_t tokens_u;  /* current fill in micro-tokens */
	uint64_t last_us;   /* time of the last refill */
};

/** Set rate (clamped to 1..NRB_LOOP_MAX_PPS) and burst (>= 1); starts full. */
void nrb_bucket_init(struct nrb_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_us);

/** Take one token if there is one.  @return 0, or -EAGAIN (empty). */
int nrb_bucket_take(struct nrb_bucket *b, uint64_t now_us);

/** @return µs until a token is available (0 = now). */
uint64_t nrb_bucket_wait_us(struct nrb_bucket *b, uint64_t now_us);

/** Per-destination pacing: at most one send every interval_us.  Owned by the task
 *  (one per destination or hop); a queued send may point at it. */
struct nrb_pace {
	uint64_t interval_us; /* minimum gap between two sends */
	uint64_t next_us;     /* earliest time of the next send (0: now) */
};

/** Set the interval; the first send may go at once. */
void nrb_pace_init(struct nrb_pace *p, uint64_t interval_us);

/** @return µs until the pace allows a send (0 = now). */
uint64_t nrb_pace_wait_us(const struct nrb_pace *p, uint64_t now_us);

/** Record a send at now_us: the next may go at now_us + interval_us. */
void nrb_pace_mark(struct nrb_pace *p, uint64_t now_us);

/** Loop limits; zero fields take the defaults above. */
struct nrb_loop_opts {
	const struct nrb_clock *clock; /* borrowed, must outlive the loop; NULL = monotonic */
	uint32_t pps;                  /* global packets per second (<= NRB_LOOP_MAX_PPS) */
	uint32_t burst;                /* bucket depth in packets */
	uint32_t window;               /* probes in flight */
};

/** Create a loop.  @param opts may be NULL (all defaults).
 *  @param out receives the loop (caller frees with nrb_loop_free).
 *  @return 0, -EINVAL (pps over the ceiling), -ENOMEM, or epoll_create's -errno. */
int nrb_loop_new(const struct nrb_loop_opts *opts, struct nrb_loop **out,
                 char *err, size_t errlen);

/** Free the loop, its timers and queued sends (their callbacks are not called).  fds
 *  registered are not closed: the caller owns them.  NULL is a no-op. */
void nrb_loop_free(struct nrb_loop *loop);

/** @return the loop clock's current time in µs. */
uint64_t nrb_loop_now(const struct nrb_loop *loop);

/** Watch fd for events (NRB_EV_READ and/or NRB_EV_WRITE; errors always reported).
 *  @param fd borrowed; @return 0, -EINVAL, -EEXIST (already watched), -ENOMEM, or
 *  epoll_ctl's -errno. */
int nrb_loop_fd_add(struct nrb_loop *loop, int fd, uint32_t events, nrb_fd_fn *fn, void *arg);

/** Stop watching fd.  Safe inside that fd's own callback.  @return 0, -ENOENT. */
int nrb_loop_fd_del(struct nrb_loop *loop, int fd);

/** Run fn after delay_us.  Timers due at the same time run in the order they were
 *  armed.  @param id receives a handle for nrb_loop_timer_cancel (may be NULL).
 *  @return 0, -EINVAL, -ENOMEM. */
int nrb_loop_timer_add(struct nrb_loop *loop, uint64_t delay_us, nrb_timer_fn *fn, void *arg,
                       uint64_t *id);

/** Cancel a timer (safe inside any callback, including its own).
 *  @return 0, or -ENOENT (unknown id, already finished or cancelled). */
int nrb_loop_timer_cancel(struct nrb_loop *loop, uint64_t id);

/** Queue one probe for sending.  Queued probes go out in FIFO order, except that one
 *  whose pace is not ready lets later ones pass.
 *  @param pace may be NULL; borrowed, must outlive the queued item.
 *  @param id receives a handle for nrb_loop_send_cancel (may be NULL).
 *  @return 0, -EINVAL, -ENOMEM. */
int nrb_loop_send_queue(struct nrb_loop *loop, nrb_send_fn *fn, void *arg,
                        struct nrb_pace *pace, uint64_t *id);

/** Remove a queued probe that has not been sent.  @return 0 or -ENOENT. */
int nrb_loop_send_cancel(struct nrb_loop *loop, uint64_t id);

/** A probe sent through the queue was answered or expired: free its window slot.
 *  Calls beyond the number in flight are ignored. */
void nrb_loop_inflight_done(struct nrb_loop *loop);

/** Counters, for tests and evidence. */
struct nrb_loop_stats {
	uint64_t sent;          /* send callbacks that returned 0 */
	uint64_t send_errors;   /* send callbacks that returned < 0 */
	uint64_t timers_fired;  /* timer callbacks run */
	uint64_t fd_events;     /* fd callbacks run */
	uint32_t inflight;      /* probes in flight now */
	uint32_t queued;        /* probes waiting to be sent */
	uint32_t timers;        /* timers armed */
};

/** Fill st with the loop's counters. */
void nrb_loop_stats(const struct nrb_loop *loop, struct nrb_loop_stats *st);

/** One iteration (receive, expire, send), waiting at most max_wait_us for something to
 *  be due.  @return 0, or -errno from epoll_wait (-EINTR when a signal came). */
int nrb_loop_run_once(struct nrb_loop *loop, uint64_t max_wait_us);

/** Run iterations until *done becomes non-zero, nothing is left (no timer, no queued
 *  send; watched fds alone do not keep it running), the deadline passes, or a
 *  SIGINT/SIGTERM arrives (nrb_interrupted).
 *  @param done may be NULL; @param deadline_us absolute loop time, 0 = none.
 *  @return 0 (done or nothing left), -ETIMEDOUT, -EINTR, or another -errno. */
int nrb_loop_run(struct nrb_loop *loop, const int *done, uint64_t deadline_us);

#endif
