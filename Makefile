# graphsim: `make demo` runs the main scenario, `make test` the whole test suite.
# Both set up a fresh Debian machine first (Debian packages, .venv, pip install).

.PHONY: setup demo test bench docs screenshots clean

setup:
	@./scripts/setup.sh

demo: setup
	.venv/bin/python -m graphsim.demo

test: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python benchmarks/run_all.py

docs: setup
	.venv/bin/graphsim docs > docs/components.md

screenshots: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py

clean:
	rm -rf out .pytest_cache
