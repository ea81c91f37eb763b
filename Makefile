# The two quick-start commands. Each one builds the virtual environment
# it needs from the project's own files, so both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/conformance run

# The browser tests drive Debian's chromium (Playwright's own browser download
# cannot work on these machines). Installed once, quietly, when missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	@$(SUDO) apt-get update -qq >/dev/null
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The central service's tests start a private PostgreSQL cluster (initdb and
# pg_ctl from Debian's packages); installed once, quietly, when missing.
INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

.PHONY: postgresql
postgresql:
ifeq ($(INITDB),)
	@echo "installing Debian's postgresql for the central service's tests"
	@$(SUDO) apt-get update -qq >/dev/null
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
endif

# The generators use hypothesis beyond its documented API, so the oldest
# version pyproject.toml allows is tested too: an environment holding only
# that hypothesis, the project's own environment behind it (a .pth file), in
# which the tests of the generators run again.
OLDEST := .venv-oldest
OLDEST_HYPOTHESIS := 6.130.0
OLDEST_STAMP := $(OLDEST)/.installed

$(OLDEST_STAMP): $(STAMP)
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet 'hypothesis==$(OLDEST_HYPOTHESIS)'
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
		> "$$($(OLDEST)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz-project-venv.pth"
	touch $@

test: $(STAMP) $(CHROMIUM) postgresql $(OLDEST_STAMP)
	$(BIN)/ruff check conformance tests benchmarks tools conftest.py
	$(BIN)/ruff format --check conformance tests benchmarks tools conftest.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto
	$(OLDEST)/bin/python -c "import hypothesis; assert hypothesis.__version__ == '$(OLDEST_HYPOTHESIS)', hypothesis.__version__"
	$(OLDEST)/bin/python -m pytest -n auto -q -p no:cacheprovider \
		tests/test_json_strategies.py tests/test_xml_strategies.py tests/test_regex_runs.py

# hypothesis-jsonschema, the generation peer, fails with the hypothesis this
# project uses; it gets an interpreter of its own with the oldest hypothesis
# both accept, the project's environment behind it (a .pth file), so ours is
# measured under that hypothesis too (benchmarks/README.md).
PEER := .venv-peer
PEER_STAMP := $(PEER)/.installed

$(PEER_STAMP): $(STAMP)
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet 'hypothesis-jsonschema==0.23.1' 'hypothesis==$(OLDEST_HYPOTHESIS)'
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
		> "$$($(PEER)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz-project-venv.pth"
	touch $@

# The large XML file's peer, xmllint, is Debian's libxml2-utils; installed
# once, quietly, when missing (the table says so if it still is).
XMLLINT := /usr/bin/xmllint

$(XMLLINT):
	@echo "installing Debian's libxml2-utils (xmllint) for the benchmarks"
	@$(SUDO) apt-get update -qq >/dev/null
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils >/dev/null

bench: $(STAMP) $(PEER_STAMP) $(XMLLINT)
	$(BIN)/python benchmarks/run.py --hypothesis-jsonschema $(PEER)/bin/python

clean:
	rm -rf $(VENV) $(OLDEST) $(PEER) reports .pytest_cache
