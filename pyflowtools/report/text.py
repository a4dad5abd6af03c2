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
    return information_block([("Name", name)] + list(fields), args)


def information_block(fields, args=None, cc="#"):
    """The same block with the labelled lines exactly as given (flow-stat
    puts Title, Fields, Symbols, Sorting, then Name) and comment character
    cc opening every line."""
    lines = [cc + TITLE[1:], cc]
    lines += ["%s %-11s%s" % (cc, label + ":", value) for label, value in fields]
    lines.append(cc)
    if args is not None:
        lines += ["%s %-11s%s" % (cc, "Args:", args), cc]
    return lines
