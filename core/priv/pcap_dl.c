/* pcap_dl: libpcap loaded on first use (see pcap_dl.h). */
#define NRB_PCAP_DL_IMPL
#include "priv/pcap_dl.h"
#include "util/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

struct nrb_pcap_fns nrb_pcap_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	/* Debian's SONAME first (libpcap0.8), then other distributions' */
	static const char *const names[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so", NULL};
	struct nrb_pcap_fns fn;
	const char *const *n;
	void *lib = NULL;

	for (n = names; *n && !lib; n++) {
		lib = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
		if (!lib && n == names) {
			const char *why = dlerror();

			snprintf(load_error, sizeof load_error, "%s", why ? why : "not found");
		}
	}
	if (!lib)
		return;
	n--; /* the name that loaded */
#define NRB_PCAP_SYM(ret, name, params)                                                 \
	*(void **)&fn.name = dlsym(lib, #name);                                            \
	if (!fn.name) {                                                                    \
		snprintf(load_error, sizeof load_error, "%s has no %s", *n, #name);             \
		dlclose(lib);                                                                  \
		return;                                                                        \
	}
	NRB_PCAP_FUNCS(NRB_PCAP_SYM)
#undef NRB_PCAP_SYM
	nrb_pcap_fn = fn;
}

int nrb_pcap_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (nrb_pcap_fn.pcap_dump_close)
		return 0;
	return nrb_err(err, errlen, ENOSYS, "capture needs libpcap (Debian: libpcap0.8): %s",
	               load_error);
}
