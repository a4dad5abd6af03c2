"""flow-nfilter stages over the flow-gen file (all UDP, TCP flags 0).

`ref` here is not a reference measurement: it is the issue's target of
60 M records/s for the syn-only definition (10 M records in 0.167 s),
used for the other stages too."""

TARGET = 10000000 / 60e6
NOTE = "the 60 M records/s target, not a flow-tools measurement"

STAGES = [
    dict(name="flow-nfilter syn-only", shown="flow-nfilter -F syn-only < plain.ft > /dev/null",
         cmds=[["flow-nfilter", "-F", "syn-only"]], stdin="plain", input="plain",
         ref=TARGET, ref_note=NOTE),
    dict(name="flow-nfilter default", shown="flow-nfilter < plain.ft > /dev/null (all kept)",
         cmds=[["flow-nfilter"]], stdin="plain", input="plain", ref=TARGET, ref_note=NOTE),
    dict(name="flow-nfilter worm-ports",
         shown="flow-nfilter -F worm-ports < plain.ft > /dev/null",
         cmds=[["flow-nfilter", "-F", "worm-ports"]], stdin="plain", input="plain",
         ref=TARGET, ref_note=NOTE),
    dict(name="flow-nfilter reserved-src",
         shown="flow-nfilter -F reserved-src < plain.ft > /dev/null",
         cmds=[["flow-nfilter", "-F", "reserved-src"]], stdin="plain", input="plain",
         ref=TARGET, ref_note=NOTE),
]
