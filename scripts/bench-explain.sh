#!/usr/bin/env bash
# Wall time of `roster explain` of one person against `roster eval` of everyone, same run.
#
#   scripts/bench-explain.sh [SIZES...]      (default: 100000)
#
# Each size is generated with `roster generate` (default settings) into target/bench-eval/N,
# as scripts/bench-eval.sh does. Then, as of the generator's reference date: `eval` with the
# Markdown summary, and `explain` (human, concise) of the first, the middle and the last
# identity in key order, found by key, and of the middle one found by user name (a computed
# attribute, a `Coalesce` of HR fields: computed only for the people whose records hold the
# name, then explained as by key). The ratio is explain / eval. The generated policy set uses
# SelectUniqueValue, so explain evaluates the key-order prefix that ends with the person; the
# line count of each explanation is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then sizes=(100000); else sizes=("$@"); fi
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
bin=target/release/roster
t() { /usr/bin/time -f '%e' -o "$1" "${@:2}" >"$1.out" 2>/dev/null || true; tail -1 "$1"; }
printf '%-10s %-22s %8s %8s %8s %7s\n' identities run seconds eval_s ratio lines
for n in "${sizes[@]}"; do
  dir=target/bench-eval/$n
  [ -d "$dir/policies" ] || "$bin" generate --identities "$n" --out "$dir" 2>/dev/null
  eval_s=$(t "$dir.eval.t" "$bin" eval "$dir/policies" --as-of 2026-01-01 --format markdown)
  keys=$(cut -d, -f1 "$dir/data/employees.csv" | tail -n +2 | tr -d '"' | sort)
  first=$(head -1 <<<"$keys"); last=$(tail -1 <<<"$keys")
  middle=$(sed -n "$(( $(wc -l <<<"$keys") / 2 ))p" <<<"$keys")
  user=$(grep "^\"$middle\"" "$dir/data/employees.csv" | cut -d, -f4 | tr -d '"')
  for run in "first:$first" "middle:$middle" "last:$last" "by-user-name:$user"; do
    name=${run%%:*}; who=${run#*:}
    s=$(t "$dir.explain.t" "$bin" explain "$who" "$dir/policies" --as-of 2026-01-01)
    lines=$(wc -l <"$dir.explain.t.out")
    printf '%-10s %-22s %8s %8s %8s %7s\n' "$n" "explain $name" "$s" "$eval_s" \
      "$(awk -v a="$s" -v b="$eval_s" 'BEGIN { printf "%.2f", a / b }')" "$lines"
  done
done
