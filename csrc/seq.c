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
                  const ftc_pdu_hdr_t *h, uint32_t now, uint32_t *expected, uint32_t *lost)
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
    sx->last_seen = now;
    if (check) {
        se = (ftc_seq_slot_t *)(void *)ftc_tab_get(t, ke, &fresh, &bad);
        if (!se)
            return FTC_EINVAL;
        se->last_seen = now;
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
                uint16_t version, uint32_t flows, uint32_t lost, uint32_t resets,
                uint32_t now)
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
    sx->last_seen = now;
    return fresh ? FTC_SEQ_NEW : 0;
}

static uint32_t seen_at(const ftc_seq_table_t *t, uint32_t i)
{
    return ((const ftc_seq_slot_t *)(const void *)ftc_tab_at(t, i))->last_seen;
}

/* Remove the used slots for which drop() holds, in one pass, and while
   *ties is not 0 those heard from at tie_at (counted down).  A removal
   shifts later keys of its probe run back into slot i (ftc_tab_remove), so
   slot i is looked at again; a key that wraps round to the end was looked
   at already, and looking again changes nothing. */
typedef int (*seq_drop_fn)(uint32_t seen, uint32_t a, uint32_t b);

static uint32_t seq_sweep(ftc_seq_table_t *t, seq_drop_fn drop, uint32_t a, uint32_t b,
                          uint32_t *ties, uint32_t tie_at)
{
    uint32_t i = 0, gone = 0;
    while (i < t->cap) {
        uint32_t seen;
        int go;
        if (ftc_tab_tag_at(t, i) == 0) {
            i++;
            continue;
        }
        seen = seen_at(t, i);
        go = drop(seen, a, b);
        if (!go && ties && *ties && seen == tie_at) {
            (*ties)--;
            go = 1;
        }
        if (!go) {
            i++;
            continue;
        }
        ftc_tab_remove(t, i);   /* used drops: the loop ends */
        gone++;
    }
    return gone;
}

/* silent for b seconds or more at time a */
static int drop_idle(uint32_t seen, uint32_t a, uint32_t b)
{
    return seen <= a && a - seen >= b;
}

/* heard from before time a */
static int drop_before(uint32_t seen, uint32_t a, uint32_t b)
{
    (void)b;
    return seen < a;
}

/* The cut-off of the eviction: the time T such that fewer than n used
   slots were heard from before T and at least n at or before it (a radix
   select over last_seen, a byte a pass); *before = slots before T. */
static uint32_t seq_cutoff(const ftc_seq_table_t *t, uint32_t n, uint32_t *before)
{
    uint32_t prefix = 0, below = 0, i;
    int shift;
    for (shift = 24; shift >= 0; shift -= 8) {
        uint32_t hist[256], b, acc = below;
        uint32_t hi_mask = shift == 24 ? 0 : ~0u << (shift + 8);
        memset(hist, 0, sizeof hist);
        for (i = 0; i < t->cap; i++) {
            uint32_t seen;
            if (ftc_tab_tag_at(t, i) == 0)
                continue;
            seen = seen_at(t, i);
            if ((seen & hi_mask) == prefix)
                hist[(seen >> shift) & 0xFFu]++;
        }
        for (b = 0; b < 255 && acc + hist[b] < n; b++)
            acc += hist[b];
        below = acc;
        prefix |= b << shift;
    }
    *before = below;
    return prefix;
}

int64_t ftc_seq_expire(ftc_seq_table_t *t, uint32_t now, uint32_t idle_secs, uint32_t keep,
                       uint32_t *expired)
{
    uint32_t gone = 0, n, before, cut, ties;
    if (expired)
        *expired = 0;
    if (!seq_ok(t))
        return FTC_EINVAL;
    if (idle_secs)
        gone = seq_sweep(t, drop_idle, now, idle_secs, NULL, 0);
    if (expired)
        *expired = gone;
    if (t->used <= keep)
        return gone;
    n = t->used - keep;
    cut = seq_cutoff(t, n, &before);
    ties = n - before;
    return gone + seq_sweep(t, drop_before, cut, 0, &ties, cut);
}
