//! Correlation: records of several sources that are the same person become one identity.
//!
//! Key pairs (`left: employees.WorkerID`, `right: email.EmployeeID`) join records whose values
//! are equal (as text, exactly). Joins are transitive (union-find). Each identity's key is the key
//! of its record in the highest-precedence source (the `precedence` list, then declaration
//! order). Identities come out sorted by key, so the result does not depend on row order.
//!
//! Stage 2 of evaluation is [`people`]: the `identity` settings applied to the datasets read.

use std::borrow::Cow;
use std::collections::HashMap;

use foldhash::fast::FixedState;

use crate::codes::Code;
use crate::column::Column;
use crate::diagnostics::Severity;
use crate::ingest::{DataIssue, Dataset};
use crate::policy::raw;

/// One correlated person: records as (dataset index, record index), primary first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The identity key.
    pub key: String,
    /// The records, primary source first, then by source order.
    pub records: Vec<(usize, usize)>,
}

/// Where an identity's data came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct SourceRef {
    /// The source's name.
    pub source: String,
    /// The record's key in that source.
    pub key: String,
    /// The record's row in the file (used by `explain`; left out of the report, which must not
    /// depend on the order of rows).
    #[serde(skip)]
    pub row: usize,
}

impl Person {
    /// The primary record's data file.
    pub fn origin(&self, datasets: &[Dataset]) -> String {
        self.records
            .first()
            .and_then(|(d, _)| datasets.get(*d))
            .map(|d| d.file.clone())
            .unwrap_or_default()
    }

    /// This person's record in dataset `d`: its file and row.
    pub fn record_in(&self, datasets: &[Dataset], d: usize) -> Option<(String, usize)> {
        let (_, r) = self.records.iter().find(|(x, _)| *x == d)?;
        let data = datasets.get(d)?;
        (*r < data.len()).then(|| (data.file.clone(), data.row(*r)))
    }

    /// The primary record's row.
    pub fn first_row(&self, datasets: &[Dataset]) -> Option<usize> {
        let (d, r) = self.records.first()?;
        let data = datasets.get(*d)?;
        (*r < data.len()).then(|| data.row(*r))
    }

    /// Every record, for provenance.
    pub fn provenance(&self, datasets: &[Dataset]) -> Vec<SourceRef> {
        self.records
            .iter()
            .filter_map(|(d, r)| {
                let data = datasets.get(*d)?;
                (*r < data.len()).then(|| SourceRef {
                    source: data.source.clone(),
                    key: data.key(*r).to_string(),
                    row: data.row(*r),
                })
            })
            .collect()
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while let Some(&p) = parent.get(x) {
        if p == x {
            break;
        }
        let grand = parent.get(p).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(x) {
            *slot = grand;
        }
        x = p;
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = parent.get_mut(hi) {
            *slot = lo;
        }
    }
}

/// The global number of every record: dataset offsets.
fn offsets(datasets: &[Dataset]) -> (Vec<usize>, usize) {
    let mut offsets = Vec::with_capacity(datasets.len());
    let mut total = 0usize;
    for d in datasets {
        offsets.push(total);
        total += d.len();
    }
    (offsets, total)
}

/// Joins the records of `left` and `right` whose values are equal as text (the right's
/// empty text joins nothing). Every distinct value is turned into text once; then each record
/// joins the first left record with its text, which connects the same records as joining
/// every matching pair.
fn join(parent: &mut [usize], left: (&Column, usize, usize), right: (&Column, usize, usize)) {
    let (lcol, loff, llen) = left;
    let (rcol, roff, rlen) = right;
    let mut ids: HashMap<Cow<'_, str>, u32, FixedState> =
        HashMap::with_hasher(FixedState::default());
    let right_ids: Vec<Option<u32>> = rcol
        .dictionary()
        .iter()
        .map(|v| {
            let t = v.as_text().filter(|t| !t.is_empty())?;
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            Some(*ids.entry(t).or_insert(next))
        })
        .collect();
    let left_ids: Vec<Option<u32>> = lcol
        .dictionary()
        .iter()
        .map(|v| ids.get(v.as_text()?.as_ref()).copied())
        .collect();
    // The first left record of each text.
    let mut first: Vec<Option<usize>> = vec![None; ids.len()];
    for r in 0..llen {
        let Some(&Some(t)) = left_ids.get(lcol.code(r) as usize) else {
            continue;
        };
        let g = loff + r;
        match first.get_mut(t as usize) {
            Some(Some(f)) => union(parent, *f, g),
            Some(slot) => *slot = Some(g),
            None => {}
        }
    }
    for r in 0..rlen {
        let Some(&Some(t)) = right_ids.get(rcol.code(r) as usize) else {
            continue;
        };
        if let Some(&Some(f)) = first.get(t as usize) {
            union(parent, f, roff + r);
        }
    }
}

/// The correlation stage: the records of every dataset as people, by the `identity` settings
/// (correlation pairs and precedence). `None` when there is nobody (every source optional and
/// empty), with a `D112` saying so: a report of nobody would read as "remove everyone".
pub fn people(
    identity: Option<&raw::Identity>,
    datasets: &[Dataset],
    issues: &mut Vec<DataIssue>,
) -> Option<Vec<Person>> {
    let precedence: Vec<String> = identity
        .map(|i| i.precedence.iter().map(|p| p.value.clone()).collect())
        .unwrap_or_default();
    let pairs: Vec<(String, String)> = identity
        .map(|i| {
            i.correlation
                .iter()
                .map(|c| (c.value.left.value.clone(), c.value.right.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let people = correlate(datasets, &pairs, &precedence, issues);
    if people.is_empty() {
        issues.push(
            DataIssue::new(
                Code::DataSourceUnusable,
                datasets.first().map_or("", |d| d.file.as_str()),
                "the sources yield no records: nothing is evaluated",
            )
            .help("a policy set needs at least one record to evaluate"),
        );
        return None;
    }
    Some(people)
}

/// Correlates the records of every dataset into people.
pub fn correlate(
    datasets: &[Dataset],
    pairs: &[(String, String)],
    precedence: &[String],
    issues: &mut Vec<DataIssue>,
) -> Vec<Person> {
    let (offsets, total) = offsets(datasets);
    let mut parent: Vec<usize> = (0..total).collect();
    let column = |spec: &str| -> Option<(usize, usize)> {
        let (source, field) = spec.split_once('.')?;
        let d = datasets.iter().position(|d| d.source == source)?;
        let f = datasets
            .get(d)?
            .fields
            .iter()
            .position(|(name, _)| name == field)?;
        Some((d, f))
    };
    let side = |(d, f): (usize, usize)| -> Option<(&Column, usize, usize)> {
        let data = datasets.get(d)?;
        Some((data.column(f)?, offsets.get(d).copied()?, data.len()))
    };
    for (left, right) in pairs {
        let (Some(l), Some(r)) = (column(left).and_then(side), column(right).and_then(side)) else {
            continue;
        };
        join(&mut parent, l, r);
    }
    // Rank sources: the precedence list first, then declaration order.
    let rank: Vec<usize> = datasets
        .iter()
        .enumerate()
        .map(|(d, x)| {
            precedence
                .iter()
                .position(|p| *p == x.source)
                .unwrap_or(precedence.len() + d)
        })
        .collect();
    let locate = |g: usize| -> (usize, usize) {
        let d = offsets.partition_point(|o| *o <= g).saturating_sub(1);
        (d, g - offsets.get(d).copied().unwrap_or(0))
    };
    // Group records by their root (a counting sort: members of a group in record order).
    let roots: Vec<usize> = (0..total).map(|g| find(&mut parent, g)).collect();
    let mut start = vec![0usize; total + 1];
    for &root in &roots {
        if let Some(s) = start.get_mut(root + 1) {
            *s += 1;
        }
    }
    for i in 1..start.len() {
        let before = start.get(i - 1).copied().unwrap_or(0);
        if let Some(s) = start.get_mut(i) {
            *s += before;
        }
    }
    let mut fill = start.clone();
    let mut members = vec![0usize; total];
    for (g, &root) in roots.iter().enumerate() {
        if let Some(f) = fill.get_mut(root)
            && let Some(m) = members.get_mut(*f)
        {
            *m = g;
            *f += 1;
        }
    }
    drop(roots);
    drop(fill);
    let mut people: Vec<Person> = Vec::new();
    let mut records: Vec<(usize, usize)> = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for root in 0..total {
        let (Some(&a), Some(&b)) = (start.get(root), start.get(root + 1)) else {
            continue;
        };
        if a == b {
            continue;
        }
        records.clear();
        records.extend(
            members
                .get(a..b)
                .unwrap_or_default()
                .iter()
                .map(|g| locate(*g)),
        );
        // Sources by rank; two records of one source by content, never by row, so that which
        // one is used does not depend on the order of rows.
        records.sort_by(|(da, ra), (db, rb)| {
            let rank_of = |d: &usize| rank.get(*d).copied().unwrap_or(usize::MAX);
            rank_of(da)
                .cmp(&rank_of(db))
                .then(da.cmp(db))
                .then_with(|| {
                    datasets
                        .get(*da)
                        .map_or(std::cmp::Ordering::Equal, |x| x.cmp_records(*ra, *rb))
                })
        });
        // One record per source: a second record of the same source joined to the same person
        // means the correlation keys are not unique.
        seen.clear();
        let mut kept = Vec::with_capacity(records.len().min(datasets.len()));
        for &(d, r) in &records {
            if seen.contains(&d) {
                if let Some(data) = datasets.get(d) {
                    let kept = kept
                        .iter()
                        .find(|(kd, _)| *kd == d)
                        .map_or("", |(_, kr)| data.key(*kr));
                    issues.push(DataIssue {
                        code: Code::AmbiguousCorrelation,
                        severity: Severity::Warning,
                        file: data.file.clone(),
                        row: Some(data.row(r)),
                        field: correlation_field(pairs, &data.source),
                        message: format!(
                            "record `{}` of source `{}` correlates with the person who already has record `{kept}` there; it is not used",
                            data.key(r),
                            data.source
                        ),
                        help: Some(
                            "make the correlation key pairs unique per person; of two records, the one first in content order (key, then fields) is used"
                                .into(),
                        ),
                    });
                }
                continue;
            }
            seen.push(d);
            kept.push((d, r));
        }
        let key = kept
            .first()
            .and_then(|(d, r)| Some(datasets.get(*d)?.key(*r).to_string()))
            .unwrap_or_default();
        people.push(Person { key, records: kept });
    }
    // By key; people with the same key (records of different sources that nothing joined) by
    // their records' sources and content, never by row numbers.
    people.sort_by(|a, b| {
        a.key.cmp(&b.key).then_with(|| {
            let content = |(d, r): &(usize, usize)| (*d, datasets.get(*d), *r);
            for (x, y) in a.records.iter().zip(&b.records) {
                let ((dx, data, rx), (dy, _, ry)) = (content(x), content(y));
                let o = dx.cmp(&dy).then_with(|| {
                    data.map_or(std::cmp::Ordering::Equal, |data| data.cmp_records(rx, ry))
                });
                if o.is_ne() {
                    return o;
                }
            }
            a.records.len().cmp(&b.records.len())
        })
    });
    people
}

/// The correlation field of `source` (the first key pair naming it), for issues.
fn correlation_field(pairs: &[(String, String)], source: &str) -> Option<String> {
    pairs.iter().flat_map(|(l, r)| [l, r]).find_map(|spec| {
        let (s, f) = spec.split_once('.')?;
        (s == source).then(|| f.to_string())
    })
}
