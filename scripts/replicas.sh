#!/usr/bin/env bash
# The README's "Running several replicas" recipe as plain commands, and
# its test: PostgreSQL (a throwaway cluster, scripts/pg-test-server),
# three `herald serve` replicas of the shipped site on it, nginx in front.
# It checks that the feeds come through the balancer with one ETag
# whichever replica answers, kills the leader with SIGKILL, and checks
# that another replica leads within 15 s while the balancer goes on
# serving the same bytes.
#
#   bash scripts/replicas.sh        # needs nginx and PostgreSQL's server binaries
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -s "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  scripts/pg-test-server stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "replicas: $*" >&2; for f in "$work"/*.log; do echo "== $f" >&2; tail -20 "$f" >&2; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# 1. PostgreSQL. In production: any PostgreSQL 13 or newer, and
#    DATABASE_URL=postgres://herald:PASSWORD@db-host:5432/herald
eval "export $(scripts/pg-test-server start "$work/pg")"
export DATABASE_URL=$HERALD_TEST_DATABASE_URL

# 2. The site: the shipped articles, the replicas' config (store: ${DATABASE_URL}).
go build -o "$work/herald" ./cmd/herald
lb=$(free_port)
mkdir "$work/site"
cp -r articles "$work/site/"
sed "s|^base_url: .*|base_url: http://127.0.0.1:$lb/|" packaging/replicas/config.yaml >"$work/site/config.yaml"

# 3. Three replicas (on three machines in production; here three ports).
ports=()
for i in 1 2 3; do
  ports+=("$(free_port)")
  "$work/herald" serve --config "$work/site/config.yaml" --addr "127.0.0.1:${ports[-1]}" 2>"$work/herald$i.log" &
  pids+=($!)
done

# 4. nginx, round robin over the three.
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.log;
events {}
http {
  access_log off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  upstream herald {
    server 127.0.0.1:${ports[0]} max_fails=1 fail_timeout=5s;
    server 127.0.0.1:${ports[1]} max_fails=1 fail_timeout=5s;
    server 127.0.0.1:${ports[2]} max_fails=1 fail_timeout=5s;
  }
  server {
    listen 127.0.0.1:$lb;
    location / {
      proxy_pass http://herald;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 2s;
    }
  }
}
NGINX
mkdir "$work/tmp"
nginx -c "$work/nginx.conf" -p "$work" || fail "nginx did not start"

# Checks.
url=http://127.0.0.1:$lb
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/world.rss")" = 200 ] && break
  sleep 0.2
done
etags() { for _ in $(seq 9); do curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' "$url/$1" | tr -d '\r' | grep -i '^etag:'; done | sort -u; }
for path in world.rss world.atom world.json index.html; do
  n=$(etags "$path" | wc -l)
  [ "$n" = 1 ] || fail "$path: $n different ETags through the balancer"
done
sums=$(for p in "${ports[@]}"; do curl -s "http://127.0.0.1:$p/world.rss" | sha256sum; done | sort -u | wc -l)
[ "$sums" = 1 ] || fail "the replicas serve different world.rss bytes"
before=$(etags world.rss)

leader=
for i in 0 1 2; do
  curl -s "http://127.0.0.1:${ports[$i]}/healthz" | grep -q '"role":"leader"' && leader=$i
done
[ -n "$leader" ] || fail "no replica leads"
kill -9 "${pids[$leader]}"
wait "${pids[$leader]}" 2>/dev/null || true # (bash would report the kill)
start=$(date +%s%3N)
took=
for _ in $(seq 150); do
  for i in 0 1 2; do
    [ "$i" = "$leader" ] && continue
    if curl -s "http://127.0.0.1:${ports[$i]}/healthz" | grep -q '"role":"leader"'; then
      took=$(( $(date +%s%3N) - start ))
      break 2
    fi
  done
  sleep 0.1
done
[ -n "$took" ] && [ "$took" -le 15000 ] || fail "no replica took over within 15 s"
[ "$(etags world.rss)" = "$before" ] || fail "world.rss changed ETag through the balancer after the leader died"
# With FEEDCHECK set (.ci/run), the independent validators read the
# feeds through the balancer too.
if [ -n "${FEEDCHECK:-}" ]; then "$FEEDCHECK" "$url" world; fi
echo "replicas: 3 replicas behind nginx serve one ETag per feed; a new leader ${took} ms after SIGKILL; ok"
