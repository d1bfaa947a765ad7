# Leerpad's everyday commands. `just --list` shows them all.

# Check the bundled courses and run every test.
default: check-courses test

# Check course sources (default: the bundled courses) and report every problem.
check-courses *paths="courses":
    cargo run --quiet -- check --deny-warnings {{paths}}

# The README's test command: every crate's tests.
test:
    cargo test --workspace

# Formatting, lints, layering rules and the tests, as CI runs them.
ci:
    bash .ci/run

fmt:
    cargo fmt --all

lint:
    cargo clippy --workspace --all-targets -- -D warnings

# The crate layering that ARCHITECTURE.md promises.
layering:
    bash .ci/layering

# Compile speed: 1,000 and 10,000 generated lessons, with mdbook as the reference.
bench-compile:
    bash crates/leerpad-bench/bench-compile.sh

# Publishing: 10,000 lessons into an empty database, then with one lesson changed.
bench-publish:
    bash crates/leerpad-bench/bench-publish.sh

# The tests, with the store's tests also on the local PostgreSQL server.
test-postgres:
    LEERPAD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test --workspace

# The web server under load (wrk, 32 connections) against nginx serving the same page.
bench-web:
    bash crates/leerpad-bench/bench-web.sh

# The community under load (wrk, 32 connections): a space of 10,000 threads and a thread of
# 2,000 replies on SQLite, first and last pages; p99 under 20 ms.
bench-community:
    bash crates/leerpad-bench/bench-community.sh

# Learners under load: 200 for 60 s on SQLite (reading, marking done, answering, reflecting,
# the JSON API), compressed; then every acknowledged write is checked in the database.
bench-load *args:
    bash crates/leerpad-bench/bench-load.sh {{args}}

# Email nudges: the runner over 100,000 generated enrolments on SQLite (time, peak memory).
bench-nudges *args:
    cargo run --release --quiet -p leerpad-bench --bin leerpad-bench-nudges -- {{args}}

# Completion reports: CSV and XLSX of 100,000 generated learners × 3 courses on SQLite (time, peak memory).
bench-report *args:
    cargo build --release --quiet -p leerpad-bench
    cargo run --release --quiet -p leerpad-bench --bin leerpad-bench-report -- {{args}}

# Accept changed insta snapshots after reviewing them.
snapshots:
    INSTA_UPDATE=always cargo test --workspace
