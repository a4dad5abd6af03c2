"""Plain-Python NetFlow v9 and IPFIX datagram building for the collector
tests: templates, options templates and data sets, field by field (RFC
3954, RFC 7011), independent of csrc."""
import struct


def field_spec(fields):
    """[(ie, length)] -> template field specifiers (enterprise bit unset)."""
    return b"".join(struct.pack("!HH", ie, ln) for ie, ln in fields)


def value(v, length):
    if isinstance(v, bytes):
        return v
    return v.to_bytes(length, "big")


def record(fields, values):
    return b"".join(value(v, ln) for (ie, ln), v in zip(fields, values))


def pad4(b):
    return b + bytes(-len(b) % 4)


def ipfix_template_set(tid, fields):
    body = struct.pack("!HH", tid, len(fields)) + field_spec(fields)
    return struct.pack("!HH", 2, 4 + len(body)) + body


def ipfix_options_set(tid, scope, fields):
    body = (struct.pack("!HHH", tid, len(scope) + len(fields), len(scope))
            + field_spec(scope) + field_spec(fields))
    body = pad4(body)
    return struct.pack("!HH", 3, 4 + len(body)) + body


def data_set(tid, fields, rows):
    body = b"".join(record(fields, r) for r in rows)
    return struct.pack("!HH", tid, 4 + len(body)) + body


def ipfix(sets, export_secs, seq=0, domain=0):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), export_secs, seq, domain) + body


def v9_template_set(tid, fields):
    body = struct.pack("!HH", tid, len(fields)) + field_spec(fields)
    return struct.pack("!HH", 0, 4 + len(body)) + body


def v9(sets, count, uptime, secs, seq=0, source_id=0):
    return struct.pack("!HHIIII", 9, count, uptime, secs, seq, source_id) + b"".join(sets)


#: a v5-like IPFIX template with absolute millisecond times
FIELDS_MS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (5, 1), (2, 4), (1, 4),
             (10, 2), (14, 2), (152, 8), (153, 8)]


def ms_row(i, t0_ms):
    """A flow of FIELDS_MS: 10.0.<i>.1 -> 192.0.2.<i%250>, distinct ports."""
    return [0x0A000001 | (i & 0xFF) << 8, 0xC0000200 | (i % 250), 1024 + i, 80, 6, 0x1B,
            0, 3 + i % 7, 120 + i, 1 + i % 3, 2, t0_ms + 10 * i, t0_ms + 10 * i + 500]
