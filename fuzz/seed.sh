#!/bin/sh
# Fills fuzz/corpus/<target>/ with seeds: the hand-written files in fuzz/seeds/ and inputs taken
# from the repository (policy files, the expressions and rules of tests/cases, the example HR
# exports). Run from anywhere; existing corpus files are kept.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
corpus="$fuzz/corpus"
for t in policy expr rule csv json scim actual; do mkdir -p "$corpus/$t"; done
cp "$fuzz"/seeds/csv/* "$corpus/csv/"
cp "$fuzz"/seeds/json/* "$corpus/json/"
cp "$fuzz"/seeds/scim/* "$corpus/scim/"
cp "$fuzz"/seeds/actual/* "$corpus/actual/"

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
# Actual-state exports (target `actual`): the first byte's low three bits pick the format and
# kind (0 Graph users, 1 Graph groups, 2 Graph assignments, 3 LDIF users, 4 LDIF groups,
# 5 SCIM users, 6 SCIM groups, 7 CSV), its high five bits LDIF's piece size less one.
seed() { # selector (octal), file, name
  { printf "\\$1"; cat "$2"; } > "$corpus/actual/$3"
}
seed 003 "$repo/examples/actual/active-directory/users.ldf" ad-users.ldf
seed 014 "$repo/examples/actual/active-directory/groups.ldf" ad-groups.ldf
seed 073 "$repo/examples/actual/eng-ldap/people.ldif" eng-people.ldif
seed 005 "$repo/examples/actual/erp/users/page-1.json" erp-users.json
n=0
for f in "$repo"/tests/actual/*/*.* "$repo"/tests/actual/*/*/*.json; do
  n=$((n + 1))
  case "$f" in
    */graph/groups*) sel=001 ;;
    */graph/assignments*) sel=002 ;;
    */graph/*) sel=000 ;;
    */ldif/groups*) sel=024 ;;
    */ldif/*) sel=043 ;;
    */scim/groups*) sel=006 ;;
    */scim/*) sel=005 ;;
    */csv/*) sel=007 ;;
  esac
  seed "$sel" "$f" "repo-$n-$(basename "$f")"
done
for t in policy expr rule csv json scim actual; do
  echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
