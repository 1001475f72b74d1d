# mlparity: the two commands are `make docs` and `make test`; both build .venv/ first when needed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest workers: the notebook runs are the slow part and parallelise well
WORKERS ?= 2

.PHONY: help docs test install execute site readme export clean-nbs sync check-site bench lock clean
help:
	@echo "make docs   execute every notebook and render the site into _docs/"
	@echo "make test   every check: export/clean/README sync, site + links, pytest (nbval runs every notebook's cells, parameter runs)"
	@echo "make execute | site | readme | export | bench | lock | clean"

$(STAMP): constraints.txt settings.ini setup.py pyproject.toml
	@echo "== setting up $(VENV) (pinned by constraints.txt)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	@# --no-compile: Python byte-compiles a module the first time it is imported, so only what runs is compiled
	@PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install -q --disable-pip-version-check --no-compile -c constraints.txt -e ".[dev]"
	@# the kernel's display name is its name, as nbdev_clean writes it into every notebook: JupyterLab then opens them unmodified
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name python3 >/dev/null
	@touch $(STAMP)

install: $(STAMP)

docs: $(STAMP)
	@echo "== executing notebooks (papermill, default parameters)"
	@$(BIN)/python tools/execute_nbs.py
	@$(BIN)/nbdev_export
	@$(BIN)/python tools/make_readme.py
	@echo "== rendering the site"
	@$(BIN)/python tools/render_docs.py

execute: $(STAMP)
	@$(BIN)/python tools/execute_nbs.py

site: $(STAMP)
	@$(BIN)/python tools/render_docs.py

readme: $(STAMP)
	@$(BIN)/python tools/make_readme.py

export: $(STAMP)
	@$(BIN)/nbdev_export

test: $(STAMP)
	@echo "== 1-2. generated files in sync (nbdev_export, nbdev_clean, README)"
	@$(BIN)/python tools/check_sync.py
	@# No nbdev_test step: nbval (below) runs every cell of every notebook and fails on any cell that raises, so the
	@# lesson tests run there; with the parameter runs each notebook is executed twice by `make test`, not three times.
	@echo "== 3. the site renders and its links resolve"
	@$(BIN)/python tools/render_docs.py
	@echo "== 4. pytest: tests/, nbval over nbs/ (every cell runs; checked outputs compared), every notebook with other parameters"
	@$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile -p no:cacheprovider tests nbs --nbval-lax --nbval-current-env --durations=20

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

lock:
	@echo "regenerating constraints.txt from a fresh environment"
	@rm -rf /tmp/mlparity-lock && $(PYTHON) -m venv /tmp/mlparity-lock
	@/tmp/mlparity-lock/bin/pip install -q --upgrade pip && /tmp/mlparity-lock/bin/pip install -q -e ".[dev]"
	@(echo "# The whole development environment, pinned: pip install -c constraints.txt -e '.[dev]'"; \
	  /tmp/mlparity-lock/bin/pip freeze --exclude-editable | grep -v '^mlparity') > constraints.txt

clean:
	rm -rf _docs _proc $(VENV) build dist *.egg-info
