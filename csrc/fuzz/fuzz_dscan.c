/* fuzz_dscan.c -- libFuzzer harness for flow-dscan's detector (dscan.c):
 * ftc_dscan_add over arbitrary record bytes with settings taken from the
 * input, tables grown as core/table.py does, then ftc_dscan_save, and the
 * state loaders ftc_dscan_put_src/put_dst.  Never compiled into the
 * extension.
 *
 * Input layout: byte 0 record type (v1, v5, v6, v7, v1005 refused),
 * byte 1 opts (FTC_DSCAN_*), byte 2 ip_depth, byte 3 port_trigger,
 * byte 4 ager_timeout, byte 5 thresholds (bit 0 -O 1, bit 1 -P 1,
 * bit 2 -T 1), then the records (a partial last one ignored).  The state
 * is saved (ftc_dscan_save walks all FTC_DSCAN_BUCKETS buckets, most of an
 * execution's time) only when the low 3 bits of the input's last byte are
 * clear: about one input in eight, so the rest run much faster.  Sources and
 * destinations are folded to few values (so that scans happen), and the
 * flow counter starts at 990 (so that the ager runs).
 *
 * Checked, beyond "no crash, no sanitizer report": every call returns
 * FTC_OK, FTC_EFULL (grown, resumed) or, for v1005, FTC_EFIELD; the text
 * stays within its buffer and ends in a newline; the state text ends with
 * ".\n"; a table's `used` never exceeds 3/4 of its slots.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define TEXT (1u << 16)

static const int types[5] = { FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005 };
static char text[TEXT];
static uint32_t heads[2 * FTC_DSCAN_BUCKETS];

typedef struct {
    ftc_tab_t t;
    uint8_t *mem;
} tab_t;

static void tab_new(tab_t *x, int kind, uint32_t key_len, uint32_t cap)
{
    int64_t stride = ftc_tab_stride(kind, key_len);
    size_t size;
    CHECK(stride > 0);
    size = (size_t)stride * cap;
    x->mem = aligned_alloc(8, size);
    CHECK(x->mem);
    memset(x->mem, 0, size);
    CHECK(ftc_tab_init(&x->t, kind, key_len, cap, x->mem, size) == FTC_OK);
}

static void tab_grow(tab_t *x)
{
    tab_t y;
    tab_new(&y, (int)x->t.kind, x->t.key_len, x->t.cap * 4);
    CHECK(ftc_tab_rehash(&x->t, &y.t) == FTC_OK);
    free(x->mem);
    *x = y;
}

static void grow_full(tab_t *a, tab_t *b)
{
    int grown = 0;
    if (a->t.full) { tab_grow(a); grown = 1; }
    if (b->t.full) { tab_grow(b); grown = 1; }
    CHECK(grown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftc_dscan_t st;
    tab_t s, d;
    const ftc_layout_t *L;
    uint8_t *recs;
    size_t n, i, done = 0, len = 0;
    uint32_t cur[4] = {0, 0, 0, 0}, ports[32];
    int rt, r;
    if (size < 6)
        return 0;
    rt = types[data[0] % 5];
    L = ftc_layout_get(rt);
    CHECK(L);
    memset(&st, 0, sizeof st);
    memset(heads, 0, sizeof heads);
    st.heads = heads;
    st.opts = data[1] & 0x1F;
    st.ip_depth = data[2] % 8;
    st.port_trigger = data[3] % 8;
    st.ager_timeout = data[4] % 4;
    st.octets = data[5] & 1;
    st.packets = (data[5] >> 1) & 1;
    st.msecs = (data[5] >> 2) & 1;
    st.flows = 990;
    tab_new(&s, FTC_TAB_DSRC, 4, 4);
    tab_new(&d, FTC_TAB_DDST, 8, 4);
    n = (size - 6) / L->rec_size;
    recs = malloc(n * L->rec_size + 1);
    CHECK(recs);
    memcpy(recs, data + 6, n * L->rec_size);
    for (i = 0; i < n; i++) {              /* few distinct addresses */
        uint8_t *p = recs + i * L->rec_size;
        if (L->off[FTC_F_SRCADDR] >= 0)
            p[L->off[FTC_F_SRCADDR]] &= 7;
        if (L->off[FTC_F_DSTADDR] >= 0)
            p[L->off[FTC_F_DSTADDR]] &= 7;
    }
    for (;;) {
        r = ftc_dscan_add(&st, &s.t, &d.t, rt, recs, n, n * L->rec_size, &done, "x: ", 3,
                          text, TEXT, &len);
        if (rt == FTC_RT_V1005) {
            CHECK(r == FTC_EFIELD);
            break;
        }
        CHECK(r == FTC_OK || r == FTC_EFULL);
        CHECK(len <= TEXT && (len == 0 || text[len - 1] == '\n'));
        CHECK(s.t.used <= s.t.cap - s.t.cap / 4 && d.t.used <= d.t.cap - d.t.cap / 4);
        if (r == FTC_EFULL) {
            grow_full(&s, &d);
            continue;
        }
        len = 0;
        if (done == n)
            break;
    }
    if (rt != FTC_RT_V1005 && (data[size - 1] & 7) == 0) {
        for (;;) {
            r = ftc_dscan_save(&st, &s.t, &d.t, cur, text, TEXT, &len);
            CHECK(r == 0 || r == 1);
            if (r == 1)
                break;
            len = 0;
        }
        CHECK(len >= 2 && text[len - 2] == '.' && text[len - 1] == '\n');
    }
    if (rt != FTC_RT_V1005) {
        /* the loaders: a new source, a duplicate refused, a destination */
        memset(ports, 0xFF, sizeof ports);
        for (;;) {
            r = ftc_dscan_put_src(&st, &s.t, 0xFFFFFFFFu, data[2], data[3] & 3);
            if (r != FTC_EFULL)
                break;
            tab_grow(&s);
        }
        CHECK(r == FTC_OK);
        CHECK(ftc_dscan_put_src(&st, &s.t, 0xFFFFFFFFu, 0, 0) == FTC_EINVAL);
        for (;;) {
            r = ftc_dscan_put_dst(&st, &s.t, &d.t, 0xFFFFFFFFu, 1, 2, ports);
            if (r != FTC_EFULL)
                break;
            tab_grow(&d);
        }
        CHECK(r == FTC_OK);
    }
    free(recs);
    free(s.mem);
    free(d.mem);
    return 0;
}
