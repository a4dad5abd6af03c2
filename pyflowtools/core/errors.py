"""Exception hierarchy of pyflowtools.  Library code raises, never prints."""


class FlowToolsError(Exception):
    """Any error a command reports as `flow-xxx: message` with status 1."""


class FormatError(FlowToolsError, ValueError):
    """Input is not a valid flow stream (or datagram, or config)."""


class UsageError(FlowToolsError):
    """Bad command-line usage."""


class InternalError(FlowToolsError):
    """A C status that means a bug in the caller, not bad input."""
