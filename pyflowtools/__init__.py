"""pyflowtools: flow-tools 0.68 compatible NetFlow tools over a small C core.

As a library::

    import pyflowtools
    for r in pyflowtools.open("ft-v05.2004-08-16.090000+0000"):
        print(pyflowtools.ipv4(r.srcaddr), r.dstport)

    with pyflowtools.open("f.ft") as flows:
        print(flows.header.describe())     # flow-header's text
        for batch in flows.batches():      # the fast path the commands use
            ...

``open`` returns a :class:`pyflowtools.io.stream.RecordReader`: iterating it
yields named-tuple records (fields named as in flow-tools: srcaddr, dPkts,
First, tcp_flags, ...); ``batches()`` yields batches of host-order records
for the C core.  ``pyflowtools.io.stream.writer`` writes streams in either
byte order, compressed or not.
"""
__version__ = "0.1.0"


def open(src, **kw):  # noqa: A001 - mirrors the builtin on purpose
    """Open a flow stream for reading: a path, ``"-"`` or a binary file."""
    from pyflowtools.io import stream
    return stream.RecordReader(src, **kw)


def open_tree(*paths, **kw):
    """The flow files under capture-tree directories (or files), walked as
    flow-cat walks them: :class:`pyflowtools.io.inputs.Tree` (records,
    batches, ``to_arrow()``, ``to_pandas()``)."""
    from pyflowtools.io import inputs
    return inputs.Tree(*paths, **kw)


def ipv4(addr):
    """Dotted-quad text of a u32 address field."""
    from pyflowtools.util import ipv4 as _ipv4
    return _ipv4.text(addr)
