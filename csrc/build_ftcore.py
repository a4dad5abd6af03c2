"""cffi build script for pyflowtools._ftcore (out-of-line API mode).

The cdef is the region of ftcore.h between the cdef markers; the sources are
every csrc/*.c (the fuzz harnesses under csrc/fuzz/ are never compiled in).
"""
import glob
import os
import re

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))


def read_cdef(path=os.path.join(HERE, "ftcore.h")):
    """Return the text between /* cdef-begin */ and /* cdef-end */."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"/\* cdef-begin \*/(.*?)/\* cdef-end \*/", text, re.S)
    if not m:
        raise RuntimeError("ftcore.h has no cdef markers")
    return m.group(1)


def sources():
    """The C files of the core, relative to the project root."""
    names = sorted(glob.glob(os.path.join(HERE, "*.c")))
    return [os.path.relpath(n, os.path.dirname(HERE)) for n in names]


ffibuilder = FFI()
ffibuilder.cdef(read_cdef())
ffibuilder.set_source(
    "pyflowtools._ftcore",
    '#include "ftcore.h"',
    sources=sources(),
    include_dirs=["csrc"],
    extra_compile_args=["-O2", "-std=gnu99", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
