#!/usr/bin/env bash
# Wall time and peak memory of `roster eval` on generated organisations.
#
#   scripts/bench-eval.sh [SIZES...]      (default: 10000 100000 1000000)
#
# Each size is generated with `roster generate` (default settings: 500 mappings, 2,000 group
# rules, 200 access packages, three targets) into target/bench-eval/N, then evaluated as of the
# generator's reference date with the Markdown summary as output, so that the figure measures
# evaluation rather than writing a multi-gigabyte report. The baseline, measured in the same run,
# is `roster lint` of the same policy set (load and check, no data): the ratio says what reading
# the HR files and evaluating the population add.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 100000 1000000}")
[ $# -eq 0 ] && sizes=(10000 100000 1000000)
cargo build --release --quiet
bin=target/release/roster
printf '%-10s %12s %12s %14s %10s\n' identities eval_s peak_MiB lint_s ratio
for n in "${sizes[@]}"; do
  dir=target/bench-eval/$n
  [ -d "$dir/policies" ] || "$bin" generate --identities "$n" --out "$dir" 2>/dev/null
  lint=$( { /usr/bin/time -f '%e' "$bin" lint "$dir/policies" >/dev/null; } 2>&1 | tail -1 )
  out=$( { /usr/bin/time -f '%e %M' "$bin" eval "$dir/policies" --as-of 2026-01-01 --format markdown >/dev/null; } 2>&1 | tail -1 )
  secs=${out% *}; kib=${out#* }
  printf '%-10s %12s %12s %14s %10s\n' "$n" "$secs" "$((kib / 1024))" "$lint" "$(awk -v a="$secs" -v b="$lint" 'BEGIN { printf "%.1fx", a / b }')"
done
