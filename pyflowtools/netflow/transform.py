"""flow-capture's (and flow-fanout's) steps on received records before they
are stored or sent on (commands.md 18): tagging with a tag.cfg definition
(-t/-T; records become v1005), the -f/-F filter when it must see the tags,
and translation with an xlate.cfg definition (-x/-X), in that order.

    tr = Transform(tag=("tag.cfg", "T"), xlate=("xlate.cfg", "D"),
                   variables=["V=1"], base="/var/flows")
    tr.output_rectype(rt)          # the stored record type (1005 when tagging; 1006 stays)
    tr.check(rt)                   # the field checks, once the type is known
    records, count = tr.apply(records, count, rt)

One C call per step and batch (filters/tagcfg.py, nfilter.py,
xlatecfg.py); nothing per record in Python.  Relative paths are resolved
in `base` (flow-capture's workdir), as the reference resolves them after
changing into it.  Errors are FlowToolsError with the reference's lines
(`warn` gets the first of two).
"""
import os

from pyflowtools.core.batch import Batch
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.core.native import rec_size, rectype as _rectype
from pyflowtools.filters import cfglines, tagcfg, xlatecfg

V1005 = _rectype(1005)
TAG_LOAD_FAILED = "fttag_load(): failed"


def resolve(path, base):
    """path inside base when relative (None stays None)."""
    if path is None or base is None or os.path.isabs(path):
        return path
    return os.path.join(base, path)


class Transform:
    """tag: None or (file or None, definition); xlate likewise; filt: None
    or (nfilter.Config, definition name) run after tagging; variables: the
    -v NAME=VALUE bindings."""

    def __init__(self, tag=None, xlate=None, filt=None, variables=None, base=None, warn=None):
        self.tag_spec, self.xlate_spec, self.filt = tag, xlate, filt
        self.variables = dict(cfglines.parse_binding(v) for v in variables or ())
        self.base = base
        self.warn = warn or (lambda msg: None)
        self.tagger = self.xlator = None
        self._batches = {}
        self._progs = {}
        self.dropped = 0
        self.load()

    @property
    def active(self):
        return bool(self.tag_spec or self.xlate_spec or self.filt)

    def _load(self, module, spec, load_failed, def_failed):
        path, name = spec
        full = resolve(path, self.base)
        try:
            cfg = module.load(full, self.variables)
        except cfglines.ConfigError as e:
            msg = str(e)
            if full != path and path is not None:
                msg = msg.replace(full, path, 1)
            self.warn(msg)
            raise FlowToolsError(load_failed(path)) from None
        try:
            return cfg.definition(name)
        except cfglines.UnknownDefinition:
            raise FlowToolsError(def_failed(name)) from None

    def load(self):
        """(Re)load the files (start, SIGHUP).  On an error the previous
        state is kept and FlowToolsError raised."""
        tagger = xlator = None
        if self.tag_spec:
            tagger = self._load(tagcfg, self.tag_spec, lambda p: TAG_LOAD_FAILED,
                                lambda d: TAG_LOAD_FAILED)
        if self.xlate_spec:
            xlator = self._load(xlatecfg, self.xlate_spec,
                                lambda p: "ftxlate_load(%s): failed" % (p or "xlate.cfg"),
                                lambda d: "ftlate_def_find(%s): failed" % d)
        self.tagger, self.xlator = tagger, xlator
        self._progs = {}

    def output_rectype(self, rt):
        # tagging writes v1005, but v1006 stays v1006 (it has the tags)
        return self.tagger.output_of(rt) if self.tagger is not None and rt is not None else rt

    def check(self, rt):
        """The field checks for records of rt (raises FlowToolsError)."""
        if self.tagger is not None:
            self.tagger.check(rt)
        out = self.output_rectype(rt)
        if self.filt is not None:
            self._filter(out)
        if self.xlator is not None:
            self.xlator.check(out)

    def _filter(self, rt):
        prog = self._progs.get(rt)
        if prog is None:
            cfg, name = self.filt
            prog = self._progs[rt] = cfg.program(name, rt)
        return prog

    def _batch(self, records, count, rt):
        b = self._batches.get(rt)
        if b is None or b.capacity < count:
            b = self._batches[rt] = Batch(rt, rec_size(rt), max(count, 1024))
        n = count * b.rec_size
        b.buf[:n] = records[:n]
        b.n = count
        return b

    def apply(self, records, count, rt):
        """(records, count) of host-order records of rt -> (bytes-like,
        count) of output_rectype(rt) records, tagged, filtered and
        translated."""
        if not count or not self.active:
            return records, count
        b = self._batch(records, count, rt)
        if self.tagger is not None:
            b = self.tagger.apply(b)
        if self.filt is not None:
            before = b.n
            self._filter(b.rectype).apply(b)
            self.dropped += before - b.n
        if self.xlator is not None and b.n:
            b = self.xlator.apply(b)
        return b.view(), b.n


def capture_transform(o, workdir, warn):
    """flow-capture's and flow-fanout's -f/-F, -t/-T, -x/-X, -v: (Transform
    or None, the filter config the receiving side runs or None).  o has
    filter_file, filter_def, tag_file, tag_def, xlate_file, xlate_def,
    variables.  Tagging is on when -t or -T is given (o.tagging); with it
    the filter runs after tagging (it may test the tags), in the
    Transform.  Relative paths are inside workdir (None: as given)."""
    from pyflowtools.netflow import collector
    cfg = collector.load_filter(resolve(o.filter_file, workdir), o.filter_def, o.variables, warn)
    o.tagging = o.tag_file is not None or o.tag_def is not None
    tag = (o.tag_file, o.tag_def or "") if o.tagging else None
    xlate = None
    if o.xlate_file is not None or o.xlate_def is not None:
        xlate = (o.xlate_file, o.xlate_def or "default")
    filt = (cfg, o.filter_def or "default") if cfg is not None and tag else None
    if not (tag or xlate):
        return None, cfg
    tr = Transform(tag, xlate, filt, o.variables, base=workdir, warn=warn)
    return tr, None if filt else cfg
