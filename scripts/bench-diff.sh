#!/usr/bin/env bash
# Wall time and peak memory of `roster diff` of a one-rule change against one `roster eval`, on
# generated organisations, measured in the same run.
#
#   scripts/bench-diff.sh [SIZES...]      (default: 100000 1000000)
#
# Each size is generated with `roster generate` (default settings) into target/bench-diff/N;
# a copy of its policies with one group rule changed goes to target/bench-diff/N/policies-new.
# The baseline is `roster eval` of the new policy set (Markdown summary, so that writing does
# not dominate); the figure is `roster diff policies policies-new --format markdown`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then sizes=(100000 1000000); else sizes=("$@"); fi
cargo build --release --quiet
bin=target/release/roster
printf '%-10s %10s %10s %10s %10s %8s %8s\n' identities eval_s eval_MiB diff_s diff_MiB time mem
for n in "${sizes[@]}"; do
  dir=target/bench-diff/$n
  [ -d "$dir/policies" ] || "$bin" generate --identities "$n" --out "$dir" 2>/dev/null
  rm -rf "$dir/policies-new" && cp -r "$dir/policies" "$dir/policies-new"
  # One rule: the first `-eq` of the groups file becomes `-ne`.
  file=$(grep -l -- '-eq' "$dir"/policies-new/*.yaml | head -1)
  sed -i '0,/ -eq / s// -ne /' "$file"
  /usr/bin/time -o "$dir.eval.time" -f '%e %M' "$bin" eval "$dir/policies-new" --as-of 2026-01-01 --format markdown >/dev/null 2>&1 || true
  /usr/bin/time -o "$dir.diff.time" -f '%e %M' "$bin" diff "$dir/policies" "$dir/policies-new" --as-of 2026-01-01 --format markdown >"$dir.diff.md" 2>/dev/null || true
  e=$(tail -1 "$dir.eval.time"); d=$(tail -1 "$dir.diff.time")
  es=${e% *}; ek=${e#* }; ds=${d% *}; dk=${d#* }
  printf '%-10s %10s %10s %10s %10s %8s %8s\n' "$n" "$es" "$((ek / 1024))" "$ds" "$((dk / 1024))" \
    "$(awk -v a="$ds" -v b="$es" 'BEGIN { printf "%.2fx", a / b }')" \
    "$(awk -v a="$dk" -v b="$ek" 'BEGIN { printf "%.2fx", a / b }')"
done
