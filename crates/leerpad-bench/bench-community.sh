#!/usr/bin/env bash
# Load test of the learning community on SQLite: an organisation's space of 10,000
# threads, one of them with 2,000 replies (`leerpad-gen-community` makes the data),
# read by a signed-in member over 32 connections with wrk, as `bench-web.sh` does:
# the space's first and last page, the long thread's first and last page. Each
# page kind must answer within 20 ms at the 99th percentile.
# Run from anywhere: `just bench-community`. Needs wrk and curl (Debian: wrk, curl).
# DURATION, CONNECTIONS, APP_PORT, THREADS, REPLIES and LEERPAD_BIN as in bench-web.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
app_port=${APP_PORT:-18183}
threads=${THREADS:-10000}
replies=${REPLIES:-2000}
limit_ms=20
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench-community needs $tool (apt-get install wrk curl)"; exit 2; }
done
# LEERPAD_BIN: measure that binary (e.g. an older build, to compare) instead of
# building this tree's release binary; the data is made by this tree's generator.
if [ -z "${LEERPAD_BIN:-}" ]; then
  cargo build --release --quiet -p leerpad -p leerpad-bench
  LEERPAD_BIN=target/release/leerpad
else
  cargo build --release --quiet -p leerpad-bench --bin leerpad-gen-community
fi

work=$(mktemp -d)
cleanup() {
  [ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The data, before the server starts (it finds the database migrated).
target/release/leerpad-gen-community --data "$work/data" --threads "$threads" --replies "$replies" > "$work/facts"
fact() { sed -n "s/^$1=//p" "$work/facts"; }

export LEERPAD_DATA_DIR="$work/data" LEERPAD_LISTEN="127.0.0.1:$app_port" LEERPAD_LOG=warn
export LEERPAD_SECRET="benchmark secret, long enough to sign sessions with"
export LEERPAD_JOBS=false
"$LEERPAD_BIN" serve > "$work/serve.log" 2>&1 &
app_pid=$!
base="http://127.0.0.1:$app_port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$base/healthz" >/dev/null || { cat "$work/serve.log"; exit 1; }

# Sign in with the member's one-time link (a page with a button, then the button).
jar="$work/cookies"
csrf() { grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//'; }
token=$(fact token)
form=$(curl -sf -c "$jar" -b "$jar" "$base/auth/link?token=$token" | csrf)
curl -sf -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$form" --data-urlencode "token=$token" \
  --data-urlencode "next=/community" "$base/auth/link/confirm"
cookie=$(awk '$6 ~ /^lp_/ { printf "%s=%s; ", $6, $7 }' "$jar")

# wrk's latency (e.g. 812.00us, 4.20ms, 1.01s) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

failed=0
run() { # name path what-the-page-must-show
  local url="$base$2"
  # One request first, as a browser would, which also checks it is the page meant.
  local page
  page=$(curl -sf -b "$jar" "$url") || { echo "$1: $url does not answer"; exit 1; }
  echo "$page" | grep -q "$3" || { echo "$1: $url is not the page meant (no \"$3\")"; exit 1; }
  local out
  out=$(wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: $cookie" "$url")
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
  local verdict
  verdict=$(awk -v p="$p99" -v l="$limit_ms" 'BEGIN { print (p < l) ? "ok" : "TOO SLOW" }')
  [ "$verdict" = ok ] || failed=1
  printf '%-22s %-42s %9s req/s   p50 %7s ms   p99 %7s ms   %s\n' "$1" "$2" "$rps" "$p50" "$p99" "$verdict"
  if [ "${non2xx:-0}" != 0 ]; then
    echo "$1 answered $non2xx requests with an error: the figures above do not count" >&2
    exit 1
  fi
}

space=$(fact space)
thread=$(fact thread)
echo "$threads threads in $space, $replies replies in $thread; $connections connections, $duration each"
run "space, first page" "$space" 'href="/community/threads/'
run "space, last page" "$space?page=$(fact space_pages)" 'href="/community/threads/'
run "thread, first page" "$thread" 'id="post-'
run "thread, last page" "$thread?page=$(fact thread_pages)" 'id="post-'
if [ "$failed" = 0 ]; then
  echo "every page kind answers within $limit_ms ms at the 99th percentile"
else
  echo "some page kinds take $limit_ms ms or more at the 99th percentile"
  exit 1
fi
