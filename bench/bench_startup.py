"""Start-up: a whole command run on an empty stream (header only), next to
`python3 -c pass` (the interpreter alone).  Best and median of RUNS runs,
interleaved; the target (30 ms) is held against the median."""

RUNS = 20
TARGET_SECONDS = 0.030
STAGE = dict(name="start-up flow-cat", shown="flow-cat < empty.ft > /dev/null",
             cmds=[["flow-cat"]], stdin="empty")
BASELINE = dict(name="python3 -c pass", shown="python3 -c pass",
                cmds=[["python3", "-c", "pass"]])
