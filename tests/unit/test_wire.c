/*
 * test_wire: every record kind round-trips, and every kind of malformed body
 * is rejected with a reason instead of crashing or leaking.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "evbatch.h"
#include "wire.h"

static char err[WIRE_ERRLEN];

static struct wire_event *
sample_exec(void)
{
	static struct wire_proc steps[2];
	static struct wire_event e;
	static const char argv[] = "cat\0/etc/hostname\0";

	memset(&e, 0, sizeof(e));
	e.type = EV_EXEC;
	e.wkind = WL_PADDOCK;
	e.ts = 1732800000123456789ull;
	snprintf(e.host, sizeof(e.host), "web-01");
	snprintf(e.workload, sizeof(e.workload), "demo-agent");
	e.cgid = 4242;
	e.pid = 100;
	e.ppid = 99;
	e.uid = 1000;
	e.euid = 0;
	e.exe = "/usr/bin/cat";
	e.argv.buf = (char *)argv;
	e.argv.len = sizeof(argv) - 1;
	e.argv.argc = 2;
	e.argv_trunc = 1;
	steps[0] = (struct wire_proc){ 99, "/usr/bin/bash", "bash -c cat" };
	steps[1] = (struct wire_proc){ 100, "/usr/bin/cat", "cat /etc/hostname" };
	e.lineage.v = steps;
	e.lineage.n = 2;
	return &e;
}

static void
roundtrip(enum wire_kind kind, const void *rec, void *out)
{
	struct wire_buf b = { 0 };
	struct wire_buf b2 = { 0 };

	assert_int_equal(wire_encode(kind, rec, &b, err, sizeof(err)), 0);
	assert_int_equal(wire_decode(kind, b.data, b.len, out, err, sizeof(err)), 0);
	/* Re-encoding the decoded record gives the same bytes. */
	assert_int_equal(wire_encode(kind, out, &b2, err, sizeof(err)), 0);
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	wire_buf_free(&b);
	wire_buf_free(&b2);
}

static void
test_event_exec_roundtrip(void **state)
{
	struct wire_event *e = sample_exec(), d;

	roundtrip(WK_EVENT, e, &d);
	assert_int_equal(d.type, EV_EXEC);
	assert_int_equal(d.ts, e->ts);
	assert_string_equal(d.host, "web-01");
	assert_string_equal(d.workload, "demo-agent");
	assert_int_equal(d.wkind, WL_PADDOCK);
	assert_int_equal(d.cgid, 4242);
	assert_int_equal(d.pid, 100);
	assert_int_equal(d.ppid, 99);
	assert_int_equal(d.uid, 1000);
	assert_string_equal(d.exe, "/usr/bin/cat");
	assert_int_equal(d.argv.argc, 2);
	assert_memory_equal(d.argv.buf, "cat\0/etc/hostname\0", d.argv.len);
	assert_int_equal(d.argv_trunc, 1);
	assert_int_equal(d.lineage.n, 2);
	assert_string_equal(d.lineage.v[0].exe, "/usr/bin/bash");
	assert_string_equal(d.lineage.v[1].args, "cat /etc/hostname");
	wire_free(WK_EVENT, &d);
}

static void
test_event_variants_roundtrip(void **state)
{
	struct wire_event e, d;
	char *answers[] = { "10.0.0.1", "2001:db8::1" };
	unsigned t;

	for (t = EV_OPEN; t < EV__MAX; t++) {
		memset(&e, 0, sizeof(e));
		e.type = (uint8_t)t;
		e.ts = 1;
		snprintf(e.workload, sizeof(e.workload), "w");
		snprintf(e.host, sizeof(e.host), "h");
		e.pid = 7;
		e.exe = "/bin/x";
		switch (t) {
		case EV_OPEN:
			e.path = "/etc/passwd";
			e.mode = WM_READ | WM_WRITE;
			e.result = -13;
			e.resolved = 1;
			break;
		case EV_DNS:
			e.qname = "api.openai.com";
			e.answers.v = answers;
			e.answers.n = 2;
			e.ttl = 60;
			break;
		case EV_SYSCALLS:
			e.syscalls[0] = 0x81;
			e.syscalls[63] = 0x80;
			break;
		case EV_LOSS:
			e.lost = 12345;
			break;
		case EV_ACTIVE:
			e.span = 60000000000ull;
			e.procs = 3;
			break;
		default:
			e.family = 6;
			e.proto = WP_UDP;
			snprintf(e.addr, sizeof(e.addr), "::1");
			e.port = 53;
			e.name = "localhost";
			break;
		}
		roundtrip(WK_EVENT, &e, &d);
		assert_int_equal(d.type, t);
		if (t == EV_OPEN) {
			assert_string_equal(d.path, "/etc/passwd");
			assert_int_equal(d.result, -13);
			assert_int_equal(d.mode, WM_READ | WM_WRITE);
		} else if (t == EV_DNS) {
			assert_int_equal(d.answers.n, 2);
			assert_string_equal(d.answers.v[1], "2001:db8::1");
		} else if (t == EV_SYSCALLS) {
			assert_int_equal(d.syscalls[0], 0x81);
			assert_int_equal(d.syscalls[63], 0x80);
		} else if (t == EV_LOSS) {
			assert_int_equal(d.lost, 12345);
		} else if (t == EV_ACTIVE) {
			assert_int_equal(d.span, 60000000000ull);
			assert_int_equal(d.procs, 3);
			assert_int_equal(d.pid, 0);	/* not part of it */
		} else {
			assert_string_equal(d.addr, "::1");
			assert_int_equal(d.port, 53);
			assert_string_equal(d.name, "localhost");
		}
		wire_free(WK_EVENT, &d);
	}
}

static void
test_other_kinds_roundtrip(void **state)
{
	struct wire_entry ent = { .dim = WD_FILE, .key = "/tmp/*/x",
	    .mode = WM_READ, .first = 1, .last = 2, .count = 3 };
	char *hosts[] = { "a", "b" };
	char *reasons[] = { "external-facing" };
	struct wire_rule rules[] = {
		{ .dim = WD_EXEC, .pattern = "/usr/bin/node" },
		{ .dim = WD_NET, .pattern = "api.openai.com", .port = 443,
		    .proto = WP_TCP },
	};
	struct wire_proc step = { 1, "/sbin/init", "" };
	struct wire_profile p = { .rev = 9, .ts = 5, .status = WS_STABLE,
	    .complete = 1, .ai = 1, .novelty = 0.5, .trend = -0.25, .risk = 70 };
	struct wire_policy y = { .rev = 3, .ts = 4,
	    .modes = { WMODE_BLOCK, WMODE_ALERT, WMODE_OFF, WMODE_ALERT } };
	struct wire_policy_ack a = { .rev = 3, .ts = 6, .ok = 1,
	    .message = "applied", .backends = "exec=signal" };
	struct wire_violation v = { .ts = 1, .dim = WD_NET,
	    .action = WA_DENIED, .rev = 3, .pid = 55, .exe = "/usr/bin/curl",
	    .family = 4, .proto = WP_TCP, .port = 443, .syscall = -1,
	    .suppressed = 2, .dropped = 7 };
	struct wire_audit au = { .seq = 1, .ts = 2, .actor = "user:root",
	    .action = "promote", .before = "learning", .after = "alert",
	    .reason = "ready" };
	struct wire_command c = { .ts = 1, .user = "root", .op = "promote",
	    .arg = "alert", .force = 1, .text = "a: b\n" };
	struct wire_reply r = { .ok = 0, .code = -ENOENT,
	    .message = "unknown workload" };
	union {
		struct wire_profile p;
		struct wire_policy y;
		struct wire_policy_ack a;
		struct wire_violation v;
		struct wire_audit au;
		struct wire_command c;
		struct wire_reply r;
	} d;

	ent.hosts.v = hosts;
	ent.hosts.n = 2;
	snprintf(p.workload, sizeof(p.workload), "w");
	p.reasons.v = reasons;
	p.reasons.n = 1;
	p.counts[WD_FILE] = 1;
	p.added.v = &ent;
	p.added.n = 1;
	roundtrip(WK_PROFILE, &p, &d.p);
	assert_int_equal(d.p.added.n, 1);
	assert_string_equal(d.p.added.v[0].key, "/tmp/*/x");
	assert_string_equal(d.p.added.v[0].hosts.v[1], "b");
	assert_true(d.p.trend < -0.2 && d.p.trend > -0.3);
	assert_string_equal(d.p.reasons.v[0], "external-facing");
	wire_free(WK_PROFILE, &d.p);

	snprintf(y.workload, sizeof(y.workload), "w");
	y.rules.v = rules;
	y.rules.n = 2;
	y.syscalls[1] = 0xff;
	roundtrip(WK_POLICY, &y, &d.y);
	assert_int_equal(d.y.modes[WD_EXEC], WMODE_BLOCK);
	assert_int_equal(d.y.rules.n, 2);
	assert_int_equal(d.y.rules.v[1].port, 443);
	wire_free(WK_POLICY, &d.y);

	snprintf(a.workload, sizeof(a.workload), "w");
	snprintf(a.host, sizeof(a.host), "h");
	roundtrip(WK_POLICY_ACK, &a, &d.a);
	assert_string_equal(d.a.backends, "exec=signal");
	wire_free(WK_POLICY_ACK, &d.a);

	snprintf(v.workload, sizeof(v.workload), "w");
	snprintf(v.host, sizeof(v.host), "h");
	snprintf(v.addr, sizeof(v.addr), "203.0.113.9");
	v.lineage.v = &step;
	v.lineage.n = 1;
	roundtrip(WK_VIOLATION, &v, &d.v);
	assert_int_equal(d.v.syscall, -1);
	assert_int_equal(d.v.suppressed, 2);
	assert_int_equal(d.v.dropped, 7);
	assert_int_equal(d.v.lineage.n, 1);
	wire_free(WK_VIOLATION, &d.v);
	/* read is syscall 0: a number like any other, never "absent". */
	v.syscall = 0;
	v.dim = WD_SYSCALL;
	roundtrip(WK_VIOLATION, &v, &d.v);
	assert_int_equal(d.v.syscall, 0);
	wire_free(WK_VIOLATION, &d.v);
	v.syscall = -1;

	snprintf(au.workload, sizeof(au.workload), "w");
	memset(au.prev, '0', 64);
	memset(au.hash, 'a', 64);
	roundtrip(WK_AUDIT, &au, &d.au);
	assert_string_equal(d.au.after, "alert");
	wire_free(WK_AUDIT, &d.au);

	snprintf(c.id, sizeof(c.id), "c1");
	roundtrip(WK_COMMAND, &c, &d.c);
	assert_string_equal(d.c.text, "a: b\n");
	wire_free(WK_COMMAND, &d.c);

	snprintf(r.id, sizeof(r.id), "c1");
	roundtrip(WK_REPLY, &r, &d.r);
	assert_int_equal(d.r.code, -ENOENT);
	wire_free(WK_REPLY, &d.r);
}

static struct wire_buf
encoded_exec(void)
{
	struct wire_buf b = { 0 };

	assert_int_equal(wire_encode(WK_EVENT, sample_exec(), &b, err,
	    sizeof(err)), 0);
	return b;
}

/* A bare event of type t by workload w on host "h". */
static void
ev_min(struct wire_event *e, unsigned t, const char *w)
{
	memset(e, 0, sizeof(*e));
	e->type = (uint8_t)t;
	e->ts = 1;
	snprintf(e->workload, sizeof(e->workload), "%s", w);
	snprintf(e->host, sizeof(e->host), "h");
}

/*
 * Names are bytes, the wire is text: what is not UTF-8 travels as \xHH
 * (and a backslash that would read as an escape as \x5c), so every field
 * survives a JSON or YAML printer; a raw byte on the wire is refused.
 */
static void
test_non_utf8_escaped_never_dropped(void **state)
{
	struct wire_event e, d;
	struct wire_buf b = { 0 };
	char back[64], longp[WIRE_PATH_MAX];
	static const char argv[] = "cat\0/tmp/\xc3\0";
	char *raw;
	int cut;

	ev_min(&e, EV_OPEN, "w\xff");
	e.pid = 7;
	e.exe = "/bin/caf\xc3\xa9";		/* UTF-8: kept as is */
	e.path = "/tmp/\xff\xfe \\x41 \\q";
	e.mode = WM_READ;
	assert_int_equal(wire_encode(WK_EVENT, &e, &b, err, sizeof(err)), 0);
	assert_int_equal(wire_decode(WK_EVENT, b.data, b.len, &d, err,
	    sizeof(err)), 0);
	assert_string_equal(d.path, "/tmp/\\xff\\xfe \\x5cx41 \\q");
	assert_string_equal(d.workload, "w\\xff");
	assert_string_equal(d.exe, "/bin/caf\xc3\xa9");
	/* The escape is exact: back to the very bytes. */
	assert_int_equal(wire_unescape(d.path, back, sizeof(back)),
	    (long)strlen(e.path));
	assert_string_equal(back, e.path);
	wire_free(WK_EVENT, &d);
	wire_buf_free(&b);

	/* argv: a lone lead byte is escaped too. */
	ev_min(&e, EV_EXEC, "w");
	e.exe = "/usr/bin/cat";
	e.argv.buf = (char *)argv;
	e.argv.len = sizeof(argv) - 1;
	e.argv.argc = 2;
	assert_int_equal(wire_encode(WK_EVENT, &e, &b, err, sizeof(err)), 0);
	assert_int_equal(wire_decode(WK_EVENT, b.data, b.len, &d, err,
	    sizeof(err)), 0);
	assert_string_equal(d.argv.buf + 4, "/tmp/\\xc3");
	wire_free(WK_EVENT, &d);
	wire_buf_free(&b);

	/* Longer than the bound once escaped: cut whole, marked "...". */
	memset(longp, 0xff, sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ev_min(&e, EV_OPEN, "w");
	e.exe = "/bin/x";
	e.path = longp;
	assert_int_equal(wire_encode(WK_EVENT, &e, &b, err, sizeof(err)), 0);
	assert_int_equal(wire_decode(WK_EVENT, b.data, b.len, &d, err,
	    sizeof(err)), 0);
	assert_true(strlen(d.path) <= WIRE_PATH_MAX);
	assert_memory_equal(d.path, "/\\xff\\xff", 9);
	assert_string_equal(d.path + strlen(d.path) - 7, "\\xff...");
	wire_free(WK_EVENT, &d);
	wire_buf_free(&b);

	/* A sender that did not escape: refused, said why. */
	e.path = "/tmp/@@";
	assert_int_equal(wire_encode(WK_EVENT, &e, &b, err, sizeof(err)), 0);
	raw = memmem(b.data, b.len, "/tmp/@@", 7);
	assert_non_null(raw);
	raw[5] = (char)0xff;
	raw[6] = (char)0xfe;
	assert_int_equal(wire_decode(WK_EVENT, b.data, b.len, &d, err,
	    sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "\"path\": string is not UTF-8"));
	wire_buf_free(&b);

	/* Text that came off the wire is never escaped twice: a record
	 * other than an event or a violation keeps its escapes as they are
	 * (only bytes that are not UTF-8 would be escaped there). */
	{
		struct wire_audit a, da;

		memset(&a, 0, sizeof(a));
		a.actor = "rule:x";
		a.action = "policy-apply";
		a.before = "/tmp/\\x5cx41 /tmp/\\xff";
		snprintf(a.workload, sizeof(a.workload), "dev-disk-by\\x2duuid");
		roundtrip(WK_AUDIT, &a, &da);
		assert_string_equal(da.before, a.before);
		assert_string_equal(da.workload, a.workload);
		wire_free(WK_AUDIT, &da);
	}

	/* Overlong forms and surrogates are not UTF-8 either. */
	assert_false(wire_text_ok("\xc0\xaf", 2));
	assert_false(wire_text_ok("\xed\xa0\x80", 3));
	assert_false(wire_text_ok("\xf4\x90\x80\x80", 4));
	assert_true(wire_text_ok("\xf0\x9f\x90\x8e", 4));
	wire_escape(back, 8, "\xff\xfe\xfd", 3, 1, &cut);
	assert_string_equal(back, "\\xff");
	assert_true(cut);
}

static void
test_truncated_rejected(void **state)
{
	struct wire_buf b = encoded_exec();
	struct wire_event d;
	size_t n;

	for (n = 0; n < b.len; n++) {
		assert_int_equal(wire_decode(WK_EVENT, b.data, n, &d, err,
		    sizeof(err)), -EPROTO);
		assert_true(strlen(err) > 0);
	}
	wire_buf_free(&b);
}

static void
test_trailing_bytes_rejected(void **state)
{
	struct wire_buf b = encoded_exec();
	struct wire_event d;
	char *p = malloc(b.len + 1);

	memcpy(p, b.data, b.len);
	p[b.len] = 0x01;
	assert_int_equal(wire_decode(WK_EVENT, p, b.len + 1, &d, err,
	    sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "trailing"));
	free(p);
	wire_buf_free(&b);
}

static void
test_unknown_version_and_kind_rejected(void **state)
{
	struct wire_buf b = encoded_exec();
	struct wire_event d;
	enum wire_kind k;

	b.data[1] = 2;
	assert_int_equal(wire_decode(WK_EVENT, b.data, b.len, &d, err,
	    sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "version 2"));
	b.data[1] = WIRE_VERSION;
	b.data[2] = 99;
	assert_int_equal(wire_peek_kind(b.data, b.len, &k, err, sizeof(err)),
	    -EPROTO);
	assert_non_null(strstr(err, "kind"));
	b.data[2] = WK_AUDIT;
	assert_int_equal(wire_decode(WK_EVENT, b.data, b.len, &d, err,
	    sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "expected a event record"));
	wire_buf_free(&b);
}

/* Build [1, kind, {fields...}] by hand, for bodies the encoder won't make. */
struct hand {
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
};

static void
hand_begin(struct hand *h, int kind, size_t nfields)
{
	msgpack_sbuffer_init(&h->sb);
	msgpack_packer_init(&h->pk, &h->sb, msgpack_sbuffer_write);
	msgpack_pack_array(&h->pk, 3);
	msgpack_pack_uint8(&h->pk, WIRE_VERSION);
	msgpack_pack_uint8(&h->pk, (uint8_t)kind);
	msgpack_pack_map(&h->pk, nfields);
}

static void
hand_str(struct hand *h, const char *s)
{
	msgpack_pack_str(&h->pk, strlen(s));
	msgpack_pack_str_body(&h->pk, s, strlen(s));
}

/* A minimal valid EV_LOSS event missing only what the caller adds. */
static void
hand_loss_common(struct hand *h)
{
	hand_str(h, "type"); hand_str(h, "loss");
	hand_str(h, "ts"); msgpack_pack_uint64(&h->pk, 1);
	hand_str(h, "host"); hand_str(h, "h");
	hand_str(h, "workload"); hand_str(h, "w");
	hand_str(h, "wkind"); hand_str(h, "host");
	hand_str(h, "cgid"); msgpack_pack_uint64(&h->pk, 1);
}

static int
hand_decode(struct hand *h)
{
	struct wire_event d;
	int rc = wire_decode(WK_EVENT, h->sb.data, h->sb.size, &d, err,
	    sizeof(err));

	if (rc == 0)
		wire_free(WK_EVENT, &d);
	msgpack_sbuffer_destroy(&h->sb);
	return rc;
}

static void
test_valid_hand_body_accepted(void **state)
{
	struct hand h;

	hand_begin(&h, WK_EVENT, 7);
	hand_loss_common(&h);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	assert_int_equal(hand_decode(&h), 0);
}

static void
test_wrong_types_rejected(void **state)
{
	struct hand h;

	/* lost as a string */
	hand_begin(&h, WK_EVENT, 7);
	hand_loss_common(&h);
	hand_str(&h, "lost"); hand_str(&h, "3");
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "lost"));

	/* a negative where unsigned is required */
	hand_begin(&h, WK_EVENT, 7);
	hand_loss_common(&h);
	hand_str(&h, "lost"); msgpack_pack_int64(&h.pk, -3);
	assert_int_equal(hand_decode(&h), -EPROTO);

	/* an unknown enum value */
	hand_begin(&h, WK_EVENT, 7);
	hand_str(&h, "type"); hand_str(&h, "teleport");
	hand_str(&h, "ts"); msgpack_pack_uint64(&h.pk, 1);
	hand_str(&h, "host"); hand_str(&h, "h");
	hand_str(&h, "workload"); hand_str(&h, "w");
	hand_str(&h, "wkind"); hand_str(&h, "host");
	hand_str(&h, "cgid"); msgpack_pack_uint64(&h.pk, 1);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "teleport"));

	/* the body is not a map */
	msgpack_sbuffer_init(&h.sb);
	msgpack_packer_init(&h.pk, &h.sb, msgpack_sbuffer_write);
	msgpack_pack_array(&h.pk, 3);
	msgpack_pack_uint8(&h.pk, WIRE_VERSION);
	msgpack_pack_uint8(&h.pk, WK_EVENT);
	msgpack_pack_array(&h.pk, 0);
	assert_int_equal(hand_decode(&h), -EPROTO);

	/* a key that is not a string */
	hand_begin(&h, WK_EVENT, 8);
	hand_loss_common(&h);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	msgpack_pack_uint8(&h.pk, 1); msgpack_pack_uint8(&h.pk, 1);
	assert_int_equal(hand_decode(&h), -EPROTO);
}

static void
test_missing_unknown_duplicate_rejected(void **state)
{
	struct hand h;

	/* missing "lost", required for loss events */
	hand_begin(&h, WK_EVENT, 6);
	hand_loss_common(&h);
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "\"lost\": missing"));

	/* unknown key */
	hand_begin(&h, WK_EVENT, 8);
	hand_loss_common(&h);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	hand_str(&h, "colour"); hand_str(&h, "blue");
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "unknown field \"colour\""));

	/* duplicate key */
	hand_begin(&h, WK_EVENT, 8);
	hand_loss_common(&h);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 4);
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "twice"));

	/* a field that does not belong to this event type */
	hand_begin(&h, WK_EVENT, 8);
	hand_loss_common(&h);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	hand_str(&h, "qname"); hand_str(&h, "x.example");
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "not allowed"));
}

static void
test_oversized_rejected(void **state)
{
	struct hand h;
	char *big = malloc(WIRE_NAME_MAX + 1);
	struct wire_event e = *sample_exec();
	struct wire_buf b = { 0 };
	char *path = malloc(WIRE_PATH_MAX + 2);

	memset(big, 'x', WIRE_NAME_MAX);
	big[WIRE_NAME_MAX] = '\0';
	hand_begin(&h, WK_EVENT, 7);
	hand_str(&h, "type"); hand_str(&h, "loss");
	hand_str(&h, "ts"); msgpack_pack_uint64(&h.pk, 1);
	hand_str(&h, "host"); hand_str(&h, "h");
	hand_str(&h, "workload"); hand_str(&h, big);
	hand_str(&h, "wkind"); hand_str(&h, "host");
	hand_str(&h, "cgid"); msgpack_pack_uint64(&h.pk, 1);
	hand_str(&h, "lost"); msgpack_pack_uint64(&h.pk, 3);
	assert_int_equal(hand_decode(&h), -EPROTO);
	assert_non_null(strstr(err, "exceeds"));

	/* The encoder refuses what the decoder would refuse. */
	memset(path, 'p', WIRE_PATH_MAX + 1);
	path[0] = '/';
	path[WIRE_PATH_MAX + 1] = '\0';
	e.exe = path;
	assert_int_equal(wire_encode(WK_EVENT, &e, &b, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "exe"));
	wire_buf_free(&b);
	free(path);
	free(big);
}

static void
test_huge_claims_rejected(void **state)
{
	/* [1, 1, map32 with 2^32-1 pairs] in 8 bytes. */
	const uint8_t lie[] = { 0x93, 0x01, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff };
	/* [1, 1, {"workload": str32 of 4 GiB}] */
	const uint8_t lie2[] = { 0x93, 0x01, 0x01, 0x81, 0xa1, 'w', 0xdb,
	    0xff, 0xff, 0xff, 0xff, 'x' };
	struct wire_event d;

	assert_int_equal(wire_decode(WK_EVENT, lie, sizeof(lie), &d, err,
	    sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(wire_decode(WK_EVENT, lie2, sizeof(lie2), &d, err,
	    sizeof(err)), -EPROTO);
}

static void
test_random_bytes_never_crash(void **state)
{
	struct wire_buf good = encoded_exec();
	uint8_t buf[512];
	struct wire_event d;
	unsigned i, j, accepted = 0;

	srand(12345);
	for (i = 0; i < 5000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));

		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rand();
		/* Half the time, keep a valid header so the decoder digs in. */
		if (i % 2 == 0 && n >= 3) {
			buf[0] = 0x93;
			buf[1] = WIRE_VERSION;
			buf[2] = WK_EVENT;
		}
		if (wire_decode(WK_EVENT, buf, n, &d, err, sizeof(err)) == 0) {
			accepted++;
			wire_free(WK_EVENT, &d);
		}
	}
	/* Mutations of a valid body: flip one byte at a time. */
	for (i = 0; i < good.len * 8; i++) {
		char *m = malloc(good.len);

		memcpy(m, good.data, good.len);
		m[i % good.len] ^= (char)(1u << (i / good.len));
		if (wire_decode(WK_EVENT, m, good.len, &d, err,
		    sizeof(err)) == 0)
			wire_free(WK_EVENT, &d);
		free(m);
	}
	wire_buf_free(&good);
	/* Random bytes are almost never a valid event. */
	assert_true(accepted < 5);
}

static void
test_summary_readable(void **state)
{
	char s[256];
	struct wire_event e;

	wire_summary(WK_EVENT, sample_exec(), s, sizeof(s));
	assert_string_equal(s, "exec /usr/bin/cat");
	memset(&e, 0, sizeof(e));
	e.type = EV_CONNECT;
	e.family = 6;
	e.proto = WP_TCP;
	snprintf(e.addr, sizeof(e.addr), "::1");
	e.port = 443;
	e.name = "api.openai.com";
	wire_summary(WK_EVENT, &e, s, sizeof(s));
	assert_string_equal(s, "connect tcp [::1]:443 (api.openai.com)");
}

static void
test_argv_helpers(void **state)
{
	struct wire_argv a = { 0 };
	char s[16];

	assert_int_equal(wire_argv_set(&a, "npx\0-y\0@mcp/server", 18), 0);
	assert_int_equal(a.argc, 3);
	wire_argv_join(&a, s, sizeof(s));
	assert_string_equal(s, "npx -y @mcp/...");
	free(a.buf);
}

/*
 * Event batches: three records in one body come back one by one, equal
 * to what went in; a body cut anywhere, a count that lies, trailing bytes
 * and a record's own header where a batch's belongs are errors.
 */
static void
test_event_batch(void **state)
{
	struct wire_buf one = { 0 }, batch = { 0 }, mid = { 0 };
	struct wire_batch_it it;
	struct wire_event e, d;
	const void *body;
	char *bad, what[600];
	uint32_t by[EV__MAX] = { 0 };
	size_t blen, cut;
	int i, rc;

	e = *sample_exec();
	assert_int_equal(wire_batch_init(&batch), 0);
	for (i = 0; i < 3; i++) {
		e.pid = 100 + (uint32_t)i;
		assert_int_equal(wire_encode(WK_EVENT, &e, &one, err,
		    sizeof(err)), 0);
		assert_int_equal(wire_batch_add(&batch, &one), 0);
		if (i == 1)
			assert_int_equal(wire_encode(WK_EVENT, &e, &mid, err,
			    sizeof(err)), 0);
	}
	assert_int_equal(wire_batch_count(&batch), 3);
	assert_true(wire_is_batch(batch.data, batch.len));
	assert_false(wire_is_batch(one.data, one.len));
	assert_int_equal(wire_batch_begin(&it, batch.data, batch.len, err,
	    sizeof(err)), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(wire_batch_next(&it, &body, &blen, err,
		    sizeof(err)), 1);
		assert_int_equal(wire_decode(WK_EVENT, body, blen, &d, err,
		    sizeof(err)), 0);
		assert_int_equal(d.pid, 100 + i);
		assert_string_equal(d.workload, "demo-agent");
		if (i == 1) {
			assert_int_equal(blen, mid.len);
			assert_memory_equal(body, mid.data, blen);
		}
		wire_free(WK_EVENT, &d);
	}
	assert_int_equal(wire_batch_next(&it, &body, &blen, err, sizeof(err)),
	    0);
	/* Cut anywhere: an error, never a record made of the wrong bytes. */
	for (cut = 0; cut < batch.len; cut++) {
		bad = malloc(cut + 1);
		memcpy(bad, batch.data, cut);
		rc = wire_batch_begin(&it, bad, cut, err, sizeof(err));
		while (rc == 0 && (rc = wire_batch_next(&it, &body, &blen, err,
		    sizeof(err))) == 1)
			rc = 0;
		assert_int_equal(rc, -EPROTO);
		free(bad);
	}
	/* Trailing bytes. */
	bad = malloc(batch.len + 1);
	memcpy(bad, batch.data, batch.len);
	bad[batch.len] = 0x01;
	assert_int_equal(wire_batch_begin(&it, bad, batch.len + 1, err,
	    sizeof(err)), 0);
	while ((rc = wire_batch_next(&it, &body, &blen, err, sizeof(err))) == 1)
		;
	assert_int_equal(rc, -EPROTO);
	assert_non_null(strstr(err, "trailing"));
	/* A count that claims more records than bytes. */
	memcpy(bad, batch.data, batch.len);
	bad[1] = 0x7f;
	assert_int_equal(wire_batch_begin(&it, bad, batch.len, err,
	    sizeof(err)), -EPROTO);
	free(bad);
	/* A single record is not a batch. */
	assert_int_equal(wire_batch_begin(&it, one.data, one.len, err,
	    sizeof(err)), -EPROTO);
	/* What redis-cli users read of it. */
	by[EV_OPEN] = 35;
	by[EV_EXEC] = 2;
	evbatch_what(37, by, "exec /usr/bin/git", what, sizeof(what));
	assert_string_equal(what, "37 events: exec 2, open 35; first: exec "
	    "/usr/bin/git");
	evbatch_what(1, by, "exec /usr/bin/git", what, sizeof(what));
	assert_string_equal(what, "exec /usr/bin/git");
	wire_buf_free(&one);
	wire_buf_free(&mid);
	wire_buf_free(&batch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_exec_roundtrip),
		cmocka_unit_test(test_event_variants_roundtrip),
		cmocka_unit_test(test_event_batch),
		cmocka_unit_test(test_other_kinds_roundtrip),
		cmocka_unit_test(test_non_utf8_escaped_never_dropped),
		cmocka_unit_test(test_truncated_rejected),
		cmocka_unit_test(test_trailing_bytes_rejected),
		cmocka_unit_test(test_unknown_version_and_kind_rejected),
		cmocka_unit_test(test_valid_hand_body_accepted),
		cmocka_unit_test(test_wrong_types_rejected),
		cmocka_unit_test(test_missing_unknown_duplicate_rejected),
		cmocka_unit_test(test_oversized_rejected),
		cmocka_unit_test(test_huge_claims_rejected),
		cmocka_unit_test(test_random_bytes_never_crash),
		cmocka_unit_test(test_summary_readable),
		cmocka_unit_test(test_argv_helpers),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
