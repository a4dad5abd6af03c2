"""Man pages: one per command, lint-clean, the house sections, options that
match each command's parser both ways, and installed by setup.py.

Data-driven: every `bin/flow-*` script and every `man/*.[157]` page found at
collection time is checked, so a new command or page is covered without
editing this file.
"""
import ast
import glob
import importlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import harness

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "bin"
MAN = REPO / "man"

COMMANDS = sorted(p.name for p in BIN.glob("flow-*") if p.is_file())
PAGES = sorted(p.name for p in MAN.glob("*.[157]"))
SECTION1_PAGES = [p for p in PAGES if p.endswith(".1")]

REQUIRED_SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                     "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO", "COMPATIBILITY")

# options the parser has but pages need not list as their own entry
PARSER_ALIASES = {"-?"}          # alias of -h (cli.parser)

_SH = re.compile(r'^\.SH\s+(.*?)\s*$')
# an option in a .TP tag line: `\-f` standing alone (not `\-\-`, not `\-ag`)
_TAG_OPTION = re.compile(r'(?:^|[\s"])\\-([A-Za-z0-9?])(?=[\s"\\]|$)')


# ---------------------------------------------------------------- helpers
# a long option of ours in a .TP tag line: `\-\-dask`
_TAG_LONG = re.compile(r'\\-\\-([a-z][a-z-]*)')


def read_page(name):
    return (MAN / name).read_text(encoding="utf-8")


def sections(text):
    """[(section title, [lines])] in page order."""
    out = []
    for line in text.splitlines():
        m = _SH.match(line)
        if m:
            out.append((m.group(1).strip('"'), []))
        elif out:
            out[-1][1].append(line)
    return out


def section(text, title):
    for name, lines in sections(text):
        if name == title:
            return lines
    return None


def documented_options(text):
    """Options named in the tags of the OPTIONS section's .TP (and .TQ)
    entries: `.B \\-h`, `.BI \\-f " format"`, `.BI \\-b " big\\fR|\\fPlittle"`."""
    lines = section(text, "OPTIONS")
    if lines is None:
        return set()
    found = set()
    want_tag = False
    for line in lines:
        if line.startswith(('.\\"', "'\\\"")):
            continue                                   # comment line
        if re.match(r'^\.(TP|TQ)\b', line):
            want_tag = True
            continue
        if want_tag:
            want_tag = False
            found.update("-" + m.group(1) for m in _TAG_OPTION.finditer(line))
            found.update("--" + m.group(1) for m in _TAG_LONG.finditer(line))
    return found


def load_command(name):
    """The command's module (pyflowtools.commands.flow_x; main() not run)."""
    return importlib.import_module("pyflowtools.commands." + name.replace("-", "_"))


def parser_options(name):
    module = load_command(name)
    assert hasattr(module, "build_parser"), \
        "pyflowtools.commands for %s has no build_parser(); the man page test needs it" % name
    parser = module.build_parser()
    opts = set()
    for action in parser._actions:
        opts.update(o for o in action.option_strings if o not in PARSER_ALIASES)
    return opts


def lint_command():
    if shutil.which("groff"):
        return lambda page: ["groff", "-t", "-man", "-ww", "-z", page]
    if shutil.which("mandoc"):
        return lambda page: ["mandoc", "-T", "lint", "-W", "warning", page]
    return None


# ---------------------------------------------------------------- tests
def test_pages_and_commands_found():
    assert COMMANDS, "no bin/flow-* command found in %s" % BIN
    assert PAGES, "no man page found in %s" % MAN


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_page(command):
    page = MAN / (command + ".1")
    assert page.is_file(), "bin/%s has no man page: write man/%s.1" % (command, command)


@pytest.mark.parametrize("page", PAGES)
def test_page_lints_clean(page):
    cmd = lint_command()
    if cmd is None:
        pytest.skip("neither groff nor mandoc is installed: cannot lint man pages "
                    "(apt-get install groff)")
    res = subprocess.run(cmd(str(MAN / page)), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True,
                         env=harness.peer_env())
    messages = (res.stdout + res.stderr).strip()
    assert res.returncode == 0 and not messages, \
        "man/%s does not lint clean (%s):\n%s" % (page, " ".join(cmd(page)), messages)


@pytest.mark.parametrize("page", PAGES)
def test_page_title_matches_file(page):
    stem, sect = page.rsplit(".", 1)
    th = re.search(r'^\.TH\s+(\S+)\s+(\S+)', read_page(page), re.M)
    assert th, "man/%s has no .TH line" % page
    title = th.group(1).strip('"').replace("\\-", "-")
    assert title.lower() == stem.lower(), \
        ".TH of man/%s names %r, expected %r" % (page, title, stem.upper())
    assert th.group(2).strip('"') == sect, \
        ".TH of man/%s gives section %s, the file name says %s" % (page, th.group(2), sect)


@pytest.mark.parametrize("page", SECTION1_PAGES)
def test_page_has_required_sections(page):
    titles = [name for name, _ in sections(read_page(page))]
    missing = [s for s in REQUIRED_SECTIONS if s not in titles]
    assert not missing, "man/%s lacks section(s): %s" % (page, ", ".join(missing))
    order = [t for t in titles if t in REQUIRED_SECTIONS]
    assert order == [s for s in REQUIRED_SECTIONS if s in order], \
        "man/%s: sections out of the house order %s: %s" % (page, REQUIRED_SECTIONS, order)


@pytest.mark.parametrize("page", SECTION1_PAGES)
def test_name_line_is_whatis_style(page):
    lines = [ln for ln in section(read_page(page), "NAME") or [] if not ln.startswith(".")]
    stem = page.rsplit(".", 1)[0]
    assert lines, "man/%s: empty NAME section" % page
    name, sep, desc = lines[0].partition(" \\- ")
    assert sep and desc.strip(), \
        "man/%s: NAME must read `%s \\- description`, got %r" % (page, stem.replace("-", "\\-"), lines[0])
    assert stem in name.replace("\\-", "-").split(", "), \
        "man/%s: NAME line does not name %s: %r" % (page, stem, lines[0])


@pytest.mark.parametrize("command", COMMANDS)
def test_options_match_parser(command):
    page = MAN / (command + ".1")
    if not page.is_file():
        pytest.fail("bin/%s has no man page man/%s.1" % (command, command))
    text = read_page(page.name)
    in_parser = parser_options(command)
    in_page = documented_options(text)
    undocumented = sorted(in_parser - in_page)
    unknown = sorted(in_page - in_parser)
    assert not undocumented and not unknown, (
        "man/%s.1 OPTIONS and bin/%s build_parser() differ:\n"
        "  in the parser, missing from the page: %s\n"
        "  in the page, unknown to the parser:  %s\n"
        "(the page's options are read from the .TP tag lines of its OPTIONS section)"
        % (command, command, " ".join(undocumented) or "-", " ".join(unknown) or "-"))


@pytest.mark.parametrize("command", COMMANDS)
def test_synopsis_mentions_every_option(command):
    page = MAN / (command + ".1")
    if not page.is_file():
        pytest.fail("bin/%s has no man page man/%s.1" % (command, command))
    synopsis = "\n".join(section(read_page(page.name), "SYNOPSIS") or [])
    letters = set("".join(re.findall(r'\\-([A-Za-z0-9?]+)', synopsis)))
    missing = sorted(o for o in parser_options(command)
                     if (o.replace("-", "\\-") not in synopsis if o.startswith("--")
                         else o[1:] not in letters))
    assert not missing, "man/%s.1 SYNOPSIS does not show %s" % (command, " ".join(missing))


def test_documented_options_parsing_itself():
    """The tag reader must see exactly the option entries (guards the
    options test against passing vacuously)."""
    text = "\n".join([
        ".SH OPTIONS", "Intro mentioning \\-x in prose.",
        ".TP", ".B \\-a", "text", ".TP", '.BI \\-b " big\\fR|\\fPlittle"', "text",
        ".TP", '.BI \\-f " format"', "text with \\-q inside", ".TP 8", ".B \\-?", "x",
        ".SH EXIT STATUS", ".TP", ".B \\-z", "not an option entry"])
    assert documented_options(text) == {"-a", "-b", "-f", "-?"}


def test_setup_installs_man_pages(monkeypatch):
    """setup.py's data_files put every man/*.1 page in share/man/man1 (and
    *.5 in man5, *.7 in man7)."""
    tree = ast.parse((REPO / "setup.py").read_text(encoding="utf-8"))
    data_files = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup":
            for kw in node.keywords:
                if kw.arg == "data_files":
                    data_files = kw.value
    assert data_files is not None, "setup.py's setup() has no data_files"
    monkeypatch.chdir(REPO)
    value = eval(compile(ast.Expression(data_files), "setup.py", "eval"),
                 {"glob": glob, "sorted": sorted, "os": os})
    installed = {}
    for target, files in value:
        for f in files:
            installed[os.path.normpath(f)] = target
    for page in PAGES:
        want = "share/man/man" + page.rsplit(".", 1)[1]
        got = installed.get(os.path.join("man", page))
        assert got == want, \
            "setup.py data_files install man/%s into %r, expected %r" % (page, got, want)


def test_readme_tour_commands_have_pages():
    readme = REPO / "README.md"
    if not readme.is_file():
        pytest.skip("no README.md")
    text = readme.read_text(encoding="utf-8")
    m = re.search(r'^##\s+One-minute tour\s*$(.*?)^##\s', text, re.M | re.S)
    if not m:
        pytest.skip("README.md has no `## One-minute tour` section")
    blocks = re.findall(r'```(?:sh|shell|console|bash)?\n(.*?)```', m.group(1), re.S)
    commands = set(re.findall(r'\b(flow-[a-z0-9-]+)\b', "".join(blocks)))
    assert commands, "the README tour shows no flow-* command"
    missing = sorted(c for c in commands if not (MAN / (c + ".1")).is_file())
    assert not missing, "README tour uses commands without a man page: %s" % ", ".join(missing)
