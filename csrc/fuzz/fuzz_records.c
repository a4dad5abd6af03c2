/* fuzz_records.c -- libFuzzer harness for the record-level entry points
 * that had none: portrank.c (flow-portrank, flow-synonly tables fed
 * hostile records: ftc_pr_add, ftc_pr_hosts, ftc_pr_rank_hosts), icmp.c
 * (flow-icmpdecode's listing: ftc_icmp_check, ftc_icmp_format into small
 * buffers), and the byte-order and stream-v1 conversions every reader uses
 * (ftc_recs_swap, ftc_recs_from_compat).  Never compiled into the
 * extension.
 *
 * Input layout: byte 0 the record type (modulo FTC_RT_COUNT), byte 1
 * options (bit 0 host = dstaddr, bit 1 port = srcport, bit 2 count every
 * flow, bits 3-7 the output buffer's size step), byte 2 the TCP flags
 * value and byte 3 the mask; then records (whole records only, at most
 * MAX_RECS).  Addresses are folded to few values so that hosts repeat.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - swapping twice gives the records back; compat records convert;
 *   - the portrank table grows as core/portrank.py grows it and counts
 *     every record once (flows add up to the records of the pass, hits
 *     never exceed flows); ranked hosts come in hits-descending order;
 *   - the ICMP listing ends (every call consumes or asks for room), never
 *     writes past the room it is given, and returns defined statuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_RECS 64
#define REC_MAX 128
#define TAB_MAX 4096

static uint8_t recs[MAX_RECS * REC_MAX], copy[MAX_RECS * REC_MAX];
static uint8_t conv[MAX_RECS * REC_MAX];
static uint64_t mem[2][TAB_MAX * 8], hmem[TAB_MAX * 8];
static uint32_t idx[TAB_MAX], scratch[TAB_MAX];
static char text[4096 + 16];

static int tab_new(ftc_tab_t *t, int kind, uint32_t key_len, uint32_t cap, uint64_t *m)
{
    int64_t stride = ftc_tab_stride(kind, key_len);
    CHECK(stride > 0);
    if ((uint64_t)cap * (uint64_t)stride > sizeof mem[0])
        return 0;
    memset(m, 0, (size_t)cap * (size_t)stride);
    CHECK(ftc_tab_init(t, kind, key_len, cap, (uint8_t *)m, (size_t)cap * (size_t)stride)
          == FTC_OK);
    return 1;
}

static void portrank(int rt, const ftc_layout_t *L, size_t n, unsigned opts, unsigned value,
                     unsigned mask)
{
    int host_f = (opts & 1) ? FTC_F_DSTADDR : FTC_F_SRCADDR;
    int port_f = (opts & 2) ? FTC_F_SRCPORT : FTC_F_DSTPORT;
    ftc_tab_t t, to, hosts;
    size_t done = 0, i;
    uint64_t flows = 0, hits = 0;
    int cur = 0, r, w_host = ftc_field_width(host_f), w_port = ftc_field_width(port_f);
    uint32_t pos = 0;
    int64_t m;
    if (rt == FTC_RT_V1006 && (opts & 1))
        host_f = FTC_F_DSTADDR6_0, w_host = 16;
    else if (rt == FTC_RT_V1006)
        host_f = FTC_F_SRCADDR6_0, w_host = 16;
    if (w_host <= 0 || w_port <= 0)
        return;
    CHECK(tab_new(&t, FTC_TAB_PR, (uint32_t)(w_host + w_port), FTC_TAB_MIN_CAP, mem[0]));
    for (;;) {
        r = ftc_pr_add(&t, rt, recs, n, n * L->rec_size, host_f, port_f, value, mask,
                       (int)((opts >> 2) & 1), &done);
        if (r != FTC_EFULL)
            break;
        CHECK(t.full && done <= n);
        CHECK(tab_new(&to, FTC_TAB_PR, t.key_len, t.cap * 4, mem[!cur]));
        CHECK(ftc_tab_rehash(&t, &to) == FTC_OK);
        t = to;
        cur = !cur;
    }
    if (r == FTC_EFIELD)
        return;
    CHECK(r == FTC_OK && done == n);
    /* every record once: the flows add up (all) or equal the hits */
    for (i = 0; i < t.cap; i++) {
        const ftc_pr_slot_t *s = (const ftc_pr_slot_t *)(const void *)
                                 ((const uint8_t *)t.slot + (size_t)i * t.stride);
        if (!s->tag)
            continue;
        CHECK(s->hits <= s->flows);
        flows += s->flows;
        hits += s->hits;
    }
    CHECK(flows <= n && hits <= flows);
    if (opts & 4)
        CHECK(flows == n);
    m = ftc_tab_slots(&t, &pos, idx, TAB_MAX);
    CHECK(m >= 0 && (uint64_t)m == t.used);
    /* hosts, then the ranking */
    for (uint32_t cap = FTC_TAB_MIN_CAP;; cap *= 4) {
        if (!tab_new(&hosts, FTC_TAB_PR, (uint32_t)w_host, cap, hmem))
            return;
        r = ftc_pr_hosts(&t, 1, &hosts);
        if (r != FTC_EFULL)
            break;
    }
    CHECK(r == FTC_OK);
    m = ftc_pr_rank_hosts(&hosts, 1, idx, scratch, TAB_MAX);
    CHECK(m >= 0 && (uint64_t)m <= hosts.used);
    for (i = 1; i < (size_t)m; i++) {
        const ftc_pr_slot_t *a = (const ftc_pr_slot_t *)(const void *)
                                 ((const uint8_t *)hosts.slot + (size_t)idx[i - 1] * hosts.stride);
        const ftc_pr_slot_t *b = (const ftc_pr_slot_t *)(const void *)
                                 ((const uint8_t *)hosts.slot + (size_t)idx[i] * hosts.stride);
        CHECK(a->hits >= b->hits);
    }
}

static void icmp(int rt, const ftc_layout_t *L, size_t n, size_t room)
{
    size_t at = 0, len, used, rounds = 0;
    int r;
    (void)L;
    if (ftc_icmp_check(rt) != FTC_OK)
        return;
    CHECK(ftc_icmp_header(0, text, sizeof text - 16, &len) == FTC_OK);
    while (at < n) {
        memset(text + room, 0xA5, 16);
        r = ftc_icmp_format(recs + at * L->rec_size, n - at, rt, (unsigned)(room & 3), text,
                            room, &len, &used);
        CHECK((unsigned char)text[room] == 0xA5 && len <= room && used <= n - at);
        CHECK(r == FTC_OK || r == FTC_EFULL);
        if (used == 0) {
            CHECK(r == FTC_EFULL);
            room = room * 2 + 64;           /* a line did not fit: more room */
            CHECK(room <= sizeof text - 16);
        }
        at += used;
        CHECK(++rounds < 4 * MAX_RECS + 16);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ftc_layout_t *L;
    size_t n, i;
    int rt;
    if (size < 4)
        return 0;
    rt = data[0] % FTC_RT_COUNT;
    L = ftc_layout_get(rt);
    CHECK(L != NULL && L->rec_size <= REC_MAX);
    n = (size - 4) / L->rec_size;
    if (n > MAX_RECS)
        n = MAX_RECS;
    memcpy(recs, data + 4, n * L->rec_size);

    /* byte order: twice is nothing */
    memcpy(copy, recs, n * L->rec_size);
    CHECK(ftc_recs_swap(rt, copy, n) == FTC_OK);
    CHECK(ftc_recs_swap(rt, copy, n) == FTC_OK);
    CHECK(memcmp(copy, recs, n * L->rec_size) == 0);
    /* stream v1 "compat" records (60 bytes) from the same bytes */
    if (rt == FTC_RT_V1 || rt == FTC_RT_V5) {
        size_t nc = (size - 4) / 60;
        if (nc > MAX_RECS)
            nc = MAX_RECS;
        CHECK(ftc_recs_from_compat(rt, data + 4, nc, data[1] & 1, conv) == FTC_OK);
    }

    /* fold the addresses so that hosts repeat */
    for (i = 0; i < n; i++) {
        uint8_t *r = recs + i * L->rec_size;
        if (L->off[FTC_F_SRCADDR] >= 0)
            r[L->off[FTC_F_SRCADDR] + 1] &= 3;
        if (L->off[FTC_F_DSTADDR] >= 0)
            r[L->off[FTC_F_DSTADDR] + 1] &= 3;
    }
    portrank(rt, L, n, data[1], data[2], data[3]);
    icmp(rt, L, n, (size_t)(data[1] >> 3) * 40 + 1);
    return 0;
}
