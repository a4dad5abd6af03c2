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

#define FTC_ABI_VERSION 1

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
    FTC_RT_COUNT = 19
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
    FTC_F_COUNT = 36
};

/* Layout of one record type (host order).  off[f] is the byte offset of
   field f or -1; width of every field is ftc_field_width(f). */
typedef struct {
    uint16_t version;      /* 1, 5, 6, 7, 8 or 1005 */
    uint8_t  agg_method;   /* 1..14 for version 8, else 0 */
    uint8_t  rec_size;     /* bytes per record */
    int16_t  off[36];      /* FTC_F_COUNT entries */
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

/* ---- fmt.c (flow-print formats) ---- */

/* ---- pdu.c (NetFlow export datagrams) ---- */

/* cdef-end */

#endif /* FTCORE_H */
