# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.mlready-installed
EXAMPLES := $(wildcard examples/*.ipynb)
PYTEST_ARGS ?=

.PHONY: demo test install lint lint-ts clean chromium bench bench-spark node java ui-test

# Browser tests (report screenshot, JupyterLab UI) use Debian's Chromium; Playwright cannot download one here.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	if command -v sudo >/dev/null && [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

chromium: $(CHROMIUM)

# The JupyterLab extension is built by `pip install` (hatch-jupyter-builder runs jlpm, which needs
# Node.js >= 20.19 for rspack). The machine image ships it; on a bare Debian, apt-get provides one.
NODE := /usr/bin/node
$(NODE):
	if command -v sudo >/dev/null && [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null

# Spark (the `spark` extra) needs a Java runtime; Debian 12 ships OpenJDK 17.
JAVA := /usr/bin/java
$(JAVA):
	if command -v sudo >/dev/null && [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null

java: $(JAVA)

node: $(NODE)
	@$(NODE) -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js "+process.version+" is too old to build the JupyterLab extension: install Node.js >= 20.19"); process.exit(1) }'

LABEXT_SRC := labextension/package.json labextension/yarn.lock labextension/tsconfig.json $(wildcard labextension/src/*.ts labextension/style/*)

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Installs the package (editable) with its test dependencies and every supported model library
# (the `all` extra), building the JupyterLab extension.
# Re-runs when pyproject.toml or the extension's sources change.
$(STAMP): $(PY) pyproject.toml $(LABEXT_SRC) | node java
	$(PIP) install -q -e ".[test,all]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@set -u; worst=0; \
	for nb in $(EXAMPLES); do \
	  echo "== mlready check $$nb"; \
	  $(VENV)/bin/mlready check "$$nb"; rc=$$?; \
	  if [ $$rc -gt $$worst ]; then worst=$$rc; fi; \
	done; \
	echo "== mlready monitor: two live batches of the claims model (a normal week, a broken feed)"; \
	$(VENV)/bin/python examples/claims_batches.py examples/mlready-out/batches; \
	for b in week_01 week_02_broken_feed; do \
	  $(VENV)/bin/mlready monitor models:/claims_fraud@ready examples/mlready-out/batches/$$b.parquet \
	    --out examples/mlready-out/monitor-$$b; rc=$$?; \
	  if [ $$rc -ge 2 ]; then worst=2; fi; \
	done; \
	echo; echo "Reports:"; ls -1 examples/mlready-out/*/readiness.json examples/mlready-out/*/monitor.json examples/mlready-out/*/report.html 2>/dev/null; \
	if [ $$worst -ge 2 ]; then echo "demo: a check or a monitor run ended in error (exit 2)"; exit 2; fi

# Benchmark, not part of `make test`: mlready check vs Deepchecks and Evidently at 10k/100k/1M rows.
# The peers' venvs (benchmarks/.venv-*) are created on first use. Quick run: make bench BENCH_ARGS=--smoke
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

# Spark local[2] at 1M, 3M and 10M rows against the pandas path at 1M (benchmarks/spark.py).
bench-spark: $(STAMP) java
	$(PY) benchmarks/spark.py $(BENCH_ARGS)

# Lint, formatting and types of the Python sources (configured in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check jupyter_mlready tests benchmarks tools
	$(VENV)/bin/ruff format --check jupyter_mlready tests benchmarks tools
	$(VENV)/bin/mypy

test: $(STAMP) chromium
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory lint-ts
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests — that is a failure"; exit 1; fi; exit $$rc
	$(MAKE) --no-print-directory ui-test

# The lab extension's eslint + prettier, and src/schema.ts up to date with jupyter_mlready/schema/.
lint-ts: $(STAMP)
	cd labextension && PATH="$(abspath $(VENV))/bin:$$PATH" jlpm lint:check

# Galata (Playwright) tests of the JupyterLab extension in headless Debian Chromium;
# screenshots in test-artifacts/ui/.
UI_STAMP := ui-tests/node_modules/.mlready-installed
$(UI_STAMP): ui-tests/package.json ui-tests/yarn.lock | node
	cd ui-tests && PATH="$(abspath $(VENV))/bin:$$PATH" jlpm install
	touch $(UI_STAMP)

ui-test: $(STAMP) chromium $(UI_STAMP)
	mkdir -p test-artifacts/ui
	cd ui-tests && PATH="$(abspath $(VENV))/bin:$$PATH" jlpm playwright test

clean:
	rm -rf $(VENV) examples/mlready-out .mlready
	rm -rf labextension/node_modules labextension/lib labextension/tsconfig.tsbuildinfo jupyter_mlready/labextension ui-tests/node_modules test-artifacts/ui
