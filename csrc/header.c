/* header.c -- flow-tools stream headers: stream version 1 (read) and 3
 * (read and write), every TLV, both byte orders (formats.md section 2). */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

static uint16_t rd16(const uint8_t *p, int swap)
{
    uint16_t v = ftc_ld16(p);
    return swap ? ftc_bswap16(v) : v;
}

static uint32_t rd32(const uint8_t *p, int swap)
{
    uint32_t v = ftc_ld32(p);
    return swap ? ftc_bswap32(v) : v;
}

static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int check_version(ftc_header_t *h)
{
    int rt;
    if (h->d_version == 8) {
        if (h->agg_version != 2)
            return FTC_EAGGVER;
    }
    rt = ftc_rectype(h->d_version, h->agg_method);
    return rt < 0 ? rt : FTC_OK;
}

static int parse_v1(const uint8_t *b, size_t len, ftc_header_t *h, int swap, size_t *need)
{
    uint32_t flags_raw;
    if (len < FTC_HEADER_V1_LEN) {
        *need = FTC_HEADER_V1_LEN;
        return FTC_EAGAIN;
    }
    h->header_len = FTC_HEADER_V1_LEN;
    h->d_version = rd16(b + 4, swap);
    if (h->d_version == 0xFFFF)
        h->d_version = 1;
    h->cap_start = rd32(b + 8, swap);
    h->cap_end = rd32(b + 12, swap);
    /* the reference ORs the XLATE bit into the file-order value, then swaps */
    flags_raw = ftc_ld32(b + 16) | FTC_HF_XLATE;
    h->flags = swap ? ftc_bswap32(flags_raw) : flags_raw;
    h->rot_schedule = rd32(b + 20, swap);
    h->flows_count = rd32(b + 24, swap);
    h->flows_lost = rd32(b + 28, swap);
    h->flows_misordered = rd32(b + 32, swap);
    copy_str(h->cap_hostname, sizeof h->cap_hostname, b + 36, strnlen((const char *)b + 36, 68));
    copy_str(h->comments, sizeof h->comments, b + 104, strnlen((const char *)b + 104, 256));
    /* what the reference marks present for a stream-1 header (formats.md 2.7):
       capture times are loaded but not marked present */
    h->present = (1u << FTC_TLV_VENDOR) | (1u << FTC_TLV_EX_VER) |
                 (1u << FTC_TLV_AGG_VER) | (1u << FTC_TLV_HEADER_FLAGS) |
                 (1u << FTC_TLV_ROT_SCHEDULE) | (1u << FTC_TLV_FLOW_COUNT) |
                 (1u << FTC_TLV_FLOW_LOST) | (1u << FTC_TLV_FLOW_MISORDERED) |
                 (1u << FTC_TLV_CAP_HOSTNAME) | (1u << FTC_TLV_COMMENTS);
    if (h->d_version != 1 && h->d_version != 5)
        return FTC_EDVERSION;
    return FTC_OK;
}

static int parse_v3(const uint8_t *b, size_t len, ftc_header_t *h, int swap, size_t *need)
{
    size_t pos, end;
    if (len < 8) {
        *need = 8;
        return FTC_EAGAIN;
    }
    h->header_len = rd32(b + 4, swap);
    if (h->header_len < 8 || h->header_len > FTC_HEADER_MAX)
        return FTC_EHDRLEN;
    if (len < h->header_len) {
        *need = h->header_len;
        return FTC_EAGAIN;
    }
    end = h->header_len;
    pos = 8;
    while (end - pos >= 4) {
        uint16_t t = rd16(b + pos, swap);
        uint16_t l = rd16(b + pos + 2, swap);
        const uint8_t *v = b + pos + 4;
        if ((size_t)l > end - pos - 4)
            break;
        pos += 4u + l;
        if (t > FTC_TLV_INTERRUPT || t == FTC_TLV_NULL)
            continue;
        switch (t) {
        case FTC_TLV_VENDOR:
        case FTC_TLV_AGG_VER:
        case FTC_TLV_AGG_METHOD:
        case FTC_TLV_INTERRUPT:
            if (l < 1)
                continue;
            if (t == FTC_TLV_VENDOR) h->vendor = v[0];
            else if (t == FTC_TLV_AGG_VER) h->agg_version = v[0];
            else if (t == FTC_TLV_AGG_METHOD) h->agg_method = v[0];
            else h->interrupt = v[0];
            break;
        case FTC_TLV_EX_VER:
            if (l < 2)
                continue;
            h->d_version = rd16(v, swap);
            break;
        case FTC_TLV_CAP_HOSTNAME:
            copy_str(h->cap_hostname, sizeof h->cap_hostname, v, strnlen((const char *)v, l));
            break;
        case FTC_TLV_COMMENTS:
            copy_str(h->comments, sizeof h->comments, v, strnlen((const char *)v, l));
            break;
        case FTC_TLV_IF_NAME:
        case FTC_TLV_IF_ALIAS:
            if (h->n_ifmap < FTC_IFMAP_MAX) {
                h->ifmap_type[h->n_ifmap] = t;
                h->ifmap_off[h->n_ifmap] = (uint16_t)(v - b);
                h->ifmap_len[h->n_ifmap] = l;
                h->n_ifmap++;
            }
            break;
        default: {
            uint32_t x;
            if (l < 4)
                continue;
            x = rd32(v, swap);
            switch (t) {
            case FTC_TLV_EXPORTER_IP: h->exporter_ip = x; break;
            case FTC_TLV_CAP_START: h->cap_start = x; break;
            case FTC_TLV_CAP_END: h->cap_end = x; break;
            case FTC_TLV_HEADER_FLAGS: h->flags = x; break;
            case FTC_TLV_ROT_SCHEDULE: h->rot_schedule = x; break;
            case FTC_TLV_FLOW_COUNT: h->flows_count = x; break;
            case FTC_TLV_FLOW_LOST: h->flows_lost = x; break;
            case FTC_TLV_FLOW_MISORDERED: h->flows_misordered = x; break;
            case FTC_TLV_PKT_CORRUPT: h->pkts_corrupt = x; break;
            case FTC_TLV_SEQ_RESET: h->seq_reset = x; break;
            default: break;
            }
        }
        }
        h->present |= 1u << t;
    }
    return FTC_OK;
}

int ftc_header_parse(const uint8_t *buf, size_t len, ftc_header_t *h, size_t *need)
{
    int host_order, swap, st;
    if (!h || !need || (!buf && len))
        return FTC_EINVAL;
    *need = 0;
    if (len < 4) {
        *need = 4;
        return FTC_EAGAIN;
    }
    if (buf[0] != 0xCF || buf[1] != 0x10)
        return FTC_EBADMAGIC;
    memset(h, 0, sizeof *h);
    host_order = ftc_is_little() ? FTC_LITTLE_ENDIAN : FTC_BIG_ENDIAN;
    h->byte_order_raw = buf[2];
    h->byte_order = (buf[2] == FTC_LITTLE_ENDIAN || buf[2] == FTC_BIG_ENDIAN)
                        ? buf[2] : (uint8_t)host_order;
    swap = h->byte_order != host_order;
    h->s_version = buf[3];
    if (h->s_version == 1)
        st = parse_v1(buf, len, h, swap, need);
    else if (h->s_version == 3)
        st = parse_v3(buf, len, h, swap, need);
    else
        return FTC_ESVERSION;
    if (st != FTC_OK)
        return st;
    return check_version(h);
}

/* ---- encoder ---- */

typedef struct {
    uint8_t *out;
    size_t cap, pos;
    int swap;
    int err;
} wbuf_t;

static void put_tl(wbuf_t *w, uint16_t t, uint16_t l)
{
    if (w->pos + 4 > w->cap) { w->err = 1; return; }
    ftc_st16(w->out + w->pos, w->swap ? ftc_bswap16(t) : t);
    ftc_st16(w->out + w->pos + 2, w->swap ? ftc_bswap16(l) : l);
    w->pos += 4;
}

static void put_u8(wbuf_t *w, uint16_t t, uint8_t v)
{
    put_tl(w, t, 1);
    if (w->err || w->pos + 1 > w->cap) { w->err = 1; return; }
    w->out[w->pos++] = v;
}

static void put_u16(wbuf_t *w, uint16_t t, uint16_t v)
{
    put_tl(w, t, 2);
    if (w->err || w->pos + 2 > w->cap) { w->err = 1; return; }
    ftc_st16(w->out + w->pos, w->swap ? ftc_bswap16(v) : v);
    w->pos += 2;
}

static void put_u32(wbuf_t *w, uint16_t t, uint32_t v)
{
    put_tl(w, t, 4);
    if (w->err || w->pos + 4 > w->cap) { w->err = 1; return; }
    ftc_st32(w->out + w->pos, w->swap ? ftc_bswap32(v) : v);
    w->pos += 4;
}

static void put_str(wbuf_t *w, uint16_t t, const char *s)
{
    size_t n = strnlen(s, FTC_STR_MAX - 1) + 1;
    put_tl(w, t, (uint16_t)n);
    if (w->err || w->pos + n > w->cap) { w->err = 1; return; }
    memcpy(w->out + w->pos, s, n - 1);
    w->out[w->pos + n - 1] = 0;
    w->pos += n;
}

int ftc_header_encode(const ftc_header_t *h, int byte_order, uint8_t *out,
                      size_t cap, size_t *len)
{
    wbuf_t w;
    uint32_t p;
    size_t cap_lim;
    int host_order;
    if (!h || !out || !len)
        return FTC_EINVAL;
    if (byte_order != FTC_LITTLE_ENDIAN && byte_order != FTC_BIG_ENDIAN)
        return FTC_EINVAL;
    host_order = ftc_is_little() ? FTC_LITTLE_ENDIAN : FTC_BIG_ENDIAN;
    cap_lim = cap < FTC_HEADER_MAX ? cap : FTC_HEADER_MAX;
    w.out = out;
    w.cap = cap_lim;
    w.pos = 8;
    w.swap = byte_order != host_order;
    w.err = 0;
    if (cap_lim < 8)
        return FTC_EFULL;
    p = h->present;
    if (p & (1u << FTC_TLV_VENDOR)) put_u8(&w, FTC_TLV_VENDOR, h->vendor);
    if (p & (1u << FTC_TLV_EX_VER)) put_u16(&w, FTC_TLV_EX_VER, h->d_version);
    if (p & (1u << FTC_TLV_AGG_VER)) put_u8(&w, FTC_TLV_AGG_VER, h->agg_version);
    if (p & (1u << FTC_TLV_AGG_METHOD)) put_u8(&w, FTC_TLV_AGG_METHOD, h->agg_method);
    if (p & (1u << FTC_TLV_EXPORTER_IP)) put_u32(&w, FTC_TLV_EXPORTER_IP, h->exporter_ip);
    if (p & (1u << FTC_TLV_CAP_START)) put_u32(&w, FTC_TLV_CAP_START, h->cap_start);
    if (p & (1u << FTC_TLV_CAP_END)) put_u32(&w, FTC_TLV_CAP_END, h->cap_end);
    if (p & (1u << FTC_TLV_HEADER_FLAGS)) put_u32(&w, FTC_TLV_HEADER_FLAGS, h->flags);
    if (p & (1u << FTC_TLV_ROT_SCHEDULE)) put_u32(&w, FTC_TLV_ROT_SCHEDULE, h->rot_schedule);
    if (p & (1u << FTC_TLV_FLOW_COUNT)) put_u32(&w, FTC_TLV_FLOW_COUNT, h->flows_count);
    if (p & (1u << FTC_TLV_FLOW_LOST)) put_u32(&w, FTC_TLV_FLOW_LOST, h->flows_lost);
    if (p & (1u << FTC_TLV_FLOW_MISORDERED)) put_u32(&w, FTC_TLV_FLOW_MISORDERED, h->flows_misordered);
    if (p & (1u << FTC_TLV_PKT_CORRUPT)) put_u32(&w, FTC_TLV_PKT_CORRUPT, h->pkts_corrupt);
    if (p & (1u << FTC_TLV_SEQ_RESET)) put_u32(&w, FTC_TLV_SEQ_RESET, h->seq_reset);
    if (p & (1u << FTC_TLV_CAP_HOSTNAME)) put_str(&w, FTC_TLV_CAP_HOSTNAME, h->cap_hostname);
    if (p & (1u << FTC_TLV_COMMENTS)) put_str(&w, FTC_TLV_COMMENTS, h->comments);
    if (p & (1u << FTC_TLV_INTERRUPT)) put_u8(&w, FTC_TLV_INTERRUPT, h->interrupt);
    if (w.err)
        return cap < FTC_HEADER_MAX ? FTC_EFULL : FTC_EHDRBIG;
    while (w.pos % 4) {
        if (w.pos >= w.cap)
            return cap < FTC_HEADER_MAX ? FTC_EFULL : FTC_EHDRBIG;
        w.out[w.pos++] = 0;
    }
    out[0] = 0xCF;
    out[1] = 0x10;
    out[2] = (uint8_t)byte_order;
    out[3] = 3;
    ftc_st32(out + 4, w.swap ? ftc_bswap32((uint32_t)w.pos) : (uint32_t)w.pos);
    *len = w.pos;
    return FTC_OK;
}
