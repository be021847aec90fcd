# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test venv migrate demo lint docs prod clean

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

test: venv
	$(BIN)/ruff check fla tests bench
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

# The production profile on this machine: PostgreSQL (127.0.0.1:5432, database fla_prod)
# and Redis (127.0.0.1:6379); two web nodes on ports 8000 and 8001, two workers.
prod: venv
	$(BIN)/python -m fla.ops.prod

docs: venv
	$(BIN)/fla render-anomalies

clean:
	rm -rf $(VENV) data/*.sqlite3*
