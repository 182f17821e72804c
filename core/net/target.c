/* target: probe targets as typed, checked before anything is resolved or sent (see
 * target.h). */
#include "net/target.h"
#include "util/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The target as it may appear in a message: at most 64 characters, anything but
 * printable ASCII shown as '?' (the text came from a command line or a runbook). */
static const char *shown(const char *text, char *buf, size_t len)
{
	size_t i, n = strlen(text);

	for (i = 0; i < n && i + 4 < len && i < 64; i++)
		buf[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	if (i < n && i + 4 <= len)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A label inet_aton reads as a number: decimal digits (octal when they start with 0), or
 * 0x/0X and hex digits, none at all included ("0x" is 0 to it). */
static int numeric_label(const char *s, size_t n)
{
	size_t i;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!is_hex(s[i]))
				return 0;
		return 1;
	}
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* The name rules of target.h over text[0, end). */
static int name_ok(const char *text, size_t end)
{
	size_t start = 0;

	if (end == 0 || end > NRB_TARGET_NAME_MAX)
		return 0;
	while (start <= end) {
		size_t i = start;

		while (i < end && text[i] != '.')
			i++;
		if (i == start || i - start > 63 || text[start] == '-')
			return 0;
		for (size_t j = start; j < i; j++) {
			char c = text[j];

			if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      c == '-' || c == '_'))
				return 0;
		}
		start = i + 1;
	}
	return 1;
}

int nrb_target_parse(const char *text, struct nrb_pkt_addr *out, char *err, size_t errlen)
{
	struct nrb_pkt_addr tmp;
	char buf[80];
	size_t len, end, last;

	if (!out)
		out = &tmp;
	memset(out, 0, sizeof *out);
	if (!text || !text[0])
		return nrb_err(err, errlen, EINVAL, "the target is empty");
	if (nrb_pkt_addr_from_string(out, text) == 0)
		return NRB_TARGET_ADDRESS;
	len = strlen(text);
	if (strchr(text, ':'))
		return nrb_err(err, errlen, EINVAL, "'%s' is not a valid IPv6 address%s",
		               shown(text, buf, sizeof buf), strchr(text, '%') ?
		               " (an address with a scope such as %eth0 cannot be a target)" : "");
	/* the last label, without the one trailing dot a name may have */
	end = text[len - 1] == '.' ? len - 1 : len;
	last = end;
	while (last > 0 && text[last - 1] != '.')
		last--;
	if (numeric_label(text + last, end - last))
		return nrb_err(err, errlen, EINVAL,
		               "'%s' is not a valid IPv4 address (four decimal numbers 0-255 "
		               "without leading zeros, such as 192.0.2.1)", shown(text, buf, sizeof buf));
	if (!name_ok(text, end))
		return nrb_err(err, errlen, EINVAL, "'%s' is not a host name or IP address",
		               shown(text, buf, sizeof buf));
	return NRB_TARGET_NAME;
}

int nrb_target_check_dest(const struct nrb_pkt_addr *a, char *err, size_t errlen)
{
	static const uint8_t zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const uint8_t *b;
	char text[64];

	if (!a || (a->af != AF_INET && a->af != AF_INET6))
		return nrb_err(err, errlen, EINVAL, "no target address");
	b = a->bytes;
	nrb_pkt_addr_to_string(a, text, sizeof text);
	if (a->af == AF_INET) {
		if (memcmp(b, zero, 4) == 0)
			return nrb_err(err, errlen, EINVAL, "%s is the unspecified address, not a host", text);
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return nrb_err(err, errlen, EINVAL,
			               "%s is the broadcast address: nrb probes one host", text);
		if ((b[0] & 0xf0) == 224)
			return nrb_err(err, errlen, EINVAL,
			               "%s is a multicast address (224.0.0.0/4): nrb probes one host, not a group",
			               text);
		return 0;
	}
	if (memcmp(b, zero, 16) == 0)
		return nrb_err(err, errlen, EINVAL, "%s is the unspecified address, not a host", text);
	if (b[0] == 0xff)
		return nrb_err(err, errlen, EINVAL,
		               "%s is a multicast address (ff00::/8): nrb probes one host, not a group", text);
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return nrb_err(err, errlen, EINVAL,
		               "%s is an IPv6 link-local address (fe80::/10): it is reachable only "
		               "through an interface named with it, which nrb's probes do not take; "
		               "give one of the host's global addresses", text);
	if (memcmp(b, mapped, 12) == 0)
		return nrb_err(err, errlen, EINVAL,
		               "%s is an IPv4-mapped IPv6 address: give the IPv4 address %u.%u.%u.%u",
		               text, b[12], b[13], b[14], b[15]);
	return 0;
}

int nrb_target_check(const char *text, struct nrb_pkt_addr *out, char *err, size_t errlen)
{
	struct nrb_pkt_addr tmp;
	int kind, rc;

	if (!out)
		out = &tmp;
	kind = nrb_target_parse(text, out, err, errlen);
	if (kind != NRB_TARGET_ADDRESS)
		return kind;
	rc = nrb_target_check_dest(out, err, errlen);
	return rc < 0 ? rc : kind;
}
