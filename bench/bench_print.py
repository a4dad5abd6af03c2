"""flow-print stages: the default format and -f 5, each with TZ=UTC and
with TZ absent from the environment (the C library then consults
/etc/localtime, which can cost a stat() per localtime() call), and the
flow-cat | flow-print pipeline.  The reference flow-tools 0.68 timed only
flow-print itself; the pipeline is held to flow-print's default figure."""

STAGES = []
for _fmt, _args, _ref in (("default", [], 3.4), ("-f 5", ["-f", "5"], 12.3)):
    for _tz in ("tz_utc", "tz_unset"):
        STAGES.append(dict(
            name="flow-print %s %s" % (_fmt, "TZ=UTC" if _tz == "tz_utc" else "no TZ"),
            shown="%sflow-print%s < plain.ft > /dev/null" % (
                "TZ=UTC " if _tz == "tz_utc" else "(TZ unset) ", " " + " ".join(_args) if _args else ""),
            cmds=[["flow-print"] + _args], stdin="plain", input="plain", env=_tz, ref=_ref))

STAGES.append(dict(
    name="flow-cat | flow-print", shown="TZ=UTC flow-cat plain.ft | flow-print > /dev/null",
    cmds=[["flow-cat", "{plain}"], ["flow-print"]], input="plain", env="tz_utc", ref=3.4,
    ref_note="flow-print default"))
