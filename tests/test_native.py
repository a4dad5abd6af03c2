"""pyflowtools.core.native: the binding's import checks and the one status
-> exception map."""
import subprocess
import sys

import pytest

from pyflowtools.core import native, stamp
from pyflowtools.core.errors import FormatError, InternalError
from pyflowtools.core.native import lib


def test_build_stamp_is_the_source_headers():
    # in a source tree the compiled core was built from csrc/ftcore.h as it is
    assert native.BUILD_STAMP == stamp.source_stamp()
    assert len(native.BUILD_STAMP) == 16


def test_stamp_changes_with_the_cdef():
    with open(stamp.HEADER, encoding="utf-8") as f:
        text = f.read()
    region = stamp.cdef_region(text)
    assert stamp.digest(region) == native.BUILD_STAMP
    assert stamp.digest(region + "int ftc_new_thing(void);") != native.BUILD_STAMP
    with pytest.raises(ValueError):
        stamp.cdef_region("no markers here")


def test_stale_build_refused():
    # a header whose cdef differs from the one the core was built from
    code = ("import pyflowtools.core.stamp as s\n"
            "s.source_stamp = lambda path=None: '0' * 16\n"
            "import pyflowtools.core.native\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 1
    assert "ImportError: pyflowtools C core is stale" in r.stderr
    assert "run make" in r.stderr


def test_installed_without_sources_accepted(tmp_path):
    code = ("import pyflowtools.core.stamp as s\n"
            "s.source_stamp = lambda path=None: None\n"
            "import pyflowtools.core.native as n\n"
            "print(n.BUILD_STAMP)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == native.BUILD_STAMP


def test_source_stamp_of_missing_header(tmp_path):
    assert stamp.source_stamp(str(tmp_path / "nope.h")) is None


@pytest.mark.parametrize("status,exc", [
    (lib.FTC_EINVAL, InternalError), (lib.FTC_EPROGRAM, InternalError),
    (lib.FTC_ETRUNC, FormatError), (lib.FTC_EBADMAGIC, FormatError),
    (lib.FTC_EBADPDU, FormatError),
])
def test_one_status_map(status, exc):
    with pytest.raises(exc) as e:
        native.check(status, "thing")
    assert str(e.value) == "thing: " + native.strerror(status)
    assert type(native.error(status)) is exc


def test_check_passes_counts_and_takes_messages():
    assert native.check(0) == 0
    assert native.check(17) == 17
    with pytest.raises(FormatError, match=r"^f\.ft: as the reference says$"):
        native.check(lib.FTC_ETRUNC, "f.ft", messages={lib.FTC_ETRUNC: "as the reference says"})


def test_field_ids_and_layouts_from_c():
    assert native.field_id("srcaddr") == lib.FTC_F_SRCADDR
    with pytest.raises(InternalError):
        native.field_id("nosuchfield")
    version, agg, size, fields = native.layout(lib.FTC_RT_V5)
    assert (version, agg, size) == (5, 0, 64)
    assert fields["srcaddr"][1] == 4
    with pytest.raises(InternalError):
        native.layout(lib.FTC_RT_COUNT)
