//! Who is in a target's scope: assignment (its groups, its access packages, app-role grants,
//! or everyone with `sync: all`), then the scoping filters, clause by clause, once per
//! distinct value.

use std::collections::HashMap;

use crate::column::Column;
use crate::policy::raw;
use crate::rule::sets::Bitset;
use crate::value::Value;

/// The identities in a target's scope: with `sync: all` everyone, otherwise (the default)
/// those assigned to it — members of its groups, holders of its access packages and of any
/// package that grants one of its app roles — then those passing the scoping filters (when
/// any are given). An assigned-only target that nothing assigns holds nobody. A clause that
/// cannot be decided on a value (a `REGEX MATCH` whose pattern fails on it) never passes.
pub fn scope_of<'c>(
    name: &str,
    target: &raw::Target,
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    packages: &[(String, &raw::AccessPackage)],
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    n: usize,
) -> Bitset {
    scope_with(
        name,
        target,
        groups,
        package_sets,
        packages,
        column_of,
        n,
        None,
    )
}

/// Whether a target has `REGEX MATCH` scoping clauses, which may not be decidable.
pub fn has_regex_filters(target: &raw::Target) -> bool {
    target.scope.iter().any(|s| {
        s.value
            .filters
            .iter()
            .flat_map(|f| f.value.iter())
            .any(|c| {
                matches!(
                    c.value.operator.value,
                    raw::ClauseOperator::RegexMatch | raw::ClauseOperator::NotRegexMatch
                )
            })
    })
}

/// [`scope_of`]; with `undecided`, a clause that cannot be decided on an identity's value
/// passes instead, and the identity is recorded with the clause's attribute and why (so that
/// the difference from [`scope_of`] is who is in scope only if the undecidable held).
#[allow(clippy::too_many_arguments)]
pub fn scope_with<'c>(
    name: &str,
    target: &raw::Target,
    groups: &[(String, Bitset)],
    package_sets: &[(String, Bitset)],
    packages: &[(String, &raw::AccessPackage)],
    column_of: &dyn Fn(&str) -> Option<&'c Column>,
    n: usize,
    mut undecided: Option<&mut Vec<(usize, String, String)>>,
) -> Bitset {
    let mut all = Bitset::with_capacity(n);
    all.insert_range(..);
    let scope = target.scope.as_ref().map(|s| &s.value);
    let sync_all = scope
        .and_then(|s| s.sync.as_ref())
        .is_some_and(|s| s.value == raw::SyncMode::All);
    let assigned = if sync_all {
        all.clone()
    } else {
        let mut set = Bitset::with_capacity(n);
        let named = |sets: &[(String, Bitset)], name: &str| {
            sets.iter().find(|(g, _)| g == name).map(|(_, b)| b.clone())
        };
        for g in scope.iter().flat_map(|s| &s.groups) {
            if let Some(b) = named(groups, &g.value) {
                set.union_with(&b);
            }
        }
        for p in scope.iter().flat_map(|s| &s.access_packages) {
            if let Some(b) = named(package_sets, &p.value) {
                set.union_with(&b);
            }
        }
        // An app-role grant is an assignment to its target.
        for (pname, pkg) in packages {
            let grants = pkg.resources.iter().any(
                |r| matches!(&r.value, raw::Resource::AppRole(role) if role.target.value == name),
            );
            if grants && let Some(b) = named(package_sets, pname) {
                set.union_with(&b);
            }
        }
        set
    };
    let Some(scope) = scope else {
        return assigned;
    };
    if scope.filters.is_empty() {
        return assigned;
    }
    let patterns = Patterns::new(target);
    let mut filtered = Bitset::with_capacity(n);
    for (fi, f) in scope.filters.iter().enumerate() {
        // A filter passes when every clause does: each clause once per distinct value.
        let mut pass = all.clone();
        for (ci, c) in f.value.iter().enumerate() {
            let column = column_of(&c.value.attribute.value);
            let lenient = undecided.is_some();
            let hit = |v: Option<&Value>| clause(&c.value, v, patterns.0.get(&(fi, ci)));
            let set = match column {
                None => {
                    if hit(None).unwrap_or(lenient) {
                        all.clone()
                    } else {
                        Bitset::with_capacity(n)
                    }
                }
                Some(column) => {
                    let table: Vec<Result<bool, String>> =
                        column.dictionary().iter().map(|v| hit(Some(v))).collect();
                    let mut b = Bitset::with_capacity(n);
                    for i in 0..n {
                        match table.get(column.code(i) as usize) {
                            Some(Ok(true)) => b.insert(i),
                            Some(Err(why)) => {
                                if let Some(out) = undecided.as_deref_mut() {
                                    b.insert(i);
                                    out.push((i, c.value.attribute.value.clone(), why.clone()));
                                }
                            }
                            _ => {}
                        }
                    }
                    b
                }
            };
            pass.intersect_with(&set);
        }
        filtered.union_with(&pass);
    }
    filtered.intersect_with(&assigned);
    filtered
}

/// The scoping-filter patterns of one target, compiled once: `REGEX MATCH` values by the
/// clause's position (filter, clause).
struct Patterns(HashMap<(usize, usize), crate::dotnet::regex::NetRegex>);

impl Patterns {
    fn new(target: &raw::Target) -> Patterns {
        let mut map = HashMap::new();
        for (f, filter) in target
            .scope
            .iter()
            .flat_map(|s| s.value.filters.iter())
            .enumerate()
        {
            for (c, clause) in filter.value.iter().enumerate() {
                if let Some(v) = &clause.value.value
                    && matches!(
                        clause.value.operator.value,
                        raw::ClauseOperator::RegexMatch | raw::ClauseOperator::NotRegexMatch
                    )
                    && let Ok(re) = crate::dotnet::regex::NetRegex::new(
                        &v.value,
                        crate::dotnet::regex::Options::default(),
                    )
                {
                    map.insert((f, c), re);
                }
            }
        }
        Patterns(map)
    }
}

/// One scoping-filter clause (reference §3.3): case-sensitive, false on null or empty except for
/// the `IS NULL` / `IS FALSE` tests; `Err` (why) when a `REGEX MATCH` pattern cannot be decided
/// on the value.
fn clause(
    c: &raw::Clause,
    value: Option<&Value>,
    pattern: Option<&crate::dotnet::regex::NetRegex>,
) -> Result<bool, String> {
    use raw::ClauseOperator as Op;
    let text = value
        .and_then(Value::as_text)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default();
    let want = c.value.as_ref().map_or("", |v| v.value.as_str());
    let empty = text.is_empty();
    Ok(match c.operator.value {
        Op::IsNull => empty,
        Op::IsNotNull => !empty,
        Op::IsTrue => text.eq_ignore_ascii_case("true"),
        Op::IsFalse => !text.eq_ignore_ascii_case("true"),
        _ if empty => false,
        Op::Equals => text == want,
        Op::NotEquals => text != want,
        Op::EndsWith => text.ends_with(want),
        Op::Includes => text.contains(want),
        Op::In => want.split(',').any(|w| w.trim() == text),
        Op::NotIn => !want.split(',').any(|w| w.trim() == text),
        Op::GreaterThan | Op::GreaterThanOrEquals => {
            match (text.trim().parse::<i64>(), want.trim().parse::<i64>()) {
                (Ok(a), Ok(b)) => {
                    if c.operator.value == Op::GreaterThan {
                        a > b
                    } else {
                        a >= b
                    }
                }
                _ => false,
            }
        }
        Op::RegexMatch | Op::NotRegexMatch => {
            let hit = match pattern.map(|re| re.is_match(&text)) {
                Some(Ok(hit)) => hit,
                Some(Err(e)) => return Err(e.message),
                None => false,
            };
            if c.operator.value == Op::RegexMatch {
                hit
            } else {
                !hit
            }
        }
    })
}
