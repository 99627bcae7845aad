/*
 * spill: the collector's batches on disk while Redis is away.
 *
 * The pinned ring holds what Redis has not confirmed, but only as much as
 * it is big (collectd.ringbuf_kb): a Redis outage of a few seconds under
 * load fills it, and the kernel then counts what it cannot fit as lost.
 * While Redis is away and the ring is a quarter full, the collector
 * instead appends each batch (its XADD:
 * stream and fields) to <state_dir>/collectd.spill, fsyncs it, and gives
 * the ring's space back: the file is now what holds the events.  It takes
 * the write queue's unconfirmed entries first, so that the file keeps
 * their order.  Once Redis is back the file is replayed through the write
 * queue, oldest first, each entry under its offset (the writer's cookie),
 * and confirmed as Redis confirms it, in any order: what is done is the
 * confirmed prefix.  Entries taken back from the queue by a new outage
 * are sent again from the oldest of them (spill_unsend).  How far it went
 * is kept in <state_dir>/collectd.spill.done, so that a collector
 * restarted mid-replay goes on from there (after a crash, at most 64
 * entries are sent twice: at least once).  The file is emptied when
 * everything in it was confirmed.  Past collectd.spill_mb (checked before
 * each pass) nothing more is spilled: the ring holds, and the kernel
 * counts the rest.
 *
 * An entry on disk: a 4-byte length (host order: the file never leaves
 * the host), then a msgpack array [stream, name, value, name, value, ...]
 * (values as bin).  Pure file I/O; no event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "collectd.h"
#include "rstream.h"

#define SPILL_FIELDS	16
#define SPILL_ENTRY_MAX	(64u << 20)

/* An entry sent from the file: where, how big, and whether Redis has it. */
struct sent {
	uint64_t	 off, len;
	int		 confirmed;
};

struct spill {
	char		 path[300], done_path[320];
	int		 fd;
	uint64_t	 max;		/* bytes */
	uint64_t	 size;		/* bytes in the file */
	uint64_t	 done;		/* confirmed up to here */
	uint64_t	 sent;		/* replayed up to here */
	struct sent	*fifo;		/* replayed, not confirmed, in order */
	size_t		 nfifo, hfifo, capfifo;	/* a ring of them */
	uint64_t	 confirms;	/* since .done was written */
	msgpack_sbuffer	 sb;
};

static int
done_write(struct spill *s)
{
	char tmp[340], buf[32];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->done_path);
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", s->done);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return -EIO;
	}
	close(fd);
	return rename(tmp, s->done_path) < 0 ? -errno : 0;
}

struct spill *
spill_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spill *s;
	char buf[32] = "";
	off_t end;
	FILE *f;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->max = max_bytes;
	snprintf(s->path, sizeof(s->path), "%s/collectd.spill", dir);
	snprintf(s->done_path, sizeof(s->done_path), "%s.done", s->path);
	if ((s->fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    (end = lseek(s->fd, 0, SEEK_END)) < 0) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	s->size = (uint64_t)end;
	if ((f = fopen(s->done_path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			s->done = strtoull(buf, NULL, 10);
		fclose(f);
	}
	if (s->done > s->size)
		s->done = s->size;
	s->sent = s->done;
	msgpack_sbuffer_init(&s->sb);
	return s;
}

void
spill_close(struct spill *s)
{
	if (s == NULL)
		return;
	if (s->confirms > 0)
		done_write(s);	/* a clean stop sends nothing twice */
	close(s->fd);
	msgpack_sbuffer_destroy(&s->sb);
	free(s->fifo);
	free(s);
}

uint64_t
spill_waiting(const struct spill *s)
{
	return s == NULL ? 0 : s->size - s->done;
}

/* The bound is checked before a pass, not within: one pass may pass it. */
int
spill_room(const struct spill *s)
{
	return s != NULL && s->size < s->max;
}

int
spill_append(struct spill *s, const char *stream, const struct rs_field *f,
    size_t n)
{
	msgpack_packer pk;
	uint32_t len;
	size_t i, sl = strlen(stream);
	ssize_t w;

	s->sb.size = 0;
	msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (uint32_t)(1 + 2 * n));
	msgpack_pack_str(&pk, sl);
	msgpack_pack_str_body(&pk, stream, sl);
	for (i = 0; i < n; i++) {
		size_t nl = strlen(f[i].name);

		msgpack_pack_str(&pk, nl);
		msgpack_pack_str_body(&pk, f[i].name, nl);
		msgpack_pack_bin(&pk, f[i].len);
		msgpack_pack_bin_body(&pk, f[i].val, f[i].len);
	}
	if (s->sb.data == NULL || s->sb.size > SPILL_ENTRY_MAX)
		return -ENOMEM;
	len = (uint32_t)s->sb.size;
	if (pwrite(s->fd, &len, sizeof(len), (off_t)s->size) != sizeof(len) ||
	    (w = pwrite(s->fd, s->sb.data, s->sb.size, (off_t)(s->size +
	    sizeof(len)))) != (ssize_t)s->sb.size) {
		/* A torn tail is cut off: the next append writes over it. */
		return -EIO;
	}
	s->size += sizeof(len) + s->sb.size;
	return 0;
}

int
spill_sync(struct spill *s)
{
	return fdatasync(s->fd) < 0 ? -errno : 0;
}

static struct sent *
fifo_at(struct spill *s, size_t i)
{
	return &s->fifo[(s->hfifo + i) % s->capfifo];
}

static int
fifo_push(struct spill *s, uint64_t off, uint64_t len)
{
	if (s->nfifo == s->capfifo) {
		size_t cap = s->capfifo ? s->capfifo * 2 : 256, i;
		struct sent *nv = malloc(cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		for (i = 0; i < s->nfifo; i++)
			nv[i] = *fifo_at(s, i);
		free(s->fifo);
		s->fifo = nv;
		s->capfifo = cap;
		s->hfifo = 0;
	}
	s->nfifo++;
	*fifo_at(s, s->nfifo - 1) = (struct sent){ off, len, 0 };
	return 0;
}

int
spill_replay(struct spill *s, spill_send_fn *fn, void *arg, size_t max)
{
	struct rs_field f[SPILL_FIELDS];
	char names[SPILL_FIELDS][64];
	msgpack_unpacked u;
	char stream[256];
	uint32_t len;
	size_t done = 0, i, n, off;
	char *buf = NULL;
	int rc = 0;

	msgpack_unpacked_init(&u);
	while (done < max && s->sent < s->size) {
		if (pread(s->fd, &len, sizeof(len), (off_t)s->sent) !=
		    sizeof(len) || len == 0 || len > SPILL_ENTRY_MAX ||
		    s->sent + sizeof(len) + len > s->size) {
			rc = -EPROTO;
			break;
		}
		free(buf);
		if ((buf = malloc(len)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		if (pread(s->fd, buf, len, (off_t)(s->sent + sizeof(len))) !=
		    (ssize_t)len) {
			rc = -EIO;
			break;
		}
		off = 0;
		if (msgpack_unpack_next(&u, buf, len, &off) !=
		    MSGPACK_UNPACK_SUCCESS || u.data.type !=
		    MSGPACK_OBJECT_ARRAY || u.data.via.array.size < 1 ||
		    u.data.via.array.size % 2 != 1 ||
		    u.data.via.array.size > 1 + 2 * SPILL_FIELDS ||
		    u.data.via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
		    u.data.via.array.ptr[0].via.str.size >= sizeof(stream)) {
			rc = -EPROTO;
			break;
		}
		snprintf(stream, sizeof(stream), "%.*s",
		    (int)u.data.via.array.ptr[0].via.str.size,
		    u.data.via.array.ptr[0].via.str.ptr);
		/* Names are NUL-terminated in place: msgpack's str is not. */
		n = (u.data.via.array.size - 1) / 2;
		for (i = 0; i < n; i++) {
			const msgpack_object *k = &u.data.via.array.ptr[1 + 2 * i];
			const msgpack_object *v = &u.data.via.array.ptr[2 + 2 * i];

			if (k->type != MSGPACK_OBJECT_STR ||
			    k->via.str.size >= sizeof(names[0]) ||
			    v->type != MSGPACK_OBJECT_BIN)
				break;
			snprintf(names[i], sizeof(names[i]), "%.*s",
			    (int)k->via.str.size, k->via.str.ptr);
			f[i] = (struct rs_field){ names[i], v->via.bin.ptr,
			    v->via.bin.size };
		}
		if (i != n) {
			rc = -EPROTO;
			break;
		}
		if ((rc = fifo_push(s, s->sent, sizeof(len) + len)) < 0)
			break;
		if (fn(arg, stream, f, n, s->sent) < 0) {
			s->nfifo--;
			break;		/* the queue is full: later */
		}
		s->sent += sizeof(len) + len;
		done++;
	}
	free(buf);
	msgpack_unpacked_destroy(&u);
	if (rc == -EPROTO) {
		/* A torn or foreign tail: what follows cannot be read. */
		s->size = s->sent;
		if (ftruncate(s->fd, (off_t)s->size) < 0)
			rc = -errno;
	}
	return rc < 0 && done == 0 ? rc : (int)done;
}

int
spill_confirm(struct spill *s, uint64_t off)
{
	size_t i;

	for (i = 0; i < s->nfifo; i++)
		if (fifo_at(s, i)->off == off) {
			fifo_at(s, i)->confirmed = 1;
			break;
		}
	if (i == s->nfifo)
		return 0;	/* sent before a rewind: sent again since */
	/* What Redis has, from the oldest on, is done. */
	while (s->nfifo > 0 && fifo_at(s, 0)->confirmed) {
		s->done = fifo_at(s, 0)->off + fifo_at(s, 0)->len;
		s->hfifo = (s->hfifo + 1) % s->capfifo;
		s->nfifo--;
		s->confirms++;
	}
	if (s->done == s->size && s->nfifo == 0) {
		/* All of it is in Redis: start the file afresh. */
		if (ftruncate(s->fd, 0) < 0)
			return -errno;
		s->size = s->done = s->sent = 0;
	} else if (s->confirms < 64)
		return 0;	/* a crash sends at most 64 twice */
	s->confirms = 0;
	return done_write(s);
}

void
spill_unsend(struct spill *s, uint64_t off)
{
	/* Everything from off on goes again, in order. */
	while (s->nfifo > 0 && fifo_at(s, s->nfifo - 1)->off >= off)
		s->nfifo--;
	if (off < s->sent)
		s->sent = off;
	if (s->sent < s->done)
		s->sent = s->done;
}
