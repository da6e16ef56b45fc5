# The two commands a fresh machine needs (see README): `make run` and `make test`.
# `make run PORT=8123` serves on another port (default 8000).
.PHONY: run test lint bench loadtest cluster

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

# The multi-node drill's cluster on the loopback: nginx, two web nodes, two workers, beat, S3
# (docs/operations.md). `make cluster CLUSTER_PORT=8090` for nginx on another port (default 8080).
CLUSTER_PORT ?= 8080
cluster:
	PORT=$(CLUSTER_PORT) scripts/cluster.sh
