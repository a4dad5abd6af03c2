"""pyflowtools: flow-tools 0.68 compatible NetFlow tools over a small C core.

As a library::

    import pyflowtools
    with pyflowtools.open("ft-v05.2004-08-16.090000+0000") as rd:
        print(rd.header.d_version)
        for r in rd.records():
            print(r.srcaddr, r.dstport)

``open`` returns a :class:`pyflowtools.stream.Reader`; iterating it yields
batches of host-order records (the fast path every command uses);
``records()`` yields named tuples for scripts.  ``pyflowtools.stream.writer``
writes streams in either byte order, compressed or not.
"""
__version__ = "0.1.0"


def open(src, **kw):  # noqa: A001 - mirrors the builtin on purpose
    """Open a flow stream for reading: a path, ``"-"`` or a binary file."""
    from pyflowtools import stream
    return stream.reader(src, **kw)
