"""The flow-tools 0.68 conformance corpus (tests/conformance/cases.tsv), one test per case.

Each case runs exactly as tests/conformance/run runs it: `bash -c CMD` from inside the
corpus folder, stdin /dev/null, TZ=UTC, LC_ALL=C, LANG/LANGUAGE unset, $T a fresh empty
scratch folder, the commands dir first on PATH, a 20 s limit; stdout must equal the
expected bytes and the exit status the recorded one.  stderr is not compared.

A case whose flow-* commands are not all installed in the commands dir is skipped
("command not implemented: flow-xxx") and becomes live as soon as they appear.
Select cases by id: `pytest tests/test_conformance.py -k cat-`.

The cases are independent processes: from the start of the session the selected ones
run in the background, niced, CPU-count at a time (the `ahead` fixture of conftest.py;
PYFLOWTOOLS_CONFORMANCE_JOBS=0 runs each in its own test), in the time the other tests
spend waiting on sockets; a case not started by the time its test comes runs in the
test.  Each test checks its own case.
"""
import pytest

import harness

CASES_FILE = harness.CORPUS_DIR / "cases.tsv"


def load_cases(path=CASES_FILE):
    """[(id, command, expected path, status)] from a cases.tsv file."""
    cases = []
    with open(path, encoding="utf-8", newline="\n") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line or line.startswith("#"):
                continue
            parts = [p for p in line.split("\t") if p != ""]
            if len(parts) < 4:
                raise ValueError("%s:%d: expected 4 tab-separated fields" % (path, lineno))
            case_id, cmd, expected, status = parts[:4]
            cases.append((case_id, cmd, expected, int(status)))
    return cases


CASES = load_cases()
_BIN = harness.commands_dir()
#: cases whose reference answer a deliberate extension of ours replaces (each
#: says where the behaviour is tested instead); the recorded outputs stay as they are
SUPERSEDED = {
    "export-bad-format": "issue 14: flow-export -f 6 is Parquet (ours); 'No such format' "
                         "is checked with -f 7 in tests/cmd/test_flow_export.py",
}

def _params():
    params = []
    for case in CASES:
        missing = harness.missing_commands(case[1], _BIN)
        marks = [pytest.mark.conformance]
        if missing:
            marks.append(pytest.mark.skip(
                reason="command not implemented: " + ", ".join(missing)))
        elif case[0] in SUPERSEDED:
            marks.append(pytest.mark.skip(reason="superseded: " + SUPERSEDED[case[0]]))
        params.append(pytest.param(case, id=case[0], marks=marks))
    return params


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) > 0


@pytest.mark.parametrize("case", _params())
def test_conformance(case, tmp_path, ahead):
    case_id, cmd, expected_path, expected_status = case
    expected_file = harness.CORPUS_DIR / expected_path
    assert expected_file.is_file(), "expected output file %s is missing" % expected_path
    expected = expected_file.read_bytes()

    result = ahead.result(case_id, harness.run_case, cmd, tmp_path, _BIN)

    problems = []
    if result.timed_out:
        problems.append("timed out after %ds" % harness.ceiling(harness.CASE_TIMEOUT))
    elif result.status != expected_status:
        problems.append("exit status %d, expected %d" % (result.status, expected_status))
    if result.stdout != expected:
        problems.append("stdout differs")
    if problems:
        msg = ["%s: %s" % (case_id, "; ".join(problems)), "  command: " + cmd]
        if result.stdout != expected:
            msg.append(harness.describe_difference(expected, result.stdout))
        err = result.stderr.decode("latin-1").strip().splitlines()
        if err:
            msg.append("  stderr: " + "\n          ".join(err[:5]))
        pytest.fail("\n".join(msg), pytrace=False)
