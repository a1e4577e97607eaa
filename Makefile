# dpt: the two commands a user needs (README). Both set up the environment first if needed.
#   make demo   pre-train -> fine-tune -> evaluate a tiny Mask R-CNN on the built-in demo data
#   make test   the whole test suite
#   make lint   ruff: lint rules and formatting (ruff.toml); CI runs it before the tests
PY := .venv/bin/python
# Keep big CPU buffers instead of handing them back to the OS after every step
# (measured 1.3x faster full-size CPU train steps, ~1 GB more peak memory; benchmarks/README.md).
export MALLOC_MMAP_THRESHOLD_ ?= 17179869184
export MALLOC_TRIM_THRESHOLD_ ?= 17179869184
# OpenMP threads that sleep instead of spinning while they wait: with a data-loader worker or
# a second training process on the same cores, spinning threads made CPU steps up to 15x
# slower (benchmarks/README.md).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup demo test lint bench clean-demo

setup:
	@bash tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py

# Two test processes, one per core, each (and the tools it starts) on one OpenMP thread.
test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest tests -q -n 2 --durations=15

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: setup
	$(PY) benchmarks/run.py

clean-demo:
	rm -rf work_dirs/demo data/demo
