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
if [ $# -eq 0 ]; then sizes=(10000 100000 1000000); else sizes=("$@"); fi
cargo build --release --quiet
bin=target/release/roster
printf '%-10s %12s %12s %14s %10s\n' identities eval_s peak_MiB lint_s ratio
for n in "${sizes[@]}"; do
  dir=target/bench-eval/$n
  [ -d "$dir/policies" ] || "$bin" generate --identities "$n" --out "$dir" 2>/dev/null
  # The generated data carries deliberate defects, so eval exits 1 (data errors): that is expected.
  /usr/bin/time -o "$dir.lint.time" -f '%e' "$bin" lint "$dir/policies" >/dev/null 2>&1 || true
  /usr/bin/time -o "$dir.eval.time" -f '%e %M' "$bin" eval "$dir/policies" --as-of 2026-01-01 --format markdown >"$dir.summary.md" 2>/dev/null || true
  lint=$(tail -1 "$dir.lint.time")
  out=$(tail -1 "$dir.eval.time")
  secs=${out% *}; kib=${out#* }
  printf '%-10s %12s %12s %14s %10s\n' "$n" "$secs" "$((kib / 1024))" "$lint" "$(awk -v a="$secs" -v b="$lint" 'BEGIN { printf "%.1fx", a / b }')"
done
