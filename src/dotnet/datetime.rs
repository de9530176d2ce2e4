//! .NET-compatible date and time handling (stub: interface only).
//!
//! All instants are UTC (`NaiveDateTime` interpreted as UTC), as the Entra provisioning service
//! runs in UTC.

use chrono::NaiveDateTime;

/// An error from parsing or computing with a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    /// Lower-case message without a final period, e.g. "`32/1/2020` is not a date".
    pub message: String,
    /// Optional help on how to fix it.
    pub help: Option<String>,
}

/// Interval names of `DateAdd` / `DateDiff` (Visual Basic names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Year,
    Quarter,
    Month,
    DayOfYear,
    Day,
    Weekday,
    Week,
    Hour,
    Minute,
    Second,
}

impl Interval {
    /// Parses a VB interval name: `yyyy`, `q`, `m`, `y`, `d`, `w`, `ww`, `h`, `n`, `s`
    /// (case-insensitive). Returns `None` for anything else.
    pub fn parse(_s: &str) -> Option<Interval> {
        None
    }
}

/// Parses a date/time string the way `CDate` does (.NET `DateTime.Parse`, invariant culture,
/// offsets converted to UTC, no offset means UTC).
pub fn parse(s: &str) -> Result<NaiveDateTime, DateError> {
    Err(DateError { message: format!("`{s}` is not a date"), help: None })
}

/// Renders a date as Entra does: `M/d/yyyy h:mm:ss tt` (e.g. `3/16/2020 7:00:00 AM`).
pub fn render(dt: &NaiveDateTime) -> String {
    dt.to_string()
}

/// Parses `s` with a .NET custom format string (`DateTime.ParseExact`).
pub fn parse_exact(s: &str, _format: &str) -> Result<NaiveDateTime, DateError> {
    parse(s)
}

/// Formats with a .NET custom (or standard single-letter) format string.
pub fn format(dt: &NaiveDateTime, _format: &str) -> Result<String, DateError> {
    Ok(render(dt))
}

/// `DateAdd(interval, n, dt)`.
pub fn add(_interval: Interval, _n: i64, dt: NaiveDateTime) -> Result<NaiveDateTime, DateError> {
    Ok(dt)
}

/// `DateDiff(interval, d1, d2)` with Visual Basic semantics.
pub fn diff(_interval: Interval, _d1: NaiveDateTime, _d2: NaiveDateTime) -> i64 {
    0
}

/// AD FILETIME (100-ns ticks since 1601-01-01 UTC) to a date.
pub fn from_filetime(_ticks: i64) -> Result<NaiveDateTime, DateError> {
    Err(DateError { message: "not implemented".into(), help: None })
}

/// A date to AD FILETIME ticks.
pub fn to_filetime(_dt: NaiveDateTime) -> i64 {
    0
}
