# The two commands a fresh machine needs (see README): `make run` and `make test`.
# `make run PORT=8123` serves on another port (default 8000).
.PHONY: run test lint bench loadtest

PORT ?= 8000

run:
	PORT=$(PORT) scripts/run.sh

test:
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Benchmarks against a throwaway PostgreSQL at programme scale (docs/benchmarks.md).
bench:
	scripts/bench.sh

# Side-by-side load test at programme scale: gunicorn + wrk on the loopback (docs/benchmarks.md).
loadtest:
	scripts/loadtest.sh
