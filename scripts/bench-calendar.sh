#!/usr/bin/env bash
# Wall time and peak memory of a one-year `roster calendar` against one `roster eval`, on
# generated organisations, measured in the same run.
#
#   scripts/bench-calendar.sh [SIZES...]      (default: 200000 1000000)
#
# Each size is generated with `roster generate --identities N` (its default settings: workflows,
# reviews, access packages and the lifecycle over the reference date 2026-01-01) into
# target/bench-calendar/N, or reused when already there. Then, in the same run:
#
#   eval:      roster eval POLICIES --as-of 2026-01-01 --format markdown       (the baseline)
#   calendar:  roster calendar POLICIES --from 2026-01-01 --to 2026-12-31 --format json
#
# The calendar evaluates the population once (as of --from), then schedules every event of
# the year: lifecycle transitions, workflow runs with their tasks, assignment expiries, review
# instances. Target: at most 2x the time of eval. Both exit 1 on the generated data's
# deliberate defects: that is expected.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then sizes=(200000 1000000); else sizes=("$@"); fi
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
bin=target/release/roster
printf '%-10s %9s %9s %9s %9s %8s %8s %9s\n' identities eval_s cal_s eval_MiB cal_MiB time_x mem_x events
for n in "${sizes[@]}"; do
  dir=target/bench-calendar/$n
  mkdir -p target/bench-calendar
  [ -d "$dir/policies" ] || "$bin" generate --identities "$n" --out "$dir" 2>/dev/null
  /usr/bin/time -o "$dir.eval.time" -f '%e %M' "$bin" eval "$dir/policies" --as-of 2026-01-01 --format markdown >/dev/null 2>&1 || true
  /usr/bin/time -o "$dir.cal.time" -f '%e %M' "$bin" calendar "$dir/policies" --from 2026-01-01 --to 2026-12-31 --format json >"$dir.cal.json" 2>"$dir.cal.err" || true
  e=$(tail -1 "$dir.eval.time"); c=$(tail -1 "$dir.cal.time")
  es=${e% *}; ek=${e#* }; cs=${c% *}; ck=${c#* }
  events=$(grep -m1 -o '"events": [0-9]*' "$dir.cal.json" | grep -o '[0-9]*$' || echo "?")
  printf '%-10s %9s %9s %9s %9s %8s %8s %9s\n' "$n" "$es" "$cs" "$((ek / 1024))" "$((ck / 1024))" \
    "$(awk -v a="$cs" -v b="$es" 'BEGIN { printf "%.2fx", a / b }')" \
    "$(awk -v a="$ck" -v b="$ek" 'BEGIN { printf "%.2fx", a / b }')" "$events"
done
