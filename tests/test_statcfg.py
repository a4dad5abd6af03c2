"""The stat.cfg language (pyflowtools/report/statcfg.py): every documented
error with its line, the parser-state quirks, variables, defaults."""
import pathlib

import pytest

from pyflowtools.report import statcfg

CORPUS = pathlib.Path(__file__).parent / "conformance"
VAR_CFG = (CORPUS / "cfg" / "stat-var.cfg").read_text()


def load_var(**variables):
    """cfg/stat-var.cfg (lines set by -v) read from the corpus folder."""
    import os
    cwd = os.getcwd()
    os.chdir(CORPUS)
    try:
        return statcfg.parse(VAR_CFG, "cfg/stat-var.cfg", variables)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("variables,line,message", [
    ({"OUT": "sort flows"}, 13, "Expecting + or -."),
    ({"OUT": "sort +bogus"}, 13, "Unrecognized field."),
    ({"OUT": "sort +count"}, 13, 'field "count" selected not available for report.'),
    ({"OUT": "fields +bogus"}, 13, "Unrecognized field."),
    ({"OUT": "fields flows"}, 13, "Expecting +field or -field."),
    ({"OUT": "fields"}, 13, "Expecting display fields."),
    ({"OUT": "options +bogus"}, 13, "Unrecognized option."),
    ({"TYPE": "summary-counters", "OUT": "options +names"}, 13,
     "option selected not available for report."),
    ({"OUT": "format html"}, 13, "Unrecognized format."),
    ({"OUT": "records"}, 13, "Expecting num records."),
    ({"OUT": "time later"}, 13, "Invalid time specifier."),
    ({"TYPE": "ip-protocl"}, 10, "Unrecognized type."),
    ({"RPT": "type ip-tos"}, 11, "Type previously defined."),
    ({"RPT": "filter no-such"}, 11, "Filter definition not found."),
    ({"RPT": "ip-source-address-format cidr"}, 11, "Invalid address format."),
    ({"DEF": "report r"}, 19, "Duplicate report in definition."),
    ({"DEF": "filter no-such"}, 19, "Filter definition not found."),
    ({"TOP": "stat-definition d"}, 17, "Name (d) previously defined."),
    ({"TOP": "bogus"}, 7, 'Unexpected "bogus".'),
    ({"OUT": "sort +flows extra"}, 13, 'Unexpected "extra".'),
    ({"TOP": "stat-report"}, 7, "Expecting name."),
    ({"TOP": "include-filter x"}, 7, "Filter pathname previously specified."),
    ({"FILTERS": "cfg/missing.cfg", "DEF": "filter udp"}, 19, "Filters not loaded."),
    ({"FILTERS": "cfg/bad.cfg", "DEF": "filter udp"}, 19, "Filters not loaded."),
    ({"TOP": "sort +flows"}, 7, "Not in report output."),
])
def test_errors_name_file_and_line(variables, line, message):
    with pytest.raises(statcfg.ConfigError) as e:
        load_var(**variables)
    assert str(e.value) == "cfg/stat-var.cfg line %d: %s" % (line, message)


def test_unresolved_report_has_no_line():
    with pytest.raises(statcfg.ConfigError) as e:
        load_var(DEF="report no-such")
    assert str(e.value).split("\n") == [
        'Unable to resolve report "no-such" in stat-definition "d".', "resolve_reports(): failed"]


def test_broken_variable_is_an_unknown_type():
    with pytest.raises(statcfg.ConfigError) as e:
        statcfg.load(str(CORPUS / "cfg" / "stat-broken.cfg"))
    assert str(e.value).endswith("stat-broken.cfg line 4: Unrecognized type.")


def test_missing_file():
    with pytest.raises(statcfg.ConfigError) as e:
        statcfg.load("/nonexistent/stat.cfg")
    assert str(e.value) == "open(/nonexistent/stat.cfg): No such file or directory"


def test_output_before_type_is_an_error_not_a_crash():
    with pytest.raises(statcfg.ConfigError) as e:
        statcfg.parse("stat-report r\n  output\n", "x.cfg")
    assert str(e.value).startswith("x.cfg line 2: ")


def test_mask_after_tag_is_refused_as_the_reference_does(tmp_path):
    (tmp_path / "t.cfg").write_text("tag-definition t\n")
    (tmp_path / "m.cfg").write_text("mask-definition m\n")
    text = ("include-tag %s/t.cfg\ninclude-mask %s/m.cfg\nstat-definition d\n  tag t\n"
            "  mask m\n" % (tmp_path, tmp_path))
    with pytest.raises(statcfg.ConfigError) as e:
        statcfg.parse(text, "x.cfg")
    assert str(e.value) == "x.cfg line 5: Mask previously defined for definition."
    cfg = statcfg.parse(text.replace("  tag t\n  mask m\n", "  mask m\n  tag t\n"), "x.cfg")
    assert (cfg.definition("D").mask, cfg.definition("D").tag) == ("m", "t")


def test_defaults_and_case():
    cfg = load_var(TYPE="IP-Source-Address", OUT="SORT -Octets")
    r = cfg.definition("D").reports[0]
    o = r.outputs[0]
    assert r.type.name == "ip-source-address"
    assert o.sort == (False, "octets")
    assert o.fields == {"key", "flows", "octets", "packets", "duration", "other"}
    assert (o.records, o.tally, o.time, o.format, o.options) == (0, 0, "mid", "ascii", set())
    assert not r.rates()


def test_fields_lists_and_groups():
    o = load_var(OUT="fields -octets , -packets +pps +frecs").definition("d").reports[0]
    o = o.outputs[0]
    assert o.fields == {"key", "flows", "duration", "other", "avg-pps", "min-pps", "max-pps",
                        "frecs"}
    with pytest.raises(statcfg.ConfigError, match="not available"):
        load_var(TYPE="ip-source/destination-port", OUT="fields +generic")


def test_output_keywords_inside_a_definition_change_the_last_output():
    text = ("stat-report r\n  type ip-protocol\n  output\nstat-definition d\n  report r\n"
            "  sort +flows\n  fields +frecs\n")
    o = statcfg.parse(text).definition("d").reports[0].outputs[0]
    assert o.sort == (True, "flows") and "frecs" in o.fields


def test_report_keywords_inside_an_output_change_the_report():
    text = "stat-report r\n  type ip-protocol\n  output\n  scale 3\n  output\n"
    r = statcfg.parse(text).reports["r"]
    assert r.scale == 3 and len(r.outputs) == 2


def test_sort_sign_alone_is_no_sort_and_time_series_garbage_is_off():
    cfg = load_var(OUT="sort +", DEF="time-series x")
    d = cfg.definition("d")
    assert d.reports[0].outputs[0].sort is None and d.time_series == 0


def test_types_are_the_78_of_the_corpus():
    names = [ln for ln in (CORPUS / "cfg" / "report-types.txt").read_text().splitlines()
             if ln and not ln.startswith("#")]
    assert list(statcfg.TYPE_NAMES) == names


def test_binding():
    assert statcfg.parse_binding("A=b=c") == ("A", "b=c")
    with pytest.raises(Exception, match=r"ftvar_pset\(A\): failed"):
        statcfg.parse_binding("A")
