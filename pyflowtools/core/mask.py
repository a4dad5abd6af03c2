"""ftc_mask_apply: flow-mask's prefix table (csrc/tagmask.c) over batches."""
from pyflowtools.core.native import check, lib
from pyflowtools.core.tag import ranges_array


class Table:
    """Sorted disjoint address ranges [(lo, hi, new mask length)]."""

    def __init__(self, ranges):
        self._arr = ranges_array(ranges)
        self.n = len(ranges)
        check(lib.ftc_ranges_check(self._arr, self.n, 256), "mask table")

    def apply(self, batch):
        """Rewrite src_mask / dst_mask of the batch's records in place."""
        if batch.n:
            batch.to_host()
            check(lib.ftc_mask_apply(batch.rectype, self._arr, self.n, batch.ptr, batch.n),
                  "mask table")
        return batch
