//! Correlation: records of several sources that are the same person become one identity.
//!
//! Key pairs (`left: employees.WorkerID`, `right: email.EmployeeID`) join records whose values
//! are equal (as text, exactly). Joins are transitive (union-find). Each identity's key is the key
//! of its record in the highest-precedence source (the `precedence` list, then declaration
//! order). Identities come out sorted by key, so the result does not depend on row order.

use std::collections::HashMap;

use crate::codes::Code;
use crate::diagnostics::Severity;
use crate::ingest::{DataIssue, Dataset};
use crate::value::Value;

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
    /// The primary source's name.
    pub fn origin(&self, datasets: &[Dataset]) -> String {
        self.records
            .first()
            .and_then(|(d, _)| datasets.get(*d))
            .map(|d| d.source.clone())
            .unwrap_or_default()
    }

    /// The primary record's row.
    pub fn first_row(&self, datasets: &[Dataset]) -> Option<usize> {
        let (d, r) = self.records.first()?;
        Some(datasets.get(*d)?.records.get(*r)?.row)
    }

    /// Every record, for provenance.
    pub fn provenance(&self, datasets: &[Dataset]) -> Vec<SourceRef> {
        self.records
            .iter()
            .filter_map(|(d, r)| {
                let data = datasets.get(*d)?;
                let rec = data.records.get(*r)?;
                Some(SourceRef {
                    source: data.source.clone(),
                    key: rec.key.clone(),
                    row: rec.row,
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

/// Correlates the records of every dataset into people.
pub fn correlate(
    datasets: &[Dataset],
    pairs: &[(String, String)],
    precedence: &[String],
    issues: &mut Vec<DataIssue>,
) -> Vec<Person> {
    // Global record numbering.
    let mut offsets = Vec::with_capacity(datasets.len());
    let mut total = 0usize;
    for d in datasets {
        offsets.push(total);
        total += d.records.len();
    }
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
    for (left, right) in pairs {
        let (Some((ld, lf)), Some((rd, rf))) = (column(left), column(right)) else {
            continue;
        };
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        if let Some(data) = datasets.get(rd) {
            for (r, rec) in data.records.iter().enumerate() {
                if let Some(v) = rec
                    .values
                    .get(rf)
                    .and_then(Value::as_text)
                    .filter(|v| !v.is_empty())
                {
                    index.entry(v.into_owned()).or_default().push(r);
                }
            }
        }
        if let Some(data) = datasets.get(ld) {
            for (r, rec) in data.records.iter().enumerate() {
                let Some(v) = rec.values.get(lf).and_then(Value::as_text) else {
                    continue;
                };
                let Some(matches) = index.get(v.as_ref()) else {
                    continue;
                };
                for m in matches {
                    let (a, b) = (
                        offsets.get(ld).copied().unwrap_or(0) + r,
                        offsets.get(rd).copied().unwrap_or(0) + m,
                    );
                    union(&mut parent, a, b);
                }
            }
        }
    }
    // Rank sources: the precedence list first, then declaration order.
    let rank = |d: usize| -> usize {
        let name = datasets.get(d).map_or("", |x| x.source.as_str());
        precedence
            .iter()
            .position(|p| p == name)
            .unwrap_or(precedence.len() + d)
    };
    let mut clusters: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (d, data) in datasets.iter().enumerate() {
        for r in 0..data.records.len() {
            let g = find(&mut parent, offsets.get(d).copied().unwrap_or(0) + r);
            clusters.entry(g).or_default().push((d, r));
        }
    }
    let mut people: Vec<Person> = Vec::with_capacity(clusters.len());
    for (_, mut records) in clusters {
        records.sort_by_key(|(d, r)| {
            (
                rank(*d),
                *d,
                datasets
                    .get(*d)
                    .and_then(|x| x.records.get(*r))
                    .map(|rec| rec.row),
            )
        });
        // One record per source: a second record of the same source joined to the same person
        // means the correlation keys are not unique.
        let mut seen: Vec<usize> = Vec::new();
        let mut kept = Vec::with_capacity(records.len());
        for (d, r) in records {
            if seen.contains(&d) {
                if let Some(data) = datasets.get(d)
                    && let Some(rec) = data.records.get(r)
                {
                    issues.push(DataIssue {
                        code: Code::AmbiguousCorrelation,
                        severity: Severity::Warning,
                        file: data.source.clone(),
                        row: Some(rec.row),
                        field: None,
                        message: format!("record `{}` of `{}` correlates with a person who already has a record there; it is not used", rec.key, data.source),
                        help: Some("make the correlation key pairs unique per person".into()),
                    });
                }
                continue;
            }
            seen.push(d);
            kept.push((d, r));
        }
        let key = kept
            .first()
            .and_then(|(d, r)| datasets.get(*d)?.records.get(*r))
            .map(|rec| rec.key.clone())
            .unwrap_or_default();
        people.push(Person { key, records: kept });
    }
    people.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.records.cmp(&b.records)));
    people
}
