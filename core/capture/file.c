/* capture/file: reading capture files through libpcap's offline API (see capture.h). */
#include "capture/capture_int.h"
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include "priv/pcap_dl.h"

/* Feed every record of an open offline handle to a new analyzer and finish it. */
static int run(pcap_t *p, const struct nrb_cap_opts *opts, struct nrb_cap_result **out,
               char *err, size_t errlen)
{
	struct nrb_cap_analyzer *a;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0;
	int rc;

	rc = nrb_cap_analyzer_new(opts, pcap_datalink(p), &a, err, errlen);
	if (rc)
		return rc;
	for (;;) {
		rc = pcap_next_ex(p, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			break; /* end of file */
		if (rc != 1) {
			/* the file ends inside a record or a block is corrupt: keep what was read */
			nrb_cap_analyzer_set_truncated(a, pcap_geterr(p));
			break;
		}
		if ((++n & 4095) == 0 && nrb_interrupted()) {
			nrb_cap_analyzer_set_truncated(a, "interrupted");
			break;
		}
		nrb_cap_analyzer_feed(a, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec,
				      data, h->caplen, h->len);
	}
	rc = nrb_cap_analyzer_finish(a, out);
	if (rc)
		return nrb_err(err, errlen, -rc, "out of memory");
	return 0;
}

int nrb_cap_analyze_file(const char *path, const struct nrb_cap_opts *opts,
                         struct nrb_cap_result **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct stat sb;
	pcap_t *p;
	int rc;

	if (out)
		*out = NULL;
	if (!path || !out)
		return nrb_err(err, errlen, EINVAL, "no capture file or no output");
	if (stat(path, &sb) < 0)
		return nrb_err(err, errlen, errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return nrb_err(err, errlen, EISDIR, "%s: is a directory", path);
	if ((rc = nrb_pcap_load(err, errlen)) < 0)
		return rc;
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		if (errno == EACCES)
			return nrb_err(err, errlen, EACCES, "%s: %s", path, strerror(EACCES));
		return nrb_err(err, errlen, EBADMSG, "%s: not a readable pcap/pcapng capture: %s", path, perr);
	}
	rc = run(p, opts, out, err, errlen);
	pcap_close(p);
	if (rc == -EPROTONOSUPPORT && err && errlen) {
		char tmp[256];

		snprintf(tmp, sizeof tmp, "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
	return rc;
}

int nrb_cap_analyze_stream(FILE *fp, const struct nrb_cap_opts *opts,
                           struct nrb_cap_result **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int rc;

	if (out)
		*out = NULL;
	if (!fp || !out) {
		if (fp)
			fclose(fp);
		return nrb_err(err, errlen, EINVAL, "no stream or no output");
	}
	if ((rc = nrb_pcap_load(err, errlen)) < 0) {
		fclose(fp);
		return rc;
	}
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		fclose(fp); /* libpcap leaves the stream to us when the open fails */
		return nrb_err(err, errlen, EBADMSG, "not a readable pcap/pcapng capture: %s", perr);
	}
	rc = run(p, opts, out, err, errlen);
	pcap_close(p); /* closes fp */
	return rc;
}
