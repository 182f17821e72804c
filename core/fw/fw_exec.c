/* fw_exec: read the live ruleset by running nft / iptables-save (see fw.h).
 *
 * This is the only code in nrb that executes programs.  Programs are named by fixed
 * absolute paths, get a fixed argv and an environment of two fixed variables (never the
 * caller's: a PATH or LD_PRELOAD override must not choose what runs, cf. mtr's
 * CVE-2025-49809), no shell, stdin from /dev/null, and their output is bounded in size
 * and time.  Nothing here changes a ruleset. */
#include "fw/fw_int.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE_MAX_BYTES (NRB_FW_MAX_INPUT)
#define LIVE_TIMEOUT_MS 10000
#define ERR_KEEP 1024 /* bytes of the program's stderr kept for the message */

static void child(const char *path, char *const argv[], int out, int errfd, int netns_fd)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	int devnull;

	/* the program lists the rules of the namespace it runs in */
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) {
		dprintf(errfd, "setns: %s\n", strerror(errno));
		_exit(errno == EPERM ? 125 : 126);
	}
	devnull = open("/dev/null", O_RDONLY);

	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	/* close everything else we might have inherited (sockets, capture handles) */
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	/* a clean signal state: default actions, nothing blocked (execve keeps both) */
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	execve(path, argv, envp);
	_exit(127);
}

static int looks_like_eperm(const char *s)
{
	return strstr(s, "Permission denied") || strstr(s, "Operation not permitted") ||
	       strstr(s, "you must be root");
}

static int run_in(int netns_fd, const char *path, char *const argv[], size_t max_bytes,
                  int timeout_ms, char **out, size_t *out_len, char *err, size_t errlen)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	char ebuf[ERR_KEEP + 1];
	size_t elen = 0, len = 0, cap = 0;
	char *buf = NULL;
	uint64_t deadline;
	pid_t pid;
	int status = 0, rc = 0, open_fds = 2;

	if (!path || path[0] != '/' || !argv || !argv[0] || !out || !out_len || timeout_ms <= 0)
		return nrb_err(err, errlen, EINVAL, "run: bad arguments");
	*out = NULL;
	*out_len = 0;
	if (access(path, X_OK) != 0)
		return nrb_err(err, errlen, errno == EACCES ? EACCES : ENOENT,
		               "%s is not installed (or not executable): %s", path, strerror(errno));
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		rc = nrb_err(err, errlen, errno, "pipe: %s", strerror(errno));
		goto close_pipes;
	}
	pid = fork();
	if (pid < 0) {
		rc = nrb_err(err, errlen, errno, "fork: %s", strerror(errno));
		goto close_pipes;
	}
	if (pid == 0)
		child(path, argv, po[1], pe[1], netns_fd);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	deadline = nrb_now_us() + (uint64_t)timeout_ms * 1000u;
	while (open_fds > 0 && rc == 0) {
		struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		uint64_t now = nrb_now_us();
		int n;

		if (now >= deadline) {
			rc = nrb_err(err, errlen, ETIMEDOUT, "%s did not finish within %d ms", path, timeout_ms);
			break;
		}
		if (nrb_interrupted()) {
			rc = nrb_err(err, errlen, EINTR, "%s: interrupted", path);
			break;
		}
		n = poll(pf, 2, (int)((deadline - now) / 1000u) + 1);
		if (n < 0 && errno != EINTR) {
			rc = nrb_err(err, errlen, errno, "poll: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (pf[0].fd >= 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r;

			if (cap - len < 65536) {
				size_t nc = cap ? cap * 2 : 131072;
				char *nb;

				if (nc > max_bytes + 65537)
					nc = max_bytes + 65537;
				nb = realloc(buf, nc);
				if (!nb) {
					rc = nrb_err(err, errlen, ENOMEM, "out of memory reading %s", path);
					break;
				}
				buf = nb;
				cap = nc;
			}
			r = read(po[0], buf + len, cap - len - 1);
			if (r > 0) {
				len += (size_t)r;
				if (len > max_bytes)
					rc = nrb_err(err, errlen, E2BIG, "%s printed more than %zu bytes", path,
					             max_bytes);
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(po[0]);
				po[0] = -1;
				open_fds--;
			}
		}
		if (pf[1].fd >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char tmp[4096];
			ssize_t r = read(pe[0], tmp, sizeof tmp);

			if (r > 0) {
				size_t k = (size_t)r;

				if (k > ERR_KEEP - elen)
					k = ERR_KEEP - elen;
				memcpy(ebuf + elen, tmp, k);
				elen += k;
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(pe[0]);
				pe[0] = -1;
				open_fds--;
			}
		}
	}
	if (rc)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ebuf[elen] = '\0';
	while (elen && (ebuf[elen - 1] == '\n' || ebuf[elen - 1] == ' '))
		ebuf[--elen] = '\0';
	if (rc == 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && len == 0)
			rc = nrb_err(err, errlen, ENOENT, "%s could not be executed", path);
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			int code = (looks_like_eperm(ebuf) ||
			            (WIFEXITED(status) && WEXITSTATUS(status) == 125)) ? EPERM : EIO;

			rc = nrb_err(err, errlen, code, "%s failed (%s %d)%s%s", path,
			             WIFEXITED(status) ? "exit status" : "signal",
			             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			             elen ? ": " : "", ebuf);
		}
	}
	if (rc) {
		free(buf);
		buf = NULL;
	} else {
		if (!buf && !(buf = malloc(1)))
			rc = nrb_err(err, errlen, ENOMEM, "out of memory");
		else {
			buf[len] = '\0';
			*out = buf;
			*out_len = len;
		}
	}
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return rc;
}

int nrb_fw_run(const char *path, char *const argv[], size_t max_bytes, int timeout_ms,
               char **out, size_t *out_len, char *err, size_t errlen)
{
	return run_in(-1, path, argv, max_bytes, timeout_ms, out, out_len, err, errlen);
}

/* Legacy (x_tables) tables exist when the kernel lists their names in procfile
 * (/proc/net/ip_tables_names).  /proc/net is the namespace of the process reading it, so
 * for another namespace a child enters it and reads there (only syscalls between fork and
 * _exit: this process may have threads).
 * @return 1 tables listed, 0 none (or no x_tables in that kernel), -errno could not tell */
static int legacy_tables_present(int netns_fd, const char *procfile)
{
	char buf[64];
	pid_t pid;
	int status, fd;
	ssize_t n;

	if (netns_fd < 0) {
		fd = open(procfile, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		n = read(fd, buf, sizeof buf);
		close(fd);
		return n > 0;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setns(netns_fd, CLONE_NEWNET) != 0)
			_exit(2);
		fd = open(procfile, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		n = read(fd, buf, sizeof buf);
		_exit(n > 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		return -EPERM;
	return WEXITSTATUS(status) == 0;
}

static int is_legacy_binary(const char *path)
{
	char real[PATH_MAX];

	return realpath(path, real) && strstr(real, "legacy") != NULL;
}

static void add_problem(char **problems, const char *msg)
{
	size_t old = *problems ? strlen(*problems) : 0;
	char *n = realloc(*problems, old + strlen(msg) + 2);

	if (!n)
		return;
	if (!old)
		n[0] = '\0';
	strcat(n, msg);
	strcat(n, "\n");
	*problems = n;
}

/* The sources nrb reads, in order; nft last: its listing repeats the iptables-nft tables
 * read before it, which it then skips. */
static const struct fw_live_src live_sources[] = {
	{NRB_FW_READ_IPTABLES, NRB_FW_IPTABLES_SAVE_PATH, "-c", "iptables-save", 4, NULL, NULL},
	{NRB_FW_READ_IPTABLES, "/usr/sbin/iptables-legacy-save", "-c", "iptables-legacy-save", 4,
	 "/proc/net/ip_tables_names", NRB_FW_IPTABLES_SAVE_PATH},
	{NRB_FW_READ_IP6TABLES, NRB_FW_IP6TABLES_SAVE_PATH, "-c", "ip6tables-save", 6, NULL, NULL},
	{NRB_FW_READ_IP6TABLES, "/usr/sbin/ip6tables-legacy-save", "-c", "ip6tables-legacy-save", 6,
	 "/proc/net/ip6_tables_names", NRB_FW_IP6TABLES_SAVE_PATH},
	{NRB_FW_READ_NFT, NRB_FW_NFT_PATH, NULL, "nft", 0, NULL, NULL},
};

int fw_read_sources(int netns_fd, const struct fw_live_src *src, size_t nsrc, unsigned flags,
                    struct nrb_fw_ruleset **out, char **problems, char *err, size_t errlen)
{
	struct nrb_fw_ruleset *rs;
	int ok = 0, eperm = 0, enoent = 0, tried = 0, nft_ok = 0;
	struct {
		const struct fw_live_src *s; /* the source that failed */
		int e;                       /* how (-errno) */
		char msg[1024];              /* why */
	} *failed;
	size_t nfailed = 0;

	if (!out || !problems || !src)
		return nrb_err(err, errlen, EINVAL, "read_live: bad arguments");
	*out = NULL;
	*problems = NULL;
	if (!(flags & NRB_FW_READ_ALL))
		return nrb_err(err, errlen, EINVAL, "read_live: nothing to read");
	rs = nrb_fw_ruleset_new();
	failed = calloc(nsrc ? nsrc : 1, sizeof(*failed));
	if (!rs || !failed) {
		nrb_fw_ruleset_free(rs);
		free(failed);
		return nrb_err(err, errlen, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nsrc; i++) {
		const struct fw_live_src *s = &src[i];
		char *text = NULL, *msg = failed[nfailed].msg;
		size_t len = 0, msglen = sizeof failed[nfailed].msg;
		int e;

		if (!(flags & s->flag))
			continue;
		if (s->legacy_proc) {
			/* only when the namespace has legacy tables, and the main binary is not
			 * itself the legacy one (then it listed them already) */
			int present;

			if (s->main_path && is_legacy_binary(s->main_path))
				continue;
			present = legacy_tables_present(netns_fd, s->legacy_proc);
			if (present == 0)
				continue;
			if (present < 0)
				e = nrb_err(msg, msglen, -present, "%s: cannot tell whether legacy tables exist (%s): %s",
				            s->name, s->legacy_proc, strerror(-present));
			else if (access(s->path, X_OK) != 0)
				e = nrb_err(msg, msglen, ENOENT, "%s: the kernel lists legacy (x_tables) tables in %s but %s is not installed",
				            s->name, s->legacy_proc, s->path);
			else
				e = 0;
			if (e) {
				failed[nfailed].s = s;
				failed[nfailed++].e = e;
				add_problem(problems, msg);
				continue;
			}
		}
		tried++;
		{
			char *argv[] = {(char *)s->path, s->ipv ? (char *)s->argv1 : "-j",
			                s->ipv ? NULL : "list", s->ipv ? NULL : "ruleset", NULL};

			e = run_in(netns_fd, s->path, argv, LIVE_MAX_BYTES, LIVE_TIMEOUT_MS, &text, &len, msg,
			           msglen);
		}
		if (e == 0) {
			if (s->ipv)
				e = nrb_fw_parse_iptables(rs, text, len, s->ipv, s->name, msg, msglen);
			else if (len == 0)
				e = 0; /* nft prints nothing for an empty ruleset */
			else
				e = nrb_fw_parse_nft_json(rs, text, len, s->name, 1, msg, msglen);
		}
		free(text);
		if (e == 0) {
			ok++;
			nft_ok |= s->ipv == 0;
			continue;
		}
		if (e == -EPERM || e == -EACCES)
			eperm++;
		if (e == -ENOENT)
			enoent++;
		failed[nfailed].s = s;
		failed[nfailed++].e = e;
		add_problem(problems, msg);
	}
	if (ok == 0) {
		int code = eperm ? EPERM : (tried && enoent == tried ? ENOENT : EIO);

		nrb_err(err, errlen, code, "could not read any firewall ruleset%s: %s",
		        code == EPERM ? " (run as root or with CAP_NET_ADMIN)" : "",
		        *problems ? *problems : "nothing to read");
		if (err && errlen) {
			size_t l = strlen(err);

			while (l && err[l - 1] == '\n')
				err[--l] = '\0';
		}
		nrb_fw_ruleset_free(rs);
		free(failed);
		return -code;
	}
	/* What could not be read makes every answer uncertain.  One exception: iptables-save
	 * not installed while nft was read -- nft lists the iptables-nft tables itself, and
	 * legacy tables were checked for separately above. */
	for (size_t i = 0; i < nfailed; i++) {
		if (failed[i].e == -ENOENT && failed[i].s->ipv && !failed[i].s->legacy_proc && nft_ok)
			continue;
		if (nrb_fw_ruleset_add_unread(rs, failed[i].msg)) {
			nrb_fw_ruleset_free(rs);
			free(failed);
			return nrb_err(err, errlen, ENOMEM, "out of memory");
		}
	}
	free(failed);
	*out = rs;
	return 0;
}

static int read_live(int netns_fd, unsigned flags, struct nrb_fw_ruleset **out,
                     char **problems, char *err, size_t errlen)
{
	return fw_read_sources(netns_fd, live_sources, sizeof live_sources / sizeof live_sources[0],
	                       flags, out, problems, err, errlen);
}

int nrb_fw_read_live(unsigned flags, struct nrb_fw_ruleset **out, char **problems, char *err,
                     size_t errlen)
{
	return read_live(-1, flags, out, problems, err, errlen);
}

int nrb_fw_read_live_netns(const char *netns, unsigned flags, struct nrb_fw_ruleset **out,
                           char **problems, char *err, size_t errlen)
{
	char path[256];
	int fd, rc;

	if (!netns || !*netns)
		return nrb_err(err, errlen, EINVAL, "read_live_netns: no namespace given");
	if (!strcmp(netns, "host"))
		snprintf(path, sizeof path, "/proc/1/ns/net");
	else if (netns[0] == '/')
		snprintf(path, sizeof path, "%s", netns);
	else if (strchr(netns, '/') || !strcmp(netns, "..") || !strcmp(netns, ".") ||
	         strlen(netns) > 200)
		return nrb_err(err, errlen, EINVAL, "bad network namespace name '%.64s'", netns);
	else
		snprintf(path, sizeof path, "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nrb_err(err, errlen, errno == EACCES || errno == EPERM ? EPERM : ENOENT,
		               "network namespace %s: %s", path, strerror(errno));
	rc = read_live(fd, flags, out, problems, err, errlen);
	close(fd);
	return rc;
}
