/*
 * risk: a score (0..100) with its reasons, so the riskiest workloads are
 * promoted first.  Each signal adds its points once; the reasons name the
 * evidence (the first entry that triggered it) so an operator can check.
 *
 *   external-facing   30  listens on a non-loopback address
 *   sensitive data    25  credential/key files, /etc/shadow, cloud creds
 *   database egress   10  connects to well-known database ports
 *   privileged        20  ran as root, or exec'd a setuid binary
 *   code execution    20  an interpreter spawned a shell or interpreter,
 *                         or a file the workload wrote was executed
 *   public egress     15  connects to a public address or a DNS name
 *
 * The weights are a judgement call documented in docs/architecture.md;
 * the order they produce (external and data first) is what matters.
 */
#include <arpa/inet.h>

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "profiled.h"

static const char *const sensitive[] = {
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssl/private/*",
	"*/.ssh/id_*", "*/.ssh/authorized_keys", "/etc/ssh/ssh_host_*_key",
	"*/.aws/credentials", "*/.aws/config", "*/.config/gcloud/*",
	"*/.azure/*", "*/.kube/config", "*/.docker/config.json", "*/.netrc",
	"*/.git-credentials", "*/.pgpass", "*/.my.cnf", "*.pem", "*.key",
	"*/.env", "/var/run/secrets/*", "/run/secrets/*", NULL,
};

static const uint16_t db_ports[] = {
	5432, 3306, 1433, 1521, 27017, 6379, 9200, 9042, 5984, 8086, 0,
};

static const char *const interpreters[] = {
	"python", "python2", "python3", "node", "nodejs", "ruby", "perl",
	"php", "deno", "bun", "java", "lua", "Rscript", NULL,
};

static const char *const shells[] = {
	"sh", "bash", "dash", "zsh", "ksh", "fish", "busybox", NULL,
};

static const char *
base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* "python3.11" counts as "python3": compare up to a version suffix. */
static int
in_list(const char *name, const char *const *list)
{
	size_t i, n;

	for (i = 0; list[i] != NULL; i++) {
		n = strlen(list[i]);
		if (strncmp(name, list[i], n) == 0 &&
		    (name[n] == '\0' || name[n] == '.' ||
		    (name[n] >= '0' && name[n] <= '9')))
			return 1;
	}
	return 0;
}

int
risk_addr_public(const char *addr)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, addr, b) == 1)
		return !(b[0] == 10 || b[0] == 127 || b[0] == 0 ||
		    (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) ||
		    (b[0] == 169 && b[1] == 254) ||
		    (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] >= 224);
	if (inet_pton(AF_INET6, addr, b) == 1) {
		static const unsigned char lo[16] = { [15] = 1 };
		static const unsigned char any[16];

		if (memcmp(b, lo, 16) == 0 || memcmp(b, any, 16) == 0)
			return 0;
		if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe &&
		    (b[1] & 0xc0) == 0x80) || b[0] == 0xff)
			return 0;
		if (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			char v4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, b + 12, v4, sizeof(v4));
			return risk_addr_public(v4);
		}
		return 1;
	}
	return -1;	/* not an address */
}

static int
loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "::ffff:127.0.0.1") == 0;
}

static void
reason(struct risk *r, uint32_t pts, const char *why, const char *what)
{
	if (r->n >= RISK_REASONS_MAX)
		return;
	snprintf(r->reasons[r->n], sizeof(r->reasons[r->n]), "%s%s%.160s",
	    why, what ? ": " : "", what ? what : "");
	r->n++;
	r->score += pts;
}

void
risk_score(const struct pset *view, uint32_t flags, struct risk *r)
{
	const char *ext = NULL, *sens = NULL, *db = NULL, *pub = NULL;
	const char *code = NULL, *wx = NULL;
	char buf[160];
	size_t i, j, k;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < view->n; i++) {
		const struct pentry *e = &view->v[i];

		switch (e->dim) {
		case WD_LISTEN:
			if (ext == NULL && !loopback(e->key))
				ext = e->key;
			break;
		case WD_FILE:
			for (k = 0; sens == NULL && sensitive[k] != NULL; k++)
				if (fnmatch(sensitive[k], e->key, 0) == 0 ||
				    (e->sample != NULL &&
				    fnmatch(sensitive[k], e->sample, 0) == 0))
					sens = e->key;
			if (wx == NULL && (e->mode & WM_WRITE))
				for (j = 0; j < view->n; j++)
					if (view->v[j].dim == WD_EXEC &&
					    gen_match(e->key, view->v[j].key)) {
						wx = view->v[j].key;
						break;
					}
			break;
		case WD_NET:
			for (k = 0; db == NULL && db_ports[k] != 0; k++)
				if (e->port == db_ports[k])
					db = e->key;
			if (pub == NULL && (risk_addr_public(e->key) == 1 ||
			    (risk_addr_public(e->key) < 0 &&
			    strchr(e->key, '/') == NULL &&
			    strcmp(e->key, "localhost") != 0)))
				pub = e->key;
			break;
		case WD_EDGE:
			if (code == NULL && e->parent != NULL &&
			    in_list(base(e->parent), interpreters) &&
			    (in_list(base(e->key), shells) ||
			    in_list(base(e->key), interpreters))) {
				snprintf(buf, sizeof(buf), "%s -> %s",
				    base(e->parent), base(e->key));
				code = buf;
			}
			break;
		default:
			break;
		}
	}
	if (ext)
		reason(r, 30, "external-facing: listens on", ext);
	if (sens)
		reason(r, 25, "sensitive data", sens);
	if (flags & OF_ROOT)
		reason(r, 20, "privileged: runs as root", NULL);
	else if (flags & OF_SETUID)
		reason(r, 20, "privileged: setuid exec", NULL);
	if (code)
		reason(r, 20, "code execution", code);
	else if (wx)
		reason(r, 20, "code execution: writes then runs", wx);
	if (pub)
		reason(r, 15, "public egress", pub);
	if (db)
		reason(r, 10, "database egress", db);
	if (r->score > 100)
		r->score = 100;
}
