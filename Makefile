# plantwarden: every set-up step lives here, so a fresh machine needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
DATA   ?= data

.PHONY: demo test lint bench bench-ml protocols detections classes venv dev-deps system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

dev-deps: $(VENV)/.dev-installed system-deps

# Debian tools the tests use as oracles (tshark) and for captures (tcpdump).
system-deps:
	@bash scripts/system-deps.sh

demo: $(VENV)/.installed
	$(VENV)/bin/plantwarden demo --data $(DATA) $(DEMO_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check plantwarden tests scripts
	$(VENV)/bin/mypy

test: dev-deps lint
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

bench: dev-deps
	$(PY) scripts/bench.py --out docs/benchmarks.md
	$(PY) scripts/bench_web.py --out docs/benchmarks.md
	$(PY) scripts/bench_vulns.py --out docs/benchmarks.md

# docs/benchmarks-ml.md: process-value anomaly models on the SKAB and BATADAL protocols (needs ../shared)
bench-ml: dev-deps
	$(PY) scripts/bench_ml.py --out docs/benchmarks-ml.md

# docs/protocols.md: every decoder against tshark and the Zeek/ICSNPP baselines, capture by capture
protocols: dev-deps
	$(PY) scripts/protocol_table.py --out docs/protocols.md

# docs/detections.md quality table: every detection on the labelled captures (demo + tests/data/attacks)
detections: $(VENV)/.installed
	$(PY) scripts/detection_quality.py --out docs/detections.md

# docs/function-classes.md: every function of every protocol in its conduit class (docs/zones.md)
classes: $(VENV)/.installed
	$(PY) scripts/class_table.py --out docs/function-classes.md

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
