/* fuzz_filter.c -- libFuzzer harness for csrc/filter.c (filter programs).
 * Never compiled into the extension.
 *
 * Input layout: byte 0 picks the record type (modulo FTC_RT_COUNT), byte 1
 * the mode (bit 0: repair the program so it mostly passes the check, bits
 * 1-7: instruction count, at most 64), bytes 2-3 the tables length (little
 * endian, at most 4096); then the instructions as raw ftc_insn_t bytes, the
 * tables blob, and what is left as records (whole records only).
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - ftc_filter_check returns FTC_OK, FTC_EPROGRAM or FTC_EINVAL;
 *   - ftc_filter_apply and ftc_filter_select return exactly the check's
 *     status when it fails, and never touch the records then;
 *   - when it passes: select's count == apply's kept count, and the records
 *     apply keeps are the ones select marks, in order (same PRNG state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define MAX_PROG 64
#define MAX_TABLES 4096
#define MAX_RECS 64
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static ftc_insn_t prog[MAX_PROG];
static uint8_t tables[MAX_TABLES];
static uint8_t recs[MAX_RECS * 72];
static uint8_t orig[MAX_RECS * 72];
static uint8_t sel[MAX_RECS];

/* bend a random instruction towards a well-formed one for layout L */
static void repair(ftc_insn_t *in, size_t i, size_t n, const ftc_layout_t *L,
                   size_t tables_len)
{
    int f;
    in->op = (uint8_t)(in->op % (FTC_OP_SAMPLE + 1));
    in->src = (uint8_t)(in->src % (FTC_SRC_OPP + 1));
    in->cmp = (uint8_t)(in->cmp % (FTC_CMP_GT + 1));
    in->shift = (uint8_t)(in->shift % 40);
    if (in->src == FTC_SRC_FIELD) {
        f = (int)((uint32_t)in->offset % FTC_F_COUNT);
        while (L->off[f] < 0)
            f = (f + 1) % FTC_F_COUNT;
        in->offset = L->off[f];
        in->width = (uint8_t)ftc_field_width(f);
    }
    /* jumps: forward inside the program, or ACCEPT / REJECT */
    if (i + 1 >= n) {
        in->jt = (in->jt & 1) ? FTC_PROG_ACCEPT : FTC_PROG_REJECT;
        in->jf = (in->jf & 1) ? FTC_PROG_ACCEPT : FTC_PROG_REJECT;
    } else {
        uint32_t span = (uint32_t)(n - i - 1);
        in->jt = (in->jt & 3) == 0 ? FTC_PROG_ACCEPT
                 : (int32_t)(i + 1 + (uint32_t)in->jt % span);
        in->jf = (in->jf & 3) == 0 ? FTC_PROG_REJECT
                 : (int32_t)(i + 1 + (uint32_t)in->jf % span);
    }
    if (tables_len) {
        in->table = in->table % (uint32_t)tables_len;
        in->table_len = in->table_len % (uint32_t)(tables_len - in->table + 1);
    }
    if (in->op == FTC_OP_BITMAP)
        in->b &= 0xFFFF;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ftc_filter_state_t st1, st2;
    const ftc_layout_t *L;
    size_t nprog, tables_len, nrec, rs, kept = 0, i, k;
    int rt, fix, c, a, s;

    if (size < 4)
        return 0;
    rt = data[0] % FTC_RT_COUNT;
    fix = data[1] & 1;
    nprog = (size_t)(data[1] >> 1) % (MAX_PROG + 1);
    tables_len = (size_t)(data[2] | data[3] << 8) % (MAX_TABLES + 1);
    data += 4;
    size -= 4;
    L = ftc_layout_get(rt);
    CHECK(L != NULL);
    rs = L->rec_size;

    memset(prog, 0, sizeof prog);
    k = nprog * sizeof(ftc_insn_t);
    if (k > size)
        k = size;
    memcpy(prog, data, k);
    data += k;
    size -= k;
    memset(tables, 0, sizeof tables);
    k = tables_len < size ? tables_len : size;
    memcpy(tables, data, k);
    data += k;
    size -= k;
    nrec = size / rs;
    if (nrec > MAX_RECS)
        nrec = MAX_RECS;
    memcpy(recs, data, nrec * rs);
    memcpy(orig, recs, nrec * rs);
    if (fix)
        for (i = 0; i < nprog; i++)
            repair(&prog[i], i, nprog, L, tables_len);

    c = ftc_filter_check(prog, nprog, tables, tables_len, rt);
    CHECK(c == FTC_OK || c == FTC_EPROGRAM || c == FTC_EINVAL);

    memset(&st1, 0, sizeof st1);
    st1.rng = 12345;
    st2 = st1;
    s = ftc_filter_select(prog, nprog, tables, tables_len, rt, &st1, recs, nrec, sel);
    a = ftc_filter_apply(prog, nprog, tables, tables_len, rt, &st2, recs, nrec, &kept);
    if (c != FTC_OK) {
        CHECK(s == c && a == c);
        CHECK(memcmp(recs, orig, nrec * rs) == 0);
        return 0;
    }
    CHECK(a == FTC_OK && s >= 0 && (size_t)s == kept && kept <= nrec);
    for (i = 0, k = 0; i < nrec; i++) {
        CHECK(sel[i] <= 1);
        if (sel[i]) {
            CHECK(memcmp(recs + k * rs, orig + i * rs, rs) == 0);
            k++;
        }
    }
    CHECK(k == kept);
    return 0;
}
