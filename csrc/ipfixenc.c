/* ipfixenc.c -- NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export
 * datagrams from stream records: flow-send -V 9 and -V 10.
 *
 * One template per record type (ID FTC_IPXENC_TEMPLATE_ID): every field the
 * record type has that an information element names, in the order of the
 * table below, each as wide as in the stream record (reduced-size encoding),
 * First/Last as flowStartMilliseconds/flowEndMilliseconds (8 bytes) in
 * IPFIX, and the ICMP type/code (32) of ICMP flows.  Datagrams go out per domain (engine_type << 8 | engine_id); a
 * domain's datagram carries the template set before its data set when the
 * domain has not had it yet, every refresh_pdus datagrams and when its
 * unix_secs is refresh_secs past (or before) the last template's.  See
 * ftcore.h for the header values and the grouping. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

/* the fields an information element carries, in template order */
typedef struct {
    uint8_t  field;   /* FTC_F_*, or ICMP */
    uint16_t v9;      /* v9 field type */
    uint16_t ipfix;   /* IPFIX information element */
} ie_t;

/* ICMP type * 256 + code: dstport of ICMP flows (prot 1), as flow-tools
   keeps it, else 0 (nfdump reads ICMP of v9 only from it) */
#define ICMP FTC_F_COUNT

static const ie_t ies[] = {
    {FTC_F_SRCADDR, 8, 8},          /* sourceIPv4Address */
    {FTC_F_DSTADDR, 12, 12},        /* destinationIPv4Address */
    {FTC_F_NEXTHOP, 15, 15},        /* ipNextHopIPv4Address */
    {FTC_F_INPUT, 10, 10},          /* ingressInterface */
    {FTC_F_OUTPUT, 14, 14},         /* egressInterface */
    {FTC_F_DFLOWS, 3, 3},           /* deltaFlowCount (v8 records only) */
    {FTC_F_DPKTS, 2, 2},            /* packetDeltaCount */
    {FTC_F_DOCTETS, 1, 1},          /* octetDeltaCount */
    {FTC_F_FIRST, 22, 152},         /* FIRST_SWITCHED / flowStartMilliseconds */
    {FTC_F_LAST, 21, 153},          /* LAST_SWITCHED / flowEndMilliseconds */
    {FTC_F_SRCPORT, 7, 7},          /* sourceTransportPort */
    {FTC_F_DSTPORT, 11, 11},        /* destinationTransportPort */
    {ICMP, 32, 32},                 /* ICMP_TYPE / icmpTypeCodeIPv4 */
    {FTC_F_TCP_FLAGS, 6, 6},        /* tcpControlBits */
    {FTC_F_PROT, 4, 4},             /* protocolIdentifier */
    {FTC_F_TOS, 5, 5},              /* ipClassOfService */
    {FTC_F_MARKED_TOS, 55, 55},     /* DST_TOS / postIpClassOfService */
    {FTC_F_SRC_AS, 16, 16},         /* bgpSourceAsNumber */
    {FTC_F_DST_AS, 17, 17},         /* bgpDestinationAsNumber */
    {FTC_F_SRC_MASK, 9, 9},         /* sourceIPv4PrefixLength */
    {FTC_F_DST_MASK, 13, 13},       /* destinationIPv4PrefixLength */
    {FTC_F_ENGINE_TYPE, 38, 38},    /* engineType */
    {FTC_F_ENGINE_ID, 39, 39},      /* engineId */
};
#define N_IES ((int)(sizeof ies / sizeof ies[0]))

enum { V9_HDR = 20, IPFIX_HDR = 16, SET_HDR = 4, TPL_HDR = 4 };

enum { K_PLAIN, K_MS, K_ICMP };   /* how a value is made */

/* the template of record type rt as datagram version `version` */
typedef struct {
    int      n;                 /* fields */
    int16_t  prot;              /* offset of prot (K_ICMP) */
    uint8_t  kind[N_IES];       /* K_* */
    uint8_t  field[N_IES];      /* FTC_F_* */
    uint16_t ie[N_IES];
    uint8_t  width[N_IES];      /* bytes on the wire */
    int16_t  off[N_IES];        /* offset in the stream record */
    unsigned rec_len;           /* data record bytes */
    unsigned tpl_len;           /* template set bytes (set header included) */
    unsigned hdr;               /* message header bytes */
} tpl_t;

static int template_of(int version, int rt, tpl_t *t)
{
    const ftc_layout_t *L;
    int k;
    if (version != 9 && version != 10)
        return FTC_EDVERSION;
    L = ftc_layout_get(rt);
    if (!L)
        return FTC_EINVAL;
    memset(t, 0, sizeof *t);
    t->prot = L->off[FTC_F_PROT];
    for (k = 0; k < N_IES; k++) {
        const ie_t *e = &ies[k];
        int f = e->field, w, kind = K_PLAIN;
        if (f == ICMP) {
            if (L->off[FTC_F_PROT] < 0 || L->off[FTC_F_DSTPORT] < 0)
                continue;
            f = FTC_F_DSTPORT;
            kind = K_ICMP;
        }
        if (L->off[f] < 0)
            continue;
        w = ftc_field_width(f);
        if (version == 10 && (f == FTC_F_FIRST || f == FTC_F_LAST)) {
            w = 8;    /* dateTimeMilliseconds */
            kind = K_MS;
        }
        t->kind[t->n] = (uint8_t)kind;
        t->field[t->n] = (uint8_t)f;
        t->ie[t->n] = version == 9 ? e->v9 : e->ipfix;
        t->width[t->n] = (uint8_t)w;
        t->off[t->n] = L->off[f];
        t->rec_len += (unsigned)w;
        t->n++;
    }
    t->tpl_len = SET_HDR + TPL_HDR + 4u * (unsigned)t->n;
    t->hdr = version == 9 ? V9_HDR : IPFIX_HDR;
    return FTC_OK;
}

/* bytes of a data set of k records (v9: padded to 4 bytes) */
static unsigned set_len(int version, unsigned rec_len, unsigned k)
{
    unsigned len = SET_HDR + k * rec_len;
    return version == 9 ? (len + 3u) & ~3u : len;
}

/* most records a datagram takes, with or without the template */
static unsigned capacity(int version, const tpl_t *t, int with_tpl)
{
    unsigned room = FTC_PDU_MAX_LEN - t->hdr - (with_tpl ? t->tpl_len : 0u);
    unsigned k = (room - SET_HDR) / t->rec_len;
    while (k && set_len(version, t->rec_len, k) > room)
        k--;
    return k;
}

int ftc_ipxenc_limits(int version, int rt_in, unsigned *rec_len, unsigned *tpl_len,
                      unsigned *max_recs, unsigned *max_recs_tpl)
{
    tpl_t t;
    int r = template_of(version, rt_in, &t);
    if (r != FTC_OK)
        return r;
    if (rec_len)
        *rec_len = t.rec_len;
    if (tpl_len)
        *tpl_len = t.tpl_len;
    if (max_recs)
        *max_recs = capacity(version, &t, 0);
    if (max_recs_tpl)
        *max_recs_tpl = capacity(version, &t, 1);
    return FTC_OK;
}

/* is the caller-owned state sane (zeroed, or left by an earlier call)? */
static int state_ok(const ftc_ipxenc_t *st)
{
    if (st->version == 0)
        return st->pend_count == 0 && st->pend_len == 0;
    return (st->version == 9 || st->version == 10)
           && st->rt_in >= 0 && st->rt_in < FTC_RT_COUNT
           && st->pend_cap <= FTC_PDU_MAX_LEN && st->pend_count <= st->pend_cap
           && st->pend_len <= FTC_PDU_MAX_LEN && st->key_domain <= 0xFFFFu;
}

/* is the pending datagram (if any) one that start() and the records made? */
static int pend_ok(const ftc_ipxenc_t *st, const tpl_t *t)
{
    if (!st->pend_len)
        return st->pend_count == 0;
    return st->pend_tpl <= 1 && st->pend_cap == capacity(st->version, t, st->pend_tpl)
           && st->pend_count <= st->pend_cap
           && st->pend_len == t->hdr + (st->pend_tpl ? t->tpl_len : 0u) + SET_HDR
                              + st->pend_count * t->rec_len;
}

/* does domain d's next datagram, of time secs, carry the template? */
static int needs_template(const ftc_ipxenc_t *st, uint32_t d, uint32_t secs)
{
    uint32_t pdus = st->refresh_pdus ? st->refresh_pdus : FTC_IPXENC_REFRESH_PDUS;
    uint32_t secs_max = st->refresh_secs ? st->refresh_secs : FTC_IPXENC_REFRESH_SECS;
    return !st->tpl_sent[d] || st->since_tpl[d] >= pdus || secs < st->tpl_secs[d]
           || secs - st->tpl_secs[d] >= secs_max;
}

/* start the pending datagram: header room, template set, data set header */
static void start(ftc_ipxenc_t *st, const tpl_t *t, uint32_t d, uint32_t secs,
                  uint32_t uptime)
{
    uint8_t *p = st->pend + t->hdr;
    int k;
    st->key_domain = d;
    st->key_secs = secs;
    st->key_uptime = uptime;
    st->pend_tpl = (uint8_t)needs_template(st, d, secs);
    st->pend_cap = capacity(st->version, t, st->pend_tpl);
    st->pend_count = 0;
    if (st->pend_tpl) {
        ftc_stbe16(p, (uint16_t)(st->version == 9 ? 0 : 2));
        ftc_stbe16(p + 2, (uint16_t)t->tpl_len);
        ftc_stbe16(p + 4, FTC_IPXENC_TEMPLATE_ID);
        ftc_stbe16(p + 6, (uint16_t)t->n);
        for (k = 0; k < t->n; k++) {
            ftc_stbe16(p + 8 + 4 * k, t->ie[k]);
            ftc_stbe16(p + 10 + 4 * k, t->width[k]);
        }
        p += t->tpl_len;
    }
    ftc_stbe16(p, FTC_IPXENC_TEMPLATE_ID);   /* data set; length at emit */
    st->pend_len = (uint32_t)(p + SET_HDR - st->pend);
}

/* finish the pending datagram's headers and move it to out */
static int emit(ftc_ipxenc_t *st, const tpl_t *t, uint8_t *out, size_t out_size,
                uint32_t *lens, size_t lens_cap, size_t *n_pdus, size_t *out_len)
{
    uint8_t *p = st->pend;
    const uint32_t d = st->key_domain;
    unsigned data_off = t->hdr + (st->pend_tpl ? t->tpl_len : 0u);
    unsigned slen = set_len(st->version, t->rec_len, st->pend_count);
    size_t len = (size_t)data_off + slen;

    if (*n_pdus >= lens_cap || len > out_size - *out_len)
        return FTC_EFULL;
    memset(p + st->pend_len, 0, len - st->pend_len);    /* v9 padding */
    ftc_stbe16(p + data_off + 2, (uint16_t)slen);
    ftc_stbe16(p, (uint16_t)st->version);
    if (st->version == 9) {
        ftc_stbe16(p + 2, (uint16_t)(st->pend_count + st->pend_tpl));
        ftc_stbe32(p + 4, st->key_uptime);
        ftc_stbe32(p + 8, st->key_secs);
        ftc_stbe32(p + 12, st->seq_next[d]);
        ftc_stbe32(p + 16, d);
        st->seq_next[d]++;
    } else {
        ftc_stbe16(p + 2, (uint16_t)len);
        ftc_stbe32(p + 4, st->key_secs);
        ftc_stbe32(p + 8, st->seq_next[d]);
        ftc_stbe32(p + 12, d);
        st->seq_next[d] += st->pend_count;
    }
    if (st->pend_tpl) {
        st->tpl_sent[d] = 1;
        st->tpl_secs[d] = st->key_secs;
        st->since_tpl[d] = 1;
        st->templates++;
    } else {
        st->since_tpl[d]++;
    }
    memcpy(out + *out_len, p, len);
    lens[(*n_pdus)++] = (uint32_t)len;
    *out_len += len;
    st->last_full = (uint8_t)(st->pend_count >= st->pend_cap);
    st->datagrams++;
    st->records += st->pend_count;
    st->pend_count = 0;
    st->pend_len = 0;
    return FTC_OK;
}

/* one record's data fields at w */
static void put_record(const tpl_t *t, const ftc_layout_t *L, const uint8_t *rec,
                       uint8_t *w)
{
    int k;
    for (k = 0; k < t->n; k++) {
        if (t->kind[k] == K_MS) {
            uint64_t ms = ftc_flow_ms(L, rec, t->field[k]);
            ftc_stbe32(w, (uint32_t)(ms >> 32));
            ftc_stbe32(w + 4, (uint32_t)ms);
            w += 8;
            continue;
        }
        if (t->kind[k] == K_ICMP) {
            ftc_stbe16(w, rec[t->prot] == 1 ? ftc_ld16(rec + t->off[k]) : 0);
            w += 2;
            continue;
        }
        switch (t->width[k]) {
        case 4: ftc_stbe32(w, ftc_ld32(rec + t->off[k])); w += 4; break;
        case 2: ftc_stbe16(w, ftc_ld16(rec + t->off[k])); w += 2; break;
        default: *w++ = rec[t->off[k]]; break;
        }
    }
}

static int begin(ftc_ipxenc_t *st, int version, int rt_in, tpl_t *t)
{
    int r;
    if (!state_ok(st))
        return FTC_EINVAL;   /* state not zeroed */
    r = template_of(version, rt_in, t);
    if (r != FTC_OK)
        return r;
    if (st->version == 0) {
        st->version = version;
        st->rt_in = rt_in;
    } else if (st->version != version || st->rt_in != rt_in) {
        return FTC_EINVAL;   /* one template per state */
    }
    return pend_ok(st, t) ? FTC_OK : FTC_EINVAL;
}

int ftc_ipxenc_encode(ftc_ipxenc_t *st, int version, int rt_in, const uint8_t *recs,
                      size_t n, uint8_t *out, size_t out_size,
                      uint32_t *lens, size_t lens_cap,
                      size_t *consumed, size_t *n_pdus, size_t *out_len)
{
    const ftc_layout_t *L;
    tpl_t t;
    size_t i;
    int r;

    if (!st || !consumed || !n_pdus || !out_len || (n && !recs)
        || (!out && out_size) || (!lens && lens_cap))
        return FTC_EINVAL;
    *consumed = *n_pdus = *out_len = 0;
    r = begin(st, version, rt_in, &t);
    if (r != FTC_OK)
        return r;
    L = ftc_layout_get(rt_in);
    if (n > SIZE_MAX / L->rec_size)
        return FTC_EINVAL;

    for (i = 0; i < n; i++) {
        const uint8_t *rec = recs + i * L->rec_size;
        const uint32_t secs = ftc_get(L, rec, FTC_F_UNIX_SECS);
        const uint32_t d = ftc_get(L, rec, FTC_F_ENGINE_TYPE) << 8
                           | ftc_get(L, rec, FTC_F_ENGINE_ID);
        /* v9: no nanoseconds in the header; its uptime takes their ms */
        const uint32_t uptime = version == 9
            ? ftc_get(L, rec, FTC_F_SYSUPTIME) - ftc_get(L, rec, FTC_F_UNIX_NSECS) / 1000000u
            : 0;

        if (st->pend_len
            && (st->pend_count >= st->pend_cap || st->key_domain != d
                || st->key_secs != secs || st->key_uptime != uptime)) {
            if (emit(st, &t, out, out_size, lens, lens_cap, n_pdus, out_len) != FTC_OK) {
                *consumed = i;
                return FTC_EFULL;
            }
        }
        if (!st->pend_len)
            start(st, &t, d, secs, uptime);
        put_record(&t, L, rec, st->pend + st->pend_len);
        st->pend_len += t.rec_len;
        st->pend_count++;
        /* send a full datagram at once; if there is no room it waits */
        if (st->pend_count >= st->pend_cap
            && emit(st, &t, out, out_size, lens, lens_cap, n_pdus, out_len) != FTC_OK) {
            *consumed = i + 1;
            return i + 1 == n ? FTC_OK : FTC_EFULL;
        }
    }
    *consumed = n;
    return FTC_OK;
}

int ftc_ipxenc_flush(ftc_ipxenc_t *st, uint8_t *out, size_t out_size,
                     uint32_t *lens, size_t lens_cap, size_t *n_pdus, size_t *out_len)
{
    tpl_t t;
    if (!st || !n_pdus || !out_len || (!out && out_size) || (!lens && lens_cap))
        return FTC_EINVAL;
    *n_pdus = *out_len = 0;
    if (!state_ok(st))
        return FTC_EINVAL;
    if (!st->pend_len)
        return FTC_OK;
    if (template_of(st->version, st->rt_in, &t) != FTC_OK || !pend_ok(st, &t))
        return FTC_EINVAL;
    return emit(st, &t, out, out_size, lens, lens_cap, n_pdus, out_len);
}
