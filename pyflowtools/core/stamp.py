"""The build stamp: a digest of the cdef region of csrc/ftcore.h.

csrc/build_ftcore.py compiles it into the core (ftc_build_stamp()); on
import, core/native.py recomputes it from csrc/ftcore.h when the package
runs from a source tree, so a core built from an older header (a stale
in-place build after a cdef change) is refused instead of misbehaving.
Pure Python, no import of the compiled module: the build script uses it."""
import os

#: where the header sits relative to a source tree's pyflowtools/ package
HEADER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                      "csrc", "ftcore.h")


def cdef_region(text):
    """The text between /* cdef-begin */ and /* cdef-end */ (ValueError if none)."""
    import re
    m = re.search(r"/\* cdef-begin \*/(.*?)/\* cdef-end \*/", text, re.S)
    if not m:
        raise ValueError("ftcore.h has no cdef markers")
    return m.group(1)


def digest(cdef):
    """The stamp of a cdef text: 16 hex digits."""
    import hashlib
    return hashlib.sha256(cdef.encode("utf-8")).hexdigest()[:16]


def source_stamp(path=HEADER):
    """The stamp of the header in a source tree, or None when the package
    is installed without its sources (then nothing is read or hashed)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return digest(cdef_region(f.read()))
    except (OSError, ValueError):
        return None
