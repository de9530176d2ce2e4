#!/bin/sh
# Fills fuzz/corpus/<target>/ with seeds: the hand-written files in fuzz/seeds/ and inputs taken
# from the repository (policy files, the expressions and rules of tests/cases, the example HR
# exports). Run from anywhere; existing corpus files are kept.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
corpus="$fuzz/corpus"
for t in policy expr rule csv json scim; do mkdir -p "$corpus/$t"; done
cp "$fuzz"/seeds/csv/* "$corpus/csv/"
cp "$fuzz"/seeds/json/* "$corpus/json/"
cp "$fuzz"/seeds/scim/* "$corpus/scim/"

# Policy files: the example, and every lint and eval corpus file.
n=0
for f in "$repo"/policies/*.yaml "$repo"/tests/lint/*/*.yaml "$repo"/tests/eval/*/*.yaml; do
  n=$((n + 1))
  cp "$f" "$corpus/policy/repo-$n.yaml"
done

# Expressions and rules: one per case line (`expr: '...'` / `rule: '...'`), the YAML quoting
# stripped roughly (seeds need not be exact), then a NUL and an input object.
extract() { # key, prefix, files...: writes $out/<prefix>-N, each followed by $input
  key=$1; prefix=$2; shift 2
  n=0
  sed -n "s/^ *-\{0,1\} *$key: *//p" "$@" | sed "s/^'\(.*\)'\$/\1/; s/''/'/g" | while IFS= read -r line; do
    n=$((n + 1))
    { printf '%s' "$line"; printf '\000'; cat "$input"; } > "$out/$prefix-$n"
  done
}
out="$corpus/expr" input="$repo/examples/john-smith.json" extract expr cases "$repo"/tests/cases/expr/*.yaml
out="$corpus/expr" input="$repo/examples/john-smith.json" extract expression policies "$repo"/policies/*.yaml
out="$corpus/rule" input="$repo/examples/john-smith-directory.json" extract rule cases "$repo"/tests/cases/rule/*.yaml "$repo"/policies/*.yaml

# HR exports: the first byte picks the CSV delimiter (0 is `,`).
for f in "$repo"/examples/data/*.csv; do
  { printf '\000'; cat "$f"; } > "$corpus/csv/$(basename "$f")"
done
for t in policy expr rule csv json scim; do
  echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
