"""ftc_tag_*: a compiled flow-tag program (csrc/tagmask.c) over v1005
(or v1006) batches.  filters/tagcfg.py builds the tuples; Program holds the C arrays,
checked once by C here and again by every apply()."""
from pyflowtools.core.native import check, ffi, lib

ANY, NONE = lib.FTC_TAGK_ANY, lib.FTC_TAGK_NONE
T_EXPORTER, T_INPUT, T_OUTPUT = lib.FTC_TAGT_EXPORTER, lib.FTC_TAGT_INPUT, lib.FTC_TAGT_OUTPUT
MAP_BYTES = lib.FTC_TAG_MAP_BYTES


def ranges_array(ranges):
    """cffi ftc_range_t[] from [(lo, hi, value)] (at least one element)."""
    arr = ffi.new("ftc_range_t[]", max(len(ranges), 1))
    for i, (lo, hi, value) in enumerate(ranges):
        arr[i].lo, arr[i].hi, arr[i].value = lo, hi, value
    return arr


class Program:
    """terms [(flags, exporter, in_map, out_map, first, count)], actions
    [(field0, field1, prot, first, count)], ranges [(lo, hi, set index)],
    sets [(src_and, src_or, dst_and, dst_or)], maps (bytes of bitmaps)."""

    def __init__(self, terms, actions, ranges, sets, maps):
        self._terms = ffi.new("ftc_tag_term_t[]", max(len(terms), 1))
        for i, (flags, exporter, in_map, out_map, first, count) in enumerate(terms):
            t = self._terms[i]
            t.flags, t.exporter, t.in_map, t.out_map = flags, exporter, in_map, out_map
            t.first, t.count = first, count
        self._actions = ffi.new("ftc_tag_action_t[]", max(len(actions), 1))
        for i, (f0, f1, prot, first, count) in enumerate(actions):
            a = self._actions[i]
            a.field[0], a.field[1], a.prot, a.first, a.count = f0, f1, prot, first, count
        self._ranges = ranges_array(ranges)
        self._sets = ffi.new("ftc_tag_set_t[]", max(len(sets), 1))
        for i, (sa, so, da, do) in enumerate(sets):
            s = self._sets[i]
            s.src_and, s.src_or, s.dst_and, s.dst_or = sa, so, da, do
        self._maps = ffi.new("uint8_t[]", bytes(maps) or b"\0")
        p = self._prog = ffi.new("ftc_tag_prog_t *")
        p.terms, p.n_terms = self._terms, len(terms)
        p.actions, p.n_actions = self._actions, len(actions)
        p.ranges, p.n_ranges = self._ranges, len(ranges)
        p.sets, p.n_sets = self._sets, len(sets)
        p.maps, p.maps_len = self._maps, len(maps)
        check(lib.ftc_tag_check(p), "tag program")

    def apply(self, ptr, n, rectype=lib.FTC_RT_V1005):
        """Tag n host-order records of rectype (v1005 or v1006) at ptr in
        place."""
        if n:
            check(lib.ftc_tag_apply(self._prog, rectype, ptr, n), "tag program")
