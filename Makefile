# The two set-up commands of the README. Both install into .venv at the repo root first.
PY := .venv/bin/python
PIP := .venv/bin/pip

.PHONY: install demo test bench

.venv/installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev]"
	touch .venv/installed

install: .venv/installed

demo: install
	.venv/bin/sokrates-agent start "run iteration 2" --yes --decisions sessions/demo-decisions.json --config checkpoints/demo.yaml --workspace workspace

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/solver_speed.py
