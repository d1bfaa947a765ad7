#!/usr/bin/env bash
# Publishes a generated course of 10,000 lessons into an empty database, then
# republishes it with one lesson changed; on SQLite, and on PostgreSQL at
# $LEERPAD_BENCH_DATABASE_URL (default: the local server's `test` database), where
# the tool creates and drops a database of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."

lessons=${LESSONS:-10000}
pg=${LEERPAD_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1/test}
cargo build --release --quiet -p leerpad-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/leerpad-gen-course --lessons "$lessons" --course "$work/course"
target/release/leerpad-bench-publish "$work/course" --postgres "$pg"
