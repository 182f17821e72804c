/*
 * Replay driver for tests/fuzz/fuzz_capture.c: runs every file of the directories given
 * through LLVMFuzzerTestOneInput, and every capture fixture also cut at each length (a
 * file that ends anywhere must never crash the reader).  Built with the normal compiler,
 * so the ASan build of the unit tests exercises the corpus.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, int cuts)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	size_t len;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || n > (1 << 20)) {
		fclose(f);
		return 0;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	for (len = 0; cuts && len < (size_t)n && n <= 4096; len++)
		LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 1;
}

int main(int argc, char **argv)
{
	int i, total = 0;

	for (i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char path[4096];
		struct stat sb;

		if (!d) {
			fprintf(stderr, "cannot open %s\n", argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			int cuts = strstr(e->d_name, ".pcap") != NULL;

			snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
			if (stat(path, &sb) || !S_ISREG(sb.st_mode))
				continue;
			if (run_file(path, cuts) < 0) {
				fprintf(stderr, "cannot read %s\n", path);
				closedir(d);
				return 1;
			}
			total++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", total);
	return total > 0 ? 0 : 1;
}
