# 幸福食堂 backend. `make run` for the demo service, `make test` for every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
HOST ?= 127.0.0.1
PORT ?= 8080
CANTEEN := .build/debug/canteen

.PHONY: help deps build db db-stop db-ha db-ha-stop backup restore test run clean docs-images bench chaos failover

help:
	@echo "make run      start the private database, migrate, seed, serve on $(HOST):$(PORT)"
	@echo "make test     run every test against a private PostgreSQL it starts itself"
	@echo "make db       start the private database; prints DATABASE_URL=... last"
	@echo "make db-stop  stop it"
	@echo "make db-ha    a primary and a synchronous standby with automatic failover (pg_auto_failover); DATABASE_URL=... last"
	@echo "make db-ha-stop  stop that formation"
	@echo "make backup   a base backup of the demo cluster (BACKUP_DIR, default .local/backups); its folder last"
	@echo "make restore BACKUP=DIR [UNTIL='2026-12-01 12:00:00+08']  restore it into a new cluster; DATABASE_URL=... last"
	@echo "make bench    benchmarks (figures, no assertions)"
	@echo "make chaos    crash test: kill the server and PostgreSQL while clients log meals (CHAOS_SEEDS=100)"
	@echo "make failover failover drill: kill the db-ha primary while clients log meals (FAILOVER_SEEDS=20)"

# The system packages the build and the database need (apt, only when missing).
deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build --product canteen

# DB_FLAGS=--chaos starts the cluster `make chaos` kills instead.
db: deps
	@scripts/db.sh start $(DB_FLAGS)

db-stop:
	@scripts/db.sh stop
	@scripts/db.sh stop --test
	@scripts/db.sh stop --chaos

# A pg_auto_failover monitor and two nodes on CANTEEN_HA_PORT (54340) and up; run again, it heals a killed node.
db-ha: deps
	@scripts/db.sh ha-start
	@scripts/db.sh ha-status >&2

db-ha-stop:
	@scripts/db.sh ha-stop

# The demo cluster archives its WAL continuously; a backup and that archive restore to any moment since.
backup:
	@scripts/db.sh backup

restore:
	@BACKUP="$(BACKUP)" UNTIL="$(UNTIL)" scripts/db.sh restore

# The documents for officials are checked in a real browser, the API against its OpenAPI
# document (schemathesis), malformed HTTP and slow clients over raw sockets, a short crash test
# (3 seeds) and a short failover drill (3 seeds, on a formation of its own, `ha-test`, stopped
# afterwards) run, a backup is restored to a chosen moment; swift test's summary closes the run.
# The build's progress goes to .local/build.log; swift test lists failures only
# (SWIFT_TEST_FLAGS= for every test).
SWIFT_TEST_FLAGS ?= --quiet
test: deps
	@SWIFT=$(SWIFT) scripts/quiet-build.sh "the service, its tests and the contract's generated code" --build-tests
	@url=$$(scripts/db.sh start --test | tail -n 1); \
	export CANTEEN_TEST_DATABASE_URL="$${url#DATABASE_URL=}"; \
	scripts/render-check.sh && scripts/api-check.sh && scripts/hostile-http.py && \
	scripts/chaos.py --seeds $(CHAOS_TEST_SEEDS) && \
	( CANTEEN_HA_NAME=ha-test scripts/failover.py --seeds $(FAILOVER_TEST_SEEDS) --no-time-limits; drill=$$?; \
	  CANTEEN_HA_NAME=ha-test scripts/db.sh ha-stop 2>/dev/null; exit $$drill ) && \
	scripts/restore-check.py && \
	$(SWIFT) test --skip-build $(SWIFT_TEST_FLAGS)

CHAOS_SEEDS ?= 100
CHAOS_TEST_SEEDS ?= 3
# Kills `canteen serve` and the chaos cluster's postmaster (SIGKILL) at seeded random moments
# while clients log meals with retries; then checks nothing acknowledged was lost or doubled.
chaos: build
	scripts/chaos.py --seeds $(CHAOS_SEEDS)

FAILOVER_SEEDS ?= 20
FAILOVER_TEST_SEEDS ?= 3
# Kills the primary of the `make db-ha` formation (its keeper and postmaster, SIGKILL) while
# clients log meals with retries; checks nothing acknowledged was lost or doubled and prints the
# failover time of each seed, their median and maximum. Heals the formation between seeds.
failover: build
	scripts/failover.py --seeds $(FAILOVER_SEEDS)

run: build
	@url=$$(scripts/db.sh start | tail -n 1); export DATABASE_URL="$${url#DATABASE_URL=}"; \
	$(CANTEEN) db migrate && $(CANTEEN) db seed --demo && \
	scripts/run-banner.sh "$(HOST)" "$(PORT)" && \
	exec $(CANTEEN) serve --host "$(HOST)" --port "$(PORT)"

# Benchmarks report figures (they assert nothing), each a ratio against a baseline measured in
# the same run: meal logging over HTTP (wrk) versus pgbench inserts, the CSV import versus psql
# \copy, claims and the monthly report versus hand-written SQL, a category policy versus age-only.
# Release build, demo cluster.
# Writes docs/benchmarks.json and the generated table in docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product canteen
	@scripts/db.sh start >/dev/null
	bench/run.py --canteen "$$($(SWIFT) build -c release --show-bin-path)/canteen"

# Re-render the pictures of the claim form and the monthly report shown in the README.
docs-images: build
	UPDATE_DOCS=1 scripts/render-check.sh

clean:
	rm -rf .build
