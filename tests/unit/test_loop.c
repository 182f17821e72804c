/* Unit tests for core/loop on a fake clock: timer order, re-arming, cancellation,
 * the pps bucket, the in-flight window, per-destination pacing, the
 * receive -> expire -> send order, and argument checks.  No network. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop/loop.h"
#include "util/util.h"

/* ------------------------------------------------------------ fake clock */

struct fake {
	uint64_t now;     /* current fake time, µs */
	uint64_t slept;   /* total µs jumped by sleep_us */
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_sleep(void *ctx, uint64_t us)
{
	((struct fake *)ctx)->now += us;
	((struct fake *)ctx)->slept += us;
}

/* Everything a test records: events as (tag, time). */
struct rec {
	struct fake fk;          /* the clock */
	struct nrb_clock clock;  /* points at fk */
	struct nrb_loop *loop;   /* loop under test */
	char tags[512];          /* one char per event */
	uint64_t at[512];        /* time of each event */
	size_t n;                /* events */
	int count;               /* generic counter for callbacks */
	uint64_t ids[8];         /* timer/send ids a callback may cancel */
	int pipefd[2];           /* for fd tests */
};

static void note(struct rec *r, char tag)
{
	assert_true(r->n < sizeof r->tags - 1);
	r->tags[r->n] = tag;
	r->at[r->n] = r->fk.now;
	r->n++;
	r->tags[r->n] = 0;
}

static struct rec *rec_new(uint32_t pps, uint32_t burst, uint32_t window)
{
	struct nrb_loop_opts o;
	struct rec *r = calloc(1, sizeof *r);
	char err[128];

	assert_non_null(r);
	r->fk.now = 1000000; /* not zero, to catch absolute/relative mix-ups */
	r->clock.now_us = fake_now;
	r->clock.sleep_us = fake_sleep;
	r->clock.ctx = &r->fk;
	memset(&o, 0, sizeof o);
	o.clock = &r->clock;
	o.pps = pps;
	o.burst = burst;
	o.window = window;
	assert_int_equal(nrb_loop_new(&o, &r->loop, err, sizeof err), 0);
	r->pipefd[0] = r->pipefd[1] = -1;
	return r;
}

static void rec_free(struct rec *r)
{
	nrb_loop_free(r->loop);
	if (r->pipefd[0] >= 0) {
		close(r->pipefd[0]);
		close(r->pipefd[1]);
	}
	free(r);
}

/* ---------------------------------------------------------------- timers */

static int64_t tag_a(struct nrb_loop *l, void *arg) { (void)l; note(arg, 'a'); return NRB_NOMORE; }
static int64_t tag_b(struct nrb_loop *l, void *arg) { (void)l; note(arg, 'b'); return NRB_NOMORE; }
static int64_t tag_c(struct nrb_loop *l, void *arg) { (void)l; note(arg, 'c'); return NRB_NOMORE; }
static int64_t tag_d(struct nrb_loop *l, void *arg) { (void)l; note(arg, 'd'); return NRB_NOMORE; }

static void test_timer_order(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	uint64_t t0 = r->fk.now;

	(void)state;
	assert_int_equal(nrb_loop_timer_add(r->loop, 300, tag_c, r, NULL), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 100, tag_a, r, NULL), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 200, tag_d, r, NULL), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 100, tag_b, r, NULL), 0); /* ties with a */
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	/* by deadline, ties in arming order */
	assert_string_equal(r->tags, "abdc");
	assert_int_equal(r->at[0], t0 + 100);
	assert_int_equal(r->at[1], t0 + 100);
	assert_int_equal(r->at[2], t0 + 200);
	assert_int_equal(r->at[3], t0 + 300);
	rec_free(r);
}

/* Many timers in random order come out sorted (exercises the heap). */
static int64_t note_time(struct nrb_loop *l, void *arg)
{
	(void)l;
	note(arg, 't');
	return NRB_NOMORE;
}

static void test_timer_heap_many(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	unsigned seed = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++) {
		seed = seed * 1103515245u + 12345u;
		assert_int_equal(nrb_loop_timer_add(r->loop, (seed >> 8) % 100000, note_time, r,
		                                    NULL), 0);
	}
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_int_equal(r->n, 300);
	for (i = 1; i < r->n; i++)
		assert_true(r->at[i - 1] <= r->at[i]);
	rec_free(r);
}

static int64_t periodic(struct nrb_loop *l, void *arg)
{
	struct rec *r = arg;

	(void)l;
	note(r, 'p');
	return ++r->count < 5 ? 50 : NRB_NOMORE;
}

static void test_timer_rearm(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	struct nrb_loop_stats st;
	uint64_t t0 = r->fk.now;
	size_t i;

	(void)state;
	assert_int_equal(nrb_loop_timer_add(r->loop, 10, periodic, r, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_string_equal(r->tags, "ppppp");
	for (i = 0; i < 5; i++)
		assert_int_equal(r->at[i], t0 + 10 + 50 * i);
	nrb_loop_stats(r->loop, &st);
	assert_int_equal(st.timers_fired, 5);
	assert_int_equal(st.timers, 0);
	rec_free(r);
}

/* A timer returning 0 runs once per iteration, not forever within one. */
static int64_t zero_again(struct nrb_loop *l, void *arg)
{
	struct rec *r = arg;

	(void)l;
	note(r, 'z');
	return ++r->count < 3 ? 0 : NRB_NOMORE;
}

static void test_timer_zero_delay_no_spin(void **state)
{
	struct rec *r = rec_new(0, 0, 0);

	(void)state;
	assert_int_equal(nrb_loop_timer_add(r->loop, 0, zero_again, r, NULL), 0);
	assert_int_equal(nrb_loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->tags, "z");
	assert_int_equal(nrb_loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->tags, "zz");
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_string_equal(r->tags, "zzz");
	rec_free(r);
}

static int64_t cancel_other(struct nrb_loop *l, void *arg)
{
	struct rec *r = arg;

	note(r, 'x');
	assert_int_equal(nrb_loop_timer_cancel(l, r->ids[1]), 0);
	return NRB_NOMORE;
}

static int64_t cancel_self(struct nrb_loop *l, void *arg)
{
	struct rec *r = arg;

	note(r, 's');
	assert_int_equal(nrb_loop_timer_cancel(l, r->ids[2]), 0);
	assert_int_equal(nrb_loop_timer_cancel(l, r->ids[2]), -ENOENT);
	return 10; /* would re-arm, but it cancelled itself */
}

static void test_timer_cancel(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	uint64_t id;

	(void)state;
	assert_int_equal(nrb_loop_timer_add(r->loop, 100, tag_a, r, &id), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 200, tag_b, r, NULL), 0);
	assert_int_equal(nrb_loop_timer_cancel(r->loop, id), 0);
	assert_int_equal(nrb_loop_timer_cancel(r->loop, id), -ENOENT);
	assert_int_equal(nrb_loop_timer_cancel(r->loop, 999999), -ENOENT);
	assert_int_equal(nrb_loop_timer_cancel(r->loop, 0), -ENOENT);
	/* cancel from inside another callback, and a timer cancelling itself */
	assert_int_equal(nrb_loop_timer_add(r->loop, 300, cancel_other, r, &r->ids[0]), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 400, tag_c, r, &r->ids[1]), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 350, cancel_self, r, &r->ids[2]), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_string_equal(r->tags, "bxs");
	rec_free(r);
}

static int64_t forever(struct nrb_loop *l, void *arg)
{
	struct rec *r = arg;

	(void)l;
	r->count++;
	return 1000;
}

static int64_t set_done(struct nrb_loop *l, void *arg)
{
	(void)l;
	*(int *)arg = 1;
	return NRB_NOMORE;
}

static void test_run_deadline_and_done(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	uint64_t t0 = r->fk.now;
	int done = 0;

	(void)state;
	assert_int_equal(nrb_loop_timer_add(r->loop, 1000, forever, r, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, &done, t0 + 10500), -ETIMEDOUT);
	assert_int_equal(r->count, 10);
	assert_int_equal(r->fk.now, t0 + 10500);
	assert_int_equal(nrb_loop_timer_add(r->loop, 2000, set_done, &done, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, &done, 0), 0);
	assert_int_equal(done, 1);
	assert_int_equal(r->fk.now, t0 + 12500);
	rec_free(r);
}

/* ---------------------------------------------------------------- bucket */

static void test_bucket(void **state)
{
	struct nrb_bucket b;

	(void)state;
	nrb_bucket_init(&b, 100, 2, 0); /* 100 pps: one token per 10 ms, 2 deep */
	assert_int_equal(nrb_bucket_take(&b, 0), 0);
	assert_int_equal(nrb_bucket_take(&b, 0), 0);
	assert_int_equal(nrb_bucket_take(&b, 0), -EAGAIN);
	assert_int_equal(nrb_bucket_wait_us(&b, 0), 10000);
	assert_int_equal(nrb_bucket_wait_us(&b, 4000), 6000);
	assert_int_equal(nrb_bucket_take(&b, 9999), -EAGAIN);
	assert_int_equal(nrb_bucket_take(&b, 10000), 0);
	/* a long idle gap fills only to the burst, and does not overflow */
	assert_int_equal(nrb_bucket_take(&b, UINT64_MAX / 2), 0);
	assert_int_equal(nrb_bucket_take(&b, UINT64_MAX / 2), 0);
	assert_int_equal(nrb_bucket_take(&b, UINT64_MAX / 2), -EAGAIN);
	/* time going backwards (bad fake clock) neither refills nor breaks */
	assert_int_equal(nrb_bucket_take(&b, 5), -EAGAIN);
	/* clamping */
	nrb_bucket_init(&b, 0, 0, 0);
	assert_int_equal(b.rate, 1);
	assert_int_equal(nrb_bucket_take(&b, 0), 0);
	assert_int_equal(nrb_bucket_wait_us(&b, 0), 1000000);
	nrb_bucket_init(&b, 4000000, 1, 0);
	assert_int_equal(b.rate, NRB_LOOP_MAX_PPS);
	/* 3 pps: a token every 333333.3 µs, rounded up */
	nrb_bucket_init(&b, 3, 1, 0);
	assert_int_equal(nrb_bucket_take(&b, 0), 0);
	assert_int_equal(nrb_bucket_wait_us(&b, 0), 333334);
}

/* ------------------------------------------------------------ send queue */

static int send_ok(struct nrb_loop *l, void *arg)
{
	(void)l;
	note(arg, 'S');
	return 0;
}

static int send_fail(struct nrb_loop *l, void *arg)
{
	(void)l;
	note(arg, 'F');
	return -EPERM;
}

static void test_pps_limit(void **state)
{
	struct rec *r = rec_new(100, 1, 1000);
	struct nrb_loop_stats st;
	uint64_t t0 = r->fk.now;
	size_t i, j, in_window;

	(void)state;
	for (i = 0; i < 50; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	nrb_loop_stats(r->loop, &st);
	assert_int_equal(st.queued, 50);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_int_equal(r->n, 50);
	/* 100 pps, burst 1: exactly one every 10 ms, the first at once */
	for (i = 0; i < 50; i++)
		assert_int_equal(r->at[i], t0 + 10000 * i);
	/* and no 100 ms span holds more than 10 + burst sends */
	for (i = 0; i < r->n; i++) {
		in_window = 0;
		for (j = i; j < r->n && r->at[j] < r->at[i] + 100000; j++)
			in_window++;
		assert_true(in_window <= 11);
	}
	nrb_loop_stats(r->loop, &st);
	assert_int_equal(st.sent, 50);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.inflight, 50);
	rec_free(r);
}

static void test_pps_burst(void **state)
{
	struct rec *r = rec_new(10, 5, 1000);
	uint64_t t0 = r->fk.now;
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_int_equal(r->n, 8);
	/* 5 back to back, then one per 100 ms */
	for (i = 0; i < 5; i++)
		assert_int_equal(r->at[i], t0);
	assert_int_equal(r->at[5], t0 + 100000);
	assert_int_equal(r->at[6], t0 + 200000);
	assert_int_equal(r->at[7], t0 + 300000);
	rec_free(r);
}

static void test_default_pps(void **state)
{
	struct rec *r = rec_new(0, 0, 1000);
	uint64_t t0 = r->fk.now;
	size_t i;

	(void)state;
	for (i = 0; i < 60; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	/* defaults: 100 pps, burst 48: 48 at once (three traces' first windows of a short
	 * path), then every 10 ms */
	assert_int_equal(NRB_LOOP_DEFAULT_BURST, 48);
	assert_int_equal(r->at[47], t0);
	assert_int_equal(r->at[48], t0 + 10000);
	assert_int_equal(r->at[59], t0 + 120000);
	rec_free(r);
}

/* The burst is a one-off allowance, not a higher rate: a long run at the default limits
 * settles at 100 per second, and no one-second span ever holds more than burst + pps;
 * after an idle spell the bucket is full again, but no fuller than the burst. */
static void test_burst_sustained_rate(void **state)
{
	struct rec *r = rec_new(0, 0, 1000);
	uint64_t t0 = r->fk.now;
	size_t i, j, in_second, max_second = 0;

	(void)state;
	for (i = 0; i < 400; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_int_equal(r->n, 400);
	for (i = 0; i < r->n; i++) {
		in_second = 0;
		for (j = i; j < r->n && r->at[j] < r->at[i] + 1000000; j++)
			in_second++;
		if (in_second > max_second)
			max_second = in_second;
	}
	/* 48 at t, then one each 10 ms up to t + 990 ms */
	assert_true(max_second <= 48 + 100);
	assert_int_equal(max_second, 48 + 99);
	/* 400 packets: 48 at t0, the other 352 at 100/s */
	assert_int_equal(r->at[399], t0 + 3520000);
	/* idle for 10 s: the bucket refills to 48, not to 1000 */
	r->fk.now += 10000000;
	r->n = 0;
	t0 = r->fk.now;
	for (i = 0; i < 60; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_int_equal(r->at[47], t0);
	assert_int_equal(r->at[48], t0 + 10000);
	rec_free(r);
}

static int64_t free_two_slots(struct nrb_loop *l, void *arg)
{
	note(arg, 'R');
	nrb_loop_inflight_done(l);
	nrb_loop_inflight_done(l);
	return NRB_NOMORE;
}

static void test_window(void **state)
{
	struct rec *r = rec_new(1000, 100, 3);
	struct nrb_loop_stats st;
	uint64_t t0 = r->fk.now;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 1000000, free_two_slots, r, NULL), 0);
	/* a failing send takes no slot */
	assert_int_equal(nrb_loop_send_queue(r->loop, send_fail, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, t0 + 5000000), -ETIMEDOUT);
	/* 3 at once; at 1 s two slots free, two more go; the 6th and the failing one wait */
	assert_string_equal(r->tags, "SSSRSS");
	assert_int_equal(r->at[2], t0);
	assert_int_equal(r->at[4], t0 + 1000000);
	nrb_loop_stats(r->loop, &st);
	assert_int_equal(st.inflight, 3);
	assert_int_equal(st.queued, 2);
	/* more done calls than in flight are ignored */
	for (i = 0; i < 10; i++)
		nrb_loop_inflight_done(r->loop);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_string_equal(r->tags, "SSSRSSSF");
	nrb_loop_stats(r->loop, &st);
	assert_int_equal(st.sent, 6);
	assert_int_equal(st.send_errors, 1);
	assert_int_equal(st.inflight, 1);
	rec_free(r);
}

static int send_a(struct nrb_loop *l, void *arg) { (void)l; note(arg, 'A'); return 0; }
static int send_b(struct nrb_loop *l, void *arg) { (void)l; note(arg, 'B'); return 0; }

static void test_pacing_per_destination(void **state)
{
	struct rec *r = rec_new(NRB_LOOP_MAX_PPS, 100, 1000);
	struct nrb_pace pa, pb;
	uint64_t t0 = r->fk.now;
	size_t i;

	(void)state;
	nrb_pace_init(&pa, 1000);
	nrb_pace_init(&pb, 3000);
	for (i = 0; i < 3; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_a, r, &pa, NULL), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(nrb_loop_send_queue(r->loop, send_b, r, &pb, NULL), 0);
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	/* B's first probe passes A's waiting ones; each destination keeps its gap */
	assert_string_equal(r->tags, "ABAAB");
	assert_int_equal(r->at[0], t0);
	assert_int_equal(r->at[1], t0);
	assert_int_equal(r->at[2], t0 + 1000);
	assert_int_equal(r->at[3], t0 + 2000);
	assert_int_equal(r->at[4], t0 + 3000);
	assert_int_equal(nrb_pace_wait_us(&pa, t0 + 2500), 500);
	assert_int_equal(nrb_pace_wait_us(&pa, t0 + 9000), 0);
	rec_free(r);
}

static void test_send_cancel(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	uint64_t id1, id2;

	(void)state;
	assert_int_equal(nrb_loop_send_queue(r->loop, send_a, r, NULL, &id1), 0);
	assert_int_equal(nrb_loop_send_queue(r->loop, send_b, r, NULL, &id2), 0);
	assert_int_equal(nrb_loop_send_cancel(r->loop, id2), 0); /* the tail */
	assert_int_equal(nrb_loop_send_cancel(r->loop, id2), -ENOENT);
	assert_int_equal(nrb_loop_send_queue(r->loop, send_b, r, NULL, &id2), 0);
	assert_int_equal(nrb_loop_send_cancel(r->loop, id1), 0); /* the head */
	assert_int_equal(nrb_loop_run(r->loop, NULL, 0), 0);
	assert_string_equal(r->tags, "B");
	/* items still queued at free time are released (ASan checks the leak) */
	assert_int_equal(nrb_loop_send_queue(r->loop, send_b, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 5, tag_a, r, NULL), 0);
	rec_free(r);
}

/* ---------------------------------------------------------- fd + ordering */

static void on_readable(struct nrb_loop *l, int fd, uint32_t ev, void *arg)
{
	struct rec *r = arg;
	char c;

	(void)l;
	assert_true(ev & NRB_EV_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	note(r, 'r');
}

static int64_t on_timeout(struct nrb_loop *l, void *arg)
{
	(void)l;
	note(arg, 't');
	return NRB_NOMORE;
}

static void test_iteration_order(void **state)
{
	struct rec *r = rec_new(0, 0, 0);
	struct nrb_loop_stats st;

	(void)state;
	assert_int_equal(pipe(r->pipefd), 0);
	assert_int_equal(nrb_loop_fd_add(r->loop, r->pipefd[0], NRB_EV_READ, on_readable, r), 0);
	assert_int_equal(nrb_loop_fd_add(r->loop, r->pipefd[0], NRB_EV_READ, on_readable, r),
	                 -EEXIST);
	/* a send, a due timer and a readable fd, all ready in the same iteration */
	assert_int_equal(nrb_loop_send_queue(r->loop, send_ok, r, NULL, NULL), 0);
	assert_int_equal(nrb_loop_timer_add(r->loop, 0, on_timeout, r, NULL), 0);
	assert_int_equal(write(r->pipefd[1], "x", 1), 1);
	assert_int_equal(nrb_loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->tags, "rtS"); /* receive, expire, send */
	nrb_loop_stats(r->loop, &st);
	assert_int_equal(st.fd_events, 1);
	/* the fake clock jumps only when nothing is readable */
	assert_int_equal(nrb_loop_timer_add(r->loop, 700, on_timeout, r, NULL), 0);
	assert_int_equal(write(r->pipefd[1], "y", 1), 1);
	assert_int_equal(nrb_loop_run_once(r->loop, UINT64_MAX), 0);
	assert_string_equal(r->tags, "rtSr");
	assert_int_equal(r->fk.slept, 0);
	assert_int_equal(nrb_loop_run_once(r->loop, UINT64_MAX), 0);
	assert_string_equal(r->tags, "rtSrt");
	assert_int_equal(r->fk.slept, 700);
	assert_int_equal(nrb_loop_fd_del(r->loop, r->pipefd[0]), 0);
	assert_int_equal(nrb_loop_fd_del(r->loop, r->pipefd[0]), -ENOENT);
	/* a removed fd is not reported any more */
	assert_int_equal(write(r->pipefd[1], "z", 1), 1);
	assert_int_equal(nrb_loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->tags, "rtSrt");
	/* and its slot is reused */
	assert_int_equal(nrb_loop_fd_add(r->loop, r->pipefd[0], NRB_EV_READ, on_readable, r), 0);
	assert_int_equal(nrb_loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->tags, "rtSrtr");
	rec_free(r);
}

/* With the real clock a timer waits in epoll_wait and fires no earlier than asked. */
static void test_real_clock(void **state)
{
	struct nrb_loop *loop;
	uint64_t t0, t1;
	int done = 0;

	(void)state;
	assert_int_equal(nrb_loop_new(NULL, &loop, NULL, 0), 0);
	t0 = nrb_loop_now(loop);
	assert_int_equal(nrb_loop_timer_add(loop, 3000, set_done, &done, NULL), 0);
	assert_int_equal(nrb_loop_run(loop, &done, t0 + 2000000), 0);
	t1 = nrb_loop_now(loop);
	assert_int_equal(done, 1);
	assert_true(t1 - t0 >= 3000);
	assert_true(t1 - t0 < 1000000);
	nrb_loop_free(loop);
}

static int send_stamp(struct nrb_loop *l, void *arg)
{
	uint64_t *slot = arg;

	*slot = nrb_loop_now(l);
	return 0;
}

/* The real clock paces too: 20 sends at 200 pps, burst 1, are 5 ms apart or more. */
static void test_real_clock_pps(void **state)
{
	struct nrb_loop_opts o;
	struct nrb_loop *loop;
	uint64_t at[20];
	size_t i;

	(void)state;
	memset(&o, 0, sizeof o);
	o.pps = 200;
	o.burst = 1;
	o.window = 100;
	assert_int_equal(nrb_loop_new(&o, &loop, NULL, 0), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(nrb_loop_send_queue(loop, send_stamp, &at[i], NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(loop, NULL, nrb_loop_now(loop) + 5000000), 0);
	for (i = 1; i < 20; i++)
		assert_true(at[i] - at[i - 1] >= 4990); /* bucket refills at 1 token / 5 ms */
	assert_true(at[19] - at[0] >= 95000);
	assert_true(at[19] - at[0] < 2000000);
	nrb_loop_free(loop);
}

static void noop_fd(struct nrb_loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l; (void)fd; (void)ev; (void)arg;
}

static void test_invalid_args(void **state)
{
	struct nrb_loop_opts o;
	struct nrb_clock bad = { NULL, NULL, NULL };
	struct nrb_loop *loop = NULL;
	char err[128];

	(void)state;
	assert_int_equal(nrb_loop_new(NULL, NULL, err, sizeof err), -EINVAL);
	memset(&o, 0, sizeof o);
	o.pps = NRB_LOOP_MAX_PPS + 1;
	assert_int_equal(nrb_loop_new(&o, &loop, err, sizeof err), -EINVAL);
	assert_null(loop);
	assert_non_null(strstr(err, "pps"));
	o.pps = 0;
	o.clock = &bad;
	assert_int_equal(nrb_loop_new(&o, &loop, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_loop_new(NULL, &loop, err, sizeof err), 0);
	assert_int_equal(nrb_loop_fd_add(loop, -1, NRB_EV_READ, noop_fd, NULL), -EINVAL);
	assert_int_equal(nrb_loop_fd_add(loop, 0, NRB_EV_READ, NULL, NULL), -EINVAL);
	assert_int_equal(nrb_loop_fd_add(loop, 0, 0x100, noop_fd, NULL), -EINVAL);
	assert_int_equal(nrb_loop_fd_add(NULL, 0, NRB_EV_READ, noop_fd, NULL), -EINVAL);
	/* an fd number that is not open: epoll_ctl's EBADF comes back */
	assert_int_equal(nrb_loop_fd_add(loop, 4000, NRB_EV_READ, noop_fd, NULL), -EBADF);
	assert_int_equal(nrb_loop_fd_del(loop, 4000), -ENOENT);
	assert_int_equal(nrb_loop_fd_del(NULL, 0), -ENOENT);
	assert_int_equal(nrb_loop_timer_add(loop, 1, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(nrb_loop_timer_add(NULL, 1, tag_a, NULL, NULL), -EINVAL);
	assert_int_equal(nrb_loop_timer_cancel(NULL, 1), -ENOENT);
	assert_int_equal(nrb_loop_send_queue(loop, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(nrb_loop_send_queue(NULL, send_ok, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(nrb_loop_send_cancel(NULL, 1), -ENOENT);
	assert_int_equal(nrb_loop_run_once(NULL, 0), -EINVAL);
	assert_int_equal(nrb_loop_run(NULL, NULL, 0), -EINVAL);
	nrb_loop_inflight_done(NULL);
	/* an empty loop returns at once */
	assert_int_equal(nrb_loop_run(loop, NULL, 0), 0);
	nrb_loop_free(loop);
	nrb_loop_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_heap_many),
		cmocka_unit_test(test_timer_rearm),
		cmocka_unit_test(test_timer_zero_delay_no_spin),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_run_deadline_and_done),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_pps_limit),
		cmocka_unit_test(test_pps_burst),
		cmocka_unit_test(test_default_pps),
		cmocka_unit_test(test_burst_sustained_rate),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_pacing_per_destination),
		cmocka_unit_test(test_send_cancel),
		cmocka_unit_test(test_iteration_order),
		cmocka_unit_test(test_real_clock),
		cmocka_unit_test(test_real_clock_pps),
		cmocka_unit_test(test_invalid_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
