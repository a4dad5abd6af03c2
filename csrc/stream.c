/* stream.c -- record bytes <-> host-order batches: byte swapping, stream-1
 * compat records, and flow-gen's synthetic records. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

int ftc_host_little(void) { return ftc_is_little(); }

int ftc_recs_swap(int rt, uint8_t *recs, size_t n)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    int off16[FTC_F_COUNT], off32[FTC_F_COUNT];
    int n16 = 0, n32 = 0, f, j;
    size_t i;
    if (!L || (!recs && n) || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    for (f = 0; f < FTC_F_COUNT; f++) {
        if (L->off[f] < 0)
            continue;
        if (ftc_field_width(f) == 2)
            off16[n16++] = L->off[f];
        else if (ftc_field_width(f) == 4)
            off32[n32++] = L->off[f];
    }
    for (i = 0; i < n; i++) {
        uint8_t *r = recs + i * L->rec_size;
        for (j = 0; j < n16; j++)
            ftc_st16(r + off16[j], ftc_bswap16(ftc_ld16(r + off16[j])));
        for (j = 0; j < n32; j++)
            ftc_st32(r + off32[j], ftc_bswap32(ftc_ld32(r + off32[j])));
    }
    return FTC_OK;
}

int ftc_recs_from_compat(int rt, const uint8_t *in, size_t n, int swap, uint8_t *out)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    if (!L || (rt != FTC_RT_V1 && rt != FTC_RT_V5) || (n && (!in || !out))
        || n > SIZE_MAX / 72u)
        return FTC_EINVAL;
    if (n == 0)
        return FTC_OK;
    memset(out, 0, n * L->rec_size);
    for (i = 0; i < n; i++) {
        const uint8_t *c = in + i * 60;
        uint8_t *r = out + i * L->rec_size;
#define C32(o) (swap ? ftc_bswap32(ftc_ld32(c + (o))) : ftc_ld32(c + (o)))
#define C16(o) (swap ? ftc_bswap16(ftc_ld16(c + (o))) : ftc_ld16(c + (o)))
#define PUT(f, v) ftc_stw(r + L->off[f], ftc_field_width(f), (uint32_t)(v))
        PUT(FTC_F_UNIX_SECS, C32(0));
        PUT(FTC_F_UNIX_NSECS, C32(4) * 1000000u);
        PUT(FTC_F_SYSUPTIME, 0);
        PUT(FTC_F_SRCADDR, C32(8));
        PUT(FTC_F_DSTADDR, C32(12));
        PUT(FTC_F_NEXTHOP, C32(16));
        PUT(FTC_F_INPUT, C16(20));
        PUT(FTC_F_OUTPUT, C16(22));
        PUT(FTC_F_DPKTS, C32(24));
        PUT(FTC_F_DOCTETS, C32(28));
        PUT(FTC_F_FIRST, C32(32));
        PUT(FTC_F_LAST, C32(36));
        PUT(FTC_F_SRCPORT, C16(40));
        PUT(FTC_F_DSTPORT, C16(42));
        PUT(FTC_F_PROT, c[46]);
        PUT(FTC_F_TOS, c[47]);
        PUT(FTC_F_TCP_FLAGS, c[48]);
        if (rt == FTC_RT_V5) {
            PUT(FTC_F_SRC_AS, C16(52));
            PUT(FTC_F_DST_AS, C16(54));
            PUT(FTC_F_SRC_MASK, c[56]);
            PUT(FTC_F_DST_MASK, c[57]);
        }
#undef C32
#undef C16
#undef PUT
    }
    return FTC_OK;
}

static void setf(const ftc_layout_t *L, uint8_t *r, int f, uint32_t v)
{
    if (L->off[f] >= 0)
        ftc_stw(r + L->off[f], ftc_field_width(f), v);
}

/* flow-gen's v1006 record i (the v5 fields already set): even records are
   IPv4 flows (the v5 record's addresses, mapped), odd ones IPv6 flows from
   2001:db8::i to 2001:db8:0:1::ffff:i via fe80::i with flow label i; tags
   as v1005's */
static void gen_v1006(const ftc_layout_t *L, uint8_t *r, uint32_t i)
{
    setf(L, r, FTC_F_SRC_TAG, i);
    setf(L, r, FTC_F_DST_TAG, 255u + i);
    if (i % 2 == 0) {
        setf(L, r, FTC_F_SRCADDR6_2, FTC_MAPPED_WORD);
        setf(L, r, FTC_F_DSTADDR6_2, FTC_MAPPED_WORD);
        setf(L, r, FTC_F_NEXTHOP6_2, FTC_MAPPED_WORD);
        return;
    }
    setf(L, r, FTC_F_SRCADDR6_0, 0x20010DB8u);
    setf(L, r, FTC_F_DSTADDR6_0, 0x20010DB8u);
    setf(L, r, FTC_F_DSTADDR6_1, 1);
    setf(L, r, FTC_F_NEXTHOP6_0, 0xFE800000u);
    setf(L, r, FTC_F_NEXTHOP, i);
    setf(L, r, FTC_F_FLOW_LABEL, i & 0xFFFFFu);
}

int ftc_recs_gen(int rt, uint32_t start, size_t n, uint8_t *out)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t k;
    if (!L || (n && !out) || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    if (n == 0)
        return FTC_OK;
    memset(out, 0, n * L->rec_size);
    for (k = 0; k < n; k++) {
        uint32_t i = start + (uint32_t)k;
        uint8_t *r = out + k * L->rec_size;
        setf(L, r, FTC_F_DPKTS, i + 1);
        setf(L, r, FTC_F_DOCTETS, i + 1);
        setf(L, r, FTC_F_FIRST, i);
        setf(L, r, FTC_F_LAST, 0xFFFF0000u + i);
        if (L->version == 8) {
            setf(L, r, FTC_F_DFLOWS, 2 * (i + 1));
            setf(L, r, FTC_F_SRCADDR, i);
            setf(L, r, FTC_F_DSTADDR, 0xFFFF0000u + i);
            setf(L, r, FTC_F_SRCPORT, i);
            setf(L, r, FTC_F_DSTPORT, 0xFF00u + i);
            setf(L, r, FTC_F_INPUT, i);
            setf(L, r, FTC_F_OUTPUT, 0xFF00u + i);
            setf(L, r, FTC_F_SRC_AS, i);
            setf(L, r, FTC_F_DST_AS, 0xFF00u + i);
            setf(L, r, FTC_F_PROT, i);
            setf(L, r, FTC_F_TOS, i);
            setf(L, r, FTC_F_SRC_MASK, i);
            setf(L, r, FTC_F_DST_MASK, i);
            setf(L, r, FTC_F_EXTRA_PKTS, i);
            setf(L, r, FTC_F_ROUTER_SC, 2 * i);
            setf(L, r, FTC_F_MARKED_TOS, 255u + i);
            /* the reference's per-method generators differ in small ways */
            if (rt == FTC_RT_V8_2 || rt == FTC_RT_V8_10)
                setf(L, r, FTC_F_PROT, 0);
            if (rt == FTC_RT_V8_10) {
                setf(L, r, FTC_F_INPUT, 0);
                setf(L, r, FTC_F_OUTPUT, 0);
            }
            if (rt == FTC_RT_V8_4 || rt == FTC_RT_V8_12) {
                setf(L, r, FTC_F_DSTADDR, i);
                setf(L, r, FTC_F_OUTPUT, i);
                setf(L, r, FTC_F_DST_AS, i);
            }
            if (rt == FTC_RT_V8_8)
                setf(L, r, FTC_F_DSTPORT, i);
            continue;
        }
        setf(L, r, FTC_F_SRCADDR, i);
        setf(L, r, FTC_F_DSTADDR, 0xFFFF0000u + i);
        setf(L, r, FTC_F_SRCPORT, i);
        setf(L, r, FTC_F_DSTPORT, 0xFF00u + i);
        setf(L, r, FTC_F_INPUT, i);
        setf(L, r, FTC_F_OUTPUT, 0xFF00u + i);
        setf(L, r, FTC_F_PROT, 17);
        if (rt == FTC_RT_V5 || rt == FTC_RT_V1005 || rt == FTC_RT_V1006)
            setf(L, r, FTC_F_TOS, i);
        setf(L, r, FTC_F_SRC_AS, i);
        setf(L, r, FTC_F_DST_AS, 0xFF00u + i);
        setf(L, r, FTC_F_IN_ENCAPS, i);
        setf(L, r, FTC_F_OUT_ENCAPS, 128u + i);
        setf(L, r, FTC_F_PEER_NEXTHOP, i);
        setf(L, r, FTC_F_ROUTER_SC, i);
        if (rt == FTC_RT_V1005) {
            setf(L, r, FTC_F_DSTADDR, 0x8092C500u + i);
            setf(L, r, FTC_F_NEXTHOP, 0x8092C500u + i);
            setf(L, r, FTC_F_SRC_TAG, i);
            setf(L, r, FTC_F_DST_TAG, 255u + i);
        }
        if (rt == FTC_RT_V1006)
            gen_v1006(L, r, i);
    }
    return FTC_OK;
}

int ftc_rec_is_ipv4(int rt, const uint8_t *rec)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    if (!L || !rec)
        return FTC_EINVAL;
    return rt == FTC_RT_V1006 ? ftc_rec6_is_ipv4(L, rec) : 1;
}

int ftc_recs_keep_ipv4(int rt, uint8_t *recs, size_t n, size_t *kept)
{
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i, k = 0, rs;
    if (!L || !kept || (n && !recs) || n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;
    *kept = n;
    if (rt != FTC_RT_V1006)
        return FTC_OK;
    rs = L->rec_size;
    for (i = 0; i < n; i++) {
        const uint8_t *r = recs + i * rs;
        if (!ftc_rec6_is_ipv4(L, r))
            continue;
        if (k != i)
            memcpy(recs + k * rs, r, rs);
        k++;
    }
    *kept = k;
    return FTC_OK;
}
