/* fuzz_partial.c -- libFuzzer harness for csrc/partial.c: ftc_part_merge
 * on arbitrary bytes (the partial tables a task of a parallel or
 * distributed run ships to the merger), into a table of each kind that
 * travels, with and without an owner (the pairs of a distinct count).
 * Never compiled into the extension.
 *
 * Input layout: byte 0 picks the kind, byte 1 the key length; the rest is
 * the partial.  A second pass exports what was merged and merges it into
 * an empty table: the export must be accepted whole.
 *
 * Checked, beyond "no crash, no sanitizer report": the statuses are the
 * documented ones, *done never passes the entries, the table stays
 * consistent (ftc_part_size accepts it), and an export merges back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define CAP 256
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint64_t mem[CAP * 256 / 8], mem2[CAP * 256 / 8], omem[CAP * 256 / 8];
static uint8_t out[FTC_PART_HEAD + CAP * 256];
static uint32_t scratch[CAP];

static const int kinds[] = {FTC_TAB_AGG, FTC_TAB_AGGT, FTC_TAB_AGGR, FTC_TAB_SET, FTC_TAB_PR};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftc_tab_t t, t2, owner;
    int kind, st, use_owner;
    uint32_t key_len;
    size_t done = 0;
    int64_t n, stride;
    if (size < 2)
        return 0;
    kind = kinds[(data[0] & 0x7F) % 5];
    key_len = 1u + data[1] % 16u;
    use_owner = kind == FTC_TAB_SET && key_len > 1 && (data[0] & 0x80);
    stride = ftc_tab_stride(kind, key_len);
    CHECK(stride > 0);
    memset(mem, 0, sizeof mem);
    CHECK(ftc_tab_init(&t, kind, key_len, CAP, (uint8_t *)mem, sizeof mem) == FTC_OK);
    if (use_owner) {
        memset(omem, 0, sizeof omem);
        CHECK(ftc_tab_init(&owner, FTC_TAB_AGG, key_len / 2u, CAP, (uint8_t *)omem,
                           sizeof omem) == FTC_OK);
    }
    st = ftc_part_merge(&t, use_owner ? &owner : NULL, data + 2, size - 2, &done);
    CHECK(st == FTC_OK || st == FTC_EFULL || st == FTC_EBADMAGIC || st == FTC_EINVAL
          || st == FTC_ETRUNC);
    CHECK(t.used <= CAP - CAP / 4);
    n = ftc_part_size(&t);
    CHECK(n >= FTC_PART_HEAD);
    /* whatever the bytes said, the merger numbered the keys itself */
    n = ftc_part_export(&t, scratch, CAP, out, sizeof out);
    CHECK(n >= FTC_PART_HEAD);
    memset(mem2, 0, sizeof mem2);
    CHECK(ftc_tab_init(&t2, kind, key_len, CAP, (uint8_t *)mem2, sizeof mem2) == FTC_OK);
    done = 0;
    CHECK(ftc_part_merge(&t2, NULL, out, (size_t)n, &done) == FTC_OK);
    CHECK(t2.used == t.used);
    return 0;
}
