# Duijie: one Makefile for a fresh machine without Docker.
#   make run    the platform on embedded infrastructure (Tansu broker + mongoeco on SQLite under var/)
#   make test   ruff + the whole pytest suite (unit, integration on the embedded stack, e2e)
#   make demo   a scripted scenario on free ports; its last line is a JSON summary

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: all venv run test demo lint fmt bench-quality bench-speed bench-throughput bench-schedule bench-pipeline clean

all: test

# A venv that fails half-way (Debian's python3.x without python3.x-venv has no ensurepip) leaves bin/python behind,
# which make would take as done: it is removed, so the next run makes it again.
$(PY):
	@py=$$(deploy/find_python.sh) || exit 1; echo "using $$py"; "$$py" -m venv $(VENV) || { rm -rf $(VENV); \
	echo "could not make $(VENV) with $$py (on Debian or Ubuntu: apt install python3.X-venv for its version)" >&2; exit 1; }

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[embedded,dev]'
	@touch $(STAMP)

# Headless Chromium for the browser test (Debian's package; playwright drives it, downloading no browser).
$(CHROMIUM):
	@echo "installing Chromium (Debian package chromium) for the browser test"
	@if [ "$$(id -u)" -eq 0 ]; then apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	else sudo apt-get install -y -q chromium; fi

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m deploy.supervisor run

demo: $(STAMP)
	$(PY) -m deploy.demo

lint: $(STAMP)
	$(PY) -m ruff check .

fmt: $(STAMP)
	$(PY) -m ruff check --fix .

test: $(STAMP) $(CHROMIUM)
	$(PY) -m ruff check .
	$(PY) -m pytest -q -p no:cacheprovider

bench-quality: $(STAMP)
	$(PY) -m bench.quality --corpus ../shared/data/csl/corpus.jsonl --queries ../shared/data/csl/dev_queries.jsonl

bench-speed: $(STAMP)
	$(PY) -m bench.speed --catalog 100000

bench-throughput: $(STAMP)
	$(PY) -m bench.throughput

bench-schedule: $(STAMP)
	$(PY) -m bench.schedule --participants 500 --requests 2000 --slots 12 --tables 100 --seed 1

bench-pipeline: $(STAMP)
	$(PY) -m bench.pipeline --rate 50 --seconds 60

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
