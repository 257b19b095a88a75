# Nagare: two commands set up and run everything on a fresh machine.
#   make run    build the web app and the server, seed the demo organisation, serve on 127.0.0.1:8080
#   make test   every check CI runs: fmt, clippy (native + wasm32), cargo tests (SQLite + PostgreSQL),
#               the release build, the API contract check and the Playwright suite
#   make bench  the benchmarks of docs/PERFORMANCE.md (synthetic org: 100k deployments, 1M commits)
.PHONY: run test bench build setup setup-test clean

export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

setup:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

build: setup
	@scripts/build.sh

run: build
	@mkdir -p data
	NAGARE_SEED_DEMO=true ./target/release/nagare serve

test: setup-test
	@scripts/test.sh

bench: setup-test
	@scripts/bench.sh

clean:
	cargo clean
	rm -rf dist end2end/output end2end/test-results
