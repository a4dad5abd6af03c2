/* standalone.c -- a main() for the fuzz harnesses where libFuzzer is not
 * available (gcc): replays the files named on the command line, or, with
 * none, runs -n N pseudo-random inputs (mutations of the seed files given
 * with -s DIR-listed files, else pure noise).  Build: make -C csrc/fuzz
 * standalone.  Not part of the extension. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        perror(path);
        exit(2);
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (!buf)
                exit(2);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    long runs = 0, i;
    int a, nseeds = 0;
    uint8_t *seeds[256];
    size_t seedlen[256];
    static uint8_t buf[8192];

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "-n") && a + 1 < argc) {
            runs = atol(argv[++a]);
        } else if (!strcmp(argv[a], "-s") && a + 1 < argc) {
            if (nseeds < 256) {
                seeds[nseeds] = slurp(argv[++a], &seedlen[nseeds]);
                nseeds++;
            }
        } else {
            size_t len;
            uint8_t *d = slurp(argv[a], &len);
            LLVMFuzzerTestOneInput(d, len);
            free(d);
            printf("ok %s\n", argv[a]);
        }
    }
    for (i = 0; i < runs; i++) {
        size_t len, k, flips;
        if (nseeds && (next() & 3)) {
            int s = (int)(next() % (uint32_t)nseeds);
            len = seedlen[s] < sizeof buf ? seedlen[s] : sizeof buf;
            memcpy(buf, seeds[s], len);
            flips = 1 + next() % 8;
            for (k = 0; k < flips && len; k++) {
                switch (next() % 4) {
                case 0: buf[next() % len] ^= (uint8_t)(1u << (next() % 8)); break;
                case 1: buf[next() % len] = (uint8_t)next(); break;
                case 2: len -= next() % (len + 1) / 4; break;
                default:
                    if (len < sizeof buf - 4) {
                        size_t extra = next() % 5;
                        memset(buf + len, (int)(next() & 0xFF), extra);
                        len += extra;
                    }
                }
            }
        } else {
            len = next() % 3000;
            for (k = 0; k < len; k++)
                buf[k] = (uint8_t)next();
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    if (runs)
        printf("ok %ld generated inputs\n", runs);
    while (nseeds > 0)
        free(seeds[--nseeds]);
    return 0;
}
