//! The documented range of every numeric setting of a policy file.
//!
//! Each constant is used three times: by the check stage (a value outside its range is an
//! error at the value's location), by the JSON Schema (`#[schemars(range(...))]` on the field
//! in [`super::raw`], so editors flag it too), and by the table in `docs/security.md`.
//! Where Entra documents a limit the range is Entra's and the code is `C305`; where Entra is
//! silent the range is Roster's (`C320`), wide enough for any real policy and narrow enough that
//! date arithmetic cannot leave the calendar.

use crate::codes::Code;

/// The range of one numeric setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Where the setting is written, for messages and documentation.
    pub setting: &'static str,
    /// The smallest value allowed.
    pub min: i64,
    /// The largest value allowed.
    pub max: i64,
    /// The unit, plural (`days`, `hours`...).
    pub unit: &'static str,
    /// The code of a value outside the range: `C305` for Entra's limits, `C320` for Roster's.
    pub code: Code,
    /// Why the range is what it is.
    pub why: &'static str,
}

impl Range {
    /// Whether `value` is inside the range.
    pub fn contains(&self, value: i64) -> bool {
        (self.min..=self.max).contains(&value)
    }
}

/// `identity.lifecycle.prehire_days`.
pub const PREHIRE_DAYS: Range = Range {
    setting: "lifecycle.prehire_days",
    min: 0,
    max: 365,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "an account created more than a year before the first day is a mistake; lifecycle workflows themselves reach at most 180 days ahead",
};

/// `identity.lifecycle.retention_days`.
pub const RETENTION_DAYS: Range = Range {
    setting: "lifecycle.retention_days",
    min: 0,
    max: 3650,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "ten years covers any legal retention of a disabled account",
};

/// `identity.lifecycle.rehire.min_gap_days`.
pub const MIN_GAP_DAYS: Range = Range {
    setting: "lifecycle.rehire.min_gap_days",
    min: 0,
    max: 3650,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "a gap is compared with the retention, which is at most ten years",
};

/// `access_packages.*.auto_assignment.grace_period_days`.
pub const GRACE_PERIOD_DAYS: Range = Range {
    setting: "auto_assignment.grace_period_days",
    min: 0,
    max: 3660,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "no longer than the longest assignment Entra allows (3,660 days)",
};

/// `access_packages.*.policies.*.approval[].timeout_days`.
pub const TIMEOUT_DAYS: Range = Range {
    setting: "approval.timeout_days",
    min: 1,
    max: 14,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "Entra's approval stages are decided within 1 to 14 days",
};

/// `expiry: {days: N}` of a request policy.
pub const EXPIRY_DAYS: Range = Range {
    setting: "expiry.days",
    min: 0,
    max: 3660,
    unit: "days",
    code: Code::InvalidSetting,
    why: "Entra's limit for an access-package assignment",
};

/// `expiry: {hours: N}` of a request policy.
pub const EXPIRY_HOURS: Range = Range {
    setting: "expiry.hours",
    min: 1,
    max: 87_840,
    unit: "hours",
    code: Code::SettingOutOfRange,
    why: "the same span as Entra's 3,660 days",
};

/// `connected_organizations.*.remove_guests_after_days`.
pub const REMOVE_GUESTS_AFTER_DAYS: Range = Range {
    setting: "remove_guests_after_days",
    min: 0,
    max: 3650,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "Entra's default is 30 and 0 removes at once; ten years is the longest Roster accepts",
};

/// `targets.*.deletion_threshold`.
pub const DELETION_THRESHOLD: Range = Range {
    setting: "deletion_threshold",
    min: 1,
    max: 1_000_000,
    unit: "accounts",
    code: Code::SettingOutOfRange,
    why: "0 would stop every run; a threshold above a million deletions protects nothing",
};

/// `targets.*.deletion_threshold_percent`.
pub const DELETION_THRESHOLD_PERCENT: Range = Range {
    setting: "deletion_threshold_percent",
    min: 1,
    max: 100,
    unit: "per cent",
    code: Code::SettingOutOfRange,
    why: "a share of the managed accounts; 0 would stop every run",
};

/// `workflows.*.trigger.time_based.offset_days`.
pub const OFFSET_DAYS: Range = Range {
    setting: "time_based.offset_days",
    min: -180,
    max: 180,
    unit: "days",
    code: Code::InvalidSetting,
    why: "Entra's range for a lifecycle workflow trigger",
};

/// `generate_temporary_access_pass.lifetime_minutes` of a workflow task.
pub const LIFETIME_MINUTES: Range = Range {
    setting: "generate_temporary_access_pass.lifetime_minutes",
    min: 10,
    max: 43_200,
    unit: "minutes",
    code: Code::InvalidSetting,
    why: "Entra's range for a temporary access pass",
};

/// `reviews.*.duration_days` (also at most the recurrence period: 7, 28, 90, 181 or 365 days).
pub const REVIEW_DURATION_DAYS: Range = Range {
    setting: "reviews.duration_days",
    min: 1,
    max: 3650,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "a one-time review has no period to fit in; ten years is the longest Roster accepts",
};

/// `reviews.*.occurrences`: the number of instances of a review series.
pub const REVIEW_OCCURRENCES: Range = Range {
    setting: "reviews.occurrences",
    min: 1,
    max: 1000,
    unit: "instances",
    code: Code::SettingOutOfRange,
    why: "a series ends after at least one instance; a thousand is more than any schedule needs",
};

/// `reviews.*.recommendation_lookback_days`: the sign-in look-back of recommendations.
pub const REVIEW_LOOKBACK_DAYS: Range = Range {
    setting: "reviews.recommendation_lookback_days",
    min: 1,
    max: 730,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "Entra's longest inactivity period for access reviews",
};

/// Every range, in the order of the documentation.
/// `reviews.*.inactive_days`.
pub const REVIEW_INACTIVE_DAYS: Range = Range {
    setting: "reviews.inactive_days",
    min: 1,
    max: 730,
    unit: "days",
    code: Code::SettingOutOfRange,
    why: "Entra's range of days inactive for an inactive-users review",
};

pub const ALL: &[Range] = &[
    PREHIRE_DAYS,
    RETENTION_DAYS,
    MIN_GAP_DAYS,
    GRACE_PERIOD_DAYS,
    TIMEOUT_DAYS,
    EXPIRY_DAYS,
    EXPIRY_HOURS,
    REMOVE_GUESTS_AFTER_DAYS,
    DELETION_THRESHOLD,
    DELETION_THRESHOLD_PERCENT,
    OFFSET_DAYS,
    LIFETIME_MINUTES,
    REVIEW_DURATION_DAYS,
    REVIEW_OCCURRENCES,
    REVIEW_LOOKBACK_DAYS,
    REVIEW_INACTIVE_DAYS,
];

/// The Markdown table of every range (`docs/security.md`).
pub fn markdown_table() -> String {
    use std::fmt::Write as _;
    let mut out = String::from("| setting | range | code | why |\n|---|---|---|---|\n");
    for r in ALL {
        let _ = writeln!(
            out,
            "| `{}` | {} to {} {} | {} | {} |",
            r.setting,
            thousands(r.min),
            thousands(r.max),
            r.unit,
            r.code.as_str(),
            r.why
        );
    }
    out
}

/// `12345` as `12,345`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(365), "365");
        assert_eq!(thousands(3650), "3,650");
        assert_eq!(thousands(-180), "-180");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    /// The JSON Schema carries each range as `minimum`/`maximum` (the attributes in `raw.rs`
    /// repeat these constants: this keeps them equal).
    #[test]
    fn the_schema_carries_every_range() {
        let schema =
            serde_json::to_value(schemars::schema_for!(crate::policy::raw::PolicyFile)).unwrap();
        let mut found = Vec::new();
        collect_ranges(&schema, &mut found);
        for r in ALL {
            assert!(
                found.contains(&(r.min, r.max)),
                "{}: no schema property has minimum {} and maximum {}; found {found:?}",
                r.setting,
                r.min,
                r.max
            );
        }
    }

    fn collect_ranges(v: &serde_json::Value, out: &mut Vec<(i64, i64)>) {
        match v {
            serde_json::Value::Object(map) => {
                if let (Some(min), Some(max)) = (
                    map.get("minimum").and_then(serde_json::Value::as_i64),
                    map.get("maximum").and_then(serde_json::Value::as_i64),
                ) {
                    out.push((min, max));
                }
                for x in map.values() {
                    collect_ranges(x, out);
                }
            }
            serde_json::Value::Array(items) => {
                for x in items {
                    collect_ranges(x, out);
                }
            }
            _ => {}
        }
    }

    /// A policy with every numeric setting one past its range (below when `low`, above
    /// otherwise), each on its own line tagged with the setting's name.
    fn every_setting(low: bool) -> String {
        // Unsigned settings whose range starts at 0 cannot be written lower (the YAML layer
        // refuses a negative number): those stay at 0.
        let v = |r: &Range| match (low, r.min) {
            (true, 0) => 0,
            (true, min) => min - 1,
            (false, _) => r.max + 1,
        };
        format!(
            r#"sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      start: datetime
identity:
  attributes:
    employeeId:
      source: hr.id
    hireDate:
      type: datetime
      source: hr.start
  lifecycle:
    hire_date: hireDate
    prehire_days: {} # {}
    retention_days: {} # {}
    rehire:
      min_gap_days: {} # {}
groups:
  all:
    rule: user.employeeId -ne null
access_packages:
  pkg:
    auto_assignment:
      rule: user.employeeId -ne null
      grace_period_days: {} # {}
    policies:
      a:
        requestors: all_members
        approval:
          - approvers: [manager]
            timeout_days: {} # {}
        expiry:
          days: {} # {}
      b:
        requestors: all_members
        expiry:
          hours: {} # {}
connected_organizations:
  partner:
    domain: partner.example
    remove_guests_after_days: {} # {}
targets:
  directory:
    kind: directory
    deletion_threshold: {} # {}
    deletion_threshold_percent: {} # {}
    matching: [employeeId]
    mappings:
      employeeId:
        source: employeeId
    scope:
      sync: all
workflows:
  w:
    category: joiner
    trigger:
      time_based: {{attribute: hireDate, offset_days: {}}} # {}
    tasks:
      - generate_temporary_access_pass:
          lifetime_minutes: {} # {}
reviews:
  r:
    scope:
      group: all
    reviewers: [manager]
    recurrence: one_time
    duration_days: {} # {}
    start: "2026-01-01"
    occurrences: {} # {}
    recommendation_lookback_days: {} # {}
    inactive_days: {} # {}
    default_decision: no_change
    auto_apply: false
"#,
            v(&PREHIRE_DAYS),
            PREHIRE_DAYS.setting,
            v(&RETENTION_DAYS),
            RETENTION_DAYS.setting,
            v(&MIN_GAP_DAYS),
            MIN_GAP_DAYS.setting,
            v(&GRACE_PERIOD_DAYS),
            GRACE_PERIOD_DAYS.setting,
            v(&TIMEOUT_DAYS),
            TIMEOUT_DAYS.setting,
            v(&EXPIRY_DAYS),
            EXPIRY_DAYS.setting,
            v(&EXPIRY_HOURS),
            EXPIRY_HOURS.setting,
            v(&REMOVE_GUESTS_AFTER_DAYS),
            REMOVE_GUESTS_AFTER_DAYS.setting,
            v(&DELETION_THRESHOLD),
            DELETION_THRESHOLD.setting,
            v(&DELETION_THRESHOLD_PERCENT),
            DELETION_THRESHOLD_PERCENT.setting,
            v(&OFFSET_DAYS),
            OFFSET_DAYS.setting,
            v(&LIFETIME_MINUTES),
            LIFETIME_MINUTES.setting,
            v(&REVIEW_DURATION_DAYS),
            REVIEW_DURATION_DAYS.setting,
            v(&REVIEW_OCCURRENCES),
            REVIEW_OCCURRENCES.setting,
            v(&REVIEW_LOOKBACK_DAYS),
            REVIEW_LOOKBACK_DAYS.setting,
            v(&REVIEW_INACTIVE_DAYS),
            REVIEW_INACTIVE_DAYS.setting,
        )
    }

    /// Every numeric setting just outside its range is an error with the setting's code, on
    /// the setting's line; at the range's ends, none is.
    #[test]
    fn every_range_is_checked_at_its_location() {
        let dir = std::env::temp_dir().join(format!("roster-ranges-{}", std::process::id()));
        for (case, low) in [("high", false), ("low", true)] {
            let text = every_setting(low);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("policy.yaml"), &text).unwrap();
            let checked = crate::policy::check(&dir).unwrap();
            for r in ALL {
                if low && r.min == 0 {
                    continue;
                }
                let line = text
                    .lines()
                    .position(|l| l.ends_with(&format!("# {}", r.setting)))
                    .unwrap();
                let start = text.lines().take(line).map(|l| l.len() + 1).sum::<usize>();
                let end = start + text.lines().nth(line).unwrap().len();
                let hits: Vec<_> = checked
                    .diagnostics
                    .iter()
                    .filter(|d| (start..end).contains(&d.span.start))
                    .collect();
                assert!(
                    hits.len() == 1 && hits[0].code == r.code,
                    "{case} {}: {hits:?}",
                    r.setting
                );
            }
        }
        // Each range's own ends are fine.
        for ends in [true, false] {
            let text = every_setting(ends)
                .lines()
                .map(|l| {
                    let Some((head, setting)) = l.split_once(" # ") else {
                        return l.to_string();
                    };
                    let r = ALL.iter().find(|r| r.setting == setting).unwrap();
                    let inside = if ends { r.min } else { r.max };
                    let value_at = head
                        .rfind(|c: char| !(c.is_ascii_digit() || c == '-'))
                        .unwrap()
                        + 1;
                    let closing = if head.ends_with('}') { "}" } else { "" };
                    let value_at = if closing.is_empty() {
                        value_at
                    } else {
                        head.rfind(": ").unwrap() + 2
                    };
                    format!("{}{inside}{closing}", &head[..value_at])
                })
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(dir.join("policy.yaml"), &text).unwrap();
            let checked = crate::policy::check(&dir).unwrap();
            let errors: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .collect();
            assert!(errors.is_empty(), "{text}\n{errors:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The security documentation lists every range as the code has it (`docs/security.md`,
    /// or the part it is merged from).
    #[test]
    fn the_documentation_is_current() {
        let table = markdown_table();
        let found = ["docs/security.md"]
            .iter()
            .filter_map(|p| {
                std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).ok()
            })
            .any(|doc| doc.contains(&table));
        assert!(
            found,
            "docs/security.md does not hold the current table of ranges:\n{table}"
        );
    }
}
