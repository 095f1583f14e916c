# Skewlab: `make run` starts the app on the built-in sample, `make test` runs every test.
# Both set up what they need first (a venv in .venv; for tests also Debian's Chromium).
# Streamlit's own settings apply as usual, e.g. STREAMLIT_SERVER_PORT=8600 make run.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba

.PHONY: run test test-fast lint bench setup setup-dev browser screenshots clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Optional capabilities (requirements-<extra>.txt: the full text encoder, Dask...) are installed with the
# test tools, so the tests of every extra run in CI.
EXTRAS := $(sort $(filter-out requirements-dev.txt,$(wildcard requirements-*.txt)))

$(VENV)/.dev: requirements-dev.txt $(EXTRAS) $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt $(addprefix -r ,$(EXTRAS))
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

browser:
	@bash scripts/ensure-chromium

run: setup
	$(PY) -m streamlit run app.py

lint: setup-dev
	$(VENV)/bin/ruff check .

test: lint browser
	$(PY) -m pytest -n 2 --dist loadgroup -p no:cacheprovider tests

test-fast: setup-dev
	$(PY) -m pytest -n 2 --dist loadgroup -p no:cacheprovider tests/core tests/pages

bench: setup-dev
	$(PY) benchmarks/run_quick.py

screenshots: setup-dev browser
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .cache .pytest_cache artifacts
