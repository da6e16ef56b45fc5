# The two commands a fresh machine needs (see README): `make run` and `make test`.
.PHONY: run test lint bench loadtest

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Benchmarks against a throwaway PostgreSQL at programme scale (DESIGN §7).
bench:
	scripts/bench.sh

# Side-by-side load test at programme scale: gunicorn + wrk on the loopback (DESIGN §7).
loadtest:
	scripts/loadtest.sh
