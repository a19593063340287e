# The two commands of the README, and the developer's checks. Everything is installed by these files.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: run test check schemas bench clean chromium postgresql

$(STAMP): pyproject.toml constraints.txt
	@echo "==> Python environment in $(VENV) (pinned by pyproject.toml and constraints.txt)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

## run: start Kafka, the hub, the TOBB simulator and adapter, play the demo; Ctrl-C stops
run: $(STAMP)
	@$(VENV)/bin/hub run

## test: lint and types, then the whole suite against a real Kafka broker, PostgreSQL, SMTP server and Chromium
test: check chromium postgresql
	@$(VENV)/bin/hub kafka jars
	@$(VENV)/bin/pytest

## chromium: Debian's Chromium for the GET-APP page test (no browser download: the network is closed)
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "==> installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## check: lint, types, the layers of docs/architecture.md, schema drift
check: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check hub adapters bench tests
	@$(VENV)/bin/mypy hub adapters tests bench
	@$(VENV)/bin/lint-imports --no-cache
	@$(VENV)/bin/hub schemas check

## schemas: regenerate schemas/ and docs/{messages,rules,offices}.md after changing a message or offices.csv
schemas: $(STAMP)
	@$(VENV)/bin/hub schemas write

## bench: reconciliation of a synthetic 1,000,000-record BİLGE export (prints records/s, peak memory), then the
## pipeline benchmark: the hub end to end beside a raw aiokafka pipe, median of 3 runs (BENCH_ARGS="--repeat 1")
bench: $(STAMP) postgresql
	@$(VENV)/bin/python -m bench.reconcile_bench
	@$(VENV)/bin/python -m bench.pipeline_bench $(BENCH_ARGS)
	@$(VENV)/bin/python -m bench.tracking_bench

## postgresql: Debian's PostgreSQL for the tests and the pipeline benchmark (each starts a server of its own)
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "==> installing Debian's postgresql"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

clean:
	rm -rf .data .kafka/run $(VENV)
