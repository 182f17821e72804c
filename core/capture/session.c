/*
 * capture/session: reading a pcap handle in a background thread within bounds, writing
 * the packets to a .pcap file and analysing them (see capture.h).  The thread owns the
 * handle, the dumper and the analyzer until stop() joins it; the only state shared
 * while it runs is the stop and done flags (atomics).
 */
#include "capture/capture_int.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "priv/pcap_dl.h"

#define DEFAULT_MAX_PACKETS 100000
#define DEFAULT_MAX_BYTES (64u << 20)
#define DEFAULT_MAX_MS 60000
#define BATCH 64    /* packets per pcap_dispatch call, between checks of the flags */
#define DRAIN_BATCHES 64 /* at most this many batches read after stop() (4096 packets) */
#define POLL_MS 100 /* longest wait for packets before the flags and the clock are
                     * checked again: bounds how late a stop or a deadline is seen */
#define WAIT_SLICE_MS 100 /* longest sleep of nrb_cap_session_wait between checks of the
                           * interrupt flag and the done flag */

struct nrb_cap_session {
	pcap_t *p;                     /* the handle (owned) */
	pcap_dumper_t *dump;           /* the .pcap being written, NULL if none */
	char *path;                    /* its final name (owned), NULL if none */
	char *tmp_path;                /* the name written to until stop (owned) */
	struct nrb_cap_analyzer *a;    /* the analysis (owned) */
	uint64_t max_packets;          /* bounds */
	uint64_t max_bytes;            /* bounds */
	uint64_t deadline_us;          /* monotonic end of the time bound */
	uint64_t start_us;             /* monotonic time the session started */
	uint64_t packets;              /* read so far (thread only) */
	uint64_t bytes;                /* captured bytes so far (thread only) */
	const char *stopped_by;        /* what ended the reading (thread, then stop) */
	int fd;                        /* live handle in non-blocking mode: its selectable
	                                * fd, polled with a timeout; -1 for files */
	pthread_t thread;              /* the reader */
	int started;                   /* thread was created */
	atomic_int stop;               /* set by stop(): leave the loop */
	atomic_int done;               /* set by the thread when it leaves the loop */
};

int nrb_cap_filter_for(const struct nrb_cap_opts *o, char *buf, size_t len)
{
	char ab[64], port[48] = "";
	int n;

	if (!o || !buf || !len)
		return -EINVAL;
	if (o->port)
		snprintf(port, sizeof port, "port %u or icmp or icmp6", o->port);
	if (o->target.af && o->port)
		n = snprintf(buf, len, "host %s and (%s)",
			     nrb_pkt_addr_to_string(&o->target, ab, sizeof ab), port);
	else if (o->target.af)
		n = snprintf(buf, len, "host %s", nrb_pkt_addr_to_string(&o->target, ab, sizeof ab));
	else
		n = snprintf(buf, len, "%s", port);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct nrb_cap_session *s = (struct nrb_cap_session *)user;

	if (s->stopped_by)
		return; /* a bound was reached earlier in this batch */
	s->packets++;
	s->bytes += h->caplen;
	if (s->dump)
		pcap_dump((u_char *)s->dump, h, data);
	nrb_cap_analyzer_feed(s->a, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec,
			      data, h->caplen, h->len);
	if (s->packets >= s->max_packets)
		s->stopped_by = "max_packets";
	else if (s->bytes >= s->max_bytes)
		s->stopped_by = "max_bytes";
	if (s->stopped_by)
		pcap_breakloop(s->p);
}

static void *reader(void *arg)
{
	struct nrb_cap_session *s = arg;
	int rc;

	while (!atomic_load(&s->stop) && !s->stopped_by) {
		if (nrb_now_us() >= s->deadline_us) {
			s->stopped_by = "max_ms";
			break;
		}
		if (s->fd >= 0) {
			/* a blocking read may never return on a quiet interface (TPACKET_V3
			 * waits for a block): wait here, where the clock is checked */
			struct pollfd pfd = {s->fd, POLLIN, 0};

			if (poll(&pfd, 1, POLL_MS) == 0)
				continue;
		}
		rc = pcap_dispatch(s->p, BATCH, on_packet, (u_char *)s);
		if (rc == PCAP_ERROR_BREAK)
			continue; /* breakloop: a bound, or stop() */
		if (rc < 0) {
			nrb_cap_analyzer_set_truncated(s->a, pcap_geterr(s->p));
			s->stopped_by = "error";
			break;
		}
		/* an offline handle returns 0 at its end; a live one on its read timeout */
		if (rc == 0 && pcap_file(s->p)) {
			s->stopped_by = "end_of_file";
			break;
		}
	}
	/* stop(): what the kernel already queued for us belongs to the capture -- the answer
	 * to the last probe is often still in the ring when the probe returns -- so read it,
	 * bounded, before leaving (the live fd is non-blocking: dispatch returns 0 when the
	 * ring is empty) */
	if (!s->stopped_by && s->fd >= 0) {
		int i;

		for (i = 0; i < DRAIN_BATCHES && !s->stopped_by; i++) {
			rc = pcap_dispatch(s->p, BATCH, on_packet, (u_char *)s);
			if (rc == PCAP_ERROR_BREAK)
				continue; /* the breakloop of stop() itself, or a bound */
			if (rc <= 0)
				break;
		}
	}
	if (!s->stopped_by)
		s->stopped_by = "stop";
	atomic_store(&s->done, 1);
	return NULL;
}

static void session_close(struct nrb_cap_session *s, int keep_file)
{
	if (s->started) {
		atomic_store(&s->stop, 1);
		pcap_breakloop(s->p);
		pthread_join(s->thread, NULL);
		s->started = 0;
	}
	if (s->dump) {
		pcap_dump_close(s->dump);
		s->dump = NULL;
		if (!keep_file)
			unlink(s->tmp_path);
	}
	if (s->p)
		pcap_close(s->p);
	s->p = NULL;
}

static void session_free(struct nrb_cap_session *s)
{
	nrb_cap_analyzer_free(s->a);
	free(s->path);
	free(s->tmp_path);
	free(s);
}

/*
 * Open the session's .pcap.tmp for writing.  The final path must be a regular file (or not
 * exist): stop renames the .tmp over it, which as root would replace a device such as
 * /dev/null.  The .tmp is created afresh, never followed through a symlink: a leftover
 * one is unlinked (a symlink itself, not its target) and the new one opened O_EXCL.
 */
static int open_dump(struct pcap *p, struct nrb_cap_session *s, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	int fd;

	if (lstat(s->path, &st) == 0 && !S_ISREG(st.st_mode))
		return nrb_err(err, errlen, EIO, "%s: not a regular file (a capture is written as a new file)",
		               s->path);
	if (lstat(s->tmp_path, &st) == 0 && unlink(s->tmp_path) < 0)
		return nrb_err(err, errlen, EIO, "%s: cannot remove the leftover: %s", s->tmp_path,
		               strerror(errno));
	fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return nrb_err(err, errlen, EIO, "%s: %s", s->tmp_path, strerror(errno));
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		unlink(s->tmp_path);
		return nrb_err(err, errlen, EIO, "%s: %s", s->tmp_path, strerror(errno));
	}
	s->dump = pcap_dump_fopen(p, f);
	if (!s->dump) {
		fclose(f);
		unlink(s->tmp_path);
		return nrb_err(err, errlen, EIO, "%s: %s", s->path, pcap_geterr(p));
	}
	return 0;
}

int nrb_cap_session_start(struct pcap *p, const struct nrb_cap_session_opts *o,
                          struct nrb_cap_session **out, char *err, size_t errlen)
{
	struct nrb_cap_session *s;
	struct bpf_program prog;
	char filter[256];
	const char *f;
	int rc;

	if (out)
		*out = NULL;
	if (p && (rc = nrb_pcap_load(err, errlen)) < 0)
		return rc; /* cannot happen: the handle came from libpcap */
	if (!p || !o || !out) {
		if (p)
			pcap_close(p);
		return nrb_err(err, errlen, EINVAL, "no capture handle, options or output");
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		pcap_close(p);
		return nrb_err(err, errlen, ENOMEM, "out of memory");
	}
	s->p = p;
	s->fd = -1;
	if (!pcap_file(p)) {
		char perr[PCAP_ERRBUF_SIZE] = "no selectable descriptor";

		if (pcap_setnonblock(p, 1, perr) < 0 || (s->fd = pcap_get_selectable_fd(p)) < 0) {
			rc = nrb_err(err, errlen, EIO, "capture handle cannot be polled: %s", perr);
			goto fail;
		}
	}
	rc = nrb_cap_analyzer_new(&o->analysis, pcap_datalink(p), &s->a, err, errlen);
	if (rc)
		goto fail;
	f = o->filter;
	if (!f) {
		if (nrb_cap_filter_for(&o->analysis, filter, sizeof filter)) {
			rc = nrb_err(err, errlen, EINVAL, "filter too long");
			goto fail;
		}
		f = filter;
	}
	if (pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		rc = nrb_err(err, errlen, EINVAL, "capture filter '%s' does not compile: %s", f,
			     pcap_geterr(p));
		goto fail;
	}
	rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		rc = nrb_err(err, errlen, EIO, "capture filter '%s' cannot be set: %s", f,
			     pcap_geterr(p));
		goto fail;
	}
	if (o->pcap_path) {
		size_t n = strlen(o->pcap_path) + 5;

		s->path = strdup(o->pcap_path);
		s->tmp_path = malloc(n);
		if (!s->path || !s->tmp_path) {
			rc = nrb_err(err, errlen, ENOMEM, "out of memory");
			goto fail;
		}
		snprintf(s->tmp_path, n, "%s.tmp", o->pcap_path);
		rc = open_dump(p, s, err, errlen);
		if (rc < 0)
			goto fail;
	}
	s->max_packets = o->max_packets ? o->max_packets : DEFAULT_MAX_PACKETS;
	s->max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	s->start_us = nrb_now_us();
	s->deadline_us = s->start_us + (uint64_t)(o->max_ms ? o->max_ms : DEFAULT_MAX_MS) * 1000u;
	rc = pthread_create(&s->thread, NULL, reader, s);
	if (rc) {
		rc = nrb_err(err, errlen, rc, "cannot start the capture thread: %s", strerror(rc));
		goto fail;
	}
	s->started = 1;
	*out = s;
	return 0;
fail:
	session_close(s, 0);
	session_free(s);
	return rc;
}

int nrb_cap_session_done(struct nrb_cap_session *s)
{
	return s ? atomic_load(&s->done) : 0;
}

uint64_t nrb_cap_session_elapsed_ms(const struct nrb_cap_session *s)
{
	return s ? (nrb_now_us() - s->start_us) / 1000u : 0;
}

int nrb_cap_session_wait(struct nrb_cap_session *s, uint32_t min_ms, uint64_t limit_us)
{
	uint64_t until;

	if (!s)
		return -EINVAL;
	until = s->start_us + (uint64_t)min_ms * 1000u;
	for (;;) {
		uint64_t now = nrb_now_us(), end = until, left;

		if (now >= until)
			return NRB_CAP_WAIT_ELAPSED;
		if (atomic_load(&s->done))
			return NRB_CAP_WAIT_DONE;
		if (nrb_interrupted())
			return NRB_CAP_WAIT_INTERRUPTED;
		if (limit_us && now >= limit_us)
			return NRB_CAP_WAIT_LIMIT;
		if (limit_us && limit_us < end)
			end = limit_us;
		/* sleep in slices: a signal may be delivered to the reader thread instead of
		 * this one (then poll() is not woken by EINTR), and the reader may reach a bound;
		 * both are seen at most WAIT_SLICE_MS late, and nothing spins */
		left = (end - now + 999u) / 1000u;
		if (left > WAIT_SLICE_MS)
			left = WAIT_SLICE_MS;
		(void)poll(NULL, 0, (int)left);
	}
}

int nrb_cap_session_stop(struct nrb_cap_session *s, struct nrb_cap_result **out, char *err,
                         size_t errlen)
{
	struct nrb_cap_analyzer *a;
	int rc = 0;

	if (out)
		*out = NULL;
	if (!s || !out) {
		nrb_cap_session_free(s);
		return nrb_err(err, errlen, EINVAL, "no session or no output");
	}
	session_close(s, 1);
	if (s->path && rename(s->tmp_path, s->path) < 0) {
		rc = nrb_err(err, errlen, EIO, "%s: %s", s->path, strerror(errno));
		unlink(s->tmp_path);
	}
	a = s->a;
	s->a = NULL;
	nrb_cap_analyzer_set_stopped(a, s->stopped_by);
	session_free(s);
	if (rc) {
		nrb_cap_analyzer_free(a);
		return rc;
	}
	if (nrb_cap_analyzer_finish(a, out))
		return nrb_err(err, errlen, ENOMEM, "out of memory");
	return 0;
}

void nrb_cap_session_free(struct nrb_cap_session *s)
{
	if (!s)
		return;
	session_close(s, 0);
	session_free(s);
}
