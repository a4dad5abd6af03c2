/* ftc_internal.h -- private static-inline helpers of the C core (byte
 * swapping, bounded loads and stores).  Never part of the cffi cdef. */
#ifndef FTC_INTERNAL_H
#define FTC_INTERNAL_H

#include <stdint.h>
#include <string.h>

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

/* field access through a layout; off < 0 reads as 0 */
static inline uint32_t ftc_get(const ftc_layout_t *L, const uint8_t *rec, int field)
{
    int off = L->off[field];
    if (off < 0)
        return 0;
    return ftc_ldw(rec + off, ftc_field_width(field));
}

#endif /* FTC_INTERNAL_H */
