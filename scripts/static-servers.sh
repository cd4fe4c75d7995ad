#!/usr/bin/env bash
# Serves the folder `herald generate` writes with the README's nginx and
# Caddy snippets (packaging/static/) exactly as written, but for the folder
# and port, and checks what a browser and a feed reader get: the feed
# types with charset=utf-8, the pages, the hidden files denied. Needs nginx
# and caddy (Debian's); run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
chmod 755 "$work" # nginx's workers read the folder as another user
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "static-servers.sh: $*"; for l in "$work"/*.log; do [ -f "$l" ] && cat "$l"; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

go build -o "$work/herald" ./cmd/herald
mkdir -p "$work/site"
cp config.yaml "$work/site/" && cp -r articles "$work/site/"
# A limit of 1 item, so archive documents exist too.
sed -i 's/^    limit: 50 .*$/    limit: 1/' "$work/site/config.yaml"
"$work/herald" generate --config "$work/site/config.yaml" --out "$work/public" >/dev/null 2>&1
[ -f "$work/public/archive/world-1.rss" ] || fail "no archive document"
chmod -R a+rX "$work/public"
[ -f "$work/public/.herald-files" ] || fail "generate wrote no manifest to deny"
page=$(cd "$work/public" && ls articles/*.html | head -1)

# check PORT: the responses of a server of the folder.
check() {
  local base="http://127.0.0.1:$1" path want ctype code
  for _ in $(seq 50); do curl -sf "$base/index.html" -o /dev/null && break; sleep 0.1; done
  while read -r path want; do
    ctype=$(curl -s -o /dev/null -w '%{content_type}' "$base/$path")
    [ "$ctype" = "$want" ] || fail "$2: /$path is served as \"$ctype\", want \"$want\""
  done <<EOF
world.rss application/xml; charset=utf-8
world.atom application/xml; charset=utf-8
world.json application/feed+json; charset=utf-8
feeds.opml text/x-opml; charset=utf-8
index.html text/html; charset=utf-8
world.html text/html; charset=utf-8
$page text/html; charset=utf-8
EOF
  curl -s -D "$work/h" -o /dev/null "$base/world.rss"
  grep -qi "^content-security-policy: default-src 'none'; style-src 'self'" "$work/h" || fail "$2: world.rss has no feed policy"
  grep -qi '^x-content-type-options: nosniff' "$work/h" || fail "$2: world.rss has no nosniff"
  # A browser navigating to the feed's address gets its page; a reader
  # with a browser-like Accept but no navigation, the feed.
  local nav="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
  curl -s -D "$work/h" -o "$work/view" -H "Accept: $nav" -H 'Sec-Fetch-Dest: document' "$base/world.rss"
  grep -q '<h1>' "$work/view" || fail "$2: a browser navigating to world.rss does not get the feed's page"
  grep -qi '^content-type: text/html; charset=utf-8' "$work/h" || fail "$2: the feed's page at world.rss is not text/html"
  curl -s -o "$work/view" -H "Accept: $nav" "$base/world.rss"
  grep -q '<item>' "$work/view" || fail "$2: a request without Sec-Fetch-Dest does not get the feed"
  curl -s -D "$work/h" -o "$work/view" -H "Accept: $nav" -H 'Sec-Fetch-Dest: document' "$base/archive/world-1.rss"
  grep -q '<item>' "$work/view" || fail "$2: an archive document is not served as the feed"
  curl -s -D "$work/h" -o /dev/null "$base/index.html"
  grep -qi "^content-security-policy: frame-ancestors 'none'" "$work/h" || fail "$2: index.html may be framed"
  for path in .herald-files .herald-lock; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/$path")
    [ "$code" = 404 ] || fail "$2: /$path answers $code, want 404"
  done
  curl -s "$base/world.rss" -o "$work/world.rss"
  grep -q '<item>' "$work/world.rss" || fail "$2: world.rss has no item"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/")" = 200 ] || fail "$2: / does not answer 200"
  echo "$2: feed types with charset=utf-8, Herald's security headers, pages, hidden files denied"
}

echo "== nginx with packaging/static/nginx.conf"
port=$(free_port)
sed -e "s|/srv/herald/public|$work/public|" -e "s|listen 8080;|listen 127.0.0.1:$port;|" packaging/static/nginx.conf >"$work/server.conf"
cat >"$work/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/nginx.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    include $work/server.conf;
}
EOF
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pid=$!
check "$port" nginx
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

echo "== caddy with packaging/static/Caddyfile"
port=$(free_port)
# admin off: no second listener on this shared machine's localhost:2019.
{ printf '{\n\tadmin off\n}\n'; sed -e "s|/srv/herald/public|$work/public|" -e "s|^:8080 {|http://127.0.0.1:$port {|" packaging/static/Caddyfile; } >"$work/Caddyfile"
HOME=$work XDG_DATA_HOME=$work XDG_CONFIG_HOME=$work caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
pid=$!
check "$port" caddy
