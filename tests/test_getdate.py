"""pyflowtools/util/getdate.py: the free-form date parser of flow-cat -t/-T and
flow-nfilter's time-date primitives, against the classic getdate grammar
(flow-tools lib/getdate.y).  Every test pins TZ and passes `now` explicitly."""
import calendar
import contextlib
import os
import time

import pytest
from hypothesis import assume, given, strategies as st

from pyflowtools.util import getdate

NOW = 1795317170                     # Sun 2026-11-22 03:12:50 UTC
DAY = 86400
EASTERN = "EST5EDT,M3.2.0,M11.1.0"   # POSIX rules: no tzdata needed
CENTRAL_EU = "CET-1CEST,M3.5.0,M10.5.0/3"



@pytest.fixture
def utc(tz):
    tz("UTC")


def parse(text, now=NOW):
    return getdate.parse(text, now=now)


def utc_ts(*fields):
    return calendar.timegm(tuple(fields) + (0,) * (6 - len(fields)) + (0, 0, 0))


# -- absolute forms -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2026-11-22 03:12:50", "11/22/2026 03:12:50", "November 22, 2026 03:12:50",
    "22 Nov 2026 03:12:50 UTC", "22 Nov 2026 03:12:50", "Nov 22, 2026 3:12:50",
    "nov. 22, 2026 03:12:50", "NOVEMBER 22, 2026 03:12:50", "11/22/26 03:12:50",
    "2026/11/22 03:12:50", "22-Nov-2026 03:12:50", "22 nov 26 03:12:50",
    "03:12:50 11/22/2026", "Sun, 22 Nov 2026 03:12:50 GMT", "Sunday 2026-11-22 03:12:50",
    "20261122 03:12:50", "Nov 22 03:12:50 2026", "2026-11-22 3:12:50 am",
    "2026-11-22 03:12:50 (a comment (nested)) ", "  2026-11-22\t03:12:50\n",
    "2026-11-22 03:12:50 z", "2026-11-22 03:12:50 u.t.c.",
])
def test_absolute_forms(utc, text):
    assert parse(text) == NOW


@pytest.mark.parametrize("text,fields", [
    ("2026-11-22", (2026, 11, 22)), ("11/22", (2026, 11, 22)), ("Nov 22", (2026, 11, 22)),
    ("22 Nov", (2026, 11, 22)), ("1/2/2027", (2027, 1, 2)), ("Jan 2, 2027", (2027, 1, 2)),
    ("sept 9, 2026", (2026, 9, 9)), ("20270102", (2027, 1, 2)),
    ("17-JUN-1992", (1992, 6, 17)), ("17-jun-92", (1992, 6, 17)), ("6/17/92", (1992, 6, 17)),
    ("1/1/70", (1970, 1, 1)), ("1/1/38", (2038, 1, 1)), ("12/31/2038", (2038, 12, 31)),
    ("1/1/39", (2039, 1, 1)), ("2106-02-07", (2106, 2, 7)), ("2099-12-31", (2099, 12, 31)),
    ("2024-02-29", (2024, 2, 29)), ("2000-02-29", (2000, 2, 29)),
])
def test_a_date_alone_is_its_midnight(utc, text, fields):
    assert parse(text) == utc_ts(*fields)


@pytest.mark.parametrize("text,clock", [
    ("03:12:50", (3, 12, 50)), ("3:12", (3, 12, 0)), ("23:59:59", (23, 59, 59)),
    ("0:00", (0, 0, 0)), ("1530", (15, 30, 0)), ("7", (7, 0, 0)),
    ("3pm", (15, 0, 0)), ("3 PM", (15, 0, 0)), ("3:15 p.m.", (15, 15, 0)),
    ("11:59:59 pm", (23, 59, 59)), ("12am", (0, 0, 0)), ("12:30 a.m.", (0, 30, 0)),
    ("12pm", (12, 0, 0)), ("12:01 pm", (12, 1, 0)), ("1am", (1, 0, 0)),
])
def test_a_time_alone_is_today(utc, text, clock):
    assert parse(text) == utc_ts(2026, 11, 22, *clock)


@pytest.mark.parametrize("text,offset_minutes", [
    ("2026-11-22 03:12:50 UTC", 0), ("2026-11-22 03:12:50 gmt", 0),
    ("2026-11-22 03:12:50 EST", -300), ("2026-11-22 03:12:50 edt", -240),
    ("2026-11-22 03:12:50 pst", -480), ("2026-11-22 03:12:50 CET", 60),
    ("2026-11-22 03:12:50 mest", 120), ("2026-11-22 03:12:50 jst", 540),
    ("2026-11-22 03:12:50 bst", 60), ("2026-11-22 03:12:50 cet dst", 120),
    ("2026-11-22 03:12:50 -0500", -300), ("2026-11-22 03:12:50 +0130", 90),
    ("2026-11-22 03:12 -0500", -300), ("2026-11-22 03:12:50 +0000", 0),
])
def test_zones(tz, text, offset_minutes):
    want = utc_ts(2026, 11, 22, 3, 12, *((50,) if text.count(":") == 2 else (0,)))
    want -= offset_minutes * 60
    for local in ("UTC", EASTERN, CENTRAL_EU):       # an explicit zone wins over TZ
        tz(local)
        assert parse(text) == want, local


def test_local_time_follows_tz(tz):
    tz(EASTERN)
    assert parse("2026-11-22 03:12:50") == NOW + 5 * 3600        # EST
    assert parse("2026-07-01 12:00") == utc_ts(2026, 7, 1, 16)    # EDT
    tz(CENTRAL_EU)
    assert parse("2026-11-22 03:12:50") == NOW - 3600
    assert parse("2026-07-01 12:00") == utc_ts(2026, 7, 1, 10)
    # "today" is the local day of `now`: 03:12 UTC is still the 21st in New York
    tz(EASTERN)
    assert parse("10:00") == utc_ts(2026, 11, 21, 15)


# -- relative forms ----------------------------------------------------------------------

@pytest.mark.parametrize("text,delta", [
    ("now", 0), ("today", 0), ("yesterday", -DAY), ("tomorrow", DAY),
    ("2 hours ago", -7200), ("2 hours", 7200), ("+2 hours", 7200), ("-2 hours", -7200),
    ("hour ago", -3600), ("1 hour", 3600), ("3 mins", 180), ("3 minutes ago", -180),
    ("1 min", 60), ("10 sec", 10), ("10 seconds ago", -10), ("second", 1),
    ("1 day ago", -DAY), ("3 days", 3 * DAY), ("week", 7 * DAY), ("2 weeks ago", -14 * DAY),
    ("fortnight", 14 * DAY), ("1 day 2 hours ago", DAY - 7200),
    ("2 days ago 3 hours", -2 * DAY + 3 * 3600), ("yesterday 1 hour ago", -DAY - 3600),
])
def test_relative_seconds(utc, text, delta):
    assert parse(text) == NOW + delta


@pytest.mark.parametrize("text,fields", [
    ("1 month ago", (2026, 10, 22, 3, 12, 50)), ("month", (2026, 12, 22, 3, 12, 50)),
    ("2 months", (2027, 1, 22, 3, 12, 50)), ("1 year ago", (2025, 11, 22, 3, 12, 50)),
    ("year", (2027, 11, 22, 3, 12, 50)), ("-11 months", (2025, 12, 22, 3, 12, 50)),
    ("2026-01-31 1 month", (2026, 3, 3)),               # Feb 31 rolls over, as mktime does
    ("2026-11-22 10:00 3 hours ago", (2026, 11, 22, 7)),
])
def test_relative_months_and_with_a_date(utc, text, fields):
    assert parse(text) == utc_ts(*fields)


def test_relative_months_keep_the_local_clock_over_dst(tz):
    tz(EASTERN)
    base = parse("2026-02-15 12:00")
    assert parse("2026-02-15 12:00 1 month") == base + 28 * DAY - 3600   # into EDT
    assert time.localtime(parse("2026-02-15 12:00 1 month"))[3] == 12


@pytest.mark.parametrize("text,fields", [
    ("sunday", (2026, 11, 22)), ("monday", (2026, 11, 23)), ("sat", (2026, 11, 28)),
    ("Fri,", (2026, 11, 27)), ("tues", (2026, 11, 24)), ("wednes", (2026, 11, 25)),
    ("thur", (2026, 11, 26)), ("thurs 10:00", (2026, 11, 26, 10)),
    ("wednesday 2 days ago", (2026, 11, 25)),        # from Friday the 20th, 00:00
    ("Fri, 22 Nov 2026", (2026, 11, 22)),                # a date wins over the day name
])
def test_day_names(utc, text, fields):
    assert parse(text) == utc_ts(*fields)


@pytest.mark.parametrize("text", ["", "   ", "UTC", "(only a comment)"])
def test_nothing_is_todays_midnight(utc, text):
    assert parse(text) == utc_ts(2026, 11, 22)


def test_now_defaults_to_the_clock(utc):
    before = int(time.time())
    got = getdate.parse("now")
    assert before <= got <= time.time() + 1
    assert getdate.parse("1 hour ago") <= got - 3600 + 1


# -- refused --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "bogus", "not a date at all", "@1795317170", "Nov 22 2026 03:12:50",
    "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2026-02-29", "1900-02-29",
    "2026-02-30", "24:00", "23:60", "10:00:60", "10:00:61", "-5:00", "0:30am", "13pm",
    "0pm", "12:00 13pm", "pm", "3:", "11/", "Nov", "Nov 22,", "2026-11-22, 03:12",
    "1/1/1969", "1969-12-31", "1/1/69",
    "2107-01-01", "1/1/9999", "3:00 4:00", "11/22 11/23", "UTC EST", "monday friday",
    "1 fortnights ago ago", "2026-11-22 -0500", "99999999999 years",
    "99999999999999999999 days", "22.11.2026", "10:00;", "ten hours ago", "last week",
    "2 lightyears", "1 month ago" + " 2026-11-22" * 2,
])
def test_invalid_input_raises_valueerror(utc, text):
    with pytest.raises(ValueError):
        parse(text)


# -- round trip: what strftime writes, parse reads back as time.mktime does -------------------

FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%B %d, %Y %H:%M:%S", "%d %b %Y %H:%M:%S",
    "%b %d, %Y %H:%M", "%Y/%m/%d %H:%M:%S", "%d-%b-%Y %H:%M:%S", "%Y%m%d %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S", "%H:%M:%S %m/%d/%Y", "%b %d %H:%M:%S %Y", "%m/%d/%y %H:%M:%S",
    "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p", "%B %d, %Y",
]

wall_clocks = st.tuples(
    st.integers(1971, 2105), st.integers(1, 12), st.integers(1, 28),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))


@contextlib.contextmanager
def local_tz(name):
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@given(wall_clocks, st.sampled_from(FORMATS),
       st.sampled_from(["UTC", EASTERN, CENTRAL_EU, "JST-9", "NZST-12NZDT,M9.5.0,M4.1.0/3"]))
def test_round_trip_against_mktime(fields, fmt, local):
    y, mo, d, h, mi, s = fields
    assume("%y" not in fmt or y < 2069)   # two digits: 69..99 are 19xx, 00..68 20xx
    has_h, has_m, has_s = ("%H" in fmt or "%I" in fmt), "%M" in fmt, "%S" in fmt
    with local_tz(local):
        text = time.strftime(fmt, fields + (0, 0, -1))
        want = time.mktime((y, mo, d, h if has_h else 0, mi if has_m else 0,
                            s if has_s else 0, 0, 0, -1))
        assert getdate.parse(text, now=NOW) == int(want), text
        # an explicit zone: the wall clock is read in it, whatever TZ says
        if has_s and "%p" not in fmt:
            assert getdate.parse(text + " UTC", now=NOW) == \
                calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)), text
        if fmt.endswith("%S"):            # a numeric zone only right after the time
            assert getdate.parse(text + " -0130", now=NOW) == \
                calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) + 5400, text


@given(st.integers(0, 2 ** 32 - 1))
def test_utc_round_trip_of_unsigned_32_bit_seconds(ts):
    text = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
    assert getdate.parse(text, now=NOW) == ts


@given(st.text(alphabet=st.sampled_from(list("0123456789:/-+,. ()apmAPMnovutcdayshr")),
               max_size=24))
def test_any_text_gives_seconds_or_valueerror(text):
    try:
        got = getdate.parse(text, now=NOW)
    except ValueError:
        return
    assert isinstance(got, int)
