/* ftc_table.h -- THE open-addressing hash table and THE sort of the core.
 *
 * Every keyed table in csrc (aggregation, distinct pairs, portrank, the
 * exporter sequence table, v9/IPFIX sources and templates) is an ftc_tab_t
 * (ftcore.h): caller-owned, zeroed memory of cap slots of `stride` bytes,
 *
 *     [ value: val_len bytes | tag: uint32 | key: key_len bytes | 0 pad ]
 *
 * tag 0 marks a free slot; a used slot's tag is the key's hash with bit 31
 * set, and its low bits place the slot (so a rehash never hashes again).
 * Linear probing; at most 3/4 of the slots are used (FTC_EFULL before).
 * Private static-inline helpers: never part of the cffi cdef.
 *
 * The one sort is ftc_sort_idx (a stable bottom-up merge sort of slot or
 * row indexes) and, on top of it, ftc_rank_idx (keep, top-N select by a
 * heap when N is small, then sort).
 */
#ifndef FTC_TABLE_H
#define FTC_TABLE_H

#include <stdint.h>
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

#define FTC_TAB_NONE 0xFFFFFFFFu   /* probe: neither the key nor a free slot */

/* ---- the hash ---------------------------------------------------------- */

static inline uint64_t ftc_mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

/* a little-endian 64-bit word (the hash reads keys so on every host) */
static inline uint64_t ftc_ldle64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return ftc_is_little() ? v : __builtin_bswap64(v);
}

static inline void ftc_stle64(uint8_t *p, uint64_t v)
{
    if (!ftc_is_little())
        v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}

/* 64-bit hash of key bytes p[0..n), n >= 1: the key read as little-endian
   words, the last one zero-padded */
static inline uint64_t ftc_hash(const uint8_t *p, size_t n)
{
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull, v = 0;
    unsigned sh = 0;
    while (n > 8) {
        h = ftc_mix64(h ^ ftc_ldle64(p));
        p += 8;
        n -= 8;
    }
    if (n == 8)
        return ftc_mix64(h ^ ftc_ldle64(p));
    while (n--) {
        v |= (uint64_t)*p++ << sh;
        sh += 8;
    }
    return ftc_mix64(h ^ v);
}

/* the same hash of a key held as words (w: its bytes as little-endian
   words; bytes past n may hold anything) */
static inline uint64_t ftc_hash_words(const uint64_t *w, size_t n)
{
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
    while (n > 8) {
        h = ftc_mix64(h ^ *w++);
        n -= 8;
    }
    return ftc_mix64(h ^ (n == 8 ? *w : *w & ((1ull << (8 * n)) - 1u)));
}

/* the tag stored in a used slot: never 0, its low 31 bits are the hash's */
static inline uint32_t ftc_tag(uint64_t h)
{
    return (uint32_t)h | 0x80000000u;
}

/* ---- layout and validation --------------------------------------------- */

/* value bytes of each kind (before the tag); 0 for an unknown kind too */
static inline uint32_t ftc_tab_val_len(int kind)
{
    switch (kind) {
    case FTC_TAB_AGG: return FTC_AGG_VAL_LEN;
    case FTC_TAB_AGGT: return FTC_AGGT_VAL_LEN;
    case FTC_TAB_AGGR: return (uint32_t)sizeof(ftc_agg_slot_t);
    case FTC_TAB_SET: return 0;
    case FTC_TAB_PR:  return (uint32_t)offsetof(ftc_pr_slot_t, tag);
    case FTC_TAB_SEQ: return (uint32_t)offsetof(ftc_seq_slot_t, tag);
    case FTC_TAB_DSRC: return (uint32_t)offsetof(ftc_dscan_src_t, tag);
    case FTC_TAB_DDST: return (uint32_t)offsetof(ftc_dscan_dst_t, tag);
    case FTC_TAB_IPXS: return 4;   /* ipfix.c: uint32 source index */
    case FTC_TAB_IPXT: return 4;   /* ipfix.c: uint32 offset in the template pool */
    case FTC_TAB_TRWC: return (uint32_t)offsetof(ftc_trw_contact_t, tag);
    case FTC_TAB_TRWR: return (uint32_t)offsetof(ftc_trw_reply_t, tag);
    case FTC_TAB_TRWS: return (uint32_t)offsetof(ftc_trw_src_t, tag);
    default:          return 0;
    }
}

static inline int ftc_tab_kind_ok(int kind)
{
    return (kind >= FTC_TAB_AGG && kind <= FTC_TAB_AGGR)
        || kind == FTC_TAB_DSRC || kind == FTC_TAB_DDST
        || kind == FTC_TAB_IPXS || kind == FTC_TAB_IPXT
        || (kind >= FTC_TAB_TRWC && kind <= FTC_TAB_TRWS);
}

static inline uint32_t ftc_tab_stride_of(uint32_t val_len, uint32_t key_len)
{
    return (val_len + 4u + key_len + 7u) & ~7u;
}

/* the most slots a table of cap slots takes (3/4) */
static inline uint32_t ftc_tab_max_used(uint32_t cap)
{
    return cap - cap / 4u;
}

/* t is a consistent table of `kind` (0: any kind) */
static inline int ftc_tab_ok(const ftc_tab_t *t, int kind)
{
    uint32_t vl;
    if (!t || !t->slot || !ftc_tab_kind_ok((int)t->kind) || (kind && (int)t->kind != kind))
        return 0;
    vl = ftc_tab_val_len((int)t->kind);
    if (t->cap < FTC_TAB_MIN_CAP || t->cap > FTC_TAB_MAX_CAP || (t->cap & (t->cap - 1)))
        return 0;
    if (t->key_len < 1 || t->key_len > FTC_KEY_MAX || t->val_len != vl
        || t->key_off != vl + 4u || t->stride != ftc_tab_stride_of(vl, t->key_len))
        return 0;
    if (((uintptr_t)t->slot & 7u) != 0
        || t->size / t->stride < (uint64_t)t->cap
        || t->used > ftc_tab_max_used(t->cap))
        return 0;
    return 1;
}

static inline uint8_t *ftc_tab_at(const ftc_tab_t *t, uint32_t i)
{
    return t->slot + (size_t)i * t->stride;
}

static inline uint32_t ftc_tab_tag_at(const ftc_tab_t *t, uint32_t i)
{
    uint32_t v;
    memcpy(&v, ftc_tab_at(t, i) + t->val_len, 4);
    return v;
}

static inline int ftc_key_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    if (n == 4) {
        uint32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x == y;
    }
    if (n == 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x == y;
    }
    return memcmp(a, b, n) == 0;
}

/* ---- the probe loop ---------------------------------------------------- */

/* Index of the slot holding key (tag from its hash), or of the free slot
   where it would go; FTC_TAB_NONE when neither exists (a table that lies
   about its use).  One loop for every lookup and insertion. */
static inline uint32_t ftc_tab_probe(const ftc_tab_t *t, const uint8_t *key, uint32_t tag)
{
    uint32_t mask = t->cap - 1, i = tag & mask, n;
    for (n = 0; n < t->cap; n++, i = (i + 1) & mask) {
        const uint8_t *s = ftc_tab_at(t, i);
        uint32_t st;
        memcpy(&st, s + t->val_len, 4);
        if (st == 0 || (st == tag && ftc_key_eq(s + t->key_off, key, t->key_len)))
            return i;
    }
    return FTC_TAB_NONE;
}

/* Start fetching the home slot of a tag (its first line and its tag's):
   kernels hash a few records ahead so that their table misses overlap. */
static inline void ftc_tab_prefetch(const ftc_tab_t *t, uint32_t tag)
{
    const uint8_t *s = ftc_tab_at(t, tag & (t->cap - 1));
    __builtin_prefetch(s, 1);
    __builtin_prefetch(s + t->stride - 1, 1);
}

/* Start fetching every line of the home slot of a tag: for kernels that
   go on to touch the whole slot (a new value zeroed, a removal moving
   slots), where ftc_tab_prefetch fetches only the lines the probe reads. */
static inline void ftc_tab_prefetch_slot(const ftc_tab_t *t, uint32_t tag)
{
    const uint8_t *s = ftc_tab_at(t, tag & (t->cap - 1));
    uint32_t k;
    for (k = 0; k < t->stride; k += 64)
        __builtin_prefetch(s + k, 1);
    __builtin_prefetch(s + t->stride - 1, 1);
}

/* Claim free slot i for key: tag and key written, counted as used.  The
   caller checked the room (ftc_tab_room). */
static inline uint8_t *ftc_tab_claim(ftc_tab_t *t, uint32_t i, const uint8_t *key, uint32_t tag)
{
    uint8_t *s = ftc_tab_at(t, i);
    memcpy(s + t->val_len, &tag, 4);
    memcpy(s + t->key_off, key, t->key_len);
    t->used++;
    return s;
}

/* room for `extra` more keys (3/4 cap, or t->limit when lower)?  If not,
   mark the table full (for growth, or eviction at its limit). */
static inline int ftc_tab_room(ftc_tab_t *t, uint32_t extra)
{
    uint32_t most = ftc_tab_max_used(t->cap);
    if (t->limit && t->limit < most)
        most = t->limit;
    if ((uint64_t)t->used + extra <= most)
        return 1;
    t->full = 1;
    return 0;
}

/* Free used slot i (backward-shift deletion: the keys after it in its
   probe run move up, so lookups never need tombstones).  Slot pointers
   and indexes taken before are stale afterwards. */
static inline void ftc_tab_remove(ftc_tab_t *t, uint32_t i)
{
    uint32_t mask = t->cap - 1, j = i, n;
    for (n = 0; n < t->cap; n++) {
        uint32_t tag, home;
        j = (j + 1) & mask;
        tag = ftc_tab_tag_at(t, j);
        if (tag == 0)
            break;
        home = tag & mask;
        /* the key at j may fill the hole at i unless its home lies
           cyclically in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            memcpy(ftc_tab_at(t, i), ftc_tab_at(t, j), t->stride);
            i = j;
        }
    }
    memset(ftc_tab_at(t, i), 0, t->stride);
    t->used--;
}

/* Slot of key (existing or claimed); NULL when the table is full (marked
   for growth) or corrupt (*bad set).  *fresh says whether it was claimed. */
static inline uint8_t *ftc_tab_get_tagged(ftc_tab_t *t, const uint8_t *key, uint32_t tag,
                                          int *fresh, int *bad)
{
    uint32_t i = ftc_tab_probe(t, key, tag);
    if (i == FTC_TAB_NONE) {
        *bad = 1;
        return NULL;
    }
    if (ftc_tab_tag_at(t, i) != 0) {
        *fresh = 0;
        return ftc_tab_at(t, i);
    }
    if (!ftc_tab_room(t, 1))
        return NULL;
    *fresh = 1;
    return ftc_tab_claim(t, i, key, tag);
}

static inline uint8_t *ftc_tab_get(ftc_tab_t *t, const uint8_t *key, int *fresh, int *bad)
{
    return ftc_tab_get_tagged(t, key, ftc_tag(ftc_hash(key, t->key_len)), fresh, bad);
}

/* Slot index of key, or FTC_TAB_NONE */
static inline uint32_t ftc_tab_lookup(const ftc_tab_t *t, const uint8_t *key)
{
    uint32_t tag = ftc_tag(ftc_hash(key, t->key_len));
    uint32_t i = ftc_tab_probe(t, key, tag);
    if (i == FTC_TAB_NONE || ftc_tab_tag_at(t, i) == 0)
        return FTC_TAB_NONE;
    return i;
}

/* ---- keys built from record fields -------------------------------------- */

/* width in bytes of key field f (a record field or FTC_V_*), -1 for none */
static inline int ftc_key_width(int f)
{
    if (f >= FTC_V_SRCADDR6 && f < FTC_V_END)
        return 16;
    if (f >= FTC_V_BASE && f < FTC_V_END)
        return f == FTC_V_DSTTYPE ? 1 : 4;
    if (f < 0 || f >= FTC_F_COUNT)
        return -1;
    return ftc_field_width(f);
}

static inline int ftc_key_virtual(int f)
{
    return f >= FTC_V_BASE;
}

/* a 128-bit address key field (FTC_V_*ADDR6, FTC_V_*PREFIX6): its first
   word's field (the three upper words follow it, then `lo`, the last
   word) and its prefix length field (FTC_F_COUNT: none); 0 for others */
static inline int ftc_key_addr6(int f, int *hi, int *lo, int *len)
{
    switch (f) {
    case FTC_V_SRCADDR6: case FTC_V_SRCPREFIX6:
        *hi = FTC_F_SRCADDR6_0;
        *lo = FTC_F_SRCADDR;
        *len = f == FTC_V_SRCPREFIX6 ? FTC_F_SRC_MASK : FTC_F_COUNT;
        return 1;
    case FTC_V_DSTADDR6: case FTC_V_DSTPREFIX6:
        *hi = FTC_F_DSTADDR6_0;
        *lo = FTC_F_DSTADDR;
        *len = f == FTC_V_DSTPREFIX6 ? FTC_F_DST_MASK : FTC_F_COUNT;
        return 1;
    case FTC_V_NEXTHOP6:
        *hi = FTC_F_NEXTHOP6_0;
        *lo = FTC_F_NEXTHOP;
        *len = FTC_F_COUNT;
        return 1;
    default:
        return 0;
    }
}

/* the record fields virtual field f is computed from (FTC_F_COUNT ends) */
static inline void ftc_key_inputs(int f, int in[3])
{
    in[0] = in[1] = in[2] = FTC_F_COUNT;
    switch (f) {
    case FTC_V_PKTSIZE: in[0] = FTC_F_DOCTETS; in[1] = FTC_F_DPKTS; break;
    case FTC_V_BPS: in[0] = FTC_F_DOCTETS; in[1] = FTC_F_FIRST; in[2] = FTC_F_LAST; break;
    case FTC_V_PPS: in[0] = FTC_F_DPKTS; in[1] = FTC_F_FIRST; in[2] = FTC_F_LAST; break;
    case FTC_V_DURATION: in[0] = FTC_F_FIRST; in[1] = FTC_F_LAST; break;
    case FTC_V_DSTTYPE: in[0] = FTC_F_DSTADDR; break;
    case FTC_V_SRCPREFIX: in[0] = FTC_F_SRCADDR; in[1] = FTC_F_SRC_MASK; break;
    case FTC_V_DSTPREFIX: in[0] = FTC_F_DSTADDR; in[1] = FTC_F_DST_MASK; break;
    default: break;
    }
}

/* Record offsets of the spec's fields in layout L (FTC_EFIELD when the
   record type lacks one, or one a virtual field is computed from; a
   virtual field's offset is -1, a 128-bit address field's the offset of
   its first word); the spec itself is re-validated (it is the caller's
   memory). */
static inline int ftc_key_offsets(const ftc_key_spec_t *k, const ftc_layout_t *L, int *roff)
{
    uint32_t j, at = 0;
    if (!k || k->n < 1 || k->n > FTC_KEY_FIELDS || k->has_mask > 1)
        return FTC_EINVAL;
    for (j = 0; j < k->n; j++) {
        int f = k->field[j], w = ftc_key_width(f);
        if (w <= 0 || k->width[j] != (uint16_t)w || k->off[j] != at)
            return FTC_EINVAL;
        at += k->width[j];
        if (L) {
            int hi, lo, len;
            if (ftc_key_addr6(f, &hi, &lo, &len)) {
                int o = L->off[hi];
                if (o < 0 || L->off[hi + 1] != o + 4 || L->off[hi + 2] != o + 8
                    || L->off[lo] != o + 12 || (len < FTC_F_COUNT && L->off[len] < 0))
                    return FTC_EFIELD;
                roff[j] = o;
            } else if (ftc_key_virtual(f)) {
                int in[3], q;
                ftc_key_inputs(f, in);
                for (q = 0; q < 3; q++)
                    if (in[q] < FTC_F_COUNT && L->off[in[q]] < 0)
                        return FTC_EFIELD;
                roff[j] = -1;
            } else {
                if (L->off[f] < 0)
                    return FTC_EFIELD;
                roff[j] = L->off[f];
            }
        }
    }
    if (at != k->key_len || at > FTC_KEY_MAX)
        return FTC_EINVAL;
    return FTC_OK;
}

/* true when the spec has only record fields (128-bit addresses too),
   unmasked: the fast key builders below take it */
static inline int ftc_key_plain(const ftc_key_spec_t *k)
{
    uint32_t j;
    if (k->has_mask)
        return 0;
    for (j = 0; j < k->n && j < FTC_KEY_FIELDS; j++) {
        int f = k->field[j];
        if (ftc_key_virtual(f) && f != FTC_V_SRCADDR6 && f != FTC_V_DSTADDR6
            && f != FTC_V_NEXTHOP6)
            return 0;
    }
    return 1;
}

/* the key of record r as words (w zeroed; bytes from byte `at` on):
   each field big-endian at its offset, so that memcmp of the key bytes
   (ftc_key_store) orders keys as numbers, field by field.  Built in
   registers: hashing right after never waits on a store. */
static inline void ftc_key_words(const ftc_key_spec_t *k, const int *roff, const uint8_t *r,
                                 uint64_t *w, uint32_t at)
{
    uint32_t j, q;
    for (j = 0; j < k->n; j++) {
        /* a 128-bit address: its four words, each as a 4-byte field */
        uint32_t wd = k->width[j] == 16 ? 4u : k->width[j], parts = k->width[j] == 16 ? 4u : 1u;
        for (q = 0; q < parts; q++) {
            const uint8_t *p = r + roff[j] + 4u * q;
            uint32_t o = at + k->off[j] + 4u * q, sh = (o & 7u) * 8u;
            uint64_t y;     /* the field's big-endian bytes as a little-endian value */
            switch (wd) {
            case 4: y = ftc_bswap32(ftc_ld32(p)); break;
            case 2: y = ftc_bswap16(ftc_ld16(p)); break;
            default: y = p[0]; break;
            }
            w[o >> 3] |= y << sh;
            if (sh && sh + 8u * wd > 64u)
                w[(o >> 3) + 1] |= y >> (64u - sh);
        }
    }
}

/* ---- keys of at most 8 bytes, held in one word ---------------------------
 * Most keys (an address, an address and a port, two addresses) fit one
 * 64-bit word: the kernels then build, hash, compare and store them in a
 * register, with the same bytes and the same hash as the general path
 * (the word is the key's bytes read little-endian). */

/* the key of record r as one word, its nf (= k->n) fields from byte `at`
   on; at + k->key_len <= 8.  Callers that know nf pass it as a constant:
   the loop then unrolls. */
static inline uint64_t ftc_key_word(const ftc_key_spec_t *k, const int *roff, const uint8_t *r,
                                    uint32_t at, uint32_t nf)
{
    uint64_t v = 0;
    uint32_t j;
    for (j = 0; j < nf; j++) {
        const uint8_t *p = r + roff[j];
        uint64_t y;     /* the field's big-endian bytes as a little-endian value */
        switch (k->width[j]) {
        case 4: y = ftc_bswap32(ftc_ld32(p)); break;
        case 2: y = ftc_bswap16(ftc_ld16(p)); break;
        default: y = p[0]; break;
        }
        v |= y << (8u * (at + k->off[j]));
    }
    return v;
}

/* ftc_hash of a key of n <= 8 bytes held as a word */
static inline uint64_t ftc_hash_word(uint64_t v, uint32_t n)
{
    return ftc_mix64((uint64_t)n * 0x9e3779b97f4a7c15ull ^ v);
}

/* loads and stores of n <= 8 key bytes as a little-endian word: on a
   little-endian host constant-size accesses (no call), else byte by byte */
static inline uint64_t ftc_key_ld(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    uint32_t a;
    uint16_t b;
    if (!ftc_is_little()) {
        while (n--)
            v = v << 8 | p[n];
        return v;
    }
    switch (n) {
    case 8: memcpy(&v, p, 8); break;
    case 4: memcpy(&a, p, 4); v = a; break;
    case 6: memcpy(&a, p, 4); memcpy(&b, p + 4, 2); v = a | (uint64_t)b << 32; break;
    case 2: memcpy(&b, p, 2); v = b; break;
    default: memcpy(&v, p, n < 8 ? n : 8); break;
    }
    return v;
}

static inline void ftc_key_st(uint8_t *p, uint64_t v, uint32_t n)
{
    uint32_t i;
    if (!ftc_is_little()) {
        for (i = 0; i < n; i++, v >>= 8)
            p[i] = (uint8_t)v;
        return;
    }
    switch (n) {
    case 8: memcpy(p, &v, 8); break;
    case 4: memcpy(p, &v, 4); break;
    case 6: memcpy(p, &v, 6); break;
    case 2: memcpy(p, &v, 2); break;
    default: memcpy(p, &v, n < 8 ? n : 8); break;
    }
}

/* ftc_tab_probe for a key held as a word; klen is t->key_len (<= 8),
   passed apart so that a caller knowing it makes the compare constant */
static inline uint32_t ftc_tab_probe_word(const ftc_tab_t *t, uint64_t v, uint32_t tag,
                                          uint32_t klen)
{
    uint32_t mask = t->cap - 1, i = tag & mask, n;
    for (n = 0; n < t->cap; n++, i = (i + 1) & mask) {
        const uint8_t *s = ftc_tab_at(t, i);
        uint32_t st;
        memcpy(&st, s + t->val_len, 4);
        if (st == 0 || (st == tag && ftc_key_ld(s + t->key_off, klen) == v))
            return i;
    }
    return FTC_TAB_NONE;
}

/* ftc_tab_claim for a key held as a word (klen as above) */
static inline uint8_t *ftc_tab_claim_word(ftc_tab_t *t, uint32_t i, uint64_t v, uint32_t tag,
                                          uint32_t klen)
{
    uint8_t *s = ftc_tab_at(t, i);
    memcpy(s + t->val_len, &tag, 4);
    ftc_key_st(s + t->key_off, v, klen);
    t->used++;
    return s;
}

/* key bytes of n words */
static inline void ftc_key_store(uint8_t *out, const uint64_t *w, size_t words)
{
    size_t i;
    for (i = 0; i < words; i++)
        ftc_stle64(out + 8 * i, w[i]);
}

/* big-endian value of n (1..4) key bytes */
static inline uint32_t ftc_key_be(const uint8_t *p, uint32_t n)
{
    uint32_t v = 0;
    while (n--)
        v = v << 8 | *p++;
    return v;
}

/* ---- the sort ------------------------------------------------------------ */

/* true when item a must come before item b */
typedef int (*ftc_before_fn)(const void *ctx, uint32_t a, uint32_t b);
/* true when item i takes part */
typedef int (*ftc_keep_fn)(const void *ctx, uint32_t i);

/* Stable bottom-up merge sort (no recursion) of m indexes by `before`;
   scratch holds m entries. */
static inline void ftc_sort_idx(uint32_t *idx, uint32_t *scratch, size_t m,
                                ftc_before_fn before, const void *ctx)
{
    size_t width;
    for (width = 1; width < m; width *= 2) {
        size_t lo;
        for (lo = 0; lo < m; lo += 2 * width) {
            size_t mid = lo + width < m ? lo + width : m;
            size_t hi = lo + 2 * width < m ? lo + 2 * width : m;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                scratch[o++] = before(ctx, idx[b], idx[a]) ? idx[b++] : idx[a++];
            while (a < mid)
                scratch[o++] = idx[a++];
            while (b < hi)
                scratch[o++] = idx[b++];
        }
        memcpy(idx, scratch, m * sizeof *idx);
    }
}

/* Items 0..n-1 that `keep` accepts, best first by `before`, at most max
   of them, into idx (n_idx entries; scratch as many); `expect` is how many
   items are likely kept (a table's used count).  A small max among many
   items is selected with a heap whose root is the worst kept so far, then
   sorted.  Returns the count written, or -1 when idx is too small. */
static inline int64_t ftc_rank_idx(uint32_t n, size_t expect, ftc_keep_fn keep,
                                   ftc_before_fn before, const void *ctx, size_t max,
                                   uint32_t *idx, uint32_t *scratch, size_t n_idx)
{
    uint32_t i;
    size_t m = 0;
    if (max < expect / 8u) {
        size_t h = 0, c, p;
        if (max == 0)
            return 0;
        if (max > n_idx)
            return -1;
        for (i = 0; i < n; i++) {
            if (!keep(ctx, i))
                continue;
            if (h < max) {
                c = h++;
                while (c > 0) {                         /* sift up */
                    p = (c - 1) / 2;
                    if (!before(ctx, idx[p], i))
                        break;
                    idx[c] = idx[p];
                    c = p;
                }
                idx[c] = i;
            } else if (before(ctx, i, idx[0])) {
                c = 0;                                  /* replace root, sift down */
                for (;;) {
                    size_t l = 2 * c + 1, r = l + 1, w = c;
                    uint32_t wv = i;
                    if (l < h && before(ctx, wv, idx[l])) { w = l; wv = idx[l]; }
                    if (r < h && before(ctx, wv, idx[r])) { w = r; wv = idx[r]; }
                    if (w == c)
                        break;
                    idx[c] = idx[w];
                    c = w;
                }
                idx[c] = i;
            }
        }
        m = h;
    } else {
        for (i = 0; i < n; i++) {
            if (!keep(ctx, i))
                continue;
            if (m == n_idx)
                return -1;
            idx[m++] = i;
        }
    }
    ftc_sort_idx(idx, scratch, m, before, ctx);
    return (int64_t)(m < max ? m : max);
}

#endif /* FTC_TABLE_H */
