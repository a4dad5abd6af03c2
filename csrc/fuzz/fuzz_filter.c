/* fuzz_filter.c -- libFuzzer harness for csrc/filter.c (filter programs):
 * arbitrary programs, tables, evaluation states and records go to the
 * checker, and whatever it accepts is run.  Never compiled into the
 * extension.
 *
 * Input layout:
 *   byte 0      the record type (modulo FTC_RT_COUNT)
 *   byte 1      bit 0: repair the program so that it mostly passes the
 *               check; bits 1-7: instruction count (modulo 65)
 *   bytes 2-3   the tables length (little endian, modulo MAX_TABLES + 1)
 *   24 bytes    the evaluation state, raw (ftc_filter_state_t: PRNG, the
 *               time-of-day cache): the caller's memory is input too
 *   then        the instructions as raw ftc_insn_t bytes, the tables blob,
 *               and what is left as records (whole records, at most 64)
 * Short inputs are padded with zeros.  Every buffer is a heap block of its
 * exact size, so that ASan sees any read past a program, a table or a
 * record.
 *
 * The repair step (mode bit 0) bends each instruction towards one the
 * checker accepts, steered by the instruction's own pad bytes: known op,
 * source and comparison; a source of the op's kind (pad[0] bit 0 clear);
 * real fields; forward jumps; tables inside the blob; a BITMAP table of
 * exactly the size its bound needs, at the end of the blob (pad[0] bit 1);
 * a RANGES or RANGES6 table rewritten sorted and disjoint (pad[0] bit 2); a
 * shift below 64 unless pad[0] bit 3; a RANGES6 instruction on an address
 * group of the record type, width 16 (the group chosen by its offset; none
 * for the IPv4 record types: pad[0] bit 4 then keeps a plain field).  tests/test_filter.py mirrors this layout
 * and the repair step to replay tests/corpus/filter/.
 *
 * Checked, beyond "no crash, no sanitizer report":
 *   - ftc_filter_check returns FTC_OK or FTC_EPROGRAM (FTC_EINVAL never:
 *     the arguments are sound);
 *   - ftc_filter_apply and ftc_filter_select return exactly the check's
 *     status when it fails, and never touch the records then;
 *   - when it passes: select's count == apply's kept count, and the records
 *     apply keeps are the ones select marks, in order (same state);
 *   - the fast paths (one 16-bit bitmap, field-only programs) agree with
 *     the general evaluator: the same program behind an always-true SAMPLE
 *     (which only the general evaluator runs) selects the same records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftcore.h"

#define MAX_PROG 64
#define MAX_TABLES 20000      /* a time-of-day bitmap needs 16384 bytes */
#define MAX_RECS 64
#define STATE_BYTES 24
#define CHECK(c) do { if (!(c)) abort(); } while (0)

_Static_assert(sizeof(ftc_filter_state_t) == STATE_BYTES, "state layout");

static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* the kind of op's source: 0 none, 1 integer, 2 either number */
static int op_kind(unsigned op)
{
    return op == FTC_OP_TRUE || op == FTC_OP_SAMPLE ? 0 : op == FTC_OP_CMPF ? 2 : 1;
}

/* the bound of an integer source's value, as the checker documents it */
static uint64_t bound(const ftc_insn_t *in)
{
    switch (in->src) {
    case FTC_SRC_FIELD:
        return in->width == 4 ? 0xFFFFFFFFull : in->width == 2 ? 0xFFFFull : 0xFFull;
    case FTC_SRC_DURATION: return 0xFFFFFFFFull;
    case FTC_SRC_START_TOD:
    case FTC_SRC_END_TOD: return 0x1FFFFull;
    default: return UINT64_MAX;
    }
}

/* bend a random instruction towards a well-formed one for layout L */
static void repair(ftc_insn_t *in, size_t i, size_t n, const ftc_layout_t *L,
                   uint8_t *tables, size_t tables_len)
{
    static const uint8_t ints[] = { FTC_SRC_FIELD, FTC_SRC_DURATION, FTC_SRC_START,
                                    FTC_SRC_END, FTC_SRC_START_TOD, FTC_SRC_END_TOD };
    static const uint8_t nums[] = { FTC_SRC_FIELD, FTC_SRC_DURATION, FTC_SRC_START,
                                    FTC_SRC_END, FTC_SRC_START_TOD, FTC_SRC_END_TOD,
                                    FTC_SRC_PPS, FTC_SRC_BPS, FTC_SRC_OPP };
    const uint8_t steer = in->pad[0];
    int f;
    in->op = (uint8_t)(in->op % (FTC_OP_RANGES6 + 1));
    in->src = (uint8_t)(in->src % (FTC_SRC_OPP + 1));
    in->cmp = (uint8_t)(in->cmp % (FTC_CMP_GT + 1));
    if (!(steer & 1)) {
        int k = op_kind(in->op);
        in->src = k == 0 ? (uint8_t)FTC_SRC_NONE
                  : k == 1 ? ints[in->src % sizeof ints] : nums[in->src % sizeof nums];
    }
    if (!(steer & 8))
        in->shift = (uint8_t)(in->shift % 64);
    if (in->src == FTC_SRC_FIELD) {
        f = (int)((uint32_t)in->offset % FTC_F_COUNT);
        while (L->off[f] < 0)
            f = (f + 1) % FTC_F_COUNT;
        in->offset = L->off[f];
        in->width = (uint8_t)ftc_field_width(f);
        if (in->op == FTC_OP_RANGES6 && !(steer & 16)) {
            static const int word0[3] = {FTC_F_SRCADDR6_0, FTC_F_DSTADDR6_0,
                                         FTC_F_NEXTHOP6_0};
            int g = word0[(uint32_t)f % 3];
            if (L->off[g] >= 0) {
                in->offset = L->off[g];
                in->width = 16;
            }
        }
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
    if (!tables_len)
        return;
    in->table = in->table % (uint32_t)tables_len;
    in->table_len = in->table_len % (uint32_t)(tables_len - in->table + 1);
    if (in->op == FTC_OP_BITMAP && (steer & 2) && in->shift < 64
        && in->src != FTC_SRC_NONE && in->src != FTC_SRC_PPS && in->src != FTC_SRC_BPS
        && in->src != FTC_SRC_OPP) {
        /* exactly the bytes the bound needs, ending the blob */
        uint64_t need = (((bound(in) & in->b) >> in->shift) >> 3) + 1;
        if (need <= tables_len) {
            in->table_len = (uint32_t)need;
            in->table = (uint32_t)(tables_len - need);
        }
    }
    if (in->op == FTC_OP_RANGES && (steer & 4) && in->table_len >= 4) {
        /* rewrite the table sorted and disjoint, with 0/1 verdicts */
        uint8_t *t = tables + in->table;
        uint32_t cnt = ld32(t) % ((in->table_len - 4) / 9 + 1), k, lo = 0;
        st32(t, cnt);
        for (k = 0; k < cnt; k++) {     /* below 2^24: no wrap */
            uint32_t a = ld32(t + 4 + 8 * k) % 4096, b = ld32(t + 8 + 8 * k) % 4096;
            st32(t + 4 + 8 * k, lo + a);
            st32(t + 8 + 8 * k, lo + a + b);
            lo = lo + a + b + 1;
        }
        for (k = 0; k < cnt; k++)
            t[4 + 8 * cnt + k] &= 1;
    }
    if (in->op == FTC_OP_RANGES6 && (steer & 4) && in->table_len >= 8) {
        /* sorted and disjoint 128-bit ranges, 0/1 verdicts: each bound's
           upper half from the table (sorted), lower halves apart */
        uint8_t *t = tables + in->table;
        uint32_t cnt = ld32(t) % ((in->table_len - 8) / 33 + 1), k;
        uint64_t hi = 0;
        st32(t, cnt);
        st32(t + 4, 0);
        for (k = 0; k < cnt; k++) {
            uint8_t *e = t + 8 + 32 * k;
            uint64_t a = ld64(e) % 3, b = ld64(e + 16) % 3;
            hi += a;                      /* lo = (hi, 2k << 40 | x) */
            st64(e, hi);
            st64(e + 8, ((uint64_t)k << 41) | (ld64(e + 8) & 0xFFFFFFFFFFull));
            hi += b;
            st64(e + 16, hi);
            st64(e + 24, b ? ld64(e + 24) : ((uint64_t)k << 41 | 1ull << 40
                                             | (ld64(e + 24) & 0xFFFFFFFFFFull)));
            hi += 1;
        }
        for (k = 0; k < cnt; k++)
            t[8 + 32 * cnt + k] &= 1;
    }
}

/* a copy of size bytes in a heap block of exactly that size (NULL for 0) */
static uint8_t *exact(const uint8_t *p, size_t size)
{
    uint8_t *q;
    if (!size)
        return NULL;
    q = malloc(size);
    CHECK(q != NULL);
    memcpy(q, p, size);
    return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t in[4 + STATE_BYTES + MAX_PROG * sizeof(ftc_insn_t) + MAX_TABLES
                      + MAX_RECS * 96];
    ftc_filter_state_t st0, st1, st2;
    const ftc_layout_t *L;
    ftc_insn_t *prog, *prog2;
    uint8_t *tables, *recs, *orig, *sel, *sel2;
    size_t nprog, tables_len, nrec, rs, kept = 0, i, k, pos, left;
    int rt, fix, c, c2, a, s, s2;

    /* the fixed part, zero-padded */
    memset(in, 0, 4 + STATE_BYTES);
    memcpy(in, data, size < 4 + STATE_BYTES ? size : 4 + STATE_BYTES);
    rt = in[0] % FTC_RT_COUNT;
    fix = in[1] & 1;
    nprog = (size_t)(in[1] >> 1) % (MAX_PROG + 1);
    tables_len = (size_t)(in[2] | in[3] << 8) % (MAX_TABLES + 1);
    memcpy(&st0, in + 4, STATE_BYTES);
    L = ftc_layout_get(rt);
    CHECK(L != NULL);
    rs = L->rec_size;
    pos = 4 + STATE_BYTES;
    left = size > pos ? size - pos : 0;

    /* program and tables (zero-padded), records (whole ones) */
    prog = calloc(nprog ? nprog : 1, sizeof *prog);
    CHECK(prog != NULL);
    k = nprog * sizeof *prog < left ? nprog * sizeof *prog : left;
    memcpy(prog, data + pos, k);
    pos += k;
    left -= k;
    memset(in, 0, tables_len);
    k = tables_len < left ? tables_len : left;
    memcpy(in, data + pos, k);
    pos += k;
    left -= k;
    tables = exact(in, tables_len);
    nrec = left / rs;
    if (nrec > MAX_RECS)
        nrec = MAX_RECS;
    if (fix)
        for (i = 0; i < nprog; i++)
            repair(&prog[i], i, nprog, L, tables, tables_len);
    recs = exact(data + pos, nrec * rs);
    orig = exact(data + pos, nrec * rs);
    sel = malloc(nrec + 1);
    sel2 = malloc(nrec + 1);
    CHECK(sel && sel2);
    if (nprog) {                  /* NULL for an empty program: no bytes */
        ftc_insn_t *p = malloc(nprog * sizeof *p);
        CHECK(p != NULL);
        memcpy(p, prog, nprog * sizeof *p);
        free(prog);
        prog = p;
    } else {
        free(prog);
        prog = NULL;
    }

    c = ftc_filter_check(prog, nprog, tables, tables_len, rt);
    CHECK(c == FTC_OK || c == FTC_EPROGRAM);

    st1 = st0;
    st2 = st0;
    s = ftc_filter_select(prog, nprog, tables, tables_len, rt, &st1, recs, nrec, sel);
    a = ftc_filter_apply(prog, nprog, tables, tables_len, rt, &st2, recs, nrec, &kept);
    if (c != FTC_OK) {
        CHECK(s == c && a == c);
        CHECK(nrec == 0 || memcmp(recs, orig, nrec * rs) == 0);
        goto out;
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

    /* the general evaluator agrees: the program behind an always-true SAMPLE */
    prog2 = malloc((nprog + 1) * sizeof *prog2);
    CHECK(prog2 != NULL);
    memset(&prog2[0], 0, sizeof *prog2);
    prog2[0].op = FTC_OP_SAMPLE;
    prog2[0].src = FTC_SRC_NONE;
    prog2[0].a = 1;
    prog2[0].jt = prog2[0].jf = 1;
    for (i = 0; i < nprog; i++) {
        prog2[i + 1] = prog[i];
        if (prog2[i + 1].jt >= 0)
            prog2[i + 1].jt++;
        if (prog2[i + 1].jf >= 0)
            prog2[i + 1].jf++;
    }
    c2 = ftc_filter_check(prog2, nprog + 1, tables, tables_len, rt);
    CHECK(c2 == FTC_OK);
    st1 = st0;
    s2 = ftc_filter_select(prog2, nprog + 1, tables, tables_len, rt, &st1, orig, nrec, sel2);
    CHECK(s2 == s);
    CHECK(nrec == 0 || memcmp(sel, sel2, nrec) == 0);
    free(prog2);
out:
    free(prog);
    free(tables);
    free(recs);
    free(orig);
    free(sel);
    free(sel2);
    return 0;
}
