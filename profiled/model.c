/*
 * model: what a file's bytes say it is, for discovery (discover.c).
 *
 * A model is decided by content, never by its name: a ".gguf" that is not
 * GGUF, a ".h5" that is plain HDF5 data, an Ollama blob that is a licence
 * text are not models.  model_format() reads the first bytes (1 MiB at
 * most, for an HDF5 file's attributes) and names the format it finds:
 *
 *   gguf          "GGUF", and what its header says: general.name,
 *                 .architecture, .size_label and .file_type (the
 *                 quantisation);
 *   safetensors   a u64 length, then a JSON object;
 *   onnx          a protobuf ModelProto: ir_version (field 1) first, then
 *                 one of its other fields;
 *   pytorch       a zip whose entries include ".../data.pkl" (torch.save),
 *                 or a pickle (protocol 2 to 5: the legacy format);
 *   keras         HDF5 with Keras' "model_config" or "keras_version"
 *                 attribute, or a zip with "config.json" and
 *                 "model.weights.h5" (Keras 3);
 *   tflite        a FlatBuffer with the "TFL3" identifier;
 *   savedmodel    a SavedModel protobuf: schema version, then meta graphs.
 *
 * Pure but for pread() on the caller's fd.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiled.h"

/* A bounded little-endian reader over the first bytes of a file. */
struct rd {
	const unsigned char *p;
	size_t		 n, o;
};

static int
rd_u(struct rd *r, size_t bytes, uint64_t *v)
{
	size_t i;

	if (r->o + bytes > r->n)
		return -1;
	*v = 0;
	for (i = 0; i < bytes; i++)
		*v |= (uint64_t)r->p[r->o + i] << (8 * i);
	r->o += bytes;
	return 0;
}

static int
gguf_skip(struct rd *r, uint64_t type, int depth)
{
	static const size_t size[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
	uint64_t len, at, cnt, i;

	if (type > 12 || depth > 2)
		return -1;
	if (type == 8)
		return rd_u(r, 8, &len) < 0 || len > r->n - r->o ? -1 :
		    (int)((r->o += len), 0);
	if (type == 9) {
		if (rd_u(r, 4, &at) < 0 || rd_u(r, 8, &cnt) < 0)
			return -1;
		for (i = 0; i < cnt; i++)
			if (gguf_skip(r, at, depth + 1) < 0)
				return -1;
		return 0;
	}
	return r->o + size[type] > r->n ? -1 : (int)((r->o += size[type]), 0);
}

/* llama.cpp's general.file_type: the quantisation most tensors have. */
static const char *
gguf_quant(uint64_t t)
{
	static const char *const names[] = { "F32", "F16", "Q4_0", "Q4_1",
	    NULL, NULL, NULL, "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S",
	    "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
	    "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S",
	    "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M", "IQ4_XS", "IQ1_M",
	    "BF16" };

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : NULL;
}

int
gguf_read(int fd, struct model_facts *mf)
{
	unsigned char buf[65536];
	struct rd r = { buf, 0, 0 };
	uint64_t ver, nt, nkv, i, klen, type, slen, u;
	const char *q;
	ssize_t got;

	memset(mf, 0, sizeof(*mf));
	if ((got = pread(fd, buf, sizeof(buf), 0)) < 24 ||
	    memcmp(buf, "GGUF", 4) != 0)
		return -1;
	r.n = (size_t)got;
	r.o = 4;
	if (rd_u(&r, 4, &ver) < 0 || ver < 2 || rd_u(&r, 8, &nt) < 0 ||
	    rd_u(&r, 8, &nkv) < 0)
		return ver == 1 ? 0 : -1;	/* v1: a GGUF, no names read */
	for (i = 0; i < nkv && i < 256; i++) {
		const char *key;
		char *to = NULL;
		size_t tolen = 0;

		if (rd_u(&r, 8, &klen) < 0 || klen > r.n - r.o)
			break;
		key = (const char *)buf + r.o;
		r.o += klen;
		if (rd_u(&r, 4, &type) < 0)
			break;
#define KEY(s)	(klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
		if (type == 8 && KEY("general.name"))
			to = mf->name, tolen = sizeof(mf->name);
		else if (type == 8 && KEY("general.architecture"))
			to = mf->arch, tolen = sizeof(mf->arch);
		else if (type == 8 && KEY("general.size_label"))
			to = mf->size, tolen = sizeof(mf->size);
		else if (type == 4 && KEY("general.file_type")) {
			if (rd_u(&r, 4, &u) < 0)
				break;
			if ((q = gguf_quant(u)) != NULL)
				snprintf(mf->quant, sizeof(mf->quant), "%s", q);
			continue;
		}
#undef KEY
		if (to != NULL) {
			if (rd_u(&r, 8, &slen) < 0 || slen > r.n - r.o)
				break;
			snprintf(to, tolen, "%.*s", (int)slen,
			    (const char *)buf + r.o);
			r.o += slen;
			continue;
		}
		if (gguf_skip(&r, type, 0) < 0)
			break;
	}
	return 0;
}

int
safetensors_read(int fd)
{
	unsigned char buf[512];
	uint64_t len = 0;
	ssize_t got;
	int i;

	if ((got = pread(fd, buf, sizeof(buf), 0)) < 10)
		return -1;
	for (i = 0; i < 8; i++)
		len |= (uint64_t)buf[i] << (8 * i);
	if (len < 2 || len > (100u << 20))
		return -1;
	for (i = 8; i < got && (buf[i] == ' ' || buf[i] == '\n'); i++)
		;
	return i < got && buf[i] == '{' ? 0 : -1;
}

/* memmem over the first n bytes. */
static int
has(const unsigned char *b, size_t n, const char *s)
{
	return memmem(b, n, s, strlen(s)) != NULL;
}

/* A protobuf varint at b[*o]; -1 past n or over 10 bytes. */
static int
varint(const unsigned char *b, size_t n, size_t *o, uint64_t *v)
{
	int shift;

	*v = 0;
	for (shift = 0; *o < n && shift < 70; shift += 7) {
		unsigned char c = b[(*o)++];

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

static const char *
sniff(const unsigned char *b, size_t n)
{
	static const unsigned char hdf5[8] = { 0x89, 'H', 'D', 'F', '\r',
	    '\n', 0x1a, '\n' };
	size_t o, at;
	uint64_t v;

	if (n >= 8 && memcmp(b + 4, "TFL3", 4) == 0)
		return "tflite";
	if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) {
		if (has(b, n, "config.json") && has(b, n, "model.weights.h5"))
			return "keras";
		if (has(b, n, "data.pkl"))
			return "pytorch";
		return NULL;	/* some other zip */
	}
	/* HDF5's superblock is at 0, 512, 1024 or 2048. */
	for (at = 0; at <= 2048; at = at ? at * 2 : 512)
		if (n >= at + 8 && memcmp(b + at, hdf5, 8) == 0)
			return has(b, n, "model_config") ||
			    has(b, n, "keras_version") ? "keras" : NULL;
	if (n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5)
		return "pytorch";
	/* Protobuf: field 1 as a varint (tag 0x08), then a known field. */
	o = 1;
	if (n >= 4 && b[0] == 0x08 && varint(b, n, &o, &v) == 0 && o < n) {
		if (v >= 1 && v <= 32 && (b[o] == 0x12 || b[o] == 0x1a ||
		    b[o] == 0x22 || b[o] == 0x28 || b[o] == 0x32 ||
		    b[o] == 0x3a || b[o] == 0x42))
			return b[o] == 0x12 && has(b, n, "tensorflow") ?
			    "savedmodel" : "onnx";
	}
	return NULL;
}

const char *
model_format(int fd, struct model_facts *mf)
{
	unsigned char *buf;
	const char *f = NULL;
	ssize_t got;

	if (gguf_read(fd, mf) == 0)
		return "gguf";
	if (safetensors_read(fd) == 0)
		return "safetensors";
	if ((buf = malloc(MODEL_SNIFF)) == NULL)
		return NULL;
	if ((got = pread(fd, buf, MODEL_SNIFF, 0)) > 0)
		f = sniff(buf, (size_t)got);
	free(buf);
	return f;
}
