/*
 * ring: the collector's own reader of a BPF ring buffer, which releases
 * space only when what was read is safe in Redis.
 *
 * libbpf's ring_buffer__consume() hands the kernel a record's space back
 * as soon as its callback returns; a collector killed before its XADDs
 * are confirmed then loses those records, and the kernel's dedup keys say
 * they were reported.  Here reading and releasing are apart: ring_read()
 * walks from the read position to the producer, ring_release() moves the
 * kernel's consumer position (which frees the space) to a position whose
 * records are all confirmed.  With the ring pinned, a new collector starts
 * reading at the consumer position: records read but not confirmed by the
 * one before are read again (at least once, never lost), and while space
 * is held the kernel counts what it cannot reserve on the workload
 * (bpf/collect.bpf.c, `lost`).
 *
 * The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page
 * (writable), then the producer page and the data mapped twice in a row,
 * so that a record that wraps reads as one.  Each record has an 8-byte
 * header (length with BUSY and DISCARD bits, page offset) and is rounded
 * up to 8 bytes.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "collectd.h"

struct ring {
	int		 fd;
	size_t		 size;		/* data bytes, a power of two */
	size_t		 page;
	uint64_t	*cons;		/* consumer position (ours to write) */
	uint8_t		*prod_page;	/* producer position, then data x2 */
	uint64_t	 rd;		/* read up to here */
};

struct ring *
ring_open(int fd, size_t size)
{
	struct ring *r = calloc(1, sizeof(*r));
	void *p;

	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->size = size;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->cons = p;
	p = mmap(NULL, r->page + 2 * size, PROT_READ, MAP_SHARED, fd,
	    (off_t)r->page);
	if (p == MAP_FAILED) {
		munmap(r->cons, r->page);
		goto fail;
	}
	r->prod_page = p;
	r->rd = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
	return r;
fail:
	free(r);
	return NULL;
}

void
ring_close(struct ring *r)
{
	if (r == NULL)
		return;
	munmap(r->prod_page, r->page + 2 * r->size);
	munmap(r->cons, r->page);
	free(r);
}

int
ring_read(struct ring *r, int (*fn)(void *, void *, size_t), void *arg,
    size_t max)
{
	uint64_t prod, mask = r->size - 1;
	uint8_t *data = r->prod_page + r->page;
	size_t n = 0;

	prod = __atomic_load_n((uint64_t *)r->prod_page, __ATOMIC_ACQUIRE);
	while (r->rd < prod && n < max) {
		uint32_t *hdr = (uint32_t *)(data + (r->rd & mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;		/* reserved, not yet committed */
		r->rd += (((len & ~(uint32_t)BPF_RINGBUF_DISCARD_BIT) +
		    BPF_RINGBUF_HDR_SZ) + 7) & ~7ull;
		if (len & BPF_RINGBUF_DISCARD_BIT)
			continue;
		fn(arg, (uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, len);
		n++;
	}
	return (int)n;
}

uint64_t
ring_pos(const struct ring *r)
{
	return r->rd;
}

void
ring_release(struct ring *r, uint64_t pos)
{
	if (pos > r->rd)
		pos = r->rd;
	if (pos > __atomic_load_n(r->cons, __ATOMIC_RELAXED))
		__atomic_store_n(r->cons, pos, __ATOMIC_RELEASE);
}

int
ring_held(const struct ring *r)
{
	return __atomic_load_n(r->cons, __ATOMIC_RELAXED) != r->rd;
}

uint64_t
ring_used(const struct ring *r)
{
	return __atomic_load_n((uint64_t *)r->prod_page, __ATOMIC_ACQUIRE) -
	    __atomic_load_n(r->cons, __ATOMIC_RELAXED);
}

size_t
ring_size(const struct ring *r)
{
	return r->size;
}

uint64_t
ring_unread(const struct ring *r)
{
	return __atomic_load_n((uint64_t *)r->prod_page, __ATOMIC_ACQUIRE) -
	    r->rd;
}
