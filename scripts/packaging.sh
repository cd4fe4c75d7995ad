#!/usr/bin/env bash
# Runs Herald as the container image and the systemd unit run it, since
# no container engine or init system runs on the machines that test it:
# the static binary the Dockerfile builds, in a root laid out as the
# image's COPY lines lay it (chroot), as the image's user, with its
# environment and command and a read-only /config; then the binary laid
# out as the unit's install steps say, as an unprivileged user, with the
# unit's ExecStart and Environment, and its state folder. Each must serve
# the bundled config.yaml, answer its health check and write nothing but
# its state folder. Needs root (chroot, other users). Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "packaging.sh: needs root (chroot and other users)"; exit 1; }
chroot=$(command -v chroot) # env -i below leaves no PATH

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fail() { echo "packaging.sh: $*"; [ -f "$work/log" ] && cat "$work/log"; exit 1; }

# wait_feed PORT: until world.rss answers with an item.
wait_feed() {
  for _ in $(seq 100); do
    if curl -sf "http://127.0.0.1:$1/world.rss" -o "$work/world.rss" && grep -q '<item>' "$work/world.rss"; then
      return 0
    fi
    sleep 0.1
  done
  fail "no feed with items on port $1"
}

# written_outside ROOT STATE: files under ROOT changed since $work/mark,
# other than under STATE.
written_outside() { find "$1" -newer "$work/mark" -not -path "$1$2" -not -path "$1$2/*" -print; }

echo "== the binary, built as the Dockerfile builds it (static)"
CGO_ENABLED=0 go build -trimpath -tags timetzdata -o "$work/herald" ./cmd/herald
if ldd "$work/herald" >/dev/null 2>&1; then fail "the binary is not static"; fi

echo "== the image: scratch, USER, ENV, CMD and HEALTHCHECK as the Dockerfile says"
img=$work/image
user=$(sed -n 's/^USER //p' Dockerfile)
env_line=$(sed -n 's/^ENV //p' Dockerfile)
[ -n "$user" ] && [ -n "$env_line" ] || fail "Dockerfile has no USER or ENV line"
mkdir -p "$img/etc/ssl/certs" "$img/config" "$img/data"
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$img/etc/ssl/certs/"
cp "$work/herald" "$img/herald"
cp config.yaml "$img/config/config.yaml"
cp -r articles "$img/config/articles"
chown "$user" "$img/data"
# compose mounts the config read-only: nothing there is writable to anyone.
chmod -R a-w "$img/config"
# CMD and HEALTHCHECK are JSON arrays: run them as written, on a free port
# instead of 8080 (this machine's network is shared with other tests).
read -r -a cmd < <(python3 -c 'import json,re,sys; t=open("Dockerfile").read(); print(" ".join(json.loads(re.search(r"^CMD (\[.*\])", t, re.M).group(1))))')
read -r -a hc < <(python3 -c 'import json,re,sys; t=open("Dockerfile").read(); print(" ".join(json.loads(re.search(r"CMD (\[\"/herald\", \"healthcheck\".*\])", t).group(1))))')
p=$(free_port)
cmd=("${cmd[@]/0.0.0.0:8080/0.0.0.0:$p}")
hc=("${hc[@]/127.0.0.1:8080/127.0.0.1:$p}")
touch "$work/mark"; sleep 1
env -i "$env_line" "$chroot" --userspec="$user" "$img" /herald "${cmd[@]}" 2>"$work/log" &
pid=$!
wait_feed "$p"
env -i "$env_line" "$chroot" --userspec="$user" "$img" "${hc[@]}" >/dev/null || fail "the image's health check failed"
env -i "$env_line" "$chroot" --userspec="$user" "$img" /herald check --config /config/config.yaml >/dev/null || fail "herald check as the image's user"
kill -TERM "$pid"; wait "$pid" || fail "serve did not exit cleanly"; pid=
[ -f "$img/data/herald.db" ] || fail "no database in /data"
out=$(written_outside "$img" /data)
[ -z "$out" ] || fail "the image's process wrote outside /data: $out"
echo "image: served world.rss as $user, health check ok, wrote only /data"

echo "== the unit: its install steps, ExecStart, Environment, an unprivileged user"
unit=packaging/herald.service
u=$work/unit
uid=61999 # a dynamic user's kind of uid, owning nothing else
mkdir -p "$u/usr/local/bin" "$u/etc/herald" "$u/var/lib/herald"
# The install steps of the unit's header, with the root moved to $u.
install -m 0755 "$work/herald" "$u/usr/local/bin/herald"
install -D -m 0644 config.yaml "$u/etc/herald/config.yaml"
cp -r articles "$u/etc/herald/" && chmod -R a+rX "$u/etc/herald/articles"
chown "$uid:$uid" "$u/var/lib/herald" # StateDirectory=herald
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit")
prevent=$(sed -n 's/^RestartPreventExitStatus=//p' "$unit")
[ -n "$exec_start" ] || fail "no ExecStart in $unit"
read -r -a start <<<"$exec_start"
p=$(free_port)
touch "$work/mark"; sleep 1
env -i "${unit_env[@]}" "$chroot" --userspec="$uid:$uid" "$u" "${start[@]}" --addr "127.0.0.1:$p" 2>"$work/log" &
pid=$!
wait_feed "$p"
kill -TERM "$pid"; wait "$pid" || fail "serve did not exit cleanly under the unit's settings"; pid=
[ -f "$u/var/lib/herald/herald.db" ] || fail "no database in /var/lib/herald"
out=$(written_outside "$u" /var/lib/herald)
[ -z "$out" ] || fail "the unit's process wrote outside /var/lib/herald: $out"
# A state folder it cannot write: its own exit status, one the unit does
# not restart on.
chown root:root "$u/var/lib/herald"; chmod 0755 "$u/var/lib/herald"
rm -f "$u/var/lib/herald/"*
set +e
env -i "${unit_env[@]}" "$chroot" --userspec="$uid:$uid" "$u" "${start[@]}" --addr "127.0.0.1:$p" 2>"$work/log"
code=$?
set -e
[ "$code" = 5 ] || fail "an unwritable state folder: exit $code, want 5"
case " $prevent " in *" 5 "*) ;; *) fail "RestartPreventExitStatus ($prevent) lacks 5";; esac
echo "unit: served world.rss as uid $uid, wrote only /var/lib/herald; an unwritable state folder exits 5, which the unit does not restart on"
