# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed
# The browser tests drive Debian's chromium (tests/browser/conftest.py reads FLA_CHROMIUM).
CHROMIUM := $(or $(FLA_CHROMIUM),/usr/bin/chromium)

.PHONY: run test venv chromium migrate demo lint docs prod clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/fla migrate --noinput

demo: migrate
	$(BIN)/fla seed-demo --if-empty

run: demo
	PORT=$(PORT) $(BIN)/python -m fla.serve

# Installs chromium when it is missing and this is root on a machine with apt-get;
# otherwise stops and says what to install.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium for the browser tests (apt-get install chromium)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium && test -x $(CHROMIUM); \
	  else \
	    echo "The browser tests need chromium at $(CHROMIUM). Install Debian's package" \
	      "(sudo apt-get install chromium), or set FLA_CHROMIUM to a chromium binary," \
	      "then run make test again." >&2; \
	    exit 1; \
	  fi; \
	}

test: venv chromium
	$(BIN)/ruff check fla tests bench
	$(BIN)/ruff format --check fla tests bench
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

# The production profile on this machine: PostgreSQL (127.0.0.1:5432, database fla_prod)
# and Redis (127.0.0.1:6379); two web nodes on ports 8000 and 8001, two workers.
prod: venv
	$(BIN)/python -m fla.ops.prod

docs: venv
	$(BIN)/fla render-anomalies

clean:
	rm -rf $(VENV) data/*.sqlite3*
