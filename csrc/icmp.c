/* icmp.c -- flow-icmpdecode: ICMP type and code names, and the listing of
 * ICMP flows as text in a caller buffer.
 *
 * NetFlow v5 exporters keep the ICMP type and code of a flow in its
 * destination port: type = dstport >> 8, code = dstport & 0xFF (srcport is
 * 0).  Selection (protocol 1, type/code lists, exact bytes per packet) is a
 * filter program (filter.c); counting is agg.c; this file only names and
 * prints.  Names follow the IANA ICMP parameters registry (RFC 792, 950,
 * 1256, 1393, 1475, 1812, 2521, 4065, 8335); the man page lists them.
 * A v1006 record of protocol 58 is ICMPv6: its type and code sit in the
 * destination port the same way and are named from the ICMPv6 table; its
 * addresses print as util/ipv6 prints them (dotted quads when mapped).
 */
#include <string.h>

#include "ftcore.h"
#include "ftc_internal.h"

/* ---- names ---- */

typedef struct {
    const char *name;
    const char *const *codes;   /* code names by number (NULL: none defined) */
    uint8_t ncodes;
} icmp_type_t;

static const char *const unreach_codes[] = {
    "net-unreachable",          /* 0 */
    "host-unreachable",         /* 1 */
    "protocol-unreachable",     /* 2 */
    "port-unreachable",         /* 3 */
    "fragmentation-needed",     /* 4 */
    "source-route-failed",      /* 5 */
    "net-unknown",              /* 6 */
    "host-unknown",             /* 7 */
    "host-isolated",            /* 8 */
    "net-admin-prohibited",     /* 9 */
    "host-admin-prohibited",    /* 10 */
    "net-tos-unreachable",      /* 11 */
    "host-tos-unreachable",     /* 12 */
    "admin-prohibited",         /* 13 */
    "precedence-violation",     /* 14 */
    "precedence-cutoff",        /* 15 */
};

static const char *const redirect_codes[] = {
    "net-redirect", "host-redirect", "net-tos-redirect", "host-tos-redirect",
};

static const char *const althost_codes[] = { "alternate-address" };

static const char *const routeradv_codes[] = {
    "normal", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    "no-common-traffic",        /* 16 */
};

static const char *const timex_codes[] = { "ttl-exceeded", "reassembly-timeout" };

static const char *const param_codes[] = { "pointer-error", "option-missing", "bad-length" };

static const char *const photuris_codes[] = {
    "bad-spi", "authentication-failed", "decompression-failed",
    "decryption-failed", "need-authentication", "need-authorization",
};

static const char *const xecho_codes[] = { "no-error" };

static const char *const xreply_codes[] = {
    "no-error", "malformed-query", "no-such-interface", "no-such-table-entry",
    "multiple-interfaces",
};

#define CODES(a) a, (uint8_t)(sizeof a / sizeof a[0])
#define NOCODES NULL, 0

static const icmp_type_t types[44] = {
    /* 0 */  {"echo-reply", NOCODES},
    /* 1 */  {NULL, NOCODES},
    /* 2 */  {NULL, NOCODES},
    /* 3 */  {"dest-unreachable", CODES(unreach_codes)},
    /* 4 */  {"source-quench", NOCODES},
    /* 5 */  {"redirect", CODES(redirect_codes)},
    /* 6 */  {"alternate-host-address", CODES(althost_codes)},
    /* 7 */  {NULL, NOCODES},
    /* 8 */  {"echo-request", NOCODES},
    /* 9 */  {"router-advertisement", CODES(routeradv_codes)},
    /* 10 */ {"router-solicitation", NOCODES},
    /* 11 */ {"time-exceeded", CODES(timex_codes)},
    /* 12 */ {"parameter-problem", CODES(param_codes)},
    /* 13 */ {"timestamp", NOCODES},
    /* 14 */ {"timestamp-reply", NOCODES},
    /* 15 */ {"info-request", NOCODES},
    /* 16 */ {"info-reply", NOCODES},
    /* 17 */ {"address-mask-request", NOCODES},
    /* 18 */ {"address-mask-reply", NOCODES},
    /* 19 .. 29: reserved */
    {NULL, NOCODES}, {NULL, NOCODES}, {NULL, NOCODES}, {NULL, NOCODES},
    {NULL, NOCODES}, {NULL, NOCODES}, {NULL, NOCODES}, {NULL, NOCODES},
    {NULL, NOCODES}, {NULL, NOCODES}, {NULL, NOCODES},
    /* 30 */ {"traceroute", NOCODES},
    /* 31 */ {"conversion-error", NOCODES},
    /* 32 */ {"mobile-host-redirect", NOCODES},
    /* 33 */ {"ipv6-where-are-you", NOCODES},
    /* 34 */ {"ipv6-i-am-here", NOCODES},
    /* 35 */ {"mobile-registration-request", NOCODES},
    /* 36 */ {"mobile-registration-reply", NOCODES},
    /* 37 */ {"domain-name-request", NOCODES},
    /* 38 */ {"domain-name-reply", NOCODES},
    /* 39 */ {"skip", NOCODES},
    /* 40 */ {"photuris", CODES(photuris_codes)},
    /* 41 */ {"experimental-mobility", NOCODES},
    /* 42 */ {"extended-echo-request", CODES(xecho_codes)},
    /* 43 */ {"extended-echo-reply", CODES(xreply_codes)},
};

const char *ftc_icmp_type_name(unsigned type)
{
    if (type < sizeof types / sizeof types[0])
        return types[type].name;
    if (type == 253)
        return "experiment-1";
    if (type == 254)
        return "experiment-2";
    return NULL;
}

const char *ftc_icmp_code_name(unsigned type, unsigned code)
{
    const icmp_type_t *t;
    if (!ftc_icmp_type_name(type))
        return NULL;
    if (type >= sizeof types / sizeof types[0])       /* 253, 254 */
        return code == 0 ? "-" : NULL;
    t = &types[type];
    if (!t->codes)
        return code == 0 ? "-" : NULL;
    return code < t->ncodes ? t->codes[code] : NULL;
}

/* ---- ICMPv6 names (protocol 58: IANA ICMPv6 parameters, RFC 4443,
 * 2710, 3810, 4286, 4861, 4884, 6275, 6550, 6743, 8335), in the style of
 * the ICMP ones ---- */

static const char *const unreach6_codes[] = {
    "no-route",                     /* 0 */
    "admin-prohibited",             /* 1 */
    "beyond-scope",                 /* 2 */
    "address-unreachable",          /* 3 */
    "port-unreachable",             /* 4 */
    "source-policy-failed",         /* 5 */
    "reject-route",                 /* 6 */
    "source-routing-header-error",  /* 7 */
    "headers-too-long",             /* 8 */
};

static const char *const timex6_codes[] = { "hop-limit-exceeded", "reassembly-timeout" };

static const char *const param6_codes[] = {
    "erroneous-header-field", "unrecognized-next-header", "unrecognized-option",
    "incomplete-header-chain",
};

#define ICMP6_TYPES 162
static const icmp_type_t types6[ICMP6_TYPES] = {
    [1] = {"dest-unreachable", CODES(unreach6_codes)},
    [2] = {"packet-too-big", NOCODES},
    [3] = {"time-exceeded", CODES(timex6_codes)},
    [4] = {"parameter-problem", CODES(param6_codes)},
    [128] = {"echo-request", NOCODES},
    [129] = {"echo-reply", NOCODES},
    [130] = {"mld-query", NOCODES},
    [131] = {"mld-report", NOCODES},
    [132] = {"mld-done", NOCODES},
    [133] = {"router-solicitation", NOCODES},
    [134] = {"router-advertisement", NOCODES},
    [135] = {"neighbor-solicitation", NOCODES},
    [136] = {"neighbor-advertisement", NOCODES},
    [137] = {"redirect", NOCODES},
    [141] = {"inverse-nd-solicitation", NOCODES},
    [142] = {"inverse-nd-advertisement", NOCODES},
    [143] = {"mldv2-report", NOCODES},
    [144] = {"haad-request", NOCODES},
    [145] = {"haad-reply", NOCODES},
    [146] = {"mobile-prefix-solicitation", NOCODES},
    [147] = {"mobile-prefix-advertisement", NOCODES},
    [148] = {"cert-path-solicitation", NOCODES},
    [149] = {"cert-path-advertisement", NOCODES},
    [151] = {"mrd-advertisement", NOCODES},
    [152] = {"mrd-solicitation", NOCODES},
    [153] = {"mrd-termination", NOCODES},
    [155] = {"rpl-control", NOCODES},
    [160] = {"extended-echo-request", CODES(xecho_codes)},
    [161] = {"extended-echo-reply", CODES(xreply_codes)},
};

const char *ftc_icmp6_type_name(unsigned type)
{
    return type < ICMP6_TYPES ? types6[type].name : NULL;
}

const char *ftc_icmp6_code_name(unsigned type, unsigned code)
{
    const icmp_type_t *t;
    if (!ftc_icmp6_type_name(type))
        return NULL;
    t = &types6[type];
    if (!t->codes)
        return code == 0 ? "-" : NULL;
    return code < t->ncodes ? t->codes[code] : NULL;
}

/* ---- the listing ---- */

#define W_ADDR 15
#define W_NUM  4
#define W_TNAME 20
#define W_CNAME 21
#define W_COUNT 10

static const char header_text[] =
    "srcIP            dstIP            type code type-name             "
    "code-name              packets     octets      B/Pk\n";
static const char header_tsv[] =
    "#srcaddr\tdstaddr\ttype\tcode\ttype-name\tcode-name\tdPkts\tdOctets\tB/Pk\n";

int ftc_icmp_header(unsigned opts, char *out, size_t cap, size_t *len)
{
    const char *h = (opts & FTC_ICMP_TSV) ? header_tsv : header_text;
    size_t n = strlen(h);
    if (!out || !len)
        return FTC_EINVAL;
    *len = 0;
    if (n > cap)
        return FTC_EFULL;
    memcpy(out, h, n);
    *len = n;
    return FTC_OK;
}

/* octets / packets: the integer when exact, else the quotient with two
   decimals cut (not rounded), so "92" means exactly 92 and "92.00" a little
   more; "-" for no packets */
static size_t put_bpp(char *p, uint32_t octets, uint32_t packets)
{
    uint64_t q, r, frac;
    size_t n;
    if (packets == 0) {
        p[0] = '-';
        return 1;
    }
    q = octets / packets;
    r = octets % packets;
    n = ftc_put_dec64(p, q);
    if (r) {
        frac = r * 100u / packets;
        p[n++] = '.';
        ftc_put2(p + n, (unsigned)frac);
        n += 2;
    }
    return n;
}

/* a name, or the number when there is none */
static size_t put_name(char *p, const char *name, unsigned number)
{
    size_t n;
    if (!name)
        return ftc_put_dec(p, number);
    n = strlen(name);
    memcpy(p, name, n);
    return n;
}

/* end of one cell of `len` characters: text mode pads to width w and adds
   `sep` spaces; TSV adds a tab; the last cell ends the line */
static char *cell(char *p, size_t len, size_t w, size_t sep, int tsv, int last)
{
    if (last) {
        *p = '\n';
        return p + 1;
    }
    if (tsv) {
        *p = '\t';
        return p + 1;
    }
    if (len < w) {
        memset(p, ' ', w - len);
        p += w - len;
    }
    memset(p, ' ', sep);
    return p + sep;
}

/* one record as a line at o; returns its length (< FTC_ICMP_LINE_MAX) */
/* an address of the record: a 128-bit one (v1006: upper words from field
   hi on, dotted quad when IPv4-mapped) or the IPv4 field lo */
static size_t put_addr(char *p, const ftc_layout_t *L, const uint8_t *rec, int hi, int lo)
{
    uint32_t w[4];
    if (L->off[hi] < 0)
        return ftc_put_ip(p, ftc_get(L, rec, lo));
    ftc_get_addr6(L, rec, hi, lo, w);
    return ftc_put_addr6(p, w);
}

static size_t line(const ftc_layout_t *L, const uint8_t *rec, int tsv, char *o)
{
    uint32_t port = ftc_get(L, rec, FTC_F_DSTPORT);
    unsigned type = (port >> 8) & 0xFF, code = port & 0xFF;
    uint32_t pkts = ftc_get(L, rec, FTC_F_DPKTS), octs = ftc_get(L, rec, FTC_F_DOCTETS);
    int v6 = ftc_get(L, rec, FTC_F_PROT) == FTC_ICMP6_PROT;
    char *p = o;
    size_t n;

    n = put_addr(p, L, rec, FTC_F_SRCADDR6_0, FTC_F_SRCADDR);
    p = cell(p + n, n, W_ADDR, 2, tsv, 0);
    n = put_addr(p, L, rec, FTC_F_DSTADDR6_0, FTC_F_DSTADDR);
    p = cell(p + n, n, W_ADDR, 2, tsv, 0);
    n = ftc_put_dec(p, type);
    p = cell(p + n, n, W_NUM, 1, tsv, 0);
    n = ftc_put_dec(p, code);
    p = cell(p + n, n, W_NUM, 1, tsv, 0);
    n = put_name(p, v6 ? ftc_icmp6_type_name(type) : ftc_icmp_type_name(type), type);
    p = cell(p + n, n, W_TNAME, 2, tsv, 0);
    n = put_name(p, v6 ? ftc_icmp6_code_name(type, code) : ftc_icmp_code_name(type, code),
                 code);
    p = cell(p + n, n, W_CNAME, 2, tsv, 0);
    n = ftc_put_dec(p, pkts);
    p = cell(p + n, n, W_COUNT, 2, tsv, 0);
    n = ftc_put_dec(p, octs);
    p = cell(p + n, n, W_COUNT, 2, tsv, 0);
    n = put_bpp(p, octs, pkts);
    p = cell(p + n, n, 0, 0, tsv, 1);
    return (size_t)(p - o);
}

int ftc_icmp_check(int rt)
{
    static const int need[] = {
        FTC_F_SRCADDR, FTC_F_DSTADDR, FTC_F_DSTPORT, FTC_F_PROT, FTC_F_DPKTS, FTC_F_DOCTETS,
    };
    const ftc_layout_t *L = ftc_layout_get(rt);
    size_t i;
    if (!L)
        return FTC_EINVAL;
    for (i = 0; i < sizeof need / sizeof need[0]; i++)
        if (L->off[need[i]] < 0)
            return FTC_EFIELD;
    return FTC_OK;
}

int ftc_icmp_format(const uint8_t *recs, size_t n, int rt, unsigned opts,
                    char *out, size_t cap, size_t *len, size_t *consumed)
{
    const ftc_layout_t *L;
    size_t i, pos = 0, rs;
    int tsv = (opts & FTC_ICMP_TSV) != 0, rc;
    if (!len || !consumed || !out || (n && !recs))
        return FTC_EINVAL;
    *len = 0;
    *consumed = 0;
    if ((rc = ftc_icmp_check(rt)) != FTC_OK)
        return rc;
    L = ftc_layout_get(rt);
    rs = L->rec_size;
    if (n > SIZE_MAX / rs)
        return FTC_EINVAL;
    for (i = 0; i < n; i++) {
        if (cap - pos < FTC_ICMP_LINE_MAX)
            break;
        pos += line(L, recs + i * rs, tsv, out + pos);
    }
    *len = pos;
    *consumed = i;
    return i < n ? FTC_EFULL : FTC_OK;
}
