/*
 * pcap_dl: libpcap, loaded when the first capture starts rather than when nrb starts.
 *
 * Debian's libpcap brings eight more libraries with it (dbus, systemd, gcrypt, lzma, zstd,
 * lz4, gpg-error, cap); mapping and relocating them was about 0.5 ms of every nrb
 * command, most of which never capture (`nrb probe`, `nrb check`, `nrb fw`).  A file that
 * calls libpcap includes this header after <pcap/pcap.h>: the pcap_* names it uses become
 * calls through a table that nrb_pcap_load() fills.  Every way to a pcap handle (a live
 * capture, a capture file) calls nrb_pcap_load() first; the functions that take a handle
 * are then loaded already.
 */
#ifndef NRB_PRIV_PCAP_DL_H
#define NRB_PRIV_PCAP_DL_H

#include <stddef.h>
#include <stdio.h>
#include <pcap/pcap.h>

/* X(return type, name, parameters): every libpcap function nrb calls. */
#define NRB_PCAP_FUNCS(X)                                                              \
	X(pcap_t *, pcap_create, (const char *, char *))                                   \
	X(int, pcap_set_snaplen, (pcap_t *, int))                                          \
	X(int, pcap_set_promisc, (pcap_t *, int))                                          \
	X(int, pcap_set_timeout, (pcap_t *, int))                                          \
	X(int, pcap_set_immediate_mode, (pcap_t *, int))                                   \
	X(int, pcap_set_buffer_size, (pcap_t *, int))                                      \
	X(int, pcap_activate, (pcap_t *))                                                  \
	X(const char *, pcap_statustostr, (int))                                           \
	X(char *, pcap_geterr, (pcap_t *))                                                 \
	X(void, pcap_close, (pcap_t *))                                                    \
	X(pcap_t *, pcap_open_offline_with_tstamp_precision, (const char *, u_int, char *)) \
	X(pcap_t *, pcap_fopen_offline_with_tstamp_precision, (FILE *, u_int, char *))     \
	X(int, pcap_datalink, (pcap_t *))                                                  \
	X(const char *, pcap_datalink_val_to_name, (int))                                  \
	X(int, pcap_next_ex, (pcap_t *, struct pcap_pkthdr **, const u_char **))           \
	X(int, pcap_dispatch, (pcap_t *, int, pcap_handler, u_char *))                     \
	X(void, pcap_breakloop, (pcap_t *))                                                \
	X(FILE *, pcap_file, (pcap_t *))                                                   \
	X(int, pcap_setnonblock, (pcap_t *, int, char *))                                  \
	X(int, pcap_get_selectable_fd, (pcap_t *))                                         \
	X(int, pcap_compile, (pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32)) \
	X(int, pcap_setfilter, (pcap_t *, struct bpf_program *))                           \
	X(void, pcap_freecode, (struct bpf_program *))                                     \
	X(pcap_dumper_t *, pcap_dump_fopen, (pcap_t *, FILE *))                            \
	X(void, pcap_dump, (u_char *, const struct pcap_pkthdr *, const u_char *))         \
	X(void, pcap_dump_close, (pcap_dumper_t *))

struct nrb_pcap_fns {
#define NRB_PCAP_FIELD(ret, name, params) ret(*name) params;
	NRB_PCAP_FUNCS(NRB_PCAP_FIELD)
#undef NRB_PCAP_FIELD
};

extern struct nrb_pcap_fns nrb_pcap_fn;

/**
 * Load libpcap (once; thread-safe).  0, or -ENOSYS with a message naming the library
 * and the loader's reason (the nrb build's libpcap is not installed).
 */
int nrb_pcap_load(char *err, size_t errlen);

#ifndef NRB_PCAP_DL_IMPL
#define pcap_create (*nrb_pcap_fn.pcap_create)
#define pcap_set_snaplen (*nrb_pcap_fn.pcap_set_snaplen)
#define pcap_set_promisc (*nrb_pcap_fn.pcap_set_promisc)
#define pcap_set_timeout (*nrb_pcap_fn.pcap_set_timeout)
#define pcap_set_immediate_mode (*nrb_pcap_fn.pcap_set_immediate_mode)
#define pcap_set_buffer_size (*nrb_pcap_fn.pcap_set_buffer_size)
#define pcap_activate (*nrb_pcap_fn.pcap_activate)
#define pcap_statustostr (*nrb_pcap_fn.pcap_statustostr)
#define pcap_geterr (*nrb_pcap_fn.pcap_geterr)
#define pcap_close (*nrb_pcap_fn.pcap_close)
#define pcap_open_offline_with_tstamp_precision (*nrb_pcap_fn.pcap_open_offline_with_tstamp_precision)
#define pcap_fopen_offline_with_tstamp_precision (*nrb_pcap_fn.pcap_fopen_offline_with_tstamp_precision)
#define pcap_datalink (*nrb_pcap_fn.pcap_datalink)
#define pcap_datalink_val_to_name (*nrb_pcap_fn.pcap_datalink_val_to_name)
#define pcap_next_ex (*nrb_pcap_fn.pcap_next_ex)
#define pcap_dispatch (*nrb_pcap_fn.pcap_dispatch)
#define pcap_breakloop (*nrb_pcap_fn.pcap_breakloop)
#define pcap_file (*nrb_pcap_fn.pcap_file)
#define pcap_setnonblock (*nrb_pcap_fn.pcap_setnonblock)
#define pcap_get_selectable_fd (*nrb_pcap_fn.pcap_get_selectable_fd)
#define pcap_compile (*nrb_pcap_fn.pcap_compile)
#define pcap_setfilter (*nrb_pcap_fn.pcap_setfilter)
#define pcap_freecode (*nrb_pcap_fn.pcap_freecode)
#define pcap_dump_fopen (*nrb_pcap_fn.pcap_dump_fopen)
#define pcap_dump (*nrb_pcap_fn.pcap_dump)
#define pcap_dump_close (*nrb_pcap_fn.pcap_dump_close)
#endif

#endif
