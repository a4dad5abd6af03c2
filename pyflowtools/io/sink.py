"""Sinks: the one shape of every output.

A Sink receives either records or report rows and is closed once:

    with sink:                    # close() on a normal exit, abort() on error
        sink.write(batch)         # records: a core.batch.Batch (host or any order)
        sink.row(*values)         # or one report row (rows(iterable) for many)

Implementations:
    io.stream.Writer   records -> a flow-tools stream (header given at open)
    TextSink           records -> text by a formatter (flow-print's formats,
                       flow-icmpdecode's listing), plus free text (text())
    TsvSink            rows -> tab-separated lines after a `#`-prefixed
                       column line

A new output format (Arrow/Parquet files, a database table) is one more
subclass: take the destination and the schema (a stream header or column
names) when opened, batches or rows in write()/row(), finish in close()."""

import io


class Sink:
    """Base of every sink (see the module's text)."""

    records_written = 0

    def write(self, batch):
        """Records (a Batch)."""
        raise TypeError("%s takes no records" % type(self).__name__)

    def row(self, *values):
        """One report row."""
        raise TypeError("%s takes no rows" % type(self).__name__)

    def rows(self, rows):
        for r in rows:
            self.row(*r)

    def close(self):
        """Finish the output (idempotent)."""

    def abort(self):
        """Stop after an error: release the destination without finishing."""
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            self.abort()


def _putter(out):
    """A function writing str or bytes-like to `out`, a text or binary file."""
    if isinstance(out, io.TextIOBase):
        return lambda d: out.write(d if isinstance(d, str)
                                   else bytes(d).decode("utf-8", "surrogateescape"))
    return lambda d: out.write(d.encode("utf-8", "surrogateescape") if isinstance(d, str)
                               else d)


class TextSink(Sink):
    """Text on the file `out` (binary, or text).  `formatter` (optional) turns a Batch
    into text chunks: anything with format(batch) -> iterable of bytes-like
    (report.formats.Printer, report.icmp.Listing); its header() is written
    first unless `header` is False.  `line_buffered` flushes after every
    batch (flow-print -l)."""

    def __init__(self, out, formatter=None, header=True, line_buffered=False):
        self.out = out
        self.formatter = formatter
        self.line_buffered = line_buffered
        #: text(data): write str or bytes-like as is
        self.text = _putter(out)
        if formatter is not None and header:
            self.text(formatter.header())

    def chunks(self, chunks):
        """Write text chunks (str or bytes-like) as they come."""
        w = self.text
        for c in chunks:
            w(c)

    def write(self, batch):
        w = self.text
        for chunk in self.formatter.format(batch):
            w(chunk)
        self.records_written += batch.n
        if self.line_buffered:
            self.out.flush()

    def close(self):
        # the file is the caller's: neither flushed nor closed here (the
        # order of stdout and stderr stays the command's)
        self.out = None


class TsvSink(Sink):
    """One tab-separated row per item (None as an empty field), after a
    `#`-prefixed line of column names.  `out` is a text or binary file."""

    def __init__(self, out, columns):
        self.out = out
        self._put = _putter(out)
        self._put("#" + "\t".join(columns) + "\n")

    def row(self, *values):
        self._put("\t".join("" if v is None else str(v) for v in values) + "\n")

    def close(self):
        # the file is the caller's: neither flushed nor closed here (the
        # order of stdout and stderr stays the command's)
        self.out = None
