# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

## demo: create the environment, generate and load a synthetic city, serve on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/xinyong demo

## test: create the environment, lint, type-check and run the tests (SQLite, and PostgreSQL when
## XINYONG_TEST_DATABASE_URL is set)
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy xinyong

unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

bench-quick: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
