#!/usr/bin/env bash
# The leader's host vanishes (a network partition: no FIN, no RST), not
# just its process. Two `herald serve` replicas share a PostgreSQL: A in
# a network namespace of its own, reaching the database over a veth
# pair, B beside the database. A leads; then the veth goes down. It
# checks that B leads within 15 s (PostgreSQL frees the lock of a silent
# session through TCP keepalives), that A stops leading, says "degraded"
# and goes on serving the same bytes, and that A follows again by itself
# once the network is back. Prints the times it measured.
#
#   sudo bash scripts/partition.sh      # root: network namespaces; iproute2, PostgreSQL, curl
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "partition: needs root for network namespaces" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
ns=herald-part-$$
vh=hpart$$h
vr=hpart$$r
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/pg-test-server stop "$work/pg" >/dev/null 2>&1 || true
  ip link del "$vh" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "partition: $*" >&2; for f in "$work"/*.log; do echo "== $f" >&2; tail -15 "$f" >&2; done; exit 1; }
ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
in_ns() { ip netns exec "$ns" "$@"; }
role() { "$@" -s -m 1 2>/dev/null | grep -o '"role":"[a-z]*"' | cut -d'"' -f4; }

# A's host: a namespace joined to this one by a veth pair.
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vr"
ip link set "$vr" netns "$ns"
ip addr add 10.213.0.1/24 dev "$vh"
ip link set "$vh" up
in_ns ip addr add 10.213.0.2/24 dev "$vr"
in_ns ip link set "$vr" up
in_ns ip link set lo up

pgenv=$(PG_TEST_LISTEN=10.213.0.1/24 scripts/pg-test-server start "$work/pg")
db=${pgenv#*=}
go build -o "$work/herald" ./cmd/herald
mkdir -p "$work/site/articles"
printf 'A story\n\nIts text.\n' >"$work/site/articles/a.txt"
cat >"$work/site/b.yaml" <<YAML
title: Partition
base_url: http://news.example/
store: $db
schedule: "@every 1s"
sources:
  - {name: notes, type: files, path: ./articles}
feeds:
  - {name: world, title: World, sources: [notes]}
YAML
sed "s|@127.0.0.1:|@10.213.0.1:|" "$work/site/b.yaml" >"$work/site/a.yaml"

# ip execs herald: $! is herald's own PID, for cleanup to kill.
ip netns exec "$ns" "$work/herald" serve --config "$work/site/a.yaml" --addr 10.213.0.2:8080 >/dev/null 2>"$work/a.log" &
pids+=($!)
a=(in_ns curl http://10.213.0.2:8080/healthz)
for _ in $(seq 100); do [ "$(role "${a[@]}")" = leader ] && break; sleep 0.1; done
[ "$(role "${a[@]}")" = leader ] || fail "A does not lead"
port=$(free_port)
"$work/herald" serve --config "$work/site/b.yaml" --addr "127.0.0.1:$port" >/dev/null 2>"$work/b.log" &
pids+=($!)
b=(curl "http://127.0.0.1:$port/healthz")
for _ in $(seq 100); do [ "$(role "${b[@]}")" = follower ] && break; sleep 0.1; done
[ "$(role "${b[@]}")" = follower ] || fail "B does not follow"
etag() { "$@" -s -m 1 -o /dev/null -D - | tr -d '\r' | grep -i '^etag:'; }
for _ in $(seq 100); do [ -n "$(etag curl "http://127.0.0.1:$port/world.rss")" ] && break; sleep 0.1; done
tag=$(etag in_ns curl http://10.213.0.2:8080/world.rss || true) # none: the check below says so
[ -n "$tag" ] && [ "$tag" = "$(etag curl "http://127.0.0.1:$port/world.rss")" ] || fail "A and B serve different ETags before the partition"

ip link set "$vh" down
start=$(ms)
a_follows=
b_leads=
while [ -z "$a_follows" ] || [ -z "$b_leads" ]; do
  now=$(($(ms) - start))
  [ "$now" -gt 20000 ] && break
  if [ -z "$a_follows" ] && [ "$(role "${a[@]}")" = follower ]; then a_follows=$now; fi
  if [ -z "$b_leads" ] && [ "$(role "${b[@]}")" = leader ]; then b_leads=$now; fi
  sleep 0.1
done
[ -n "$b_leads" ] && [ "$b_leads" -le 15000 ] || fail "B did not lead within 15 s of the partition (${b_leads:-never})"
[ -n "$a_follows" ] || fail "A still leads, cut off from the database"
in_ns curl -s -m 1 http://10.213.0.2:8080/healthz | grep -q '"status":"degraded"' || fail "A, cut off, does not say degraded"
[ "$(etag in_ns curl http://10.213.0.2:8080/world.rss)" = "$tag" ] || fail "A, cut off, stopped serving world.rss as it was"

ip link set "$vh" up
start=$(ms)
until in_ns curl -s -m 1 http://10.213.0.2:8080/healthz | grep -q '"status":"ok"'; do
  [ $(($(ms) - start)) -gt 30000 ] && fail "A did not reconnect within 30 s of the network's return"
  sleep 0.2
done
back=$(($(ms) - start))
[ "$(role "${a[@]}")" = follower ] || fail "A leads again beside B"
echo "partition: A stopped leading after ${a_follows} ms and B led after ${b_leads} ms (bound 15000); A served on, degraded, and was ok again ${back} ms after the network came back; ok"
