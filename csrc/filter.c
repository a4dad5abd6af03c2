/* filter.c -- the filter-program interpreter shared by flow-filter,
 * flow-nfilter and the detectors: evaluate a flat, forward-jumping program
 * over a whole batch; compact in place or produce a selection. */
#include <string.h>
#include <time.h>

#include "ftcore.h"
#include "ftc_internal.h"

typedef struct {
    int o_secs, o_nsecs, o_upt, o_first, o_last, o_pkts, o_octets;
} timeoffs_t;

static void time_offsets(const ftc_layout_t *L, timeoffs_t *t)
{
    t->o_secs = L->off[FTC_F_UNIX_SECS];
    t->o_nsecs = L->off[FTC_F_UNIX_NSECS];
    t->o_upt = L->off[FTC_F_SYSUPTIME];
    t->o_first = L->off[FTC_F_FIRST];
    t->o_last = L->off[FTC_F_LAST];
    t->o_pkts = L->off[FTC_F_DPKTS];
    t->o_octets = L->off[FTC_F_DOCTETS];
}

static uint64_t abs_secs(const uint8_t *r, const timeoffs_t *t, int off)
{
    uint64_t ms = (uint64_t)ftc_ld32(r + t->o_secs) * 1000u
                  + ftc_ld32(r + t->o_nsecs) / 1000000u;
    ms = ms - ftc_ld32(r + t->o_upt) + ftc_ld32(r + off);
    return ms / 1000u;
}

/* seconds since local midnight, 0 to 86400 (a leap second).  The state is
   the caller's memory: its cached minute is used only when its base is one
   this function could have stored (a whole minute of a day), so that no
   state bytes can push the value past what ftc_filter_check assumed. */
#define TOD_BASE_MAX (23 * 3600 + 59 * 60)
static int64_t tod(ftc_filter_state_t *st, uint64_t secs)
{
    int64_t minute = (int64_t)(secs / 60u);
    struct tm tm;
    time_t tt;
    if (st->tod_valid && st->tod_minute == minute && st->tod_base >= 0
        && st->tod_base <= TOD_BASE_MAX && st->tod_base % 60 == 0)
        return st->tod_base + (int64_t)(secs % 60u);
    tt = (time_t)secs;
    if (!localtime_r(&tt, &tm))
        return 0;
    if ((uint64_t)tm.tm_sec == secs % 60u) {
        st->tod_valid = 1;
        st->tod_minute = minute;
        st->tod_base = tm.tm_hour * 3600 + tm.tm_min * 60;
    } else {
        st->tod_valid = 0;
    }
    return (int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static double rate(const uint8_t *r, const timeoffs_t *t, int octets)
{
    uint32_t dur = ftc_ld32(r + t->o_last) - ftc_ld32(r + t->o_first);
    double v;
    if (dur == 0 || t->o_pkts < 0 || t->o_octets < 0)
        return 0.0;
    v = octets ? (double)ftc_ld32(r + t->o_octets) * 8.0 : (double)ftc_ld32(r + t->o_pkts);
    return v / ((double)dur / 1000.0);
}

static double per_packet(const uint8_t *r, const timeoffs_t *t)
{
    uint32_t pkts;
    if (t->o_pkts < 0 || t->o_octets < 0)
        return 0.0;
    pkts = ftc_ld32(r + t->o_pkts);
    return pkts ? (double)ftc_ld32(r + t->o_octets) / (double)pkts : 0.0;
}

static int cmp_u(uint64_t v, int cmp, uint64_t a)
{
    switch (cmp) {
    case FTC_CMP_LT: return v < a;
    case FTC_CMP_LE: return v <= a;
    case FTC_CMP_EQ: return v == a;
    case FTC_CMP_NE: return v != a;
    case FTC_CMP_GE: return v >= a;
    default: return v > a;
    }
}

static int cmp_d(double v, int cmp, double a)
{
    switch (cmp) {
    case FTC_CMP_LT: return v < a;
    case FTC_CMP_LE: return v <= a;
    case FTC_CMP_EQ: return v == a;
    case FTC_CMP_NE: return v != a;
    case FTC_CMP_GE: return v >= a;
    default: return v > a;
    }
}

static int in_ranges(const uint8_t *tab, uint64_t v, int dflt)
{
    uint32_t n = ftc_ld32(tab), lo = 0, hi, mid;
    const uint8_t *pairs = tab + 4;
    const uint8_t *verdict = tab + 4 + (size_t)n * 8u;
    if (n == 0 || v > 0xFFFFFFFFu)
        return dflt;
    hi = n;                       /* find the last range with lo <= v */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (ftc_ld32(pairs + (size_t)mid * 8u) <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return dflt;
    lo--;
    if (v <= ftc_ld32(pairs + (size_t)lo * 8u + 4u))
        return verdict[lo] != 0;
    return dflt;
}

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* RANGES6: the 128-bit address at p (four host-order words, most
   significant first) in the table at tab (ftcore.h: count, pad, count x
   {lo_hi, lo_lo, hi_hi, hi_lo}, count verdicts) */
static int in_ranges6(const uint8_t *tab, const uint8_t *p, int dflt)
{
    uint32_t n = ftc_ld32(tab), lo = 0, hi = n, mid;
    const uint8_t *b = tab + 8, *e;
    const uint64_t vh = (uint64_t)ftc_ld32(p) << 32 | ftc_ld32(p + 4);
    const uint64_t vl = (uint64_t)ftc_ld32(p + 8) << 32 | ftc_ld32(p + 12);
    uint64_t h, l;
    while (lo < hi) {             /* the last range with lo <= v */
        mid = lo + (hi - lo) / 2;
        e = b + (size_t)mid * 32u;
        h = ld64(e);
        if (h < vh || (h == vh && ld64(e + 8) <= vl))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return dflt;
    lo--;
    e = b + (size_t)lo * 32u;
    h = ld64(e + 16);
    l = ld64(e + 24);
    if (vh < h || (vh == h && vl <= l))
        return b[(size_t)n * 32u + lo] != 0;
    return dflt;
}

static uint64_t next_rand(ftc_filter_state_t *st)
{
    uint64_t x = st->rng ? st->rng : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    st->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* evaluate one record: 1 accept, 0 reject */
static int eval(const ftc_insn_t *prog, const uint8_t *tables, const timeoffs_t *t,
                ftc_filter_state_t *st, const uint8_t *r)
{
    int32_t pc = 0;
    for (;;) {
        const ftc_insn_t *in = &prog[pc];
        uint64_t v = 0;
        double dv = 0.0;
        int res;
        switch (in->src) {
        case FTC_SRC_FIELD:
            v = in->width == 4 ? ftc_ld32(r + in->offset)
                : in->width == 2 ? ftc_ld16(r + in->offset) : r[in->offset];
            break;
        case FTC_SRC_DURATION:
            v = (uint32_t)(ftc_ld32(r + t->o_last) - ftc_ld32(r + t->o_first));
            break;
        case FTC_SRC_START: v = abs_secs(r, t, t->o_first); break;
        case FTC_SRC_END: v = abs_secs(r, t, t->o_last); break;
        case FTC_SRC_START_TOD: v = (uint64_t)tod(st, abs_secs(r, t, t->o_first)); break;
        case FTC_SRC_END_TOD: v = (uint64_t)tod(st, abs_secs(r, t, t->o_last)); break;
        case FTC_SRC_PPS: dv = rate(r, t, 0); break;
        case FTC_SRC_BPS: dv = rate(r, t, 1); break;
        case FTC_SRC_OPP: dv = per_packet(r, t); break;
        default: break;
        }
        switch (in->op) {
        case FTC_OP_TRUE: res = 1; break;
        case FTC_OP_BITMAP: {
            uint64_t bit = (v & in->b) >> in->shift;
            res = (tables[in->table + (bit >> 3)] >> (bit & 7)) & 1;
            break;
        }
        case FTC_OP_RANGES: res = in_ranges(tables + in->table, v, in->a != 0); break;
        case FTC_OP_CMP: res = cmp_u(v, in->cmp, in->a); break;
        case FTC_OP_MASKEQ: res = (v & in->b) == in->a; break;
        case FTC_OP_CMPF:
            if (in->src != FTC_SRC_PPS && in->src != FTC_SRC_BPS && in->src != FTC_SRC_OPP)
                dv = (double)v;
            res = cmp_d(dv, in->cmp, in->d);
            break;
        case FTC_OP_SAMPLE: res = in->a <= 1 || next_rand(st) % in->a == 0; break;
        case FTC_OP_RANGES6:       /* (v: the group's first byte, unused) */
            res = in_ranges6(tables + in->table, r + in->offset, in->a != 0);
            break;
        default: res = 0; break;
        }
        pc = res ? in->jt : in->jf;
        if (pc < 0)
            return pc == FTC_PROG_ACCEPT;
    }
}

/* ---- fast path ----------------------------------------------------------
 * Programs whose instructions all test a record field with BITMAP, MASKEQ,
 * CMP, RANGES or RANGES6 (plus constant TRUE instructions), as flow-filter's lists
 * and access lists compile, run through a leaner evaluator: no value-source
 * dispatch, no floating point, no state.  Same results as eval(). */
static int fields_only(const ftc_insn_t *prog, size_t nprog)
{
    size_t i;
    for (i = 0; i < nprog; i++) {
        const ftc_insn_t *in = &prog[i];
        if (in->op == FTC_OP_TRUE)
            continue;
        if (in->src != FTC_SRC_FIELD)
            return 0;
        if (in->op != FTC_OP_BITMAP && in->op != FTC_OP_MASKEQ && in->op != FTC_OP_CMP
            && in->op != FTC_OP_RANGES && in->op != FTC_OP_RANGES6)
            return 0;
    }
    return 1;
}

static inline int eval_fields(const ftc_insn_t *prog, const uint8_t *tables,
                              const uint8_t *r)
{
    int32_t pc = 0;
    for (;;) {
        const ftc_insn_t *in = &prog[pc];
        const uint8_t *p = r + in->offset;
        uint64_t v;
        int res;
        if (in->op == FTC_OP_TRUE) {
            res = 1;
        } else {
            v = in->width == 2 ? ftc_ld16(p) : in->width == 4 ? ftc_ld32(p) : p[0];
            if (in->op == FTC_OP_BITMAP) {
                uint64_t bit = (v & in->b) >> in->shift;
                res = (tables[in->table + (bit >> 3)] >> (bit & 7)) & 1;
            } else if (in->op == FTC_OP_MASKEQ) {
                res = (v & in->b) == in->a;
            } else if (in->op == FTC_OP_CMP) {
                res = cmp_u(v, in->cmp, in->a);
            } else if (in->op == FTC_OP_RANGES) {
                res = in_ranges(tables + in->table, v, in->a != 0);
            } else {               /* RANGES6 (v: the group's first byte, unused) */
                res = in_ranges6(tables + in->table, p, in->a != 0);
            }
        }
        pc = res ? in->jt : in->jf;
        if (pc < 0)
            return pc == FTC_PROG_ACCEPT;
    }
}

/* A one-instruction BITMAP program on a 16-bit field (flow-filter -P 80):
   its own loop, the instruction's operands hoisted out of it. */
static int bitmap16_only(const ftc_insn_t *prog, size_t nprog)
{
    return nprog == 1 && prog[0].op == FTC_OP_BITMAP && prog[0].src == FTC_SRC_FIELD
           && prog[0].width == 2;
}

typedef struct {
    const uint8_t *bm;
    uint32_t mask;
    unsigned shift;
    int if_set, if_clear;          /* accept when the bit is set / clear */
} bitmap16_t;

static bitmap16_t bitmap16_prep(const ftc_insn_t *in, const uint8_t *tables)
{
    bitmap16_t b;
    b.bm = tables + in->table;
    b.mask = (uint32_t)(in->b & 0xFFFFu);
    b.shift = in->shift;
    if (b.shift >= 16) {           /* a 16-bit value shifted out entirely: */
        b.mask = 0;                /* bit 0, as eval() computes it in 64 bits */
        b.shift = 0;
    }
    b.if_set = in->jt == FTC_PROG_ACCEPT;
    b.if_clear = in->jf == FTC_PROG_ACCEPT;
    return b;
}

static inline int bitmap16_test(const bitmap16_t *b, const uint8_t *p)
{
    uint32_t bit = (ftc_ld16(p) & b->mask) >> b->shift;
    return ((b->bm[bit >> 3] >> (bit & 7)) & 1) ? b->if_set : b->if_clear;
}

/* ---- validation ---------------------------------------------------------
 * Every program is checked before it runs: ftc_filter_apply() and
 * ftc_filter_select() call ftc_filter_check() once per call (O(nprog) plus
 * the RANGES tables, not per record), so no caller can run a program that
 * would make the evaluators read out of bounds, shift by 64 or more, or
 * loop.  The rules, operand by operand, are exactly what eval(),
 * eval_fields() and the 16-bit bitmap loop rely on:
 *
 *   jt, jf     ACCEPT, REJECT or an instruction after this one
 *   op         a known FTC_OP_*
 *   src        a known FTC_SRC_* of the kind the op takes: TRUE and SAMPLE
 *              use no value (NONE: nothing is loaded); BITMAP, RANGES, CMP
 *              and MASKEQ an integer source (FIELD, DURATION, START, END,
 *              START_TOD, END_TOD); CMPF any source but NONE; RANGES6 FIELD
 *   FIELD      width 1, 2 or 4; offset .. offset + width inside the record;
 *              a field of the record type at that offset and width; for
 *              RANGES6 (and only it) width 16: the four words of an address
 *              group (X6_0, X6_1, X6_2, X for X srcaddr, dstaddr, nexthop)
 *              at offset, +4, +8, +12, inside the record
 *   the others the fields the source reads exist in the record type
 *   cmp        a known FTC_CMP_*
 *   shift      (BITMAP) below 64, tested before any shifting
 *   table      (BITMAP, RANGES, RANGES6) table .. table + table_len inside the
 *              tables blob, summed in 64 bits
 *   BITMAP     covers bit index (max & b) >> shift, max the source's bound
 *              (src_max: the field's width; 32 bits of duration; 86400 for
 *              the times of day; 64 bits for START/END)
 *   RANGES     at least the count; count pairs and count verdicts fit; the
 *              pairs sorted and disjoint with lo <= hi, the verdicts 0 or 1
 *   RANGES6    at least count and pad; count 32-byte pairs and count
 *              verdicts fit; the pairs sorted and disjoint as 128-bit
 *              numbers with lo <= hi, the verdicts 0 or 1
 *   a, b, d    any value
 * Operands an op does not use are never read.  The evaluation state is not
 * part of the program: any bytes there are safe (tod() validates its cache,
 * the PRNG takes any value). */

/* the kind of value a source gives */
enum { KIND_NONE, KIND_INT, KIND_FLOAT };

static int src_kind(unsigned src)
{
    switch (src) {
    case FTC_SRC_NONE: return KIND_NONE;
    case FTC_SRC_PPS:
    case FTC_SRC_BPS:
    case FTC_SRC_OPP: return KIND_FLOAT;
    default: return KIND_INT;
    }
}

/* does op take a value of this kind? */
static int op_takes(unsigned op, int kind)
{
    switch (op) {
    case FTC_OP_TRUE:
    case FTC_OP_SAMPLE: return kind == KIND_NONE;
    case FTC_OP_CMPF: return kind != KIND_NONE;
    default: return kind == KIND_INT;       /* BITMAP RANGES CMP MASKEQ RANGES6 */
    }
}

/* is field f in the record of layout L, whole? */
static int has(const ftc_layout_t *L, int f)
{
    return L->off[f] >= 0 && (size_t)L->off[f] + (size_t)ftc_field_width(f) <= L->rec_size;
}

/* does the record type have a field at byte offset off, width bytes wide
   (1, 2 or 4: the widths the evaluators load)? */
static int is_field(const ftc_layout_t *L, int32_t off, unsigned width)
{
    int f;
    if (width != 1 && width != 2 && width != 4)
        return 0;
    if (off < 0 || (size_t)off + width > L->rec_size)
        return 0;
    for (f = 0; f < FTC_F_COUNT; f++)
        if (has(L, f) && L->off[f] == off && (unsigned)ftc_field_width(f) == width)
            return 1;
    return 0;
}

/* is offset off the word _0 of an address group of layout L, its four
   words (X6_0, X6_1, X6_2, X) in a row inside the record? */
static int is_addr6(const ftc_layout_t *L, int32_t off)
{
    static const int groups[3][2] = {
        {FTC_F_SRCADDR6_0, FTC_F_SRCADDR}, {FTC_F_DSTADDR6_0, FTC_F_DSTADDR},
        {FTC_F_NEXTHOP6_0, FTC_F_NEXTHOP}};
    int g, k;
    for (g = 0; g < 3; g++) {
        int ok = 1;
        for (k = 0; k < 4; k++) {
            int f = k < 3 ? groups[g][0] + k : groups[g][1];
            if (!has(L, f) || ftc_field_width(f) != 4 || L->off[f] != off + 4 * k)
                ok = 0;
        }
        if (ok)
            return 1;
    }
    return 0;
}

/* are the fields value source src reads (FIELD aside) in layout L? */
static int src_fields_ok(const ftc_layout_t *L, unsigned src)
{
    switch (src) {
    case FTC_SRC_DURATION:
        return has(L, FTC_F_FIRST) && has(L, FTC_F_LAST);
    case FTC_SRC_PPS:
        return has(L, FTC_F_FIRST) && has(L, FTC_F_LAST) && has(L, FTC_F_DPKTS);
    case FTC_SRC_BPS:
        return has(L, FTC_F_FIRST) && has(L, FTC_F_LAST) && has(L, FTC_F_DOCTETS);
    case FTC_SRC_OPP:
        return has(L, FTC_F_DPKTS) && has(L, FTC_F_DOCTETS);
    case FTC_SRC_START:
    case FTC_SRC_END:
    case FTC_SRC_START_TOD:
    case FTC_SRC_END_TOD:
        return has(L, FTC_F_FIRST) && has(L, FTC_F_LAST) && has(L, FTC_F_UNIX_SECS)
               && has(L, FTC_F_UNIX_NSECS) && has(L, FTC_F_SYSUPTIME);
    default:   /* NONE */
        return 1;
    }
}

/* an upper bound, of the form 2^k - 1, of the value of integer source in->src */
static uint64_t src_max(const ftc_insn_t *in)
{
    switch (in->src) {
    case FTC_SRC_FIELD:
        return in->width == 4 ? 0xFFFFFFFFull : in->width == 2 ? 0xFFFFull : 0xFFull;
    case FTC_SRC_DURATION:
        return 0xFFFFFFFFull;
    case FTC_SRC_START_TOD:
    case FTC_SRC_END_TOD:
        return 0x1FFFFull;          /* tod(): 0 .. 86400, whatever the state holds */
    default:
        return UINT64_MAX;          /* START, END: a sysUpTime past the export
                                       time wraps */
    }
}

/* a RANGES table at tab, len >= 4 bytes: 1 when its count, pairs (sorted,
   disjoint, lo <= hi) and verdicts (0/1) are sound */
static int ranges_ok(const uint8_t *tab, uint32_t len)
{
    uint32_t n, i, lo, hi, prev_hi = 0;
    n = ftc_ld32(tab);
    if ((uint64_t)n * 9u + 4u > len)
        return 0;
    for (i = 0; i < n; i++) {
        lo = ftc_ld32(tab + 4 + (size_t)i * 8u);
        hi = ftc_ld32(tab + 8 + (size_t)i * 8u);
        if (lo > hi || (i > 0 && lo <= prev_hi) || tab[4 + (size_t)n * 8u + i] > 1)
            return 0;
        prev_hi = hi;
    }
    return 1;
}

/* 128-bit a < b, each as (upper, lower) 64 bits */
static int lt128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    return ah < bh || (ah == bh && al < bl);
}

/* a RANGES6 table at tab, len >= 8 bytes: 1 when its count, pairs (sorted,
   disjoint, lo <= hi as 128-bit numbers) and verdicts (0/1) are sound */
static int ranges6_ok(const uint8_t *tab, uint32_t len)
{
    uint32_t n, i;
    uint64_t ph = 0, pl = 0;
    n = ftc_ld32(tab);
    if ((uint64_t)n * 33u + 8u > len)
        return 0;
    for (i = 0; i < n; i++) {
        const uint8_t *e = tab + 8 + (size_t)i * 32u;
        uint64_t lh = ld64(e), ll = ld64(e + 8), hh = ld64(e + 16), hl = ld64(e + 24);
        if (lt128(hh, hl, lh, ll) || (i > 0 && !lt128(ph, pl, lh, ll))
            || tab[8 + (size_t)n * 32u + i] > 1)
            return 0;
        ph = hh;
        pl = hl;
    }
    return 1;
}

/* one instruction, at index i of nprog: FTC_OK or FTC_EPROGRAM */
static int insn_ok(const ftc_insn_t *in, size_t i, size_t nprog, const ftc_layout_t *L,
                   const uint8_t *tables, size_t tables_len)
{
    int32_t j[2];
    int k;
    j[0] = in->jt;
    j[1] = in->jf;
    for (k = 0; k < 2; k++) {
        if (j[k] == FTC_PROG_ACCEPT || j[k] == FTC_PROG_REJECT)
            continue;
        if (j[k] <= (int32_t)i || (size_t)j[k] >= nprog)
            return FTC_EPROGRAM;
    }
    if (in->op > FTC_OP_RANGES6 || in->src > FTC_SRC_OPP || in->cmp > FTC_CMP_GT)
        return FTC_EPROGRAM;
    if (!op_takes(in->op, src_kind(in->src)))
        return FTC_EPROGRAM;
    if (in->op == FTC_OP_RANGES6) {
        if (in->src != FTC_SRC_FIELD || in->width != 16 || !is_addr6(L, in->offset))
            return FTC_EPROGRAM;
    } else if (in->src == FTC_SRC_FIELD ? !is_field(L, in->offset, in->width)
                                        : !src_fields_ok(L, in->src)) {
        return FTC_EPROGRAM;
    }
    if (in->op == FTC_OP_BITMAP || in->op == FTC_OP_RANGES || in->op == FTC_OP_RANGES6) {
        if ((uint64_t)in->table + in->table_len > tables_len)
            return FTC_EPROGRAM;
    }
    if (in->op == FTC_OP_BITMAP) {
        /* the largest bit index the masked, shifted value can take */
        uint64_t hi;
        if (in->shift > 63)
            return FTC_EPROGRAM;
        hi = (src_max(in) & in->b) >> in->shift;
        if ((hi >> 3) >= in->table_len)
            return FTC_EPROGRAM;
    }
    if (in->op == FTC_OP_RANGES
        && (in->table_len < 4 || !ranges_ok(tables + in->table, in->table_len)))
        return FTC_EPROGRAM;       /* (tables is NULL when tables_len is 0) */
    if (in->op == FTC_OP_RANGES6
        && (in->table_len < 8 || !ranges6_ok(tables + in->table, in->table_len)))
        return FTC_EPROGRAM;
    return FTC_OK;
}

int ftc_filter_check(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                     size_t tables_len, int rt)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    if (!L || (!prog && nprog) || (!tables && tables_len) || nprog > 0x7FFFFFFF)
        return FTC_EINVAL;
    if (nprog == 0)
        return FTC_EPROGRAM;
    for (i = 0; i < nprog; i++)
        if (insn_ok(&prog[i], i, nprog, L, tables, tables_len) != FTC_OK)
            return FTC_EPROGRAM;
    return FTC_OK;
}

/* batch arguments shared by apply and select: FTC_OK or FTC_EINVAL */
static int batch_ok(const ftc_layout_t *L, const ftc_filter_state_t *st, const void *recs,
                    size_t n)
{
    if (!L || !st || (n && !recs) || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    return FTC_OK;
}

int ftc_filter_apply(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                     size_t tables_len, int rt, ftc_filter_state_t *st, uint8_t *recs,
                     size_t n, size_t *kept)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    int r;
    if (!kept || batch_ok(L, st, recs, n) != FTC_OK)
        return FTC_EINVAL;
    r = ftc_filter_check(prog, nprog, tables, tables_len, rt);
    if (r != FTC_OK)
        return r;
    return ftc_filter_apply_checked(prog, nprog, tables, rt, st, recs, n, kept);
}

int ftc_filter_apply_checked(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                             int rt, ftc_filter_state_t *st, uint8_t *recs, size_t n,
                             size_t *kept)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    timeoffs_t t;
    size_t i, k = 0, rs;
    *kept = 0;
    if (n == 0)
        return FTC_OK;
    time_offsets(L, &t);
    rs = L->rec_size;
    if (bitmap16_only(prog, nprog)) {
        bitmap16_t b = bitmap16_prep(prog, tables);
        const uint8_t *p = recs + prog->offset;
        for (i = 0; i < n; i++, p += rs) {
            if (bitmap16_test(&b, p)) {
                if (k != i)
                    memcpy(recs + k * rs, recs + i * rs, rs);
                k++;
            }
        }
        *kept = k;
        return FTC_OK;
    }
    if (fields_only(prog, nprog)) {
        for (i = 0; i < n; i++) {
            uint8_t *r = recs + i * rs;
            if (eval_fields(prog, tables, r)) {
                if (k != i)
                    memcpy(recs + k * rs, r, rs);
                k++;
            }
        }
        *kept = k;
        return FTC_OK;
    }
    for (i = 0; i < n; i++) {
        uint8_t *r = recs + i * rs;
        if (eval(prog, tables, &t, st, r)) {
            if (k != i)
                memcpy(recs + k * rs, r, rs);
            k++;
        }
    }
    *kept = k;
    return FTC_OK;
}

int ftc_filter_select(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                      size_t tables_len, int rt, ftc_filter_state_t *st,
                      const uint8_t *recs, size_t n, uint8_t *sel)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    timeoffs_t t;
    size_t i, k = 0, rs;
    int r;
    if (batch_ok(L, st, recs, n) != FTC_OK || (n && !sel) || n > 0x7FFFFFFF)
        return FTC_EINVAL;
    r = ftc_filter_check(prog, nprog, tables, tables_len, rt);
    if (r != FTC_OK)
        return r;
    if (n == 0)
        return 0;
    time_offsets(L, &t);
    rs = L->rec_size;
    if (bitmap16_only(prog, nprog)) {
        bitmap16_t b = bitmap16_prep(prog, tables);
        const uint8_t *p = recs + prog->offset;
        for (i = 0; i < n; i++, p += rs) {
            sel[i] = (uint8_t)bitmap16_test(&b, p);
            k += sel[i];
        }
        return (int)k;
    }
    if (fields_only(prog, nprog)) {
        for (i = 0; i < n; i++) {
            sel[i] = (uint8_t)eval_fields(prog, tables, recs + i * rs);
            k += sel[i];
        }
        return (int)k;
    }
    for (i = 0; i < n; i++) {
        sel[i] = (uint8_t)eval(prog, tables, &t, st, recs + i * rs);
        k += sel[i];
    }
    return (int)k;
}
