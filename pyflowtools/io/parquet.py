"""Parquet out and in (flow-export -f 6, flow-import -f 6): the Arrow
schema of io/arrow.py in Parquet files, one file or a Hive-partitioned
dataset `exporter=A.B.C.D/date=YYYY-MM-DD/hour=H/` (the exporter address
exaddr; the UTC date and hour of the flow's end).

Written for scans and written fast (man flow-export, PARQUET): row groups
of ROW_GROUP rows; zstd (Arrow's default level, 1); dictionary encoding
for the exporter, protocol and TCP flags; BYTE_STREAM_SPLIT for the other
integer and time columns (the bytes of each value in four or eight
streams: zstd compresses those faster and smaller than plain values;
measured on the enterprise sample, 15.5 bytes a flow instead of 15.9 and
the writer a quarter faster; readers need Parquet format 2.11: ENV=plain
writes PLAIN for older ones); min/max statistics on every column, so that
engines skip row groups by time, address, port, protocol.  The records are
converted (C) on the calling thread while the row group before is encoded
and compressed on a second one (pyarrow releases the GIL): two cores.

Every file is created as util/files creates outputs: a symlink at the
one-file name is refused, dataset files and partition directories are
made below the dataset directory without following any symlink.

Reading takes any Parquet file or dataset directory whose columns carry
the flow-tools field names (io/arrow.to_batch): the round trip of a file
gives the records back byte for byte.  Needs pyarrow."""
import os
import time

from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.io import arrow
from pyflowtools.io.sink import Sink
from pyflowtools.util import files

ROW_GROUP = 1 << 20          # rows per row group: big enough for scans
COMPRESSION = "zstd"
#: dictionary-encoded columns: the exporter and the few values filters
#: test most (measured: dictionaries on every column halve the writing rate
#: for files 2 % larger than byte stream split)
DICTIONARY = ("exaddr", "prot", "tcp_flags")
#: the encoding of the other integer and timestamp columns
SPLIT = "BYTE_STREAM_SPLIT"
#: PYFLOWTOOLS_PARQUET_ENCODING=plain: PLAIN instead of SPLIT, for readers
#: older than Parquet format 2.11 (byte stream split of integers: Spark
#: before 4.0, DuckDB before 2026's releases); `split` the default
ENV = "PYFLOWTOOLS_PARQUET_ENCODING"
ENCODINGS = {"split": SPLIT, "plain": None}
PARTITIONS = ("exporter", "date", "hour")
MAX_OPEN = 64                # dataset files open at once
MAX_RUNS = 1024              # runs of one partition in a row group: sliced, not sorted


def _arrow_errors(pa):
    return (pa.ArrowException, OSError)


def is_dataset(path):
    """A -u path names a dataset directory: it ends in / or is a directory
    (not a symlink to one: `-u link/` to write through it)."""
    return path.endswith("/") or (os.path.isdir(path) and not os.path.islink(path))


def encoding(environ=os.environ):
    """The encoding of the integer and time columns (ENV); FlowToolsError
    for a value that is not one of ENCODINGS."""
    name = environ.get(ENV, "split").strip().lower() or "split"
    if name not in ENCODINGS:
        raise FlowToolsError("%s must be one of %s" % (ENV, ", ".join(sorted(ENCODINGS))))
    return ENCODINGS[name]


def writer_options(schema, environ=os.environ):
    """The ParquetWriter options of a file of that Arrow schema (module text)."""
    pa = arrow.pyarrow()
    dictionary = [n for n in DICTIONARY if n in schema.names]
    enc = encoding(environ)
    split = {f.name: enc for f in schema
             if enc is not None and f.name not in dictionary
             and (pa.types.is_integer(f.type) or pa.types.is_timestamp(f.type))}
    return dict(compression=COMPRESSION, use_dictionary=dictionary,
                column_encoding=split or None, write_statistics=True)


class ParquetSink(Sink):
    """Records -> one Parquet file (a path or a binary file object) or a
    Hive-partitioned dataset under a directory (`dataset=True`).  `bits`
    limits the columns to those fields (-m; start and end are kept)."""

    def __init__(self, dst, rectype, header=None, bits=None, dataset=False):
        pa = self._pa = arrow.pyarrow()
        import pyarrow.parquet as pq
        self.rectype = rectype
        self.records_written = 0
        self._header = header
        self._schema = arrow.schema(rectype, header)
        self._keep = None
        if bits is not None:
            keep = [name for name, f, _ in arrow.fields(rectype) if bits & (1 << f)]
            self._keep = keep + [name for name, _ in arrow.TIMES]
            self._out_schema = pa.schema([self._schema.field(n) for n in self._keep],
                                         metadata=self._schema.metadata)
        else:
            self._out_schema = self._schema
        self._options = writer_options(self._out_schema)
        self._pending = []
        self._rows = 0
        self._dataset = dataset
        self._dst = dst
        self._writer = None
        self._file = None             # the file object we opened (closed by us)
        self._pool = None
        self._job = None
        self._writers = {}            # dataset: partition key -> (ParquetWriter, file)
        self._files = 0
        if not dataset:
            out = dst
            if isinstance(dst, str):
                try:
                    out = self._file = os.fdopen(files.open_output(dst), "wb")
                except OSError as e:
                    raise FlowToolsError("%s: %s" % (dst, files.reason(e))) from None
            try:
                self._writer = pq.ParquetWriter(out, self._out_schema, **self._options)
            except _arrow_errors(pa) as e:
                self._close_file()
                raise FlowToolsError("%s: %s" % (_name(dst), _text(e))) from None
        else:
            try:
                os.makedirs(dst, exist_ok=True)
            except OSError as e:
                raise FlowToolsError("%s: %s" % (dst, files.reason(e))) from None
            self._stamp = "part-%d-%d" % (int(time.time()), os.getpid())

    def write(self, batch):
        if not batch.n:
            return
        rb = arrow.record_batch(batch, schema_=self._schema)
        if self._keep is not None:
            rb = rb.select(self._keep)
        self._pending.append(rb)
        self._rows += batch.n
        self.records_written += batch.n
        if self._rows >= ROW_GROUP:
            self._flush()

    def _flush(self):
        """The pending rows to a row group: the table (and for a dataset its
        partitions) made here, encoded and compressed on the second thread
        (pyarrow releases the GIL) while the caller converts the next."""
        if not self._pending:
            return
        pa = self._pa
        tbl = pa.Table.from_batches(self._pending, schema=self._out_schema)
        self._pending, self._rows = [], 0
        parts = self._partitions(tbl) if self._dataset else None
        self._wait()
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(max_workers=1)
        if parts is None:
            self._job = self._pool.submit(self._writer.write_table, tbl,
                                          row_group_size=ROW_GROUP)
        else:
            self._job = self._pool.submit(self._write_partitions, parts)

    def _wait(self):
        """Wait for the row group being written; its error is ours."""
        job, self._job = self._job, None
        if job is not None:
            try:
                job.result()
            except _arrow_errors(self._pa) as e:
                raise FlowToolsError("%s: %s" % (_name(self._dst), _text(e))) from None

    def _partitions(self, tbl):
        """[(key, rows)] of a table, by key: its rows by partition
        (exporter, UTC date and hour of the end), key = exaddr << 32 |
        hours since 1970, each partition's rows in their order.  Rows come
        in runs of one partition (a capture file: an exporter, an hour
        after the other): up to MAX_RUNS runs are sliced, not copied;
        more are sorted by the key (stable) and sliced."""
        pa = self._pa
        import pyarrow.compute as pc
        u64 = pa.uint64()
        end = pc.max_element_wise(tbl.column("end").cast(pa.int64()), 0)
        hour = pc.cast(pc.divide(end, 3600000), u64)
        if "exaddr" in tbl.column_names:
            key = pc.add(pc.multiply(pc.cast(tbl.column("exaddr"), u64), 1 << 32), hour)
        else:
            key = hour
        key = key.combine_chunks() if hasattr(key, "combine_chunks") else key
        n = len(key)
        change = pc.indices_nonzero(pc.not_equal(key[1:], key[:-1]))
        if len(change) < MAX_RUNS:
            starts = [0] + [i + 1 for i in change.to_pylist()]
            runs = {}
            for k, s, e in zip(key.take(starts).to_pylist(), starts, starts[1:] + [n]):
                runs.setdefault(k, []).append(tbl.slice(s, e - s))
            return sorted((k, v[0] if len(v) == 1 else pa.concat_tables(v))
                          for k, v in runs.items())
        counts = pc.value_counts(key)
        pairs = sorted(zip(counts.field("values").to_pylist(),
                           counts.field("counts").to_pylist()))
        tbl = tbl.take(pc.sort_indices(key))
        out, pos = [], 0
        for k, c in pairs:
            out.append((k, tbl.slice(pos, c)))
            pos += c
        return out

    def _write_partitions(self, parts):
        """Each partition's rows to its file; a file per partition stays
        open for the next rows (at most MAX_OPEN at once)."""
        for k, rows in parts:
            self._partition_writer(k).write_table(rows, row_group_size=ROW_GROUP)

    def _partition_writer(self, k):
        entry = self._writers.pop(k, None)
        if entry is None:
            import datetime
            import pyarrow.parquet as pq
            from pyflowtools.util import ipv4
            exa, hour = divmod(k, 1 << 32)
            t = datetime.datetime(1970, 1, 1) + datetime.timedelta(hours=hour)
            self._files += 1
            parts = ["exporter=%s" % ipv4.text(exa), "date=%s" % t.strftime("%Y-%m-%d"),
                     "hour=%d" % t.hour, "%s-%d.parquet" % (self._stamp, self._files)]
            try:
                f = os.fdopen(files.create_below(self._dst, parts), "wb")
            except OSError as e:
                raise FlowToolsError("%s: %s" % (e.filename or self._dst, files.reason(e))) \
                    from None
            try:
                entry = (pq.ParquetWriter(f, self._out_schema, **self._options), f)
            except BaseException:
                f.close()
                raise
            if len(self._writers) >= MAX_OPEN:
                _close_pair(self._writers.pop(next(iter(self._writers))))
        self._writers[k] = entry      # most recently used last
        return entry[0]

    def close(self):
        try:
            self._flush()
            self._wait()
            while self._writers:
                _close_pair(self._writers.popitem()[1])
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            if self._file is not None:
                self._file, f = None, self._file
                f.close()
        except BaseException as e:
            self.abort()              # every file closed, the error ours
            if isinstance(e, _arrow_errors(self._pa)):
                raise FlowToolsError("%s: %s" % (_name(self._dst), _text(e))) from None
            raise
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None

    def _close_file(self):
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def abort(self):
        self._pending = []
        if self._job is not None:
            try:
                self._job.result()
            except Exception:
                pass
            self._job = None
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for entry in list(self._writers.values()) + [(self._writer, None)]:
            try:
                if entry[0] is not None:
                    _close_pair(entry)
            except Exception:
                pass
        self._writers, self._writer = {}, None
        self._close_file()


def _close_pair(entry):
    """Close a dataset file's ParquetWriter, then its file."""
    w, f = entry
    try:
        w.close()
    finally:
        if f is not None:
            f.close()


def _name(dst):
    return dst if isinstance(dst, str) else getattr(dst, "name", "stdout") \
        if not hasattr(dst, "fileno") or dst.fileno() != 1 else "stdout"


def _text(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__


class ParquetInput:
    """A Parquet file or dataset to read flows from: a path (a file, or a
    directory of a Hive-partitioned dataset) or a binary file object (read
    whole when it cannot seek).  FormatError when it is not Parquet."""

    def __init__(self, src):
        pa = arrow.pyarrow()
        import pyarrow.parquet as pq
        self.name = src if isinstance(src, str) else "stdin"
        self._file = None
        try:
            if isinstance(src, str) and os.path.isdir(src):
                # pyarrow.dataset only for a directory: importing it imports
                # pandas too (0.25 s of every flow-import of one file)
                import pyarrow.dataset as ds
                self._ds = ds.dataset(src, format="parquet", partitioning="hive")
                self.schema = self._ds.schema
            elif isinstance(src, str):
                self._file = pq.ParquetFile(src)
                self.schema = self._file.schema_arrow
            else:
                try:
                    src.seek(0, 1)
                    data = pa.PythonFile(src, mode="r")
                except (OSError, AttributeError, ValueError):
                    data = pa.BufferReader(src.read())
                self._file = pq.ParquetFile(data)
                self.schema = self._file.schema_arrow
        except _arrow_errors(pa) as e:
            why = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else _text(e)
            raise FormatError("%s: %s" % (self.name, why)) from None

    def rectype(self, version=None):
        """The record type to make: `version` (version, agg_method), else
        the file's metadata, else v5."""
        return arrow.target_rectype(self.schema, version)

    def _record_batches(self):
        if self._file is not None:
            for i in range(self._file.num_row_groups):
                yield from self._file.read_row_group(i).to_batches()
        else:
            yield from self._ds.to_batches()

    def batches(self, rectype):
        """Batches of rectype records (one reused Batch, refilled each
        time).  FormatError for damaged files or values that do not fit."""
        pa = arrow.pyarrow()
        out = None
        try:
            for rb in self._record_batches():
                if rb.num_rows:
                    out = arrow.to_batch(rb, rectype, out)
                    yield out
        except _arrow_errors(pa) as e:
            raise FormatError("%s: %s" % (self.name, _text(e))) from None
