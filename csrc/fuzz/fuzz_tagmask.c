/* fuzz_tagmask.c -- libFuzzer harness for csrc/tagmask.c (flow-tag,
 * flow-mask and flow-xlate programs, record version conversion).  Never
 * compiled into the extension.
 *
 * Input layout: byte 0 the record type (modulo FTC_RT_COUNT), byte 1 the
 * second record type, byte 2 counts (terms, actions: low and high nibble),
 * byte 3 ranges and sets (nibbles); then the raw bytes of the terms,
 * actions, ranges, sets and xlate actions, 16 KiB of bitmaps at most, and
 * what is left as records (whole records only).
 *
 * Checked, beyond "no crash, no sanitizer report": ftc_tag_apply,
 * ftc_mask_apply and ftc_xlate_apply return their check's status and leave
 * the records untouched when a program is malformed; conversion returns
 * FTC_OK or FTC_EFULL and writes only inside out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_RECS 32

static ftc_tag_term_t terms[16];
static ftc_tag_action_t actions[16];
static ftc_range_t ranges[16];
static ftc_tag_set_t sets[16];
static ftc_xlate_action_t xacts[16];
static ftc_xlate_term_t xterms[16];
static uint8_t maps[16384];
/* room for MAX_RECS records of the longest layout (v1006: 112 bytes) */
static uint8_t recs[MAX_RECS * 128], orig[MAX_RECS * 128], out[MAX_RECS * 128 + 8];
static uint8_t sel[MAX_RECS], done[MAX_RECS];

static size_t take(void *dst, size_t want, const uint8_t **p, size_t *left)
{
    size_t n = want < *left ? want : *left;
    memset(dst, 0, want);
    memcpy(dst, *p, n);
    *p += n;
    *left -= n;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data + 4;
    size_t left, nt, na, nr, ns, nrec, rs, i, maps_len;
    const ftc_layout_t *L, *L2;
    ftc_tag_prog_t prog;
    int rt, rt2, r, chk;
    if (size < 4)
        return 0;
    left = size - 4;
    rt = data[0] % FTC_RT_COUNT;
    rt2 = data[1] % FTC_RT_COUNT;
    nt = data[2] & 15;
    na = data[2] >> 4;
    nr = data[3] & 15;
    ns = data[3] >> 4;
    take(terms, nt * sizeof terms[0], &p, &left);
    take(actions, na * sizeof actions[0], &p, &left);
    take(ranges, nr * sizeof ranges[0], &p, &left);
    take(sets, ns * sizeof sets[0], &p, &left);
    take(xacts, na * sizeof xacts[0], &p, &left);
    maps_len = left > 8192 ? 8192 : left / 2;
    take(maps, maps_len, &p, &left);
    L = ftc_layout_get(rt);
    L2 = ftc_layout_get(rt2);
    rs = L->rec_size;
    nrec = left / rs;
    if (nrec > MAX_RECS)
        nrec = MAX_RECS;
    memcpy(recs, p, nrec * rs);
    memcpy(orig, recs, nrec * rs);

    /* flow-tag: over v1005 records (as many as fit), then v1006 ones */
    prog.terms = terms; prog.n_terms = nt;
    prog.actions = actions; prog.n_actions = na;
    prog.ranges = ranges; prog.n_ranges = nr;
    prog.sets = sets; prog.n_sets = ns;
    prog.maps = maps; prog.maps_len = maps_len;
    chk = ftc_tag_check(&prog);
    CHECK(chk == FTC_OK || chk == FTC_EPROGRAM);
    r = ftc_tag_apply(&prog, FTC_RT_V1005, recs, nrec * rs / 72);
    CHECK(r == chk);
    if (chk != FTC_OK)
        CHECK(memcmp(recs, orig, nrec * rs) == 0);
    /* and over v1006 records */
    memcpy(recs, orig, nrec * rs);
    r = ftc_tag_apply(&prog, FTC_RT_V1006, recs, nrec * rs / 112);
    CHECK(r == chk);
    if (chk != FTC_OK)
        CHECK(memcmp(recs, orig, nrec * rs) == 0);

    /* flow-mask */
    memcpy(recs, orig, nrec * rs);
    chk = ftc_ranges_check(ranges, nr, 256);
    r = ftc_mask_apply(rt, ranges, nr, recs, nrec);
    CHECK(r == chk);
    if (chk != FTC_OK)
        CHECK(memcmp(recs, orig, nrec * rs) == 0);

    /* flow-xlate, without filters */
    memcpy(recs, orig, nrec * rs);
    for (i = 0; i < nt; i++) {
        memset(&xterms[i], 0, sizeof xterms[i]);
        xterms[i].stop = terms[i].flags & 1;
        xterms[i].first = terms[i].first;
        xterms[i].count = terms[i].count;
    }
    chk = ftc_xlate_check(rt, xterms, nt, xacts, na);
    CHECK(chk == FTC_OK || chk == FTC_EPROGRAM || chk == FTC_EFIELD);
    r = ftc_xlate_apply(rt, xterms, nt, xacts, na, recs, nrec, sel, done);
    CHECK(r == chk);
    if (chk != FTC_OK)
        CHECK(memcmp(recs, orig, nrec * rs) == 0);

    /* conversion into a buffer one byte short, then big enough */
    out[sizeof out - 1] = 0xA5;
    if (nrec) {
        r = ftc_xlate_version(rt, orig, nrec, rt2, out, nrec * L2->rec_size - 1);
        CHECK(r == FTC_EFULL);
    }
    r = ftc_xlate_version(rt, orig, nrec, rt2, out, nrec * L2->rec_size);
    CHECK(r == FTC_OK);
    CHECK(out[sizeof out - 1] == 0xA5);
    return 0;
}
