# The two commands a fresh machine needs (see README): `make run` and `make test`.
.PHONY: run test lint bench

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Benchmarks against a throwaway PostgreSQL at programme scale (DESIGN §7).
bench:
	scripts/bench.sh
