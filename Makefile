PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv run test chromium wget bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# One full archive-and-check cycle over the shipped config/ (embedded SQLite under archives/).
run: venv
	$(BIN)/archiver --config config/archiver.toml run

test: venv chromium wget
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's chromium: the HTML report's browser test, the live-vs-replay screenshots and browser capture
# (`archive --browser`, driven by the playwright package; its own browser downloads are never used). Root on CI.
chromium:
	command -v chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)

# GNU Wget, for tests/warc/test_wget_compare.py and the benchmark's wget column.
wget:
	command -v wget || (apt-get update && apt-get install -y --no-install-recommends wget)

# The benchmarks (README "Benchmarks"), with LinkChecker for their comparison column.
bench: venv wget
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
