/*
 * fuzz_capture: libFuzzer entry over the capture analysis.
 *   - the input as a whole capture file (pcap or pcapng), read through fmemopen +
 *     pcap_fopen_offline exactly as a file would be;
 *   - the input as one captured record: first byte picks the link type, the rest is the
 *     frame, fed straight to the analyzer (reaches link/IP/TCP code that a fuzzed file
 *     header would rarely get to).
 * Build with clang -fsanitize=fuzzer,address (see tests/fuzzcap/README.md); the replay
 * test runs the corpus through the same function with the normal compiler.
 */
#include "capture/capture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {0, 1, 12, 101, 108, 113, 228, 229, 276};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nrb_cap_result *r = NULL;
	struct nrb_cap_analyzer *a = NULL;
	char err[256];
	uint8_t *copy;
	FILE *fp;

	if (size > (1u << 20))
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	fp = size ? fmemopen(copy, size, "rb") : NULL;
	if (fp && nrb_cap_analyze_stream(fp, NULL, &r, err, sizeof err) == 0)
		nrb_cap_result_free(r);
	free(copy);

	if (size >= 1 && nrb_cap_analyzer_new(NULL, linktypes[data[0] % 9], &a, err, sizeof err) == 0) {
		/* the same frame twice, a second apart: exercises retransmission logic */
		nrb_cap_analyzer_feed(a, 1000000, data + 1, size - 1, size - 1 + (data[0] & 0x80 ? 100 : 0));
		nrb_cap_analyzer_feed(a, 2000000, data + 1, size - 1, size - 1);
		if (nrb_cap_analyzer_finish(a, &r) == 0)
			nrb_cap_result_free(r);
	}
	return 0;
}
