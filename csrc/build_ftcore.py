"""cffi build script for pyflowtools._ftcore (out-of-line API mode).

The cdef is the region of ftcore.h between the cdef markers; the sources are
every csrc/*.c (the fuzz harnesses under csrc/fuzz/ are never compiled in).
A digest of that cdef is compiled in as ftc_build_stamp() and checked on
import (pyflowtools/core/stamp.py, core/native.py).
"""
import glob
import os
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from pyflowtools.core import stamp  # noqa: E402  (pure Python, no compiled module)


def read_cdef(path=os.path.join(HERE, "ftcore.h")):
    """Return the text between /* cdef-begin */ and /* cdef-end */."""
    with open(path, encoding="utf-8") as f:
        return stamp.cdef_region(f.read())


def sources():
    """The C files of the core, relative to the project root."""
    names = sorted(glob.glob(os.path.join(HERE, "*.c")))
    return [os.path.relpath(n, os.path.dirname(HERE)) for n in names]


CDEF = read_cdef()

ffibuilder = FFI()
ffibuilder.cdef(CDEF + "\nconst char *ftc_build_stamp(void);\n")
ffibuilder.set_source(
    "pyflowtools._ftcore",
    '#include "ftcore.h"\n'
    'const char *ftc_build_stamp(void) { return "%s"; }\n' % stamp.digest(CDEF),
    sources=sources(),
    include_dirs=["csrc"],
    libraries=["z"],
    extra_compile_args=["-O2", "-std=gnu99", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
