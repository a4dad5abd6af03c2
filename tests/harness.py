"""Running the installed flow-* commands from tests (shared by conftest.py and
test_conformance.py; nothing here imports pyflowtools).

The commands under test are the executables in commands_dir(): $PYFLOWTOOLS_BIN when
set, else the directory of the interpreter running pytest (the virtualenv's bin, where
`pip install` puts the flow-* scripts).
"""
import difflib
import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
CORPUS_DIR = TESTS_DIR / "conformance"
SAMPLES_DIR = TESTS_DIR.parent / "samples"
CASE_TIMEOUT = 20

# `make asan` preloads the ASan runtime into every process the suite starts (the
# interpreter must load it before the sanitized C core).  Under it everything is
# several times slower, so every ceiling on a wait for a process (run()'s timeout,
# the collectors' readiness and log waits) is multiplied by SLOW: 6 when sanitized,
# 1 otherwise, or $PYFLOWTOOLS_TEST_SLOW (say 3 on a loaded machine).  Waits end on
# their event; SLOW only moves the point where a test gives up.
SANITIZED = "libclang_rt.asan" in os.environ.get("LD_PRELOAD", "")
SLOW = float(os.environ.get("PYFLOWTOOLS_TEST_SLOW") or (6 if SANITIZED else 1))


def ceiling(seconds):
    """A wait's ceiling in seconds, scaled by SLOW."""
    return seconds * SLOW


#: run_cmd(env=UNSANITIZED): the commands without the sanitizers under `make asan`
#: (the installed core, no preloaded runtime), for a test that limits the address
#: space (`ulimit -v`: ASan's shadow memory alone reserves terabytes); empty otherwise
UNSANITIZED = dict.fromkeys(("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "PYTHONPATH")
                            ) if SANITIZED else {}


def peer_env(env=None):
    """`env` (default os.environ) for a program that is not ours (database servers,
    nfcapd, nfdump, softflowd, pmacctd, rrdtool, chromium): without the sanitizer
    runtime and options, which such programs were not built for (postgres hangs
    with ASan preloaded)."""
    env = dict(os.environ if env is None else env)
    for name in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(name, None)
    return env

COMMAND_WORD = re.compile(r"flow-[a-z]+")


def commands_dir():
    """Directory holding the flow-* commands under test."""
    override = os.environ.get("PYFLOWTOOLS_BIN")
    if override:
        return Path(override).expanduser().absolute()
    return Path(os.path.dirname(sys.executable))


def is_implemented(name, bindir=None):
    """True when an executable regular file `name` exists in the commands dir."""
    path = (bindir or commands_dir()) / name
    return path.is_file() and os.access(path, os.X_OK)


def command_words(cmdline):
    """The distinct flow-* command words of a shell command line, in order."""
    return list(dict.fromkeys(COMMAND_WORD.findall(cmdline)))


def missing_commands(cmdline, bindir=None):
    return [w for w in command_words(cmdline) if not is_implemented(w, bindir)]


def case_env(scratch=None, extra=None, bindir=None):
    """The environment every case runs with: the caller's, plus TZ=UTC, LC_ALL=C,
    LANG/LANGUAGE unset, the commands dir first on PATH and T=scratch.
    `extra` overrides; a value of None removes the variable."""
    env = dict(os.environ)
    env["TZ"] = "UTC"
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    env.pop("LANGUAGE", None)
    bindir = str(bindir or commands_dir())
    env["PATH"] = bindir + os.pathsep + env.get("PATH", os.defpath)
    if scratch is not None:
        env["T"] = str(scratch)
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


class Result(tuple):
    """(status, stdout, stderr); also .status, .stdout, .stderr, .timed_out."""

    def __new__(cls, status, stdout, stderr, timed_out=False):
        self = super().__new__(cls, (status, stdout, stderr))
        self.timed_out = timed_out
        return self

    status = property(lambda self: self[0])
    stdout = property(lambda self: self[1])
    stderr = property(lambda self: self[2])


def run(cmd, stdin=None, env=None, cwd=None, timeout=CASE_TIMEOUT):
    """Run `cmd` and return Result(status, stdout, stderr).

    cmd: a string (run as `bash -c cmd`) or an argv list (argv[0] looked up on the
    PATH of env).  stdin: bytes, or None for /dev/null.  env: a full environment
    (default case_env()).  The command runs in its own process group, killed as a
    whole on timeout (status 124, as coreutils timeout reports), the timeout
    scaled by SLOW.  A command killed
    by signal N reports 128+N, as a shell does."""
    if isinstance(cmd, str):
        argv = ["bash", "-c", cmd]
    else:
        argv = [os.fspath(a) for a in cmd]
    if env is None:
        env = case_env()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(stdin, timeout=ceiling(timeout))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        return Result(124, out, err, timed_out=True)
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        _kill_group(proc)  # leftovers of a pipeline whose last command ended
    status = proc.returncode
    if status < 0:
        status = 128 - status
    return Result(status, out, err)


def run_case(cmd, scratch, bindir=None, nice=0):
    """Run one conformance case as tests/conformance/run does: `bash -c cmd` from the
    corpus folder, stdin /dev/null, case_env() with $T = scratch, CASE_TIMEOUT.
    nice > 0 runs it at that lower priority (`nice -n`: same output and status)."""
    env = case_env(scratch=scratch, bindir=bindir)
    argv = ["nice", "-n", str(nice), "bash", "-c", cmd] if nice else cmd
    return run(argv, env=env, cwd=CORPUS_DIR, timeout=CASE_TIMEOUT)


class Ahead:
    """Runs slow, independent work (the conformance cases) `jobs` at a time in the
    background, so that it fills the time the other tests spend waiting on sockets
    and timers; submit() it niced so that it takes only idle CPU.  The test that
    checks a result collects it with result(): the background result when that work
    has started, else (not started yet, jobs=0, never submitted) the work run now in
    the foreground by `fn`."""

    def __init__(self, jobs):
        self._pool = ThreadPoolExecutor(jobs, "ahead") if jobs > 0 else None
        self._futures = {}

    def submit(self, key, fn, *args):
        if self._pool is not None:
            self._futures[key] = self._pool.submit(fn, *args)

    def result(self, key, fn, *args):
        future = self._futures.pop(key, None)
        if future is None or future.cancel():
            return fn(*args)
        return future.result()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def describe_difference(expected, actual, max_lines=12):
    """A short text diff, or the first differing byte offset for binary data."""
    if b"\0" in expected or b"\0" in actual:
        n = min(len(expected), len(actual))
        at = next((i for i in range(n) if expected[i] != actual[i]), n)
        exp_b = "%02x" % expected[at] if at < len(expected) else "EOF"
        act_b = "%02x" % actual[at] if at < len(actual) else "EOF"
        return ("    binary output differs at byte %d (expected %s, got %s); "
                "expected %d bytes, got %d" % (at, exp_b, act_b, len(expected), len(actual)))
    lines = list(difflib.unified_diff(
        expected.decode("latin-1").splitlines(keepends=True),
        actual.decode("latin-1").splitlines(keepends=True),
        "expected", "actual", n=1))
    shown = [line if line.endswith("\n") else line + "\n\\ no newline at end\n"
             for line in lines[2:2 + max_lines]]
    more = len(lines) - 2 - len(shown)
    text = "".join("    " + line for line in shown)
    if more > 0:
        text += "    ... (%d more diff lines)\n" % more
    return text.rstrip("\n")


def remove_chain(top, name):
    """Remove top/name/name/... level by level through directory fds:
    pytest's own cleanup (shutil.rmtree, one recursion a level) fails on
    a tree this deep and then fails every later session's cleanup."""
    fds = [os.open(top, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        while True:
            try:
                fds.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
            except FileNotFoundError:
                break
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir(name, dir_fd=fds[-1])
    finally:
        for fd in fds:
            os.close(fd)
