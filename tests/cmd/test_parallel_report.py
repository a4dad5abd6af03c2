"""flow-report split (pyflowtools.parallel): every definition of the
conformance corpus's report cases (cfg/stat.cfg and cfg/stat-var.cfg with
their -v bindings), counted in tasks of whole files and of ranges of an
uncompressed one, merged in order, prints what the single run prints --
or, when its state cannot merge exactly (time series, linear
interpolation, pps/bps sums), is refused before any record is read.
Then the command itself: -j 2 and --dask on a real two-worker LocalCluster
equal -j 1 byte for byte (but the `# now:` line)."""
import io
import os
import re
import shlex

import pytest

import harness
from pyflowtools import parallel
from pyflowtools.core.errors import FlowToolsError
from pyflowtools.report import detect, flowreport, statcfg

CORPUS = harness.CORPUS_DIR
SAMPLE = os.path.join(harness.SAMPLES_DIR, "enterprise", "ft-v05.2004-08-16.090000+0000")


def _env(extra=None):
    return harness.case_env(extra=extra, bindir=harness.commands_dir())


def _cases():
    """(config, definition, variables) of every flow-report case reading
    a config of the corpus, once each."""
    out = []
    for line in (CORPUS / "cases.tsv").read_text().splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        cmd = line.split("\t")[1]
        if not cmd.startswith("flow-report ") or "$T" in cmd:
            continue
        words = shlex.split(cmd.split("<")[0].split("|")[0])
        cfg, name, vs = None, statcfg.DEFAULT_DEFINITION, []
        for i, w in enumerate(words):
            if w == "-s":
                cfg = words[i + 1]
            elif w == "-S":
                name = words[i + 1]
            elif w == "-v":
                vs.append(words[i + 1])
        if cfg and (cfg, name, tuple(vs)) not in out:
            out.append((cfg, name, tuple(vs)))
    return out


CASES = _cases()


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The sample as 5 compressed files and one uncompressed (cut into
    ranges), in one directory."""
    top = tmp_path_factory.mktemp("rtree")
    res = harness.run("flow-cat %s | flow-split -N 5000 -o %s/ft && "
                      "flow-cat -z 0 %s/ft.0 > %s/plain && rm %s/ft.0"
                      % (SAMPLE, top, top, top, top), env=_env())
    assert res.status == 0, res.stderr
    assert len(os.listdir(top)) >= 6
    return top


def _text(run):
    out = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    run.stdout = out
    run.finish()
    out.flush()
    return re.sub(rb"# now: [^\n]*\n", b"", out.buffer.getvalue())


def test_the_corpus_has_report_cases():
    assert len(CASES) > 60


@pytest.mark.parametrize("cfg_name, name, variables", CASES,
                         ids=["%s:%s:%d" % (c[4:], n, len(v)) for c, n, v in CASES])
def test_definition_in_tasks_equals_one_pass(tree, monkeypatch, cfg_name, name, variables):
    monkeypatch.chdir(CORPUS)               # the configs name cfg/... files
    inp = detect.Input([str(tree)], ipv6=True)
    try:
        cfg = statcfg.load(cfg_name, dict(statcfg.parse_binding(v) for v in variables))
        defn = cfg.definition(name)
        single = flowreport.task_run(cfg, name, inp.header)
    except FlowToolsError as e:
        pytest.skip("an error case of the corpus: %s" % e)     # not about splitting
    if any(o.path is not None for r in defn.reports if r.type for o in r.outputs):
        pytest.skip("writes files")
    for b in inp:
        single.add(b)
    why = flowreport.split_refusal(defn)
    if why:
        assert defn.time_series or "order" in why
        return
    rows = [parallel._piece(n, i.header) for n, i in zip(parallel._names(inp), inp.items)]
    rows = [(n, b, r) for n, b, r in rows]
    work = parallel.cut(rows, 5, min_range=300)
    assert any(stop is not None for t in work for _, _, stop in t.pieces)   # a range
    merged = flowreport.task_run(cfg, name, inp.header)
    for t in work:
        parts, _, messages = parallel.run_task(
            lambda: flowreport.task_run(cfg, name, inp.header), t)
        assert messages == []
        merged.merge(parts)
    want = _text(single)
    assert _text(merged) == want


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as lc:
        yield lc.scheduler_address


@pytest.mark.parametrize("name", ["sd-totals", "octets", "srcaddr-pmask", "five", "pair-ports",
                                  "sd-ps", "series", "linear"])
def test_command_split_equals_single(tree, cluster, name):
    argv = ["flow-report", "-s", "cfg/stat.cfg", "-S", name]
    single, *split = [harness.run(argv + extra + [str(tree)], env=_env(), cwd=CORPUS)
                      for extra in (["-j", "1"], ["-j", "2"], ["--dask", cluster])]
    assert single.status == 0 and single.stdout.count(b"\n") >= 4, single.stderr
    refused = name in ("sd-ps", "series", "linear")
    strip = re.compile(rb"# now: [^\n]*\n")
    for r in split:
        assert "Traceback" not in r.stderr.decode()
        if refused:
            assert (r.status, r.stdout) == (1, b"")
            lines = r.stderr.decode().splitlines()
            assert len(lines) == 1 and lines[0].startswith(
                "flow-report: cannot split the input (-j, --dask): ")
            continue
        assert strip.sub(b"", r.stdout) == strip.sub(b"", single.stdout)
        assert (r.stderr, r.status) == (single.stderr, single.status)


def test_stdin_is_read_as_before_and_operands_need_a_split():
    data = open(SAMPLE, "rb").read()
    res = harness.run(["flow-report", "-S", "default"], stdin=data, env=_env())
    assert res.status == 0 and res.stdout.count(b"\n") > 5
    res = harness.run(["flow-report", SAMPLE], env=_env())
    assert (res.status, res.stdout) == (1, b"")
    assert res.stderr.decode().splitlines() == [
        "flow-report: Extra arguments starting with %s." % SAMPLE]
    res = harness.run(["flow-report", "-j", "2"], stdin=data, env=_env())
    assert res.stderr.decode().splitlines() == [
        "flow-report: -j and --dask split files or directories, not stdin"]
