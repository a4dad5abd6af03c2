/*
 * export.c -- flow-export's and flow-import's per-record work
 * (commands.md 8.10, 8.11, 12): CSV text and SQL rows of records,
 * cflowd and pcap-like binary records, and the parsers of CSV / Cisco
 * NFCollector lines, cflowd records and concatenated export datagrams.
 *
 * Records are host order in their stream layout (ftc_layout).  Every parser
 * takes an explicit length and never reads past it.  No allocation.
 */
#include <string.h>

#include "ftc_internal.h"

#define NXF FTC_F_COUNT

static int is_addr_field(int f)
{
    return f == FTC_F_EXADDR || f == FTC_F_SRCADDR || f == FTC_F_DSTADDR ||
           f == FTC_F_NEXTHOP || f == FTC_F_PEER_NEXTHOP || f == FTC_F_ROUTER_SC;
}

/* v1006: the field of the first word of the 128-bit address whose last
   word is field f (srcaddr, dstaddr, nexthop), or -1 */
static int addr6_hi(const ftc_layout_t *L, int f)
{
    int hi = f == FTC_F_SRCADDR ? FTC_F_SRCADDR6_0 : f == FTC_F_DSTADDR ? FTC_F_DSTADDR6_0
             : f == FTC_F_NEXTHOP ? FTC_F_NEXTHOP6_0 : -1;
    return hi >= 0 && L->off[hi] >= 0 ? hi : -1;
}

/* the upper words of the 128-bit addresses are exported with their last
   word's field (srcaddr: the whole address), never as columns */
static int is_addr6_word(int f)
{
    return f >= FTC_F_SRCADDR6_0 && f <= FTC_F_NEXTHOP6_2;
}

uint64_t ftc_xfield_mask(int rt)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    uint64_t m = 0;
    int f;
    if (!L)
        return 0;
    for (f = 0; f < NXF; f++)
        if (L->off[f] >= 0 && !is_addr6_word(f))
            m |= (uint64_t)1 << f;
    if (rt == FTC_RT_V8_10)   /* the reference exports no interfaces of 8.10 */
        m &= ~(((uint64_t)1 << FTC_F_INPUT) | ((uint64_t)1 << FTC_F_OUTPUT));
    return m;
}

/* ---- text: CSV, COPY CSV, SQL value tuples ---- */

/* the order values are written in: the reference writes marked_tos before
   extra_pkts in CSV (its header says the other way) */
static int value_field(int i, int style)
{
    if (style == FTC_XT_CSV) {
        if (i == FTC_F_EXTRA_PKTS)
            return FTC_F_MARKED_TOS;
        if (i == FTC_F_MARKED_TOS)
            return FTC_F_EXTRA_PKTS;
    }
    return i;
}

int ftc_export_text(const uint8_t *recs, size_t n, int rt, uint64_t mask, int style,
                    char *out, size_t cap, size_t *len, size_t *consumed)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    int cols[NXF];
    int ncol = 0, i;
    size_t pos = 0, r, line_max;
    if (!L || !len || !consumed || (n && (!recs || !out)) || style < 0 || style > FTC_XT_SQL)
        return FTC_EINVAL;
    *len = 0;
    *consumed = 0;
    mask &= ftc_xfield_mask(rt);
    for (i = 0; i < NXF; i++)
        if (mask & ((uint64_t)1 << i))
            cols[ncol++] = value_field(i, style);
    /* a value is at most 15 bytes (an IPv6 address 39) plus quotes and a
       separator */
    line_max = (size_t)ncol * (L->off[FTC_F_SRCADDR6_0] >= 0 ? 42 : 18) + 8;
    if (!ncol) {                 /* no field: no lines */
        *consumed = n;
        return FTC_OK;
    }
    for (r = 0; r < n; r++) {
        const uint8_t *rec = recs + r * L->rec_size;
        char *p;
        if (cap - pos < line_max)
            return FTC_EFULL;
        p = out + pos;
        if (style == FTC_XT_SQL)
            *p++ = '(';
        for (i = 0; i < ncol; i++) {
            int f = cols[i], hi;
            uint32_t v = ftc_get(L, rec, f);
            if (i)
                *p++ = ',';
            if (is_addr_field(f)) {
                if (style == FTC_XT_SQL)
                    *p++ = '\'';
                if ((hi = addr6_hi(L, f)) >= 0) {
                    uint32_t a6[4];
                    ftc_get_addr6(L, rec, hi, f, a6);
                    p += ftc_put_addr6(p, a6);
                } else {
                    p += ftc_put_ip(p, v);
                }
                if (style == FTC_XT_SQL)
                    *p++ = '\'';
            } else {
                p += ftc_put_dec(p, v);
            }
        }
        if (style == FTC_XT_SQL) {
            *p++ = ')';
            *p++ = ',';
        }
        *p++ = '\n';
        pos = (size_t)(p - out);
        *len = pos;
        *consumed = r + 1;
    }
    return FTC_OK;
}

/* ---- cflowd ---- */

/* cflowd bits in order: the record field and its size on the wire; start
   and end (bits 10, 11) are the absolute First / Last seconds */
static const struct { int8_t field; uint8_t size; } cfl[24] = {
    { FTC_F_EXADDR, 4 }, { FTC_F_SRCADDR, 4 }, { FTC_F_DSTADDR, 4 }, { FTC_F_INPUT, 2 },
    { FTC_F_OUTPUT, 2 }, { FTC_F_SRCPORT, 2 }, { FTC_F_DSTPORT, 2 }, { FTC_F_DPKTS, 4 },
    { FTC_F_DOCTETS, 4 }, { FTC_F_NEXTHOP, 4 }, { FTC_F_FIRST, 4 }, { FTC_F_LAST, 4 },
    { FTC_F_PROT, 1 }, { FTC_F_TOS, 1 }, { FTC_F_SRC_AS, 2 }, { FTC_F_DST_AS, 2 },
    { FTC_F_SRC_MASK, 1 }, { FTC_F_DST_MASK, 1 }, { FTC_F_TCP_FLAGS, 1 },
    { FTC_F_IN_ENCAPS, 1 }, { FTC_F_OUT_ENCAPS, 1 }, { FTC_F_PEER_NEXTHOP, 4 },
    { FTC_F_ENGINE_TYPE, 1 }, { FTC_F_ENGINE_ID, 1 },
};

uint32_t ftc_cflowd_mask(int rt)
{
    /* the reference's masks by record type (commands.md 12.2) */
    static const uint32_t m[FTC_RT_COUNT] = {
        0x00043FFF, 0x00C7FFFF, 0x00FFFFFF, 0x00C7FFFF, 0x00C7FFFF,
        0xC0CD99, 0xC00DE1, 0xC14D8B, 0xC28D95, 0xC3CD9F,
        0xC02D95, 0xC02D9F, 0xC02DFF, 0xC0ED99, 0xC02DE1,
        0xC16D8B, 0xC2AD95, 0xC3ED9F, 0xC32DFF,
        0,   /* v1006: no cflowd form */
    };
    if (rt < 0 || rt >= FTC_RT_COUNT)
        return 0;
    return m[rt];
}

int ftc_cflowd_field(int bit)
{
    if (bit < 0 || bit >= 24)
        return -1;
    return cfl[bit].field;
}

int ftc_export_cflowd(const uint8_t *recs, size_t n, int rt, uint32_t mask,
                      uint8_t *out, size_t cap, size_t *len, size_t *consumed)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t pos = 0, r, rlen = 4;
    int b;
    if (!L || !len || !consumed || (n && (!recs || !out)))
        return FTC_EINVAL;
    *len = 0;
    *consumed = 0;
    mask &= ftc_cflowd_mask(rt);
    for (b = 0; b < 24; b++)
        if (mask & (1u << b))
            rlen += cfl[b].size;
    for (r = 0; r < n; r++) {
        const uint8_t *rec = recs + r * L->rec_size;
        uint8_t *p;
        if (cap - pos < rlen)
            return FTC_EFULL;
        p = out + pos;
        ftc_stbe32(p, mask);
        p += 4;
        for (b = 0; b < 24; b++) {
            uint32_t v;
            if (!(mask & (1u << b)))
                continue;
            if (b == 10 || b == 11)
                v = (uint32_t)(ftc_flow_ms(L, rec, cfl[b].field) / 1000u);
            else
                v = ftc_get(L, rec, cfl[b].field);
            if (cfl[b].size == 4)
                ftc_stbe32(p, v);
            else if (cfl[b].size == 2)
                ftc_stbe16(p, (uint16_t)v);
            else
                *p = (uint8_t)v;
            p += cfl[b].size;
        }
        pos += rlen;
        *len = pos;
        *consumed = r + 1;
    }
    return FTC_OK;
}

int ftc_import_cflowd(const uint8_t *in, size_t len, int rt, uint8_t *out, size_t out_cap,
                      size_t *produced, size_t *consumed)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t pos = 0;
    if (!L || !produced || !consumed || (len && !in) || (out_cap && !out))
        return FTC_EINVAL;
    *produced = 0;
    *consumed = 0;
    while (len - pos >= 4) {
        uint32_t mask = ftc_ldbe32(in + pos), start = 0, end = 0;
        size_t need = 4, q;
        uint8_t *rec;
        int b;
        for (b = 0; b < 24; b++)
            if (mask & (1u << b))
                need += cfl[b].size;
        if (len - pos < need)
            break;                       /* a short final record: dropped */
        if (*produced >= out_cap)
            return FTC_EFULL;
        rec = out + *produced * L->rec_size;
        memset(rec, 0, L->rec_size);
        q = pos + 4;
        for (b = 0; b < 24; b++) {
            uint32_t v;
            int f;
            if (!(mask & (1u << b)))
                continue;
            v = cfl[b].size == 4 ? ftc_ldbe32(in + q)
                : cfl[b].size == 2 ? ftc_ldbe16(in + q) : in[q];
            q += cfl[b].size;
            if (b == 10) {
                start = v;
                continue;
            }
            if (b == 11) {
                end = v;
                continue;
            }
            f = cfl[b].field;
            /* the reference drops input on the v8 types without dstaddr */
            if (f == FTC_F_INPUT && L->version == 8 && L->off[FTC_F_DSTADDR] < 0)
                continue;
            if (L->off[f] >= 0)
                ftc_stw(rec + L->off[f], ftc_field_width(f), v);
        }
        if (start) {
            ftc_stw(rec + L->off[FTC_F_UNIX_SECS], 4, start);
            ftc_stw(rec + L->off[FTC_F_LAST], 4, (end - start) * 1000u);
        } else {
            ftc_stw(rec + L->off[FTC_F_UNIX_SECS], 4, end);
        }
        pos += need;
        (*produced)++;
        *consumed = pos;
    }
    return FTC_OK;
}

/* ---- pcap-like ---- */

int ftc_export_pcap(const uint8_t *recs, size_t n, int rt, uint8_t *out, size_t cap,
                    size_t *len, size_t *consumed)
{
    static const int need[] = { FTC_F_TOS, FTC_F_PROT, FTC_F_SRCADDR, FTC_F_DSTADDR,
                                FTC_F_SRCPORT, FTC_F_DSTPORT, FTC_F_UNIX_SECS,
                                FTC_F_UNIX_NSECS, FTC_F_DPKTS, FTC_F_DOCTETS };
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t pos = 0, r, i;
    if (!L || !len || !consumed || (n && (!recs || !out)))
        return FTC_EINVAL;
    *len = 0;
    *consumed = 0;
    for (i = 0; i < sizeof need / sizeof need[0]; i++)
        if (L->off[need[i]] < 0)
            return FTC_EFIELD;
    for (r = 0; r < n; r++) {
        const uint8_t *rec = recs + r * L->rec_size;
        uint32_t prot = ftc_get(L, rec, FTC_F_PROT);
        uint32_t l4 = prot == 6 ? 24u : prot == 17 ? 8u : 0u;
        uint32_t caplen = 14 + 20 + l4;
        uint8_t *p;
        uint64_t hv[4];
        int k;
        if (cap - pos < 32 + caplen)
            return FTC_EFULL;
        p = out + pos;
        memset(p, 0, 32 + caplen);
        hv[0] = ftc_get(L, rec, FTC_F_UNIX_SECS);
        hv[1] = ftc_get(L, rec, FTC_F_UNIX_NSECS) / 1000u;
        hv[2] = caplen;
        hv[3] = caplen;
        for (k = 0; k < 4; k++) {     /* little-endian u64 fields */
            int j;
            for (j = 0; j < 8; j++)
                p[8 * k + j] = (uint8_t)(hv[k] >> (8 * j));
        }
        p += 32;
        p[12] = 0x08;                 /* Ethernet type IPv4, MACs zero */
        p += 14;
        p[0] = 0x45;
        p[1] = (uint8_t)ftc_get(L, rec, FTC_F_TOS);
        ftc_stbe16(p + 2, (uint16_t)(20 + l4));
        p[9] = (uint8_t)prot;
        ftc_stbe32(p + 12, ftc_get(L, rec, FTC_F_SRCADDR));
        ftc_stbe32(p + 16, ftc_get(L, rec, FTC_F_DSTADDR));
        p += 20;
        if (l4) {
            ftc_stbe16(p, (uint16_t)ftc_get(L, rec, FTC_F_SRCPORT));
            ftc_stbe16(p + 2, (uint16_t)ftc_get(L, rec, FTC_F_DSTPORT));
            if (prot == 6)
                p[12] = 0x60;
            else
                p[5] = 8;
        }
        pos += 32 + caplen;
        *len = pos;
        *consumed = r + 1;
    }
    return FTC_OK;
}

/* ---- text import: CSV and NFCollector lines ---- */

/* C strtoul over [p, e): blanks, sign, base prefix (base 0) or decimal */
static uint32_t scan_num(const uint8_t *p, const uint8_t *e, int base)
{
    uint64_t v = 0;
    int neg = 0, overflow = 0;
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
                     *p == '\f' || *p == '\v'))
        p++;
    if (p < e && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    if (base == 0) {
        if (e - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
            e - p >= 3 && ((p[2] >= '0' && p[2] <= '9') || ((p[2] | 0x20) >= 'a' &&
                                                          (p[2] | 0x20) <= 'f'))) {
            base = 16;
            p += 2;
        } else if (p < e && *p == '0') {
            base = 8;
        } else {
            base = 10;
        }
    }
    for (; p < e; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
            d = (unsigned)((*p | 0x20) - 'a' + 10);
        else
            break;
        if (d >= (unsigned)base)
            break;
        v = v * (unsigned)base + d;
        if (v > 0xFFFFFFFFFFFFull / 16)
            overflow = 1;
    }
    if (overflow)
        return 0xFFFFFFFFu;
    if (neg)
        v = (uint64_t)0 - v;
    return (uint32_t)v;
}

/* dotted quad as the reference scans it (util/ipv4.scan without names):
   octet by octet, each character adding its code minus '0', missing
   trailing octets zero, past the fourth dot ignored */
static uint32_t scan_ip(const uint8_t *p, const uint8_t *e)
{
    uint32_t a = 0, oct = 0;
    int parts = 1;
    for (; p < e; p++) {
        if (*p == '.') {
            a = (a << 8) | (oct & 0xFF);
            oct = 0;
            if (++parts > 4)
                return a;
            continue;
        }
        oct = oct * 10 + (uint32_t)(*p - '0');
    }
    a = (a << 8) | (oct & 0xFF);
    return parts >= 4 ? a : a << (8 * (4 - parts));
}

int ftc_import_text(const uint8_t *in, size_t len, int final, int rt, const int8_t *cols,
                    size_t ncols, int sep, int strict, int base, int headers,
                    uint8_t *out, size_t out_cap, size_t *produced, size_t *consumed,
                    uint64_t *lines, size_t *line_len)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t pos = 0;
    if (!L || !produced || !consumed || !lines || !line_len || (len && !in) ||
        (ncols && !cols) || ncols > 64 || (out_cap && !out) || (base != 0 && base != 10))
        return FTC_EINVAL;
    *produced = 0;
    *consumed = 0;
    *line_len = 0;
    while (pos < len) {
        /* one piece: up to and including '\n', at most 1023 bytes */
        size_t avail = len - pos, lim = avail < 1023 ? avail : 1023, k, end, ncell;
        const uint8_t *s = in + pos, *c;
        uint8_t *rec;
        const uint8_t *nl = memchr(s, '\n', lim);
        size_t plen = nl ? (size_t)(nl - s) + 1 : lim;
        if (!nl && lim < 1023 && !final)
            break;                       /* need the rest of the line */
        end = nl ? plen - 1 : plen;      /* text without the newline */
        if (!strict) {
            for (k = 0; k < end && (s[k] == ' ' || s[k] == '\t'); k++)
                ;
            if (k < end && s[k] == '#') {
                if (headers && !*produced && k == 0 && k + 1 < end && s[1] == ':') {
                    *consumed = pos;
                    *line_len = plen;
                    return FTC_IMP_HEADER;
                }
                pos += plen;
                *consumed = pos;
                (*lines)++;
                continue;
            }
        }
        ncell = 1;
        for (k = 0; k < end; k++)
            if (s[k] == (uint8_t)sep)
                ncell++;
        if (strict && ncell != ncols) {
            (*lines)++;
            pos += plen;
            *consumed = pos;
            *line_len = plen;
            return FTC_IMP_BROKEN;
        }
        if (*produced >= out_cap)
            return FTC_EFULL;
        rec = out + *produced * L->rec_size;
        memset(rec, 0, L->rec_size);
        c = s;
        for (k = 0; k < ncols && c <= s + end; k++) {
            const uint8_t *ce = memchr(c, sep, (size_t)(s + end - c));
            int f = cols[k];
            if (!ce)
                ce = s + end;
            if (f >= 0 && f < NXF && L->off[f] >= 0) {
                int hi = is_addr_field(f) ? addr6_hi(L, f) : -1;
                if (hi >= 0) {
                    /* v1006: IPv6 text (malformed: ::), else a dotted quad
                       read as for the other versions, IPv4-mapped */
                    uint32_t a6[4] = { 0, 0, FTC_MAPPED_WORD, 0 };
                    if (memchr(c, ':', (size_t)(ce - c)))
                        ftc_scan_addr6(c, ce, a6);
                    else
                        a6[3] = scan_ip(c, ce);
                    ftc_st32(rec + L->off[hi], a6[0]);
                    ftc_st32(rec + L->off[hi + 1], a6[1]);
                    ftc_st32(rec + L->off[hi + 2], a6[2]);
                    ftc_st32(rec + L->off[f], a6[3]);
                } else {
                    uint32_t v = is_addr_field(f) ? scan_ip(c, ce) : scan_num(c, ce, base);
                    ftc_stw(rec + L->off[f], ftc_field_width(f), v);
                }
            }
            c = ce + 1;
        }
        (*produced)++;
        (*lines)++;
        pos += plen;
        *consumed = pos;
    }
    return FTC_OK;
}

/* ---- concatenated export datagrams (flow-import -f 4) ---- */

int ftc_wire_split(const uint8_t *in, size_t len, uint32_t *lens, size_t cap, size_t *n,
                   size_t *consumed, uint32_t *info)
{
    size_t pos = 0;
    if (!n || !consumed || !info || (len && !in) || (cap && !lens))
        return FTC_EINVAL;
    *n = 0;
    *consumed = 0;
    *info = 0;
    while (len - pos >= 4) {
        unsigned version = ftc_ldbe16(in + pos), count = ftc_ldbe16(in + pos + 2);
        size_t hs, rs, need;
        switch (version) {
        case 1: hs = 16; rs = 48; break;
        case 5: hs = 24; rs = 48; break;
        case 6: hs = 24; rs = 52; break;
        case 7: hs = 24; rs = 52; break;
        case 8: hs = 24; rs = 0; break;   /* the reference's 24-byte header */
        default:
            *info = version;
            return FTC_IMP_VERSION;
        }
        if (version == 8) {
            *info = 8;
            return FTC_IMP_V8;
        }
        need = hs + count * rs;
        if (len - pos < need) {
            *info = (uint32_t)need;
            return FTC_ETRUNC;
        }
        if (*n >= cap)
            return FTC_EFULL;
        lens[(*n)++] = (uint32_t)need;
        pos += need;
        *consumed = pos;
    }
    return FTC_OK;
}
