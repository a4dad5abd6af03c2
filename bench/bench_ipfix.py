"""v9/IPFIX decoding (csrc/ipfix.c): records per second over a realistic
IPFIX datagram, softflowd's IPv4 template with 30 records (1276 bytes),
decoded again and again with its sequence advancing:

  C kernel      a C loop calling ftc_ipx_decode (built here with cc against
                csrc/*.c, -O2): what the collectors' batch loop can reach
  cffi call     one lib.ftc_ipx_decode per datagram from Python, buffers
                reused (the per-datagram Python cost on top of the kernel)
  TemplateCache core/ipfix.py's decode(): records returned as bytes

for record types v5, v1005 and v1006 (IPv4-mapped), and softflowd's IPv6
template (27/28, 30 records, 1876 bytes) into v1006.  Target (the
collectors): at least 3 M records/s end to end; the kernel should do tens
of millions.

    .venv/bin/python bench/bench_ipfix.py

Environment: BENCH_REPEAT (best of, default 3), BENCH_DATAGRAMS (per run,
default 200000).  Results: bench/out/ipfix.json.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)
import ipfix_oracle as X  # noqa: E402  (the tests' encoder)
from pyflowtools.core import ipfix  # noqa: E402
from pyflowtools.core.native import ffi, lib  # noqa: E402

F = X.Field
SOFTFLOWD = [F(8, 4), F(12, 4), F(22, 4), F(21, 4), F(1, 4), F(2, 4), F(10, 4), F(14, 4),
             F(61, 1), F(136, 1), F(7, 2), F(11, 2), F(4, 1), F(6, 1), F(60, 1), F(5, 1)]
SOFT6 = [F(27, 16), F(28, 16)] + SOFTFLOWD[2:]
NREC = 30
EXPORT = 1700000100

KERNEL = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ftcore.h"
int main(int argc, char **argv)
{
    ftc_ipx_limits_t lim = {4096, 16384, 256, 512, 16 << 20, 4 << 20, 300};
    size_t sz = ftc_ipx_size(&lim), prod, n, tn;
    uint8_t *out = malloc(FTC_IPX_DECODE_MAX), tdg[4096], dg[4096];
    void *st = calloc(1, sz);
    long iters = atol(argv[2]), j;
    int rt = atoi(argv[1]);
    ftc_ipx_info_t info;
    struct timespec a, b;
    FILE *f = fopen(argv[3], "rb");
    tn = fread(tdg, 1, sizeof tdg, f);
    fclose(f);
    f = fopen(argv[4], "rb");
    n = fread(dg, 1, sizeof dg, f);
    fclose(f);
    if (ftc_ipx_init(st, sz, &lim) != FTC_OK
        || ftc_ipx_decode(st, tdg, tn, 0x0A000001u, 9995, 0, 1700000000u, rt, out,
                          FTC_IPX_DECODE_MAX, &prod, &info) != FTC_OK || info.templates != 1)
        return 1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    for (j = 0; j < iters; j++) {
        uint32_t seq = (uint32_t)j * 30u;
        dg[8] = (uint8_t)(seq >> 24); dg[9] = (uint8_t)(seq >> 16);
        dg[10] = (uint8_t)(seq >> 8); dg[11] = (uint8_t)seq;
        if (ftc_ipx_decode(st, dg, n, 0x0A000001u, 9995, 0, 1700000000u, rt, out,
                           FTC_IPX_DECODE_MAX, &prod, &info) != FTC_OK || prod != 30
            || info.seq_lost)
            return 2;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    printf("%.6f\n", (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
"""


def datagrams(ipv6=False):
    fields = SOFT6 if ipv6 else SOFTFLOWD
    tpl = X.ipfix([X.set_bytes(2, X.template_record(10, 1024, fields))], export=EXPORT)
    if ipv6:
        src = [(0x20010DB8 << 96 | i).to_bytes(16, "big") for i in range(NREC)]
        dst = (0x20010DB8 << 96 | 1 << 64 | 2).to_bytes(16, "big")
        rows = [[src[i], dst, 100000 + i, 100500 + i, 1500 + i, 3, 1, 2, 0, 1,
                 40000 + i, 443, 6, 0x1B, 6, 0] for i in range(NREC)]
    else:
        rows = [[0x0A000001 + i, 0x0A000002, 100000 + i, 100500 + i, 1500 + i, 3, 1, 2, 0, 1,
                 40000 + i, 443, 6, 0x1B, 4, 0] for i in range(NREC)]
    data = X.ipfix([X.set_bytes(1024, b"".join(X.data_record(fields, r) for r in rows))],
                   export=EXPORT)
    return tpl, data


def kernel(tmp, rt, n, tpl, data):
    exe = os.path.join(tmp, "kernel")
    if not os.path.exists(exe):
        src = os.path.join(tmp, "kernel.c")
        with open(src, "w") as f:
            f.write(KERNEL)
        csrc = os.path.join(ROOT, "csrc")
        core = [os.path.join(csrc, c) for c in sorted(os.listdir(csrc)) if c.endswith(".c")]
        subprocess.run(["cc", "-O2", "-std=gnu99", "-I", csrc, "-o", exe, src] + core,
                       check=True)
    for name, b in (("tpl", tpl), ("data", data)):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(b)
    out = subprocess.run([exe, str(rt), str(n), os.path.join(tmp, "tpl"),
                          os.path.join(tmp, "data")], check=True, capture_output=True,
                         text=True).stdout
    return float(out)


def cffi_call(rt, n, tpl, data):
    c = ipfix.TemplateCache()
    c.decode(tpl, 0x0A000001, 9995, 0, 1700000000, rt)
    out = ffi.new("uint8_t[]", lib.FTC_IPX_DECODE_MAX)
    info = ffi.new("ftc_ipx_info_t *")
    produced = ffi.new("size_t *")
    buf = bytearray(data)
    cbuf = ffi.from_buffer("uint8_t[]", buf)
    st, dec, size = c._state, lib.ftc_ipx_decode, len(buf)
    t = time.process_time()
    for j in range(n):
        buf[8:12] = (j * NREC & 0xFFFFFFFF).to_bytes(4, "big")
        dec(st, cbuf, size, 0x0A000001, 9995, 0, 1700000000, rt, out,
            lib.FTC_IPX_DECODE_MAX, produced, info)
    return time.process_time() - t


def cache_decode(rt, n, tpl, data):
    c = ipfix.TemplateCache()
    c.decode(tpl, 0x0A000001, 9995, 0, 1700000000, rt)
    buf = bytearray(data)
    t = time.process_time()
    for j in range(n):
        buf[8:12] = (j * NREC & 0xFFFFFFFF).to_bytes(4, "big")
        c.decode(buf, 0x0A000001, 9995, 0, 1700000000, rt)
    return time.process_time() - t


def main():
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    n = int(os.environ.get("BENCH_DATAGRAMS", "200000"))
    v4, v6 = datagrams(), datagrams(ipv6=True)
    rows = []
    print("== v9/IPFIX decoding: softflowd's templates, %d records a datagram (%d bytes "
          "IPv4, %d IPv6)" % (NREC, len(v4[1]), len(v6[1])))
    print("%-14s %-11s %14s %12s" % ("stage", "type", "records/s", "ns/record"))
    with tempfile.TemporaryDirectory() as tmp:
        for rtname, rt, (tpl, data) in (("v5", lib.FTC_RT_V5, v4),
                                        ("v1005", lib.FTC_RT_V1005, v4),
                                        ("v1006", lib.FTC_RT_V1006, v4),
                                        ("v1006 IPv6", lib.FTC_RT_V1006, v6)):
            for stage, fn, k in (("C kernel", None, 10 * n), ("cffi call", cffi_call, n),
                                 ("TemplateCache", cache_decode, n)):
                best = min((kernel(tmp, rt, k, tpl, data) if fn is None
                            else fn(rt, k, tpl, data)) for _ in range(repeat))
                rate = k * NREC / best
                rows.append({"stage": stage, "rectype": rtname, "records_per_s": rate,
                             "ns_per_record": 1e9 / rate})
                print("%-14s %-11s %14s %12.1f" % (stage, rtname, "{:,.0f}".format(rate),
                                                  1e9 / rate))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "ipfix.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
