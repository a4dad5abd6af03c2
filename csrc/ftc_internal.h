/* ftc_internal.h -- private static-inline helpers of the C core (byte
 * swapping, bounded loads and stores) and the few functions one core file
 * lends another.  Never part of the cffi cdef. */
#ifndef FTC_INTERNAL_H
#define FTC_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ftcore.h"

static inline uint16_t ftc_bswap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
static inline uint32_t ftc_bswap32(uint32_t v) { return __builtin_bswap32(v); }

static inline int ftc_is_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* unaligned host-order loads/stores */
static inline uint8_t ftc_ld8(const uint8_t *p) { return p[0]; }
static inline uint16_t ftc_ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t ftc_ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline void ftc_st8(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void ftc_st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void ftc_st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* big-endian (network order) loads/stores */
static inline uint16_t ftc_ldbe16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t ftc_ldbe32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void ftc_stbe16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void ftc_stbe32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* load/store a field of width w (1, 2 or 4) as uint32, host order */
static inline uint32_t ftc_ldw(const uint8_t *p, int w)
{
    return w == 4 ? ftc_ld32(p) : w == 2 ? ftc_ld16(p) : p[0];
}
static inline void ftc_stw(uint8_t *p, int w, uint32_t v)
{
    if (w == 4) ftc_st32(p, v);
    else if (w == 2) ftc_st16(p, (uint16_t)v);
    else p[0] = (uint8_t)v;
}

/* THE widths of the record fields, indexed by FTC_F_* (0: no such field):
   ftc_field_width() answers from it; kernels inline it */
static inline const uint8_t *ftc_widths(void)
{
    static const uint8_t widths[FTC_F_COUNT] = {
        4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 1, 0, 4, 4, 0, 0, 4, 2, 2, 2, 2, 1, 1, 1,
        1, 1, 2, 2, 1, 1, 4, 4, 4, 1, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    };
    return widths;
}

static inline int ftc_width(int field)
{
    return field < 0 || field >= FTC_F_COUNT ? 0 : ftc_widths()[field];
}

/* field access through a layout; off < 0 reads as 0 */
static inline uint32_t ftc_get(const ftc_layout_t *L, const uint8_t *rec, int field)
{
    int off = L->off[field];
    if (off < 0)
        return 0;
    return ftc_ldw(rec + off, ftc_field_width(field));
}

/* ---- records through per-field values (pdu.c, ipfix.c) ----
 * A decoder fills v[FTC_F_*] (uint32 per field) and stores the fields the
 * target record type has: translation between types is "store what the
 * target has".  ftc_store_init() once per record type, ftc_store() per
 * record. */

/* the fields a record type has, as a list (FTC_F_COUNT entries at most) */
static inline int ftc_fields_of(const ftc_layout_t *L, uint8_t *list)
{
    int f, n = 0;
    for (f = 0; f < FTC_F_COUNT; f++)
        if (L->off[f] >= 0)
            list[n++] = (uint8_t)f;
    return n;
}

/* how to store v[] into records of one layout: its fields by width */
typedef struct {
    uint32_t size;                 /* record bytes */
    int n4, n2, n1;                /* fields of 4, 2 and 1 bytes */
    uint8_t field[FTC_F_COUNT];    /* the 4-byte fields, the 2-byte ones, the 1-byte ones */
    uint8_t off[FTC_F_COUNT];      /* their offsets in the record */
} ftc_store_t;

static inline void ftc_store_init(const ftc_layout_t *L, ftc_store_t *p)
{
    uint8_t list[FTC_F_COUNT];
    const int n = ftc_fields_of(L, list);
    int w, j, k = 0;
    p->size = L->rec_size;
    for (w = 4; w >= 1; w /= 2) {
        const int k0 = k;
        for (j = 0; j < n; j++)
            if (ftc_width(list[j]) == w) {
                p->field[k] = list[j];
                p->off[k++] = (uint8_t)L->off[list[j]];
            }
        if (w == 4)
            p->n4 = k - k0;
        else if (w == 2)
            p->n2 = k - k0;
        else
            p->n1 = k - k0;
    }
}

/* zero a record of n bytes (n: a multiple of 4, 32 to 112 for every
   layout) with stores of a known size */
static inline void ftc_zero_rec(uint8_t *r, size_t n)
{
    if (n < 32 || n > 128) {
        memset(r, 0, n);
        return;
    }
    memset(r, 0, 32);
    memset(r + n - 32, 0, 32);
    if (n > 64)
        memset(r + 32, 0, 32);
    if (n > 96)
        memset(r + 64, 0, 32);
}

/* ---- v1006: IPv4 and IPv6 flows ----
 * Addresses are four 32-bit words, most significant first; an IPv4 flow has
 * srcaddr and dstaddr IPv4-mapped (::ffff:a.b.c.d: words 0, 0, 0xffff, the
 * IPv4 address), so FTC_F_SRCADDR / DSTADDR / NEXTHOP, the last words, are
 * what the IPv4 record types hold. */

#define FTC_MAPPED_WORD 0x0000FFFFu   /* word 2 of an IPv4-mapped address */

/* the 128-bit address whose upper words are fields hi, hi+1, hi+2 and
   whose last word is field lo, as w[0..4) (host order) */
static inline void ftc_get_addr6(const ftc_layout_t *L, const uint8_t *rec, int hi, int lo,
                                 uint32_t w[4])
{
    w[0] = ftc_ld32(rec + L->off[hi]);
    w[1] = ftc_ld32(rec + L->off[hi + 1]);
    w[2] = ftc_ld32(rec + L->off[hi + 2]);
    w[3] = ftc_ld32(rec + L->off[lo]);
}

/* is the v1006 record (layout L) an IPv4 flow: srcaddr and dstaddr mapped */
static inline int ftc_rec6_is_ipv4(const ftc_layout_t *L, const uint8_t *rec)
{
    return (ftc_ld32(rec + L->off[FTC_F_SRCADDR6_0]) | ftc_ld32(rec + L->off[FTC_F_SRCADDR6_1])
            | ftc_ld32(rec + L->off[FTC_F_DSTADDR6_0]) | ftc_ld32(rec + L->off[FTC_F_DSTADDR6_1])) == 0
           && ftc_ld32(rec + L->off[FTC_F_SRCADDR6_2]) == FTC_MAPPED_WORD
           && ftc_ld32(rec + L->off[FTC_F_DSTADDR6_2]) == FTC_MAPPED_WORD;
}

/* store v[] into a record (host order; the bytes of no field are 0) */
static inline void ftc_store(const ftc_store_t *p, const uint32_t *v, uint8_t *r)
{
    const uint8_t *f = p->field, *o = p->off;
    int j;
    ftc_zero_rec(r, p->size);
    for (j = 0; j < p->n4; j++)
        ftc_st32(r + o[j], v[f[j]]);
    f += p->n4;
    o += p->n4;
    for (j = 0; j < p->n2; j++)
        ftc_st16(r + o[j], (uint16_t)v[f[j]]);
    f += p->n2;
    o += p->n2;
    for (j = 0; j < p->n1; j++)
        r[o[j]] = (uint8_t)v[f[j]];
}

/* ---- text helpers (fmt.c and the report formatters): integers,
 * addresses, local times through the caller's ftc_fmt_state_t cache ---- */

static inline const char *ftc_digit_pairs_(void)
{
    static const char d[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";
    return d;
}

/* v in decimal at p; returns the length (1..20) */
static inline unsigned ftc_digits64(uint64_t v)
{
    unsigned n = 1;
    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* the n decimal digits of v, written in place (no temporary, no memmove) */
static inline size_t ftc_put_digits(char *p, uint64_t v, size_t n)
{
    size_t i = n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        i -= 2;
        memcpy(p + i, ftc_digit_pairs_() + 2 * r, 2);
    }
    if (v >= 10)
        memcpy(p + i - 2, ftc_digit_pairs_() + 2 * v, 2);
    else
        p[i - 1] = (char)('0' + v);
    return n;
}

static inline size_t ftc_put_dec64(char *p, uint64_t v)
{
    return ftc_put_digits(p, v, ftc_digits64(v));
}

static inline size_t ftc_put_dec(char *p, uint32_t v)
{
    if (v < 10) {
        p[0] = (char)('0' + v);
        return 1;
    }
    if (v < 100) {
        memcpy(p, ftc_digit_pairs_() + 2 * v, 2);
        return 2;
    }
    return ftc_put_digits(p, v, v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6
                          : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10);
}

/* exactly two digits of v (0..99) */
static inline void ftc_put2(char *p, unsigned v)
{
    memcpy(p, ftc_digit_pairs_() + 2 * (v % 100), 2);
}

/* exactly three digits of v (0..999) */
static inline void ftc_put3(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 100);
    ftc_put2(p + 1, v % 100);
}

/* lowercase hex, at least `digits` digits */
static inline size_t ftc_put_hex(char *p, uint32_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    char t[8];
    size_t i = sizeof t, n;
    do {
        t[--i] = hex[v & 15];
        v >>= 4;
    } while (v);
    while (sizeof t - i < digits && i > 0)
        t[--i] = '0';
    n = sizeof t - i;
    memcpy(p, t + i, n);
    return n;
}

/* the first `octets` octets of a dotted quad */
static inline size_t ftc_put_octets(char *p, uint32_t a, int octets)
{
    size_t n = 0;
    int i;
    for (i = 0; i < octets; i++) {
        if (i)
            p[n++] = '.';
        n += ftc_put_dec(p + n, (a >> (24 - 8 * i)) & 0xFF);
    }
    return n;
}

static inline size_t ftc_put_ip(char *p, uint32_t a)
{
    return ftc_put_octets(p, a, 4);
}

/* A 128-bit address (words w[0..4), most significant first) as text: an
   IPv4-mapped one (::ffff:0:0/96) as its dotted quad, any other in RFC 5952
   form (lowercase hex groups without leading zeros; the longest run of two
   or more zero groups, the first of equal runs, as "::"), as Python's
   ipaddress.IPv6Address(...).compressed.  At most 39 characters. */
static inline size_t ftc_put_addr6(char *p, const uint32_t w[4])
{
    unsigned g[8];
    int i, best = -1, bestlen = 1, run = 0;
    size_t n = 0;
    if (w[0] == 0 && w[1] == 0 && w[2] == FTC_MAPPED_WORD)
        return ftc_put_ip(p, w[3]);
    for (i = 0; i < 8; i++) {
        g[i] = (w[i / 2] >> (i % 2 ? 0 : 16)) & 0xFFFFu;
        run = g[i] ? 0 : run + 1;
        if (run > bestlen) {
            bestlen = run;
            best = i - run + 1;
        }
    }
    for (i = 0; i < 8; i++) {
        if (i == best) {
            p[n++] = ':';
            p[n++] = ':';
            i += bestlen - 1;
            continue;
        }
        if (i > 0 && i != best + bestlen)
            p[n++] = ':';
        n += ftc_put_hex(p + n, g[i], 1);
    }
    return n;
}

/* strictly four decimal octets 0..255 of 1 to 3 digits over [p, e) */
static inline int ftc_scan_quad(const uint8_t *p, const uint8_t *e, uint32_t *out)
{
    uint32_t a = 0;
    int k;
    for (k = 0; k < 4; k++) {
        unsigned v = 0, digits = 0;
        while (p < e && *p >= '0' && *p <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*p - '0');
            p++;
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return -1;
        a = (a << 8) | v;
        if (k < 3) {
            if (p >= e || *p != '.')
                return -1;
            p++;
        }
    }
    if (p != e)
        return -1;
    *out = a;
    return 0;
}

/* THE C reader of IPv6 text (the inverse of ftc_put_addr6; flow-import):
   [p, e) in any RFC 4291 form (1 to 4 hex digits a group, either case, one
   "::" at most, a dotted quad as the last two groups) -> w[0..4), most
   significant first.  Returns 0, or -1 with w all zero when malformed (no
   zone index, no prefix length, no blanks). */
static inline int ftc_scan_addr6(const uint8_t *p, const uint8_t *e, uint32_t w[4])
{
    unsigned g[8], full[8];
    int n = 0, gap = -1, i;
    w[0] = w[1] = w[2] = w[3] = 0;
    if (e - p >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        p += 2;
    } else if (p < e && *p == ':') {
        return -1;
    }
    while (p < e) {
        const uint8_t *q = p;
        unsigned v = 0, digits = 0;
        while (q < e && digits < 5) {
            unsigned c = *q, d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                d = (c | 0x20) - 'a' + 10;
            else
                break;
            v = v * 16 + d;
            q++;
            digits++;
        }
        if (q < e && *q == '.') {            /* the last 32 bits as a dotted quad */
            uint32_t a;
            if (n > 6 || ftc_scan_quad(p, e, &a) < 0)
                return -1;
            g[n++] = a >> 16;
            g[n++] = a & 0xFFFF;
            p = e;
            break;
        }
        if (digits == 0 || digits > 4 || n >= 8)
            return -1;
        g[n++] = v;
        p = q;
        if (p == e)
            break;
        if (*p != ':' || ++p == e)
            return -1;
        if (*p == ':') {
            if (gap >= 0)
                return -1;
            gap = n;
            p++;
        }
    }
    if (gap < 0 ? n != 8 : n > 7)
        return -1;
    for (i = 0; i < 8; i++)
        full[i] = 0;
    if (gap < 0) {
        for (i = 0; i < 8; i++)
            full[i] = g[i];
    } else {
        for (i = 0; i < gap; i++)
            full[i] = g[i];
        for (i = gap; i < n; i++)
            full[8 - (n - i)] = g[i];
    }
    for (i = 0; i < 4; i++)
        w[i] = ((uint32_t)full[2 * i] << 16) | full[2 * i + 1];
    return 0;
}

/* ---- time ---- */

typedef struct {
    int year, mon, mday, hour, min, sec;
} ftc_ymdhms_t;

static inline int ftc_local_parts(time_t t, ftc_ymdhms_t *out)
{
    struct tm tm;
    if (!localtime_r(&t, &tm)) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->year = tm.tm_year + 1900;
    out->mon = tm.tm_mon + 1;
    out->mday = tm.tm_mday;
    out->hour = tm.tm_hour;
    out->min = tm.tm_min;
    out->sec = tm.tm_sec;
    return 0;
}

/* Local time of `secs` through the per-minute cache in st (a record's
   First and Last usually fall in the same or adjacent minutes, so they take
   different slots).  A minute is cached only when both its first and its
   last second convert to the same local minute at seconds 0 and 59 (so zones
   with non-minute offsets, transitions and leap seconds inside a minute
   convert directly). */
static inline void ftc_local_time(ftc_fmt_state_t *st, uint64_t secs, ftc_ymdhms_t *out)
{
    int64_t minute = (int64_t)(secs / 60);
    ftc_fmt_tslot_t *c = &st->slot[(uint64_t)minute % FTC_FMT_TCACHE];
    if (c->kind == 0 || c->minute != minute) {
        ftc_ymdhms_t a, b;
        c->minute = minute;
        c->kind = 2;
        if (ftc_local_parts((time_t)(minute * 60), &a) == 0 && a.sec == 0 &&
            ftc_local_parts((time_t)(minute * 60 + 59), &b) == 0 && b.sec == 59 &&
            b.min == a.min && b.hour == a.hour && b.mday == a.mday &&
            b.mon == a.mon && b.year == a.year) {
            c->kind = 1;
            c->year = a.year;
            c->mon = a.mon;
            c->mday = a.mday;
            c->hour = a.hour;
            c->min = a.min;
        }
    }
    if (c->kind == 1) {
        out->year = c->year;
        out->mon = c->mon;
        out->mday = c->mday;
        out->hour = c->hour;
        out->min = c->min;
        out->sec = (int)(secs - (uint64_t)minute * 60);
    } else {
        ftc_local_parts((time_t)secs, out);
    }
}

/* absolute time in ms of T (First or Last), unsigned 64-bit (1.8) */
static inline uint64_t ftc_flow_ms(const ftc_layout_t *L, const uint8_t *rec, int field)
{
    uint64_t ms = (uint64_t)ftc_get(L, rec, FTC_F_UNIX_SECS) * 1000u;
    ms += ftc_get(L, rec, FTC_F_UNIX_NSECS) / 1000000u;
    ms -= ftc_get(L, rec, FTC_F_SYSUPTIME);
    ms += ftc_get(L, rec, field);
    return ms;
}

/* "MMDD.HH:MM:SS.mmm" (17) or "YYYY-MM-DD HH:MM:SS.mmm" (23 with a 4-digit
   year) */
static inline size_t ftc_put_time(char *p, ftc_fmt_state_t *st, uint64_t ms, int with_year)
{
    ftc_ymdhms_t t;
    size_t n = 0;
    ftc_local_time(st, ms / 1000, &t);
    if (with_year) {
        int y = t.year < 0 ? 0 : t.year;
        char yb[12];
        size_t yl = ftc_put_dec((char *)yb, (uint32_t)y);
        while (yl + n < 4)
            p[n++] = '0';
        memcpy(p + n, yb, yl);
        n += yl;
        p[n++] = '-';
        ftc_put2(p + n, (unsigned)t.mon);
        p[n + 2] = '-';
        ftc_put2(p + n + 3, (unsigned)t.mday);
        p[n + 5] = ' ';
        n += 6;
    } else {
        ftc_put2(p, (unsigned)t.mon);
        ftc_put2(p + 2, (unsigned)t.mday);
        p[4] = '.';
        n = 5;
    }
    ftc_put2(p + n, (unsigned)t.hour);
    p[n + 2] = ':';
    ftc_put2(p + n + 3, (unsigned)t.min);
    p[n + 5] = ':';
    ftc_put2(p + n + 6, (unsigned)t.sec);
    p[n + 8] = '.';
    ftc_put3(p + n + 9, (unsigned)(ms % 1000));
    return n + 12;
}

/* ---- shared between core files (never in the cdef) ---- */

/* Do n packed datagrams of lens[i] bytes each fit in buf_len bytes?  (No
   sum that can overflow: each length is taken off what is left.) */
static inline int ftc_lens_fit(const uint32_t *lens, size_t n, size_t buf_len)
{
    size_t i, left = buf_len;
    for (i = 0; i < n; i++) {
        if (lens[i] > left)
            return 0;
        left -= lens[i];
    }
    return 1;
}

/* ftc_filter_apply() without its ftc_filter_check(): only for a program
   and batch already checked by the caller (relay.c checks once per batch
   of datagrams, then filters each datagram's records). */
int ftc_filter_apply_checked(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                             int rt, ftc_filter_state_t *st, uint8_t *recs, size_t n,
                             size_t *kept);

/* Does converting records of type `from` into type `to` lose output (the
   reference's v1 -> v5/v6/v7)?  tagmask.c; pdu.c's decoder and encoder ask
   it too. */
int ftc_xlate_drops_output(int from, int to);

/* ---- prefixes and symbol names (fmt.c, agg.c) ---- */

/* address (not masked) without its trailing zero octets, "/", length;
   a length above 32 prints as 0 */
static inline size_t ftc_put_prefix(char *p, uint32_t a, uint32_t len)
{
    int octets = !(a & 0x00FFFFFF) ? 1 : !(a & 0xFFFF) ? 2 : !(a & 0xFF) ? 3 : 4;
    size_t n = ftc_put_octets(p, a, octets);
    p[n++] = '/';
    return n + ftc_put_dec(p + n, len > 32 ? 0 : len);
}

/* name of v in symbol table `table` (FTC_SYMK_*) of s, NULL when none */
static inline const char *ftc_sym_name(const ftc_symtab_t *s, int table, uint32_t v)
{
    const uint32_t *offs;
    uint32_t off;
    switch (table) {
    case FTC_SYMK_PROT:
        offs = s->prot_off;
        if (!offs || v > 0xFF)
            return NULL;
        off = offs[v];
        break;
    case FTC_SYMK_PORT:
        offs = s->port_off;
        if (!offs || v > 0xFFFF)
            return NULL;
        off = offs[v];
        break;
    case FTC_SYMK_AS:
        offs = s->as_off;
        if (!offs || v > 0xFFFF)
            return NULL;
        off = offs[v];
        break;
    case FTC_SYMK_TAG: {
        size_t lo = 0, hi = s->n_tag;
        if (!s->tag_key || !s->tag_off)
            return NULL;
        off = FTC_SYM_NONE;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->tag_key[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < s->n_tag && s->tag_key[lo] == v)
            off = s->tag_off[lo];
        break;
    }
    default:
        return NULL;
    }
    /* the callers check that blob ends in a NUL, so the name ends inside it */
    if (off == FTC_SYM_NONE || !s->blob || off >= s->blob_len)
        return NULL;
    return s->blob + off;
}


/* ---- report-wide totals of one record (stat.c, agg.c) ---- */

/* the record offsets the totals read (-1: absent) */
typedef struct {
    int pk, oc, f, l, s, df;
} ftc_tot_offs_t;

static inline void ftc_tot_offsets(const ftc_layout_t *L, unsigned flags, ftc_tot_offs_t *o)
{
    o->pk = L->off[FTC_F_DPKTS];
    o->oc = L->off[FTC_F_DOCTETS];
    o->f = L->off[FTC_F_FIRST];
    o->l = L->off[FTC_F_LAST];
    o->s = L->off[FTC_F_UNIX_SECS];
    o->df = (flags & FTC_STAT_DFLOWS) ? L->off[FTC_F_DFLOWS] : -1;
}

static inline void ftc_tot_rate(double *sum, double *mn, double *mx, double v)
{
    *sum += v;
    if (*mn == 0 || v < *mn)
        *mn = v;
    if (v > *mx)
        *mx = v;
}

/* Count record r into tot (commands.md 11.3): records; a record whose
   dPkts (times scale) is 0 only adds to ignores (returns 0); the others
   add flows (dFlows with FTC_STAT_DFLOWS), octets, packets, duration,
   frecs, the unix_secs and First/Last bounds and, with FTC_STAT_RATES,
   pps and bps (returns 1).  o->pk and o->oc must be present. */
static inline int ftc_tot_add(ftc_stat_tot_t *tot, unsigned flags, uint32_t scale,
                              const ftc_tot_offs_t *o, const uint8_t *r)
{
    uint64_t pk = ftc_ld32(r + o->pk), oc = ftc_ld32(r + o->oc);
    uint32_t f, l, d, secs;
    tot->records++;
    if (scale) {
        pk *= scale;
        oc *= scale;
    }
    if (pk == 0) {
        tot->ignores++;
        return 0;
    }
    f = o->f >= 0 ? ftc_ld32(r + o->f) : 0;
    l = o->l >= 0 ? ftc_ld32(r + o->l) : 0;
    d = l - f;
    secs = o->s >= 0 ? ftc_ld32(r + o->s) : 0;
    tot->flows += o->df >= 0 ? ftc_ld32(r + o->df) : 1u;
    tot->octets += oc;
    tot->packets += pk;
    tot->duration += d;
    if (secs < tot->min_secs)
        tot->min_secs = secs;
    if (secs > tot->max_secs)
        tot->max_secs = secs;
    if (f < tot->min_first)
        tot->min_first = f;
    if (l > tot->max_last)
        tot->max_last = l;
    if (d) {
        tot->frecs++;
        if (flags & FTC_STAT_RATES) {
            double sec = d / 1000.0;
            ftc_tot_rate(&tot->pps_sum, &tot->pps_min, &tot->pps_max, (double)pk / sec);
            ftc_tot_rate(&tot->bps_sum, &tot->bps_min, &tot->bps_max, (double)oc * 8.0 / sec);
        }
    }
    return 1;
}

/* index of the range of r[0..n) (sorted, disjoint: ftc_ranges_check)
   holding key, or -1 (flow-tag, flow-mask, flow-split) */
static inline long ftc_range_find(const ftc_range_t *r, size_t n, uint32_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].lo <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    lo--;
    return key <= r[lo].hi ? (long)lo : -1;
}

/* the next event of a receive batch (ev[st->n_events++]) filled with what
   every kind has; NULL when ev is NULL (no events wanted).  The caller
   keeps st->n_events + FTC_PDU_EVENTS_MIN <= ev_cap per datagram. */
static inline ftc_pdu_event_t *ftc_pdu_event_add(ftc_pdu_event_t *ev, ftc_pdu_rx_stats_t *st,
                                                 uint32_t index, int kind, int reason,
                                                 uint32_t src, uint32_t dst, uint16_t version)
{
    ftc_pdu_event_t *e;
    if (!ev)
        return NULL;
    e = &ev[st->n_events++];
    memset(e, 0, sizeof *e);
    e->index = index;
    e->kind = kind;
    e->reason = reason;
    e->src_ip = src;
    e->dst_ip = dst;
    e->version = version;
    return e;
}

#endif /* FTC_INTERNAL_H */
