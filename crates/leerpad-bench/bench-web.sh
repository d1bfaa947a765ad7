#!/usr/bin/env bash
# Load test: a signed-in learner's lesson page on SQLite, 32 connections, with wrk.
# As the reference, nginx serves a static copy of the same page in the same run.
# Run from anywhere: `just bench-web`. Needs wrk and nginx (Debian: wrk, nginx-light).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
app_port=${APP_PORT:-18181}
nginx_port=${NGINX_PORT:-18182}
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "bench-web needs $tool (apt-get install wrk nginx-light curl)"; exit 2; }
done
# LEERPAD_BIN: measure that binary (e.g. an older build, to compare) instead of
# building this tree's release binary.
if [ -z "${LEERPAD_BIN:-}" ]; then
  cargo build --release --quiet -p leerpad
  LEERPAD_BIN=target/release/leerpad
fi

work=$(mktemp -d)
cleanup() {
  [ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export LEERPAD_DATA_DIR="$work/data" LEERPAD_LISTEN="127.0.0.1:$app_port" LEERPAD_LOG=warn
export LEERPAD_SECRET="benchmark secret, long enough to sign sessions with"
"$LEERPAD_BIN" serve > "$work/serve.log" 2>&1 &
app_pid=$!
base="http://127.0.0.1:$app_port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$base/healthz" >/dev/null || { cat "$work/serve.log"; exit 1; }

# Register a learner, confirm the address from the mail file, and keep the session.
jar="$work/cookies"
csrf() { grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//'; }
token=$(curl -sf -c "$jar" -b "$jar" "$base/auth/register" | csrf)
curl -sf -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$token" --data-urlencode "name=Bench" \
  --data-urlencode "email=bench@example.org" --data-urlencode "password=a long benchmark passphrase of several words" "$base/auth/register"
for _ in $(seq 100); do ls "$work/data/mail/"*.eml >/dev/null 2>&1 && break; sleep 0.2; done
# The mail file is quoted-printable: decode it before looking for the link.
link=$(cat "$work/data/mail/"*.eml | python3 -c 'import quopri, sys; sys.stdout.write(quopri.decodestring(sys.stdin.buffer.read()).decode())' \
  | grep -o "$base/auth/verify?token=[A-Za-z0-9_-]*" | head -n1)
# The link shows a page with a button; pressing it confirms and signs in.
token=$(curl -sf -c "$jar" -b "$jar" "$link" | csrf)
curl -sf -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$token" --data-urlencode "token=${link##*token=}" \
  "$base/auth/verify"
cookie=$(awk '$6 ~ /^lp_/ { printf "%s=%s; ", $6, $7 }' "$jar")

course=polarisatie
token=$(curl -sf -c "$jar" -b "$jar" "$base/courses/$course" | csrf)
curl -sf -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$token" "$base/courses/$course/enrol"
lesson=$(curl -sf -b "$jar" "$base/courses/$course" | grep -o "href=\"/courses/$course/[a-z0-9-]*\"" | head -n1 | sed 's/.*\///; s/"$//')
url="$base/courses/$course/$lesson"
page=$(curl -sf -b "$jar" "$url")
echo "$page" | grep -q "lesson-body" || { echo "not a signed-in lesson page: $url"; exit 1; }

# nginx with a static copy of the same page.
mkdir -p "$work/nginx/html"
echo "$page" > "$work/nginx/html/lesson.html"
# nginx's workers drop to an unprivileged user when started as root: they must be
# able to read the page (mktemp makes a private folder), or every answer is a 403.
chmod a+rx "$work" "$work/nginx" "$work/nginx/html"
chmod a+r "$work/nginx/html/lesson.html"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp; proxy_temp_path $work/nginx/tmp; fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp; scgi_temp_path $work/nginx/tmp;
  server { listen 127.0.0.1:$nginx_port; root $work/nginx/html; default_type text/html; }
}
NGINX
mkdir -p "$work/nginx/tmp"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"

# CPU time (user + system, in clock ticks) that processes have used so far.
cpu_ticks() { # pid...
  local total=0 pid
  for pid in "$@"; do total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat") )); done
  echo "$total"
}

run() { # name url [cookie] [server pids]
  local args=(-t2 -c"$connections" -d"$duration" --latency)
  [ -n "${3:-}" ] && args+=(-H "Cookie: $3")
  local before=0
  [ -n "${4:-}" ] && before=$(cpu_ticks $4)
  local out
  out=$(wrk "${args[@]}" "$2")
  local rps p99 non2xx requests
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
  non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
  requests=$(echo "$out" | awk '/requests in/ { print $1 }')
  printf '%-34s %12s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${non2xx:-0}"
  if [ "${non2xx:-0}" != 0 ]; then
    echo "$1 answered $non2xx requests with an error: the figures above do not count" >&2
    exit 1
  fi
  echo "$rps" > "$work/$1.rps"
  if [ -n "${4:-}" ]; then
    # What one request costs the server, whatever else the machine does.
    awk -v t="$(( $(cpu_ticks $4) - before ))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
      'BEGIN { printf "%-34s %12.1f µs of CPU per request (user + kernel)\n", "", 1e6 * t / hz / n }'
  fi
}

echo "lesson page: $url ($(echo "$page" | wc -c) bytes), $connections connections, $duration"
curl -sf -b "$jar" -o /dev/null "$url"   # warm the course cache
run leerpad "$url" "$cookie" "$app_pid"
run nginx "http://127.0.0.1:$nginx_port/lesson.html" "" "$(pgrep -d ' ' -P "$(cat "$work/nginx/nginx.pid")")"
awk -v a="$(cat "$work/leerpad.rps")" -v b="$(cat "$work/nginx.rps")" \
  'BEGIN { printf "\nleerpad serves %.0f%% of nginx'"'"'s requests per second (target: at least 25%%, p99 under 10 ms)\n", 100 * a / b }'
