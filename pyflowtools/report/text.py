"""The text layout shared by the reports (flow-stat's style)."""

TITLE = "#  --- ---- ---- Report Information --- --- ---"


def args_text(argv):
    """The `# Args:` value: every word, without unprintable characters,
    followed by a blank (as flow-stat prints its argv)."""
    return "".join("".join(c for c in w if c.isprintable()) + " " for w in argv)


def report_information(name, fields=(), args=None):
    """The `#` block that opens a text report, as lines (no newlines):

        #  --- ---- ---- Report Information --- --- ---
        #
        # Name:      <name>
        # <label>:   <value>        (each of fields: [(label, value)])
        #
        # Args:      <args>         (when args is not None)
        #
    """
    lines = [TITLE, "#", "# %-11s%s" % ("Name:", name)]
    lines += ["# %-11s%s" % (label + ":", value) for label, value in fields]
    lines.append("#")
    if args is not None:
        lines += ["# %-11s%s" % ("Args:", args), "#"]
    return lines
