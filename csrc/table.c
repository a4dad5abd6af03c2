/* table.c -- the entry points of THE hash table (ftc_table.h): layout,
 * the one rehash, lookup and iteration for Python. */
#include <string.h>

#include "ftcore.h"
#include "ftc_table.h"

_Static_assert(sizeof(ftc_seq_slot_t) == 64, "ftc_seq_slot_t is one 64-byte slot");
_Static_assert(offsetof(ftc_seq_slot_t, exporter_ip) == offsetof(ftc_seq_slot_t, tag) + 4,
               "the sequence key follows the tag");
_Static_assert(offsetof(ftc_agg_slot_t, first) == FTC_AGG_VAL_LEN, "FTC_TAB_AGG part");
_Static_assert(offsetof(ftc_agg_slot_t, frecs) == FTC_AGGT_VAL_LEN, "FTC_TAB_AGGT part");
_Static_assert(sizeof(ftc_agg_slot_t) == 128, "FTC_TAB_AGGR counters are 128 bytes");
_Static_assert(offsetof(ftc_pr_slot_t, tag) == 16, "portrank counters are 16 bytes");

int64_t ftc_tab_stride(int kind, uint32_t key_len)
{
    if (!ftc_tab_kind_ok(kind) || key_len < 1 || key_len > FTC_KEY_MAX)
        return FTC_EINVAL;
    if (kind == FTC_TAB_SEQ && key_len != FTC_SEQ_KEY_LEN)
        return FTC_EINVAL;
    return ftc_tab_stride_of(ftc_tab_val_len(kind), key_len);
}

int ftc_tab_init(ftc_tab_t *t, int kind, uint32_t key_len, uint32_t cap, uint8_t *mem,
                 size_t size)
{
    int64_t stride = ftc_tab_stride(kind, key_len);
    if (!t || !mem || stride < 0)
        return FTC_EINVAL;
    memset(t, 0, sizeof *t);
    t->slot = mem;
    t->size = size;
    t->cap = cap;
    t->kind = (uint32_t)kind;
    t->key_len = key_len;
    t->val_len = ftc_tab_val_len(kind);
    t->key_off = t->val_len + 4u;
    t->stride = (uint32_t)stride;
    return ftc_tab_ok(t, kind) ? FTC_OK : FTC_EINVAL;
}

/* THE rehash: every used slot of `from` moves, tag and all, into `to` */
int ftc_tab_rehash(const ftc_tab_t *from, ftc_tab_t *to)
{
    uint32_t i, mask;
    if (!ftc_tab_ok(from, 0) || !ftc_tab_ok(to, (int)from->kind) || to->used != 0
        || to->key_len != from->key_len || from->used > ftc_tab_max_used(to->cap))
        return FTC_EINVAL;
    mask = to->cap - 1;
    for (i = 0; i < from->cap; i++) {
        const uint8_t *s = ftc_tab_at(from, i);
        uint32_t tag = ftc_tab_tag_at(from, i), j, n;
        if (!tag)
            continue;
        if (to->used == from->used)
            return FTC_EINVAL;          /* more used slots than `used` says */
        j = tag & mask;
        for (n = 0; ftc_tab_tag_at(to, j) != 0; n++, j = (j + 1) & mask)
            if (n == to->cap)
                return FTC_EINVAL;
        memcpy(ftc_tab_at(to, j), s, from->stride);
        to->used++;
    }
    return FTC_OK;
}

int ftc_tab_find(const ftc_tab_t *t, const uint8_t *key, size_t len, uint32_t *index)
{
    uint32_t i;
    if (!ftc_tab_ok(t, 0) || !key || len != t->key_len || !index)
        return FTC_EINVAL;
    i = ftc_tab_lookup(t, key);
    if (i == FTC_TAB_NONE)
        return 0;
    *index = i;
    return 1;
}

int64_t ftc_tab_slots(const ftc_tab_t *t, uint32_t *pos, uint32_t *idx, size_t cap)
{
    uint32_t i;
    size_t m = 0;
    if (!ftc_tab_ok(t, 0) || !pos || (cap && !idx))
        return FTC_EINVAL;
    for (i = *pos; i < t->cap && m < cap; i++)
        if (ftc_tab_tag_at(t, i))
            idx[m++] = i;
    *pos = i < t->cap ? i : t->cap;
    return (int64_t)m;
}
