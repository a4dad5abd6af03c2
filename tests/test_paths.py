"""util.paths: the one lookup of configuration and symbol files -- the
site's <sysconfdir>/cfg and /sym (PYFLOWTOOLS_SYSCONFDIR, /usr/local/etc,
/etc/flow-tools) before the package's data folder."""
import os
import subprocess

import pytest

import oracle
from pyflowtools.filters import nfilter
from pyflowtools.report import symbols
from pyflowtools.util import paths


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An empty sysconfdir named by the environment variable."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "sym").mkdir()
    monkeypatch.setenv(paths.ENV, str(tmp_path))
    return tmp_path


def test_search_order(site, monkeypatch):
    assert paths.sysconfdirs() == (str(site), "/usr/local/etc", "/etc/flow-tools")
    monkeypatch.delenv(paths.ENV)
    assert paths.sysconfdirs() == ("/usr/local/etc", "/etc/flow-tools")


def test_site_file_wins_over_the_shipped_one(site):
    assert paths.site_file(paths.SYM, "tcp-port.sym") == paths.shipped("tcp-port.sym")
    (site / "sym" / "tcp-port.sym").write_text("80 web\n")
    assert paths.site_file(paths.SYM, "tcp-port.sym") == str(site / "sym" / "tcp-port.sym")
    assert symbols.load(symbols.PORT).name(80) == "web"
    # a cfg file does not stand for a sym file of the same name
    assert paths.site_file(paths.CFG, "tcp-port.sym") == paths.shipped("tcp-port.sym")


def test_resolve_bare_names(site, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert paths.resolve("iana-reserved.acl") == paths.shipped("iana-reserved.acl")
    (site / "cfg" / "iana-reserved.acl").write_text("ip access-list standard x permit any\n")
    assert paths.resolve("iana-reserved.acl") == str(site / "cfg" / "iana-reserved.acl")
    (work / "iana-reserved.acl").write_text("")
    assert paths.resolve("iana-reserved.acl") == "iana-reserved.acl"     # the current directory first
    assert paths.resolve("./nope.acl") == "./nope.acl"                    # a path is taken as given
    assert paths.resolve("nope.acl") == "nope.acl"                        # nothing found: as given


def test_nfilter_reads_the_site_filter_cfg(site):
    assert nfilter.load().definition("syn-only") is not None               # the shipped one
    (site / "cfg" / "filter.cfg").write_text(
        "filter-primitive p80\n  type ip-port\n  permit 80\n"
        "filter-definition web\n  match ip-destination-port p80\n")
    cfg = nfilter.load()
    assert cfg.definition("web") is not None
    with pytest.raises(nfilter.UnknownDefinition, match="cfg/filter.cfg"):
        cfg.definition("syn-only")


def test_commands_use_the_site_files(site, tmp_path):
    """flow-print -n names ports from the site's tcp-port.sym; flow-nfilter
    without -f reads the site's filter.cfg."""
    (site / "sym" / "tcp-port.sym").write_text("80 sweb\n")
    (site / "cfg" / "filter.cfg").write_text(
        "filter-primitive p80\n  type ip-port\n  permit 80\n"
        "filter-definition web\n  match ip-destination-port p80\n")
    data = oracle.v5_stream([oracle.record(dstport=80, prot=6),
                             oracle.record(dstport=81, prot=6)])
    env = dict(os.environ, TZ="UTC")
    out = subprocess.run(["flow-print", "-n", "-f", "3"], input=data, env=env,
                         capture_output=True, check=True).stdout.decode()
    assert "sweb" in out and "http" not in out
    r = subprocess.run(["flow-nfilter", "-F", "web"], input=data, env=env, capture_output=True)
    assert r.returncode == 0, r.stderr
    printed = subprocess.run(["flow-print", "-f", "5"], input=r.stdout, env=env,
                             capture_output=True, check=True).stdout.decode().splitlines()
    assert len([ln for ln in printed if ln and not ln.startswith(("Start", "#"))]) == 1
