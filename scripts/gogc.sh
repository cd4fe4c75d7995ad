#!/usr/bin/env bash
# Measures `herald generate` (cold, into an empty folder) on N articles at
# several GOGC values: wall and CPU seconds and peak resident memory (GNU
# time). Works in /dev/shm when it exists, so disk speed does not drown
# the difference.
#   bash scripts/gogc.sh [N] [GOGC values...]     e.g. bash scripts/gogc.sh 50000 100 200 400
set -euo pipefail
n=${1:-50000}; shift || true
values=${*:-"100 200 400"}
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )")
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/.."
go build -o "$work/herald" ./cmd/herald
mkdir -p "$work/articles"
awk -v n="$n" -v dir="$work/articles" 'BEGIN {
  para = "Harbour officials said the new ferry schedule would add evening crossings through the summer, "
  para = para "while residents asked for more frequent buses to the terminal and a quieter night service. "
  for (i = 0; i < n; i++) {
    f = sprintf("%s/story-%06d.txt", dir, i)
    printf "Story number %d about the harbour\n\n", i > f
    for (p = 0; p < 10; p++) printf "%s%d\n\n", para, p > f
    close(f)
  }
}'
cat > "$work/config.yaml" <<CFG
title: Bench
base_url: http://localhost:8080/
sources:
  - {name: articles, type: files, path: ./articles}
feeds:
  - {name: all, title: All, sources: [articles], limit: 10000}
CFG
printf '%-6s %8s %8s %10s\n' GOGC wall_s cpu_s peak_MB
for g in $values; do
  for run in 1 2; do
    rm -rf "$work/out"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" env GOGC="$g" "$work/herald" generate --config "$work/config.yaml" --out "$work/out" >/dev/null 2>&1
    read -r secs user sys kb < "$work/time"
    printf '%-6s %8s %8.2f %10d\n' "$g" "$secs" "$(echo "$user + $sys" | bc)" $((kb / 1024))
  done
done
