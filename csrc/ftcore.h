/*
 * ftcore.h -- public C API of the pyflowtools core.
 *
 * The block between the cdef markers is fed verbatim to cffi's cdef(), so it
 * holds only plain structs, enums, integer #defines and prototypes.
 *
 * Conventions (see STYLE.md):
 *   - no I/O, no printing, no exit(), no malloc in kernels, no mutable globals;
 *   - functions return FTC_OK (0), a non-negative count, or a negative FTC_E*;
 *   - results go through out-parameters so damaged input still yields the
 *     good records decoded before the damage.
 *
 * Records inside the core ("batches") are always in HOST byte order and in
 * the flow-tools stream layout of their record type (formats.md section 4).
 * The layout of every record type is the table ftc_layout (layout.c): for
 * each record type, the byte offset of every field, or -1 when the type has
 * no such field.  Field widths are the same in every type (ftc_field_width).
 */
#ifndef FTCORE_H
#define FTCORE_H

#include <stddef.h>
#include <stdint.h>

/* cdef-begin */

#define FTC_ABI_VERSION 2

/* status codes */
#define FTC_OK            0
#define FTC_EAGAIN       -1   /* need more input (not an error) */
#define FTC_EFULL        -2   /* output buffer or table full: grow and retry */
#define FTC_EINVAL       -3   /* bad argument (a bug in the caller) */
#define FTC_EBADMAGIC    -4   /* not a flow file */
#define FTC_ESVERSION    -5   /* stream version not 1 or 3 */
#define FTC_EDVERSION    -6   /* unsupported export version */
#define FTC_EAGGVER      -7   /* unsupported v8 aggregation version */
#define FTC_EAGGMETHOD   -8   /* unsupported v8 aggregation method */
#define FTC_EHDRLEN      -9   /* header length out of range */
#define FTC_ETRUNC      -10   /* truncated input */
#define FTC_EBADPDU     -11   /* malformed export datagram */
#define FTC_EFIELD      -12   /* record type lacks a required field */
#define FTC_EFORMAT     -13   /* no such print format */
#define FTC_EPROGRAM    -14   /* malformed filter program */
#define FTC_EHDRBIG     -15   /* header larger than the writers' limit */
#define FTC_ERANGE      -16   /* a value past what the kernel takes */

/* stream byte orders (header byte 2) */
#define FTC_LITTLE_ENDIAN 1
#define FTC_BIG_ENDIAN    2

/* header limits */
#define FTC_HEADER_MAX       16384
#define FTC_HEADER_V1_LEN    360
#define FTC_STR_MAX          16384
#define FTC_IFMAP_MAX        256

/* header TLV types */
#define FTC_TLV_NULL            0
#define FTC_TLV_VENDOR          1
#define FTC_TLV_EX_VER          2
#define FTC_TLV_AGG_VER         3
#define FTC_TLV_AGG_METHOD      4
#define FTC_TLV_EXPORTER_IP     5
#define FTC_TLV_CAP_START       6
#define FTC_TLV_CAP_END         7
#define FTC_TLV_HEADER_FLAGS    8
#define FTC_TLV_ROT_SCHEDULE    9
#define FTC_TLV_FLOW_COUNT     10
#define FTC_TLV_FLOW_LOST      11
#define FTC_TLV_FLOW_MISORDERED 12
#define FTC_TLV_PKT_CORRUPT    13
#define FTC_TLV_SEQ_RESET      14
#define FTC_TLV_CAP_HOSTNAME   15
#define FTC_TLV_COMMENTS       16
#define FTC_TLV_IF_NAME        17
#define FTC_TLV_IF_ALIAS       18
#define FTC_TLV_INTERRUPT      19

/* HEADER_FLAGS bits */
#define FTC_HF_DONE       0x01
#define FTC_HF_COMPRESS   0x02
#define FTC_HF_MULT_PDU   0x04
#define FTC_HF_STREAMING  0x08
#define FTC_HF_XLATE      0x10
#define FTC_HF_PRELOADED  0x20

/* record types: index into ftc_layout */
enum ftc_rectype {
    FTC_RT_V1 = 0, FTC_RT_V5 = 1, FTC_RT_V6 = 2, FTC_RT_V7 = 3, FTC_RT_V1005 = 4,
    FTC_RT_V8_1 = 5, FTC_RT_V8_2 = 6, FTC_RT_V8_3 = 7, FTC_RT_V8_4 = 8,
    FTC_RT_V8_5 = 9, FTC_RT_V8_6 = 10, FTC_RT_V8_7 = 11, FTC_RT_V8_8 = 12,
    FTC_RT_V8_9 = 13, FTC_RT_V8_10 = 14, FTC_RT_V8_11 = 15, FTC_RT_V8_12 = 16,
    FTC_RT_V8_13 = 17, FTC_RT_V8_14 = 18,
    FTC_RT_V1006 = 19,   /* pyflowtools' IPv4 and IPv6 flows (man/flow-tools-v1006.5) */
    FTC_RT_COUNT = 20
};

/* record fields; the number is the field's bit in flow-export's -m mask */
enum ftc_field {
    FTC_F_UNIX_SECS = 0, FTC_F_UNIX_NSECS = 1, FTC_F_SYSUPTIME = 2,
    FTC_F_EXADDR = 3, FTC_F_DFLOWS = 4, FTC_F_DPKTS = 5, FTC_F_DOCTETS = 6,
    FTC_F_FIRST = 7, FTC_F_LAST = 8, FTC_F_ENGINE_TYPE = 9,
    FTC_F_ENGINE_ID = 10, FTC_F_SRCADDR = 12, FTC_F_DSTADDR = 13,
    FTC_F_NEXTHOP = 16, FTC_F_INPUT = 17, FTC_F_OUTPUT = 18,
    FTC_F_SRCPORT = 19, FTC_F_DSTPORT = 20, FTC_F_PROT = 21, FTC_F_TOS = 22,
    FTC_F_TCP_FLAGS = 23, FTC_F_SRC_MASK = 24, FTC_F_DST_MASK = 25,
    FTC_F_SRC_AS = 26, FTC_F_DST_AS = 27, FTC_F_IN_ENCAPS = 28,
    FTC_F_OUT_ENCAPS = 29, FTC_F_PEER_NEXTHOP = 30, FTC_F_ROUTER_SC = 31,
    FTC_F_EXTRA_PKTS = 32, FTC_F_MARKED_TOS = 33, FTC_F_SRC_TAG = 34,
    FTC_F_DST_TAG = 35,
    /* v1006: the upper 96 bits of the 128-bit addresses, most significant
       word first (FTC_F_SRCADDR, DSTADDR, NEXTHOP are their last word), and
       the 20-bit IPv6 flow label */
    FTC_F_SRCADDR6_0 = 36, FTC_F_SRCADDR6_1 = 37, FTC_F_SRCADDR6_2 = 38,
    FTC_F_DSTADDR6_0 = 39, FTC_F_DSTADDR6_1 = 40, FTC_F_DSTADDR6_2 = 41,
    FTC_F_NEXTHOP6_0 = 42, FTC_F_NEXTHOP6_1 = 43, FTC_F_NEXTHOP6_2 = 44,
    FTC_F_FLOW_LABEL = 45,
    FTC_F_COUNT = 46
};

/* Layout of one record type (host order).  off[f] is the byte offset of
   field f or -1; width of every field is ftc_field_width(f). */
typedef struct {
    uint16_t version;      /* 1, 5, 6, 7, 8, 1005 or 1006 */
    uint8_t  agg_method;   /* 1..14 for version 8, else 0 */
    uint8_t  rec_size;     /* bytes per record */
    int16_t  off[46];      /* FTC_F_COUNT entries */
} ftc_layout_t;

/* Decoded stream header.  `present` has bit (1 << TLV type) set for every
   TLV that was read (or is to be written). Strings are NUL-terminated. */
typedef struct {
    uint8_t  byte_order;       /* FTC_LITTLE_ENDIAN / FTC_BIG_ENDIAN (as read) */
    uint8_t  byte_order_raw;   /* header byte 2 as found (flow-header BROKEN) */
    uint8_t  s_version;        /* 1 or 3 */
    uint8_t  vendor;
    uint32_t header_len;       /* offset of the record area */
    uint32_t present;
    uint16_t d_version;
    uint8_t  agg_version;
    uint8_t  agg_method;
    uint32_t exporter_ip;
    uint32_t cap_start;
    uint32_t cap_end;
    uint32_t flags;
    uint32_t rot_schedule;
    uint32_t flows_count;
    uint32_t flows_lost;
    uint32_t flows_misordered;
    uint32_t pkts_corrupt;
    uint32_t seq_reset;
    uint8_t  interrupt;
    char     cap_hostname[16384];
    char     comments[16384];
    /* IF_NAME / IF_ALIAS TLVs: type, offset and length of each value in the
       header bytes given to ftc_header_parse() */
    uint32_t n_ifmap;
    uint16_t ifmap_type[256];
    uint16_t ifmap_off[256];
    uint16_t ifmap_len[256];
} ftc_header_t;

/* ---- layout.c ---- */
int ftc_abi_version(void);
const char *ftc_strerror(int status);
int ftc_rectype(unsigned version, unsigned agg_method);      /* >=0 or FTC_E* */
const ftc_layout_t *ftc_layout_get(int rectype);             /* NULL if bad */
int ftc_field_width(int field);                               /* 1, 2, 4 or 0 */
const char *ftc_field_name(int field);                        /* flow-tools name */

/* ---- header.c ---- */
/* Parse a stream header from buf[0..len).  FTC_OK: h filled, the record area
   starts at h->header_len.  FTC_EAGAIN: *need = bytes needed so far (read
   more and call again with the longer buffer).  Other: error. */
int ftc_header_parse(const uint8_t *buf, size_t len, ftc_header_t *h, size_t *need);
/* Encode h as a stream-3 header in byte order `byte_order`, TLVs in
   ascending type order for every bit of h->present (EX_VER, AGG_VER and
   AGG_METHOD as given).  *len = bytes written (multiple of 4). */
int ftc_header_encode(const ftc_header_t *h, int byte_order, uint8_t *out,
                      size_t cap, size_t *len);

/* ---- stream.c ---- */
/* Is the host little endian? (1/0) */
int ftc_host_little(void);
/* Swap every field of n records of type rt in place (pads untouched). */
int ftc_recs_swap(int rt, uint8_t *recs, size_t n);
/* Convert n stream-v1 "compat" 60-byte records (file order, swap != 0 when
   the file is the other byte order) into host-order records of type rt
   (FTC_RT_V1 or FTC_RT_V5). */
int ftc_recs_from_compat(int rt, const uint8_t *in, size_t n, int swap, uint8_t *out);
/* flow-gen: records start..start+n-1 of type rt, host order, into out. */
int ftc_recs_gen(int rt, uint32_t start, size_t n, uint8_t *out);
/* v1006 holds IPv4 and IPv6 flows; an IPv4 flow has srcaddr and dstaddr
   IPv4-mapped (::ffff:a.b.c.d), its nexthop mapped too.
   ftc_rec_is_ipv4: 1 when the host-order record rec of type rt is an IPv4
   flow (every record of the other types), 0 when not, FTC_EINVAL. */
int ftc_rec_is_ipv4(int rt, const uint8_t *rec);
/* Keep the IPv4 flows of n host-order records of type rt, in order, at the
   start of recs; *kept = their number (n for the IPv4 record types).  The
   conversions of v1006 into the IPv4 types run it first. */
int ftc_recs_keep_ipv4(int rt, uint8_t *recs, size_t n, size_t *kept);

/* ---- inflate.c (the record area of a compressed stream, formats.md 3) ----
   One zlib (RFC 1950) stream inflated straight into the caller's batch
   buffer: no buffer of its own per call, so reading a compressed file
   allocates nothing per batch.  ftc_inflate_run inflates in[0..in_len)
   into out[0..out_cap): *used = input bytes consumed, *made = bytes
   written.  Returns 0 (more may come: call again with more input or more
   room), 1 (the stream ended; input after it is not consumed), or a
   negative zlib code (Z_NEED_DICT is given as 2): the stream is damaged,
   and *made still counts every byte inflated before the damage (they are
   in out).  ftc_inflate_msg: zlib's text of the last error, or "". */
typedef struct ftc_inflate ftc_inflate_t;
ftc_inflate_t *ftc_inflate_new(void);
void ftc_inflate_free(ftc_inflate_t *z);
int ftc_inflate_run(ftc_inflate_t *z, const uint8_t *in, size_t in_len, uint8_t *out,
                    size_t out_cap, size_t *used, size_t *made);
const char *ftc_inflate_msg(ftc_inflate_t *z);

/* ---- columns.c (Arrow/Parquet: records <-> columns) ---- */
#define FTC_COL_START  -1    /* virtual column: absolute First, int64 ms since 1970 */
#define FTC_COL_END    -2    /* virtual column: absolute Last (ftc_flow_ms) */
#define FTC_COL_SRCADDR6 -3  /* virtual columns of v1006: the 128-bit address, */
#define FTC_COL_DSTADDR6 -4  /* 16 bytes in network order (its four words) */
#define FTC_COL_NEXTHOP6 -5
/* Columns of n host-order records of type rt: column k holds the values of
   field[k] (enum ftc_field, or FTC_COL_START/FTC_COL_END) as n host-order
   unsigned integers of ftc_field_width bytes (int64 for the times, 16
   network-order bytes for the v1006 addresses) at out + off[k]; every column must fit in out_size bytes and rt must have
   its field (else FTC_EINVAL). */
int ftc_recs_columns(int rt, const uint8_t *recs, size_t n, const int32_t *field,
                     const uint64_t *off, size_t ncols, uint8_t *out, size_t out_size);
/* The inverse: n host-order records of type rt at out (zeroed first, so
   pads and unlisted fields are 0) from columns col[k] (col_size[k] bytes)
   of n host-order values of field[k]'s width (record fields only); a
   column shorter than n values is FTC_EINVAL. */
int ftc_recs_from_columns(int rt, const uint8_t *const *col, const size_t *col_size,
                          const int32_t *field, size_t ncols, size_t n, uint8_t *out,
                          size_t out_size);

/* ---- fmt.c (flow-print formats) ---- */
#define FTC_FMT_COUNT      26     /* formats 0..25 */
#define FTC_FMT_REF_COUNT  25     /* 0..24 are the reference's; 25 is v1006's */
#define FTC_FMT_NAMES      0x01   /* -n: symbolic names */
#define FTC_FMT_WIDE       0x02   /* -w: wide variants */
#define FTC_FMT_LINE_MAX   1024   /* cap must exceed this for any progress */
#define FTC_FMT_HEADER_MAX 512    /* longest column header text */
#define FTC_SYM_NONE       0xFFFFFFFF  /* "no name" in a symbol offset array */
#define FTC_SYMK_PROT      1      /* the tables of an ftc_symtab_t */
#define FTC_SYMK_PORT      2
#define FTC_SYMK_AS        3
#define FTC_SYMK_TAG       4

/* Symbol tables (caller-owned).  Each *_off array maps a number to the
   offset of a NUL-terminated name in `blob`, or FTC_SYM_NONE.  prot_off has
   256 entries, port_off and as_off 65536; tags are n_tag sorted keys with
   their offsets.  A NULL array means "no names" for that table.  blob holds
   blob_len bytes, the last a NUL; an offset at or past blob_len reads as
   "no name". */
typedef struct {
    const char *blob;
    size_t blob_len;
    const uint32_t *prot_off;
    const uint32_t *port_off;
    const uint32_t *as_off;
    const uint32_t *tag_key;
    const uint32_t *tag_off;
    size_t n_tag;
} ftc_symtab_t;

/* Formatter state (caller-owned, zero it before the first call): local
   times of recently seen minutes, slot = minute % FTC_FMT_TCACHE. */
#define FTC_FMT_TCACHE 8
typedef struct {
    int64_t minute;       /* seconds / 60 of the cached minute */
    int32_t kind;         /* 0 empty, 1 cached, 2 convert directly */
    int32_t year, mon, mday, hour, min;
} ftc_fmt_tslot_t;
typedef struct {
    ftc_fmt_tslot_t slot[8];   /* FTC_FMT_TCACHE entries */
} ftc_fmt_state_t;

/* The text flow-print gives a 128-bit address w[0..4) (host-order words,
   most significant first): a dotted quad when IPv4-mapped, else RFC 5952
   (at most FTC_ADDR6_TEXT_MAX characters, no NUL). */
#define FTC_ADDR6_TEXT_MAX 39
int ftc_fmt_addr6(const uint32_t *w, char *out, size_t cap, size_t *len);
/* Default format for a record type (flow-print without -f). */
int ftc_fmt_default(int rt);
/* FTC_OK if format fmt can print records of type rt, FTC_EFORMAT for no such
   format, FTC_EFIELD when the record type lacks a field the format needs. */
int ftc_fmt_check(int fmt, int rt);
/* Which symbol tables (bit 0 prot, 1 port, 2 AS, 3 tag) format fmt uses
   with options opts (0 without FTC_FMT_NAMES). */
unsigned ftc_fmt_symbols(int fmt, unsigned opts);
/* Column header text of format fmt into out[0..cap); *len = bytes. */
int ftc_fmt_header(int fmt, int rt, unsigned opts, char *out, size_t cap, size_t *len);
/* Format records recs[0..n) of type rt as text into out[0..cap).  Whole
   records only: *consumed records were used, *len bytes written.  Returns
   FTC_OK when all n were consumed, FTC_EFULL when the buffer filled first
   (write out, call again with recs + *consumed).  *bogus = number of
   consumed records skipped for dPkts == 0 (formats 1, 2, 24; the caller
   reports them). */
int ftc_fmt_records(const uint8_t *recs, size_t n, int rt, int fmt, unsigned opts,
                    const ftc_symtab_t *sym, ftc_fmt_state_t *st,
                    char *out, size_t cap, size_t *len, size_t *consumed,
                    size_t *bogus);
/* Parse the text of a symbol file (commands.md 1.7) in place: text[0..len)
   plus one writable byte at text[len].  Every entry's name is NUL-terminated
   where it ends; keys[i] = its number (C base auto-detection, as strtoul,
   cut to 32 bits), offs[i] = base + offset of its name in text, in file
   order.  *n = entries.  FTC_EFORMAT: a line has no number or no name
   (*bad_line = its 1-based number); FTC_EFULL: more than cap entries;
   FTC_EINVAL: a NULL pointer, or base + len past 32 bits. */
int ftc_sym_parse(uint8_t *text, size_t len, uint32_t base, uint32_t *keys,
                  uint32_t *offs, size_t cap, size_t *n, size_t *bad_line);
/* table[0..size) = FTC_SYM_NONE, then table[keys[i]] = offs[i] for every
   key < size in order (the last duplicate wins). */
int ftc_sym_index(const uint32_t *keys, const uint32_t *offs, size_t n,
                  uint32_t *table, size_t size);

/* ---- filter.c (filter programs) ---- */
/* A filter program is a flat array of instructions evaluated per record:
   each computes a value, tests it, and continues at jt (true) or jf
   (false); FTC_PROG_ACCEPT / FTC_PROG_REJECT end the evaluation.  Jumps
   only go forward, so every evaluation ends.  Programs are compiled in
   Python for one record type (field offsets resolved) from both filter
   languages (flow-filter lists and ACLs, flow-nfilter's filter.cfg). */
#define FTC_PROG_ACCEPT   -1
#define FTC_PROG_REJECT   -2

/* operations */
#define FTC_OP_TRUE     0   /* always true */
#define FTC_OP_BITMAP   1   /* bit ((value & b) >> c) of the bitmap at table */
#define FTC_OP_RANGES   2   /* value in sorted ranges at table: its verdict, else a != 0 */
#define FTC_OP_CMP      3   /* value <cmp> a (unsigned 64-bit) */
#define FTC_OP_MASKEQ   4   /* (value & b) == a */
#define FTC_OP_CMPF     5   /* (double) value <cmp> d */
#define FTC_OP_SAMPLE   6   /* true for 1 in a records (pseudo-random) */
#define FTC_OP_RANGES6  7   /* 128-bit address in sorted ranges at table: its verdict,
                               else a != 0 (FIELD source, width 16: the address group
                               at offset, v1006) */

/* value sources */
#define FTC_SRC_FIELD     0   /* the record field at offset, width bytes */
#define FTC_SRC_DURATION  1   /* Last - First (u32, ms) */
#define FTC_SRC_START     2   /* absolute time of First, unix seconds */
#define FTC_SRC_END       3   /* absolute time of Last, unix seconds */
#define FTC_SRC_START_TOD 4   /* seconds since local midnight of First */
#define FTC_SRC_END_TOD   5   /* seconds since local midnight of Last */
#define FTC_SRC_PPS       6   /* dPkts / ((Last - First) / 1000.0), 0 when 0 ms */
#define FTC_SRC_BPS       7   /* dOctets * 8 / ((Last - First) / 1000.0) */
#define FTC_SRC_NONE      8   /* no value (OP_TRUE, OP_SAMPLE) */
#define FTC_SRC_OPP       9   /* dOctets / dPkts (double), 0 when dPkts is 0 */

/* comparisons */
#define FTC_CMP_LT 0
#define FTC_CMP_LE 1
#define FTC_CMP_EQ 2
#define FTC_CMP_NE 3
#define FTC_CMP_GE 4
#define FTC_CMP_GT 5

typedef struct {
    uint8_t  op;         /* FTC_OP_* */
    uint8_t  src;        /* FTC_SRC_* */
    uint8_t  width;      /* field width for FTC_SRC_FIELD: 1, 2 or 4; 16 for
                            RANGES6 (offset: word _0 of an address group) */
    uint8_t  cmp;        /* FTC_CMP_* */
    uint8_t  shift;      /* c: right shift after masking (BITMAP) */
    uint8_t  pad[3];
    int32_t  offset;     /* field offset for FTC_SRC_FIELD */
    int32_t  jt, jf;     /* next instruction (> this one), or ACCEPT/REJECT */
    uint32_t table;      /* byte offset of the table in the tables blob */
    uint32_t table_len;  /* its length in bytes */
    uint64_t a, b;
    double   d;
} ftc_insn_t;

/* RANGES tables: uint32 count, then count x {uint32 lo, uint32 hi}
   sorted and disjoint, then count verdict bytes (0/1).
   RANGES6 tables: uint32 count, uint32 0, then count x {uint64 lo_hi,
   lo_lo, hi_hi, hi_lo} (the 128-bit bounds as their upper and lower 64
   bits, host order), sorted and disjoint, then count verdict bytes (0/1).
   The 128-bit value of an address group is its words _0 _1 _2 and the
   last word (srcaddr, dstaddr, nexthop), most significant first. */

/* Caller-owned evaluation state: PRNG and local-time cache (zero it; other
   bytes give other samples, never an unsafe run: the cache is validated). */
typedef struct {
    uint64_t rng;
    int64_t  tod_minute;     /* cached minute for the time-of-day sources */
    int32_t  tod_base;       /* its seconds since local midnight */
    int32_t  tod_valid;
} ftc_filter_state_t;

/* FTC_OK when the program prog[0..nprog) is safe to run on records of
   type rt, else FTC_EPROGRAM (FTC_EINVAL for NULL pointers or a bad rt):
   at least one instruction; jumps forward inside the program or to
   ACCEPT/REJECT; known op, src and cmp; a source of the kind the op takes
   (TRUE and SAMPLE: NONE; BITMAP, RANGES, CMP, MASKEQ: an integer source;
   CMPF: any but NONE; RANGES6: FIELD); a FIELD operand is a field of rt at
   its own offset and width (1, 2 or 4), inside the record, or for RANGES6
   (width 16) the four words of one address group of rt (srcaddr6_0 ..
   srcaddr, dstaddr6_0 .. dstaddr, nexthop6_0 .. nexthop) in a row; the other sources' fields exist
   in rt; every table inside tables[0..tables_len); a BITMAP table covers
   every bit index its masked, shifted value can take (shift < 64); a RANGES
   or RANGES6 table holds its count's ranges (sorted, disjoint, lo <= hi)
   and verdicts (0/1).  The rule per operand: filter.c, "validation".  ftc_filter_apply()
   and ftc_filter_select() run this check themselves, once per call; any
   bytes in their state are safe. */
int ftc_filter_check(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                     size_t tables_len, int rt);
/* Keep the records of recs[0..n) the program accepts, compacted to the
   front in order; *kept = their number.  FTC_EPROGRAM: the program fails
   ftc_filter_check (records untouched). */
int ftc_filter_apply(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                     size_t tables_len, int rt, ftc_filter_state_t *st, uint8_t *recs,
                     size_t n, size_t *kept);
/* sel[i] = 1 when record i is accepted, else 0; returns the count. */
int ftc_filter_select(const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                      size_t tables_len, int rt, ftc_filter_state_t *st,
                      const uint8_t *recs, size_t n, uint8_t *sel);

/* ---- ftc_table.h, table.c (THE hash table) ---- */
/* The one open-addressing hash table of the core (aggregation, distinct
   pairs, portrank, exporter sequences), caller-owned: `slot` holds `size`
   bytes, at least cap * stride, zeroed before first use, 8-byte aligned.
   A slot is [value: val_len bytes][tag: uint32][key: key_len bytes][zero
   pad to a multiple of 8] (stride bytes); tag 0 marks a free slot.  The
   value is the kind's slot struct up to its `tag` member.  cap is a power
   of two in [FTC_TAB_MIN_CAP, FTC_TAB_MAX_CAP]; a table takes at most
   3/4 cap keys, or `limit` when that is lower.  A kernel that needs a key more in a table at that load
   sets its `full`, changes nothing for the record (datagram) it could not
   take and returns FTC_EFULL: grow every table marked full (ftc_tab_rehash
   into a bigger zeroed table of the same kind and key length) and call
   again (from *done where the kernel says so). */
#define FTC_TAB_AGG       1   /* value ftc_agg_slot_t: counters per key */
#define FTC_TAB_SET       2   /* no value: a set of keys */
#define FTC_TAB_PR        3   /* value ftc_pr_slot_t (portrank) */
#define FTC_TAB_SEQ       4   /* value ftc_seq_slot_t (sequence accounting) */
#define FTC_TAB_AGGT      5   /* value ftc_agg_slot_t with times: FTC_AGG_TIMES */
#define FTC_TAB_MIN_CAP   4
#define FTC_TAB_MAX_CAP   0x80000000
#define FTC_KEY_MAX       64   /* key bytes */
#define FTC_KEY_FIELDS    16   /* record fields in a key */

typedef struct {
    uint8_t *slot;
    uint64_t size;       /* bytes at slot */
    uint32_t cap;        /* slots */
    uint32_t used;       /* keys */
    uint32_t kind;       /* FTC_TAB_* */
    uint32_t key_len;    /* key bytes */
    uint32_t val_len;    /* value bytes (the tag follows) */
    uint32_t key_off;    /* val_len + 4 */
    uint32_t stride;     /* bytes per slot */
    uint32_t full;       /* set by a kernel that returned FTC_EFULL */
    uint32_t limit;      /* the most keys, when below 3/4 cap (0: none): set by
                            the caller after ftc_tab_init; a kernel needing a
                            key more returns FTC_EFULL at it, as at 3/4 cap */
} ftc_tab_t;

/* Bytes per slot of a table of `kind` with key_len-byte keys; FTC_EINVAL
   for a bad kind or key length. */
int64_t ftc_tab_stride(int kind, uint32_t key_len);
/* Describe in *t the table of `kind`, key_len-byte keys and cap slots over
   mem[0..size) (zeroed by the caller).  FTC_EINVAL when anything does not
   fit (cap not a power of two in range, size < cap * stride, alignment). */
int ftc_tab_init(ftc_tab_t *t, int kind, uint32_t key_len, uint32_t cap, uint8_t *mem,
                 size_t size);
/* Move every key of `from` (with its value) into `to`, an empty table of
   the same kind and key length with room for them all. */
int ftc_tab_rehash(const ftc_tab_t *from, ftc_tab_t *to);
/* Look key[0..len) (len = t->key_len) up: 1 and *index = its slot, 0 when
   absent, FTC_EINVAL. */
int ftc_tab_find(const ftc_tab_t *t, const uint8_t *key, size_t len, uint32_t *index);
/* The indexes of the used slots from *pos on, in slot order, at most cap
   into idx; *pos = where to go on (t->cap: done).  Returns the count. */
int64_t ftc_tab_slots(const ftc_tab_t *t, uint32_t *pos, uint32_t *idx, size_t cap);

/* ---- partial.c: partial tables of parallel and distributed runs ----
   A table travels between processes as bytes: a 32-byte head (magic
   "FTCP", FTC_PART_VERSION, kind, key_len, val_len, the byte-order mark
   0x01020304 as written by the host, the number of entries as u64), then
   one entry a key, its value (val_len bytes, host order) then its key.
   Aggregation tables (FTC_TAB_AGG, AGGT, AGGR) list their keys in order
   of first appearance (seq), the other kinds in slot order.  Only FTC_TAB_AGG,
   AGGT, AGGR, SET and PR tables travel. */
#define FTC_PART_HEAD     32
#define FTC_PART_VERSION   1
/* Bytes ftc_part_export writes for t; FTC_EINVAL. */
int64_t ftc_part_size(const ftc_tab_t *t);
/* Write t's partial into out[0..cap) (cap >= ftc_part_size(t)); scratch:
   t->used uint32 (aggregation tables; NULL for the others).  Returns the
   bytes written, FTC_EFULL (cap too small), FTC_EINVAL. */
int64_t ftc_part_export(const ftc_tab_t *t, uint32_t *scratch, size_t nscratch, uint8_t *out,
                        size_t cap);
/* Merge the partial in[0..len) into t from entry *done on, exactly as if
   t had counted the partial's records after its own: counters summed,
   first/last and rate minima/maxima kept, a new key numbered t->used (so
   merging partials in the order of their inputs keeps the order of first
   appearance).  An aggregation table's distinct counts are not taken
   from the partial: merge its pairs table (FTC_TAB_SET) with `owner` =
   the aggregation table instead, and every pair new to t adds 1 to its
   key's distinct count (owner's key: the first owner->key_len bytes of the
   pair).  FTC_OK (*done = entries), FTC_EFULL (a table marked full, *done
   = entries merged: grow it and call again), FTC_EBADMAGIC (not a partial,
   another version or byte order), FTC_EINVAL (another kind or key length,
   an owner that does not fit), FTC_ETRUNC (fewer or more bytes than the
   head says).  A key listed twice is merged twice. */
int ftc_part_merge(ftc_tab_t *t, ftc_tab_t *owner, const uint8_t *in, size_t len,
                   size_t *done);

/* report-wide totals (stat.c; agg.c counts them too) */
#define FTC_STAT_HIST 26
typedef struct {
    uint64_t records, ignores, flows, octets, packets, duration, frecs;
    uint32_t min_secs, max_secs;     /* unix_secs; 0xFFFFFFFF / 0 when none */
    uint32_t min_first, max_last;    /* raw First / Last; 0xFFFFFFFF / 0 when none */
    double pps_sum, pps_min, pps_max, bps_sum, bps_min, bps_max;
    uint64_t hist_psize[26], hist_fpsize[26], hist_fosize[26], hist_ftime[26];
} ftc_stat_tot_t;
#define FTC_STAT_HISTS   0x01   /* fill the histograms */
#define FTC_STAT_DFLOWS  0x02   /* flows += dFlows when the record type has it */
#define FTC_STAT_RATES   0x04   /* pps and bps (two divisions a record: only when shown) */

/* ---- agg.c (the aggregation kernel) ---- */
/* A key is a list of fields, packed in order at fixed offsets, each
   big-endian in its flow-tools width (so keys compare as numbers, field by
   field).  Fields are record fields (enum ftc_field) or virtual fields
   computed per record (FTC_V_*).  ftc_key_spec() fills the spec from field
   ids; with has_mask, field j is ANDed with mask[j] (flow-report tag-mask). */
typedef struct {
    int32_t  field[16];    /* FTC_KEY_FIELDS: enum ftc_field or FTC_V_* */
    uint16_t off[16];      /* byte offset of each field in the key */
    uint16_t width[16];    /* its width in bytes */
    uint32_t n;            /* fields */
    uint32_t key_len;      /* bytes */
    uint32_t has_mask;     /* 1: AND field j with mask[j] */
    uint32_t mask[16];
} ftc_key_spec_t;

#define FTC_V_BASE       64   /* virtual fields (32-bit unless said) */
#define FTC_V_PKTSIZE    64   /* dOctets / dPkts (0 when dPkts is 0) */
#define FTC_V_BPS        65   /* (uint32) (dOctets * 8 / ((Last - First) / 1000.0)); 0 when Last == First */
#define FTC_V_PPS        66   /* the same with dPkts */
#define FTC_V_DURATION   67   /* Last - First */
#define FTC_V_DSTTYPE    68   /* 8 bits: dstaddr class: 0 A, 1 B, 2 C, 3 224/4 but 232/8, 4 232/8, 5 240/4;
                                 v1006: an IPv6 (not IPv4-mapped) dstaddr 6, 7 in ff00::/8 */
#define FTC_V_SRCPREFIX  69   /* srcaddr & netmask(src_mask) */
#define FTC_V_DSTPREFIX  70   /* dstaddr & netmask(dst_mask) */
/* 128-bit address keys of v1006 (16 bytes, the address big-endian, so keys
   order as 128-bit numbers: an IPv4-mapped ::ffff:a.b.c.d where its value
   puts it).  The record's four words must lie in order at consecutive
   offsets (FTC_EFIELD on the IPv4 record types). */
#define FTC_V_SRCADDR6   71   /* srcaddr6_0, _1, _2, srcaddr */
#define FTC_V_DSTADDR6   72   /* dstaddr6_0, _1, _2, dstaddr */
#define FTC_V_NEXTHOP6   73   /* nexthop6_0, _1, _2, nexthop */
/* the address masked by src_mask: an IPv4-mapped address keeps its upper
   96 bits and ANDs its last word with netmask(src_mask) as FTC_V_SRCPREFIX
   (lengths 0..32, so IPv4 flows key as on v5); any other keeps its first
   src_mask bits (0: ::, 128 and above: the whole address) */
#define FTC_V_SRCPREFIX6 74
#define FTC_V_DSTPREFIX6 75   /* the same with dstaddr and dst_mask */
#define FTC_V_END        76

int ftc_key_spec(ftc_key_spec_t *k, const int32_t *fields, size_t n);

/* The counters of an aggregation slot; the table's tag and the key
   follow.  An FTC_TAB_AGG slot holds the first FTC_AGG_VAL_LEN bytes
   (flows to seq); FTC_TAB_AGGT up to duration; FTC_TAB_AGGR all.  A table
   that needs no times thus takes 40 bytes a slot for an IPv4 key, 56 with
   times. */
typedef struct {
    uint64_t flows;      /* records (or the sum of dFlows: FTC_AGG_DFLOWS) */
    uint64_t octets;     /* sum of dOctets (times scale) */
    uint64_t packets;    /* sum of dPkts (times scale) */
    uint32_t distinct;   /* distinct peer keys (with a pairs table) */
    uint32_t seq;        /* order of first appearance: 0, 1, 2, ... */
    uint32_t first;      /* FTC_TAB_AGGT: earliest start, unix seconds */
    uint32_t last;       /* FTC_TAB_AGGT: latest end, unix seconds */
    uint64_t duration;   /* FTC_TAB_AGGT: sum of Last - First, ms */
    uint64_t frecs;      /* FTC_TAB_AGGR: records with Last != First */
    double pps_sum, pps_min, pps_max;   /* FTC_TAB_AGGR: over those records; */
    double bps_sum, bps_min, bps_max;   /* min 0 = unset */
    double lflows, loctets, lpackets;   /* FTC_TAB_AGGR, ftc_lin_add: shares per second */
} ftc_agg_slot_t;

#define FTC_TAB_AGGR       6    /* value ftc_agg_slot_t with rates: FTC_AGG_RATES */
#define FTC_AGG_VAL_LEN   32    /* the FTC_TAB_AGG part: flows .. seq */
#define FTC_AGGT_VAL_LEN  48    /* the FTC_TAB_AGGT part: .. duration */
#define FTC_AGG_TIMES    0x01   /* duration, first, last too (FTC_TAB_AGGT) */
#define FTC_AGG_RATES    0x02   /* times, frecs, pps and bps too (FTC_TAB_AGGR) */
#define FTC_AGG_DFLOWS   0x04   /* flows += dFlows when the record type has it */
#define FTC_AGG_EACH     0x08   /* count each record under each key field (all one width) */
#define FTC_AGG_DURATION 0x10   /* duration only (FTC_TAB_AGGT; first and last stay 0) */

/* Count records i in [*done, n) of type rt (recs holds size bytes, sel
   NULL or n bytes: sel[i] != 0 counts) into t (FTC_TAB_AGG; FTC_TAB_AGGT
   with FTC_AGG_TIMES; FTC_TAB_AGGR with FTC_AGG_RATES) by key (key_len =
   key->key_len, or one field's width with FTC_AGG_EACH); FTC_AGG_DURATION
   takes an FTC_TAB_AGGT table too.  FTC_AGG_RATES sums durations but
   leaves first and last 0 unless FTC_AGG_TIMES is set too.  scale != 0:
   dPkts and dOctets are multiplied by it.  With pairs (FTC_TAB_SET,
   key_len = key->key_len + peer->key_len), the key and peer fields of
   each record are inserted there too, and a new pair adds 1 to the key's
   distinct count (not with FTC_AGG_EACH).  FTC_OK
   (*done = n), FTC_EFULL (*done = records counted; grow the tables marked
   full), FTC_EFIELD (the record type lacks a field), FTC_EINVAL.
   tot: NULL, or report-wide totals counted in the same pass (as
   ftc_stat_tot_add with tot_flags FTC_STAT_DFLOWS / FTC_STAT_RATES; not
   FTC_STAT_HISTS): then a record whose dPkts (times scale) is 0 is not
   counted, only added to tot->ignores. */
int ftc_agg_add(ftc_tab_t *t, const ftc_key_spec_t *key, ftc_tab_t *pairs,
                const ftc_key_spec_t *peer, unsigned flags, uint32_t scale, int rt,
                const uint8_t *recs, size_t n, size_t size, const uint8_t *sel,
                ftc_stat_tot_t *tot, unsigned tot_flags, size_t *done);

#define FTC_AGG_BY_FLOWS     0
#define FTC_AGG_BY_OCTETS    1
#define FTC_AGG_BY_PACKETS   2
#define FTC_AGG_BY_DISTINCT  3
#define FTC_AGG_BY_DURATION  4
#define FTC_AGG_BY_FIRST     5
#define FTC_AGG_BY_LAST      6
#define FTC_AGG_BY_KEY       7   /* key ascending (ftc_agg_order: field `field`, -1 all) */
#define FTC_AGG_BY_SEQ       8   /* first appearance */
#define FTC_AGG_BY_FRECS     9
#define FTC_AGG_BY_PPS_AVG  10   /* pps_sum / frecs (0 when frecs is 0) */
#define FTC_AGG_BY_PPS_MIN  11
#define FTC_AGG_BY_PPS_MAX  12
#define FTC_AGG_BY_BPS_AVG  13
#define FTC_AGG_BY_BPS_MIN  14
#define FTC_AGG_BY_BPS_MAX  15
#define FTC_AGG_BY_COUNT    16
#define FTC_AGG_BY_LFLOWS   17   /* ftc_lin_add's doubles */
#define FTC_AGG_BY_LOCTETS  18
#define FTC_AGG_BY_LPACKETS 19

/* The used slots' indexes best first: counter `by` descending, ties by key
   ascending (FTC_AGG_BY_KEY: key ascending); slots whose counter is below
   min_value left out; at most max into idx.  idx and scratch hold n_idx
   >= t->used entries each.  Returns the count written. */
int64_t ftc_agg_rank(const ftc_tab_t *t, int by, uint64_t min_value, size_t max,
                     uint32_t *idx, uint32_t *scratch, size_t n_idx);

/* Every used slot's index into idx (n_idx >= t->used entries; scratch 5 *
   n_idx entries, 8-byte aligned; NULL for by and tie FTC_AGG_BY_SEQ
   without init) in the ascending order of (by, tie), tie FTC_AGG_BY_SEQ
   or FTC_AGG_BY_KEY; desc != 0 reverses that whole order.  init: NULL, or
   the t->used slot indexes of an earlier order: the sort starts from it
   (stable: ties keep it; tie is then unused).  by FTC_AGG_BY_KEY with
   field >= 0 compares key fields field .. field + nfields - 1 of `key`
   (the spec the table was filled with) only; field -1: the whole key.
   Returns the count (t->used). */
int64_t ftc_agg_order(const ftc_tab_t *t, const ftc_key_spec_t *key, int by, int field,
                      int nfields, int tie, int desc, const uint32_t *init, uint32_t *idx,
                      uint32_t *scratch, size_t n_idx);

/* Sums of the counters of slots idx[0..n) (flow-report's #TALLY lines). */
typedef struct {
    uint64_t flows, octets, packets, duration, frecs, distinct;
    double pps_sum, bps_sum;
} ftc_agg_sum_t;
int ftc_agg_sum(const ftc_tab_t *t, const uint32_t *idx, size_t n, ftc_agg_sum_t *out);

/* flow-report linear-interpolated-flows-octets-packets: records i in
   [*done, n) selected by sel spread over the seconds from their start to
   their end (absolute times, commands.md 1.8): each of the d = end -
   start + 1 seconds (a u32 key in t, FTC_TAB_AGGR) gets flows/d (dFlows
   with FTC_AGG_DFLOWS), octets/d and packets/d (times scale) added to
   lflows, loctets, lpackets.  A record spanning more than
   FTC_LIN_MAX_SPAN seconds: FTC_ERANGE, *done = its index.  FTC_EFULL as
   ftc_agg_add. */
#define FTC_LIN_MAX_SPAN  604800     /* a week of seconds */
int ftc_lin_add(ftc_tab_t *t, unsigned flags, uint32_t scale, int rt, const uint8_t *recs,
                size_t n, size_t size, const uint8_t *sel, size_t *done);

/* A column of ftc_agg_format: a value of the slot (src: FTC_AGG_BY_*
   counters, FTC_COL_KEY with `field`, FTC_COL_INDEX, FTC_COL_TEXT)
   rendered as `kind`, left-justified to `width` (0: as is), cut to `cut`
   characters (0: not), then sep[0..sep_len). */
#define FTC_COL_KEY       32   /* key field `field` */
#define FTC_COL_INDEX     33   /* the row number: index_start, index_start + 1, ... */
#define FTC_COL_TEXT      34   /* nothing but the separator */
#define FTC_CK_DEC         0   /* unsigned decimal */
#define FTC_CK_IP          1   /* dotted quad; a 16-byte key field: ftc_fmt_addr6's text */
#define FTC_CK_PREFIX      2   /* flow-print prefix of the address and key field len_field;
                                  a 16-byte address: IPv4-mapped as the dotted prefix of its
                                  last word, else RFC 5952 text "/" length */
#define FTC_CK_SYM         3   /* name in sym (table sym_kind), else decimal */
#define FTC_CK_F           4   /* printf %f */
#define FTC_CK_PCT         5   /* %f of value / total * 100; -nan when total is 0 */
#define FTC_CK_PCT3        6   /* %-6.3f of value / total * 100 */
#define FTC_COL_SEP_MAX   16
#define FTC_COL_CELL_MAX 128   /* longest cell before padding */
typedef struct {
    int32_t src;
    int32_t kind;
    int32_t field;
    int32_t len_field;
    int32_t width;
    int32_t cut;
    int32_t sym_kind;
    int32_t sep_len;
    char sep[16];          /* FTC_COL_SEP_MAX */
    double total;
    const ftc_symtab_t *sym;
} ftc_col_t;

/* The rows of slots idx[0..n) as text lines (cols[0..ncols) then "\n")
   into out[0..cap).  Whole rows only: *done rows written in *len bytes;
   FTC_OK when all n were, FTC_EFULL when out filled first (write it out,
   call again from idx + *done with index_start + *done).  cap must exceed
   ncols * (FTC_COL_CELL_MAX + width + FTC_COL_SEP_MAX) + 1 for progress. */
int ftc_agg_format(const ftc_tab_t *t, const ftc_key_spec_t *key, const ftc_col_t *cols,
                   size_t ncols, const uint32_t *idx, size_t n, uint64_t index_start,
                   char *out, size_t cap, size_t *len, size_t *done);
/* Does key field `field` (16 bytes: FTC_V_*ADDR6, FTC_V_*PREFIX6) of any
   used slot of t hold an address that is not IPv4-mapped?  1 yes, 0 no
   (the reports then print their IPv4 widths), FTC_EINVAL. */
int ftc_agg_key_ipv6(const ftc_tab_t *t, const ftc_key_spec_t *key, int field);

/* ---- stat.c (report-wide counters of flow-stat and flow-report) ---- */

/* The first record i in [start, n) whose unix_secs exceeds `limit` (n
   when none): flow-report's time-series split; FTC_EINVAL. */
int64_t ftc_stat_split(int rt, const uint8_t *recs, size_t n, size_t size, size_t start,
                       uint32_t limit);
/* ftc_stat_tot_init: the empty totals (min_* at their maximum). */
void ftc_stat_tot_init(ftc_stat_tot_t *tot);
/* Count records [0, n) of type rt selected by sel (NULL: all) into tot;
   out[i] = 1 for the records counted (dPkts * scale != 0, scale 0 = 1),
   0 for the others (ignored ones only add to ignores).  Returns the
   number counted, FTC_EFIELD (no dPkts), FTC_EINVAL. */
int64_t ftc_stat_tot_add(ftc_stat_tot_t *tot, unsigned flags, uint32_t scale, int rt,
                         const uint8_t *recs, size_t n, size_t size, const uint8_t *sel,
                         uint8_t *out);
/* Add the totals src into dst as if dst had counted src's records after
   its own (partial.c: sums, bounds, rate extremes, histograms). */
void ftc_stat_tot_merge(ftc_stat_tot_t *dst, const ftc_stat_tot_t *src);

/* ---- icmp.c (flow-icmpdecode) ---- */
/* ICMP flows keep type and code in dstport: type = dstport >> 8, code =
   dstport & 0xFF.  Names follow the IANA registry (man flow-icmpdecode). */
#define FTC_ICMP_TSV       0x01   /* tab-separated listing, no padding */
#define FTC_ICMP_LINE_MAX  256    /* cap must exceed this for any progress */
/* Name of ICMP type `type`, or NULL when it has none. */
const char *ftc_icmp_type_name(unsigned type);
/* Name of code `code` of type `type`: NULL when unknown (or the type is);
   "-" for code 0 of a known type that defines no codes. */
const char *ftc_icmp_code_name(unsigned type, unsigned code);
/* The same for ICMPv6 (protocol 58, v1006 records: type and code in dstport
   as for ICMP); the listing names a protocol 58 flow from these. */
#define FTC_ICMP6_PROT     58
const char *ftc_icmp6_type_name(unsigned type);
const char *ftc_icmp6_code_name(unsigned type, unsigned code);
/* FTC_OK when records of type rt have every field the listing prints,
   FTC_EFIELD when not, FTC_EINVAL for a bad rt. */
int ftc_icmp_check(int rt);
/* Column header line of the listing into out[0..cap); *len = bytes. */
int ftc_icmp_header(unsigned opts, char *out, size_t cap, size_t *len);
/* List records recs[0..n) of type rt, one line each (source, destination,
   type, code, their names, dPkts, dOctets, bytes per packet), into
   out[0..cap).  Whole lines only: *consumed records, *len bytes.  FTC_OK
   when all n were consumed, FTC_EFULL when the buffer filled first. */
int ftc_icmp_format(const uint8_t *recs, size_t n, int rt, unsigned opts,
                    char *out, size_t cap, size_t *len, size_t *consumed);

/* ---- zone.c (flow-zonecheck, flow-topn) ---- */
/* Special zones.  Address sets are built from prefixes into sorted,
   disjoint ranges; a range carries the value of its LONGEST covering
   prefix (longest prefix match), so a lookup is one binary search.
   Addresses are 128-bit, as four words most significant first; an IPv4
   address or prefix is its IPv4-mapped form (::ffff:a.b.c.d, length + 96),
   as IPv4 flows are in v1006 and IPv4 records are mapped by the lookups. */
typedef struct {
    uint32_t net[4];     /* network, no bits beyond len */
    uint32_t len;        /* 0..128 */
    uint32_t value;      /* what an address under this prefix maps to */
} ftc_zone_prefix_t;

typedef struct {
    uint64_t lo[2], hi[2];   /* addresses, inclusive: [0] the upper 64 bits, [1] the lower */
    uint32_t value;
} ftc_zone_range_t;

/* Sort pfx[0..n) in place and paint it into ranges out[0..cap): *nout
   ranges, at most 2n.  FTC_EINVAL for a bad or duplicate prefix,
   FTC_EFULL when cap is too small. */
int ftc_zone_ranges(ftc_zone_prefix_t *pfx, size_t n, ftc_zone_range_t *out,
                    size_t cap, size_t *nout);
/* Value of the range holding addr (four words), or -1. */
int64_t ftc_zone_lookup(const ftc_zone_range_t *r, size_t n, const uint32_t *addr);

/* A service key is (prot << 16) | port; svc[svc_start[z] .. svc_start[z+1])
   are the allowed services of zone entry z as sorted, disjoint inclusive
   ranges {lo, hi} of keys. */
typedef struct {
    const ftc_zone_range_t *zones;   /* address -> zone entry (value) */
    size_t n_zones;
    const ftc_zone_range_t *inside;  /* the enterprise's networks (-L) */
    size_t n_inside;
    const uint32_t *svc_start;       /* entries + 1 */
    const uint32_t *svc;             /* pairs lo, hi */
    size_t n_entries;                /* zone entries */
} ftc_zone_db_t;

#define FTC_ZONE_ALERT     1      /* level */
#define FTC_ZONE_RED       2
#define FTC_ZONE_INGRESS   1      /* direction */
#define FTC_ZONE_EGRESS    2
#define FTC_ZONE_TSV       0x01   /* ftc_zone_format: tab-separated */
#define FTC_ZONE_LINE_MAX  256    /* longest alert line (two IPv6 addresses) */

typedef struct {
    uint64_t start_ms;   /* absolute time of First, ms */
    uint32_t index;      /* record number in the batch */
    uint32_t entry;      /* zone entry of the server */
    uint32_t server[4], peer[4];   /* 128-bit, words most significant first (IPv4 mapped) */
    uint32_t dPkts, dOctets;
    uint16_t server_port, peer_port;
    uint8_t  prot, tcp_flags;
    uint8_t  level, direction;
} ftc_zone_alert_t;

/* Classify records recs[*done..n) of type rt: ingress = TCP from a peer
   outside `inside` to a zone server, destination port not allowed, ACK set
   and flags != RST|ACK; egress = TCP (flags != RST|ACK) or UDP from a zone
   server to an outside peer, source port not allowed; egress with PSH, or
   UDP, is RED.  Alerts in record order into out[0..cap): *produced.  A
   record may raise two (both ends zone servers).  FTC_EFULL: out is full,
   *done = records classified; call again with a fresh out. */
int ftc_zone_check(const ftc_zone_db_t *db, int rt, const uint8_t *recs, size_t n,
                   size_t *done, ftc_zone_alert_t *out, size_t cap, size_t *produced);
/* Keep the records named by alerts a[0..na) (indexes ascending), compacted
   to the front in order, each once; *kept = their number. */
int ftc_zone_keep(const ftc_zone_alert_t *a, size_t na, int rt, uint8_t *recs,
                  size_t n, size_t *kept);
/* The column title line ("# level ..." aligned, or "#level<TAB>direction
   ..." with FTC_ZONE_TSV) into out[0..cap), cap > FTC_ZONE_LINE_MAX. */
int ftc_zone_header(unsigned opts, char *out, size_t cap, size_t *len);
/* Alerts a[0..na) as text lines (level, direction, server, server port,
   peer, peer port, protocol, flags, packets, octets, start time in local
   time), aligned, or tab-separated with FTC_ZONE_TSV, into out[0..cap);
   whole lines: *consumed alerts, *len bytes; FTC_EFULL when the buffer
   filled first. */
int ftc_zone_format(const ftc_zone_alert_t *a, size_t na, unsigned opts,
                    ftc_fmt_state_t *st, char *out, size_t cap, size_t *len,
                    size_t *consumed);

/* ---- portrank.c (flow-synonly, flow-portrank) ---- */
/* TCP flag rules: a record matches when prot == 6 and
   (tcp_flags & mask) == value. */
#define FTC_TCP_PROT      6
#define FTC_TCP_SYN       0x02   /* SYN only: a probe with no answer */
#define FTC_TCP_RST_ACK   0x14   /* RST|ACK only: a closed port's reply */

/* Per-(host, port) counters in a table of kind FTC_TAB_PR (ftc_table.h):
   key = host field then port field, big-endian in their widths. */
typedef struct {
    uint64_t flows;      /* flows of this host on this port */
    uint64_t hits;       /* of those, flows matching the rule */
    uint32_t tag;        /* the table's */
} ftc_pr_slot_t;

/* One pass over records [*done, n) of type rt (recs holds size bytes):
   host = field host_f, port = field port_f; a record matching (value,
   mask) adds 1 to flows and hits of its (host, port); with all != 0 every
   other record adds 1 to flows too.  host_f FTC_F_SRCADDR6_0 or
   FTC_F_DSTADDR6_0 (v1006) is the whole 128-bit address: its four words,
   16 key bytes.  t: FTC_TAB_PR, key_len = the two widths.  FTC_EFULL: *done records were counted; grow t and call again.
   FTC_EFIELD: the record type lacks a field. */
int ftc_pr_add(ftc_tab_t *t, int rt, const uint8_t *recs, size_t n, size_t size,
               int host_f, int port_f, unsigned value, unsigned mask, int all,
               size_t *done);

/* The report, in three calls.  (1) ftc_pr_hosts: per host, the sums of
   flows and matching flows of its pairs with a matching flow (of all its
   pairs when threshold is 0) into `hosts`, an EMPTY FTC_TAB_PR table whose
   key is the host part of t's key (key_len = the host field's width, 16
   for a 128-bit address).
   FTC_EFULL: give a bigger empty table and call again. */
int ftc_pr_hosts(const ftc_tab_t *t, uint64_t threshold, ftc_tab_t *hosts);
/* (2) The slot indexes of the hosts with hits >= threshold into idx, by
   hits descending, then address ascending (idx and scratch: n_idx >=
   hosts->used entries each).  Returns their number. */
int64_t ftc_pr_rank_hosts(const ftc_tab_t *hosts, uint64_t threshold, uint32_t *idx,
                          uint32_t *scratch, size_t n_idx);

/* One report row: a reported host and one of its ports. */
typedef struct {
    uint32_t host[4];    /* the host as words, most significant first (IPv4: host[3]) */
    uint32_t port;
    uint32_t pad;
    uint64_t host_hits;  /* the host's matching flows (the threshold count) */
    uint64_t flows;      /* the host's flows on this port */
    uint32_t host_rank;  /* 1, 2, ... */
    uint32_t port_rank;  /* 1, 2, ... within the host */
} ftc_pr_row_t;

/* (3) The ports of the reported hosts, idx[0..nh) from ftc_pr_rank_hosts:
   rows by host rank, then flows descending, then port ascending, at most
   max_ports per host (0: all).  rank_of: n_rank_of >= hosts->cap entries
   of scratch; rows and tmp hold cap rows each, order and scratch cap
   indexes each.  *nrows = rows written.  FTC_EFULL: those hosts have
   *nrows (host, port) pairs, more than cap. */
int ftc_pr_ports(const ftc_tab_t *t, const ftc_tab_t *hosts, const uint32_t *idx,
                 size_t nh, size_t max_ports, uint32_t *rank_of, size_t n_rank_of,
                 ftc_pr_row_t *rows, ftc_pr_row_t *tmp, uint32_t *order,
                 uint32_t *scratch, size_t cap, size_t *nrows);

/* ---- net.c (UDP receive) ---- */
/* The one part of the core that does I/O (see net.c): batches of UDP
   datagrams in and out.  A failed system call returns FTC_ESYS with its
   errno value in *err; everything else as elsewhere. */
#define FTC_ESYS        -16   /* a system call failed (*err = errno) */
#define FTC_NET_SLOT    9216  /* receive slot: v1-v8 need 1464, v9/IPFIX up to a jumbo frame */

/* Wait up to timeout_ms (0: do not wait, -1: forever) for fd to become
   readable, then receive up to nslots datagrams without blocking, slot
   bytes each (longer ones are truncated to slot).  Per datagram: lens,
   src_ips (IPv4, host order; 0 for a non-mapped IPv6 source), dst_ips
   (local address from IP_PKTINFO, 0 when unknown), src_ports, src6 (16
   bytes each, IPv4 as ::ffff:a.b.c.d); any of those four may be NULL.  On
   return the *n datagrams are packed back to back from buf[0].  A timeout
   or a signal gives FTC_OK with *n = 0.  buf holds buf_len bytes, at least
   slot x nslots (else FTC_EINVAL). */
int ftc_net_recv(int fd, uint8_t *buf, size_t buf_len, size_t slot, size_t nslots,
                 int timeout_ms,
                 uint32_t *lens, uint32_t *src_ips, uint32_t *dst_ips,
                 uint16_t *src_ports, uint8_t *src6, size_t *n, int *err);
/* Ask for the local destination address of every datagram on fd
   (IP_PKTINFO; with v6 also IPV6_RECVPKTINFO, IP_PKTINFO where allowed). */
int ftc_net_pktinfo(int fd, int v6, int *err);
/* Send n datagrams packed back to back in buf[0..buf_len) (lens[i] bytes
   each; FTC_EINVAL when they add up to more than buf_len) to the socket
   address addr (addrlen bytes; NULL for a connected socket) with
   sendmmsg().  *sent = datagrams sent (all of them on FTC_OK). */
int ftc_net_send(int fd, const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                 const void *addr, uint32_t addrlen, size_t *sent, int *err);

/* ---- pdu.c (NetFlow export datagrams) ---- */
/* Datagrams are big-endian on the wire (formats.md 6); records are host
   order in the stream layout of their record type.  IPv4 addresses are
   host-order u32 values (10.0.0.1 = 0x0A000001). */
#define FTC_PDU_RECV_MAX     2048   /* flow-capture reads at most this much */
#define FTC_PDU_MAX_LEN      1464   /* longest datagram the encoder emits */
#define FTC_PDU_MAX_COUNT    51     /* highest count of any version (8.1, 8.2) */
#define FTC_PDU_DECODE_MAX   3360   /* most record bytes one datagram decodes to (30 x 112) */
#define FTC_SEQ_RESET_GAP    1000   /* a gap of this many flows or more = reset */

/* why a datagram was rejected (0 = accepted); rules of formats.md 6.4 */
#define FTC_PDU_R_OK          0
#define FTC_PDU_R_SHORT       1   /* 1: fewer than 4 bytes */
#define FTC_PDU_R_VERSION     2   /* 2: version not 1, 5, 6, 7 or 8 */
#define FTC_PDU_R_COUNT       3   /* 3: count above the version's maximum */
#define FTC_PDU_R_LENGTH      4   /* 4: length != header + count x record */
#define FTC_PDU_R_V8SHORT     5   /* 5: v8 with fewer than 24 bytes */
#define FTC_PDU_R_AGGVER      6   /* 5: v8 agg_version not 2 (0 counts as 2) */
#define FTC_PDU_R_METHOD      7   /* 5: v8 aggregation method not 1..14 */
#define FTC_PDU_R_SRCIP       8   /* 6: source is not the configured exporter */
#define FTC_PDU_R_XLATE_V8    9   /* 7: v8 into a non-v8 file or vice versa */
#define FTC_PDU_R_XLATE_AGG  10   /* 7: v8 of another aggregation method */
#define FTC_PDU_R_IPX        11   /* v9/IPFIX refused by ipfix.c (event detail: FTC_IPX_R_*) */
#define FTC_PDU_R_IPX_MASK   12   /* v9/IPFIX that a relay would have to mask or filter
                                     but sends only as it came (ftc_fanout_batch) */
#define FTC_PDU_NREASONS     13

/* A datagram header as read (host order).  Filled as far as the bytes go,
   the rest 0, even when the datagram is rejected. */
typedef struct {
    uint16_t version;
    uint16_t count;
    uint32_t sysUpTime;
    uint32_t unix_secs;
    uint32_t unix_nsecs;
    uint32_t flow_sequence;   /* 0 for v1 */
    uint8_t  engine_type;     /* 0 for v1 */
    uint8_t  engine_id;       /* 0 for v1 */
    uint8_t  agg_method;      /* v8 only */
    uint8_t  agg_version;     /* v8 only, after mapping 0 -> 2 */
    int32_t  rectype;         /* FTC_RT_* of its records; -1 when rejected */
    uint32_t length;          /* header + count x record (v8.6-8 padding excluded) */
} ftc_pdu_hdr_t;

/* Sizes of the datagram form of record type rt (V1, V5, V6, V7, V8_*):
   FTC_OK, FTC_EDVERSION for V1005 (no datagram form), FTC_EINVAL. */
int ftc_pdu_limits(int rt, unsigned *hdr_size, unsigned *rec_size, unsigned *max_count);

/* Verify one datagram (rules 1-5).  FTC_OK, or FTC_EBADPDU with *reason
   (h and reason may be NULL). */
int ftc_pdu_verify(const uint8_t *buf, size_t len, ftc_pdu_hdr_t *h, int *reason);

/* Can records of datagram type pdu_rt go into a file of type file_rt (rule
   7)?  FTC_OK; FTC_EDVERSION (v8 <-> non-v8) or FTC_EAGGMETHOD (another v8
   method), with *reason FTC_PDU_R_XLATE_* (reason may be NULL).  v1, v5, v6
   and v7 datagrams go into v1006 (IPv4-mapped addresses), v8 ones do not. */
int ftc_pdu_compat(int pdu_rt, int file_rt, int *reason);

/* Verify and decode one datagram into records of type rt (rt < 0: the
   datagram's own type), mapping as flow-capture does (formats.md 6.5):
   header times and exaddr in every record, AS 0 replaced by as_sub, the
   engine quirks, version translation.  out holds out_size bytes; *produced
   = records written.  FTC_OK, FTC_EBADPDU, FTC_EDVERSION / FTC_EAGGMETHOD
   (untranslatable), FTC_EFULL (nothing written), FTC_EINVAL. */
int ftc_pdu_decode(const uint8_t *buf, size_t len, uint32_t exaddr, uint16_t as_sub,
                   int rt, uint8_t *out, size_t out_size, size_t *produced,
                   ftc_pdu_hdr_t *h, int *reason);

/* Sequence accounting (formats.md 6.6): a table of kind FTC_TAB_SEQ
   (ftc_table.h, key_len FTC_SEQ_KEY_LEN), one "exporter" slot per (source
   IP, local IP, version) holding the per-exporter counters, and one
   "engine" slot per (exporter key, engine_id*256 + engine_type) holding
   the expected flow_sequence.  Full: the calls return FTC_EFULL with the
   table marked full and untouched; grow it (ftc_tab_rehash) and retry. */
#define FTC_SEQ_FREE      0
#define FTC_SEQ_EXPORTER  1
#define FTC_SEQ_ENGINE    2
#define FTC_SEQ_KEY_LEN   16
/* The collectors' caps (README Security, man flow-capture): at most
   FTC_SEQ_MAX_EXPORTERS exporters, i.e. twice as many slots (an exporter
   key and one engine each; an exporter's further engines take a slot each),
   and a slot silent FTC_SEQ_IDLE_SECS or more is expired (ftc_seq_expire). */
#define FTC_SEQ_MAX_EXPORTERS  65536
#define FTC_SEQ_IDLE_SECS      3600
typedef struct {
    uint64_t pkts;         /* exporter slots: accepted datagrams */
    uint64_t flows;        /* exporter slots: records in them */
    uint64_t lost;         /* exporter slots: flows lost (gaps < 1000) */
    uint64_t filtered;     /* exporter slots: for the caller (filter drops) */
    uint32_t resets;       /* exporter slots: sequencer resets */
    uint32_t expected;     /* engine slots: next flow_sequence expected */
    uint32_t last_seen;    /* unix seconds of the slot's last datagram */
    uint32_t tag;          /* the table's (0: free) */
    /* the key (FTC_SEQ_KEY_LEN bytes) */
    uint32_t exporter_ip;
    uint32_t local_ip;
    uint16_t version;
    uint16_t kind;         /* FTC_SEQ_EXPORTER / _ENGINE */
    uint16_t engine;       /* engine slots: engine_id * 256 + engine_type */
    uint16_t reserved;
} ftc_seq_slot_t;

typedef ftc_tab_t ftc_seq_table_t;

/* ftc_seq_check() result bits (>= 0); LOST and RESET exclude each other */
#define FTC_SEQ_NEW    1   /* first datagram of this exporter key */
#define FTC_SEQ_LOST   2   /* flow_sequence gap < 1000: *lost flows lost */
#define FTC_SEQ_RESET  4   /* gap >= 1000: a sequencer reset */

/* Account one verified datagram h from exporter_ip to local_ip: updates
   the slots exactly as flow-capture (v1 is never checked; the wrap case is
   one short, as in the reference).  *expected and *lost describe a mismatch.
   Every slot it touches is stamped last_seen = now (unix seconds).
   Returns the FTC_SEQ_* bits, FTC_EFULL (table untouched) or FTC_EINVAL. */
int ftc_seq_check(ftc_seq_table_t *t, uint32_t exporter_ip, uint32_t local_ip,
                  const ftc_pdu_hdr_t *h, uint32_t now, uint32_t *expected, uint32_t *lost);
/* Account one v9/IPFIX datagram whose sequence ipfix.c checked: the
   exporter slot of (exporter_ip, local_ip, version) gets one datagram and
   the flows, lost and resets given, and last_seen = now.  FTC_SEQ_NEW for a new slot, else 0;
   FTC_EFULL (table untouched), FTC_EINVAL. */
int ftc_seq_add(ftc_seq_table_t *t, uint32_t exporter_ip, uint32_t local_ip,
                uint16_t version, uint32_t flows, uint32_t lost, uint32_t resets,
                uint32_t now);
/* Look the exporter key (exporter_ip, local_ip, version) up: 1 and *index
   = its slot, 0 when absent, FTC_EINVAL. */
int ftc_seq_find(const ftc_seq_table_t *t, uint32_t exporter_ip, uint32_t local_ip,
                 uint16_t version, uint32_t *index);
/* Expire and evict (the collectors' caps): every slot silent idle_secs or
   more (now - last_seen; 0: none by age; a slot stamped after now is not
   silent) goes, then the slots heard from longest ago (ties: in slot order)
   until at most `keep` remain.  Exporter and engine slots go alike (a key
   heard from again starts afresh: a new exporter, its first sequence taken
   as it comes).  Returns the slots removed, *expired those gone by age
   (the rest were evicted), or FTC_EINVAL.  One pass over the table, and
   four more (a radix select of the cut-off time) when evicting. */
int64_t ftc_seq_expire(ftc_seq_table_t *t, uint32_t now, uint32_t idle_secs, uint32_t keep,
                       uint32_t *expired);

/* Receive batch: n datagrams packed back to back in buf[0..buf_len)
   (lens[i] bytes each, FTC_EINVAL before any work when they add up to more
   than buf_len; src_ips[i] their sources, dst_ips[i] their local addresses or
   dst_ips NULL), handled as flow-capture's loop does: verify (rules 1-5),
   remote_ip (rule 6, 0 = any), file type *rt (rule 7; *rt < 0: the first
   accepted datagram sets it), sequence accounting (seq may be NULL), then
   decode into out (out_size bytes, at least FTC_PDU_DECODE_MAX).
   One event per noteworthy datagram (ev may be NULL: not recorded).
   Stops early with FTC_EFULL when out, the table or ev is full: st->pdus
   datagrams (st->bytes bytes) were consumed, st->full says which. */
#define FTC_PDU_EV_CORRUPT   1   /* rejected; reason says why */
#define FTC_PDU_EV_EXPORTER  2   /* first datagram from a new exporter key */
#define FTC_PDU_EV_SEQ       3   /* flow_sequence mismatch (lost or reset) */
#define FTC_PDU_FULL_OUT     1
#define FTC_PDU_FULL_TABLE   2
#define FTC_PDU_FULL_EVENTS  3
typedef struct {
    uint32_t index;        /* datagram index in the batch */
    int32_t  kind;         /* FTC_PDU_EV_* */
    int32_t  reason;       /* FTC_PDU_R_* (CORRUPT) */
    uint32_t src_ip;
    uint32_t dst_ip;
    uint16_t version;
    uint8_t  agg_method;
    uint8_t  agg_version;
    uint32_t expected;     /* SEQ: value expected */
    uint32_t received;     /* SEQ: flow_sequence received */
    uint32_t lost;         /* SEQ: gap as computed by the reference */
    int32_t  detail;       /* CORRUPT with FTC_PDU_R_IPX: FTC_IPX_R_* */
    uint32_t domain;       /* v9/IPFIX: source ID / observation domain */
} ftc_pdu_event_t;

typedef struct {
    uint64_t bytes;        /* bytes of buf consumed */
    uint64_t lost;         /* add to FLOW_LOST */
    uint32_t pdus;         /* datagrams consumed */
    uint32_t accepted;
    uint32_t corrupt;      /* add to PKT_CORRUPT */
    uint32_t resets;       /* add to SEQ_RESET */
    uint32_t flows;        /* records written to out */
    uint32_t n_events;
    int32_t  full;         /* FTC_PDU_FULL_* when FTC_EFULL was returned */
    uint32_t reasons[13];  /* corrupt datagrams by FTC_PDU_R_* */
    /* v9/IPFIX (ipx given) */
    uint32_t v6;           /* IPv6 flow records seen (stored only into v1006) */
    uint32_t pended;       /* data sets put aside for a missing template */
    uint32_t released;     /* records decoded from pending data sets */
    uint32_t expired;      /* pending data sets dropped unread */
    uint32_t templates;    /* templates (re)defined */
    uint32_t bad_sets;     /* malformed sets skipped in accepted datagrams */
} ftc_pdu_rx_stats_t;

/* v9 and IPFIX datagrams (version 9 or 10) go to ipx, an ftc_ipx state
   (ipfix.c; NULL: refused as rule 2), keyed with src_ports[i] (NULL: 0)
   and aged with `now` (unix seconds); their records go into the file type
   (*rt < 0: V5), their sequences are checked by ipfix.c and added to the
   exporter slot of (source, local address, 9 or 10) with ftc_seq_add().
   Before the first datagram, data sets that were waiting for a template
   that has come since are decoded into out (ftc_ipx_release). */
/* the most events one datagram adds (exporter, sequence, corrupt): ev_cap
   (when ev is given) must be at least this, or FTC_EINVAL */
#define FTC_PDU_EVENTS_MIN 3
int ftc_pdu_rx_batch(const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                     const uint32_t *src_ips, const uint32_t *dst_ips,
                     const uint16_t *src_ports,
                     uint32_t remote_ip, uint16_t as_sub, int *rt,
                     ftc_seq_table_t *seq, void *ipx, uint32_t now,
                     uint8_t *out, size_t out_size,
                     size_t *produced, ftc_pdu_event_t *ev, size_t ev_cap,
                     ftc_pdu_rx_stats_t *st);

/* Encoder (flow-send, formats.md 6.7).  Caller-owned state, zeroed before
   first use: per-engine sequence counters and the datagram being filled. */
typedef struct {
    uint32_t seq_next[65536];  /* by engine_id * 256 + engine_type */
    uint8_t  pend[1464];       /* FTC_PDU_MAX_LEN: datagram being filled */
    int32_t  pend_rt;
    uint32_t pend_count;
    uint32_t key_uptime;
    uint32_t key_secs;
    uint32_t key_nsecs;
    uint8_t  key_engine_type;
    uint8_t  key_engine_id;
    uint16_t reserved;
} ftc_pdu_enc_t;

/* Encode n records of type rt_in as datagrams of type rt_out (V1, V5, V6,
   V7 from V1/V5/V6/V7/V1005; V8_m only from the same V8_m).  Consecutive
   records sharing sysUpTime, unix_secs, unix_nsecs (and, v5 and later,
   engine_type/engine_id) share a datagram up to the version's maximum; the
   last, unfinished datagram stays in st until more records or
   ftc_pdu_encode_flush().  Datagrams go back to back into out (out_size
   bytes), their lengths into lens (lens_cap entries).  *consumed records,
   *n_pdus datagrams, *out_len bytes.  FTC_OK (all consumed), FTC_EFULL
   (out or lens full: send, then call again with the rest), FTC_EDVERSION /
   FTC_EAGGMETHOD (untranslatable), FTC_EINVAL. */
int ftc_pdu_encode(ftc_pdu_enc_t *st, int rt_in, const uint8_t *recs, size_t n,
                   int rt_out, uint8_t *out, size_t out_size,
                   uint32_t *lens, size_t lens_cap,
                   size_t *consumed, size_t *n_pdus, size_t *out_len);
/* Emit the unfinished datagram, if any.  FTC_OK or FTC_EFULL. */
int ftc_pdu_encode_flush(ftc_pdu_enc_t *st, uint8_t *out, size_t out_size,
                         uint32_t *lens, size_t lens_cap,
                         size_t *n_pdus, size_t *out_len);

/* ---- ipfixenc.c: NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export
   datagrams (flow-send -V 9, -V 10) ----
   One template (ID FTC_IPXENC_TEMPLATE_ID) for the input record type: every
   field it has that an information element names, in this order, as wide
   as in the stream record (reduced-size encoding): srcaddr 8, dstaddr 12,
   nexthop 15, input 10, output 14, dFlows 3 (version 8 records only: the
   others have no dFlows), dPkts 2, dOctets 1, First/Last (v9: 22/21,
   uptime ms; IPFIX: 152/153 flowStart/EndMilliseconds, 8 bytes, absolute,
   unix_secs*1000 + unix_nsecs/10^6 - sysUpTime + First/Last, as
   flow-export -f 2 and flow-dscan compute them), srcport 7, dstport 11,
   ICMP type*256+code 32 (2 bytes: dstport when prot is 1, else 0; with
   prot and dstport), tcp_flags 6, prot 4, tos 5,
   marked_tos 55 (v8.6-8.8), src_as 16, dst_as 17, src_mask 9, dst_mask 13,
   engine_type 38, engine_id 39.  Not sent: exaddr, in_encaps, out_encaps,
   peer_nexthop, router_sc, extra_pkts and the v1005 tags.

   Source ID / observation domain = engine_type << 8 | engine_id of the
   records (0 without engine fields).  Consecutive records sharing the
   domain and unix_secs (v9: and sysUpTime - unix_nsecs/10^6, the header's
   sysUpTime: v9 headers have no nanoseconds) share a datagram of at most
   FTC_PDU_MAX_LEN bytes: header (v9 20 bytes: version, count = data
   records + templates, sysUpTime, unix_secs, sequence, source ID; IPFIX 16:
   version, length, export time = unix_secs, sequence, domain), the
   template set when due, one data set (v9: padded to 4 bytes).  A domain's
   datagram carries the template when the domain has not had one yet, when
   refresh_pdus datagrams of the domain went out since the last one that
   did, and when its unix_secs is refresh_secs or more after (or before)
   that one's.  Sequence per domain from 0: v9 the datagrams sent before,
   IPFIX the data records sent before.

   Caller-owned state, zeroed before first use; refresh_pdus/refresh_secs
   may be set then (0: the defaults).  The first call fixes the version and
   record type (another pair later: FTC_EINVAL). */
#define FTC_IPXENC_TEMPLATE_ID   256
#define FTC_IPXENC_REFRESH_PDUS  20     /* as Cisco's "template refresh 20 packets" */
#define FTC_IPXENC_REFRESH_SECS  1800   /* ... and "timeout 30 minutes" (flow time) */

typedef struct {
    uint32_t refresh_pdus;       /* 0: FTC_IPXENC_REFRESH_PDUS */
    uint32_t refresh_secs;       /* 0: FTC_IPXENC_REFRESH_SECS */
    uint32_t seq_next[65536];    /* by domain: v9 datagrams, IPFIX records sent */
    uint32_t since_tpl[65536];   /* by domain: datagrams since (and with) the template */
    uint32_t tpl_secs[65536];    /* by domain: unix_secs of the last template */
    uint8_t  tpl_sent[65536];    /* by domain: 1 once it had the template */
    uint8_t  pend[1464];         /* FTC_PDU_MAX_LEN: the datagram being filled */
    int32_t  version;            /* 9 or 10 after the first call, else 0 */
    int32_t  rt_in;
    uint32_t pend_len;           /* bytes in pend (0: no datagram pending) */
    uint32_t pend_count;         /* records in it */
    uint32_t pend_cap;           /* records it takes */
    uint32_t key_domain;
    uint32_t key_secs;
    uint32_t key_uptime;
    uint8_t  pend_tpl;           /* it carries the template */
    uint8_t  last_full;          /* the last datagram sent was full */
    uint16_t reserved;
    uint64_t datagrams;          /* totals sent */
    uint64_t templates;
    uint64_t records;
} ftc_ipxenc_t;

/* Sizes for version (9 or 10) and input record type rt_in: data record
   bytes, template set bytes, most records per datagram without and with
   the template.  FTC_OK, FTC_EDVERSION (version), FTC_EINVAL (rt_in). */
int ftc_ipxenc_limits(int version, int rt_in, unsigned *rec_len, unsigned *tpl_len,
                      unsigned *max_recs, unsigned *max_recs_tpl);
/* Encode n records of type rt_in as datagrams of version 9 or 10, as
   ftc_pdu_encode(): the unfinished datagram stays in st until more records
   or ftc_ipxenc_flush(); datagrams back to back into out, their lengths into
   lens.  FTC_OK (all consumed), FTC_EFULL (out or lens full: send, then call
   again with the rest), FTC_EDVERSION, FTC_EINVAL. */
int ftc_ipxenc_encode(ftc_ipxenc_t *st, int version, int rt_in, const uint8_t *recs,
                      size_t n, uint8_t *out, size_t out_size,
                      uint32_t *lens, size_t lens_cap,
                      size_t *consumed, size_t *n_pdus, size_t *out_len);
/* Emit the unfinished datagram, if any.  FTC_OK or FTC_EFULL. */
int ftc_ipxenc_flush(ftc_ipxenc_t *st, uint8_t *out, size_t out_size,
                     uint32_t *lens, size_t lens_cap, size_t *n_pdus, size_t *out_len);

/* ---- ipfix.c: NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) decoding ----
   Templates live in one caller-owned state (ftc_ipx_size() bytes, zeroed,
   8-byte aligned, set up by ftc_ipx_init()), never malloc'd: sources, the
   templates of each, the sampling of each, and the data sets waiting for
   their template, all under the caps of ftc_ipx_limits_t.

   A source is (exporter address, UDP source port, version, source ID /
   observation domain).  A template is (source, template ID >= 256); a new
   definition replaces the old; IPFIX withdrawals (field count 0) remove it
   (ID = set ID: all of the set's kind).  Options templates are decoded:
   sampling fields 34/35, 48/49/50, 302-306 give the source's sampling
   interval (per sampler/selector ID when data records name one with 48 or
   302, else the source's); data records carrying 34 or 50 themselves use
   theirs.  dPkts and dOctets are multiplied by the interval (saturating).

   Flow records become records of type rt (V1, V5, V6, V7 or V1005) through
   the same per-field values as v5 datagrams (pdu.c): fields the template
   lacks are 0, dFlows 1 unless 3 (deltaFlowCount) says otherwise, exaddr =
   the UDP source, engine_type/engine_id from 38/39, 64-bit counters
   saturate at 2^32-1, 4-byte interfaces and AS numbers above 65535 become
   65535 / 23456 (AS_TRANS), ICMP type/code (32, or 176/177) into dstport
   when the record has no destination port, DSCP (195) into tos when 5 is
   absent.  Times: the record's unix_secs/unix_nsecs are the header export
   time (v9: unix_secs, nsecs 0), sysUpTime the header uptime (v9) or, for
   IPFIX, export time - system init time (160, from the record or the
   source's options) when known, else FTC_IPX_VUPTIME; First/Last are made
   so that the absolute times are right for every time encoding: 22/21
   (uptime ms), 150/151 (s), 152/153 (ms), 154-157 (NTP micro/nano), 158/159
   (delta micro from export).  IPv6 flow records (27/28, or 60 = 6) are
   counted, not stored.

   Data sets whose template is unknown are copied into the pending area
   (FIFO) with their header times; they are decoded when the template
   comes (ftc_ipx_release()), or dropped and counted as expired after
   pending_secs or when the area (or the source's share) is full, oldest
   first.

   Sequence: v9 counts datagrams, IPFIX data records; per source, a gap is
   added to `lost` (v9: datagrams, IPFIX: records), a sequence behind the
   expected one (modular difference >= 2^31) is a reset.

   The details (ipfix.c implements exactly these):
   - Field mapping (IANA IE numbers; enterprise fields, bit 15, skipped):
     1 (else 23) dOctets, 2 (else 24) dPkts, 3 dFlows, 4 prot, 5 tos, 6
     tcp_flags (low 8 bits), 7 srcport, 8 srcaddr, 9 src_mask, 10 input,
     11 dstport, 12 dstaddr, 13 dst_mask, 14 output, 15 nexthop, 16 src_as,
     17 dst_as, 18 peer_nexthop, 38 engine_type, 39 engine_id.  Integers
     may come in any size 1..8 (reduced-size encoding), saturated into the
     field; addresses must be 4 bytes, NTP times 8; variable-length
     fields (65535: 1-byte length, 255 => 2-byte length) are skipped.  A
     template is a flow template when it has 8, 12, 27, 28, 1, 2, 23 or
     24; other data templates' records count as `other`.  IPv6: a template
     with 27 or 28 and neither 8 nor 12, or a record whose 60 is 6.
   - Times, when several encodings are present the first of 152, 156,
     154, 150, 158, 22 gives the start (153, 157, 155, 151, 159, 21 the
     end).  With T the absolute time in ms and E the export time in s,
     First = T - 1000 E + sysUpTime (mod 2^32).  22/21 are taken as they
     are when the uptime base is known (v9, or IPFIX with 160); IPFIX
     without 160 anywhere: the flow is taken to end at export time (Last =
     sysUpTime, First = Last - (21 - 22)).  Only a start or only an end:
     both are it; neither: First = Last = sysUpTime.  NTP seconds are
     taken modulo 2^32 (era 1 works until 2106).
   - Sampling: options data records give the source's interval (34 or 50;
     else 305 and 306: (305 + 306) / 305; 305 alone: itself; 0 means 1),
     the algorithm (35, 49 or 304) and the system init time (160); one
     naming a sampler (48 or 302) also remembers that sampler's interval
     (FTC_IPX_MAX_SAMPLERS per source, the oldest replaced).  The
     source's interval is the last one an options record gave.  v9 scope
     fields are system/interface scopes, never read as IEs.
   - Padding: a set's trailing bytes shorter than the smallest record of
     its template are ignored; a template record of ID 0 with no fields
     ends its set (padding).  A datagram whose sets do not chain exactly to
     its end (a set shorter than 4 or past the end; v9: up to 3 bytes may
     follow the last set, as nfdump allows), or a v9 one that counts
     records in its header but holds no set, is refused whole
     (FTC_IPX_R_SET); data records that run past their set end the set
     (FTC_IPX_R_RECORD, counted in bad_sets; the records before are kept);
     sets of reserved IDs (v9 2-255, IPFIX 0, 1, 4-255) count as bad_sets.
   - IPFIX sequence: the records counted are those of the datagram's data
     sets whose template is known; when a set waits (pending) or ends on a
     bad record, the next datagram's sequence is taken as it comes.
   - Caps: a new source past max_sources refuses the datagram
     (FTC_IPX_R_CAP); a new template past max_templates or max_per_source,
     one with more than max_fields fields, or one the pool cannot hold is
     refused (FTC_IPX_R_CAP; a template replaced by a refused definition
     is removed).  A new source past max_sources takes the place of the
     source heard from longest ago among the next FTC_IPX_EVICT_SCAN (a
     round-robin hand), if that one has been silent FTC_IPX_IDLE_SECS or
     more: its templates go, its waiting data sets count as expired
     (info.evicted is 1); else the datagram is refused (FTC_IPX_R_CAP).
     A datagram refused for its shape never creates or evicts a source.
   - Memory (ftc_ipx_size): 272 bytes per source plus 24 per slot of
     their table (a power of two, 3/4 full at most), 16 per template
     table slot, a template pool of max_templates x (40 +
     FTC_IPX_POOL_FIELDS x 12) bytes plus one template of max_fields
     fields (a template takes 40 bytes, 8 per field it reads or
     variable-length field, and its record as received: 4 a field, 8 an
     enterprise field), and pending_bytes of pending area (40 bytes per
     data set besides its bytes).  The defaults of pyflowtools.core.ipfix
     (4096 sources, 16384 templates, 512 fields, 16 MiB pending) come to
     24.4 MiB: 1.3 MiB for the sources, 7.1 MiB for the templates, 16 MiB
     pending.
   - Saved templates (ftc_ipx_save, ftc_ipx_load), all integers big-endian:
     the magic "FTCIPX" 0 1, then entries: u32 length of the rest of the
     entry, u32 exporter address, u16 port, u16 version (9, 10), u32
     domain, u8 kind, u8 0, u16 0, then by kind: 0 a template record, 1 an
     options template record, exactly as received (v9: ID, count, fields;
     ID, scope length, option length, fields; IPFIX: ID, count, [scope
     count,] fields with their enterprise numbers); 2 the source's
     sampling: u32 interval, u32 algorithm, u32 init time known, u64 init
     time (ms), u32 n, n x (u64 sampler ID, u32 interval).  Sources with
     sampling state come first, then the templates, oldest first. */
#define FTC_IPX_VUPTIME        0x7FFFFFFFu  /* IPFIX without init time: virtual uptime */
#define FTC_IPX_MAX_SAMPLERS   8            /* sampler IDs remembered per source */
#define FTC_IPX_POOL_FIELDS    32           /* fields per template the pool is sized for */
#define FTC_IPX_IDLE_SECS      3600         /* a source silent this long may be replaced */
#define FTC_IPX_EVICT_SCAN     64           /* sources looked at for one replacement */
#define FTC_TAB_IPXS           18           /* ipfix.c sources: value the source index */
#define FTC_TAB_IPXT           19           /* ipfix.c templates: value the pool offset */

/* why a v9/IPFIX datagram (or set) was refused (info.reason) */
#define FTC_IPX_R_OK           0
#define FTC_IPX_R_SHORT        1   /* shorter than its header */
#define FTC_IPX_R_LENGTH       2   /* IPFIX length field != datagram length;
                                      any datagram over 65535 bytes */
#define FTC_IPX_R_SET          3   /* set shorter than 4 or past the end */
#define FTC_IPX_R_TEMPLATE     4   /* template malformed (ID < 256, no fields,
                                      fields past the set, record length 0) */
#define FTC_IPX_R_CAP          5   /* a cap refused a new source or template */
#define FTC_IPX_R_RECORD       6   /* data record longer than the rest of its set */
#define FTC_IPX_R_VERSION      7   /* version neither 9 nor 10 */
#define FTC_IPX_NREASONS       8

typedef struct {
    uint32_t max_sources;        /* sources in all (exporter, port, version, domain) */
    uint32_t max_templates;      /* templates in all */
    uint32_t max_per_source;     /* templates per source */
    uint32_t max_fields;         /* fields per template (more: template refused) */
    uint32_t pending_bytes;      /* the pending area, in all */
    uint32_t pending_per_source; /* one source's share of it */
    uint32_t pending_secs;       /* how long a data set waits for its template */
} ftc_ipx_limits_t;
/* the largest limits ftc_ipx_size() takes (and a state below 4 GiB) */
#define FTC_IPX_LIM_SOURCES    1048576
#define FTC_IPX_LIM_TEMPLATES  4194304
#define FTC_IPX_LIM_FIELDS     16383
#define FTC_IPX_LIM_PENDING    1073741824

/* Per datagram (ftc_ipx_decode) or release (ftc_ipx_release) results. */
typedef struct {
    uint16_t version;          /* 9 or 10 */
    uint16_t count;            /* v9 header count (IPFIX: 0) */
    uint32_t export_secs;
    uint32_t sys_uptime;       /* v9 header; IPFIX 0 */
    uint32_t sequence;
    uint32_t domain;           /* v9 source ID / IPFIX observation domain */
    uint32_t source;           /* index of the source (ftc_ipx_source_get) */
    uint32_t records;          /* flow records written to out */
    uint32_t v6;               /* IPv6 flow records seen (stored only into v1006) */
    uint32_t other;            /* data records without flow fields (skipped) */
    uint32_t options;          /* options data records read */
    uint32_t templates;        /* templates (re)defined */
    uint32_t withdrawn;        /* templates withdrawn */
    uint32_t pended;           /* data sets put aside for a missing template */
    uint32_t expired;          /* pending data sets dropped (age, room) */
    uint32_t expired_records;  /* ... the data records they held, as far as known */
    uint32_t seq_lost;         /* gap (v9 datagrams, IPFIX records) */
    uint32_t seq_reset;        /* 1 when the sequence went back */
    uint32_t seq_new;          /* 1 for the source's first datagram */
    uint32_t sampling;         /* the source's sampling interval now (1: none) */
    uint32_t bad_sets;         /* sets skipped as malformed (datagram kept) */
    int32_t  reason;           /* FTC_IPX_R_* when the whole datagram was refused */
    uint32_t ready;            /* pending data sets that can now be released */
    uint32_t evicted;          /* idle sources replaced by new ones */
    uint32_t refused[8];       /* FTC_IPX_NREASONS: what was refused in this call,
                                  by reason (the datagram, sets, templates) */
} ftc_ipx_info_t;

/* The shape of a v9/IPFIX datagram, no state needed (flow-fanout checks
   what it relays with it; ftc_ipx_decode applies it first): FTC_IPX_R_OK,
   SHORT, VERSION, LENGTH or SET as ftc_ipx_decode would refuse it. */
int ftc_ipx_check(const uint8_t *buf, size_t len);

/* One source, for logs and STAT lines. */
typedef struct {
    uint32_t exporter_ip;
    uint32_t local_ip;
    uint16_t port;
    uint16_t version;
    uint32_t domain;
    uint32_t templates;        /* templates defined now */
    uint32_t sampling;         /* interval (1: none) */
    uint32_t sampling_algo;    /* 35 / 49 / 304 as received (0: none) */
    uint64_t datagrams;
    uint64_t records;          /* flow records stored */
    uint64_t v6;
    uint64_t lost;
    uint64_t resets;
    uint64_t pended;
    uint64_t expired;
    uint64_t bad;              /* datagrams refused + sets skipped */
} ftc_ipx_source_t;

/* Bytes of state for these limits; 0 when a limit is 0 or out of range. */
size_t ftc_ipx_size(const ftc_ipx_limits_t *lim);
/* Set up the state in mem[0..size) (zeroed by the caller, 8-byte aligned). */
int ftc_ipx_init(void *mem, size_t size, const ftc_ipx_limits_t *lim);
/* Decode one v9/IPFIX datagram from (src_ip, src_port) to local_ip at time
   now (unix seconds: pending ages) into records of type rt in out
   (out_size bytes; FTC_IPX_DECODE_MAX is always enough).  *produced =
   records written.  FTC_OK (info filled; info->reason != 0 means refused
   whole and counted), FTC_EINVAL, FTC_EDVERSION (rt not V1/V5/V6/V7/V1005/V1006),
   FTC_EFULL (nothing done: out_size is below the datagram's bound, the sum
   over its data sets of their bytes / the smallest record of their
   template (1 when unknown, or redefined by the datagram) x record size;
   (length - 16) x record size always suffices). */
#define FTC_IPX_DECODE_MAX  7340032   /* 65536 records of 112 bytes */
int ftc_ipx_decode(void *state, const uint8_t *buf, size_t len, uint32_t src_ip,
                   uint16_t src_port, uint32_t local_ip, uint32_t now, int rt,
                   uint8_t *out, size_t out_size, size_t *produced, ftc_ipx_info_t *info);
/* Decode pending data sets whose template is now known (and drop expired
   ones) into out, as many as fit: FTC_OK when none is left ready,
   FTC_EFULL when more wait (call again with room). */
int ftc_ipx_release(void *state, uint32_t now, int rt, uint8_t *out, size_t out_size,
                    size_t *produced, ftc_ipx_info_t *info);
/* Sources: *n = how many; ftc_ipx_source_get(state, i, &s) for i < n. */
int ftc_ipx_sources(const void *state, uint32_t *n);
int ftc_ipx_source_get(const void *state, uint32_t index, ftc_ipx_source_t *s);
/* Templates saved and loaded (the collector's work directory): every
   template of every source as a byte string (*len bytes; FTC_EFULL with
   *len = the size needed when out is too small), and back: entries that do
   not parse are skipped (*loaded counts the good ones); FTC_EBADMAGIC when
   buf does not start with the magic. */
int ftc_ipx_save(const void *state, uint8_t *out, size_t out_size, size_t *len);
int ftc_ipx_load(void *state, const uint8_t *buf, size_t len, uint32_t *loaded);

/* ---- relay.c (flow-send, flow-fanout) ---- */
/* ftrec_mask_ip(): AND srcaddr and dstaddr of v1/v5/v6/v7/v1005 records
   with mask, except records whose dstaddr is multicast (224/4); other
   record types are left alone.  FTC_OK or FTC_EINVAL. */
int ftc_recs_mask_ip(int rt, uint8_t *recs, size_t n, uint32_t mask);

typedef struct {
    ftc_pdu_rx_stats_t rx;     /* receive side, as ftc_pdu_rx_batch() */
    uint64_t filtered;         /* records the filter dropped */
    uint64_t relayed_flows;    /* records re-encoded */
    uint64_t out_bytes;        /* bytes of out used */
    uint32_t out_pdus;         /* datagrams in out */
    uint32_t reserved;
} ftc_fanout_stats_t;

/* flow-fanout's loop over n received datagrams (packed in buf[0..buf_len)
   as for ftc_pdu_rx_batch): each is verified, accounted and decoded into
   records of *rt exactly as ftc_pdu_rx_batch() does, masked (mask
   0xFFFFFFFF: none), filtered (prog NULL: none; else *rt >= 0 and the
   program is checked once, as ftc_filter_apply() does; the records it
   drops are added to st->filtered and to the `filtered` counter of the
   datagram's exporter slot, -S's filter_drops) and re-encoded on its own by enc
   (flushed after each datagram, as the reference does).  Output datagrams
   go back to back into out, lengths into out_lens, and (out_src not NULL)
   the source address of the datagram each came from into out_src.  Stops
   with FTC_EFULL when out, out_lens (room for 3 datagrams per input is
   kept), the table or ev (2 per input) is full: st->rx.pdus datagrams,
   st->rx.bytes bytes were consumed and st->rx.full says which (without enc,
   the records of waiting v9/IPFIX data sets released before a datagram that
   did not fit are in out even when st->rx.pdus is 0).
   enc NULL (flow-capture -f/-F): no re-encoding; the kept records go to out
   back to back (st->out_bytes bytes, st->relayed_flows records; room for
   FTC_PDU_DECODE_MAX bytes per input is kept; out_lens, out_src unused).
   v9 and IPFIX datagrams: with enc (flow-fanout) relayed as they came,
   byte for byte (templates intact; accounted as one datagram of their
   exporter, 0 flows) if sound (ftc_ipx_check; else corrupt, FTC_PDU_R_IPX)
   and no mask or program applies (else corrupt, FTC_PDU_R_IPX_MASK: what
   must be masked or filtered never goes out untouched); without enc (flow-capture
   -f/-F) decoded through ipx as ftc_pdu_rx_batch() does, then masked and
   filtered like any record. */
int ftc_fanout_batch(const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                     const uint32_t *src_ips, const uint32_t *dst_ips,
                     const uint16_t *src_ports,
                     uint32_t remote_ip, uint16_t as_sub, int *rt,
                     ftc_seq_table_t *seq, void *ipx, uint32_t now, uint32_t mask,
                     const ftc_insn_t *prog, size_t nprog, const uint8_t *tables,
                     size_t tables_len, ftc_filter_state_t *fst, ftc_pdu_enc_t *enc,
                     uint8_t *out, size_t out_size, uint32_t *out_lens,
                     uint32_t *out_src, size_t lens_cap,
                     ftc_pdu_event_t *ev, size_t ev_cap,
                     ftc_fanout_stats_t *st);

/* IPv4 + UDP headers for raw sockets (-s): each of the n datagrams packed
   in in[0..in_len) (FTC_EINVAL when lens add up to more) goes to out prefixed by a 20-byte IPv4 header (src_ips[i], or
   src_ip when src_ips is NULL, to dst_ip, ttl, protocol 17, checksum) and
   an 8-byte UDP header (sport, dport, checksum).  FTC_OK, FTC_EFULL. */
#define FTC_IPUDP_HDR 28
int ftc_ipudp_wrap(const uint8_t *in, size_t in_len, const uint32_t *lens, size_t n,
                   const uint32_t *src_ips, uint32_t src_ip, uint32_t dst_ip,
                   uint16_t sport, uint16_t dport, uint8_t ttl,
                   uint8_t *out, size_t out_size, uint32_t *out_lens, size_t *out_len);

/* ==== flow-stat plot data (csrc/statplot.c; maintained with flow-stat) ==== */

/* the most text one record takes: two lines of 10 + 4 + 10 characters and
   three newlines */
#define FTC_PLOT_REC_MAX 64

typedef struct {
    uint32_t xmin, xmax;        /* smallest First, largest Last */
    uint32_t ymin, ymax;        /* the y bounds as the reference keeps them */
} ftc_plot_t;

void ftc_plot_init(ftc_plot_t *st);
/* flow-stat -f 13 (packets 0: octets) / -f 14 (packets 1): two lines and an
   empty one per record into out; FTC_OK when all n were written, FTC_EFULL
   when out filled first (*consumed records written, *len bytes),
   FTC_EFIELD when the record type lacks a field. */
int ftc_plot_format(ftc_plot_t *st, int packets, int rt, const uint8_t *recs, size_t n,
                    size_t size, char *out, size_t cap, size_t *len, size_t *consumed);

/* ==== end of flow-stat plot data ==== */

/* ---- tag.c, mask.c, xlate.c (flow-tag, flow-mask, flow-xlate) ---- */
/* (all in csrc/tagmask.c)  Programs compiled in Python from tag.cfg,
   mask.cfg and xlate.cfg (pyflowtools/filters/tagcfg.py, maskcfg.py,
   xlatecfg.py), caller-owned, checked by every entry point before use.

   Lookups are sorted, disjoint, inclusive key ranges; a prefix table is
   flattened by the compiler so that every range carries the value of its
   longest matching prefix.  ftc_ranges_check: FTC_OK when r[0..n) is
   sorted and disjoint with every value < value_limit, else FTC_EPROGRAM. */
typedef struct {
    uint32_t lo, hi;       /* keys lo..hi (inclusive) */
    uint32_t value;        /* tag: index into sets; mask: the new length */
} ftc_range_t;
int ftc_ranges_check(const ftc_range_t *r, size_t n, uint32_t value_limit);

/* flow-tag over v1005 records.  Per record, terms in order: a term runs
   when its filters pass (input / output ifIndex bitmaps of
   FTC_TAG_MAP_BYTES bytes at in_map / out_map in maps, exporter == exaddr);
   then each of its actions in order: skipped unless prot is 0 or the
   record's protocol; else field[0] and then field[1] (FTC_TAGK_NONE: none;
   FTC_TAGK_ANY in field[0]: the key 0) are looked up in the action's
   ranges, and each hit applies its set: tag = (tag & and) | or, for the
   source and the destination tag. */
#define FTC_TAGT_EXPORTER  1
#define FTC_TAGT_INPUT     2
#define FTC_TAGT_OUTPUT    4
#define FTC_TAG_MAP_BYTES  8192
#define FTC_TAGK_NONE      255
#define FTC_TAGK_ANY       254
typedef struct {
    uint32_t src_and, src_or, dst_and, dst_or;
} ftc_tag_set_t;
typedef struct {
    uint8_t  field[2];     /* enum ftc_field, FTC_TAGK_NONE or FTC_TAGK_ANY */
    uint8_t  prot;         /* 0, or only records of this IP protocol */
    uint8_t  pad;
    uint32_t first;        /* its ranges: ranges[first .. first + count) */
    uint32_t count;
} ftc_tag_action_t;
typedef struct {
    uint32_t flags;        /* FTC_TAGT_* */
    uint32_t exporter;
    uint32_t in_map;       /* byte offsets in maps */
    uint32_t out_map;
    uint32_t first;        /* its actions: actions[first .. first + count) */
    uint32_t count;
} ftc_tag_term_t;
typedef struct {
    const ftc_tag_term_t *terms;
    size_t n_terms;
    const ftc_tag_action_t *actions;
    size_t n_actions;
    const ftc_range_t *ranges;
    size_t n_ranges;
    const ftc_tag_set_t *sets;
    size_t n_sets;
    const uint8_t *maps;
    size_t maps_len;
} ftc_tag_prog_t;
/* FTC_OK, FTC_EPROGRAM (malformed), FTC_EINVAL (NULL pointers). */
int ftc_tag_check(const ftc_tag_prog_t *p);
/* Tag n host-order records of type rt (FTC_RT_V1005 or FTC_RT_V1006, else
   FTC_EINVAL) in place (checks p first).  v1006: a lookup of srcaddr,
   dstaddr or nexthop hits only an IPv4-mapped address (by its last word). */
int ftc_tag_apply(const ftc_tag_prog_t *p, int rt, uint8_t *recs, size_t n);

/* flow-mask: for records of type rt having srcaddr and src_mask, the range
   holding srcaddr sets src_mask to its value (< 256); the same for the
   destination; other records are left alone (v1006: the IPv6 flows). */
int ftc_mask_apply(int rt, const ftc_range_t *ranges, size_t n_ranges, uint8_t *recs,
                   size_t n);

/* flow-xlate actions (commands.md 15); src / dst are the masks, the scale
   (src) or the AS (src) */
#define FTC_XL_SRC_TO_NET    1   /* srcaddr &= mask of src_mask (0, >32: none) */
#define FTC_XL_DST_TO_NET    2
#define FTC_XL_SRC_TO_CLASS  3   /* srcaddr &= its classful mask (/8 /16 /24) */
#define FTC_XL_DST_TO_CLASS  4
#define FTC_XL_ADDR_MASK     5   /* srcaddr &= src, dstaddr &= dst */
#define FTC_XL_PORT_MASK     6   /* srcport &= src, dstport &= dst */
#define FTC_XL_TAG_MASK      7   /* src_tag &= src, dst_tag &= dst */
#define FTC_XL_SCALE         8   /* dPkts, dOctets *= src (32-bit) */
#define FTC_XL_SRC_AS0       9   /* src_as 0 -> src */
#define FTC_XL_DST_AS0      10   /* dst_as 0 -> src */
typedef struct {
    uint32_t type;         /* FTC_XL_* */
    uint32_t src, dst;
} ftc_xlate_action_t;
/* A term: when its filter (a filter program for the record type, NULL:
   every record) accepts a record not yet stopped, its actions run in
   order; `stop` then ends the evaluation for that record. */
typedef struct {
    const ftc_insn_t *prog;
    size_t nprog;
    const uint8_t *tables;
    size_t tables_len;
    ftc_filter_state_t *fst;
    uint32_t stop;
    uint32_t first;        /* its actions: actions[first .. first + count) */
    uint32_t count;
    uint32_t pad;
} ftc_xlate_term_t;
/* FTC_OK; FTC_EFIELD when an action needs a field rt lacks; FTC_EPROGRAM
   (bad type, bounds, a filter failing ftc_filter_check); FTC_EINVAL. */
int ftc_xlate_check(int rt, const ftc_xlate_term_t *terms, size_t n_terms,
                    const ftc_xlate_action_t *actions, size_t n_actions);
/* Translate n records of type rt in place; sel and done are n bytes of
   caller scratch.  v1006 IPv6 flows: SRC/DST_TO_NET mask the 128-bit
   address to the flow's length (0, past 128: none), the CLASS and
   ADDR_MASK actions leave them alone; IPv4 flows as their v5 form. */
int ftc_xlate_apply(int rt, const ftc_xlate_term_t *terms, size_t n_terms,
                    const ftc_xlate_action_t *actions, size_t n_actions,
                    uint8_t *recs, size_t n, uint8_t *sel, uint8_t *done);

/* Record version conversion (flow-xlate -V, flow-cat -V, flow-tag; the
   reference's ftrec_xlate).  Kinds: COPY (same type), FIELDS (among v1 v5
   v6 v7 v1006, and v1005 -> v5 or v1006: the fields both have, the rest 0;
   v1 -> v5/v6/v7 leaves output 0 as the reference does; into v1006 the
   addresses of the IPv4 records become ::ffff:a.b.c.d; out of v1006 an
   address keeps its last word, so drop the IPv6 flows first:
   ftc_recs_keep_ipv4), ZERO (the pairs the reference has no translation
   for, and v8 <-> v1006: all-zero records).  ftc_xlate_version writes n records
   of rt_out into out (out_size bytes; FTC_EFULL when short; out must not
   overlap in unless COPY). */
#define FTC_XV_COPY    0
#define FTC_XV_FIELDS  1
#define FTC_XV_ZERO    2
int ftc_xlate_version_kind(int rt_in, int rt_out);
int ftc_xlate_version(int rt_in, const uint8_t *in, size_t n, int rt_out, uint8_t *out,
                      size_t out_size);

/* ---- end of tag.c, mask.c, xlate.c ---- */

/* ---- merge.c, split.c (flow-merge, flow-split) ---- */
/* flow-merge's k-way merge (commands.md 8.9, 13).  A record's end time is
   the reference's ftltime(sysUpTime, unix_secs, unix_nsecs, Last): whole
   seconds unix_secs - sysUpTime / 1000 + Last / 1000 with the
   milliseconds nsecs / 10^6 - sysUpTime % 1000 + Last % 1000 borrowed and
   carried once each way, all in 32-bit unsigned arithmetic, compared as
   (seconds, milliseconds).  The pending record with the earliest end time
   goes first; on equal times the input with the lower index does (the
   reference's order: operands, each list by header capture start). */
typedef struct {
    const uint8_t *recs;   /* the input's current batch: host order, type rt */
    size_t size;           /* bytes at recs (n records must fit) */
    size_t n;              /* records in the batch */
    size_t pos;            /* the next record to merge; ftc_merge advances it */
    uint64_t key;          /* scratch: the end time of recs[pos] */
    uint32_t done;         /* 1: no batch follows this one */
    uint32_t pad;
} ftc_merge_in_t;
/* Merge the pending records of in[0..k) into out (cap records of type
   rt), *produced of them this call.  FTC_OK: every input is finished
   (pos == n and done).  FTC_EAGAIN: input *need has used up its batch and
   is not done: give it its next batch (recs, size, n, pos 0; or n 0 and
   done 1) and call again.  FTC_EFULL: out holds cap records: write them
   and call again.  heap is caller scratch of k entries.  FTC_EFIELD (no
   end time in rt), FTC_EINVAL. */
int ftc_merge(int rt, ftc_merge_in_t *in, size_t k, uint32_t *heap, uint8_t *out,
              size_t cap, size_t *produced, size_t *need);
/* The end time of n records (as ftc_merge orders them) into keys: seconds
   << 32 | milliseconds.  FTC_EFIELD, FTC_EINVAL. */
int ftc_merge_keys(int rt, const uint8_t *recs, size_t n, size_t size, uint64_t *keys);

/* flow-split (commands.md 8.8, 13): one series of files (one per tag with
   -g / -G), cut as the reference does, per record of the series in order:
   the first record of a file sets cap_start to its unix_secs; flows + 1;
   flows >= max_flows (not 0) ends the file after this record; so does
   unix_secs > cap_start + max_time (max_time not 0; the difference taken
   only when unix_secs > cap_start), which also sets cap_start to unix_secs;
   cap_end = unix_secs. */
typedef struct {
    uint32_t flows;        /* records in the series' current file (0: just opened) */
    uint32_t cap_start;    /* its header's capture start */
    uint32_t cap_end;      /* and capture end */
    uint32_t newfile;      /* 1: the file is complete, the next record opens another */
} ftc_split_t;
/* Records recs[start..n) of type rt (host order) go to the series' current
   file until one ends it: returns the index just past that record (then
   s->newfile is 1), or n.  Open the next file by zeroing *s.  FTC_EINVAL
   (also when s->newfile is set), FTC_EFIELD (no unix_secs). */
int64_t ftc_split_cut(ftc_split_t *s, int rt, const uint8_t *recs, size_t n, size_t size,
                      size_t start, uint32_t max_flows, uint32_t max_time);
/* A run of a batch's records of one series, copied together into out. */
typedef struct {
    uint32_t series;       /* index into the caller's series */
    uint32_t start;        /* its first record in out */
    uint32_t count;        /* its records */
    uint32_t pad;
} ftc_split_group_t;
/* -g / -G: copy n records of type rt into out grouped by series (series
   in order of first appearance, records in input order within one; out
   holds out_size bytes), the series of a record being the value of the
   range of index[0..n_index) (sorted, disjoint, values < n_series) holding
   its tag field (FTC_F_SRC_TAG or FTC_F_DST_TAG).  Returns the number of
   groups written to groups (n entries at most).  slot: caller scratch of
   n_series entries (any content); scratch: n entries, the group of each
   record.  FTC_EAGAIN when tags are missing from the index: scratch holds
   them (one per record that has one, in order), *n_unknown of them, and
   out and groups are not to be used.  FTC_EFIELD, FTC_EPROGRAM (index),
   FTC_EINVAL. */
int64_t ftc_split_group(int rt, int field, const ftc_range_t *index, size_t n_index,
                        uint32_t n_series, const uint8_t *recs, size_t n, size_t size,
                        uint8_t *out, size_t out_size, ftc_split_group_t *groups,
                        uint32_t *slot, uint32_t *scratch, size_t *n_unknown);

/* ---- end of merge.c, split.c ---- */

/* ---- export.c (flow-export, flow-import) ---- */
/* text styles of ftc_export_text() */
#define FTC_XT_CSV   0   /* flow-export -f 2 (marked_tos value before extra_pkts) */
#define FTC_XT_COPY  1   /* CSV, values in field order (database COPY) */
#define FTC_XT_SQL   2   /* "(v,'a.b.c.d',...),\n" rows of a multi-row INSERT */
/* ftc_import_text() / ftc_wire_split() events (> 0) */
#define FTC_IMP_HEADER   1   /* a "#:" line at *consumed, *line_len bytes */
#define FTC_IMP_BROKEN   2   /* strict: a line of another column count, skipped */
#define FTC_IMP_VERSION  3   /* a datagram of an unknown version (*info) */
#define FTC_IMP_V8       4   /* a v8 datagram (the reference cannot read them) */
/* -m bits (1 << FTC_F_*) of the fields of record type rt (v1006: not the
   upper address words, exported with srcaddr / dstaddr / nexthop as whole
   addresses; flow_label, bit 45, is one) */
uint64_t ftc_xfield_mask(int rt);
/* The reference's cflowd mask of record type rt (commands.md 12.2). */
uint32_t ftc_cflowd_mask(int rt);
/* Record field of cflowd bit `bit` (0..23; bits 10/11 = First/Last), or -1. */
int ftc_cflowd_field(int bit);
/* Records recs[0..n) of type rt as text lines of the -m fields `mask`
   (those rt has), style FTC_XT_*, into out[0..cap).  Whole lines only:
   *consumed records, *len bytes.  FTC_OK or FTC_EFULL (write out, go on).
   v1006: srcaddr, dstaddr, nexthop as the whole address (ftc_put_addr6:
   RFC 5952, a dotted quad when IPv4-mapped). */
int ftc_export_text(const uint8_t *recs, size_t n, int rt, uint64_t mask, int style,
                    char *out, size_t cap, size_t *len, size_t *consumed);
/* cflowd records (u32 BE mask = mask & the type's, fields BE).  As above. */
int ftc_export_cflowd(const uint8_t *recs, size_t n, int rt, uint32_t mask,
                      uint8_t *out, size_t cap, size_t *len, size_t *consumed);
/* pcap-like packets (32-byte headers, Ethernet, IPv4, TCP/UDP).  As above;
   FTC_EFIELD when rt lacks a field they need. */
int ftc_export_pcap(const uint8_t *recs, size_t n, int rt, uint8_t *out, size_t cap,
                    size_t *len, size_t *consumed);
/* cflowd records in[0..len) -> records of rt in out (out_cap records).
   Stops before a partial record: *consumed bytes, *produced records.
   FTC_OK, FTC_EFULL (call again from *consumed), FTC_EINVAL. */
int ftc_import_cflowd(const uint8_t *in, size_t len, int rt, uint8_t *out, size_t out_cap,
                      size_t *produced, size_t *consumed);
/* Lines of in[0..len) (pieces of at most 1023 bytes, as fgets) -> records of
   rt: cell k (split on `sep`) goes to field cols[k] (-1: ignored; fields rt
   lacks are dropped), numbers as strtoul(base), addresses dotted; missing
   cells 0.  v1006: srcaddr, dstaddr, nexthop cells with a ':' are IPv6
   text (ftc_scan_addr6; malformed: ::), others dotted quads, IPv4-mapped.  Not strict (CSV): lines starting with '#' are skipped, except
   "#:" ones when `headers` (FTC_IMP_HEADER).  strict (NFCollector): a line
   without exactly ncols cells is FTC_IMP_BROKEN (skipped).  *lines counts
   the lines passed.  Without `final`, an unfinished last line waits.
   FTC_OK, FTC_EFULL, an FTC_IMP_* event (call again from *consumed). */
int ftc_import_text(const uint8_t *in, size_t len, int final, int rt, const int8_t *cols,
                    size_t ncols, int sep, int strict, int base, int headers,
                    uint8_t *out, size_t out_cap, size_t *produced, size_t *consumed,
                    uint64_t *lines, size_t *line_len);
/* Split concatenated datagrams in[0..len) by their version and count:
   lens[0..*n), *consumed bytes.  FTC_OK (the rest is under 4 bytes),
   FTC_EFULL (lens full), FTC_ETRUNC (*info = bytes the next one needs),
   FTC_IMP_VERSION / FTC_IMP_V8 (*info = version). */
int ftc_wire_split(const uint8_t *in, size_t len, uint32_t *lens, size_t cap, size_t *n,
                   size_t *consumed, uint32_t *info);
/* ---- end of export.c ---- */

/* ==== dscan.c (flow-dscan; commands.md 8.12, 17) ==== */
/* Scan detector state.  Sources live in an FTC_TAB_DSRC table (key: the
   4-byte address, as a host-order word), each (source, destination) in an
   FTC_TAB_DDST table (key: source | destination << 32, 8 bytes).  Lists
   are linked by addresses, never by slot, so a rehash keeps them: each
   of the 65536 buckets (hash = high 16 bits XOR low 16 bits of the
   source, as the reference) chains its sources newest first from
   heads[2 * bucket] (address; heads[2 * bucket + 1] != 0 when present);
   a source chains its destinations oldest first. */
#define FTC_TAB_DSRC       16   /* value ftc_dscan_src_t */
#define FTC_TAB_DDST       17   /* value ftc_dscan_dst_t */
#define FTC_DSCAN_BUCKETS  65536
#define FTC_DSCAN_AGER_BUCKETS 500  /* buckets one ager run visits */
#define FTC_DSCAN_AGER_EVERY   1000 /* the ager runs every this many flows */
#define FTC_DSCAN_HOST     1    /* source flags: host scan reported */
#define FTC_DSCAN_PORT     2    /* port scan reported */
#define FTC_DSCAN_MCAST    0x01 /* opts: -m drop multicast src or dst */
#define FTC_DSCAN_WEBSRC   0x02 /* -w drop TCP 80 -> port > 1023 */
#define FTC_DSCAN_WEBDST   0x04 /* -W drop TCP port > 1023 -> 80 */
#define FTC_DSCAN_DEBUG    0x08 /* log "ager: reset hash run" */
#define FTC_DSCAN_GARBLE   0x10 /* dates as the reference (8-byte time read) */
#define FTC_DSCAN_TEXT_MAX 4096 /* most text one record (or ager run) writes */
#define FTC_DSCAN_IFS_LEN  8192 /* an interface list: bit v of byte v >> 3 */
typedef struct {
    uint32_t depth;      /* destinations held */
    uint32_t flags;      /* FTC_DSCAN_HOST | FTC_DSCAN_PORT */
    uint32_t next;       /* the next (older) source of its bucket */
    uint32_t first;      /* its first destination */
    uint32_t last;       /* its last destination */
    uint32_t links;      /* bit 0: next is valid; bit 1: first/last are */
    uint32_t pad;
    uint32_t tag;        /* the table's */
} ftc_dscan_src_t;
typedef struct {
    uint32_t ports[32];  /* destination ports < 1024 seen (bit p & 31 of word p >> 5) */
    uint32_t seen;       /* flow number that last reached it */
    uint32_t next;       /* the next destination of its source */
    uint32_t has_next;
    uint32_t tag;        /* the table's */
} ftc_dscan_dst_t;
typedef struct {
    uint32_t ip_depth;       /* -D */
    uint32_t port_trigger;   /* -S */
    uint32_t ager_timeout;   /* -t (0: no ager) */
    uint32_t opts;           /* FTC_DSCAN_MCAST ... */
    uint32_t octets, packets, msecs;   /* -O -P -T (0: off) */
    uint32_t ager_pos;       /* next bucket the ager visits */
    uint64_t flows;          /* flows that reached scan tracking */
    uint32_t dump_header;    /* the trigger dump header was written */
    uint32_t n_sup_src, n_sup_dst;
    uint32_t pad;
    const uint8_t *in_ifs;   /* NULL or FTC_DSCAN_IFS_LEN bytes (-i) */
    const uint8_t *out_ifs;  /* NULL or FTC_DSCAN_IFS_LEN bytes (-I) */
    const uint32_t *sup_src; /* sorted ascending, n_sup_src */
    const uint32_t *sup_dst; /* sorted ascending, n_sup_dst */
    uint32_t *heads;         /* 2 * FTC_DSCAN_BUCKETS words */
} ftc_dscan_t;
/* Records [*done, n) of type rt (v1, v5, v6, v7; host order, recs holds
   size bytes) through the detector; the messages (scan reports, trigger
   dumps), each line `prefix` + text + "\n", are appended at out[*len..cap).
   Returns FTC_OK with *done = n, or with *done < n when fewer than
   FTC_DSCAN_TEXT_MAX bytes are left (flush and call again); FTC_EFULL
   when a table needs growth (run() grows it; call again); FTC_EFIELD,
   FTC_EINVAL. */
int ftc_dscan_add(ftc_dscan_t *st, ftc_tab_t *src, ftc_tab_t *dst, int rt,
                  const uint8_t *recs, size_t n, size_t size, size_t *done,
                  const char *prefix, size_t prefix_len, char *out, size_t cap, size_t *len);
/* The state file (from reading): writes from cursor cur[0..3] (zeroed to
   start) while at least FTC_DSCAN_TEXT_MAX bytes are left; returns 1 when
   the final "." is written, 0 to be called again, FTC_EINVAL. */
int ftc_dscan_save(const ftc_dscan_t *st, const ftc_tab_t *src, const ftc_tab_t *dst,
                   uint32_t *cur, char *out, size_t cap, size_t *len);
/* Loading a state file: a source (newest of its bucket; its depth and
   flags as given), or a destination appended to source s (ports: 32
   words).  FTC_EFULL: grow and call again; FTC_EINVAL (an unknown or
   duplicate source or destination). */
int ftc_dscan_put_src(ftc_dscan_t *st, ftc_tab_t *src, uint32_t s, uint32_t depth,
                      uint32_t flags);
int ftc_dscan_put_dst(ftc_dscan_t *st, ftc_tab_t *src, ftc_tab_t *dst, uint32_t s,
                      uint32_t d, uint32_t seen, const uint32_t *ports);
/* ==== end of dscan.c ==== */

/* ==== trw.c (flow-trw: Threshold Random Walk scan detection) ==== */
/* Jung, Paxson, Berger, Balakrishnan (IEEE S&P 2004).  One pass over the
   records fills three tables (ftc_table.h), then the walk runs per source
   in first-contact time order (man flow-trw, OUTCOMES):
     contacts  FTC_TAB_TRWC, key source | destination (8 bytes, each
               big-endian; v1006: 32 bytes, the 128-bit addresses): the
               EARLIEST attempt (start, then input order) from the source
               to the destination;
     replies   FTC_TAB_TRWR, key a 64-bit fingerprint of (answerer,
               answered, srcport, dstport, prot; ICMP and ICMPv6 ports 0),
               8 bytes: the time hull of the answers seen (TCP SYN+ACK, any
               UDP, ICMP echo reply, ICMPv6 echo reply 129);
     sources   FTC_TAB_TRWS, key the address (4 bytes; v1006: 16): the
               walk's state.
   Every run's three tables are of one width: 8/8/4 for records with
   32-bit addresses, 32/8/16 for v1006 (IPv4 flows there are their mapped
   addresses ::ffff:a.b.c.d).
   Attempts: TCP with SYN, UDP, ICMP echo request (dstport 2048), ICMPv6
   echo request (prot 58, type 128: dstport 0x8000) from a local source
   (to anywhere) or to a local destination.  Caps: a new first
   contact past max_contacts (table keys) or past max_per_source for its
   source, and a new reply tuple past max_replies, are not held but
   counted. */
#define FTC_TAB_TRWC       20   /* value ftc_trw_contact_t */
#define FTC_TAB_TRWR       21   /* value ftc_trw_reply_t */
#define FTC_TAB_TRWS       22   /* value ftc_trw_src_t */
#define FTC_TRW_SUCCESS    1    /* contact outcomes (ftc_trw_resolve) */
#define FTC_TRW_FAILURE    2
#define FTC_TRW_FLAGGED    1    /* source flags: the walk crossed eta1 */
#define FTC_TRW_LOCAL      2    /* the source is in the local set */
typedef struct {
    int64_t start;       /* ms since the epoch (First) */
    uint64_t seq;        /* record number in input order (ties) */
    uint32_t dur;        /* Last - First, ms */
    uint16_t srcport, dstport;
    uint8_t prot, flags; /* tcp_flags */
    uint8_t outcome;     /* FTC_TRW_SUCCESS / FAILURE once resolved */
    uint8_t pad;
    uint32_t tag;        /* the table's */
} ftc_trw_contact_t;
typedef struct {
    int64_t start, end;  /* earliest start, latest end of the answers, ms */
    uint32_t tag;        /* the table's */
} ftc_trw_reply_t;
typedef struct {
    double lambda;       /* the walk's likelihood ratio */
    double peak;         /* the highest lambda reached */
    int64_t flagged_at;  /* start (ms) of the first contact that crossed eta1 */
    uint32_t contacts;   /* first contacts held */
    uint32_t dropped;    /* first contacts not held (caps) */
    uint32_t failures;   /* of the held first contacts (ftc_trw_resolve) */
    uint32_t successes;
    uint32_t benign;     /* benign decisions (the walk restarted) */
    uint32_t to_flag;    /* first contacts walked when flagged */
    uint32_t fail_to_flag;   /* failures among them */
    uint32_t flags;      /* FTC_TRW_FLAGGED | FTC_TRW_LOCAL */
    uint32_t pad;
    uint32_t tag;        /* the table's */
} ftc_trw_src_t;
typedef struct {
    const ftc_zone_range_t *local;   /* the local set (ftc_zone_ranges); NULL: all */
    size_t n_local;
    double f_success;    /* theta1 / theta0 */
    double f_failure;    /* (1 - theta1) / (1 - theta0) */
    double eta1;         /* scanner at lambda >= eta1 */
    double eta0;         /* benign at lambda <= eta0: the walk restarts at 1 */
    uint32_t max_contacts, max_per_source, max_replies;
    uint32_t pad;
    uint64_t records;    /* records seen */
    uint64_t attempts;   /* attempts among them */
    uint64_t contacts_dropped;   /* new first contacts not held (caps) */
    uint64_t replies_dropped;    /* new reply tuples not held (cap) */
} ftc_trw_t;
/* Records [*done, n) of type rt (host order; recs holds size bytes; any
   version with addresses, ports, prot, tcp_flags, First and Last; v1006
   with 128-bit tables, every other with 32-bit ones, else FTC_EINVAL)
   into the tables.  FTC_OK with *done = n; FTC_EFULL when a table
   below its cap needs growth (*done = the record to take again; nothing
   of it was changed); FTC_EFIELD, FTC_EINVAL. */
int ftc_trw_add(ftc_trw_t *st, ftc_tab_t *contacts, ftc_tab_t *replies, ftc_tab_t *srcs,
                int rt, const uint8_t *recs, size_t n, size_t size, size_t *done);
/* After the last record: every contact's outcome, each source's failures
   and successes counted anew, then the walk of every source with at least
   min_failures failures over its contacts by (start, seq); idx and scratch
   hold n_idx >= contacts->used entries.  Returns the number of sources
   flagged, FTC_EINVAL. */
int64_t ftc_trw_finish(const ftc_trw_t *st, ftc_tab_t *contacts, const ftc_tab_t *replies,
                       ftc_tab_t *srcs, uint32_t min_failures, uint32_t *idx,
                       uint32_t *scratch, size_t n_idx);
/* The ports of the flagged sources' contacts into `pairs` (FTC_TAB_PR,
   key address | prot | port, 7 bytes, 19 with 128-bit tables: flows =
   first contacts, hits = failures), contact slots from *done on;
   FTC_EFULL: grow, call again. */
int ftc_trw_ports(const ftc_tab_t *contacts, const ftc_tab_t *srcs, ftc_tab_t *pairs,
                  uint32_t *done);
/* Compact recs[0..n) (rt, host order) to the flows of flagged sources
   (srcs 128-bit for v1006 records, 32-bit for the others). */
int ftc_trw_keep(const ftc_tab_t *srcs, int rt, uint8_t *recs, size_t n, size_t size,
                 size_t *kept);
/* ==== end of trw.c ==== */

/* cdef-end */

#endif /* FTCORE_H */
