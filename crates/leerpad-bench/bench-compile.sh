#!/usr/bin/env bash
# Compiles generated courses of 1,000 and 10,000 lessons and reports lessons per
# second and peak memory; builds the same 1,000 lessons with mdbook as the reference.
# Run from anywhere: `just bench-compile`.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${RUNS:-3}
cargo build --release --quiet -p leerpad -p leerpad-bench
command -v mdbook >/dev/null || cargo install --locked --quiet mdbook
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs a command $runs times; prints the best wall time in seconds and its peak RSS in MiB.
measure() {
  local best_ns="" best_kb=""
  for _ in $(seq "$runs"); do
    rm -rf "$work/out" "$work/book-out"
    local start end kb
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr"; exit 1; }
    end=$(date +%s%N)
    kb=$(tail -n 1 "$work/rss")
    if [ -z "$best_ns" ] || [ $((end - start)) -lt "$best_ns" ]; then best_ns=$((end - start)); best_kb=$kb; fi
  done
  awk -v ns="$best_ns" -v kb="$best_kb" 'BEGIN { printf "%.3f %.1f\n", ns / 1e9, kb / 1024 }'
}

printf '%-22s %8s %10s %12s %10s\n' tool lessons seconds lessons/s "peak MiB"
report() { # tool lessons "seconds mib"
  read -r secs mib <<<"$3"
  awk -v t="$1" -v n="$2" -v s="$secs" -v m="$mib" 'BEGIN { printf "%-22s %8d %10.3f %12.0f %10.1f\n", t, n, s, n / s, m }'
}

for n in 1000 10000; do
  book_args=()
  [ "$n" = 1000 ] && book_args=(--mdbook "$work/book$n")
  target/release/leerpad-gen-course --lessons "$n" --course "$work/course$n" "${book_args[@]}"
  result=$(measure target/release/leerpad compile "$work/course$n" --out "$work/out")
  report "leerpad compile" "$n" "$result"
  [ "$n" = 1000 ] && leerpad_1000=$result
done

mdbook_1000=$(measure mdbook build "$work/book1000" --dest-dir "$work/book-out")
report "mdbook build ($(mdbook --version | awk '{print $2}'))" 1000 "$mdbook_1000"
awk -v a="${leerpad_1000%% *}" -v b="${mdbook_1000%% *}" 'BEGIN { printf "\nleerpad compiles 1,000 lessons %.1fx as fast as mdbook builds them (target: 5x)\n", b / a }'
