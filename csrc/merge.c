/* merge.c -- flow-merge: the k-way merge of record streams by end time
 * (commands.md 8.9, 13).
 *
 * The reference keeps one pending record per input and each time scans
 * them all for the earliest end time (ftltime of Last), the first input
 * winning ties.  Here the pending inputs sit in a binary heap ordered by
 * (end time, input index), which gives the same sequence in O(log k) a
 * record, and a run of records of the leading input that still beat the
 * runner-up is copied in one memcpy (the whole stream, when the inputs
 * follow each other in time).  The heap lives only for one call: a call
 * returns to Python whenever an input needs its next batch. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

typedef struct {
    size_t secs, nsecs, sys, last;   /* field offsets */
    size_t rs;                       /* record size */
} merge_offs_t;

static int merge_offsets(int rt, merge_offs_t *o)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    if (!L)
        return FTC_EINVAL;
    if (L->off[FTC_F_UNIX_SECS] < 0 || L->off[FTC_F_UNIX_NSECS] < 0
        || L->off[FTC_F_SYSUPTIME] < 0 || L->off[FTC_F_LAST] < 0)
        return FTC_EFIELD;
    o->secs = (size_t)L->off[FTC_F_UNIX_SECS];
    o->nsecs = (size_t)L->off[FTC_F_UNIX_NSECS];
    o->sys = (size_t)L->off[FTC_F_SYSUPTIME];
    o->last = (size_t)L->off[FTC_F_LAST];
    o->rs = L->rec_size;
    return FTC_OK;
}

/* the reference's ftltime(sysUpTime, unix_secs, unix_nsecs, Last) as
   seconds << 32 | milliseconds */
static inline uint64_t end_key(const uint8_t *r, const merge_offs_t *o)
{
    uint32_t sys = ftc_ld32(r + o->sys), t = ftc_ld32(r + o->last);
    uint32_t secs = ftc_ld32(r + o->secs) - sys / 1000u;
    uint32_t ms = ftc_ld32(r + o->nsecs) / 1000000u, sys_ms = sys % 1000u;
    if (sys_ms > ms) {
        secs--;
        ms += 1000u;
    }
    ms -= sys_ms;
    secs += t / 1000u;
    ms += t % 1000u;
    if (ms >= 1000u) {
        ms -= 1000u;
        secs++;
    }
    return (uint64_t)secs << 32 | ms;
}

int ftc_merge_keys(int rt, const uint8_t *recs, size_t n, size_t size, uint64_t *keys)
{
    merge_offs_t o;
    size_t i;
    int r = merge_offsets(rt, &o);
    if (r != FTC_OK)
        return r;
    if (n && (!recs || !keys || n > size / o.rs))
        return FTC_EINVAL;
    for (i = 0; i < n; i++)
        keys[i] = end_key(recs + i * o.rs, &o);
    return FTC_OK;
}

/* does input a go before input b? */
static inline int before(const ftc_merge_in_t *in, uint32_t a, uint32_t b)
{
    return in[a].key < in[b].key || (in[a].key == in[b].key && a < b);
}

static void sift_down(const ftc_merge_in_t *in, uint32_t *heap, size_t m, size_t i)
{
    uint32_t v = heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && before(in, heap[c + 1], heap[c]))
            c++;
        if (!before(in, heap[c], v))
            break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = v;
}

int ftc_merge(int rt, ftc_merge_in_t *in, size_t k, uint32_t *heap, uint8_t *out,
              size_t cap, size_t *produced, size_t *need)
{
    merge_offs_t o;
    size_t i, m = 0, done = 0;
    int r;
    if (!produced || !need)
        return FTC_EINVAL;
    *produced = 0;
    *need = k;
    if ((r = merge_offsets(rt, &o)) != FTC_OK)
        return r;
    if ((k && (!in || !heap)) || (cap && !out) || k > 0xFFFFFFFFu || cap > SIZE_MAX / o.rs)
        return FTC_EINVAL;
    for (i = 0; i < k; i++) {
        if (in[i].pos > in[i].n || (in[i].n && (!in[i].recs || in[i].n > in[i].size / o.rs)))
            return FTC_EINVAL;
    }
    for (i = 0; i < k; i++) {
        if (in[i].pos == in[i].n && !in[i].done) {
            *need = i;
            return FTC_EAGAIN;
        }
    }
    for (i = 0; i < k; i++) {
        if (in[i].pos < in[i].n) {
            in[i].key = end_key(in[i].recs + in[i].pos * o.rs, &o);
            heap[m++] = (uint32_t)i;
        }
    }
    for (i = m / 2; i-- > 0;)
        sift_down(in, heap, m, i);
    while (m > 0) {
        uint32_t top = heap[0], run_up = 0;
        int have_run_up = 0;
        ftc_merge_in_t *t = &in[top];
        size_t start = t->pos, end = start + 1, limit;
        if (done == cap) {
            *produced = done;
            return FTC_EFULL;
        }
        if (m > 1) {
            run_up = heap[1];
            if (m > 2 && before(in, heap[2], heap[1]))
                run_up = heap[2];
            have_run_up = 1;
        }
        limit = t->n - start < cap - done ? t->n : start + (cap - done);
        if (!have_run_up)
            end = limit;                /* the last input: no key to compare */
        while (end < limit) {
            uint64_t key = end_key(t->recs + end * o.rs, &o);
            if (have_run_up && !(key < in[run_up].key
                                 || (key == in[run_up].key && top < run_up)))
                break;
            end++;
        }
        memcpy(out + done * o.rs, t->recs + start * o.rs, (end - start) * o.rs);
        done += end - start;
        t->pos = end;
        if (end < t->n) {
            t->key = end_key(t->recs + end * o.rs, &o);
            sift_down(in, heap, m, 0);
        } else if (!t->done) {
            *produced = done;
            *need = top;
            return FTC_EAGAIN;
        } else {
            heap[0] = heap[--m];
            if (m)
                sift_down(in, heap, m, 0);
        }
    }
    *produced = done;
    return FTC_OK;
}
