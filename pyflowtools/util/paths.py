"""Where the shipped data files live, and the one lookup every command
uses for a configuration or symbol file named on its command line."""
import os

#: the package's data folder (default configs, ACLs, symbol files)
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def shipped(name):
    """Path of the shipped data file `name`."""
    return os.path.join(DATA_DIR, name)


def resolve(name):
    """`name` as given, except that a bare file name (no directory part)
    missing from the current directory is looked up in the data folder:
    `flow-filter -f iana-reserved.acl`, `flow-zonecheck -z zones.conf`."""
    if os.sep in name or (os.altsep and os.altsep in name) or os.path.exists(name):
        return name
    candidate = shipped(name)
    return candidate if os.path.isfile(candidate) else name
