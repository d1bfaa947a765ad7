#!/usr/bin/env bash
# Load and durability: 200 signed-in learners for 60 s against `leerpad serve` on
# SQLite, then every acknowledged write is looked up in the database. Arguments go
# to leerpad-bench-load (`--learners`, `--seconds`, `--think-ms`, `--synchronous
# normal`, `--no-gzip`). Run from anywhere: `just bench-load`.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet -p leerpad -p leerpad-bench
exec target/release/leerpad-bench-load --leerpad target/release/leerpad --courses courses "$@"
