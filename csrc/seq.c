/* seq.c -- flow-capture's sequence accounting (formats.md 6.6) on THE hash
 * table (ftc_table.h): one exporter slot per (source IP, local IP,
 * version) with the per-exporter counters, one engine slot per (exporter
 * key, engine) with the next flow_sequence expected. */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"
#include "ftc_table.h"

static int seq_ok(const ftc_seq_table_t *t)
{
    return ftc_tab_ok(t, FTC_TAB_SEQ) && t->key_len == FTC_SEQ_KEY_LEN;
}

/* the key bytes, as they sit in a slot */
static void seq_key(uint8_t *k, uint32_t src, uint32_t dst, uint16_t version, uint16_t kind,
                    uint16_t engine)
{
    ftc_seq_slot_t s;
    memset(&s, 0, sizeof s);
    s.exporter_ip = src;
    s.local_ip = dst;
    s.version = version;
    s.kind = kind;
    s.engine = engine;
    memcpy(k, &s.exporter_ip, FTC_SEQ_KEY_LEN);
}

int ftc_seq_check(ftc_seq_table_t *t, uint32_t exporter_ip, uint32_t local_ip,
                  const ftc_pdu_hdr_t *h, uint32_t *expected, uint32_t *lost)
{
    uint8_t kx[FTC_SEQ_KEY_LEN], ke[FTC_SEQ_KEY_LEN];
    ftc_seq_slot_t *sx, *se;
    uint32_t missing = 0, exp, gap;
    int fresh, bad = 0, check, ret = 0;

    if (expected)
        *expected = 0;
    if (lost)
        *lost = 0;
    if (!seq_ok(t) || !h)
        return FTC_EINVAL;
    check = h->version != 1;   /* v1 has no flow_sequence */
    seq_key(kx, exporter_ip, local_ip, h->version, FTC_SEQ_EXPORTER, 0);
    seq_key(ke, exporter_ip, local_ip, h->version, FTC_SEQ_ENGINE,
            (uint16_t)(h->engine_id << 8 | h->engine_type));

    /* room for every slot this datagram creates, before touching anything */
    if (ftc_tab_lookup(t, kx) == FTC_TAB_NONE)
        missing++;
    if (check && ftc_tab_lookup(t, ke) == FTC_TAB_NONE)
        missing++;
    if (!ftc_tab_room(t, missing))
        return FTC_EFULL;

    sx = (ftc_seq_slot_t *)(void *)ftc_tab_get(t, kx, &fresh, &bad);
    if (!sx)
        return FTC_EINVAL;   /* room was checked: a corrupt table */
    if (fresh)
        ret |= FTC_SEQ_NEW;
    if (check) {
        se = (ftc_seq_slot_t *)(void *)ftc_tab_get(t, ke, &fresh, &bad);
        if (!se)
            return FTC_EINVAL;
        if (fresh) {
            se->expected = h->flow_sequence + h->count;
        } else if (h->flow_sequence == se->expected) {
            se->expected += h->count;
        } else {
            exp = se->expected;
            /* the reference's arithmetic: a backwards jump gives a huge
               number, and the wrap case comes out one short */
            if (h->flow_sequence > exp)
                gap = h->flow_sequence - exp;
            else
                gap = (0xFFFFFFFFu - exp) + h->flow_sequence;
            se->expected = h->flow_sequence + h->count;
            if (expected)
                *expected = exp;
            if (lost)
                *lost = gap;
            if (gap < FTC_SEQ_RESET_GAP) {
                sx->lost += gap;
                ret |= FTC_SEQ_LOST;
            } else {
                sx->resets++;
                ret |= FTC_SEQ_RESET;
            }
        }
    }
    sx->pkts++;
    sx->flows += h->count;
    return ret;
}

int ftc_seq_find(const ftc_seq_table_t *t, uint32_t exporter_ip, uint32_t local_ip,
                 uint16_t version, uint32_t *index)
{
    uint8_t k[FTC_SEQ_KEY_LEN];
    if (!seq_ok(t) || !index)
        return FTC_EINVAL;
    seq_key(k, exporter_ip, local_ip, version, FTC_SEQ_EXPORTER, 0);
    return ftc_tab_find(t, k, sizeof k, index);
}

int ftc_seq_add(ftc_seq_table_t *t, uint32_t exporter_ip, uint32_t local_ip,
                uint16_t version, uint32_t flows, uint32_t lost, uint32_t resets)
{
    uint8_t kx[FTC_SEQ_KEY_LEN];
    ftc_seq_slot_t *sx;
    int fresh, bad = 0;

    if (!seq_ok(t))
        return FTC_EINVAL;
    seq_key(kx, exporter_ip, local_ip, version, FTC_SEQ_EXPORTER, 0);
    if (ftc_tab_lookup(t, kx) == FTC_TAB_NONE && !ftc_tab_room(t, 1))
        return FTC_EFULL;
    sx = (ftc_seq_slot_t *)(void *)ftc_tab_get(t, kx, &fresh, &bad);
    if (!sx)
        return FTC_EINVAL;
    sx->pkts++;
    sx->flows += flows;
    sx->lost += lost;
    sx->resets += resets;
    return fresh ? FTC_SEQ_NEW : 0;
}
