//! Sign-in dates (`--sign-ins PATH`): Graph's `signInActivity.lastSignInDateTime` from a
//! `GET /users?$select=employeeId,signInActivity` export (a page, or a directory of pages, as
//! for the actual state), so that an access review's `recommendation` can tell who has not
//! signed in (`docs/reviews.md`).
//!
//! Accounts are matched to identities by `employeeId`: the Graph property against the identity
//! attribute of that name (Entra's HR provisioning writes the worker's id there, and matches on
//! it). Values compare case-insensitively. Fail closed, as a missing date keeps access:
//! an account without `employeeId` is not used; two accounts with one `employeeId` give that
//! identity no date; an identity without the attribute, or whose value no account has, has no
//! date; a date that is not one is no date.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::actual::{self, Cell, Format, ObjectKind, ReadOptions};
use crate::codes::Code;
use crate::column::Column;
use crate::ingest::DataIssue;
use crate::value::Value;

/// The Graph property and identity attribute that match accounts to identities.
pub const MATCH: &str = "employeeId";

/// The Graph property with the last sign-in.
pub const LAST_SIGN_IN: &str = "signInActivity.lastSignInDateTime";

/// Last sign-in dates by `employeeId` (folded to lower case): `None` when two accounts share
/// the value (no date: ambiguous).
#[derive(Debug, Clone, Default)]
pub struct SignIns {
    /// The export, as given.
    pub file: String,
    by_id: HashMap<String, Option<NaiveDate>>,
}

impl SignIns {
    /// Each identity's last sign-in, by index, from the identity attribute `employeeId`.
    pub fn per_identity(
        &self,
        attributes: &[(String, Column)],
        n: usize,
    ) -> Vec<Option<NaiveDate>> {
        let Some((_, column)) = attributes
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(MATCH))
        else {
            return vec![None; n];
        };
        (0..n)
            .map(|i| match column.get(i) {
                Value::Str(s) => self.by_id.get(&s.to_lowercase()).copied().flatten(),
                Value::Int(k) => self.by_id.get(&k.to_string()).copied().flatten(),
                _ => None,
            })
            .collect()
    }

    /// How many accounts gave a date.
    pub fn len(&self) -> usize {
        self.by_id.values().filter(|d| d.is_some()).count()
    }

    /// Whether no account gave a date.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the dates from `(employeeId, last sign-in)` pairs.
    pub fn from_pairs<'a>(
        file: &str,
        pairs: impl IntoIterator<Item = (&'a str, Option<NaiveDate>)>,
    ) -> SignIns {
        let mut by_id: HashMap<String, Option<NaiveDate>> = HashMap::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (id, date) in pairs {
            let id = id.trim().to_lowercase();
            if id.is_empty() {
                continue;
            }
            let count = seen.entry(id.clone()).or_default();
            *count += 1;
            if *count > 1 {
                by_id.insert(id, None);
            } else {
                by_id.insert(id, date);
            }
        }
        SignIns {
            file: file.to_string(),
            by_id,
        }
    }
}

/// The date of a `lastSignInDateTime` cell (RFC 3339, or a date-time the reader typed).
fn date_of(cell: Cell<'_>) -> Option<NaiveDate> {
    let text = match cell {
        Cell::Text(t) => t,
        Cell::Value(Value::Str(s)) => s.as_str(),
        Cell::Value(Value::Date(d)) => return Some(d.date()),
        _ => return None,
    };
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|d| d.naive_utc().date())
        .or_else(|| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok())
}

/// Reads a Graph users export with sign-in activity from `path` (a file or a directory of
/// pages), at most `max_bytes`. An export that cannot be read whole is an error (the command
/// does not run: a part would give dates to some and not to others).
pub fn read(path: &Path, max_bytes: u64) -> Result<SignIns, Vec<DataIssue>> {
    let options = ReadOptions {
        format: Format::Graph,
        kind: ObjectKind::Users,
        max_bytes,
        attributes: Some(vec![MATCH.to_string(), LAST_SIGN_IN.to_string()]),
        ..ReadOptions::default()
    };
    let file = path.display().to_string();
    let (accounts, issues) = actual::read(path, &options);
    let errors: Vec<DataIssue> = issues.into_iter().filter(DataIssue::is_error).collect();
    let Some(accounts) = accounts.filter(|_| errors.is_empty()) else {
        if errors.is_empty() {
            return Err(vec![
                DataIssue::new(
                    Code::ActualUnreadable,
                    &file,
                    "the sign-in export could not be read".to_string(),
                )
                .help("give a Graph `GET /users` export with `employeeId` and `signInActivity`"),
            ]);
        }
        return Err(errors);
    };
    let mut pairs = Vec::new();
    for r in 0..accounts.len() {
        let id = match accounts.cell(r, MATCH) {
            Cell::Text(t) => t.to_string(),
            Cell::Value(Value::Str(s)) => s.clone(),
            _ => continue,
        };
        pairs.push((id, date_of(accounts.cell(r, LAST_SIGN_IN))));
    }
    Ok(SignIns::from_pairs(
        &file,
        pairs.iter().map(|(id, d)| (id.as_str(), *d)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_give_no_date_and_case_is_ignored() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 2);
        let s = SignIns::from_pairs("f", [("A1", d), ("b2", d), ("B2", d), ("c3", None)]);
        let col = Column::from_values(vec![
            Value::Str("a1".into()),
            Value::Str("b2".into()),
            Value::Str("c3".into()),
            Value::Null,
            Value::Str("zz".into()),
        ]);
        let attrs = vec![("employeeId".to_string(), col)];
        assert_eq!(s.per_identity(&attrs, 5), vec![d, None, None, None, None]);
        assert_eq!(s.per_identity(&[], 2), vec![None, None]);
    }

    #[test]
    fn dates_are_read_from_rfc3339() {
        assert_eq!(
            date_of(Cell::Text("2026-03-04T23:10:00Z")),
            NaiveDate::from_ymd_opt(2026, 3, 4)
        );
        assert_eq!(
            date_of(Cell::Text("2026-03-04T23:10:00-05:00")),
            NaiveDate::from_ymd_opt(2026, 3, 5)
        );
        assert_eq!(date_of(Cell::Text("soon")), None);
        assert_eq!(date_of(Cell::Null), None);
    }
}
