//! `roster generate --actual-drift PCT`: what each generated target actually holds.
//!
//! The generated organisation is evaluated as of [`super::REFERENCE_DATE`], and each target's
//! desired accounts are written as the export its system would give
//! ([`crate::plan::export`]), under `actual/<target>/`, where the generated policy's `actual:`
//! settings point:
//!
//! | target | format | files |
//! |---|---|---|
//! | `active-directory` | Microsoft Graph `GET /users` pages (999 users a page, `@odata.nextLink` on every page but the last) | `actual/active-directory/users/page-NNNNNN.json` |
//! | `erp` | SCIM 2.0 `ListResponse` pages of `/Users` (1,000 a page, `startIndex`, `totalResults`) | `actual/erp/users/page-NNNNNN.json` |
//! | `eng-ldap` | LDIF, as `ldapsearch -LLL` writes it, with the groups and their `member`s | `actual/eng-ldap/people.ldif`, `actual/eng-ldap/groups.ldif` |
//!
//! The exports equal the desired state except for `PCT` per cent of the identities (rounded to
//! the nearest identity, chosen by `--seed`), each of which gets exactly one deliberate drift
//! in one target where it holds an account, of one of five kinds, in turn:
//!
//! | kind | what the export holds | what `roster plan` plans |
//! |---|---|---|
//! | `missing` | no account (only for people who manage nobody, so that no report's manager reference changes) | one `create`, plus a `member_add` per desired group where the target exports groups |
//! | `changed` | one attribute that Roster keeps up to date (not applied on creation only, not a matching attribute, not a reference) with ` (drift)` appended | one `update` |
//! | `extra_membership` | the account is also a member of a group it should not be in (only targets that export groups: `eng-ldap`) | one `member_remove` |
//! | `orphan` | an extra account, a copy of the identity's with every matching attribute set to `orphan-…`: it matches nobody | one orphan, left as it is (`unmatched_accounts: leave`, the default) |
//! | `disabled` | the account is disabled although it should be enabled (only where the export says whether an account is enabled: Graph, SCIM) | one `enable` (the flag is not also updated where it is a mapped attribute, as the ERP's `active`) |
//!
//! A kind that does not apply to the identity (a manager cannot go missing, an identity whose
//! account should be disabled cannot be `disabled`) gives way to the next one. Identities the
//! plan would hold (unknown lifecycle, an error in their data, an undetermined account) get no
//! drift, since the plan changes nothing for them. `actual/drift.json` lists what was injected
//! per target and the plan summary it should give.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Rng;
use crate::actual::Format;
use crate::eval::DesiredState;
use crate::plan::export::{self, Row};
use crate::policy::Policy;
use crate::policy::graph::NodeId;
use crate::policy::raw;
use crate::value::Value;

/// The share of identities with drift, in millionths (`--actual-drift 5` is 50,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drift(u32);

impl Drift {
    /// Reads a percentage from 0 to 100, with at most four decimals.
    pub fn parse(text: &str) -> Result<Drift, String> {
        let t = text.trim();
        let bad = || format!("`{text}` is not a percentage from 0 to 100");
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if frac.len() > 4 {
            return Err(format!("`{text}` has more than four decimals"));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut f: u64 = 0;
        for k in 0..4 {
            let d = frac.as_bytes().get(k).map_or(0, |b| u64::from(b - b'0'));
            f = f * 10 + d;
        }
        let ppm = whole
            .checked_mul(10_000)
            .and_then(|w| w.checked_add(f))
            .filter(|v| *v <= 1_000_000)
            .ok_or_else(bad)?;
        u32::try_from(ppm).map(Drift).map_err(|_| bad())
    }

    /// The share in millionths.
    pub fn ppm(self) -> u32 {
        self.0
    }

    /// How many of `n` identities drift: the nearest whole number.
    pub fn of(self, n: usize) -> usize {
        let n = n as u128;
        ((n * u128::from(self.0) + 500_000) / 1_000_000) as usize
    }
}

/// The kinds of drift, in the order they are given out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Missing,
    Changed,
    ExtraMembership,
    Orphan,
    Disabled,
}

const KINDS: [Kind; 5] = [
    Kind::Missing,
    Kind::Changed,
    Kind::ExtraMembership,
    Kind::Orphan,
    Kind::Disabled,
];

/// What was injected in one target, and the plan summary it should give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetDrift {
    /// Accounts left out.
    pub missing: usize,
    /// Accounts with one attribute changed.
    pub changed: usize,
    /// Memberships added to a group the account should not be in.
    pub extra_membership: usize,
    /// Extra accounts that match nobody.
    pub orphan: usize,
    /// Accounts disabled that should be enabled.
    pub disabled: usize,
    /// The plan's expected counts for this target: `create`, `update`, `enable`, `member_add`,
    /// `member_remove`, `orphan` (every other count is 0).
    pub expected: BTreeMap<String, usize>,
}

/// What `--actual-drift` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftSummary {
    /// The share asked for, in millionths of the identities.
    pub ppm: u32,
    /// Identities evaluated.
    pub identities: usize,
    /// Identities with drift.
    pub drifted: usize,
    /// Per target.
    pub targets: BTreeMap<String, TargetDrift>,
}

/// One target of the generated policy that declares an actual state.
struct Target<'a> {
    name: String,
    raw: &'a raw::Target,
    format: Format,
    /// Its desired accounts, by index into `state.identities.targets`.
    index: usize,
    /// Whether the export says if an account is enabled.
    tracks_enabled: bool,
    /// The groups export's path relative to the target's directory, if any.
    groups: Option<String>,
}

/// The drift of one target, decided before anything is written.
#[derive(Default)]
struct Plan {
    missing: HashSet<usize>,
    changed: HashMap<usize, String>,
    disabled: HashSet<usize>,
    orphans: Vec<usize>,
    extra: Vec<(usize, String)>,
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Evaluates the generated policy set in `out/policies` and writes every target's actual
/// state under `out/actual/`, with the drift asked for; the files written are added to
/// `files`.
pub(super) fn write(
    seed: u64,
    drift: Drift,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> std::io::Result<DriftSummary> {
    let loaded = crate::policy::load::load_with(
        &out.join("policies"),
        &crate::policy::load::LoadOptions::default(),
    )
    .map_err(|e| invalid(format!("the generated policy set cannot be loaded: {e:?}")))?;
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = crate::policy::compile::compile(&loaded, &mut diagnostics);
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Err(invalid(format!(
            "the generated policy set has an error: {}",
            d.message
        )));
    }
    let as_of = chrono::NaiveDate::parse_from_str(super::REFERENCE_DATE, "%Y-%m-%d")
        .map_err(|e| invalid(e.to_string()))?;
    let state = crate::eval::evaluate(&loaded, &policy, crate::eval::Options::at(as_of));
    if state.cannot_run() {
        let why = state
            .issues
            .iter()
            .find(|i| i.code.stops_evaluation())
            .map_or_else(String::new, |i| format!(": {}", i.message));
        return Err(invalid(format!(
            "the generated organisation cannot be evaluated, so no actual state is written{why}"
        )));
    }
    let targets = targets_of(&loaded, &state);
    let plans = decide(seed, drift, &policy, &state, &targets);
    let mut summary = DriftSummary {
        ppm: drift.ppm(),
        identities: state.identities.len(),
        drifted: 0,
        targets: BTreeMap::new(),
    };
    let base = out.join("actual");
    for (t, plan) in targets.iter().zip(&plans) {
        let dir = base.join(&t.name);
        std::fs::create_dir_all(&dir)?;
        write_target(&state, &policy, t, plan, &dir, files)?;
        let td = expected(&state, t, plan);
        summary.drifted += td.missing + td.changed + td.extra_membership + td.orphan + td.disabled;
        summary.targets.insert(t.name.clone(), td);
    }
    let path = base.join("drift.json");
    std::fs::write(&path, format!("{}\n", crate::escape::json_pretty(&summary)))?;
    files.push(path);
    Ok(summary)
}

fn targets_of<'a>(
    loaded: &'a crate::policy::load::Loaded,
    state: &DesiredState,
) -> Vec<Target<'a>> {
    let mut out = Vec::new();
    for file in &loaded.files {
        for (name, t) in &file.policy.targets {
            let Some(actual) = &t.value.actual else {
                continue;
            };
            let Some(index) = state
                .identities
                .targets
                .iter()
                .position(|d| d.name == name.value)
            else {
                continue;
            };
            let format = crate::plan::read::format_of(&t.value, Some(&actual.value));
            let tracks_enabled = match format {
                Format::Graph | Format::Scim => true,
                Format::Ldif => t.value.kind.value == raw::TargetKind::Directory,
                Format::Csv => actual.value.enabled.is_some(),
            };
            let groups = actual.value.groups.as_ref().and_then(|g| {
                Path::new(&g.value)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            });
            out.push(Target {
                name: name.value.clone(),
                raw: &t.value,
                format,
                index,
                tracks_enabled,
                // Only LDIF group exports are written.
                groups: groups.filter(|_| format == Format::Ldif),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn is_reference(name: &str) -> bool {
    name.eq_ignore_ascii_case("manager") || name.to_ascii_lowercase().ends_with(":manager")
}

/// Attributes an update may not touch: references, the parent, what states the enabled flag,
/// identifiers.
fn untouchable(name: &str) -> bool {
    is_reference(name)
        || [
            "parentDistinguishedName",
            "active",
            "accountEnabled",
            "id",
            "userAccountControl",
        ]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// Chooses the drifted identities and what happens to each.
fn decide(
    seed: u64,
    drift: Drift,
    policy: &Policy,
    state: &DesiredState,
    targets: &[Target<'_>],
) -> Vec<Plan> {
    let ids = &state.identities;
    let n = ids.len();
    let holds = crate::plan::Holds::new(state);
    let mut plans: Vec<Plan> = targets.iter().map(|_| Plan::default()).collect();
    // Who manages someone: they never go missing (their reports' references would change).
    let managers: HashSet<&str> = ids
        .attributes
        .iter()
        .find(|(a, _)| a == "manager")
        .map(|(_, c)| {
            (0..n)
                .filter_map(|i| match c.get(i) {
                    Value::Str(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    // The targets where identity `i` holds an account the plan would change.
    let eligible = |i: usize| -> Vec<usize> {
        if ids.lifecycle(i).held() {
            return Vec::new();
        }
        targets
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                ids.targets
                    .get(t.index)
                    .is_some_and(|d| d.holders.contains(i))
                    && holds.reason(&t.name, i).is_none()
            })
            .map(|(k, _)| k)
            .collect()
    };
    let mut candidates: Vec<usize> = (0..n).filter(|&i| !eligible(i).is_empty()).collect();
    let want = drift.of(n).min(candidates.len());
    let mut rng = Rng(seed ^ 0xbb67_ae85_84ca_a73b);
    // A partial Fisher–Yates shuffle: the first `want` are the drifted, in a random order.
    for k in 0..want {
        let j = k + rng.below(candidates.len() - k);
        candidates.swap(k, j);
    }
    let undetermined: HashSet<(usize, &str)> = ids
        .undetermined
        .iter()
        .map(|(i, u)| (*i, u.of.as_str()))
        .collect();
    for (k, &i) in candidates.iter().take(want).enumerate() {
        let mut at = eligible(i);
        // A random order of the identity's targets, then the kinds from this one's turn.
        for a in (1..at.len()).rev() {
            let b = rng.below(a + 1);
            at.swap(a, b);
        }
        let key = ids.key(i).unwrap_or_default();
        'kinds: for step in 0..KINDS.len() {
            let Some(&kind) = KINDS.get((k + step) % KINDS.len()) else {
                continue;
            };
            for &ti in &at {
                let (Some(t), Some(d)) = (
                    targets.get(ti),
                    ids.targets
                        .get(targets.get(ti).map_or(usize::MAX, |t| t.index)),
                ) else {
                    continue;
                };
                let Some(plan) = plans.get_mut(ti) else {
                    continue;
                };
                match kind {
                    Kind::Missing => {
                        if managers.contains(key) {
                            continue;
                        }
                        plan.missing.insert(i);
                    }
                    Kind::Changed => {
                        let matching: Vec<&str> =
                            t.raw.matching.iter().map(|m| m.value.as_str()).collect();
                        let mut names: Vec<&str> = d
                            .attributes
                            .iter()
                            .filter(|(a, c, absent)| {
                                !untouchable(a)
                                    && !matching.iter().any(|m| m.eq_ignore_ascii_case(a))
                                    && !absent.as_ref().is_some_and(|b| b.contains(i))
                                    && matches!(c.get(i), Value::Str(s) if !s.is_empty())
                                    && !policy
                                        .mappings
                                        .get(&NodeId::TargetAttribute(t.name.clone(), a.clone()))
                                        .is_none_or(|m| m.on_create)
                            })
                            .map(|(a, _, _)| a.as_str())
                            .collect();
                        if names.is_empty() {
                            continue;
                        }
                        names.sort_unstable();
                        let Some(name) = rng.pick(&names) else {
                            continue;
                        };
                        plan.changed.insert(i, (*name).to_string());
                    }
                    Kind::ExtraMembership => {
                        if t.groups.is_none() {
                            continue;
                        }
                        let groups: Vec<&str> = ids
                            .groups
                            .iter()
                            .filter(|(g, members)| {
                                !members.contains(i)
                                    && plain(g)
                                    && !undetermined.contains(&(i, format!("group:{g}").as_str()))
                            })
                            .map(|(g, _)| g.as_str())
                            .collect();
                        let Some(g) = rng.pick(&groups) else {
                            continue;
                        };
                        plan.extra.push((i, (*g).to_string()));
                    }
                    Kind::Orphan => plan.orphans.push(i),
                    Kind::Disabled => {
                        if !t.tracks_enabled || !d.enabled.contains(i) {
                            continue;
                        }
                        plan.disabled.insert(i);
                    }
                }
                break 'kinds;
            }
        }
    }
    for p in &mut plans {
        p.orphans.sort_unstable();
        p.extra.sort();
    }
    plans
}

/// A group name `ldif_groups` writes as a plain `cn:` line.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.is_ascii()
        && !name.starts_with([' ', ':', '<'])
        && !name.ends_with(' ')
        && !name.contains(['\r', '\n', '\0'])
}

/// The plan summary the drift of one target should give.
fn expected(state: &DesiredState, t: &Target<'_>, plan: &Plan) -> TargetDrift {
    let ids = &state.identities;
    let undetermined: HashSet<(usize, &str)> = ids
        .undetermined
        .iter()
        .map(|(i, u)| (*i, u.of.as_str()))
        .collect();
    let mut member_add = 0;
    if t.groups.is_some() {
        for &i in &plan.missing {
            member_add += ids
                .groups
                .iter()
                .filter(|(g, members)| {
                    members.contains(i)
                        && !undetermined.contains(&(i, format!("group:{g}").as_str()))
                })
                .count();
        }
    }
    let mut expected = BTreeMap::new();
    for (k, v) in [
        ("create", plan.missing.len()),
        ("update", plan.changed.len()),
        ("enable", plan.disabled.len()),
        ("member_add", member_add),
        ("member_remove", plan.extra.len()),
        ("orphan", plan.orphans.len()),
    ] {
        expected.insert(k.to_string(), v);
    }
    TargetDrift {
        missing: plan.missing.len(),
        changed: plan.changed.len(),
        extra_membership: plan.extra.len(),
        orphan: plan.orphans.len(),
        disabled: plan.disabled.len(),
        expected,
    }
}

/// Identities per batch of rows computed at once.
const BATCH: usize = 20_000;
/// Users per Graph page (Graph's largest `$top`).
const GRAPH_PAGE: usize = 999;
/// Resources per SCIM page.
const SCIM_PAGE: usize = 1_000;

/// Pages of a Graph or SCIM export, written as rows arrive.
struct Pages<'a> {
    dir: PathBuf,
    format: Format,
    size: usize,
    total: usize,
    buffer: Vec<Row>,
    written: usize,
    page: usize,
    files: &'a mut Vec<PathBuf>,
}

impl Pages<'_> {
    fn name(page: usize) -> String {
        format!("page-{page:06}.json")
    }

    /// Writes one page of `rows`, the last one when `last`.
    fn flush(&mut self, count: usize, last: bool) -> std::io::Result<()> {
        let rows: Vec<Row> = self.buffer.drain(..count.min(self.buffer.len())).collect();
        self.page += 1;
        let text = match self.format {
            Format::Scim => export::scim_page(&rows, self.written + 1, self.total),
            _ => {
                let next = (!last).then(|| {
                    format!(
                        "https://graph.microsoft.com/v1.0/users?$skiptoken={}",
                        Self::name(self.page + 1)
                    )
                });
                export::graph_page(&rows, next.as_deref())
            }
        };
        self.written += rows.len();
        let path = self.dir.join(Self::name(self.page));
        std::fs::write(&path, text)?;
        self.files.push(path);
        Ok(())
    }

    fn push(&mut self, rows: Vec<Row>) -> std::io::Result<()> {
        self.buffer.extend(rows);
        // A page is written once a row after it is known: every page but the last names
        // the next.
        while self.buffer.len() > self.size {
            self.flush(self.size, false)?;
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        let n = self.buffer.len();
        self.flush(n, true)
    }
}

/// The orphan made from identity `i`'s account: every matching attribute `orphan-…`.
fn orphan(row: &Row, t: &Target<'_>) -> Row {
    let tag = export::guid("orphan", &format!("{}\u{0}{}", t.name, row.key));
    let value = format!("orphan-{}", tag.get(..8).unwrap_or(""));
    let mut attributes = row.attributes.clone();
    for m in &t.raw.matching {
        match attributes
            .iter_mut()
            .find(|(a, _)| a.eq_ignore_ascii_case(&m.value))
        {
            Some((_, v)) => *v = Value::Str(value.clone()),
            None => attributes.push((m.value.clone(), Value::Str(value.clone()))),
        }
    }
    let id = match t.format {
        Format::Ldif => {
            // The same place in the tree, under a name of its own.
            let parent = split_parent(&row.id).unwrap_or("");
            let rdn_type = row.id.split('=').next().unwrap_or("CN");
            if let Some((_, v)) = attributes
                .iter_mut()
                .find(|(a, _)| a.eq_ignore_ascii_case(rdn_type))
            {
                *v = Value::Str(value.clone());
            }
            format!("{rdn_type}={value},{parent}")
        }
        Format::Csv => value.clone(),
        _ => tag,
    };
    Row {
        key: value,
        id,
        enabled: true,
        attributes,
    }
}

/// The parent of a DN: what follows its first unescaped comma.
fn split_parent(dn: &str) -> Option<&str> {
    let mut escaped = false;
    for (k, c) in dn.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped => return dn.get(k + 1..),
            _ => escaped = false,
        }
    }
    None
}

fn apply_drift(state: &DesiredState, plan: &Plan, rows: Vec<Row>) -> Vec<Row> {
    let ids = &state.identities;
    rows.into_iter()
        .filter_map(|mut r| {
            let i = ids.position(&r.key)?;
            if plan.missing.contains(&i) {
                return None;
            }
            if plan.disabled.contains(&i) {
                r.enabled = false;
            }
            if let Some(name) = plan.changed.get(&i)
                && let Some((_, v)) = r.attributes.iter_mut().find(|(a, _)| a == name)
                && let Value::Str(s) = v
            {
                *v = Value::Str(format!("{s} (drift)"));
            }
            Some(r)
        })
        .collect()
}

fn write_target(
    state: &DesiredState,
    policy: &Policy,
    t: &Target<'_>,
    plan: &Plan,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let _ = policy;
    let ids = &state.identities;
    let n = ids.len();
    let Some(desired) = ids.targets.get(t.index) else {
        return Ok(());
    };
    // The orphans, copied from their identities' rows as the batches pass (looking one row up
    // at a time would cost a pass over the population for each).
    let orphan_of: HashSet<&str> = plan.orphans.iter().filter_map(|&i| ids.key(i)).collect();
    let mut orphans: Vec<Row> = Vec::new();
    let mut batch = |start: usize| -> Vec<Row> {
        let rows = export::rows_of(state, t.raw, &t.name, start..(start + BATCH).min(n));
        orphans.extend(
            rows.iter()
                .filter(|r| orphan_of.contains(r.key.as_str()))
                .map(|r| orphan(r, t)),
        );
        apply_drift(state, plan, rows)
    };
    let base_count = desired
        .holders
        .ones()
        .filter(|&i| !ids.lifecycle(i).held())
        .count();
    let total = base_count - plan.missing.len() + plan.orphans.len();
    // Account identifiers, for the groups export.
    let mut accounts: Vec<Row> = Vec::new();
    match t.format {
        Format::Graph | Format::Scim => {
            let users = dir.join("users");
            std::fs::create_dir_all(&users)?;
            let mut pages = Pages {
                dir: users,
                format: t.format,
                size: if t.format == Format::Scim {
                    SCIM_PAGE
                } else {
                    GRAPH_PAGE
                },
                total,
                buffer: Vec::new(),
                written: 0,
                page: 0,
                files,
            };
            for start in (0..n).step_by(BATCH) {
                pages.push(batch(start))?;
            }
            pages.push(std::mem::take(&mut orphans))?;
            pages.finish()?;
        }
        Format::Ldif | Format::Csv => {
            let file = match t.format {
                Format::Ldif => "people.ldif",
                _ => "users.csv",
            };
            let path = dir.join(file);
            let mut w = BufWriter::new(std::fs::File::create(&path)?);
            let directory = t.raw.kind.value == raw::TargetKind::Directory;
            let columns: Vec<String> = t.raw.mappings.keys().map(|k| k.value.clone()).collect();
            let mut first = true;
            let mut put = |rows: &[Row], w: &mut BufWriter<std::fs::File>| -> std::io::Result<()> {
                let text = match t.format {
                    Format::Ldif => export::ldif(rows, directory),
                    _ => {
                        let text = export::csv(rows, &columns);
                        if first {
                            first = false;
                            text
                        } else {
                            // The header once.
                            text.split_once('\n')
                                .map(|(_, rest)| rest.to_string())
                                .unwrap_or_default()
                        }
                    }
                };
                w.write_all(text.as_bytes())
            };
            for start in (0..n).step_by(BATCH) {
                let rows = batch(start);
                put(&rows, &mut w)?;
                if t.groups.is_some() {
                    accounts.extend(rows.into_iter().map(|r| Row {
                        attributes: Vec::new(),
                        ..r
                    }));
                }
            }
            put(&orphans, &mut w)?;
            w.flush()?;
            files.push(path);
        }
    }
    if let Some(groups) = &t.groups {
        let parent = groups_parent(t.raw);
        let text = export::ldif_groups(state, &accounts, &parent);
        // The extra memberships: a `member` line more in the group's entry.
        let dn_of: HashMap<&str, &str> = accounts
            .iter()
            .map(|r| (r.key.as_str(), r.id.as_str()))
            .collect();
        let mut extra: HashMap<&str, Vec<&str>> = HashMap::new();
        for (i, g) in &plan.extra {
            if let Some(dn) = ids.key(*i).and_then(|k| dn_of.get(k)) {
                extra.entry(g.as_str()).or_default().push(dn);
            }
        }
        let mut out = String::with_capacity(text.len());
        for entry in text.split_inclusive("\n\n") {
            let body = entry.trim_end_matches('\n');
            out.push_str(body);
            out.push('\n');
            let cn = body.lines().find_map(|l| l.strip_prefix("cn: "));
            if let Some(dns) = cn.and_then(|c| extra.get(c)) {
                for dn in dns {
                    out.push_str("member: ");
                    out.push_str(dn);
                    out.push('\n');
                }
            }
            out.push('\n');
        }
        let path = dir.join(groups);
        std::fs::write(&path, out)?;
        files.push(path);
    }
    Ok(())
}

/// The groups' organisational unit: `ou=groups` beside the users' base DN.
fn groups_parent(target: &raw::Target) -> String {
    let base = target
        .connection
        .as_ref()
        .and_then(|c| {
            c.value
                .settings
                .iter()
                .find(|(k, _)| k.value == "base_dn")
                .map(|(_, v)| v.value.clone())
        })
        .unwrap_or_else(|| "dc=example,dc=com".to_string());
    let rest = split_parent(&base).unwrap_or(&base);
    format!("ou=groups,{rest}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::Drift;

    #[test]
    fn percentages() {
        assert_eq!(Drift::parse("5").unwrap().ppm(), 50_000);
        assert_eq!(Drift::parse("0").unwrap().ppm(), 0);
        assert_eq!(Drift::parse("100").unwrap().ppm(), 1_000_000);
        assert_eq!(Drift::parse("2.5").unwrap().ppm(), 25_000);
        assert_eq!(Drift::parse(".25").unwrap().ppm(), 2_500);
        assert_eq!(Drift::parse("0.0001").unwrap().ppm(), 1);
        for bad in [
            "",
            ".",
            "-1",
            "100.01",
            "101",
            "1e2",
            "5%",
            "0.00001",
            "abc",
            "99999999999999999999",
        ] {
            assert!(Drift::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Drift::parse("5").unwrap().of(1_000), 50);
        assert_eq!(Drift::parse("2.5").unwrap().of(300), 8);
        assert_eq!(Drift::parse("0").unwrap().of(1_000_000), 0);
    }
}
