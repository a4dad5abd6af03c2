/* fuzz_header.c -- libFuzzer harness for csrc/header.c (stream headers).
 * Never compiled into the extension.
 *
 * The input is the start of a flow file.  Checked, beyond "no crash, no
 * sanitizer report":
 *   - ftc_header_parse returns a defined status; FTC_EAGAIN asks for more
 *     bytes than it was given, and feeding exactly that many again never
 *     asks for fewer (the reader's loop ends);
 *   - an accepted header has header_len <= the bytes given, and every
 *     IF_NAME / IF_ALIAS span lies inside it;
 *   - an accepted header, encoded again in either byte order, parses back
 *     to the same values (what the encoder writes: the present TLVs).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static ftc_header_t h1, h2;
static uint8_t enc[FTC_HEADER_MAX + 64];

static void same(const ftc_header_t *a, const ftc_header_t *b)
{
    uint32_t p = a->present;
#define EQ(bit, f) CHECK(!(p & (1u << (bit))) || a->f == b->f)
    EQ(FTC_TLV_VENDOR, vendor);
    EQ(FTC_TLV_EX_VER, d_version);
    EQ(FTC_TLV_AGG_VER, agg_version);
    EQ(FTC_TLV_AGG_METHOD, agg_method);
    EQ(FTC_TLV_EXPORTER_IP, exporter_ip);
    EQ(FTC_TLV_CAP_START, cap_start);
    EQ(FTC_TLV_CAP_END, cap_end);
    EQ(FTC_TLV_HEADER_FLAGS, flags);
    EQ(FTC_TLV_ROT_SCHEDULE, rot_schedule);
    EQ(FTC_TLV_FLOW_COUNT, flows_count);
    EQ(FTC_TLV_FLOW_LOST, flows_lost);
    EQ(FTC_TLV_FLOW_MISORDERED, flows_misordered);
    EQ(FTC_TLV_PKT_CORRUPT, pkts_corrupt);
    EQ(FTC_TLV_SEQ_RESET, seq_reset);
    EQ(FTC_TLV_INTERRUPT, interrupt);
#undef EQ
    if (p & (1u << FTC_TLV_CAP_HOSTNAME))
        CHECK(strcmp(a->cap_hostname, b->cap_hostname) == 0);
    if (p & (1u << FTC_TLV_COMMENTS))
        CHECK(strcmp(a->comments, b->comments) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t need = 0, len = 0, elen, i, prev = 0;
    int r, bo, rounds = 0;

    /* as the stream reader does: start small, grow to what is asked */
    for (;;) {
        len = need > len ? need : (len ? len : 1);
        if (len > size)
            len = size;
        r = ftc_header_parse(data, len, &h1, &need);
        CHECK(r <= FTC_OK && r >= FTC_EHDRBIG);
        if (r != FTC_EAGAIN)
            break;
        CHECK(need > len && need >= prev);
        prev = need;
        if (need > size)
            return 0;   /* truncated file */
        CHECK(++rounds < 8);
    }
    /* the whole input at once gives the same answer */
    CHECK(ftc_header_parse(data, size, &h2, &need) == r);
    if (r != FTC_OK)
        return 0;
    CHECK(h1.header_len <= len && h1.header_len >= 8 && h1.n_ifmap <= FTC_IFMAP_MAX);
    for (i = 0; i < h1.n_ifmap; i++)
        CHECK((size_t)h1.ifmap_off[i] + h1.ifmap_len[i] <= h1.header_len);

    for (bo = FTC_LITTLE_ENDIAN; bo <= FTC_BIG_ENDIAN; bo++) {
        r = ftc_header_encode(&h1, bo, enc, sizeof enc, &elen);
        CHECK(r == FTC_OK || r == FTC_EHDRBIG);
        if (r != FTC_OK)
            continue;
        CHECK(elen <= FTC_HEADER_MAX && elen % 4 == 0);
        r = ftc_header_parse(enc, elen, &h2, &need);
        /* a version the parser refuses was refused the first time too */
        CHECK(r == FTC_OK);
        CHECK(h2.header_len == elen && h2.byte_order == bo);
        same(&h1, &h2);
        /* too small a buffer: FTC_EFULL, never a write past it */
        if (elen > 8)
            CHECK(ftc_header_encode(&h1, bo, enc, elen - 4, &elen) == FTC_EFULL);
    }
    return 0;
}
