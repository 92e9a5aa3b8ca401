# Two commands for a newcomer: `make up` runs the stack, `make test` tests it.
# Both install what they need first: a virtualenv with the project, and
# redis-server, a JDK and Maven from Debian's packages when they are missing
# (the JDK and Maven run the real Apache Kafka the worker tests use), and Go from the
# Go module proxy when no recent enough one is on PATH (the bench's load generator);
# `make test` also Chromium and its driver for the demo page's browser test.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: deps chromium up up-full test lint proto proto-check bench loadgen clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

deps: $(STAMP)
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; }
	@{ command -v java >/dev/null 2>&1 || [ -x "$$JAVA_HOME/bin/java" ]; } && command -v mvn >/dev/null 2>&1 || { \
		echo "installing a JDK and Maven (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			$$(apt-cache show openjdk-17-jdk-headless >/dev/null 2>&1 && echo openjdk-17-jdk-headless || echo default-jdk-headless) \
			maven >/dev/null; }
	@sh monitoring/install-promtool.sh $(BIN)/promtool
	@sh scripts/install-go.sh $(VENV)/go $(BIN)/go

# The demo page's test drives Debian's Chromium through its chromedriver. Not fatal: where apt-get
# cannot install them, that one test skips and says why.
chromium:
	@{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || { \
		echo "installing chromium and chromium-driver (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver fonts-liberation >/dev/null; } \
		|| echo "could not install chromium: tests/web_demo will skip"; }

up: deps
	$(BIN)/feed up

# The engines of production underneath: Apache Kafka and Apache Cassandra (jars from Maven Central).
up-full: deps
	$(BIN)/feed up --full

test: deps chromium lint proto-check
	$(BIN)/pytest

bench: deps
	$(BIN)/feed bench --json var/bench.json --plot var/bench.png

# The bench's Go load generator (feed bench builds it itself): vet, test, build; Go from PATH, else
# the one `make deps` installs into the virtualenv (scripts/install-go.sh).
GO = $(shell [ -x $(BIN)/go ] && echo $(CURDIR)/$(BIN)/go || echo go)
loadgen: deps
	cd loadgen && $(GO) vet ./... && $(GO) test ./... && $(GO) build -o ../var/bin/feed-loadgen .

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

proto: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

proto-check: $(STAMP)
	$(BIN)/python scripts/gen_protos.py --check

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
