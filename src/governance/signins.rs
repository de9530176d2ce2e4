//! Sign-in dates (`--sign-ins PATH`): Graph's `signInActivity.lastSignInDateTime` from a
//! `GET /users?$select=employeeId,userPrincipalName,mail,signInActivity` export (a page, or a
//! directory of pages, as for the actual state), so that an access review's `recommendation`
//! can tell who has not signed in (`docs/reviews.md`).
//!
//! Accounts are matched to identities by [`KEYS`] in precedence order: the Graph property
//! against the identity attribute of the same name (case ignored in both), `employeeId` first
//! (Entra's HR provisioning writes the worker's id there, and matches on it), then
//! `userPrincipalName`, then `mail`. The first key for which the identity has a value and the
//! export has an account decides. Values compare case-insensitively. Fail closed, as a missing
//! date keeps access: a value two accounts share gives the identity no date (and no later key
//! is tried: the deciding key is ambiguous); an account that several identities reach gives
//! none of them a date; an identity with no value of any key, or whose values no account has,
//! has no date; a date that is not one is no date.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::actual::{self, Cell, Format, ObjectKind, ReadOptions};
use crate::codes::Code;
use crate::column::Column;
use crate::ingest::DataIssue;
use crate::value::Value;

/// The Graph property and identity attribute that match accounts to identities first.
pub const MATCH: &str = "employeeId";

/// The properties (and identity attributes of the same names) that match accounts to
/// identities, in precedence order.
pub const KEYS: [&str; 3] = [MATCH, "userPrincipalName", "mail"];

/// The Graph property with the last sign-in.
pub const LAST_SIGN_IN: &str = "signInActivity.lastSignInDateTime";

/// Last sign-in dates of the export's accounts, and the accounts by each key's values (folded
/// to lower case): `None` where two accounts share the value (ambiguous).
#[derive(Debug, Clone, Default)]
pub struct SignIns {
    /// The export, as given.
    pub file: String,
    /// Each account's last sign-in.
    dates: Vec<Option<NaiveDate>>,
    /// Per key of [`KEYS`]: value → the account holding it, `None` when several do.
    by_key: [HashMap<String, Option<u32>>; 3],
    /// The accounts by Graph `id` (as written), `None` when several share one.
    by_id: HashMap<String, Option<u32>>,
}

/// The text an identity's (or account's) value is matched by, folded; `None` when empty.
fn folded(v: &Value) -> Option<String> {
    let text = match v {
        Value::Str(s) => s.trim().to_lowercase(),
        Value::Int(k) => k.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

impl SignIns {
    /// Each identity's last sign-in, by index, from its attributes named as [`KEYS`].
    pub fn per_identity(
        &self,
        attributes: &[(String, Column)],
        n: usize,
    ) -> Vec<Option<NaiveDate>> {
        self.per_identity_linked(attributes, n, None)
    }

    /// [`SignIns::per_identity`], with each identity's directory account `id` where `plan`
    /// linked one (`linked`, by index): that `id` decides first, the most reliable key (an
    /// `id` two accounts of the export share gives no date, and no later key is tried); an
    /// identity without a linked account, or whose account the export does not have, is
    /// matched by [`KEYS`].
    pub fn per_identity_linked(
        &self,
        attributes: &[(String, Column)],
        n: usize,
        linked: Option<&[Option<String>]>,
    ) -> Vec<Option<NaiveDate>> {
        let columns: Vec<Option<&Column>> = KEYS
            .iter()
            .map(|k| {
                attributes
                    .iter()
                    .find(|(a, _)| a.eq_ignore_ascii_case(k))
                    .map(|(_, c)| c)
            })
            .collect();
        // Each identity's account: the first key with a value and an account decides.
        let accounts: Vec<Option<u32>> = (0..n)
            .map(|i| {
                if let Some(id) = linked.and_then(|l| l.get(i)).and_then(Option::as_deref)
                    && let Some(hit) = self.by_id.get(id)
                {
                    return *hit;
                }
                for (column, index) in columns.iter().zip(&self.by_key) {
                    let Some(value) = column.and_then(|c| folded(c.get(i))) else {
                        continue;
                    };
                    if let Some(hit) = index.get(&value) {
                        return *hit;
                    }
                }
                None
            })
            .collect();
        // An account several identities reach is no one's.
        let mut claims: HashMap<u32, usize> = HashMap::new();
        for a in accounts.iter().flatten() {
            *claims.entry(*a).or_default() += 1;
        }
        accounts
            .iter()
            .map(|a| {
                let a = (*a)?;
                if claims.get(&a).copied().unwrap_or(0) > 1 {
                    return None;
                }
                self.dates.get(a as usize).copied().flatten()
            })
            .collect()
    }

    /// How many accounts gave a date.
    pub fn len(&self) -> usize {
        self.dates.iter().filter(|d| d.is_some()).count()
    }

    /// Whether no account gave a date.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the dates from accounts as [`SignIns::from_accounts`], each with its Graph `id`.
    pub fn from_accounts_with_ids(
        file: &str,
        accounts: impl IntoIterator<Item = (String, [Option<String>; 3], Option<NaiveDate>)>,
    ) -> SignIns {
        let mut ids = Vec::new();
        let mut out = SignIns::from_accounts(
            file,
            accounts.into_iter().map(|(id, keys, date)| {
                ids.push(id);
                (keys, date)
            }),
        );
        for (a, id) in ids.into_iter().enumerate() {
            let Ok(a) = u32::try_from(a) else {
                break;
            };
            if id.is_empty() {
                continue;
            }
            out.by_id
                .entry(id)
                .and_modify(|hit| *hit = None)
                .or_insert(Some(a));
        }
        out
    }

    /// Builds the dates from `(employeeId, last sign-in)` pairs, one per account.
    pub fn from_pairs<'a>(
        file: &str,
        pairs: impl IntoIterator<Item = (&'a str, Option<NaiveDate>)>,
    ) -> SignIns {
        SignIns::from_accounts(
            file,
            pairs
                .into_iter()
                .map(|(id, date)| ([Some(id.to_string()), None, None], date)),
        )
    }

    /// Builds the dates from accounts: each one's values of [`KEYS`] (absent where it has
    /// none) and its last sign-in.
    pub fn from_accounts(
        file: &str,
        accounts: impl IntoIterator<Item = ([Option<String>; 3], Option<NaiveDate>)>,
    ) -> SignIns {
        let mut out = SignIns {
            file: file.to_string(),
            ..SignIns::default()
        };
        for (keys, date) in accounts {
            let Ok(a) = u32::try_from(out.dates.len()) else {
                break;
            };
            out.dates.push(date);
            for (value, index) in keys.iter().zip(out.by_key.iter_mut()) {
                let Some(value) = value.as_ref().and_then(|v| folded(&Value::Str(v.clone())))
                else {
                    continue;
                };
                index
                    .entry(value)
                    .and_modify(|hit| *hit = None)
                    .or_insert(Some(a));
            }
        }
        out
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
    let mut attributes: Vec<String> = KEYS.iter().map(|k| (*k).to_string()).collect();
    attributes.push(LAST_SIGN_IN.to_string());
    let options = ReadOptions {
        format: Format::Graph,
        kind: ObjectKind::Users,
        max_bytes,
        attributes: Some(attributes),
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
                .help("give a Graph `GET /users` export with `employeeId`, `userPrincipalName` or `mail`, and `signInActivity`"),
            ]);
        }
        return Err(errors);
    };
    let text = |r: usize, name: &str| match accounts.cell(r, name) {
        Cell::Text(t) => Some(t.to_string()),
        Cell::Value(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(SignIns::from_accounts_with_ids(
        &file,
        (0..accounts.len()).map(|r| {
            (
                accounts.id(r).to_string(),
                KEYS.map(|k| text(r, k)),
                date_of(accounts.cell(r, LAST_SIGN_IN)),
            )
        }),
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

    /// `employeeId` first, then `userPrincipalName`, then `mail`; a shared value of the
    /// deciding key gives no date (no later key is tried); an account two identities reach
    /// gives neither a date.
    #[test]
    fn keys_in_precedence_order_fail_closed() {
        let d = |k: u32| NaiveDate::from_ymd_opt(2026, 1, k);
        let s = SignIns::from_accounts(
            "f",
            [
                ([Some("1".into()), Some("ada@x.example".into()), None], d(1)),
                ([None, Some("BEN@x.example".into()), None], d(2)),
                ([None, None, Some("cy@x.example".into())], d(3)),
                ([None, Some("dup@x.example".into()), None], d(4)),
                (
                    [
                        None,
                        Some("dup@x.example".into()),
                        Some("di@x.example".into()),
                    ],
                    d(5),
                ),
                ([None, None, Some("eve@x.example".into())], d(6)),
            ],
        );
        let col = |v: &[Option<&str>]| {
            Column::from_values(
                v.iter()
                    .map(|x| x.map_or(Value::Null, |s| Value::Str(s.into())))
                    .collect::<Vec<_>>(),
            )
        };
        let attrs = vec![
            (
                "employeeId".to_string(),
                col(&[Some("1"), Some("2"), None, None, None, None, Some("9")]),
            ),
            (
                "UserPrincipalName".to_string(),
                col(&[
                    Some("ben@x.example"),
                    Some("ben@x.example"),
                    Some("nobody@x.example"),
                    Some("dup@x.example"),
                    None,
                    None,
                    None,
                ]),
            ),
            (
                "mail".to_string(),
                col(&[
                    None,
                    None,
                    Some("Cy@X.example"),
                    Some("di@x.example"),
                    Some("eve@x.example"),
                    Some("eve@x.example"),
                    None,
                ]),
            ),
        ];
        assert_eq!(
            s.per_identity(&attrs, 7),
            vec![
                // employeeId `1` decides, whatever the UPN says.
                d(1),
                // No account with employeeId `2`: the UPN decides.
                d(2),
                // No UPN match: the mail decides, case ignored.
                d(3),
                // The UPN is shared: no date, the mail is not tried.
                None,
                // Two identities reach one account by mail: neither has a date.
                None,
                None,
                // No value matches.
                None,
            ]
        );
        // Without any key attribute: no dates.
        assert_eq!(s.per_identity(&[], 2), vec![None, None]);
    }

    /// A linked account's `id` decides before any key; an `id` two accounts share gives no
    /// date and no key is tried; an identity whose account the export does not have, or
    /// without one, is matched by the keys; an account reached by `id` and by a key from two
    /// identities is no one's.
    #[test]
    fn a_linked_id_decides_first_and_fails_closed() {
        let d = |k: u32| NaiveDate::from_ymd_opt(2026, 1, k);
        let s = SignIns::from_accounts_with_ids(
            "f",
            [
                ("a".to_string(), [Some("1".into()), None, None], d(1)),
                ("b".to_string(), [Some("2".into()), None, None], d(2)),
                ("dup".to_string(), [None, None, None], d(3)),
                ("dup".to_string(), [None, None, None], d(4)),
                ("c".to_string(), [Some("5".into()), None, None], d(5)),
                ("e".to_string(), [Some("6".into()), None, None], d(6)),
            ],
        );
        let ids = Column::from_values(
            ["2", "1", "3", "4", "5", "9"]
                .iter()
                .map(|s| Value::Str((*s).into()))
                .collect::<Vec<_>>(),
        );
        let attrs = vec![("employeeId".to_string(), ids)];
        let linked: Vec<Option<String>> = vec![
            Some("a".into()),
            Some("b".into()),
            Some("dup".into()),
            Some("gone".into()),
            None,
            Some("c".into()),
        ];
        assert_eq!(
            s.per_identity_linked(&attrs, 6, Some(&linked)),
            vec![
                // Linked to `a`: its date, whatever the employeeId says.
                d(1),
                // Linked to `b`.
                d(2),
                // `dup` is on two accounts: no date, the employeeId `3` is not tried.
                None,
                // `gone` is not in the export, and no account has employeeId `4`.
                None,
                // Not linked: employeeId `5` reaches `c`, which identity 5 is linked to: no
                // one's.
                None,
                None,
            ]
        );
        // Without links, the keys as before.
        assert_eq!(
            s.per_identity_linked(&attrs, 6, None),
            vec![d(2), d(1), None, None, d(5), None]
        );
    }

    /// The export's `userPrincipalName` and `mail` are read, as `employeeId` is.
    #[test]
    fn an_export_matches_by_principal_name_and_mail() {
        let dir = std::env::temp_dir().join(format!("roster-signins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.json");
        std::fs::write(
            &path,
            r#"{"value": [
  {"id": "a", "userPrincipalName": "Ada@x.example", "signInActivity": {"lastSignInDateTime": "2026-01-02T08:00:00Z"}},
  {"id": "b", "mail": "ben@x.example", "signInActivity": {"lastSignInDateTime": "2026-01-03T08:00:00Z"}}]}"#,
        )
        .unwrap();
        let s = read(&path, 1 << 20).unwrap();
        let attrs = vec![
            (
                "userPrincipalName".to_string(),
                Column::from_values(vec![Value::Str("ada@x.example".into()), Value::Null]),
            ),
            (
                "mail".to_string(),
                Column::from_values(vec![Value::Null, Value::Str("Ben@x.example".into())]),
            ),
        ];
        assert_eq!(
            s.per_identity(&attrs, 2),
            vec![
                NaiveDate::from_ymd_opt(2026, 1, 2),
                NaiveDate::from_ymd_opt(2026, 1, 3)
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
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
