"""Numeric lists and address scanning (pyflowtools/filters/lists.py,
commands.md 1.7): every documented quirk, then a property test against a
list model built here from the documented rules."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyflowtools.filters import lists
from pyflowtools.filters.lists import ListError
from pyflowtools.util import ipv4


def values(text, size=lists.PORT_TABLE):
    return set(lists.parse(text, size))


@pytest.mark.parametrize("text,want", [
    ("80", {80}),
    ("22-25", {22, 23, 24, 25}),
    ("22,53,443", {22, 53, 443}),
    ("1,3,5,7,60-62", {1, 3, 5, 7, 60, 61, 62}),
    ("0x50", {0x50}),
    ("0X50", {0x50}),
    ("0x10,010", {16, 8}),
    ("080", {0}),                # octal stops at the 8
    ("09", {0}),
    ("tcp", {0}),                # words are not looked up
    ("6tcp", {6}),               # text after a number is ignored
    ("0x", {0}),
    ("25-", {25}),               # a- = a
    ("25-20", {25}),             # b-a = b
    ("0-", {0}),
    ("1,,2", {1, 2}),            # empty items are skipped
    (",", set()),
    ("", set()),
    ("1, 2,\t3", {1, 2, 3}),     # blanks after a comma
    ("+7", {7}),
    ("0x10-0x12", {16, 17, 18}),
    ("010-012", {8, 9, 10}),
    ("5-9-20", set(range(5, 10))),
    ("65535", {65535}),
    ("65530-65535", set(range(65530, 65536))),
])
def test_list_quirks(text, want):
    assert values(text) == want


def test_leading_bang_inverts_the_whole_list():
    assert values("!80") == set(range(65536)) - {80}
    assert values("!0-1023") == set(range(1024, 65536))
    assert values("!") == set(range(65536))
    assert values("!1,2") == set(range(65536)) - {1, 2}
    assert values("!6", 256) == set(range(256)) - {6}


def test_bang_only_counts_first():
    # a later "!" is garbage in its item: the item reads as 0
    assert values("80,!443") == {0, 80}
    assert values(" !80") == {0}


@pytest.mark.parametrize("text,size", [
    ("70000", 65536), ("65536", 65536), ("-1", 65536), ("5--1", 65536),
    ("70000-1", 65536), ("1-70000", 65536), ("256", 256), ("0-256", 256),
    ("!70000", 65536), ("99999999999999999999999", 65536), ("0x10000", 65536),
    ("1,2,-3", 65536),
])
def test_out_of_range_fails_the_whole_list(text, size):
    with pytest.raises(ListError) as e:
        lists.parse(text, size)
    assert str(e.value) == "load_lookup(): failed"


def test_byte_table_limits():
    assert values("255", 256) == {255}
    assert values("0xff", 256) == {255}


def test_bitmap_matches_parse():
    for text, size in (("!0-1023", 65536), ("1,3,60-62", 65536), ("6,17", 256), ("", 256)):
        bm = lists.bitmap_of(text, size)
        assert len(bm) == size // 8
        got = {v for v in range(size) if bm[v >> 3] >> (v & 7) & 1}
        assert got == values(text, size)


@pytest.mark.parametrize("text,want", [
    ("0x02", ("0x02", 0xFF)), ("0x02/0x02", ("0x02", 0x02)), ("2/3", ("2", 3)),
    ("0x20,0x40/0xe0", ("0x20,0x40", 0xE0)), ("1/010", ("1", 8)), ("1/", ("1", 0)),
    ("1/0x1ff", ("1", 0xFF)), ("!2/0x3f", ("!2", 0x3F)),
])
def test_split_mask(text, want):
    assert lists.split_mask(text) == want


@pytest.mark.parametrize("text,want", [
    ("0", 0), ("", 0), ("127", 0x7F000000),
    ("10.1", 0x0A010000), ("10.1.2", 0x0A010200), ("10.1.2.3", 0x0A010203),
    ("192.0.2.255", 0xC00002FF), ("255.255.255.255", 0xFFFFFFFF),
    ("1.2.3.4.5", 0x01020304), ("10..1", 0x0A000100),
])
def test_scan_ip(text, want):
    assert ipv4.scan(text) == want


def test_scan_ip_garbage_is_not_an_error():
    assert isinstance(ipv4.scan("1.2.3.-4", resolve=False), int)
    assert 0 <= ipv4.scan("10.0.0.300", resolve=False) <= 0xFFFFFFFF


def test_scan_ip_resolves_names():
    assert ipv4.scan("localhost") == 0x7F000001


@pytest.mark.parametrize("text,want", [
    ("0", (0, 1)), ("12ab", (12, 2)), ("0x1g", (1, 3)), ("  -5,", (-5, 4)),
    ("x", (0, 0)), ("08", (0, 1)), ("0x", (0, 1)),
])
def test_strtol_like_c(text, want):
    assert lists.strtol(text) == want


# ---- property: random lists against a model of the documented rules ------

def _render(n, style):
    """n as the C base notation `style` writes it."""
    if style == "hex":
        return "0x%x" % n
    if style == "oct":
        return "0%o" % n if n else "0"
    return "%d" % n


@st.composite
def list_texts(draw, size):
    """(text, selected set) built item by item from the documented rules."""
    items = draw(st.lists(st.tuples(
        st.sampled_from(("one", "range", "open", "empty")),
        st.integers(0, size - 1), st.integers(0, size - 1),
        st.sampled_from(("dec", "hex", "oct")), st.sampled_from(("", " ", "  "))),
        max_size=8))
    invert = draw(st.booleans())
    parts = []
    chosen = set()
    for kind, a, b, style, blank in items:
        if kind == "empty":
            parts.append("")
            continue
        if kind == "one":
            parts.append(blank + _render(a, style))
            chosen.add(a)
        elif kind == "open":
            parts.append(blank + _render(a, style) + "-")
            chosen.add(a)
        else:
            parts.append(blank + _render(a, style) + "-" + _render(b, style))
            chosen.update(range(a, b + 1) if b >= a else [a])
    text = ("!" if invert else "") + ",".join(parts)
    if invert:
        chosen = set(range(size)) - chosen
    return text, chosen


@given(list_texts(65536))
def test_lists_follow_the_rules_16(case):
    text, want = case
    assert values(text, 65536) == want


@given(list_texts(256))
def test_lists_follow_the_rules_8(case):
    text, want = case
    assert values(text, 256) == want
    bm = lists.bitmap_of(text, 256)
    assert {v for v in range(256) if bm[v >> 3] >> (v & 7) & 1} == want


@given(st.integers(256, 10**6), st.sampled_from(("dec", "hex", "oct")))
def test_any_value_past_the_table_fails(n, style):
    with pytest.raises(ListError):
        lists.parse("1," + _render(n, style), 256)
