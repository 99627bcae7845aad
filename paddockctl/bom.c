/*
 * paddockctl bom [NAME] [-o table|json|cyclonedx]
 *
 * The runtime AI bill of materials, from what paddock-profiled's discovery
 * stored in P ai:{W} (one JSON detection per field, docs/wire-format.md).
 * Without NAME it covers every AI workload of the stack; with NAME, that
 * workload (exit 4 when it is unknown).
 *
 * bom_cyclonedx() is pure (JSON in, JSON out) so that tests can feed it
 * detections and validate the result against the CycloneDX 1.6 schema:
 *
 *   workload            metadata.component (or, for a host BOM, an
 *                       "application" component under a "device")
 *   framework, sdk      "library" with a package URL
 *   model               "machine-learning-model": its format, and what
 *                       its header says (modelCard's architectureFamily,
 *                       quantisation and size as properties)
 *   inference-server    "application" (property paddock:role)
 *   mcp-server          "application", stdio, launched by the workload
 *   accelerator         "device"
 *   rag-source          "data"
 *   llm-api,            services with an endpoint
 *   vector-store
 *
 * Every component and service carries its evidence: the technique
 * (manifest-analysis, binary-analysis, filename, instrumentation), the
 * confidence (1.0 confirmed, 0.5 inferred) and where it was seen.
 *
 * bom-refs are short and stable across hosts and runs: a component's
 * package URL when it has one, else "<kind>:<name>[@version]~<8 hex of
 * its key>" (the key, e.g. a model's path, hashed rather than spelled
 * out); a service's "service:<host or addr:port>".  In a host BOM a
 * component used by several workloads is listed once, with one
 * paddock:workload property per workload and a dependency from each.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "version.h"
#include "wire.h"
#include "ctl.h"

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* pkg:npm/%40scope/name@1.0, pkg:pypi/name@1.0, pkg:huggingface/o/n@rev */
static void
purl(json_t *d, char *out, size_t len)
{
	const char *eco = jstr(d, "ecosystem"), *name = jstr(d, "name");
	const char *ver = jstr(d, "version");
	char n[300];
	size_t i, o = 0;

	out[0] = '\0';
	if (*eco == '\0' || *ver == '\0')
		return;
	for (i = 0; name[i] != '\0' && o + 4 < sizeof(n); i++) {
		if (name[i] == '@') {
			memcpy(n + o, "%40", 3);
			o += 3;
		} else
			n[o++] = strcmp(eco, "pypi") == 0 && name[i] == '_' ?
			    '-' : name[i];
	}
	n[o] = '\0';
	snprintf(out, len, "pkg:%s/%s@%s", eco, n, ver);
}

static json_t *
prop(const char *name, const char *value)
{
	return json_pack("{s:s, s:s}", "name", name, "value", value);
}

static json_t *
evidence(json_t *d, int has_purl)
{
	json_t *ev = json_object_get(d, "evidence");
	int conf = strcmp(jstr(d, "confidence"), "confirmed") == 0;
	const char *src = jstr(ev, "source"), *detail = jstr(ev, "detail");
	json_t *m, *id, *occ;

	m = json_pack("{s:s, s:f, s:s}", "technique", jstr(d, "technique"),
	    "confidence", conf ? 1.0 : 0.5, "value", *src ? src : detail);
	id = json_pack("[{s:s, s:f, s:[o]}]", "field", has_purl ? "purl" :
	    "name", "confidence", conf ? 1.0 : 0.5, "methods", m);
	occ = json_pack("[{s:s}]", "location", *detail ? detail : "-");
	return json_pack("{s:o, s:o}", "identity", id, "occurrences", occ);
}

static json_t *
props_of(json_t *d, const char *wl)
{
	json_t *ev = json_object_get(d, "evidence"), *a = json_array();
	char pid[32];

	json_array_append_new(a, prop("paddock:kind", jstr(d, "kind")));
	json_array_append_new(a, prop("paddock:workload", wl));
	json_array_append_new(a, prop("paddock:confidence",
	    jstr(d, "confidence")));
	json_array_append_new(a, prop("paddock:evidence:behaviour",
	    jstr(ev, "behaviour")));
	json_array_append_new(a, prop("paddock:evidence:time", jstr(ev, "time")));
	if (json_integer_value(json_object_get(ev, "pid")) > 0) {
		snprintf(pid, sizeof(pid), "%lld",
		    (long long)json_integer_value(json_object_get(ev, "pid")));
		json_array_append_new(a, prop("paddock:evidence:pid", pid));
	}
	if (*jstr(ev, "exe"))
		json_array_append_new(a, prop("paddock:evidence:exe",
		    jstr(ev, "exe")));
	if (*jstr(ev, "detail"))
		json_array_append_new(a, prop("paddock:evidence:detail",
		    jstr(ev, "detail")));
	if (*jstr(ev, "launched_by"))
		json_array_append_new(a, prop("paddock:launched-by",
		    jstr(ev, "launched_by")));
	return a;
}

/*
 * One MCP server is often seen twice: launched (exec, with the launching
 * command) and loading its own package (open, with a version).  Fold the
 * exec one into the package one of the same name.
 */
static int
mcp_merge(json_t *dets, size_t at)
{
	json_t *d = json_array_get(dets, at), *o;
	size_t i;

	if (strcmp(jstr(d, "kind"), "mcp-server") != 0)
		return 0;
	json_array_foreach(dets, i, o) {
		json_t *ev;

		if (i == at || strcmp(jstr(o, "kind"), "mcp-server") != 0 ||
		    strcmp(jstr(o, "name"), jstr(d, "name")) != 0)
			continue;
		/* Keep the one with a version; carry launched_by over. */
		if (*jstr(d, "version") == '\0' && *jstr(o, "version") != '\0') {
			ev = json_object_get(d, "evidence");
			if (*jstr(ev, "launched_by"))
				json_object_set(json_object_get(o, "evidence"),
				    "launched_by", json_object_get(ev,
				    "launched_by"));
			return 1;	/* drop d */
		}
	}
	return 0;
}

/* The bom-ref of a detection (see the top of this file). */
static void
det_ref(json_t *d, const char *pu, int service, char *ref, size_t len)
{
	const char *s = jstr(d, "name");
	uint32_t h = 2166136261u;
	char slug[65];
	size_t i, n = 0;

	if (service) {
		snprintf(ref, len, "service:%s", jstr(d, "key"));
		return;
	}
	if (*pu) {
		snprintf(ref, len, "%s", pu);
		return;
	}
	for (; *s != '\0' && n + 1 < sizeof(slug); s++)
		slug[n++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._@/-", *s) ? *s : '-';
	slug[n] = '\0';
	for (s = jstr(d, "key"), i = 0; s[i] != '\0'; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	snprintf(ref, len, "%s:%s%s%s~%08x", jstr(d, "kind"), slug,
	    *jstr(d, "version") ? "@" : "", jstr(d, "version"), h);
}

/* ref once in refs. */
static void
ref_add(json_t *refs, const char *ref)
{
	json_t *r;
	size_t i;

	json_array_foreach(refs, i, r)
		if (strcmp(json_string_value(r), ref) == 0)
			return;
	json_array_append_new(refs, json_string(ref));
}

/*
 * Add one workload's components and services (each once per bom-ref in
 * seen, which maps a ref to what was added); returns its bom-ref list.
 */
static json_t *
add_workload(json_t *seen, json_t *w, json_t *comps, json_t *svcs)
{
	const char *name = jstr(w, "workload");
	json_t *dets = json_object_get(w, "detections"), *d, *refs;
	size_t i;
	char ref[1200], pu[600];

	refs = json_array();
	json_array_foreach(dets, i, d) {
		const char *kind = jstr(d, "kind");
		int service = strcmp(kind, "llm-api") == 0 ||
		    strcmp(kind, "vector-store") == 0;
		json_t *c;

		if (mcp_merge(dets, i))
			continue;
		purl(d, pu, sizeof(pu));
		det_ref(d, pu, service, ref, sizeof(ref));
		if ((c = json_object_get(seen, ref)) != NULL) {
			/* Another workload's already: say this one uses it. */
			json_t *p = json_object_get(c, "properties"), *q;
			size_t k;
			int have = 0;

			json_array_foreach(p, k, q)
				have |= strcmp(jstr(q, "name"),
				    "paddock:workload") == 0 &&
				    strcmp(jstr(q, "value"), name) == 0;
			if (!have)
				json_array_append_new(p, prop(
				    "paddock:workload", name));
			ref_add(refs, ref);
			continue;
		}
		if (service) {
			const char *key = jstr(d, "key");
			char ep[600];

			snprintf(ep, sizeof(ep), "%s%s", strchr(key, ':') ?
			    "tcp://" : "https://", key);
			c = json_pack("{s:s, s:s, s:[s], s:o}", "bom-ref", ref,
			    "name", jstr(d, "name"), "endpoints", ep,
			    "properties", props_of(d, name));
			json_object_set(seen, ref, c);
			json_array_append_new(svcs, c);
			ref_add(refs, ref);
			continue;
		}
		c = json_object();
		json_object_set_new(c, "type", json_string(
		    strcmp(kind, "framework") == 0 || strcmp(kind, "sdk") == 0 ?
		    "library" : strcmp(kind, "model") == 0 ?
		    "machine-learning-model" : strcmp(kind, "accelerator") == 0 ?
		    "device" : strcmp(kind, "rag-source") == 0 ? "data" :
		    "application"));
		json_object_set_new(c, "bom-ref", json_string(ref));
		json_object_set_new(c, "name", json_string(jstr(d, "name")));
		if (*jstr(d, "version"))
			json_object_set_new(c, "version",
			    json_string(jstr(d, "version")));
		if (*pu)
			json_object_set_new(c, "purl", json_string(pu));
		if (strcmp(kind, "rag-source") == 0)
			json_object_set_new(c, "data", json_pack("[{s:s, s:s}]",
			    "type", "dataset", "name", jstr(d, "name")));
		json_object_set_new(c, "evidence", evidence(d, *pu != '\0'));
		json_object_set_new(c, "properties", props_of(d, name));
		if (strcmp(kind, "mcp-server") == 0)
			json_array_append_new(json_object_get(c, "properties"),
			    prop("paddock:mcp:transport", "stdio"));
		if (*jstr(d, "format"))		/* a model's, by its bytes */
			json_array_append_new(json_object_get(c, "properties"),
			    prop("paddock:model:format", jstr(d, "format")));
		if (*jstr(d, "quantization"))
			json_array_append_new(json_object_get(c, "properties"),
			    prop("paddock:model:quantization",
			    jstr(d, "quantization")));
		if (*jstr(d, "size_label"))
			json_array_append_new(json_object_get(c, "properties"),
			    prop("paddock:model:size", jstr(d, "size_label")));
		if (*jstr(d, "architecture"))	/* what its header says */
			json_object_set_new(c, "modelCard", json_pack(
			    "{s:{s:s}}", "modelParameters",
			    "architectureFamily", jstr(d, "architecture")));
		json_object_set(seen, ref, c);
		json_array_append_new(comps, c);
		ref_add(refs, ref);
	}
	return refs;
}

static json_t *
workload_component(json_t *w)
{
	char ref[300];

	snprintf(ref, sizeof(ref), "workload:%s", jstr(w, "workload"));
	return json_pack("{s:s, s:s, s:s, s:[o,o,o]}", "type", "application",
	    "bom-ref", ref, "name", jstr(w, "workload"), "properties",
	    prop("paddock:workload-kind", jstr(w, "kind")),
	    prop("paddock:stage", jstr(w, "stage")),
	    prop("paddock:first-seen", jstr(w, "first_seen")));
}

json_t *
bom_cyclonedx(json_t *workloads, const char *host, int single,
    const char *serial, const char *timestamp)
{
	json_t *bom, *meta, *comps = json_array(), *svcs = json_array();
	json_t *deps = json_array(), *w, *top, *hostrefs = json_array();
	json_t *seen = json_object();
	size_t i;
	char ref[300], urn[80];

	snprintf(urn, sizeof(urn), "urn:uuid:%s", serial);
	/* Made by Paddock, from a running system: operations. */
	meta = json_pack("{s:s, s:[{s:s}], s:{s:[{s:s, s:s, s:s, s:s}]}}",
	    "timestamp", timestamp, "lifecycles", "phase", "operations",
	    "tools", "components", "type", "application", "name", "paddock",
	    "version", PADDOCK_VERSION, "description", "runtime AI discovery "
	    "from kernel evidence");
	json_array_foreach(workloads, i, w) {
		json_t *refs = add_workload(seen, w, comps, svcs), *wc;

		wc = workload_component(w);
		snprintf(ref, sizeof(ref), "workload:%s", jstr(w, "workload"));
		if (single && i == 0)
			json_object_set_new(meta, "component", wc);
		else {
			json_array_append_new(comps, wc);
			json_array_append_new(hostrefs, json_string(ref));
		}
		json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", ref,
		    "dependsOn", refs));
	}
	if (!single) {
		snprintf(ref, sizeof(ref), "host:%s", host);
		top = json_pack("{s:s, s:s, s:s}", "type", "device", "bom-ref",
		    ref, "name", host);
		json_object_set_new(meta, "component", top);
		json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", ref,
		    "dependsOn", hostrefs));
	} else
		json_decref(hostrefs);
	bom = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o}", "bomFormat",
	    "CycloneDX", "specVersion", "1.6", "serialNumber", urn, "version",
	    1, "metadata", meta, "components", comps);
	if (json_array_size(svcs) > 0)
		json_object_set_new(bom, "services", svcs);
	else
		json_decref(svcs);
	json_object_set_new(bom, "dependencies", deps);
	json_decref(seen);
	return bom;
}

/* ---------------------------------------------------------------- I/O */

/* {workload, kind, stage, first_seen, ai, detections: [...]} or NULL. */
static json_t *
load_workload(struct ctl *ctl, redisContext *c, const char *w)
{
	char key[WIRE_NAME_MAX + 80], t[40];
	redisReply *r, *m;
	json_t *o, *dets = json_array();
	json_error_t jerr;
	int ai = 0;
	size_t i;

	snprintf(key, sizeof(key), "%sai:{%s}", ctl->conf.redis.prefix, w);
	if ((r = redisCommand(c, "HGETALL %s", key)) == NULL)
		return NULL;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		json_t *d = json_loads(r->element[i + 1]->str, 0, &jerr);
		const char *tab;

		if (d == NULL)
			continue;	/* written by profiled only; skip */
		tab = strchr(r->element[i]->str, '\t');
		json_object_set_new(d, "key", json_string(tab ? tab + 1 : ""));
		ai |= json_is_true(json_object_get(d, "ai"));
		json_array_append_new(dets, d);
	}
	freeReplyObject(r);
	snprintf(key, sizeof(key), "%sprof:{%s}:meta", ctl->conf.redis.prefix, w);
	m = redisCommand(c, "HMGET %s wkind first_ms", key);
	o = json_object();
	json_object_set_new(o, "workload", json_string(w));
	json_object_set_new(o, "kind", json_string(wire_wkind_name(
	    m && m->type == REDIS_REPLY_ARRAY && m->element[0]->str ?
	    (unsigned)atoi(m->element[0]->str) : 0)));
	t[0] = '\0';
	if (m && m->type == REDIS_REPLY_ARRAY && m->element[1]->str)
		wire_time_iso(strtoull(m->element[1]->str, NULL, 10) * 1000000ull,
		    t, sizeof(t));
	json_object_set_new(o, "first_seen", json_string(t));
	freeReplyObject(m);
	json_object_set_new(o, "stage", json_string(ctl_stage(ctl, c, w)));
	json_object_set_new(o, "ai", json_boolean(ai));
	json_object_set_new(o, "detections", dets);
	return o;
}

static void
uuid4(char out[37])
{
	unsigned char b[16] = { 0 };
	int fd, i, o = 0;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		if (read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			memset(b, 0, sizeof(b));
		close(fd);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		o += sprintf(out + o, "%02x", b[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			out[o++] = '-';
	}
	out[o] = '\0';
}

static void
print_table(json_t *arr)
{
	json_t *w, *d;
	size_t i, k;

	if (json_array_size(arr) == 0) {
		printf("no AI workloads found\n");
		return;
	}
	json_array_foreach(arr, i, w) {
		printf("%s%s (%s, stage %s, since %s)%s\n", i ? "\n" : "",
		    jstr(w, "workload"), jstr(w, "kind"), jstr(w, "stage"),
		    jstr(w, "first_seen"), json_is_true(json_object_get(w,
		    "ai")) ? "" : "  [no AI evidence]");
		/* 100 columns: what was seen goes on a line of its own. */
		printf("  %-16s %-40s %-12s %s\n", "KIND", "NAME", "VERSION",
		    "EVIDENCE");
		json_array_foreach(json_object_get(w, "detections"), k, d) {
			json_t *ev = json_object_get(d, "evidence");
			const char *lb = jstr(ev, "launched_by");

			printf("  %-16.16s %-40.40s %-12.12s %s\n",
			    jstr(d, "kind"), jstr(d, "name"),
			    *jstr(d, "version") ? jstr(d, "version") : "-",
			    jstr(d, "confidence"));
			printf("  %16s %s %.*s%s%.*s\n", "", jstr(ev, "behaviour"),
			    *lb ? 38 : 72, jstr(ev, "detail"), *lb ? " by " : "",
			    *lb ? 30 : 0, lb);
		}
	}
}

static int
cmd_bom(struct ctl *ctl, int argc, char **argv)
{
	redisContext *c;
	redisReply *names = NULL;
	json_t *arr = json_array(), *bom;
	char key[128], serial[40], ts[40], host[WIRE_HOST_MAX];
	size_t i;
	int rc = CTL_EXIT_OK, known = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: paddockctl bom [NAME] "
		    "[-o table|json|cyclonedx]\n");
		json_decref(arr);
		return CTL_EXIT_USAGE;
	}
	if ((c = ctl_connect(ctl)) == NULL) {
		json_decref(arr);
		return CTL_EXIT_REDIS;
	}
	ctl_key(ctl, "workloads", key, sizeof(key));
	names = redisCommand(c, "SMEMBERS %s", key);
	if (names == NULL || names->type != REDIS_REPLY_ARRAY) {
		fprintf(stderr, "paddockctl: Redis: %s\n", names ? names->str :
		    c->errstr);
		rc = CTL_EXIT_REDIS;
		goto out;
	}
	for (i = 0; i < names->elements; i++) {
		const char *w = names->element[i]->str;
		json_t *o;

		if (argc == 2 && strcmp(w, argv[1]) != 0)
			continue;
		known = 1;
		if ((o = load_workload(ctl, c, w)) == NULL)
			continue;
		if (argc == 2 || json_is_true(json_object_get(o, "ai")))
			json_array_append_new(arr, o);
		else
			json_decref(o);
	}
	if (argc == 2 && !known) {
		fprintf(stderr, "paddockctl: unknown workload \"%s\" (see "
		    "paddockctl workloads)\n", argv[1]);
		rc = CTL_EXIT_UNKNOWN;
		goto out;
	}
	if (ctl->output == CTL_OUT_CYCLONEDX) {
		uuid4(serial);
		{
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			wire_time_iso((uint64_t)now.tv_sec * 1000000000ull,
			    ts, sizeof(ts));
		}
		ts[19] = 'Z';	/* whole seconds: RFC 3339 as the schema wants */
		ts[20] = '\0';
		gethostname(host, sizeof(host));
		host[sizeof(host) - 1] = '\0';
		bom = bom_cyclonedx(arr, host, argc == 2, serial, ts);
		ctl_print_json(stdout, bom);
		json_decref(bom);
	} else if (ctl->output == CTL_OUT_JSON)
		ctl_print_json(stdout, arr);
	else if (ctl->output == CTL_OUT_YAML)
		ctl_print_yaml(stdout, arr);
	else
		print_table(arr);
out:
	json_decref(arr);
	freeReplyObject(names);
	redisFree(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_bom = {
	"bom", "the runtime AI bill of materials (CycloneDX 1.6)", cmd_bom,
};
