/* fuzz_detect.c -- libFuzzer harness for the detectors' record kernels
 * over hostile record bytes, IPv4 and v1006 alike: flow-portrank's pair
 * counting and report (portrank.c: ftc_pr_add with 32-bit and 128-bit
 * hosts, tables grown as core/table.py does, ftc_pr_hosts/_rank_hosts/
 * _ports), flow-zonecheck's classifier and lines (zone.c: ftc_zone_check
 * over ranges painted from prefixes of the input, ftc_zone_keep,
 * ftc_zone_format) and flow-icmpdecode's listing (icmp.c:
 * ftc_icmp_format, ICMP and ICMPv6 names).  Never compiled into the
 * extension.
 *
 * Input layout: byte 0 record type (v1, v5, v6, v7, v1005, v1006), byte 1
 * flags rule value, byte 2 its mask, byte 3 bit 0: ingress (dstaddr,
 * srcport), bit 1: all ports, bit 2: text or TSV; bytes 4..4+16*4 four
 * zone prefixes (16 address bytes each; their lengths from byte 68..71,
 * folded to 0..128, net masked), then the records (a partial last one
 * ignored).  Addresses keep any value: v1006 ones are often not mapped.
 *
 * Checked, beyond "no crash, no sanitizer report": pr_add returns FTC_OK
 * or FTC_EFULL (grown, resumed), the pair flows add up to the counted
 * records; the report's rows are of ranked hosts, ports ranked per host;
 * zone_check never gives more than two alerts a record, in record order;
 * every status is a defined one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const int types[6] = { FTC_RT_V1, FTC_RT_V5, FTC_RT_V6, FTC_RT_V7, FTC_RT_V1005,
                              FTC_RT_V1006 };

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
    x->mem = calloc(1, size + 8);
    CHECK(x->mem);
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

static void portrank(int rt, const uint8_t *recs, size_t n, size_t rs, const uint8_t *opt)
{
    unsigned value = opt[1], mask = opt[2];
    int ingress = opt[3] & 1, all = (opt[3] >> 1) & 1, six = rt == FTC_RT_V1006;
    int host_f = six ? (ingress ? FTC_F_DSTADDR6_0 : FTC_F_SRCADDR6_0)
                     : (ingress ? FTC_F_DSTADDR : FTC_F_SRCADDR);
    int port_f = ingress ? FTC_F_SRCPORT : FTC_F_DSTPORT;
    uint32_t hl = six ? 16u : 4u, i;
    size_t done = 0, nh, nrows = 0, cap;
    uint64_t flows = 0;
    tab_t t, hosts;
    uint32_t *idx, *scr, *rank_of, *order, *oscr;
    ftc_pr_row_t *rows, *tmp;
    int st;
    int64_t m;
    tab_new(&t, FTC_TAB_PR, hl + 2, 4);
    for (;;) {
        st = ftc_pr_add(&t.t, rt, recs, n, n * rs, host_f, port_f, value & mask, mask, all,
                        &done);
        if (st != FTC_EFULL)
            break;
        CHECK(t.t.full);
        tab_grow(&t);
    }
    CHECK(st == FTC_OK && done == n);
    for (i = 0; i < t.t.cap; i++) {
        const ftc_pr_slot_t *s = (const ftc_pr_slot_t *)(const void *)(t.t.slot
                                                                      + (size_t)i * t.t.stride);
        uint32_t tag;
        memcpy(&tag, t.t.slot + (size_t)i * t.t.stride + t.t.val_len, 4);
        if (tag) {
            CHECK(s->hits <= s->flows);
            flows += s->flows;
        }
    }
    CHECK(flows <= n && (!all || flows == n));
    tab_new(&hosts, FTC_TAB_PR, hl, 4);
    while ((st = ftc_pr_hosts(&t.t, 1, &hosts.t)) == FTC_EFULL) {
        uint32_t c = hosts.t.cap * 4;
        free(hosts.mem);
        tab_new(&hosts, FTC_TAB_PR, hl, c);
    }
    CHECK(st == FTC_OK);
    idx = calloc(hosts.t.used + 1, 4);
    scr = calloc(hosts.t.used + 1, 4);
    CHECK(idx && scr);
    m = ftc_pr_rank_hosts(&hosts.t, 1, idx, scr, hosts.t.used + 1);
    CHECK(m >= 0 && (uint64_t)m <= hosts.t.used);
    nh = (size_t)m;
    rank_of = calloc(hosts.t.cap, 4);
    CHECK(rank_of);
    cap = 1;
    for (;;) {
        rows = calloc(cap, sizeof *rows);
        tmp = calloc(cap, sizeof *tmp);
        order = calloc(cap, 4);
        oscr = calloc(cap, 4);
        CHECK(rows && tmp && order && oscr);
        st = ftc_pr_ports(&t.t, &hosts.t, idx, nh, 2, rank_of, hosts.t.cap, rows, tmp, order,
                          oscr, cap, &nrows);
        if (st != FTC_EFULL)
            break;
        CHECK(nrows > cap);
        cap = nrows;
        free(rows), free(tmp), free(order), free(oscr);
    }
    CHECK(st == FTC_OK);
    for (i = 0; i < nrows; i++) {
        CHECK(rows[i].host_rank >= 1 && rows[i].host_rank <= nh);
        CHECK(rows[i].port_rank >= 1 && rows[i].port_rank <= 2);
        CHECK(six || (rows[i].host[0] | rows[i].host[1] | rows[i].host[2]) == 0);
        if (i)
            CHECK(rows[i].host_rank >= rows[i - 1].host_rank);
    }
    free(rows), free(tmp), free(order), free(oscr);
    free(rank_of), free(idx), free(scr);
    free(hosts.mem), free(t.mem);
}

static void zones(int rt, uint8_t *recs, size_t n, const uint8_t *opt)
{
    ftc_zone_prefix_t pfx[4];
    ftc_zone_range_t rng[9];
    size_t nr = 0, done = 0, produced = 0, kept = 0, j, len, used;
    uint32_t start[5] = {0, 1, 1, 2, 2}, svc[4] = {6u << 16 | 80, 6u << 16 | 80,
                                                  17u << 16 | 53, 17u << 16 | 53};
    ftc_zone_alert_t *al;
    ftc_zone_db_t db;
    ftc_fmt_state_t fst;
    char *text;
    int k, st;
    for (k = 0; k < 4; k++) {
        uint32_t plen = opt[68 + k] % 129u, q;
        for (q = 0; q < 4; q++) {
            const uint8_t *b = opt + 4 + 16 * k + 4 * q;
            uint32_t w = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
            uint32_t bits = plen > 32 * q ? plen - 32 * q : 0;
            pfx[k].net[q] = bits >= 32 ? w : bits ? w & ~(0xFFFFFFFFu >> bits) : 0;
        }
        pfx[k].len = plen;
        pfx[k].value = (uint32_t)k;
    }
    st = ftc_zone_ranges(pfx, 4, rng, 9, &nr);
    if (st == FTC_EINVAL)           /* two equal prefixes */
        return;
    CHECK(st == FTC_OK && nr <= 8);
    memset(&db, 0, sizeof db);
    db.zones = rng;
    db.n_zones = nr;
    db.inside = rng;
    db.n_inside = opt[3] & 4 ? 1 : 0;
    db.svc_start = start;
    db.svc = svc;
    db.n_entries = 4;
    al = calloc(2 * n + 1, sizeof *al);
    CHECK(al);
    st = ftc_zone_check(&db, rt, recs, n, &done, al, 2 * n + 1, &produced);
    CHECK(st == FTC_OK && done == n && produced <= 2 * n);
    for (j = 1; j < produced; j++)
        CHECK(al[j].index >= al[j - 1].index);
    memset(&fst, 0, sizeof fst);
    text = malloc(4 * FTC_ZONE_LINE_MAX);
    CHECK(text);
    for (j = 0; j < produced; j += used) {
        st = ftc_zone_format(al + j, produced - j, opt[3] & 4 ? FTC_ZONE_TSV : 0, &fst, text,
                             4 * FTC_ZONE_LINE_MAX, &len, &used);
        CHECK((st == FTC_OK || st == FTC_EFULL) && used > 0 && len < 4 * FTC_ZONE_LINE_MAX);
    }
    CHECK(ftc_zone_keep(al, produced, rt, recs, n, &kept) == FTC_OK && kept <= n);
    free(text);
    free(al);
}

static void icmp(int rt, const uint8_t *recs, size_t n, size_t rs, const uint8_t *opt)
{
    char out[2 * FTC_ICMP_LINE_MAX];
    size_t len, used, j;
    int st;
    for (j = 0; j < n; j += used) {
        st = ftc_icmp_format(recs + j * rs, n - j, rt, opt[3] & 4 ? FTC_ICMP_TSV : 0, out,
                             sizeof out, &len, &used);
        CHECK((st == FTC_OK || st == FTC_EFULL) && used > 0 && len < sizeof out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t head = 72;
    int rt;
    size_t rs, n;
    uint8_t *recs;
    if (size < head)
        return 0;
    rt = types[data[0] % 6];
    rs = (size_t)ftc_layout_get(rt)->rec_size;
    n = (size - head) / rs;
    recs = malloc(n * rs + 1);
    CHECK(recs);
    memcpy(recs, data + head, n * rs);
    portrank(rt, recs, n, rs, data);
    icmp(rt, recs, n, rs, data);
    zones(rt, recs, n, data);
    free(recs);
    return 0;
}
