"""flow-filter stages over the flow-gen file (all UDP, sequential source
addresses from 0.0.0.0, destination ports from 65280).

`ref` is not a flow-tools measurement: it is the issue's target of 60 M
records/s for a port list (10 M records in 0.167 s) and 30 M records/s for a
50-line access list (bench/acl/bench.acl, 0.333 s)."""
import os

ACL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "acl", "bench.acl")
PORTS = 10000000 / 60e6
ACLS = 10000000 / 30e6
NOTE_PORTS = "the 60 M records/s target, not a flow-tools measurement"
NOTE_ACLS = "the 30 M records/s target, not a flow-tools measurement"


def _stage(name, args, ref, note):
    return dict(name="flow-filter " + name,
                shown="flow-filter %s < plain.ft > /dev/null" % " ".join(args),
                cmds=[["flow-filter"] + args], stdin="plain", input="plain",
                ref=ref, ref_note=note)


STAGES = [
    _stage("-P 80", ["-P", "80"], PORTS, NOTE_PORTS),
    _stage("worm ports", ["-P", "135,139,445,1025,1433,1434,4444,5554,9996"], PORTS, NOTE_PORTS),
    _stage("-r 6 -T 0x2/0x3f", ["-r", "6", "-T", "0x2/0x3f"], PORTS, NOTE_PORTS),
    _stage("-S iana_reserved", ["-f", "iana-reserved.acl", "-S", "iana_reserved"], ACLS, NOTE_ACLS),
    _stage("-S std50", ["-f", ACL, "-S", "std50"], ACLS, NOTE_ACLS),
    _stage("-E ext50", ["-f", ACL, "-E", "ext50"], ACLS, NOTE_ACLS),
]
