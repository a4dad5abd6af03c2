"""Exception hierarchy of pyflowtools.  Library code raises, never prints."""


class FlowToolsError(Exception):
    """Any error a command reports as `flow-xxx: message` with status 1."""


class FormatError(FlowToolsError, ValueError):
    """Input is not a valid flow stream (or datagram, or config)."""


class UsageError(FlowToolsError):
    """Bad command-line usage."""


class InternalError(FlowToolsError):
    """A C status that means a bug in the caller, not bad input."""


class MissingField(FormatError):
    """Records of this version lack a field that a print format, a filter or
    a report reads.  The default text is flow-print's (flow-filter,
    flow-icmpdecode and flow-print say it); `field` names the field when
    known."""

    MESSAGE = "Flow record missing required field for format."

    def __init__(self, message=MESSAGE, field=None):
        FormatError.__init__(self, message)
        self.field = field
