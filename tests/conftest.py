"""Shared fixtures and settings for the pyflowtools test suite.

Fixtures:
    flow_bin      Path of the directory holding the flow-* commands under test
                  ($PYFLOWTOOLS_BIN, else the running interpreter's bin directory).
    corpus_dir    Path of tests/conformance (inputs/, acl/, cfg/, expected/).
    samples_dir   Path of samples/ (samples/enterprise/...).
    require       require("flow-cat", ...) skips the test unless every command exists.
    run_cmd       run_cmd(cmd, stdin=b"", env=None, cwd=None, timeout=20)
                  -> (status, stdout, stderr); see the fixture.
    ahead         (session, autouse) a harness.Ahead that runs the selected conformance
                  cases in the background from the start of the session, niced (idle
                  CPU only), $PYFLOWTOOLS_CONFORMANCE_JOBS at a time (default: the number
                  of CPUs; 0: each case runs in its own test).

Hypothesis: example counts come from these profiles only, never from per-test
@settings (STYLE.md "Testing"); every profile has no deadline and tolerates slow or
large draws (C round trips, generated streams):
    dev        the default: 25 examples, random
    ci         when $CI is set: 50 examples, derandomized (the same run every time)
    thorough   only when asked: 500 examples (HYPOTHESIS_PROFILE=thorough make test)
$HYPOTHESIS_PROFILE names the profile and wins over $CI.
"""
import os
import time

import pytest
from hypothesis import HealthCheck, settings

import harness

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=25, **_COMMON)
settings.register_profile("ci", max_examples=50, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))


def pytest_report_header(config):
    bindir = harness.commands_dir()
    found = sorted(p.name for p in bindir.glob("flow-*") if harness.is_implemented(p.name))
    return "flow-* commands from %s: %s" % (bindir, ", ".join(found) or "none yet")


@pytest.fixture(scope="session", autouse=True)
def ahead(request, tmp_path_factory):
    """Start the selected, runnable conformance cases in the background; each
    test_conformance item collects its own result (tests/test_conformance.py)."""
    jobs = int(os.environ.get("PYFLOWTOOLS_CONFORMANCE_JOBS") or os.cpu_count() or 1)
    pool = harness.Ahead(jobs)
    bindir = harness.commands_dir()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec else None
        if (case is None or item.get_closest_marker("conformance") is None
                or item.get_closest_marker("skip") is not None):
            continue
        pool.submit(case[0], harness.run_case, case[1],
                    tmp_path_factory.mktemp("case", numbered=True), bindir, 10)
    yield pool
    pool.close()


@pytest.fixture
def tz(monkeypatch):
    """tz("UTC"): the process' local zone (TZ, tzset) for this test only."""
    def set_tz(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()
    yield set_tz
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def flow_bin():
    return harness.commands_dir()


@pytest.fixture(scope="session")
def corpus_dir():
    return harness.CORPUS_DIR


@pytest.fixture(scope="session")
def samples_dir():
    return harness.SAMPLES_DIR


@pytest.fixture
def require(flow_bin):
    """require("flow-cat", "flow-print"): skip unless each command is installed."""
    def _require(*names):
        missing = [n for n in names if not harness.is_implemented(n, flow_bin)]
        if missing:
            pytest.skip("command not implemented: " + ", ".join(missing))
    return _require


@pytest.fixture
def run_cmd(flow_bin, tmp_path):
    """Run a command the way the conformance cases run.

        status, out, err = run_cmd(["flow-cat", path], stdin=data)
        status, out, err = run_cmd("flow-gen -V5 -n 3 | flow-print -f 5")

    cmd      an argv list (argv[0] found on PATH, the commands dir first) or a
             string run with `bash -c`.
    stdin    bytes fed to standard input; None (the default) means /dev/null.
    env      dict of variables added to the case environment (TZ=UTC, LC_ALL=C,
             LANG/LANGUAGE unset, PATH with the commands dir first, T = a fresh
             empty scratch dir); a value of None removes the variable.
    cwd      working directory, default the test's tmp_path.
    timeout  seconds (default 20); on expiry the whole process group is killed and
             status is 124.
    Returns a tuple (status, stdout bytes, stderr bytes), also available as
    .status/.stdout/.stderr; a command killed by signal N gives 128+N.
    """
    def _run(cmd, stdin=None, env=None, cwd=None, timeout=harness.CASE_TIMEOUT):
        scratch = tmp_path / "T"
        scratch.mkdir(exist_ok=True)
        full_env = harness.case_env(scratch=scratch, extra=env, bindir=flow_bin)
        return harness.run(cmd, stdin=stdin, env=full_env,
                           cwd=tmp_path if cwd is None else cwd, timeout=timeout)
    return _run
