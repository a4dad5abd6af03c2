/* fuzz_splitmerge.c -- libFuzzer harness for csrc/merge.c and csrc/split.c
 * (flow-merge, flow-split).  Never compiled into the extension.
 *
 * Input layout: byte 0 the record type (modulo FTC_RT_COUNT), byte 1 the
 * number of inputs (1..8) and the output capacity (high nibble, 0..15
 * records), byte 2 the batch size (1..16 records), byte 3 -N (0..15) and
 * byte 4 -T (seconds, 0..255); then records (whole records only), dealt
 * to the inputs in turn; the same records then go through the split
 * entry points.
 *
 * Checked, beyond "no crash, no sanitizer report": the merge finishes
 * (statuses OK / EAGAIN / EFULL only) and writes every record exactly once
 * (as a multiset, by byte sum and count); the cut points advance and cover
 * the records; the tag groups partition them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_RECS 64
#define MAX_IN 8
#define REC_MAX 128   /* bytes of the largest record (v1006: 112) */

static uint8_t recs[MAX_RECS * REC_MAX], in_recs[MAX_IN][MAX_RECS * REC_MAX], out[16 * REC_MAX];
static uint8_t grouped[MAX_RECS * REC_MAX];
static ftc_merge_in_t ins[MAX_IN];
static uint32_t heap[MAX_IN], slot[MAX_RECS], scratch[MAX_RECS];
static ftc_split_group_t groups[MAX_RECS];
static ftc_range_t ranges[MAX_RECS];

/* a sum over n records of rs bytes that does not depend on their order */
static uint64_t sum(const uint8_t *p, size_t n, size_t rs)
{
    uint64_t s = 0;
    size_t i;
    for (i = 0; i < n * rs; i++)
        s += (uint64_t)p[i] * (i % rs + 1);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ftc_layout_t *L;
    size_t rs, n, k, cap, bs, i, total = 0, produced, need, fill[MAX_IN] = {0};
    size_t given[MAX_IN] = {0}, rounds = 0, n_unknown, nr;
    uint64_t want = 0, got = 0;
    int rt, r;
    if (size < 5)
        return 0;
    rt = data[0] % FTC_RT_COUNT;
    L = ftc_layout_get(rt);
    CHECK(L != NULL);
    rs = L->rec_size;
    CHECK(rs <= REC_MAX);
    k = (size_t)(data[1] & 7) + 1;
    cap = data[1] >> 4;
    bs = (size_t)(data[2] & 15) + 1;
    n = (size - 5) / rs;
    if (n > MAX_RECS)
        n = MAX_RECS;
    memcpy(recs, data + 5, n * rs);
    /* ---- merge: records dealt to the inputs, fed bs at a time ---- */
    for (i = 0; i < n; i++) {
        memcpy(in_recs[i % k] + fill[i % k] * rs, recs + i * rs, rs);
        fill[i % k]++;
    }
    want = sum(recs, n, rs);
    memset(ins, 0, sizeof ins);
    for (i = 0; i < k; i++) {
        size_t m = fill[i] < bs ? fill[i] : bs;
        ins[i].recs = in_recs[i];
        ins[i].size = sizeof in_recs[i];
        ins[i].n = m;
        ins[i].done = m == fill[i];
        given[i] = m;
    }
    for (;;) {
        CHECK(rounds++ < 100000);
        r = ftc_merge(rt, ins, k, heap, out, cap, &produced, &need);
        CHECK(produced <= cap);
        got += sum(out, produced, rs);
        total += produced;
        if (r == FTC_OK)
            break;
        if (r == FTC_EFULL) {
            if (cap == 0)
                break;
            continue;
        }
        CHECK(r == FTC_EAGAIN && need < k);
        {
            size_t m = fill[need] - given[need] < bs ? fill[need] - given[need] : bs;
            ins[need].recs = in_recs[need] + given[need] * rs;
            ins[need].size = m * rs;
            ins[need].n = m;
            ins[need].pos = 0;
            given[need] += m;
            ins[need].done = given[need] == fill[need];
        }
    }
    if (cap)
        CHECK(total == n && got == want);
    /* ---- split: cut points ---- */
    {
        ftc_split_t s;
        size_t pos = 0, cuts = 0;
        memset(&s, 0, sizeof s);
        while (pos < n) {
            int64_t e = ftc_split_cut(&s, rt, recs, n, sizeof recs, pos, data[3] & 15, data[4]);
            CHECK(e > (int64_t)pos && (size_t)e <= n);
            pos = (size_t)e;
            if (s.newfile) {
                memset(&s, 0, sizeof s);
                cuts++;
            }
        }
        CHECK(cuts <= n);
    }
    /* ---- split: tag groups, the index built from the records' tags ---- */
    if (L->off[FTC_F_SRC_TAG] >= 0) {
        nr = 0;
        r = (int)ftc_split_group(rt, FTC_F_SRC_TAG, ranges, 0, 0, recs, n, sizeof recs,
                                 grouped, sizeof grouped, groups, slot, scratch, &n_unknown);
        CHECK(n == 0 ? r == 0 : (r == FTC_EAGAIN && n_unknown == n));
        if (n) {
            /* sorted distinct tags -> series = rank */
            uint32_t tags[MAX_RECS];
            size_t j, m = n_unknown;
            memcpy(tags, scratch, m * sizeof tags[0]);
            for (i = 1; i < m; i++)
                for (j = i; j > 0 && tags[j - 1] > tags[j]; j--) {
                    uint32_t t = tags[j];
                    tags[j] = tags[j - 1];
                    tags[j - 1] = t;
                }
            for (i = 0; i < m; i++)
                if (nr == 0 || ranges[nr - 1].lo != tags[i]) {
                    ranges[nr].lo = ranges[nr].hi = tags[i];
                    ranges[nr].value = (uint32_t)nr;
                    nr++;
                }
            memset(slot, 0xA5, sizeof slot);
            r = (int)ftc_split_group(rt, FTC_F_SRC_TAG, ranges, nr, (uint32_t)nr, recs, n,
                                     sizeof recs, grouped, sizeof grouped, groups, slot,
                                     scratch, &n_unknown);
            CHECK(r > 0 && (size_t)r <= nr);
            {
                size_t cnt = 0;
                for (i = 0; i < (size_t)r; i++) {
                    CHECK(groups[i].start == cnt);
                    cnt += groups[i].count;
                }
                CHECK(cnt == n);
                CHECK(sum(grouped, n, rs) == want);
            }
        }
    }
    return 0;
}
