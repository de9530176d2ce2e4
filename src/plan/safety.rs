//! Accidental-deletion prevention, as Entra does it: the disables and deletes one run makes in
//! a target are counted against the target's threshold, and over it the plan is refused.
//!
//! - The threshold is `deletion_threshold` (default [`DEFAULT_DELETION_THRESHOLD`], Entra
//!   Connect's 500: never unlimited) and, when `deletion_threshold_percent` is set, that share
//!   of the accounts Roster manages in the target (rounded up, at least 1); the lower applies.
//!   More than the threshold is refused; exactly the threshold is allowed.
//! - An approval in the policy set lets exactly one plan through: it names the target, the
//!   number of deletes and of disables, the fingerprint of those changes, and the last day it
//!   holds. The fingerprint is SHA-256 over the sorted lines `action<TAB>account<TAB>identity`
//!   of the target's disables and deletes, so any other set of destructive changes — one more
//!   account, another account — needs another approval, reviewed in its own pull request.

use sha2::{Digest as _, Sha256};

use super::{Action, Change, DEFAULT_DELETION_THRESHOLD, Options, TargetPlan};
use crate::policy::load::Loaded;
use crate::policy::raw;

/// The fingerprint of a target's destructive changes.
pub fn fingerprint<'a>(changes: impl Iterator<Item = &'a Change>) -> String {
    let mut lines: Vec<String> = changes
        .map(|c| {
            format!(
                "{}\t{}\t{}\n",
                c.action.word(),
                c.account.as_deref().unwrap_or(""),
                c.identity.as_deref().unwrap_or("")
            )
        })
        .collect();
    lines.sort();
    let mut hash = Sha256::new();
    for l in &lines {
        hash.update(l.as_bytes());
    }
    let digest = hash.finalize();
    let mut out = String::from("sha256:");
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Counts the target's disables and deletes, sets its threshold and fingerprint, and refuses
/// it when it is over the threshold and no approval holds.
pub(super) fn check(
    loaded: &Loaded,
    name: &str,
    target: &raw::Target,
    tp: &mut TargetPlan,
    changes: &[Change],
    options: Options,
) {
    let destructive: Vec<&Change> = changes
        .iter()
        .filter(|c| c.target == name && matches!(c.action, Action::Disable | Action::Delete))
        .collect();
    let deletes = destructive
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    let disables = destructive.len() - deletes;
    let absolute = target
        .deletion_threshold
        .as_ref()
        .map_or(DEFAULT_DELETION_THRESHOLD, |t| t.value) as usize;
    let threshold = match &target.deletion_threshold_percent {
        Some(p) => {
            let share = (tp.managed * p.value as usize).div_ceil(100).max(1);
            absolute.min(share)
        }
        None => absolute,
    };
    tp.destructive = destructive.len();
    tp.threshold = threshold;
    tp.fingerprint = fingerprint(destructive.iter().copied());
    if destructive.len() <= threshold {
        return;
    }
    for file in &loaded.files {
        for (aname, approval) in &file.policy.approvals {
            let a = &approval.value;
            if a.target.value == name
                && a.deletes.value as usize == deletes
                && a.disables.value as usize == disables
                && a.fingerprint.value.eq_ignore_ascii_case(&tp.fingerprint)
                && holds_on(&a.expires.value, options.as_of)
            {
                tp.approved_by = Some(aname.value.clone());
                return;
            }
        }
    }
    tp.refused = true;
}

/// Why each approval of `name` does not hold, for the refusal message.
pub fn approval_mismatches(
    loaded: &Loaded,
    tp: &TargetPlan,
    deletes: usize,
    disables: usize,
    as_of: chrono::NaiveDate,
) -> Vec<String> {
    let mut out = Vec::new();
    for file in &loaded.files {
        for (aname, approval) in &file.policy.approvals {
            let a = &approval.value;
            if a.target.value != tp.name {
                continue;
            }
            let mut why = Vec::new();
            if a.deletes.value as usize != deletes {
                why.push(format!(
                    "it approves {} deletes, the plan has {deletes}",
                    a.deletes.value
                ));
            }
            if a.disables.value as usize != disables {
                why.push(format!(
                    "it approves {} disables, the plan has {disables}",
                    a.disables.value
                ));
            }
            if !a.fingerprint.value.eq_ignore_ascii_case(&tp.fingerprint) {
                why.push("its fingerprint is not this plan's".to_string());
            }
            if !holds_on(&a.expires.value, as_of) {
                why.push(format!(
                    "it expired on {} (or that is not a `YYYY-MM-DD` date)",
                    a.expires.value
                ));
            }
            out.push(format!("approval `{}`: {}", aname.value, why.join("; ")));
        }
    }
    out
}

/// Whether an approval that expires on `expires` (`YYYY-MM-DD`, the last day it holds) holds
/// on `as_of`. A date that does not parse holds never.
pub fn holds_on(expires: &str, as_of: chrono::NaiveDate) -> bool {
    chrono::NaiveDate::parse_from_str(expires, "%Y-%m-%d").is_ok_and(|d| d >= as_of)
}
