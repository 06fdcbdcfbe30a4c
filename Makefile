# Everyday commands. `make run` and `make test` create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= config/newsdigest.toml

.PHONY: run test test-fast lint typecheck check bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("newsdigest needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

run: $(STAMP)  ## run the bot on the embedded default (SQLite, digests on the terminal)
	$(BIN)/newsdigest --config $(CONFIG) run

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## the suite without the tests that start real bot processes (marked slow)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

typecheck: $(STAMP)
	$(BIN)/python -m mypy

check: test lint typecheck

bench: $(STAMP)  ## run every benchmark and evaluation (see docs/benchmarks.md; needs ../shared/eval-data)
	$(BIN)/python -m bench.poll
	$(BIN)/python -m bench.train_summariser --check
	$(BIN)/python -m bench.eval_summaries
	$(BIN)/python -m bench.summarise_speed
	$(BIN)/python -m bench.build_lexicon --check
	$(BIN)/python -m bench.train_topics --check
	$(BIN)/python -m bench.topics
	$(BIN)/python -m bench.search_recall
	$(BIN)/python -m bench.alerts
	$(BIN)/python -m bench.eval_clusters
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.web
	$(BIN)/python -m bench.scale_out

clean:
	rm -rf $(VENV) build *.egg-info
