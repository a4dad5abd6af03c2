/* fuzz_export.c -- libFuzzer harness for csrc/export.c (flow-import's
 * parsers and flow-export's encoders).  Never compiled into the extension.
 *
 * Byte 0 picks the record type, byte 1 the parser and its options; the
 * rest is the input.  Checked, beyond "no crash, no sanitizer report":
 *   - every parser consumes at most what it was given, produces at most
 *     the records it has room for, and returns a defined status;
 *   - CSV: records parsed from any text, exported as CSV of every field and
 *     parsed again with the same column list, are the same records (the
 *     export/import round trip of flow-export -f 2 | flow-import -f 2;
 *     v1006: IPv6 text through ftc_scan_addr6, the whole addresses equal);
 *   - cflowd: records parsed, exported with the type's mask and parsed
 *     again keep every field the mask carries;
 *   - ftc_wire_split's lengths add up to what it consumed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_RECS 64

static uint8_t recs[MAX_RECS * 256], recs2[MAX_RECS * 256];
static char text[MAX_RECS * 1024];
static uint8_t bin[MAX_RECS * 128];
static uint32_t lens[64];

/* the CSV column list of every field of rt, canonical order, with the
   marked_tos / extra_pkts swap the exporter applies */
static size_t csv_cols(int rt, int8_t *cols)
{
    uint64_t m = ftc_xfield_mask(rt);
    size_t n = 0;
    int f;
    for (f = 0; f < FTC_F_COUNT; f++)
        if (m & ((uint64_t)1 << f))
            cols[n++] = (int8_t)(f == FTC_F_EXTRA_PKTS ? FTC_F_MARKED_TOS
                                 : f == FTC_F_MARKED_TOS ? FTC_F_EXTRA_PKTS : f);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rt, mode, r;
    const ftc_layout_t *L;
    const uint8_t *in;
    size_t len, produced = 0, consumed = 0, line_len, n, tlen, done, i;
    uint64_t lines = 0;
    int8_t cols[64];
    if (size < 2)
        return 0;
    rt = data[0] % FTC_RT_COUNT;
    mode = data[1];
    in = data + 2;
    len = size - 2;
    L = ftc_layout_get(rt);
    CHECK(L != NULL);
    switch (mode & 3) {
    case 0:
    case 1: {
        int strict = mode & 1;
        size_t ncols = csv_cols(rt, cols);
        r = ftc_import_text(in, len, (mode >> 2) & 1, rt, cols, ncols, strict ? '|' : ',',
                            strict, strict ? 10 : 0, (mode >> 3) & 1, recs, MAX_RECS,
                            &produced, &consumed, &lines, &line_len);
        CHECK(r == FTC_OK || r == FTC_EFULL || r == FTC_IMP_HEADER || r == FTC_IMP_BROKEN);
        CHECK(consumed <= len && produced <= MAX_RECS);
        if (r == FTC_IMP_HEADER)
            CHECK(line_len >= 2 && consumed + line_len <= len);
        if (!strict && produced) {
            /* round trip: CSV of every field, parsed again */
            r = ftc_export_text(recs, produced, rt, ~(uint64_t)0, FTC_XT_CSV, text,
                                sizeof text, &tlen, &done);
            CHECK(r == FTC_OK && done == produced);
            r = ftc_import_text((const uint8_t *)text, tlen, 1, rt, cols, ncols, ',', 0, 0, 0,
                                recs2, MAX_RECS, &n, &consumed, &lines, &line_len);
            CHECK(r == FTC_OK && n == produced && consumed == tlen);
            for (i = 0; i < produced; i++) {
                int f;
                for (f = 0; f < FTC_F_COUNT; f++) {
                    int w = ftc_field_width(f);
                    if (L->off[f] < 0 || !(ftc_xfield_mask(rt) & ((uint64_t)1 << f)))
                        continue;
                    CHECK(!memcmp(recs + i * L->rec_size + L->off[f],
                                  recs2 + i * L->rec_size + L->off[f], (size_t)w));
                }
                /* v1006: the whole 128-bit addresses (upper words too) */
                for (f = FTC_F_SRCADDR6_0; f <= FTC_F_NEXTHOP6_2; f++)
                    if (L->off[f] >= 0)
                        CHECK(!memcmp(recs + i * L->rec_size + L->off[f],
                                      recs2 + i * L->rec_size + L->off[f], 4));
            }
        }
        break;
    }
    case 2:
        r = ftc_import_cflowd(in, len, rt, recs, MAX_RECS, &produced, &consumed);
        CHECK((r == FTC_OK || r == FTC_EFULL) && consumed <= len && produced <= MAX_RECS);
        r = ftc_export_cflowd(recs, produced, rt, 0xFFFFFF, bin, sizeof bin, &tlen, &done);
        CHECK(r == FTC_OK && done == produced);
        r = ftc_import_cflowd(bin, tlen, rt, recs2, MAX_RECS, &n, &consumed);
        CHECK(r == FTC_OK && n == produced && consumed == tlen);
        r = ftc_export_pcap(recs, produced, rt, bin, sizeof bin, &tlen, &done);
        CHECK(r == FTC_OK || r == FTC_EFIELD || r == FTC_EFULL);
        break;
    default: {
        uint32_t info, sum = 0;
        r = ftc_wire_split(in, len, lens, 64, &n, &consumed, &info);
        CHECK(r == FTC_OK || r == FTC_EFULL || r == FTC_ETRUNC || r == FTC_IMP_VERSION ||
              r == FTC_IMP_V8);
        CHECK(n <= 64 && consumed <= len);
        for (i = 0; i < n; i++)
            sum += lens[i];
        CHECK(sum == consumed);
        break;
    }
    }
    return 0;
}
