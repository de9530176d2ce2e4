//! The documented range of every numeric setting of a policy file.
//!
//! Each constant is used three times: by the check stage (a value outside its range is an
//! error at the value's location), by the JSON Schema (`#[schemars(range(...))]` on the field
//! in [`super::raw`], so editors flag it too), and by the table in `docs/security-robust.md`.
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

/// Every range, in the order of the documentation.
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
    OFFSET_DAYS,
    LIFETIME_MINUTES,
    REVIEW_DURATION_DAYS,
];

/// The Markdown table of every range (`docs/security-robust.md`).
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
        if i > 0 && (digits.len() - i) % 3 == 0 {
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
        let schema = serde_json::to_value(schemars::schema_for!(crate::policy::raw::PolicyFile))
            .unwrap();
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

    /// The documentation lists every range as the code has it.
    #[test]
    fn the_documentation_is_current() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/security-robust.md"
        ))
        .unwrap();
        assert!(
            doc.contains(&markdown_table()),
            "docs/security-robust.md does not hold the current table of ranges:\n{}",
            markdown_table()
        );
    }
}
