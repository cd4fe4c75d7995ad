#!/usr/bin/env bash
# bench-serve.sh compares `herald serve` with nginx serving the same feed
# bytes as a static file, on loopback, with wrk.
#
# It builds herald, generates 50 Markdown articles (fixed dates, so the
# output is reproducible), renders them once with `herald generate` for
# nginx (plus world.rss.gz for gzip_static), starts both servers on free
# loopback ports, checks each scenario's status with curl, then runs wrk
# against both and prints requests per second.
#
# Besides requests per second it reports each server's CPU time per request
# (user+system, from /proc), which says more than req/s when wrk and the
# servers share a small or busy machine; "cpu ratio" is nginx's CPU per
# request over herald's (above 1: herald spends less).
#
# Environment: DURATION (wrk duration, default 10s), THREADS (2),
# CONNECTIONS (64), ROUNDS (3; herald and nginx alternate round by round and
# the median round of each counts, so one lucky or unlucky round on a shared
# machine does not decide the ratio), KEEP=1 keeps the temporary folder.
# HERALD_FLAGS adds flags to `herald serve` (for example --no-fast-path).
# Needs root (or sudo) only to apt-get install wrk and nginx when missing.
set -euo pipefail

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '%s\n' "$*" >&2; }
die() { log "bench-serve: $*"; exit 1; }

# --- tools -----------------------------------------------------------------
nginx_bin() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }
if ! command -v wrk >/dev/null || [ -z "$(nginx_bin)" ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	log "installing wrk and nginx with apt-get"
	$SUDO apt-get update -qq
	# nginx-light has gzip_static and nothing we do not need; fall back to
	# the full package where it does not exist. policy-rc.d or the lack of
	# an init system keeps the distribution's nginx service from starting,
	# and our nginx uses its own config and port anyway.
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk nginx-light >/dev/null ||
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk nginx >/dev/null
fi
NGINX=$(nginx_bin)
[ -n "$NGINX" ] || die "nginx not found after install"
command -v curl >/dev/null || die "curl is required"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/herald-bench.XXXXXX")
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "${KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port"
}
HERALD_PORT=$(free_port)
NGINX_PORT=$(free_port)
[ "$HERALD_PORT" != "$NGINX_PORT" ] || NGINX_PORT=$(free_port)

# --- build and content ----------------------------------------------------
log "building herald"
(cd "$ROOT" && go build -o "$TMP/herald" ./cmd/herald)

# nginx's workers run as an unprivileged user when started as root: let them
# read the rendered files.
chmod 755 "$TMP"
mkdir -p "$TMP/articles" "$TMP/public"
# 50 articles of ~1.9 KB (world.rss comes out near 125 KB) of varied words; awk's srand(seed) makes them the same
# on every run.
awk -v dir="$TMP/articles" 'BEGIN {
	srand(42)
	n = split("river harbour council train station market festival school data map " \
		"volunteer coast winter budget museum library bridge energy farm forest " \
		"city night report weather season road water open public local archive " \
		"community study survey plan record history summer village port island", w, " ")
	for (i = 1; i <= 50; i++) {
		f = sprintf("%s/article-%02d.md", dir, i)
		printf "---\ntitle: Article %d about the %s and the %s\n", i, w[int(rand()*n)+1], w[int(rand()*n)+1] > f
		printf "date: 2026-01-%02dT%02d:00:00Z\nauthor: Bench Writer\n", (i % 28) + 1, i % 24 > f
		printf "summary: A generated article number %d for the serving benchmark.\n---\n\n", i > f
		len = 0
		while (len < 1850) {
			s = ""
			for (k = 0; k < 12; k++) s = s w[int(rand()*n)+1] " "
			s = toupper(substr(s, 1, 1)) substr(s, 2, length(s) - 2) ".\n\n"
			printf "%s", s > f
			len += length(s)
		}
		close(f)
	}
}'

CONFIG="$TMP/config.yaml"
cat >"$CONFIG" <<EOF
title: Herald bench
base_url: http://127.0.0.1:$HERALD_PORT/
description: Generated articles for bench-serve.sh
schedule: "@every 1h"
listen: 127.0.0.1:$HERALD_PORT
data_dir: $TMP/data
sources:
  - name: articles
    type: files
    path: $TMP/articles
feeds:
  - name: world
    title: World news
    description: Benchmark feed
    sources: [articles]
    limit: 50
EOF

log "rendering with herald generate"
"$TMP/herald" generate --config "$CONFIG" --out "$TMP/public" >"$TMP/generate.log" 2>&1 ||
	{ cat "$TMP/generate.log" >&2; die "herald generate failed"; }
[ -f "$TMP/public/world.rss" ] || die "herald generate wrote no world.rss"
gzip -9 -k "$TMP/public/world.rss"
RSS_SIZE=$(wc -c <"$TMP/public/world.rss")
GZ_SIZE=$(wc -c <"$TMP/public/world.rss.gz")
log "world.rss: $RSS_SIZE bytes, gzip -9: $GZ_SIZE bytes"

# --- nginx ----------------------------------------------------------------
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
	types {
		application/rss+xml rss;
		application/atom+xml atom;
		application/feed+json json;
		text/html html;
	}
	default_type application/octet-stream;
	charset utf-8;
	charset_types application/rss+xml application/atom+xml application/feed+json text/html;
	access_log off;
	sendfile on;
	tcp_nopush on;
	etag on;
	gzip off;
	gzip_static on;
	gzip_vary on;
	# nginx closes a keep-alive connection after 1000 requests by default;
	# Go never does, so lift the limit to compare serving, not reconnecting.
	keepalive_requests 1000000;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $TMP/public;
		autoindex off;
		add_header Cache-Control "public, max-age=900";
	}
}
EOF
"$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx.conf" 2>"$TMP/nginx/stderr.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

# --- herald ---------------------------------------------------------------
# shellcheck disable=SC2086 # HERALD_FLAGS is a list of flags
"$TMP/herald" serve --config "$CONFIG" --addr "127.0.0.1:$HERALD_PORT" ${HERALD_FLAGS:-} >"$TMP/herald.log" 2>&1 &
HERALD_PID=$!
PIDS+=("$HERALD_PID")

HERALD="http://127.0.0.1:$HERALD_PORT/world.rss"
NGINXURL="http://127.0.0.1:$NGINX_PORT/world.rss"

# wait_200 polls url until it answers 200 (herald answers 503 until its
# first collection has published).
wait_200() {
	local url=$1 name=$2 code
	for _ in $(seq 300); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
		[ "$code" = 200 ] && return
		sleep 0.1
	done
	log "--- $name log:"
	cat "$TMP/herald.log" "$TMP/nginx/error.log" "$TMP/nginx/stderr.log" 2>/dev/null >&2 || true
	die "$name did not answer 200 at $url (last status $code)"
}
wait_200 "$NGINXURL" nginx
wait_200 "$HERALD" herald

if ! curl -s "$HERALD" | cmp -s - "$TMP/public/world.rss"; then
	log "warning: herald serves different world.rss bytes than herald generate wrote"
fi

etag() { curl -s -o /dev/null -D - "$1" | tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }'; }
HERALD_ETAG=$(etag "$HERALD")
NGINX_ETAG=$(etag "$NGINXURL")
[ -n "$HERALD_ETAG" ] || die "herald sent no ETag"
[ -n "$NGINX_ETAG" ] || die "nginx sent no ETag"

# check url want_status want_encoding [header] verifies one scenario with curl.
check() {
	local url=$1 want=$2 wantenc=$3 hdr=${4:-} out code enc
	if [ -n "$hdr" ]; then
		out=$(curl -s -o /dev/null -D - -H "$hdr" "$url")
	else
		out=$(curl -s -o /dev/null -D - "$url")
	fi
	out=$(printf '%s' "$out" | tr -d '\r')
	code=$(printf '%s\n' "$out" | awk 'NR == 1 { print $2 }')
	enc=$(printf '%s\n' "$out" | awk 'tolower($1) == "content-encoding:" { print $2 }')
	[ "$code" = "$want" ] || die "$url with '$hdr': status $code, want $want"
	[ "$enc" = "$wantenc" ] || die "$url with '$hdr': Content-Encoding '$enc', want '$wantenc'"
}

# cpu_ticks pid... prints the user+system clock ticks used so far by the
# given processes and their children processes (nginx's workers).
cpu_ticks() {
	local pid all=() t=0 f
	for pid in "$@"; do
		all+=("$pid")
		while read -r f; do all+=("$f"); done < <(ps -o pid= --ppid "$pid" || true)
	done
	for pid in "${all[@]}"; do
		# Fields 14 and 15 of /proc/PID/stat, counted after the ")" that
		# ends the command name, which may itself contain spaces.
		f=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || f=0
		t=$((t + ${f:-0}))
	done
	echo "$t"
}
CLK_TCK=$(getconf CLK_TCK)

# measure url pid [header] runs wrk and prints "req/s cpu_us_per_request".
measure() {
	local url=$1 pid=$2 hdr=${3:-} out before after
	local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION")
	[ -z "$hdr" ] || args+=(-H "$hdr")
	before=$(cpu_ticks "$pid")
	out=$(wrk "${args[@]}" "$url")
	after=$(cpu_ticks "$pid")
	printf '%s\n' "$out" >>"$TMP/wrk.log"
	if printf '%s\n' "$out" | grep -q -E 'Non-2xx|Socket errors'; then
		log "warning: wrk reported errors for $url: $(printf '%s\n' "$out" | grep -E 'Non-2xx|Socket errors')"
	fi
	printf '%s\n' "$out" | awk -v ticks=$((after - before)) -v hz="$CLK_TCK" '
		/requests in/ { n = $1 }
		/^Requests\/sec:/ { rps = $2 }
		END { printf "%.0f %.1f\n", rps, (n > 0 ? ticks / hz * 1e6 / n : 0) }'
}

# median prints the median of the numbers on stdin (the mean of the middle
# two for an even count).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# medians reads "req/s cpu" rounds on stdin and prints the median of each
# column, taken separately.
medians() {
	local rows
	rows=$(cat)
	printf '%s %s\n' "$(printf '%s\n' "$rows" | awk '{ print $1 }' | median)" \
		"$(printf '%s\n' "$rows" | awk '{ print $2 }' | median)"
}

ROWS=()
run() {
	local name=$1 want=$2 enc=$3 hh=$4 nh=$5 h=() n=() hb nb r
	check "$HERALD" "$want" "$enc" "$hh"
	check "$NGINXURL" "$want" "$enc" "$nh"
	for r in $(seq "$ROUNDS"); do
		log "wrk: $name round $r/$ROUNDS (herald, then nginx)"
		h+=("$(measure "$HERALD" "$HERALD_PID" "$hh")")
		n+=("$(measure "$NGINXURL" "$NGINX_PID" "$nh")")
	done
	log "  herald rounds: $(printf '%s; ' "${h[@]}")"
	log "  nginx rounds:  $(printf '%s; ' "${n[@]}")"
	hb=$(printf "%s\n" "${h[@]}" | medians)
	nb=$(printf "%s\n" "${n[@]}" | medians)
	ROWS+=("$(awk -v s="$name" -v h="$hb" -v n="$nb" 'BEGIN {
		split(h, a, " "); split(n, b, " ")
		printf "%-8s %13.0f %13.0f %7.2f %14.1f %14.1f %9.2f", s, a[1], b[1], (b[1] > 0 ? a[1] / b[1] : 0), a[2], b[2], (a[2] > 0 ? b[2] / a[2] : 0)
	}')")
}

run 200 200 "" "" ""
run gzip 200 gzip "Accept-Encoding: gzip" "Accept-Encoding: gzip"
run 304 304 "" "If-None-Match: $HERALD_ETAG" "If-None-Match: $NGINX_ETAG"

printf '\nworld.rss %s bytes (gzip %s); wrk -t%s -c%s -d%s, median of %s alternating rounds, on %s CPUs%s\n' \
	"$RSS_SIZE" "$GZ_SIZE" "$THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS" "$(nproc)" "${HERALD_FLAGS:+; herald $HERALD_FLAGS}"
printf '%-8s %13s %13s %7s %14s %14s %9s\n' scenario "herald req/s" "nginx req/s" "ratio" "herald cpu µs" "nginx cpu µs" "cpu ratio"
printf '%s\n' "${ROWS[@]}"
