"""Parquet out and in (flow-export -f 6, flow-import -f 6): the Arrow
schema of io/arrow.py in Parquet files, written for scans (zstd, row
groups of ROW_GROUP rows, dictionary encoding), one file or a
Hive-partitioned dataset `exporter=A.B.C.D/date=YYYY-MM-DD/hour=H/`
(the exporter address exaddr; the UTC date and hour of the flow's end).
Reading takes any Parquet file or dataset directory whose columns carry
the flow-tools field names (io/arrow.to_batch): the round trip of a file
gives the records back byte for byte.  Needs pyarrow."""
import os
import time

from pyflowtools.core.errors import FlowToolsError, FormatError
from pyflowtools.io import arrow
from pyflowtools.io.sink import Sink

ROW_GROUP = 1 << 20          # rows per row group: big enough for scans
COMPRESSION = "zstd"
#: dictionary-encoded columns: the exporter and the few values filters
#: test most (measured: dictionaries on every column halve the writing rate
#: for files 2 % smaller)
DICTIONARY = ("exaddr", "prot", "tcp_flags")
PARTITIONS = ("exporter", "date", "hour")
MAX_OPEN = 64                # dataset files open at once


def _arrow_errors(pa):
    return (pa.ArrowException, OSError)


def is_dataset(path):
    """A -u path names a dataset directory: it ends in / or is a directory."""
    return path.endswith("/") or os.path.isdir(path)


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
        self._pending = []
        self._rows = 0
        self._dataset = dataset
        self._dst = dst
        self._writer = None
        self._pool = None
        self._job = None
        self._writers = {}            # dataset: partition key -> open ParquetWriter
        self._files = 0
        if not dataset:
            try:
                self._writer = pq.ParquetWriter(dst, self._out_schema, compression=COMPRESSION,
                                                use_dictionary=self._dictionary(),
                                                write_statistics=True)
            except _arrow_errors(pa) as e:
                raise FlowToolsError("%s: %s" % (_name(dst), _text(e))) from None
        else:
            os.makedirs(dst, exist_ok=True)
            self._stamp = "part-%d-%d" % (int(time.time()), os.getpid())

    def _dictionary(self):
        return [n for n in DICTIONARY if n in self._out_schema.names]

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
        if not self._pending:
            return
        pa = self._pa
        tbl = pa.Table.from_batches(self._pending, schema=self._out_schema)
        self._pending, self._rows = [], 0
        self._wait()
        # a row group is encoded and compressed on a second thread (pyarrow
        # releases the GIL) while the next one is converted
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(max_workers=1)
        if self._writer is not None:
            self._job = self._pool.submit(self._writer.write_table, tbl,
                                          row_group_size=ROW_GROUP)
        else:
            self._job = self._pool.submit(self._write_partitions, tbl)

    def _wait(self):
        """Wait for the row group being written; its error is ours."""
        job, self._job = self._job, None
        if job is not None:
            try:
                job.result()
            except _arrow_errors(self._pa) as e:
                raise FlowToolsError("%s: %s" % (_name(self._dst), _text(e))) from None

    def _write_partitions(self, tbl):
        """Rows to the file of their partition (exporter, UTC date and hour
        of the end): one sort by the key when the rows span several, then
        a slice per partition; a file per partition stays open for the
        next rows (at most MAX_OPEN at once)."""
        pa = self._pa
        import pyarrow.compute as pc
        u64 = pa.uint64()
        end = pc.max_element_wise(tbl.column("end").cast(pa.int64()), 0)
        hour = pc.cast(pc.divide(end, 3600000), u64)
        if "exaddr" in tbl.column_names:
            key = pc.add(pc.multiply(pc.cast(tbl.column("exaddr"), u64), 1 << 32), hour)
        else:
            key = hour
        counts = pc.value_counts(key)
        keys = counts.field("values").to_pylist()
        if len(keys) > 1:
            tbl = tbl.take(pc.sort_indices(key))
        pos = 0
        for k, c in sorted(zip(keys, counts.field("counts").to_pylist())):
            self._partition_writer(k).write_table(tbl.slice(pos, c), row_group_size=ROW_GROUP)
            pos += c

    def _partition_writer(self, k):
        w = self._writers.pop(k, None)
        if w is None:
            import datetime
            import pyarrow.parquet as pq
            from pyflowtools.util import ipv4
            exa, hour = divmod(k, 1 << 32)
            t = datetime.datetime(1970, 1, 1) + datetime.timedelta(hours=hour)
            d = os.path.join(self._dst, "exporter=%s" % ipv4.text(exa),
                             "date=%s" % t.strftime("%Y-%m-%d"), "hour=%d" % t.hour)
            os.makedirs(d, exist_ok=True)
            self._files += 1
            w = pq.ParquetWriter(os.path.join(d, "%s-%d.parquet" % (self._stamp, self._files)),
                                 self._out_schema, compression=COMPRESSION,
                                 use_dictionary=self._dictionary(), write_statistics=True)
            if len(self._writers) >= MAX_OPEN:
                self._writers.pop(next(iter(self._writers))).close()
        self._writers[k] = w          # most recently used last
        return w

    def close(self):
        try:
            self._flush()
            self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
        try:
            while self._writers:
                self._writers.popitem()[1].close()
        except _arrow_errors(self._pa) as e:
            raise FlowToolsError("%s: %s" % (_name(self._dst), _text(e))) from None
        if self._writer is not None:
            try:
                self._writer.close()
            except _arrow_errors(self._pa) as e:
                raise FlowToolsError("%s: %s" % (_name(self._dst), _text(e))) from None
            self._writer = None

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
        for w in list(self._writers.values()) + [self._writer]:
            try:
                if w is not None:
                    w.close()
            except Exception:
                pass
        self._writers, self._writer = {}, None


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
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq
        self.name = src if isinstance(src, str) else "stdin"
        self._file = None
        try:
            if isinstance(src, str):
                part = "hive" if os.path.isdir(src) else None
                self._ds = ds.dataset(src, format="parquet", partitioning=part)
                self.schema = self._ds.schema
            else:
                try:
                    src.seek(0, 1)
                    data = pa.PythonFile(src, mode="r")
                except (OSError, AttributeError, ValueError):
                    data = pa.BufferReader(src.read())
                self._file = pq.ParquetFile(data)
                self.schema = self._file.schema_arrow
        except _arrow_errors(pa) as e:
            raise FormatError("%s: %s" % (self.name, _text(e))) from None

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
