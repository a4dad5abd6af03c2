"""Where configuration and symbol files are found: the one lookup every
command uses.

A site that replaces flow-tools keeps its own files where flow-tools
installations keep them, `<sysconfdir>/cfg/*.cfg` (filter.cfg, ACLs, ...)
and `<sysconfdir>/sym/*.sym`, and they win over the files shipped in the
package's data folder.  The sysconfdirs searched, first match wins:

1. the directory named by $PYFLOWTOOLS_SYSCONFDIR, when set;
2. /usr/local/etc (flow-tools built from source);
3. /etc/flow-tools (the distributions' flow-tools packages);

then the package's data folder (DATA_DIR), which ships a file of every
name the commands read by default."""
import os

#: the package's data folder (default configs, ACLs, symbol files)
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")

#: the environment variable naming a sysconfdir searched first
ENV = "PYFLOWTOOLS_SYSCONFDIR"
#: the sysconfdirs of flow-tools installations (source build, packages)
SYSCONFDIRS = ("/usr/local/etc", "/etc/flow-tools")

CFG = "cfg"
SYM = "sym"


def shipped(name):
    """Path of the shipped data file `name`."""
    return os.path.join(DATA_DIR, name)


def sysconfdirs():
    """The sysconfdirs searched, in order."""
    env = os.environ.get(ENV)
    return ((env,) if env else ()) + SYSCONFDIRS


def site_file(kind, name):
    """`<sysconfdir>/<kind>/<name>` (kind CFG or SYM) in the first
    sysconfdir that has it, else the shipped file `name`."""
    for d in sysconfdirs():
        p = os.path.join(d, kind, name)
        if os.path.isfile(p):
            return p
    return shipped(name)


def resolve(name, kind=CFG):
    """A file named on a command line: `name` as given when it has a
    directory part or exists in the current directory; else, for a bare
    name, the site's `<sysconfdir>/<kind>/<name>` or the shipped file of
    that name (`flow-filter -f iana-reserved.acl`, `flow-zonecheck -z
    zones.conf`); else `name` (whose opening then fails as usual)."""
    if os.sep in name or (os.altsep and os.altsep in name) or os.path.exists(name):
        return name
    candidate = site_file(kind, name)
    return candidate if os.path.isfile(candidate) else name
