/* rx_common.h -- what fuzz_pdu.c and fuzz_relay.c share for the receive
 * path with v9/IPFIX: a small template state (ipfix.c), a sequence table
 * that grows as pyflowtools.core.seq's does (ftc_tab_rehash into a table
 * twice the size), and the record count the state says it stored.  Never
 * compiled into the extension. */
#ifndef RX_COMMON_H
#define RX_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#ifndef CHECK
#define CHECK(c) do { if (!(c)) abort(); } while (0)
#endif

/* small caps: sources, templates and the pending area run out quickly */
static const ftc_ipx_limits_t rx_tiny_lim = {3, 6, 4, 24, 1024, 640, 60};
static const ftc_ipx_limits_t rx_small_lim = {16, 48, 16, 64, 8192, 4096, 120};

static void *rx_ipx_new(const ftc_ipx_limits_t *lim)
{
    size_t size = ftc_ipx_size(lim);
    void *mem;
    CHECK(size > 0);
    mem = calloc(1, size);
    CHECK(mem != NULL);
    CHECK(ftc_ipx_init(mem, size, lim) == FTC_OK);
    return mem;
}

/* flow records the state says it stored, over all its sources */
static uint64_t rx_ipx_records(const void *ipx)
{
    uint32_t n, i;
    uint64_t total = 0;
    ftc_ipx_source_t s;
    if (!ipx)
        return 0;
    CHECK(ftc_ipx_sources(ipx, &n) == FTC_OK);
    for (i = 0; i < n; i++) {
        CHECK(ftc_ipx_source_get(ipx, i, &s) == FTC_OK);
        total += s.records;
    }
    return total;
}

/* the harnesses' clock starts here; the sources' record counts add up to
   every record stored only while no source can have been replaced (one
   silent FTC_IPX_IDLE_SECS evicted for a new one forgets its counts) */
#define RX_NOW0 1700000000u
static int rx_no_eviction(uint32_t now)
{
    return now - RX_NOW0 < FTC_IPX_IDLE_SECS;
}

/* a sequence table of FTC_TAB_MIN_CAP slots, grown on FTC_PDU_FULL_TABLE
   up to RX_SEQ_LIMIT keys (as core/seq.py does up to its cap), then the
   oldest evicted (ftc_seq_expire) */
#define RX_SEQ_MAX 1024
#define RX_SEQ_LIMIT 40
typedef struct {
    ftc_seq_table_t t;
    ftc_seq_slot_t mem[2][RX_SEQ_MAX];
    int cur;
} rx_seq_t;

static void rx_seq_init(rx_seq_t *s)
{
    memset(s->mem[0], 0, sizeof s->mem[0]);
    s->cur = 0;
    CHECK(ftc_tab_init(&s->t, FTC_TAB_SEQ, FTC_SEQ_KEY_LEN, FTC_TAB_MIN_CAP,
                       (uint8_t *)s->mem[0], sizeof s->mem[0]) == FTC_OK);
    s->t.limit = RX_SEQ_LIMIT;
}

/* every used slot is found by its key (the removals kept the probe runs),
   and `used` counts them */
static void rx_seq_sound(const ftc_seq_table_t *t)
{
    uint32_t i, idx, n = 0;
    for (i = 0; i < t->cap; i++) {
        const uint8_t *sl = t->slot + (size_t)i * t->stride;
        uint32_t tag;
        memcpy(&tag, sl + t->val_len, 4);
        if (!tag)
            continue;
        n++;
        CHECK(ftc_tab_find(t, sl + t->key_off, t->key_len, &idx) == 1 && idx == i);
    }
    CHECK(n == t->used);
}

/* the collectors' expiry pass: slots silent `idle` seconds go, then the
   oldest until `keep` remain */
static void rx_seq_expire(rx_seq_t *s, uint32_t now, uint32_t idle, uint32_t keep)
{
    uint32_t before = s->t.used, expired = 0;
    int64_t gone = ftc_seq_expire(&s->t, now, idle, keep, &expired);
    CHECK(gone >= 0 && (uint64_t)gone == before - s->t.used && expired <= gone);
    CHECK(s->t.used <= keep || (uint64_t)gone == expired);
    CHECK(s->t.used <= keep || before - expired <= keep);
    rx_seq_sound(&s->t);
    s->t.full = 0;
}

static void rx_seq_grow(rx_seq_t *s)
{
    ftc_seq_table_t to;
    int nxt = !s->cur;
    CHECK(s->t.full == 1);   /* the kernel said so */
    if (s->t.used + 2 > s->t.limit) {
        rx_seq_expire(s, 0, 0, s->t.limit - 8);   /* at the cap: evict */
        return;
    }
    CHECK(s->t.cap * 2 <= RX_SEQ_MAX);
    memset(s->mem[nxt], 0, sizeof s->mem[nxt]);
    CHECK(ftc_tab_init(&to, FTC_TAB_SEQ, FTC_SEQ_KEY_LEN, s->t.cap * 2,
                       (uint8_t *)s->mem[nxt], sizeof s->mem[nxt]) == FTC_OK);
    CHECK(ftc_tab_rehash(&s->t, &to) == FTC_OK);
    CHECK(to.used == s->t.used && to.full == 0);
    to.limit = s->t.limit;
    s->t = to;
    s->cur = nxt;
}

static int rx_is_ipx(const uint8_t *p, size_t len)
{
    return len >= 2 && p[0] == 0 && (p[1] == 9 || p[1] == 10);
}

#endif
