"""ftc_filter_*: compiled filter programs (csrc/filter.c) over whole
batches.  filters/program.py compiles expression trees to instruction
tuples; build() turns them into the C array, which C checks before use."""
from pyflowtools.core.native import check, ffi, lib

#: instruction ops, value sources, comparisons, jump ends
OP_TRUE, OP_BITMAP, OP_RANGES = lib.FTC_OP_TRUE, lib.FTC_OP_BITMAP, lib.FTC_OP_RANGES
OP_CMP, OP_MASKEQ, OP_CMPF, OP_SAMPLE = (lib.FTC_OP_CMP, lib.FTC_OP_MASKEQ, lib.FTC_OP_CMPF,
                                         lib.FTC_OP_SAMPLE)
OP_RANGES6 = lib.FTC_OP_RANGES6
SRC_FIELD, SRC_DURATION, SRC_START, SRC_END = (lib.FTC_SRC_FIELD, lib.FTC_SRC_DURATION,
                                               lib.FTC_SRC_START, lib.FTC_SRC_END)
SRC_START_TOD, SRC_END_TOD, SRC_PPS, SRC_BPS = (lib.FTC_SRC_START_TOD, lib.FTC_SRC_END_TOD,
                                                lib.FTC_SRC_PPS, lib.FTC_SRC_BPS)
SRC_NONE, SRC_OPP = lib.FTC_SRC_NONE, lib.FTC_SRC_OPP
CMPS = {"lt": lib.FTC_CMP_LT, "le": lib.FTC_CMP_LE, "eq": lib.FTC_CMP_EQ,
        "ne": lib.FTC_CMP_NE, "ge": lib.FTC_CMP_GE, "gt": lib.FTC_CMP_GT}
ACCEPT, REJECT = lib.FTC_PROG_ACCEPT, lib.FTC_PROG_REJECT
#: the TCP protocol number and the flag values of the detectors' rules
TCP_PROT, TCP_SYN, TCP_RST_ACK = lib.FTC_TCP_PROT, lib.FTC_TCP_SYN, lib.FTC_TCP_RST_ACK

#: the fields of one instruction tuple given to build()
INSN_FIELDS = ("op", "src", "cmp", "shift", "a", "b", "d", "offset", "width", "table",
               "table_len", "jt", "jf")


def build(insns, tables, rectype):
    """A Program from instruction tuples (INSN_FIELDS order) and the tables
    blob (bytes); FTC_EPROGRAM (InternalError) unless C finds it well
    formed for rectype."""
    n = len(insns)
    arr = ffi.new("ftc_insn_t[]", n)
    for i, values in enumerate(insns):
        ins = arr[i]
        for name, v in zip(INSN_FIELDS, values):
            setattr(ins, name, v)
    prog = Program(arr, n, bytes(tables), rectype)
    check(lib.ftc_filter_check(arr, n, prog.tables_ptr(), len(prog.tables), rectype),
          "filter program")
    return prog


class Program:
    """A compiled filter for one record type: apply() keeps the accepted
    records of a batch, select() marks them; one C call per batch."""

    def __init__(self, insns, n, tables, rectype):
        self._insns = insns
        self.n = n
        self.tables = tables
        self._tptr = ffi.from_buffer("uint8_t[]", tables) if tables else ffi.new("uint8_t[8]")
        self.rectype = rectype
        self.state = ffi.new("ftc_filter_state_t *")
        self._kept = ffi.new("size_t *")
        self._sel = None

    def tables_ptr(self):
        return self._tptr if self.tables else ffi.NULL

    def c_args(self):
        """(instructions, count, tables, tables length, state): the program
        as the C entry points that run one take it (ftc_fanout_batch)."""
        return self._insns, self.n, self._tptr, len(self.tables), self.state

    def seed(self, value):
        self.state.rng = value & 0xFFFFFFFFFFFFFFFF or 1

    def apply(self, batch):
        """Keep the accepted records of batch (in place); returns batch."""
        if batch.n:
            batch.to_host()
            check(lib.ftc_filter_apply(self._insns, self.n, self._tptr, len(self.tables),
                                       self.rectype, self.state, batch.ptr, batch.n,
                                       self._kept))
            batch.n = self._kept[0]
        return batch

    def select(self, batch):
        """bytes: 1 per accepted record, 0 otherwise (batch unchanged)."""
        batch.to_host()
        if self._sel is None or len(self._sel) < batch.n:
            self._sel = bytearray(max(batch.n, 1))
            self._sptr = ffi.from_buffer("uint8_t[]", self._sel)
        check(lib.ftc_filter_select(self._insns, self.n, self._tptr, len(self.tables),
                                    self.rectype, self.state, batch.ptr, batch.n, self._sptr))
        return memoryview(self._sel)[:batch.n]
