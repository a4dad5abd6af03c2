/* layout.c -- record layouts of every flow-tools stream record type,
 * field widths and names, status strings. */
#include "ftcore.h"
#include "ftc_internal.h"

#define X (-1)
/*             secs nsecs upt exa flw pkt oct fst lst  et  ei   -  src dst   -   -  nh  in out  sp  dp  pr tos flg  sm  dm sas das ien oen pnh rsc xpk mts stg dtg */
#define V1_BASE   0,  4,  8, 12,  X, 32, 36, 40, 44
/* fields 36..45 (the v1006 address words and flow label) in the others */
#define NO6       X, X, X, X, X, X, X, X, X, X

static const ftc_layout_t layouts[FTC_RT_COUNT] = {
    /* v1, 60 bytes */
    {1, 0, 60, {V1_BASE, X, X, X, 16, 20, X, X, 24, 28, 30, 48, 50, 52, 53, 54, X, X, X, X, X, X, X, X, X, X, X, X, NO6}},
    /* v5, 64 bytes */
    {5, 0, 64, {V1_BASE, 56, 57, X, 16, 20, X, X, 24, 28, 30, 48, 50, 52, 53, 54, 58, 59, 60, 62, X, X, X, X, X, X, X, X, NO6}},
    /* v6, 72 bytes */
    {6, 0, 72, {V1_BASE, 56, 57, X, 16, 20, X, X, 24, 28, 30, 48, 50, 52, 53, 54, 58, 59, 60, 62, 64, 65, 68, X, X, X, X, X, NO6}},
    /* v7, 68 bytes */
    {7, 0, 68, {V1_BASE, 56, 57, X, 16, 20, X, X, 24, 28, 30, 48, 50, 52, 53, 54, 58, 59, 60, 62, X, X, X, 64, X, X, X, X, NO6}},
    /* v1005, 72 bytes */
    {1005, 0, 72, {V1_BASE, 56, 57, X, 16, 20, X, X, 24, 28, 30, 48, 50, 52, 53, 54, 58, 59, 60, 62, X, X, X, X, X, X, 64, 68, NO6}},
/*               secs nsecs upt exa flw pkt oct fst lst  et  ei   -  src dst   -   -  nh  in out  sp  dp  pr tos flg  sm  dm sas das ien oen pnh rsc xpk mts stg dtg */
    /* 8.1 AS */
    {8, 1, 48, {0, 4, 8, 12, 16, 20, 24, 28, 32, 44, 45, X, X, X, X, X, X, 40, 42, X, X, X, X, X, X, X, 36, 38, X, X, X, X, X, X, X, X, NO6}},
    /* 8.2 Protocol Port */
    {8, 2, 48, {0, 4, 8, 12, 16, 20, 24, 28, 32, 44, 45, X, X, X, X, X, X, X, X, 40, 42, 36, X, X, X, X, X, X, X, X, X, X, X, X, X, X, NO6}},
    /* 8.3 Source Prefix (exaddr/sysUpTime swapped) */
    {8, 3, 48, {0, 4, 12, 8, 16, 20, 24, 28, 32, 46, 47, X, 36, X, X, X, X, 44, X, X, X, X, X, X, 40, X, 42, X, X, X, X, X, X, X, X, X, NO6}},
    /* 8.4 Destination Prefix */
    {8, 4, 48, {0, 4, 8, 12, 16, 20, 24, 28, 32, 42, 43, X, X, 36, X, X, X, X, 46, X, X, X, X, X, X, 40, X, 44, X, X, X, X, X, X, X, X, NO6}},
    /* 8.5 Prefix */
    {8, 5, 56, {0, 4, 8, 12, 16, 20, 24, 28, 32, 46, 47, X, 36, 40, X, X, X, 52, 54, X, X, X, X, X, 45, 44, 48, 50, X, X, X, X, X, X, X, X, NO6}},
    /* 8.6 Destination (MLS) */
    {8, 6, 52, {0, 4, 8, 12, X, 16, 20, 24, 28, 50, 51, X, X, 32, X, X, X, X, 44, X, X, X, 48, X, X, X, X, X, X, X, X, 40, 36, 49, X, X, NO6}},
    /* 8.7 Source Destination (MLS) */
    {8, 7, 56, {0, 4, 8, 12, X, 16, 20, 24, 28, 54, 55, X, 36, 32, X, X, X, 50, 48, X, X, X, 52, X, X, X, X, X, X, X, X, 44, 40, 53, X, X, NO6}},
    /* 8.8 Full Flow (MLS) */
    {8, 8, 64, {0, 4, 8, 12, X, 16, 20, 24, 28, 58, 59, X, 36, 32, X, X, X, 54, 52, 50, 48, 60, 56, X, X, X, X, X, X, X, X, 44, 40, 57, X, X, NO6}},
    /* 8.9 ToS AS */
    {8, 9, 48, {0, 4, 8, 12, 16, 20, 24, 28, 32, 44, 45, X, X, X, X, X, X, 40, 42, X, X, X, 46, X, X, X, 36, 38, X, X, X, X, X, X, X, X, NO6}},
    /* 8.10 ToS Proto Port */
    {8, 10, 48, {0, 4, 8, 12, 16, 20, 24, 28, 32, 44, 45, X, X, X, X, X, X, 40, 42, 36, 38, 46, 47, X, X, X, X, X, X, X, X, X, X, X, X, X, NO6}},
    /* 8.11 ToS Source Prefix (exaddr/sysUpTime swapped) */
    {8, 11, 48, {0, 4, 12, 8, 16, 20, 24, 28, 32, 46, 47, X, 36, X, X, X, X, 44, X, X, X, X, 41, X, 40, X, 42, X, X, X, X, X, X, X, X, X, NO6}},
    /* 8.12 ToS Destination Prefix (exaddr/sysUpTime swapped) */
    {8, 12, 48, {0, 4, 12, 8, 16, 20, 24, 28, 32, 46, 47, X, X, 36, X, X, X, X, 40, X, X, X, 45, X, X, 44, X, 42, X, X, X, X, X, X, X, X, NO6}},
    /* 8.13 ToS Prefix */
    {8, 13, 60, {0, 4, 8, 12, 16, 20, 24, 28, 32, 54, 55, X, 36, 40, X, X, X, 48, 50, X, X, X, 56, X, 53, 52, 44, 46, X, X, X, X, X, X, X, X, NO6}},
    /* 8.14 ToS Prefix Port */
    {8, 14, 60, {0, 4, 8, 12, 16, 20, 24, 28, 32, 54, 55, X, 36, 40, X, X, X, 48, 50, 44, 46, 57, 56, X, 53, 52, X, X, X, X, X, X, X, X, X, X, NO6}},
/*               secs nsecs upt exa flw pkt oct fst lst  et  ei   -  src dst   -   -  nh  in out  sp  dp  pr tos flg  sm  dm sas das ien oen pnh rsc xpk mts stg dtg */
/*               s6_0 s6_1 s6_2 d6_0 d6_1 d6_2 n6_0 n6_1 n6_2 flow_label */
    /* v1006, 112 bytes: IPv4 and IPv6 flows (man/flow-tools-v1006.5); srcaddr,
       dstaddr and nexthop are the last words of their 128-bit addresses */
    {1006, 0, 112, {0, 4, 8, 12, X, 16, 20, 24, 28, 43, 44, X, 68, 84, X, X, 100, 32, 34, 36, 38, 40, 41, 42, 45, 46, 48, 50, X, X, X, X, X, X, 104, 108,
                    56, 60, 64, 72, 76, 80, 88, 92, 96, 52}},
};
#undef NO6
#undef X

static const char *const names[FTC_F_COUNT] = {
    "unix_secs", "unix_nsecs", "sysUpTime", "exaddr", "dFlows", "dPkts",
    "dOctets", "First", "Last", "engine_type", "engine_id", "",
    "srcaddr", "dstaddr", "", "", "nexthop", "input", "output", "srcport",
    "dstport", "prot", "tos", "tcp_flags", "src_mask", "dst_mask", "src_as",
    "dst_as", "in_encaps", "out_encaps", "peer_nexthop", "router_sc",
    "extra_pkts", "marked_tos", "src_tag", "dst_tag",
    "srcaddr6_0", "srcaddr6_1", "srcaddr6_2", "dstaddr6_0", "dstaddr6_1",
    "dstaddr6_2", "nexthop6_0", "nexthop6_1", "nexthop6_2", "flow_label",
};

int ftc_abi_version(void) { return FTC_ABI_VERSION; }

int ftc_rectype(unsigned version, unsigned agg_method)
{
    switch (version) {
    case 1: return FTC_RT_V1;
    case 5: return FTC_RT_V5;
    case 6: return FTC_RT_V6;
    case 7: return FTC_RT_V7;
    case 1005: return FTC_RT_V1005;
    case 1006: return FTC_RT_V1006;
    case 8:
        if (agg_method < 1 || agg_method > 14)
            return FTC_EAGGMETHOD;
        return FTC_RT_V8_1 + (int)agg_method - 1;
    default:
        return FTC_EDVERSION;
    }
}

const ftc_layout_t *ftc_layout_get(int rectype)
{
    if (rectype < 0 || rectype >= FTC_RT_COUNT)
        return NULL;
    return &layouts[rectype];
}

int ftc_field_width(int field)
{
    return ftc_width(field);   /* the widths table: ftc_internal.h */
}

const char *ftc_field_name(int field)
{
    if (field < 0 || field >= FTC_F_COUNT)
        return "";
    return names[field];
}

const char *ftc_strerror(int status)
{
    switch (status) {
    case FTC_OK: return "success";
    case FTC_EAGAIN: return "need more input";
    case FTC_EFULL: return "buffer full";
    case FTC_EINVAL: return "invalid argument";
    case FTC_EBADMAGIC: return "bad magic number (not a flow file)";
    case FTC_ESVERSION: return "stream format must be 1 or 3";
    case FTC_EDVERSION: return "unsupported export version";
    case FTC_EAGGVER: return "unsupported agg_version";
    case FTC_EAGGMETHOD: return "unsupported agg_method";
    case FTC_EHDRLEN: return "bad header length";
    case FTC_ETRUNC: return "truncated input";
    case FTC_EBADPDU: return "malformed export datagram";
    case FTC_EFIELD: return "flow record missing required field";
    case FTC_EFORMAT: return "no such format";
    case FTC_EPROGRAM: return "malformed filter program";
    case FTC_EHDRBIG: return "header too large";
    case FTC_ERANGE: return "value out of range";
    default: return "unknown error";
    }
}
