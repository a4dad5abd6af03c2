# pyflowtools -- see README.md.  `make help` lists the targets.
PYTHON  ?= python3
VENV    ?= .venv
PREFIX  ?= /usr/local
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
VPY      = $(VENV)/bin/python
VBIN     = $(VENV)/bin
PYTEST_ARGS ?=
SAMPLE   = samples/enterprise/ft-v05.2004-08-16.090000+0000

.PHONY: help sysdeps venv build install-venv demo test check bench man fuzz asan install clean

help:
	@echo "make demo     build, install into $(VENV), run the suite on the bundled sample"
	@echo "make test     build and run the whole test suite (pytest)"
	@echo "make build    compile the C core in place (for development)"
	@echo "make check    ruff, C warnings, man page lint"
	@echo "make bench    speed and memory benchmarks (bench/, results in bench/out/)"
	@echo "make fuzz     libFuzzer harnesses (csrc/fuzz), time-boxed"
	@echo "make asan     the test suite with AddressSanitizer"
	@echo "make install  pip install into the current Python, man pages into MANDIR"
	@echo "make clean    remove build products"

sysdeps:
	@PYTHON=$(PYTHON) sh tools/sysdeps.sh

$(VPY):
	@PYTHON=$(PYTHON) sh tools/sysdeps.sh
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip setuptools wheel
	$(VPY) -m pip install -q "cffi>=1.15" pytest hypothesis "psycopg[binary]>=3.1" "PyMySQL>=1.0" \
	  "netflow>=0.12" "pyarrow>=14" pandas duckdb "dask[distributed]" "plotly>=5"

venv: $(VPY)

build: $(VPY)
	$(VPY) csrc/build_ftcore.py >/dev/null

# a real (non-editable) install into the virtual environment: commands on
# $(VBIN), man pages under $(VENV)/share/man
install-venv: $(VPY)
	$(VPY) -m pip install -q --no-build-isolation --force-reinstall --no-deps .

demo: install-venv
	@sh tools/demo.sh "$(VBIN)" "$(SAMPLE)"

test: install-venv build
	PATH="$(CURDIR)/$(VBIN):$$PATH" $(VPY) -m pytest $(PYTEST_ARGS)

check: $(VPY)
	@$(VPY) -m ruff --version >/dev/null 2>&1 || $(VPY) -m pip install -q ruff
	$(VPY) -m ruff check pyflowtools bin tests bench
	cc -std=gnu99 -Wall -Wextra -Wconversion -fsyntax-only -Icsrc csrc/*.c
	for m in man/*.[157]; do groff -t -man -ww -z "$$m" || exit 1; done

bench: install-venv
	PATH="$(CURDIR)/$(VBIN):$$PATH" $(VPY) bench/run.py

man:
	@for m in man/*.[157]; do echo "== $$m"; groff -t -man -Tutf8 "$$m" | head -n 20; done

fuzz:
	$(MAKE) -C csrc/fuzz run

# The C core rebuilt in place with ASan and UBSan (any UB report aborts), the whole
# suite run against it: PYTHONPATH makes the installed flow-* commands import this
# tree's core, LD_PRELOAD gives every Python process the ASan runtime first (the
# tests run programs that are not ours -- database servers, nfcapd, softflowd,
# rrdtool, chromium -- without it: tests/harness.py peer_env), a test that caps the
# address space runs the installed normal core (harness.UNSANITIZED) and the tests'
# wait ceilings grow (harness.SLOW).  The normal core is rebuilt afterwards, pass or fail.
asan: install-venv
	CC=clang CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  $(VPY) csrc/build_ftcore.py >/dev/null
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LD_PRELOAD=$$(clang -print-file-name=libclang_rt.asan-x86_64.so) \
	  PYTHONPATH="$(CURDIR)" PATH="$(CURDIR)/$(VBIN):$$PATH" \
	  $(VPY) -m pytest -q tests $(PYTEST_ARGS); status=$$?; $(MAKE) build; exit $$status

install:
	$(PYTHON) -m pip install --no-build-isolation .
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	-install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/ 2>/dev/null

clean:
	rm -rf build dist *.egg-info pyflowtools/_ftcore.c pyflowtools/_ftcore*.so pyflowtools/*.o \
	  .pytest_cache .hypothesis bench/out
	find . -name __pycache__ -prune -exec rm -rf {} +
