/*
 * test_ctl: paddockctl's pure parts.  The CycloneDX builder: every kind of
 * detection lands where CycloneDX 1.6 wants it, every reference resolves,
 * bom-refs are unique, an MCP server seen twice is one component.  (The
 * schema itself is checked by tests/integration/ai_discovery.sh with the
 * official schema and a JSON schema validator.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "ctl.h"
#include "version.h"

static const char *sample =
"[{\"workload\": \"agent\", \"kind\": \"systemd\", \"stage\": \"learning\","
"  \"first_seen\": \"2026-11-28T10:00:00.000Z\", \"ai\": true,"
"  \"detections\": ["
"  {\"signature\": \"npm-langchain-core\", \"kind\": \"framework\","
"   \"name\": \"@langchain/core\", \"version\": \"0.3.40\", \"ecosystem\": \"npm\","
"   \"ai\": true, \"confidence\": \"confirmed\", \"technique\": \"manifest-analysis\","
"   \"key\": \"/app/node_modules/@langchain/core\","
"   \"evidence\": {\"behaviour\": \"open\", \"time\": \"t\", \"pid\": 7,"
"    \"exe\": \"/usr/bin/node\", \"detail\": \"/app/node_modules/@langchain/core/x.js\","
"    \"source\": \"/app/node_modules/@langchain/core/package.json\"}},"
"  {\"signature\": \"py-langchain-core\", \"kind\": \"framework\","
"   \"name\": \"langchain_core\", \"version\": \"0.3.9\", \"ecosystem\": \"pypi\","
"   \"ai\": true, \"confidence\": \"confirmed\", \"technique\": \"manifest-analysis\","
"   \"key\": \"/sp\", \"evidence\": {\"behaviour\": \"open\", \"time\": \"t\","
"    \"detail\": \"/sp/langchain_core/__init__.py\"}},"
"  {\"signature\": \"model-gguf\", \"kind\": \"model\", \"name\": \"TinyLlama\","
"   \"ai\": true, \"confidence\": \"confirmed\", \"technique\": \"binary-analysis\","
"   \"key\": \"/m/tiny.gguf\", \"evidence\": {\"behaviour\": \"open\", \"time\": \"t\","
"    \"detail\": \"/m/tiny.gguf\"}},"
"  {\"signature\": \"local-ollama\", \"kind\": \"llm-api\", \"name\": \"Ollama (local)\","
"   \"ai\": true, \"confidence\": \"inferred\", \"technique\": \"instrumentation\","
"   \"key\": \"127.0.0.1:11434\", \"evidence\": {\"behaviour\": \"connect\","
"    \"time\": \"t\", \"detail\": \"127.0.0.1:11434\"}},"
"  {\"signature\": \"mcp-npx-official\", \"kind\": \"mcp-server\","
"   \"name\": \"@modelcontextprotocol/server-filesystem\", \"ai\": true,"
"   \"confidence\": \"inferred\", \"technique\": \"instrumentation\","
"   \"key\": \"@modelcontextprotocol/server-filesystem\","
"   \"evidence\": {\"behaviour\": \"exec\", \"time\": \"t\", \"detail\": \"npx ...\","
"    \"launched_by\": \"node agent.js\"}},"
"  {\"signature\": \"mcp-npx-official\", \"kind\": \"mcp-server\","
"   \"name\": \"@modelcontextprotocol/server-filesystem\", \"version\": \"2025.1.0\","
"   \"ecosystem\": \"npm\", \"ai\": true, \"confidence\": \"confirmed\","
"   \"technique\": \"manifest-analysis\", \"key\": \"/app/node_modules/@modelcontextprotocol/server-filesystem\","
"   \"evidence\": {\"behaviour\": \"open\", \"time\": \"t\", \"detail\": \"/x\"}},"
"  {\"signature\": \"rag-chroma\", \"kind\": \"rag-source\", \"name\": \"chroma.sqlite3\","
"   \"ai\": false, \"confidence\": \"inferred\", \"technique\": \"filename\","
"   \"key\": \"/d/chroma.sqlite3\", \"evidence\": {\"behaviour\": \"open\","
"    \"time\": \"t\", \"detail\": \"/d/chroma.sqlite3\"}}"
"  ]}]";

/* The element of arr whose string field is value. */
static json_t *
find_by(json_t *arr, const char *field, const char *value)
{
	json_t *c;
	size_t i;

	json_array_foreach(arr, i, c)
		if (strcmp(json_string_value(json_object_get(c, field)),
		    value) == 0)
			return c;
	return NULL;
}

#define find_ref(arr, ref)	find_by(arr, "bom-ref", ref)
#define find_name(arr, name)	find_by(arr, "name", name)

static void
test_bom_cyclonedx_shape(void **state)
{
	json_error_t jerr;
	json_t *in = json_loads(sample, 0, &jerr), *bom, *comps, *svcs, *c;
	json_t *deps, *d, *r;
	size_t i, k, mcp = 0;

	if (in == NULL)
		fail_msg("sample: %s at %d", jerr.text, jerr.line);
	bom = bom_cyclonedx(in, "host1", 1, "3b0d6c4e-1111-4222-8333-444455556666",
	    "2026-11-28T10:00:00Z");
	assert_string_equal(json_string_value(json_object_get(bom, "specVersion")),
	    "1.6");
	assert_string_equal(json_string_value(json_object_get(bom, "bomFormat")),
	    "CycloneDX");
	/* The workload is the metadata component. */
	c = json_object_get(json_object_get(bom, "metadata"), "component");
	assert_string_equal(json_string_value(json_object_get(c, "name")), "agent");
	comps = json_object_get(bom, "components");
	svcs = json_object_get(bom, "services");
	/* Frameworks are libraries with package URLs. */
	c = find_name(comps, "@langchain/core");
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "type")), "library");
	assert_string_equal(json_string_value(json_object_get(c, "purl")),
	    "pkg:npm/%40langchain/core@0.3.40");
	c = find_name(comps, "langchain_core");
	assert_string_equal(json_string_value(json_object_get(c, "purl")),
	    "pkg:pypi/langchain-core@0.3.9");
	/* Evidence names its technique. */
	d = json_array_get(json_object_get(json_object_get(c, "evidence"),
	    "identity"), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(d, "methods"), 0), "technique")), "manifest-analysis");
	c = find_name(comps, "TinyLlama");
	assert_string_equal(json_string_value(json_object_get(c, "type")),
	    "machine-learning-model");
	c = find_name(comps, "chroma.sqlite3");
	assert_string_equal(json_string_value(json_object_get(c, "type")), "data");
	/* The LLM endpoint is a service. */
	c = find_name(svcs, "Ollama (local)");
	assert_non_null(c);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c,
	    "endpoints"), 0)), "tcp://127.0.0.1:11434");
	/* The MCP server, seen launched and loaded, is one component that
	 * keeps its version and who launched it. */
	json_array_foreach(comps, i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    "@modelcontextprotocol/server-filesystem") == 0) {
			mcp++;
			assert_string_equal(json_string_value(json_object_get(c,
			    "version")), "2025.1.0");
			assert_non_null(strstr(json_dumps(json_object_get(c,
			    "properties"), 0), "node agent.js"));
		}
	assert_int_equal(mcp, 1);
	/* Every dependency resolves; refs are unique. */
	deps = json_object_get(bom, "dependencies");
	assert_true(json_array_size(deps) >= 1);
	json_array_foreach(deps, i, d) {
		const char *ref = json_string_value(json_object_get(d, "ref"));

		assert_true(strcmp(ref, "workload:agent") == 0 ||
		    find_ref(comps, ref) != NULL);
		json_array_foreach(json_object_get(d, "dependsOn"), k, r)
			assert_true(find_ref(comps, json_string_value(r)) != NULL ||
			    find_ref(svcs, json_string_value(r)) != NULL);
	}
	json_array_foreach(comps, i, c)
		json_array_foreach(comps, k, r)
			if (i != k)
				assert_string_not_equal(json_string_value(
				    json_object_get(c, "bom-ref")), json_string_value(
				    json_object_get(r, "bom-ref")));
	json_decref(bom);

	/* A host BOM: the host is the metadata component, workloads below.
	 * A second workload with the same package and model: each is one
	 * component, used by both, each workload depending on it. */
	{
		json_t *w2 = json_deep_copy(json_array_get(in, 0));

		json_object_set_new(w2, "workload", json_string("agent2"));
		json_array_append_new(in, w2);
	}
	bom = bom_cyclonedx(in, "host1", 0, "3b0d6c4e-1111-4222-8333-444455556666",
	    "2026-11-28T10:00:00Z");
	c = json_object_get(json_object_get(bom, "metadata"), "component");
	assert_string_equal(json_string_value(json_object_get(c, "type")), "device");
	comps = json_object_get(bom, "components");
	assert_non_null(find_ref(comps, "workload:agent"));
	assert_non_null(find_ref(comps, "workload:agent2"));
	mcp = 0;
	json_array_foreach(comps, i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    "@langchain/core") == 0) {
			char *p = json_dumps(json_object_get(c, "properties"), 0);

			mcp++;
			/* Short and stable: its purl, no path. */
			assert_string_equal(json_string_value(json_object_get(c,
			    "bom-ref")), "pkg:npm/%40langchain/core@0.3.40");
			assert_non_null(strstr(p, "\"agent\""));
			assert_non_null(strstr(p, "\"agent2\""));
			free(p);
		}
	assert_int_equal(mcp, 1);
	c = find_name(comps, "TinyLlama");
	assert_null(strstr(json_string_value(json_object_get(c, "bom-ref")),
	    "/m/"));
	assert_int_equal(strncmp(json_string_value(json_object_get(c,
	    "bom-ref")), "model:TinyLlama~", 16), 0);
	mcp = 0;
	json_array_foreach(json_object_get(bom, "dependencies"), i, d)
		if (strncmp(json_string_value(json_object_get(d, "ref")),
		    "workload:", 9) == 0)
			json_array_foreach(json_object_get(d, "dependsOn"), k, r)
				mcp += strcmp(json_string_value(r),
				    "pkg:npm/%40langchain/core@0.3.40") == 0;
	assert_int_equal(mcp, 2);
	/* Made by Paddock (its version), from a system in operation. */
	c = json_object_get(bom, "metadata");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(c, "lifecycles"), 0), "phase")), "operations");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(c, "tools"), "components"), 0),
	    "version")), PADDOCK_VERSION);
	json_decref(bom);
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bom_cyclonedx_shape),
	};

	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
