"""Free-form dates as the reference's classic getdate grammar reads them
(flow-cat -t/-T, flow-nfilter time-date): local time unless a zone is
given.  Returns Unix seconds, or raises ValueError.

Accepted (as verified with the reference): `2026-11-22 03:12:50`,
`11/22/2026 03:12:50`, `November 22, 2026 03:12:50`,
`22 Nov 2026 03:12:50 UTC`, `03:12:50` (today), `yesterday`, `now`,
relative items like `2 hours ago`.  Rejected: `Nov 22 2026 03:12:50` (the
bare 2026 is read as a time, 20:26, and a second time is an error),
`@1795317170`, `bogus`.

As the grammar (flow-tools lib/getdate.y) also reads: `2026/11/22`,
`22-Nov-2026`, `20261122`, `3pm`, `3:15 p.m.`, `03:12:50 -0500`, a weekday
(`friday`: the next one, today included), `(comments)`; nothing but a zone,
or nothing at all, is today's midnight.  It refuses a day past its month's
end, second 60, hour 0 or 13 with am/pm, years outside 1970..2106, a comma
but after a day name or in `Nov 22, 2026`, and results past the C time_t.
"""
import calendar
import re
import time

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"))}
_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_UNITS = {"year": ("months", 12), "month": ("months", 1), "fortnight": ("secs", 14 * 86400),
          "week": ("secs", 7 * 86400), "day": ("secs", 86400), "hour": ("secs", 3600),
          "minute": ("secs", 60), "min": ("secs", 60), "second": ("secs", 1), "sec": ("secs", 1)}
_ZONES = {"gmt": 0, "ut": 0, "utc": 0, "wet": 0, "bst": 60, "wat": -60, "ast": -240, "adt": -180,
          "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
          "pst": -480, "pdt": -420, "yst": -540, "ydt": -480, "hst": -600, "hdt": -540,
          "cat": -600, "ahst": -600, "nt": -660, "idlw": -720, "cet": 60, "met": 60,
          "mewt": 60, "mest": 120, "swt": 60, "sst": 120, "fwt": 60, "fst": 120, "eet": 120,
          "bt": 180, "zp4": 240, "zp5": 300, "zp6": 360, "wast": 420, "wadt": 480,
          "cct": 480, "jst": 540, "east": 600, "eadt": 660, "gst": 600, "nzt": 720,
          "nzst": 720, "nzdt": 780, "idle": 720, "z": 0}

_TOKEN = re.compile(r"\s*(?:(?P<num>[+-]?\d+)|(?P<word>[A-Za-z][A-Za-z.]*)|(?P<sign>[+-])"
                    r"|(?P<comment>\()|(?P<punct>[:/,.]))")
# Years: from the grammar's EPOCH; to 2106, the end of the unsigned 32-bit flow times
# (the grammar stops at 2038, which its own comment calls a bogus 32-bit time_t check)
_EPOCH, _LAST_YEAR = 1970, 2106


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(text)
        pos = m.end()
        if m.group("num") is not None:
            out.append(("num", m.group("num")))
        elif m.group("word") is not None:
            word = m.group("word").lower()
            out.append(("word", word.rstrip(".") if word.count(".") == 1 else word))
        elif m.group("comment"):
            depth = 1                      # (nested (comments)) are skipped
            while depth and pos < len(text):
                depth += {"(": 1, ")": -1}.get(text[pos], 0)
                pos += 1
        elif m.group("punct"):
            out.append((m.group("punct"), m.group("punct")))
        # a sign not followed by a digit is skipped, as the grammar's lexer does
    return out


def _meridian(word):
    """'am'/'pm' (also 'a.m.', 'p.m.'), else None."""
    return {"am": "am", "a.m.": "am", "pm": "pm", "p.m.": "pm"}.get(word)


def _to_24h(hour, meridian, text):
    if meridian is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError(text)
    return hour % 12 + (12 if meridian == "pm" else 0)


def _month(word):
    if word in _MONTHS:
        return _MONTHS[word]
    if word == "sept":
        return 9
    for name, n in _MONTHS.items():
        if len(word) == 3 and name.startswith(word):
            return n
    return None


def parse(text, now=None):
    """Unix seconds for `text` (see module doc)."""
    now = time.time() if now is None else now
    toks = _tokens(text)
    st = {"date": 0, "time": 0, "zone": 0, "rel": 0, "day": 0}
    year = month = day = None
    hour = minute = sec = 0
    zone = None
    weekday = None
    rel_secs = rel_months = 0
    i = 0

    def peek(k=0):
        return toks[i + k] if i + k < len(toks) else (None, None)

    def set_date(y, m, d):
        nonlocal year, month, day
        st["date"] += 1
        year, month, day = y, m, d

    def relative(unit, count, used):
        """`count unit [ago]` starting at token i, unit taking `used` tokens."""
        nonlocal i, rel_secs, rel_months
        kind_u, mult = _UNITS[unit]
        i += used
        sign = 1
        if peek()[1] == "ago":
            sign = -1
            i += 1
        if kind_u == "months":
            rel_months += sign * count * mult
        else:
            rel_secs += sign * count * mult
        st["rel"] += 1

    while i < len(toks):
        kind, val = toks[i]
        if kind == "num":
            n = int(val)
            signed = val[0] in "+-"
            # hh:mm[:ss] [am|pm] [zone]
            if not signed and peek(1)[0] == ":" and peek(2)[0] == "num":
                hour, minute = n, int(peek(2)[1])
                i += 3
                if peek()[0] == ":" and peek(1)[0] == "num":
                    sec = int(peek(1)[1])
                    i += 2
                if _meridian(peek()[1]):
                    hour = _to_24h(hour, _meridian(peek()[1]), text)
                    i += 1
                if peek()[0] == "num" and peek()[1][0] in "+-":
                    z = int(peek()[1])
                    zone = -((abs(z) // 100) * 60 + abs(z) % 100) * (1 if z < 0 else -1)
                    st["zone"] += 1
                    i += 1
                st["time"] += 1
                continue
            # h am|pm
            if not signed and _meridian(peek(1)[1]):
                hour, minute, sec = _to_24h(n, _meridian(peek(1)[1]), text), 0, 0
                st["time"] += 1
                i += 2
                continue
            # m/d[/y], y/m/d when the first number is 100 or more
            if not signed and peek(1)[0] == "/" and peek(2)[0] == "num":
                m, d = n, int(peek(2)[1])
                i += 3
                y = None
                if peek()[0] == "/" and peek(1)[0] == "num":
                    y = int(peek(1)[1])
                    i += 2
                    if n >= 100:
                        y, m, d = n, d, y
                set_date(y, m, d)
                continue
            # ISO 8601 y-m-d
            if not signed and peek(1)[0] == "num" and peek(1)[1][0] == "-" \
                    and peek(2)[0] == "num" and peek(2)[1][0] == "-":
                set_date(n, -int(peek(1)[1]), -int(peek(2)[1]))
                i += 3
                continue
            # d month [y], d-month-y
            if not signed and peek(1)[0] == "word" and _month(peek(1)[1]):
                m = _month(peek(1)[1])
                i += 2
                y = None
                if peek()[0] == "num" and peek()[1][0] in "+-":
                    y = -int(peek()[1])
                    i += 1
                elif peek()[0] == "num" and peek(1)[0] != ":":
                    y = int(peek()[1])
                    i += 1
                set_date(y, m, n)
                continue
            # N unit [ago]
            if peek(1)[0] == "word" and peek(1)[1].rstrip("s") in _UNITS:
                relative(peek(1)[1].rstrip("s"), n, 2)
                continue
            if signed:
                raise ValueError(text)
            # a bare number
            if st["time"] and st["date"] and not st["rel"]:
                year = n
            elif n > 10000:
                set_date(n // 10000, (n // 100) % 100, n % 100)
            else:
                st["time"] += 1
                if n < 100:
                    hour, minute = n, 0
                else:
                    hour, minute = n // 100, n % 100
                sec = 0
            i += 1
            continue
        if kind == "word":
            w = val
            m = _month(w)
            if m:
                # month d[, y]
                if peek(1)[0] == "num":
                    d = int(peek(1)[1])
                    i += 2
                    y = None
                    if peek()[0] == "," and peek(1)[0] == "num":
                        y = int(peek(1)[1])
                        i += 2
                    set_date(y, m, d)
                    continue
                raise ValueError(text)
            if w in ("now", "today"):
                st["rel"] += 1
                i += 1
                continue
            if w == "yesterday":
                rel_secs -= 86400
                st["rel"] += 1
                i += 1
                continue
            if w == "tomorrow":
                rel_secs += 86400
                st["rel"] += 1
                i += 1
                continue
            if w.rstrip("s") in _UNITS:
                relative(w.rstrip("s"), 1, 1)
                continue
            if w in _ZONES or w.replace(".", "") in _ZONES:
                zone = _ZONES[w.replace(".", "")]
                st["zone"] += 1
                i += 1
                if peek()[1] == "dst":
                    zone += 60
                    i += 1
                continue
            wd = _weekday(w)
            if wd is not None:
                weekday = wd
                st["day"] += 1
                i += 1
                if peek()[0] == ",":
                    i += 1
                continue
            raise ValueError(text)
        raise ValueError(text)

    if st["time"] > 1 or st["date"] > 1 or st["zone"] > 1 or st["day"] > 1:
        raise ValueError(text)
    try:
        return _convert(now, year, month, day, hour, minute, sec, zone, weekday,
                        rel_secs, rel_months, st, text)
    except (OverflowError, OSError):        # mktime/localtime out of range
        raise ValueError(text) from None


def _weekday(word):
    """0 (Sunday) .. 6 for a day name or an abbreviation of 3 letters or more."""
    for n, name in enumerate(_DAYS):
        if len(word) >= 3 and name.startswith(word):
            return n
    return None


def _convert(now, year, month, day, hour, minute, sec, zone, weekday, rel_secs, rel_months,
             st, text):
    lt = time.localtime(now)
    if st["date"] or st["time"] or st["day"]:
        if year is None:
            year = lt.tm_year
        if year < 0:
            year = -year
        if year < 69:
            year += 2000
        elif year < 100:
            year += 1900
        if month is None:
            month, day = lt.tm_mon, lt.tm_mday
        if not (_EPOCH <= year <= _LAST_YEAR and 1 <= month <= 12
                and 1 <= day <= calendar.monthrange(year, month)[1]
                and 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= sec <= 59):
            raise ValueError(text)
        if not st["time"]:
            hour = minute = sec = 0
        if zone is not None:
            t = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0)) - zone * 60
        else:
            t = time.mktime((year, month, day, hour, minute, sec, 0, 0, -1))
    elif st["rel"]:
        t = now
    else:                                  # nothing, or only a zone: today's midnight
        t = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))
    t += rel_secs
    if rel_months:
        tm = time.localtime(t)
        mo = tm.tm_mon - 1 + rel_months
        t = time.mktime((tm.tm_year + mo // 12, mo % 12 + 1, tm.tm_mday, tm.tm_hour,
                         tm.tm_min, tm.tm_sec, 0, 0, -1))
    if weekday is not None and not st["date"]:
        # the next such day, today included, at the same wall-clock time
        tm = time.localtime(t)
        ahead = (weekday - (tm.tm_wday + 1) % 7 + 7) % 7
        t = time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday + ahead, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, 0, 0, -1))
    time.localtime(t)                      # a time the C library can represent
    return int(t)
