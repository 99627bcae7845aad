/*
 * dns: a strict parser for DNS responses seen on the wire.
 *
 * The input is hostile: any process can send a UDP packet from port 53.
 * Every read is bounds-checked against the message length, compression
 * pointers may only point backwards and are followed at most 16 times per
 * name, names are limited to 253 characters of [A-Za-z0-9-_.*] in labels of
 * 1..63 bytes (lowercased), and any violation rejects the whole message.
 * Only the question name and the A/AAAA records of the answer section are
 * kept: a CNAME chain resolves, in the end, to addresses for the name the
 * program asked for, and that is the name policy talks about.
 */
#include <errno.h>
#include <string.h>

#include "collectd.h"

#define T_A	1
#define T_AAAA	28

static int
get16(const uint8_t *m, size_t len, size_t off, uint16_t *v)
{
	if (off + 2 > len)
		return -EINVAL;
	*v = (uint16_t)(m[off] << 8 | m[off + 1]);
	return 0;
}

/*
 * Read the name at *off into out (or skip it when out is NULL) and move
 * *off past it.
 */
static int
get_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
	size_t p = *off, o = 0, end = 0;
	int jumps = 0, jumped = 0;

	for (;;) {
		uint8_t l;
		size_t i;

		if (p >= len)
			return -EINVAL;
		l = m[p];
		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= len || ++jumps > 16)
				return -EINVAL;
			target = (size_t)(l & 0x3f) << 8 | m[p + 1];
			if (target >= p)	/* only backwards: no loops */
				return -EINVAL;
			if (!jumped)
				end = p + 2;
			jumped = 1;
			p = target;
			continue;
		}
		if ((l & 0xc0) != 0)
			return -EINVAL;		/* 0x40, 0x80: not used */
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + l > len)
			return -EINVAL;
		if (o + l + 1 > DNS_NAME_MAX - 1)
			return -EINVAL;
		for (i = 0; i < l; i++) {
			uint8_t c = m[p + 1 + i];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			else if (!((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			    c == '*'))
				return -EINVAL;
			if (out != NULL)
				out[o] = (char)c;
			o++;
		}
		if (out != NULL)
			out[o] = '.';
		o++;
		p += 1 + l;
	}
	if (out != NULL) {
		if (o == 0) {
			out[0] = '.';		/* the root */
			out[1] = '\0';
		} else {
			out[o - 1] = '\0';	/* drop the final dot */
		}
	}
	*off = end;
	return 0;
}

int
dns_parse(const uint8_t *m, size_t len, struct dns_answer *out)
{
	uint16_t flags, qd, an, i;
	size_t off = 12;

	memset(out, 0, sizeof(*out));
	out->ttl = UINT32_MAX;
	if (len < 12 || len > 65535)
		return -EINVAL;
	flags = (uint16_t)(m[2] << 8 | m[3]);
	qd = (uint16_t)(m[4] << 8 | m[5]);
	an = (uint16_t)(m[6] << 8 | m[7]);
	if (!(flags & 0x8000) || qd != 1)	/* a response to one question */
		return -EINVAL;
	if (get_name(m, len, &off, out->qname) < 0 || off + 4 > len)
		return -EINVAL;
	if (out->qname[0] == '.' || out->qname[0] == '\0')
		return -EINVAL;
	off += 4;				/* qtype, qclass */
	if ((flags & 0x000f) != 0)		/* rcode: NXDOMAIN, SERVFAIL... */
		return -ENOENT;
	for (i = 0; i < an; i++) {
		uint16_t type, class, rdlen;
		uint32_t ttl;

		if (get_name(m, len, &off, NULL) < 0 ||
		    get16(m, len, off, &type) < 0 ||
		    get16(m, len, off + 2, &class) < 0 ||
		    off + 10 > len)
			return -EINVAL;
		ttl = (uint32_t)m[off + 4] << 24 | (uint32_t)m[off + 5] << 16 |
		    (uint32_t)m[off + 6] << 8 | m[off + 7];
		if (get16(m, len, off + 8, &rdlen) < 0)
			return -EINVAL;
		off += 10;
		if (off + rdlen > len)
			return -EINVAL;
		if (class == 1 && ((type == T_A && rdlen == 4) ||
		    (type == T_AAAA && rdlen == 16)) &&
		    out->naddr < WIRE_DNS_ADDRS_MAX) {
			out->addr[out->naddr].family = type == T_A ? 4 : 6;
			memcpy(out->addr[out->naddr].addr, m + off, rdlen);
			out->naddr++;
			if (ttl < out->ttl)
				out->ttl = ttl;
		} else if ((type == T_A || type == T_AAAA) && class == 1) {
			return -EINVAL;		/* wrong length */
		}
		off += rdlen;
	}
	if (out->naddr == 0) {
		out->ttl = 0;
		return -ENOENT;
	}
	return 0;
}
