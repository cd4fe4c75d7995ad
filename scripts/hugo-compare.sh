#!/usr/bin/env bash
# Herald's cold `generate` beside Hugo's build of the same N Markdown
# articles (front matter, a few paragraphs): each builds an RSS feed and
# one HTML page per article into an empty folder (Herald also its Atom
# and JSON Feed, its archives and an empty store). The two alternate,
# PAIRS times, so both meet the same machine; prints each run and the
# medians: wall seconds, user and system CPU seconds, Herald's wall time
# as a ratio of Hugo's, and Herald's system time as a share of its CPU.
# Needs hugo on PATH (go install github.com/gohugoio/hugo@v0.140.2 builds
# with Go 1.26); works in /dev/shm when it exists.
#   bash scripts/hugo-compare.sh [N] [PAIRS]      e.g. bash scripts/hugo-compare.sh 10000 5
# With STRACE=1 it also prints `strace -c -f` of one cold Herald run.
set -euo pipefail
n=${1:-10000}
pairs=${2:-5}
command -v hugo >/dev/null || { echo "hugo is not on PATH"; exit 1; }
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )")
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/.."
go build -o "$work/herald" ./cmd/herald

# The same files for both: Hugo reads content/posts, Herald the same folder.
posts="$work/hugo/content/posts"
mkdir -p "$posts" "$work/hugo/layouts/_default"
awk -v n="$n" -v dir="$posts" 'BEGIN {
  para = "Harbour officials said the new ferry schedule would add evening crossings through the summer, "
  para = para "while residents asked for more frequent buses to the terminal and a quieter night service."
  for (i = 0; i < n; i++) {
    f = sprintf("%s/note-%06d.md", dir, i)
    printf "---\ntitle: \"Note %d about the harbour\"\ndate: 2026-01-%02dT%02d:%02d:00Z\n---\n\n", i, 1 + i % 28, i % 24, i % 60 > f
    for (p = 0; p < 4; p++) printf "%s Paragraph %d, with **bold** and [a link](https://example.org/%d).\n\n", para, p, i > f
    close(f)
  }
}'
cat > "$work/hugo/hugo.toml" <<CFG
baseURL = "http://localhost:8080/"
title = "Bench"
disableKinds = ["taxonomy", "term"]
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML"]
[services.rss]
  limit = 50
CFG
cat > "$work/hugo/layouts/_default/single.html" <<'TPL'
<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>
TPL
cat > "$work/hugo/layouts/_default/list.html" <<'TPL'
<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body>{{ range first 50 .Site.RegularPages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</body></html>
TPL
cat > "$work/herald.yaml" <<CFG
title: Bench
base_url: http://localhost:8080/
data_dir: ./data
sources:
  - {name: posts, type: files, path: ./hugo/content/posts}
feeds:
  - {name: all, title: All, sources: [posts], limit: 50}
CFG

herald_run() {
  rm -rf "$work/data" "$work/out-herald"
  /usr/bin/time -f "%e %U %S" -o "$work/t" "$work/herald" generate --config "$work/herald.yaml" --out "$work/out-herald" >/dev/null 2>&1
  cat "$work/t"
}
hugo_run() {
  rm -rf "$work/out-hugo" "$work/hugo/resources"
  /usr/bin/time -f "%e %U %S" -o "$work/t" hugo --quiet --source "$work/hugo" --destination "$work/out-hugo" --noBuildLock >/dev/null 2>&1
  cat "$work/t"
}

herald_run >/dev/null # warm the page cache for both
hugo_run >/dev/null
[ -s "$work/out-herald/all.rss" ] && [ -s "$work/out-hugo/index.xml" ] || { echo "a build wrote no feed"; exit 1; }
echo "herald: $(find "$work/out-herald" -type f | wc -l) files; hugo: $(find "$work/out-hugo" -type f | wc -l) files"

printf '%-5s %-7s %7s %7s %7s\n' pair tool wall_s user_s sys_s
: >"$work/herald.runs"; : >"$work/hugo.runs"
for i in $(seq "$pairs"); do
  # Alternate which goes first, so neither always meets a warmer machine.
  if [ $((i % 2)) -eq 1 ]; then order="herald hugo"; else order="hugo herald"; fi
  for tool in $order; do
    r=$(${tool}_run)
    echo "$r" >>"$work/$tool.runs"
    read -r w u s <<<"$r"
    printf '%-5s %-7s %7s %7s %7s\n' "$i" "$tool" "$w" "$u" "$s"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for tool in herald hugo; do
  for col in 1 2 3; do
    eval "${tool}_$col=$(cut -d' ' -f$col "$work/$tool.runs" | median)"
  done
done
echo "medians of $pairs pairs: herald ${herald_1}s wall (${herald_2}s user, ${herald_3}s sys); hugo ${hugo_1}s wall (${hugo_2}s user, ${hugo_3}s sys)"
awk -v a="$herald_1" -v b="$hugo_1" -v u="$herald_2" -v s="$herald_3" 'BEGIN {
  printf "herald/hugo wall: %.2f; herald system time: %.0f%% of its CPU\n", a / b, 100 * s / (u + s)
}'
# Per pair too: the ratio's spread says whether "reliably" holds.
paste -d' ' "$work/herald.runs" "$work/hugo.runs" | awk '{printf "%.2f ", $1 / $4} END {print "(per pair)"}'

if [ "${STRACE:-}" = 1 ]; then
  rm -rf "$work/data" "$work/out-herald"
  strace -c -f -o "$work/strace" "$work/herald" generate --config "$work/herald.yaml" --out "$work/out-herald" >/dev/null 2>&1
  head -25 "$work/strace"
fi
