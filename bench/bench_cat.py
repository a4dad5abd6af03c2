"""flow-cat stages: plain and compressed streams, from a file and from stdin.

Each stage copies the whole input to /dev/null; `ref` is flow-tools 0.68's
wall time for 10 M records on this machine (file in the page cache)."""

STAGES = [
    dict(name="flow-cat file", shown="flow-cat plain.ft > /dev/null",
         cmds=[["flow-cat", "{plain}"]], input="plain", ref=0.18),
    dict(name="flow-cat stdin", shown="flow-cat < plain.ft > /dev/null",
         cmds=[["flow-cat"]], stdin="plain", input="plain", ref=0.23),
    dict(name="flow-cat z6 in", shown="flow-cat z6.ft > /dev/null",
         cmds=[["flow-cat", "{z6}"]], input="z6", ref=2.4),
    dict(name="flow-cat -z 6 out", shown="flow-cat -z 6 plain.ft > /dev/null",
         cmds=[["flow-cat", "-z", "6", "{plain}"]], input="plain", ref=26.0),
]
