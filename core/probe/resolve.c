/* Name resolution probe: getaddrinfo() with timing (see probe.h). */
#include "net/target.h"
#include "probe/probe.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

int nrb_resolve(const char *host, int family, struct nrb_resolve_result *res,
                char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL, *p;
	uint64_t start;
	int rc, kind;

	if (!host || !res)
		return nrb_err(err, errlen, EINVAL, "resolve: no host");
	if (host[0] == '\0' || strlen(host) > 253)
		return nrb_err(err, errlen, EINVAL, "resolve: host name must be 1..253 characters");
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return nrb_err(err, errlen, EINVAL, "resolve: bad address family %d", family);
	/* Before the resolver sees it: getaddrinfo reads `1.2.3` as 1.2.0.3 (inet_aton) and
	 * asks DNS about `999.1.1.1`; a target that is neither an address nor a name is
	 * refused here (net/target.h). */
	kind = nrb_target_parse(host, NULL, err, errlen);
	if (kind < 0)
		return kind;
	memset(res, 0, sizeof *res);
	res->is_literal = kind == NRB_TARGET_ADDRESS;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	if (res->is_literal)
		hints.ai_flags = AI_NUMERICHOST; /* never a DNS query for an address */
	hints.ai_socktype = SOCK_STREAM; /* one entry per address, not per socket type */
	start = nrb_now_us();
	rc = getaddrinfo(host, NULL, &hints, &ai);
	res->elapsed_us = nrb_now_us() - start;
	res->gai_error = rc;
	if (rc != 0) {
		snprintf(res->error, sizeof res->error, "%s",
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return 0;
	}
	for (p = ai; p && res->count < NRB_RESOLVE_MAX; p = p->ai_next) {
		char buf[64];
		const void *a;
		int dup = 0;

		if (p->ai_family == AF_INET)
			a = &((struct sockaddr_in *)p->ai_addr)->sin_addr;
		else if (p->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(p->ai_family, a, buf, sizeof buf))
			continue;
		for (int i = 0; i < res->count; i++)
			dup |= strcmp(res->addrs[i], buf) == 0;
		if (dup)
			continue;
		memcpy(res->addrs[res->count], buf, sizeof buf);
		res->families[res->count] = p->ai_family;
		res->count++;
	}
	freeaddrinfo(ai);
	res->ok = res->count > 0;
	if (!res->ok)
		snprintf(res->error, sizeof res->error, "no IPv4 or IPv6 address");
	return 0;
}
