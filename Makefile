# Candor: `make demo` runs the story, `make test` runs `make lint` and the whole suite.
# Each target bootstraps what it needs: Debian packages, the virtual
# environment and the Python packages pinned in pyproject.toml.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BASE_DEBS := python3-venv python3-pip python3-dev
TEST_DEBS := prometheus prometheus-alertmanager postgresql chromium poppler-utils \
	libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core wrk hyperfine
PYTEST_ARGS ?=

.PHONY: demo test bench lint deps test-deps clean promql-diff mutate

# `make demo PORT=8081` when 8080 is taken
demo: $(STAMP)
	$(BIN)/candor demo $(if $(PORT),--listen 127.0.0.1:$(PORT))

test: lint test-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# Every benchmark beside its reference; writes benchmarks/results/latest.json and prints the
# table. QUICK=1: fewer, shorter runs (a smoke test, under 3 minutes); compare two runs with
# `candor bench compare OLD NEW`.
bench: $(STAMP) test-deps
	$(BIN)/python -m benchmarks $(if $(QUICK),--quick)

# Random PromQL through the real prometheus and Candor: `make promql-diff N=5000 SEED=1`
# (GRID=1 evaluates on the sample grid). Prints compared, identical, each justified class
# and the unexplained differences; exits 1 if there is any.
N ?= 1000
SEED ?= 1
promql-diff: $(STAMP) test-deps
	$(BIN)/python -m tests.monitor.promql.differential --count $(N) --seed $(SEED) $(if $(GRID),--grid)

# Mutation testing (slow, not part of `make test`): mutmut over monitor/incidents,
# monitor/alerting and the promql evaluator, kernels, functions and aggregation
# ([tool.mutmut] in pyproject.toml); prints killed/survived/timeout/total per package.
# JOBS= mutants at once; SAMPLE=n (incidents, alerting) and PROMQL_SAMPLE=n run one mutant
# in n (1: all);
# ONLY='monitor.incidents.lifecycle.*' reruns just those. Results stay in mutants/.
JOBS ?= 2
SAMPLE ?= 5
PROMQL_SAMPLE ?= 20
mutate: $(STAMP) test-deps
	@test -e shared || ln -s ../shared shared  # the tests read ../shared from mutants/
	$(BIN)/python scripts/mutate.py --jobs $(JOBS) --sample $(SAMPLE) --promql-sample $(PROMQL_SAMPLE) \
		$(if $(ONLY),--only $(ONLY))

# ruff; the import contracts in pyproject.toml (layers, who may import what, no cycles);
# mypy over the whole tree ([tool.mypy] in pyproject.toml; incremental, cache in .mypy_cache)
lint: $(STAMP)
	$(BIN)/ruff check monitor exporters postmortem dashboards tests benchmarks
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy

deps: $(STAMP)

test-deps:
	@scripts/ensure-debian-packages.sh $(TEST_DEBS)

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || scripts/ensure-debian-packages.sh $(BASE_DEBS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .candor .pytest_cache
