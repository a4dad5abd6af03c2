/* fmt.c -- flow-print's 25 text formats (commands.md section 2) and format
 * 25 for v1006 (IPv4 and IPv6 flows, man/flow-print.1): a batch of
 * host-order records -> text in a caller buffer.  On v1006 the formats of
 * the v1 family (0-6) and 9 print too: an IPv4-mapped address as the dotted
 * quad in its IPv4 column, an IPv6 one in RFC 5952 form, its column widened
 * to A6_W (prefixes P6_W), so IPv4 flows print exactly as from version 5.
 *
 * Every format is a table of columns.  A column turns one value of the record
 * into text (a number, an address, a prefix, a time, a symbol name), cuts it
 * to its precision, pads it to its width and appends a fixed separator.  The
 * formatter loops over the columns of a record; there is no printf in the hot
 * path.  Local time comes from localtime_r, cached per minute in a
 * caller-owned state, so the result depends on TZ but never on the locale.
 */
#include <string.h>
#include <time.h>

#include "ftcore.h"
#include "ftc_internal.h"

_Static_assert(sizeof(((ftc_fmt_state_t *)0)->slot) / sizeof(ftc_fmt_tslot_t) == FTC_FMT_TCACHE,
               "ftc_fmt_state_t must hold FTC_FMT_TCACHE slots");

/* ---- column kinds, symbol tables, format flags ---- */

enum {
    K_END = 0,  /* end of a column table */
    K_LIT,      /* no value: only the separator */
    K_DEC,      /* field, unsigned decimal (or a symbol name) */
    K_HEX,      /* field, lowercase hex, zero padded to f2 digits */
    K_IP,       /* field, dotted quad */
    K_PFX,      /* address field f, mask field f2: "10.1/16" */
    K_TIME,     /* field First/Last as MMDD.HH:MM:SS.mmm (local time) */
    K_DTIME,    /* field First/Last as YYYY-MM-DD HH:MM:SS.mmm */
    K_ACTIVE,   /* (Last - First) as seconds.mmm */
    K_DUR,      /* (Last - First) in ms, decimal */
    K_BPK,      /* dOctets / dPkts */
    K_FL7,      /* tcp_flags & 7, decimal */
    K_TAG,      /* field as 0x%08x (or a tag name) */
    K_IP6       /* 128-bit address: upper words f, f+1, f+2, last word f2;
                   dotted quad when IPv4-mapped, else RFC 5952 */
};

enum { S_NONE = 0, S_PROT = FTC_SYMK_PROT, S_PORT = FTC_SYMK_PORT, S_AS = FTC_SYMK_AS,
       S_TAG = FTC_SYMK_TAG };

/* v1006: the column width of an IPv6 address (the longest RFC 5952 text)
   and of an IPv6 prefix ("/128" more) */
#define A6_W FTC_ADDR6_TEXT_MAX
#define P6_W (FTC_ADDR6_TEXT_MAX + 4)

#define FL_BOGUS 0x01   /* skip (and count) records with dPkts == 0 */
#define FL_SYN   0x02   /* format 2: only prot 6, flags 0x02, 2 pkts, 80 octets */

typedef struct {
    uint8_t kind;
    uint8_t f;      /* field */
    uint8_t f2;     /* mask field (K_PFX) or hex digits (K_HEX) */
    uint8_t w;      /* column width: pad to this many characters */
    uint8_t p;      /* precision: cut any text to this many (0 = never) */
    uint8_t nm;     /* cut a symbol name to this many characters */
    uint8_t sym;    /* S_* table for names */
    uint8_t right;  /* right-justified */
    const char *sep;
} col_t;

typedef struct {
    uint32_t rts;          /* bit (1 << rectype) for every accepted type */
    uint8_t flags;         /* FL_* */
    const char *hdr;
    const char *hdr_w;     /* NULL: no wide variant */
    const col_t *cols;
    const col_t *cols_w;
} fmt_t;

/* column constructors */
#define C_END                   {K_END, 0, 0, 0, 0, 0, S_NONE, 0, ""}
#define C_LIT(s)                {K_LIT, 0, 0, 0, 0, 0, S_NONE, 0, s}
#define C_DEC(f, w, s)          {K_DEC, FTC_F_##f, 0, w, 0, 0, S_NONE, 0, s}
#define C_DECR(f, w, s)         {K_DEC, FTC_F_##f, 0, w, 0, 0, S_NONE, 1, s}
#define C_SYM(f, w, nm, y, s)   {K_DEC, FTC_F_##f, 0, w, w, nm, y, 0, s}
#define C_HEX(f, d, s)          {K_HEX, FTC_F_##f, d, 0, 0, 0, S_NONE, 0, s}
#define C_HEXL(f, w, s)         {K_HEX, FTC_F_##f, 1, w, 0, 0, S_NONE, 0, s}
#define C_IP(f, w, s)           {K_IP, FTC_F_##f, 0, w, 0, 0, S_NONE, 0, s}
#define C_PFX(f, m, w, s)       {K_PFX, FTC_F_##f, FTC_F_##m, w, w, 0, S_NONE, 0, s}
#define C_TIME(f, s)            {K_TIME, FTC_F_##f, 0, 0, 0, 0, S_NONE, 0, s}
#define C_DTIME(f, s)           {K_DTIME, FTC_F_##f, 0, 0, 0, 0, S_NONE, 0, s}
#define C_ACTIVE(s)             {K_ACTIVE, 0, 0, 9, 0, 0, S_NONE, 1, s}
#define C_DUR(w, s)             {K_DUR, 0, 0, w, 0, 0, S_NONE, 0, s}
#define C_BPK(w, s)             {K_BPK, 0, 0, w, 0, 0, S_NONE, 0, s}
#define C_FL7(w, s)             {K_FL7, 0, 0, w, 0, 0, S_NONE, 0, s}
#define C_TAG(f, w, s)          {K_TAG, FTC_F_##f, 0, w, w, w, S_TAG, 0, s}
#define C_IP6(f, w, s)          {K_IP6, FTC_F_##f##6_0, FTC_F_##f, w, 0, 0, S_NONE, 0, s}

#define C_PROT(w, nm, s)        C_SYM(PROT, w, nm, S_PROT, s)
#define C_PORT(f, w, nm, s)     C_SYM(f, w, nm, S_PORT, s)
#define C_AS(f, w, s)           C_SYM(f, w, w, S_AS, s)

/* v8 counters: flows, octets, packets, duration, each L12! and unseparated */
#define C_COUNTERS \
    C_DEC(DFLOWS, 12, ""), C_DEC(DOCTETS, 12, ""), C_DEC(DPKTS, 12, ""), C_DUR(12, "\n")

/* second line of formats 1 and 2, then an empty line */
#define C_F1_LINE2 \
    C_LIT(" "), C_TIME(FIRST, "  "), C_TIME(LAST, "  "), C_ACTIVE(" "), \
    C_BPK(3, " "), C_HEX(TOS, 2, " "), C_HEX(TCP_FLAGS, 2, "\n\n")

#define RT(x) (1u << FTC_RT_##x)
#define RT_V1_FAMILY (RT(V1) | RT(V5) | RT(V6) | RT(V7) | RT(V1005) | RT(V1006))

/* ---- column tables ---- */

static const col_t f0[] = {
    C_HEX(INPUT, 4, " "), C_IP(SRCADDR, 15, "  "), C_HEX(OUTPUT, 4, " "),
    C_IP(DSTADDR, 15, "   "), C_HEX(PROT, 2, " "), C_HEXL(SRCPORT, 4, " "),
    C_HEXL(DSTPORT, 4, "  "), C_DEC(DPKTS, 10, " "), C_DEC(DOCTETS, 10, "\n"),
    C_END
};

static const col_t f1[] = {
    C_HEX(INPUT, 4, " "), C_IP(SRCADDR, 15, "  "), C_HEX(OUTPUT, 4, " "),
    C_IP(DSTADDR, 15, "   "), C_HEX(PROT, 2, " "), C_HEXL(SRCPORT, 4, " "),
    C_HEXL(DSTPORT, 4, "  "), C_DEC(DPKTS, 10, " "), C_DEC(DOCTETS, 10, "\n"),
    C_F1_LINE2, C_END
};

static const col_t f2[] = {
    C_HEX(INPUT, 2, "  "), C_IP(SRCADDR, 15, "  "), C_HEX(OUTPUT, 2, "  "),
    C_IP(DSTADDR, 15, " "), C_HEX(PROT, 2, " "), C_HEXL(SRCPORT, 4, " "),
    C_HEXL(DSTPORT, 4, " "), C_DEC(DPKTS, 10, " "), C_DEC(DOCTETS, 10, "\n"),
    C_F1_LINE2, C_END
};

static const col_t f3[] = {
    C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "), C_PROT(4, 4, "  "),
    C_PORT(SRCPORT, 7, 7, "  "), C_PORT(DSTPORT, 7, 7, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f3w[] = {
    C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "), C_PROT(5, 4, "  "),
    C_PORT(SRCPORT, 16, 16, "  "), C_PORT(DSTPORT, 16, 16, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f4[] = {
    C_PFX(SRCADDR, SRC_MASK, 18, " "), C_PFX(DSTADDR, DST_MASK, 18, " "),
    C_PROT(4, 4, "  "), C_AS(SRC_AS, 5, "  "), C_AS(DST_AS, 5, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f4w[] = {
    C_HEX(INPUT, 4, " "), C_HEX(OUTPUT, 4, " "),
    C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_PFX(DSTADDR, DST_MASK, 18, "  "),
    C_PROT(5, 4, "  "), C_AS(SRC_AS, 16, "  "), C_AS(DST_AS, 16, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f5[] = {
    C_TIME(FIRST, " "), C_TIME(LAST, " "), C_DEC(INPUT, 5, " "),
    C_IP(SRCADDR, 15, " "), C_DEC(SRCPORT, 5, " "), C_DEC(OUTPUT, 5, " "),
    C_IP(DSTADDR, 15, " "), C_DEC(DSTPORT, 5, " "), C_DEC(PROT, 3, " "),
    C_FL7(2, " "), C_DEC(DPKTS, 10, " "), C_DEC(DOCTETS, 10, "\n"), C_END
};

static const col_t f6[] = {
    C_LIT(" "), C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "),
    C_DECR(DPKTS, 17, "  "), C_DECR(DOCTETS, 18, "\n"), C_END
};

static const col_t f7[] = {
    C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_PFX(DSTADDR, DST_MASK, 18, "  "),
    C_IP(ROUTER_SC, 15, "  "), C_PROT(5, 4, "  "),
    C_PORT(SRCPORT, 14, 14, "  "), C_PORT(DSTPORT, 14, 14, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f8[] = {
    C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_PFX(DSTADDR, DST_MASK, 18, "  "),
    C_IP(PEER_NEXTHOP, 15, "  "), C_DEC(IN_ENCAPS, 4, " "),
    C_DEC(OUT_ENCAPS, 4, "  "), C_PROT(5, 4, "  "),
    C_PORT(SRCPORT, 14, 14, "  "), C_PORT(DSTPORT, 14, 14, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f9[] = {
    C_TAG(SRC_TAG, 10, "  "), C_TAG(DST_TAG, 10, "  "),
    C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f9w[] = {
    C_TAG(SRC_TAG, 15, "  "), C_TAG(DST_TAG, 15, "  "),
    C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

#define F10_COLS(w) \
    C_AS(SRC_AS, w, "  "), C_AS(DST_AS, w, "  "), \
    C_DEC(INPUT, 7, ""), C_DEC(OUTPUT, 7, ""), C_COUNTERS, C_END
#define F11_COLS(w) \
    C_PORT(SRCPORT, w, w, "  "), C_PORT(DSTPORT, w, w, "  "), \
    C_PROT(5, 4, "  "), C_COUNTERS, C_END
#define F12_COLS(w) \
    C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_AS(SRC_AS, w, "  "), \
    C_DEC(INPUT, 7, ""), C_COUNTERS, C_END
#define F13_COLS(w) \
    C_PFX(DSTADDR, DST_MASK, 18, "  "), C_AS(DST_AS, w, "  "), \
    C_DEC(OUTPUT, 7, ""), C_COUNTERS, C_END
#define F14_COLS(w) \
    C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_AS(SRC_AS, w, "  "), \
    C_PFX(DSTADDR, DST_MASK, 18, "  "), C_AS(DST_AS, w, "  "), \
    C_DEC(INPUT, 7, ""), C_DEC(OUTPUT, 7, ""), C_COUNTERS, C_END
#define C_TOS C_DEC(TOS, 3, "  ")

static const col_t f10[] = { F10_COLS(5) };
static const col_t f10w[] = { F10_COLS(16) };
static const col_t f11[] = { F11_COLS(7) };
static const col_t f11w[] = { F11_COLS(16) };
static const col_t f12[] = { F12_COLS(5) };
static const col_t f12w[] = { F12_COLS(16) };
static const col_t f13[] = { F13_COLS(5) };
static const col_t f13w[] = { F13_COLS(16) };
static const col_t f14[] = { F14_COLS(5) };
static const col_t f14w[] = { F14_COLS(16) };

static const col_t f15[] = {
    C_IP(DSTADDR, 15, "  "), C_IP(ROUTER_SC, 15, "  "), C_DEC(OUTPUT, 5, "  "),
    C_DEC(TOS, 3, "  "), C_DEC(MARKED_TOS, 3, "  "), C_DEC(EXTRA_PKTS, 10, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f16[] = {
    C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "), C_IP(ROUTER_SC, 15, "  "),
    C_DEC(INPUT, 5, "  "), C_DEC(OUTPUT, 5, "  "),
    C_DEC(TOS, 3, "  "), C_DEC(MARKED_TOS, 3, "  "), C_DEC(EXTRA_PKTS, 10, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f17[] = {
    C_IP(SRCADDR, 15, "  "), C_IP(DSTADDR, 15, "  "), C_IP(ROUTER_SC, 15, "  "),
    C_DEC(INPUT, 5, "  "), C_DEC(OUTPUT, 5, "  "),
    C_PORT(SRCPORT, 5, 4, "  "), C_PORT(DSTPORT, 5, 4, "  "), C_PROT(3, 3, "  "),
    C_DEC(TOS, 3, "  "), C_DEC(MARKED_TOS, 3, "  "), C_DEC(EXTRA_PKTS, 10, "  "),
    C_DEC(DOCTETS, 10, "  "), C_DEC(DPKTS, 10, "\n"), C_END
};

static const col_t f18[] = { C_TOS, F10_COLS(5) };
static const col_t f18w[] = { C_TOS, F10_COLS(16) };
/* the reference prints the protocol in the ToS column */
static const col_t f19[] = { C_DEC(PROT, 3, "  "), F11_COLS(7) };
static const col_t f19w[] = { C_DEC(PROT, 3, "  "), F11_COLS(16) };
static const col_t f20[] = { C_TOS, F12_COLS(5) };
static const col_t f20w[] = { C_TOS, F12_COLS(16) };
static const col_t f21[] = { C_TOS, F13_COLS(5) };
static const col_t f21w[] = { C_TOS, F13_COLS(16) };

/* the reference swaps the dst prefix and src_as values (not the headers) */
#define F22_COLS(w) \
    C_TOS, C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_PFX(DSTADDR, DST_MASK, w, "  "), \
    C_AS(SRC_AS, 18, "  "), C_AS(DST_AS, w, "  "), \
    C_DEC(INPUT, 7, ""), C_DEC(OUTPUT, 7, ""), C_COUNTERS, C_END
static const col_t f22[] = { F22_COLS(5) };
static const col_t f22w[] = { F22_COLS(16) };

static const col_t f23[] = {
    C_TOS, C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_PFX(DSTADDR, DST_MASK, 18, "  "),
    C_PROT(3, 3, "  "), C_PORT(SRCPORT, 5, 5, "  "), C_PORT(DSTPORT, 5, 5, "  "),
    C_DEC(INPUT, 7, ""), C_DEC(OUTPUT, 7, ""), C_COUNTERS, C_END
};

static const col_t f23w[] = {
    C_TOS, C_PFX(SRCADDR, SRC_MASK, 18, "  "), C_PFX(DSTADDR, DST_MASK, 18, "  "),
    C_PROT(5, 4, "  "), C_PORT(SRCPORT, 16, 16, "  "), C_PORT(DSTPORT, 16, 16, "  "),
    C_DEC(INPUT, 7, ""), C_DEC(OUTPUT, 7, ""), C_COUNTERS, C_END
};

static const col_t f24[] = {
    C_HEX(INPUT, 4, " "), C_IP(SRCADDR, 15, "  "), C_HEX(OUTPUT, 4, " "),
    C_IP(DSTADDR, 15, "  "), C_HEX(PROT, 2, " "), C_DEC(SRCPORT, 5, " "),
    C_DEC(DSTPORT, 5, " "), C_DEC(DPKTS, 10, " "), C_DEC(DOCTETS, 10, "   "),
    C_DTIME(FIRST, "  "), C_DTIME(LAST, "  "), C_IP(EXADDR, 15, " "),
    C_IP(ROUTER_SC, 15, " "), C_ACTIVE(" "), C_BPK(4, "  "), C_HEX(TOS, 2, " "),
    C_HEX(TCP_FLAGS, 2, "  "), C_AS(SRC_AS, 5, " "), C_AS(DST_AS, 5, "\n"), C_END
};

/* 25: format 5 for v1006, its address columns 39 wide (the longest RFC 5952
   text; IPv4 flows print dotted quads) */
static const col_t f25[] = {
    C_TIME(FIRST, " "), C_TIME(LAST, " "), C_DEC(INPUT, 5, " "),
    C_IP6(SRCADDR, 39, " "), C_DEC(SRCPORT, 5, " "), C_DEC(OUTPUT, 5, " "),
    C_IP6(DSTADDR, 39, " "), C_DEC(DSTPORT, 5, " "), C_DEC(PROT, 3, " "),
    C_FL7(2, " "), C_DEC(DPKTS, 10, " "), C_DEC(DOCTETS, 10, "\n"), C_END
};

/* ---- header texts ---- */

#define H_COUNTERS "flows       octets      packets     duration\n"
#define H_ASN "srcAS  dstAS  "
#define H_ASW "srcAS             dstAS             "
#define H_PORTN "srcPort  dstPort  prot   "
#define H_PORTW "srcPort           dstPort           prot   "
#define H_F1LINE2 " StartTime          EndTime             Active   B/Pk Ts Fl\n\n"

static const fmt_t formats[FTC_FMT_COUNT] = {
    /* 0 */ {RT_V1_FAMILY | RT(V8_8) | RT(V8_14), 0,
             "Sif  SrcIPaddress     Dif  DstIPaddress      Pr SrcP DstP  Pkts       Octets\n",
             NULL, f0, NULL},
    /* 1 */ {RT_V1_FAMILY, FL_BOGUS,
             "Sif  SrcIPaddress     DIf  DstIPaddress      Pr SrcP DstP  Pkts  Octets\n" H_F1LINE2,
             NULL, f1, NULL},
    /* 2 */ {RT_V1_FAMILY, FL_BOGUS | FL_SYN,
             "Sif SrcIPaddress     DIf DstIPaddress    Pr SrcP DstP Pkts       Octets\n" H_F1LINE2,
             NULL, f2, NULL},
    /* 3 */ {RT_V1_FAMILY | RT(V8_8) | RT(V8_14), 0,
             "srcIP            dstIP            prot  srcPort  dstPort  octets      packets\n",
             "srcIP            dstIP            prot   srcPort           dstPort           octets      packets\n",
             f3, f3w},
    /* 4 */ {RT(V5) | RT(V6) | RT(V7) | RT(V1005) | RT(V1006), 0,
             "srcIP              dstIP              prot  srcAS  dstAS  octets      packets\n",
             "Sif  Dif  srcIP               dstIP               prot   srcAS             dstAS             octets      packets\n",
             f4, f4w},
    /* 5 */ {RT_V1_FAMILY, 0,
             "Start             End               Sif   SrcIPaddress    SrcP  DIf   DstIPaddress    DstP    P Fl Pkts       Octets\n\n",
             NULL, f5, NULL},
    /* 6 */ {RT_V1_FAMILY | RT(V8_5) | RT(V8_7) | RT(V8_8) | RT(V8_13) | RT(V8_14), 0,
             "   Source           Destination              Packets               Bytes\n",
             NULL, f6, NULL},
    /* 7 */ {RT(V7), 0,
             "srcIP               dstIP               router_sc        prot   srcPort         dstPort         octets      packets\n",
             NULL, f7, NULL},
    /* 8 */ {RT(V6), 0,
             "srcIP               dstIP               peer_nexthop     encap i/o  prot   srcPort         dstPort         octets      packets\n",
             NULL, f8, NULL},
    /* 9 */ {RT(V1005) | RT(V1006), 0,
             "srcTag      dstTag      srcIP            dstIP            octets      packets\n",
             "srcTag             dstTag             srcIP            dstIP            octets      packets\n",
             f9, f9w},
    /* 10 */ {RT(V8_1) | RT(V8_5) | RT(V8_9) | RT(V8_13), 0,
              H_ASN "in     out    " H_COUNTERS,
              H_ASW "in     out    " H_COUNTERS,
              f10, f10w},
    /* 11 */ {RT(V8_2) | RT(V8_10) | RT(V8_14), 0,
              H_PORTN H_COUNTERS, H_PORTW H_COUNTERS, f11, f11w},
    /* 12 */ {RT(V8_3) | RT(V8_5) | RT(V8_11) | RT(V8_13), 0,
              "src/mask            srcAS  input  " H_COUNTERS,
              "srcPrefix           srcAS             input  " H_COUNTERS,
              f12, f12w},
    /* 13 */ {RT(V8_4) | RT(V8_5) | RT(V8_12) | RT(V8_13), 0,
              "dst/mask            dstAS  input  " H_COUNTERS,
              "dstPrefix           dstAS             input  " H_COUNTERS,
              f13, f13w},
    /* 14 */ {RT(V8_5) | RT(V8_13), 0,
              "srcPrefix           srcAS  dstPrefix           dstAS  input  output " H_COUNTERS,
              "srcPrefix           srcAS             dstPrefix           dstAS             input  output " H_COUNTERS,
              f14, f14w},
    /* 15 */ {RT(V8_6) | RT(V8_7) | RT(V8_8), 0,
              "dstIP            router_sc        Dif    ToS  mToS xpackets    octets      packets\n",
              NULL, f15, NULL},
    /* 16 */ {RT(V8_7) | RT(V8_8), 0,
              "srcIP            dstIP            router_sc        Sif    Dif    ToS  mToS xpackets    octets      packets\n",
              NULL, f16, NULL},
    /* 17 */ {RT(V8_8), 0,
              "srcIP            dstIP            router_sc        Sif    Dif    SrcP   DstP   prot ToS  mToS xpackets    octets      packets\n",
              NULL, f17, NULL},
    /* 18 */ {RT(V8_9) | RT(V8_13), 0,
              "ToS  " H_ASN "in     out    " H_COUNTERS,
              "ToS  " H_ASW "in     out    " H_COUNTERS,
              f18, f18w},
    /* 19 */ {RT(V8_10) | RT(V8_14), 0,
              "ToS  " H_PORTN H_COUNTERS, "ToS  " H_PORTW H_COUNTERS, f19, f19w},
    /* 20 */ {RT(V8_11) | RT(V8_13), 0,
              "ToS  srcPrefix           srcAS  input  " H_COUNTERS,
              "ToS  srcPrefix           srcAS             input  " H_COUNTERS,
              f20, f20w},
    /* 21 */ {RT(V8_12) | RT(V8_13), 0,
              "ToS  dst/mask            dstAS  input  " H_COUNTERS,
              "ToS  dstPrefix           dstAS             input  " H_COUNTERS,
              f21, f21w},
    /* 22 */ {RT(V8_13), 0,
              "ToS  srcPrefix           srcAS  dstPrefix           dstAS  input  output " H_COUNTERS,
              "ToS  srcPrefix           srcAS             dstPrefix           dstAS             input  output " H_COUNTERS,
              f22, f22w},
    /* 23 */ {RT(V8_14), 0,
              "ToS  srcPrefix           dstPrefix           Pr   SrcP   DstP    input  output " H_COUNTERS,
              "ToS  srcPrefix           dstPrefix           Pr     SrcP              DstP              input  output " H_COUNTERS,
              f23, f23w},
    /* 24 */ {RT(V7), FL_BOGUS,
              "#Sif SrcIPaddress     DIf  DstIPaddress     Pr SrcP  DstP  Pkts       Octets       StartDate  StartTime     EndDate    EndTime       ExporterAddr    RouterSrc          Active B/Pk  Ts Fl  SrcAS DstAS\n\n",
              NULL, f24, NULL},
    /* 25 (pyflowtools: v1006) */
    {RT(V1006), 0,
     "Start             End               Sif   SrcIPaddress                            SrcP  DIf   DstIPaddress                            DstP    P Fl Pkts       Octets\n\n",
     NULL, f25, NULL},
};

/* ---- the formatter ---- */

static const fmt_t *fmt_get(int fmt)
{
    if (fmt < 0 || fmt >= FTC_FMT_COUNT)
        return NULL;
    return &formats[fmt];
}

static const col_t *fmt_cols(const fmt_t *F, unsigned opts)
{
    return (opts & FTC_FMT_WIDE) && F->cols_w ? F->cols_w : F->cols;
}

/* the field of the first word of a v1006 128-bit address whose last word is
   field f, or -1 */
static int addr6_hi(int f)
{
    return f == FTC_F_SRCADDR ? FTC_F_SRCADDR6_0 : f == FTC_F_DSTADDR ? FTC_F_DSTADDR6_0
           : f == FTC_F_NEXTHOP ? FTC_F_NEXTHOP6_0 : -1;
}

/* the prefix of length len (0..128; more reads as 128) of a 128-bit address,
   as "text/len" (the address masked, printed as ftc_put_addr6 does) */
static size_t put_prefix6(char *p, const uint32_t a[4], uint32_t len)
{
    uint32_t m[4];
    size_t n;
    int i;
    for (i = 0; i < 4; i++) {
        uint32_t bits = len > 32u * (unsigned)i ? len - 32u * (unsigned)i : 0;
        m[i] = bits >= 32 ? a[i] : bits ? a[i] & ~(0xFFFFFFFFu >> bits) : 0;
    }
    n = ftc_put_addr6(p, m);
    p[n++] = '/';
    return n + ftc_put_dec(p + n, len);
}

/* one record as text at o; returns the length.  six: the record is v1006
   (128-bit addresses).  Always inlined into emit4 / emit6 below, so the
   IPv4 types' path carries no v1006 test. */
static inline __attribute__((always_inline))
size_t emit(const col_t *c, const ftc_layout_t *L, const uint8_t *rec,
            const ftc_symtab_t *sym, ftc_fmt_state_t *st, char *o, const int six)
{
    char *p = o;
    char tmp[64];
    for (; c->kind != K_END; c++) {
        const char *t = tmp;
        const char *s;
        size_t tl = 0, pad, w = c->w, prec = c->p;
        uint32_t v, d, a6[4];
        int hi;
        switch (c->kind) {
        case K_DEC:
            v = ftc_get(L, rec, c->f);
            if (sym && c->sym && (t = ftc_sym_name(sym, c->sym, v)) != NULL) {
                tl = strnlen(t, c->nm);
            } else {
                t = tmp;
                tl = ftc_put_dec(tmp, v);
            }
            break;
        case K_TAG:
            v = ftc_get(L, rec, c->f);
            if (sym && (t = ftc_sym_name(sym, S_TAG, v)) != NULL) {
                tl = strnlen(t, c->nm);
            } else {
                t = tmp;
                tmp[0] = '0';
                tmp[1] = 'x';
                tl = 2 + ftc_put_hex(tmp + 2, v, 8);
            }
            break;
        case K_HEX:
            tl = ftc_put_hex(tmp, ftc_get(L, rec, c->f), c->f2);
            break;
        case K_IP:
            if (six && (hi = addr6_hi(c->f)) >= 0) {
                ftc_get_addr6(L, rec, hi, c->f, a6);
                tl = ftc_put_addr6(tmp, a6);
                if (!(a6[0] == 0 && a6[1] == 0 && a6[2] == FTC_MAPPED_WORD) && w < A6_W)
                    w = A6_W;
                break;
            }
            tl = ftc_put_ip(tmp, ftc_get(L, rec, c->f));
            break;
        case K_IP6: {
            uint32_t a[4];
            ftc_get_addr6(L, rec, c->f, c->f2, a);
            tl = ftc_put_addr6(tmp, a);
            break;
        }
        case K_PFX:
            if (six && (hi = addr6_hi(c->f)) >= 0 && !ftc_rec6_is_ipv4(L, rec)) {
                /* an IPv6 flow: its prefix lengths count 128 bits */
                ftc_get_addr6(L, rec, hi, c->f, a6);
                tl = put_prefix6(tmp, a6, ftc_get(L, rec, c->f2));
                if (w < P6_W)
                    w = P6_W;
                prec = 0;
                break;
            }
            tl = ftc_put_prefix(tmp, ftc_get(L, rec, c->f), ftc_get(L, rec, c->f2));
            break;
        case K_TIME:
        case K_DTIME:
            tl = ftc_put_time(tmp, st, ftc_flow_ms(L, rec, c->f), c->kind == K_DTIME);
            break;
        case K_ACTIVE:
            d = ftc_get(L, rec, FTC_F_LAST) - ftc_get(L, rec, FTC_F_FIRST);
            tl = ftc_put_dec(tmp, d / 1000);
            tmp[tl++] = '.';
            ftc_put3(tmp + tl, d % 1000);
            tl += 3;
            break;
        case K_DUR:
            tl = ftc_put_dec(tmp, ftc_get(L, rec, FTC_F_LAST) - ftc_get(L, rec, FTC_F_FIRST));
            break;
        case K_BPK:
            v = ftc_get(L, rec, FTC_F_DPKTS);
            tl = ftc_put_dec(tmp, v ? ftc_get(L, rec, FTC_F_DOCTETS) / v : 0);
            break;
        case K_FL7:
            tl = ftc_put_dec(tmp, ftc_get(L, rec, FTC_F_TCP_FLAGS) & 7);
            break;
        default: /* K_LIT */
            break;
        }
        if (prec && tl > prec)
            tl = prec;
        pad = w > tl ? w - tl : 0;
        if (c->right) {
            memset(p, ' ', pad);
            p += pad;
            memcpy(p, t, tl);
            p += tl;
        } else {
            memcpy(p, t, tl);
            p += tl;
            memset(p, ' ', pad);
            p += pad;
        }
        for (s = c->sep; *s; s++)
            *p++ = *s;
    }
    return (size_t)(p - o);
}

static size_t emit4(const col_t *c, const ftc_layout_t *L, const uint8_t *rec,
                    const ftc_symtab_t *sym, ftc_fmt_state_t *st, char *o)
{
    return emit(c, L, rec, sym, st, o, 0);
}

static size_t emit6(const col_t *c, const ftc_layout_t *L, const uint8_t *rec,
                    const ftc_symtab_t *sym, ftc_fmt_state_t *st, char *o)
{
    return emit(c, L, rec, sym, st, o, 1);
}

int ftc_fmt_default(int rt)
{
    switch (rt) {
    case FTC_RT_V6: return 8;
    case FTC_RT_V7: return 7;
    case FTC_RT_V1005: return 9;
    case FTC_RT_V1006: return 25;
    default:
        if (rt >= FTC_RT_V8_1 && rt <= FTC_RT_V8_14)
            return 10 + (rt - FTC_RT_V8_1);
        return 3;
    }
}

int ftc_fmt_check(int fmt, int rt)
{
    const fmt_t *F = fmt_get(fmt);
    if (!F)
        return FTC_EFORMAT;
    if (rt < 0 || rt >= FTC_RT_COUNT)
        return FTC_EINVAL;
    if ((F->rts >> rt) & 1)
        return FTC_OK;
    /* past the reference's formats, for the types it reads: none */
    return fmt >= FTC_FMT_REF_COUNT && rt != FTC_RT_V1006 ? FTC_EFORMAT : FTC_EFIELD;
}

int ftc_fmt_addr6(const uint32_t *w, char *out, size_t cap, size_t *len)
{
    char tmp[64];
    size_t n;
    if (!w || !len || (cap && !out))
        return FTC_EINVAL;
    *len = 0;
    n = ftc_put_addr6(tmp, w);
    if (n > cap)
        return FTC_EFULL;
    memcpy(out, tmp, n);
    *len = n;
    return FTC_OK;
}

unsigned ftc_fmt_symbols(int fmt, unsigned opts)
{
    const fmt_t *F = fmt_get(fmt);
    const col_t *c;
    unsigned used = 0;
    if (!F || !(opts & FTC_FMT_NAMES))
        return 0;
    for (c = fmt_cols(F, opts); c->kind != K_END; c++)
        if (c->sym)
            used |= 1u << (c->sym - 1);
    return used;
}

int ftc_fmt_header(int fmt, int rt, unsigned opts, char *out, size_t cap, size_t *len)
{
    const fmt_t *F;
    const char *h;
    size_t n;
    int rc;
    if (!out || !len)
        return FTC_EINVAL;
    rc = ftc_fmt_check(fmt, rt);
    *len = 0;
    if (rc != FTC_OK)
        return rc;
    F = fmt_get(fmt);
    h = (opts & FTC_FMT_WIDE) && F->hdr_w ? F->hdr_w : F->hdr;
    n = strlen(h);
    if (n > cap)
        return FTC_EFULL;
    memcpy(out, h, n);
    *len = n;
    return FTC_OK;
}

int ftc_fmt_records(const uint8_t *recs, size_t n, int rt, int fmt, unsigned opts,
                    const ftc_symtab_t *sym, ftc_fmt_state_t *st,
                    char *out, size_t cap, size_t *len, size_t *consumed,
                    size_t *bogus)
{
    const fmt_t *F;
    const col_t *cols;
    const ftc_layout_t *L;
    size_t i, pos = 0, nbogus = 0, rs;
    int rc, six;
    if (!len || !consumed || !bogus || !st || (n && !recs) || (cap && !out))
        return FTC_EINVAL;
    rc = ftc_fmt_check(fmt, rt);
    *len = 0;
    *consumed = 0;
    *bogus = 0;
    if (rc != FTC_OK)
        return rc;
    F = fmt_get(fmt);
    L = ftc_layout_get(rt);
    cols = fmt_cols(F, opts);
    rs = L->rec_size;
    six = L->off[FTC_F_SRCADDR6_0] >= 0;
    if (n > SIZE_MAX / rs)
        return FTC_EINVAL;
    if (!(opts & FTC_FMT_NAMES))
        sym = NULL;
    /* names are read up to their NUL: the blob must end in one */
    if (sym && sym->blob && (sym->blob_len == 0 || sym->blob[sym->blob_len - 1] != 0))
        return FTC_EINVAL;
    if (sym && sym->n_tag && (!sym->tag_key || !sym->tag_off))
        return FTC_EINVAL;
    for (i = 0; i < n; i++) {
        const uint8_t *rec = recs + i * rs;
        if (cap - pos < FTC_FMT_LINE_MAX)
            break;
        if (F->flags & FL_BOGUS && ftc_get(L, rec, FTC_F_DPKTS) == 0) {
            nbogus++;
            continue;
        }
        if (F->flags & FL_SYN &&
            !(ftc_get(L, rec, FTC_F_PROT) == 6 && ftc_get(L, rec, FTC_F_TCP_FLAGS) == 0x02 &&
              ftc_get(L, rec, FTC_F_DPKTS) == 2 && ftc_get(L, rec, FTC_F_DOCTETS) == 80))
            continue;
        pos += six ? emit6(cols, L, rec, sym, st, out + pos)
                   : emit4(cols, L, rec, sym, st, out + pos);
    }
    *len = pos;
    *consumed = i;
    *bogus = nbogus;
    return i < n ? FTC_EFULL : FTC_OK;
}

/* ---- symbol files ---- */

static int sym_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* strtoul(tok, NULL, 0) on tok[0..n), wrapped to 32 bits; -1 if tok does not
   start with a digit */
static int64_t sym_number(const uint8_t *tok, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    unsigned base = 10;
    if (n == 0 || tok[0] < '0' || tok[0] > '9')
        return -1;
    if (tok[0] == '0') {
        base = 8;
        if (n > 2 && (tok[1] == 'x' || tok[1] == 'X')) {
            uint8_t c = tok[2];
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
                base = 16;
                i = 2;
            }
        }
    }
    for (; i < n; i++) {
        uint8_t c = tok[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        if (d >= base)
            break;
        v = v * base + d;
    }
    return (int64_t)(v & 0xFFFFFFFFu);
}

int ftc_sym_parse(uint8_t *text, size_t len, uint32_t base, uint32_t *keys,
                  uint32_t *offs, size_t cap, size_t *n, size_t *bad_line)
{
    size_t pos = 0, line = 0, count = 0;
    if (!n || !bad_line || (!text && len) || (cap && (!keys || !offs)) || len > 0xFFFFFFFFu - base)
        return FTC_EINVAL;
    *n = 0;
    *bad_line = 0;
    while (pos < len) {
        size_t eol = pos, p, tok, tok_end, name_end;
        int64_t num;
        const uint8_t *nl = memchr(text + pos, '\n', len - pos);
        eol = nl ? (size_t)(nl - text) : len;
        line++;
        p = pos;
        while (p < eol && sym_blank(text[p]))
            p++;
        if (p == eol || text[p] == '#') {
            pos = eol + 1;
            continue;
        }
        tok = p;
        while (p < eol && !sym_blank(text[p]))
            p++;
        tok_end = p;
        while (p < eol && sym_blank(text[p]))
            p++;
        name_end = eol;
        while (name_end > p && sym_blank(text[name_end - 1]))
            name_end--;
        num = sym_number(text + tok, tok_end - tok);
        if (num < 0 || name_end == p) {
            *n = count;
            *bad_line = line;
            return FTC_EFORMAT;
        }
        if (count >= cap) {
            *n = count;
            return FTC_EFULL;
        }
        text[name_end] = 0;
        keys[count] = (uint32_t)num;
        offs[count] = base + (uint32_t)p;
        count++;
        pos = eol + 1;
    }
    *n = count;
    return FTC_OK;
}

int ftc_sym_index(const uint32_t *keys, const uint32_t *offs, size_t n,
                  uint32_t *table, size_t size)
{
    size_t i;
    if ((size && !table) || (n && (!keys || !offs)))
        return FTC_EINVAL;
    for (i = 0; i < size; i++)
        table[i] = FTC_SYM_NONE;
    for (i = 0; i < n; i++)
        if (keys[i] < size)
            table[keys[i]] = offs[i];
    return FTC_OK;
}
