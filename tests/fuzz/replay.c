/* Replays fuzz inputs through LLVMFuzzerTestOneInput with the normal compiler, so CI
 * runs the corpus under ASan/UBSan every time without libFuzzer.  Each file is fed
 * whole and then as every shorter prefix (cheap, and it is where parsers break).
 * Usage: fuzz_pkt_replay FILE|DIR... ; exit 0 when all inputs ran. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, size_t *count)
{
	char err[256], *buf = NULL;
	uint8_t *copy;
	size_t len = 0, cut;

	if (nrb_read_file(path, 1 << 20, &buf, &len, err, sizeof err) < 0) {
		fprintf(stderr, "replay: %s\n", err);
		return -1;
	}
	for (cut = 0; cut <= len; cut++) {
		/* an exact-size copy so ASan sees any read past the input */
		copy = malloc(cut ? cut : 1);
		if (!copy) {
			free(buf);
			return -1;
		}
		memcpy(copy, buf, cut);
		LLVMFuzzerTestOneInput(copy, cut);
		free(copy);
		(*count)++;
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	size_t files = 0, runs = 0;
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;
	int i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i], &runs) < 0)
				return 1;
			files++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d)
			return 1;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
			if (run_file(path, &runs) < 0) {
				closedir(d);
				return 1;
			}
			files++;
		}
		closedir(d);
	}
	printf("replay: %zu inputs, %zu runs (all prefixes)\n", files, runs);
	return files ? 0 : 1;
}
