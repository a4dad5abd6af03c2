/* inflate.c -- the record area of a compressed flow stream (formats.md 3):
 * one zlib stream inflated into the caller's batch buffer, the output of a
 * damaged stream kept up to the bad byte (records before the damage still
 * go out: issue 13). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ftcore.h"

struct ftc_inflate {
    z_stream s;
    int ended;          /* Z_STREAM_END seen */
    int failed;         /* the negative code of the error, 0 if none */
    char msg[128];
};

ftc_inflate_t *ftc_inflate_new(void)
{
    ftc_inflate_t *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    if (inflateInit(&z->s) != Z_OK) {
        free(z);
        return NULL;
    }
    return z;
}

void ftc_inflate_free(ftc_inflate_t *z)
{
    if (!z)
        return;
    inflateEnd(&z->s);
    free(z);
}

const char *ftc_inflate_msg(ftc_inflate_t *z)
{
    return z ? z->msg : "";
}

static int fail(ftc_inflate_t *z, int code)
{
    z->failed = code == Z_NEED_DICT ? 2 : code;
    if (z->s.msg) {
        strncpy(z->msg, z->s.msg, sizeof z->msg - 1);
        z->msg[sizeof z->msg - 1] = 0;
    } else {
        z->msg[0] = 0;
    }
    return z->failed;
}

int ftc_inflate_run(ftc_inflate_t *z, const uint8_t *in, size_t in_len, uint8_t *out,
                    size_t out_cap, size_t *used, size_t *made)
{
    size_t in_left = in_len, out_left = out_cap;
    if (!z || !used || !made || (in_len && !in) || (out_cap && !out))
        return FTC_EINVAL;
    *used = *made = 0;
    if (z->ended)
        return 1;
    if (z->failed)
        return z->failed;
    z->s.next_in = (Bytef *)(uintptr_t)in;
    z->s.next_out = out;
    /* zlib counts in uInt: feed it at most UINT_MAX a call */
    while (in_left || out_left) {
        uInt ai = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
        uInt ao = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
        int rc;
        z->s.avail_in = ai;
        z->s.avail_out = ao;
        rc = inflate(&z->s, Z_SYNC_FLUSH);
        in_left -= ai - z->s.avail_in;
        out_left -= ao - z->s.avail_out;
        *used = in_len - in_left;
        *made = out_cap - out_left;
        if (rc == Z_STREAM_END) {
            z->ended = 1;
            return 1;
        }
        if (rc == Z_BUF_ERROR || (rc == Z_OK && z->s.avail_in == ai && z->s.avail_out == ao))
            return 0;   /* no progress possible: more input or more room */
        if (rc != Z_OK)
            return fail(z, rc);
        if (!out_left || !in_left)
            return 0;
    }
    return 0;
}
