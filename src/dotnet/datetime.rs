//! .NET-compatible date and time handling: the behaviour behind Entra's `CDate`,
//! `FormatDateTime`, `DateAdd`, `DateDiff`, `DateFromNum` and `NumFromDate`.
//!
//! All instants are UTC (`NaiveDateTime` interpreted as UTC), as the Entra provisioning service
//! runs in UTC. Precision is .NET's: one tick of 100 ns, and the range is .NET's `DateTime`
//! range, 0001-01-01 to 9999-12-31.
//!
//! Where .NET would fill a missing year or date from the clock (`DateTime.Parse("13:45")`),
//! [`parse`] and [`parse_exact`] refuse instead, so results never depend on the day roster runs;
//! [`parse_with_today`] and [`parse_exact_with_today`] take the date to use.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

/// An error from parsing or computing with a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    /// Lower-case message without a final period, e.g. "`32/1/2020` is not a date".
    pub message: String,
    /// Optional help on how to fix it.
    pub help: Option<String>,
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DateError {}

/// Interval names of `DateAdd` / `DateDiff` (Visual Basic names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// `yyyy`: calendar years.
    Year,
    /// `q`: calendar quarters (three months).
    Quarter,
    /// `m`: calendar months.
    Month,
    /// `y`: day of year; behaves exactly like [`Interval::Day`], as in Visual Basic.
    DayOfYear,
    /// `d`: days.
    Day,
    /// `w`: weekday; `DateAdd` adds days, `DateDiff` counts whole 7-day spans.
    Weekday,
    /// `ww`: calendar weeks; `DateAdd` adds weeks, `DateDiff` counts Sundays crossed.
    Week,
    /// `h`: hours.
    Hour,
    /// `n`: minutes.
    Minute,
    /// `s`: seconds.
    Second,
}

impl Interval {
    /// Parses a VB interval name: `yyyy`, `q`, `m`, `y`, `d`, `w`, `ww`, `h`, `n`, `s`
    /// (case-insensitive). Returns `None` for anything else.
    pub fn parse(s: &str) -> Option<Interval> {
        Some(match s.to_ascii_lowercase().as_str() {
            "yyyy" => Interval::Year,
            "q" => Interval::Quarter,
            "m" => Interval::Month,
            "y" => Interval::DayOfYear,
            "d" => Interval::Day,
            "w" => Interval::Weekday,
            "ww" => Interval::Week,
            "h" => Interval::Hour,
            "n" => Interval::Minute,
            "s" => Interval::Second,
            _ => return None,
        })
    }

    /// The Visual Basic name of the interval (`yyyy`, `q`, ...), for messages.
    pub fn name(self) -> &'static str {
        match self {
            Interval::Year => "yyyy",
            Interval::Quarter => "q",
            Interval::Month => "m",
            Interval::DayOfYear => "y",
            Interval::Day => "d",
            Interval::Weekday => "w",
            Interval::Week => "ww",
            Interval::Hour => "h",
            Interval::Minute => "n",
            Interval::Second => "s",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared tables and helpers
// ---------------------------------------------------------------------------------------------

const TICKS_PER_SECOND: i64 = 10_000_000;
/// FILETIME of 1970-01-01T00:00:00Z.
const UNIX_EPOCH_FILETIME: i64 = 116_444_736_000_000_000;
/// FILETIME of .NET's `DateTime.MaxValue`, 9999-12-31T23:59:59.9999999Z.
const MAX_FILETIME: i64 = 2_650_467_743_999_999_999;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_ABBR: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const DAYS_ABBR: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

const ISO_HELP: &str = "write the date in ISO 8601 form, such as `2021-06-30`, \
                        `2021-06-30T16:00:00Z` or `2021-06-30T16:00:00+08:00`";

/// Why a parse failed, before it is turned into a [`DateError`].
#[derive(Debug)]
enum Fail {
    /// The text does not fit; the reason goes into the help.
    Bad(String),
    /// A part is missing that .NET would take from the clock (`"date"` or `"year"`).
    NeedsToday(&'static str),
}

fn bad(reason: impl Into<String>) -> Fail {
    Fail::Bad(reason.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Am,
    Pm,
}

fn in_range(dt: &NaiveDateTime) -> bool {
    (1..=9999).contains(&dt.year())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

fn name_at(names: &[&'static str], index: usize) -> &'static str {
    names.get(index).copied().unwrap_or("")
}

fn month_name(month: u32) -> &'static str {
    name_at(&MONTHS, month.saturating_sub(1) as usize)
}

/// The 100-ns ticks within the second (0..=9_999_999), ignoring chrono's leap-second nanos.
fn ticks_of(dt: &NaiveDateTime) -> u32 {
    dt.nanosecond().min(999_999_999) / 100
}

/// Builds a checked date; the reason names the offending field.
fn make_date(year: i64, month: u32, day: u32) -> Result<NaiveDate, Fail> {
    if !(1..=9999).contains(&year) {
        return Err(bad(format!("year {year} is outside 1 to 9999")));
    }
    if !(1..=12).contains(&month) {
        return Err(bad(format!("there is no month {month}")));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(bad(format!(
            "{} {year} has no day {day}",
            month_name(month)
        )));
    }
    i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or_else(|| bad(format!("{year}-{month}-{day} is not a date")))
}

/// Combines date, time of day, ticks and a UTC offset (seconds east) into a UTC instant.
fn compose(
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    ticks: u32,
    offset_seconds: i64,
) -> Result<NaiveDateTime, Fail> {
    if minute > 59 {
        return Err(bad(format!("there is no minute {minute}")));
    }
    if second > 59 {
        return Err(bad(format!("there is no second {second}")));
    }
    let time = NaiveTime::from_hms_opt(hour, minute, second)
        .ok_or_else(|| bad(format!("there is no hour {hour}")))?;
    date.and_time(time)
        .checked_add_signed(TimeDelta::nanoseconds(i64::from(ticks) * 100))
        .and_then(|dt| dt.checked_sub_signed(TimeDelta::try_seconds(offset_seconds)?))
        .filter(in_range)
        .ok_or_else(|| bad("the time falls outside the years 1 to 9999 once converted to UTC"))
}

/// .NET `Calendar.ToFourDigitYear` with `TwoDigitYearMax` 2049: 00-49 → 20xx, 50-99 → 19xx.
fn four_digit_year(year: i64) -> i64 {
    match year {
        0..=49 => 2000 + year,
        50..=99 => 1900 + year,
        _ => year,
    }
}

/// Checks a parsed day name (0 = Sunday) against the date, as .NET does.
fn check_weekday(date: NaiveDate, weekday: Option<usize>) -> Result<(), Fail> {
    let actual = date.weekday().num_days_from_sunday() as usize;
    match weekday {
        Some(given) if given != actual => Err(bad(format!(
            "{date} is a {}, not a {}",
            name_at(&DAYS, actual),
            name_at(&DAYS, given)
        ))),
        _ => Ok(()),
    }
}

fn index_of_name(names: &[&str], word: &str) -> Option<usize> {
    names.iter().position(|n| n.eq_ignore_ascii_case(word))
}

// ---------------------------------------------------------------------------------------------
// DateTime.Parse (CDate)
// ---------------------------------------------------------------------------------------------

/// Parses a date/time string the way `CDate` does (.NET `DateTime.Parse`, invariant culture,
/// offsets converted to UTC, no offset means UTC).
///
/// A string without a year (`June 15`) or without a date (`13:45`) is an error, because .NET
/// would take the missing part from the clock; see [`parse_with_today`].
pub fn parse(s: &str) -> Result<NaiveDateTime, DateError> {
    parse_impl(s, None)
}

/// As [`parse`], but a missing date or year is taken from `today`, as .NET takes it from the
/// clock. Use it when the caller has a notion of "now" (for example a pinned `Now()`).
pub fn parse_with_today(s: &str, today: NaiveDate) -> Result<NaiveDateTime, DateError> {
    parse_impl(s, Some(today))
}

fn parse_impl(s: &str, today: Option<NaiveDate>) -> Result<NaiveDateTime, DateError> {
    let run = || {
        let mut parser = Lenient::new(s);
        parser.run()?;
        parser.finish(today)
    };
    run().map_err(|fail| match fail {
        Fail::Bad(reason) => DateError {
            message: format!("`{s}` is not a date"),
            help: Some(format!("{reason}; {ISO_HELP}")),
        },
        Fail::NeedsToday(part) => DateError {
            message: format!("`{s}` has no {part}"),
            help: Some(format!(
                "Entra would fill in the current {part}, which roster cannot know offline; \
                 {ISO_HELP}"
            )),
        },
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Num(&'a str),
    Word(&'a str),
    Punct(char),
    Space,
}

/// Splits into runs of ASCII digits, runs of ASCII letters, runs of white space, and single
/// other characters.
fn lex(s: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let run = |pred: fn(char) -> bool| rest.find(|ch: char| !pred(ch)).unwrap_or(rest.len());
        let len = if c.is_whitespace() {
            toks.push(Tok::Space);
            run(char::is_whitespace)
        } else if c.is_ascii_digit() {
            let n = run(|ch| ch.is_ascii_digit());
            toks.push(Tok::Num(rest.get(..n).unwrap_or_default()));
            n
        } else if c.is_ascii_alphabetic() {
            let n = run(|ch| ch.is_ascii_alphabetic());
            toks.push(Tok::Word(rest.get(..n).unwrap_or_default()));
            n
        } else {
            toks.push(Tok::Punct(c));
            c.len_utf8()
        };
        rest = rest.get(len..).unwrap_or_default();
    }
    toks
}

/// The value of a digit run, if it has at most 9 digits.
fn num_value(text: &str) -> Option<u32> {
    if text.len() > 9 {
        None
    } else {
        text.parse().ok()
    }
}

/// A one- or two-digit number (hour, minute, second).
fn small_number(text: &str, what: &str) -> Result<u32, Fail> {
    if text.len() > 2 {
        return Err(bad(format!("`{text}` is too long for {what}")));
    }
    num_value(text).ok_or_else(|| bad(format!("`{text}` is not {what}")))
}

/// Fraction digits to ticks, rounding half up at the 100-ns digit (may give 10^7).
fn fraction_ticks(digits: &str) -> u32 {
    let mut ticks: u32 = 0;
    let mut chars = digits.chars();
    for _ in 0..7 {
        let d = chars.next().and_then(|c| c.to_digit(10)).unwrap_or(0);
        ticks = ticks * 10 + d;
    }
    if chars
        .next()
        .and_then(|c| c.to_digit(10))
        .is_some_and(|d| d >= 5)
    {
        ticks += 1;
    }
    ticks
}

fn mark_of(word: &str) -> Option<Mark> {
    if word.eq_ignore_ascii_case("am") {
        Some(Mark::Am)
    } else if word.eq_ignore_ascii_case("pm") {
        Some(Mark::Pm)
    } else {
        None
    }
}

fn month_of(word: &str) -> Option<u32> {
    index_of_name(&MONTHS, word)
        .or_else(|| index_of_name(&MONTHS_ABBR, word))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn weekday_of(word: &str) -> Option<usize> {
    index_of_name(&DAYS, word).or_else(|| index_of_name(&DAYS_ABBR, word))
}

/// One date component as written: a number (with its digit count) or a month name.
#[derive(Debug, Clone, Copy)]
enum Comp {
    Num { value: u32, digits: usize },
    Month(u32),
}

#[derive(Debug, Clone, Copy, Default)]
struct Clock {
    hour: u32,
    minute: u32,
    second: u32,
    ticks: u32,
}

/// What the previous significant token was; decides how `-`, `+`, `T`, `Z` and AM/PM read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Start,
    Comp,
    Sep,
    Time,
    Mark,
    Zone,
    Offset,
    DayName,
    T,
}

/// The lenient `DateTime.Parse` reader: date components, one time, AM/PM, a zone or offset and
/// a day name, in (almost) any order, separated by white space or commas.
struct Lenient<'a> {
    toks: Vec<Tok<'a>>,
    pos: usize,
    last: Last,
    comps: Vec<Comp>,
    clock: Option<Clock>,
    mark: Option<Mark>,
    offset: Option<i64>,
    gmt: bool,
    weekday: Option<usize>,
}

impl<'a> Lenient<'a> {
    fn new(s: &'a str) -> Self {
        Lenient {
            toks: lex(s),
            pos: 0,
            last: Last::Start,
            comps: Vec::new(),
            clock: None,
            mark: None,
            offset: None,
            gmt: false,
            weekday: None,
        }
    }

    fn tok(&self, ahead: usize) -> Option<Tok<'a>> {
        self.toks.get(self.pos.saturating_add(ahead)).copied()
    }

    fn run(&mut self) -> Result<(), Fail> {
        while let Some(tok) = self.tok(0) {
            match tok {
                Tok::Space | Tok::Punct(',') => self.pos += 1,
                Tok::Num(text) => self.number(text)?,
                Tok::Word(word) => self.word(word)?,
                Tok::Punct(c) => self.punct(c)?,
            }
        }
        Ok(())
    }

    fn number(&mut self, text: &str) -> Result<(), Fail> {
        let is_clock = self.tok(1) == Some(Tok::Punct(':'));
        if self.last == Last::T && !is_clock {
            return Err(bad("`T` must be followed by a time such as `13:45:30`"));
        }
        if is_clock && self.last != Last::Sep {
            return self.clock(text);
        }
        let value =
            num_value(text).ok_or_else(|| bad(format!("the number `{text}` is too long")))?;
        if self.last != Last::Sep && self.clock.is_none() && text.len() <= 2 && self.mark_follows()
        {
            // "1 PM": an hour on its own.
            self.clock = Some(Clock {
                hour: value,
                ..Clock::default()
            });
            self.last = Last::Time;
        } else {
            self.comps.push(Comp::Num {
                value,
                digits: text.len(),
            });
            self.last = Last::Comp;
        }
        self.pos += 1;
        Ok(())
    }

    fn mark_follows(&self) -> bool {
        self.toks
            .iter()
            .skip(self.pos.saturating_add(1))
            .find(|t| **t != Tok::Space)
            .is_some_and(|t| matches!(t, Tok::Word(w) if mark_of(w).is_some()))
    }

    /// `h:mm`, `h:mm:ss` or `h:mm:ss.fffffff`, starting at the hour.
    fn clock(&mut self, hour_text: &str) -> Result<(), Fail> {
        if self.clock.is_some() {
            return Err(bad("the text holds two times"));
        }
        let hour = small_number(hour_text, "an hour")?;
        self.pos += 2;
        let Some(Tok::Num(minute_text)) = self.tok(0) else {
            return Err(bad("a minute must follow `:`"));
        };
        let minute = small_number(minute_text, "a minute")?;
        self.pos += 1;
        let mut clock = Clock {
            hour,
            minute,
            ..Clock::default()
        };
        if self.tok(0) == Some(Tok::Punct(':')) {
            let Some(Tok::Num(second_text)) = self.tok(1) else {
                return Err(bad("a second must follow `:`"));
            };
            clock.second = small_number(second_text, "a second")?;
            self.pos += 2;
            if let (Some(Tok::Punct('.')), Some(Tok::Num(fraction))) = (self.tok(0), self.tok(1)) {
                clock.ticks = fraction_ticks(fraction);
                self.pos += 2;
            }
        }
        self.clock = Some(clock);
        self.last = Last::Time;
        Ok(())
    }

    fn word(&mut self, word: &str) -> Result<(), Fail> {
        if let Some(mark) = mark_of(word) {
            if self.last != Last::Time || self.mark.is_some() {
                return Err(bad(format!("`{word}` must follow a time")));
            }
            self.mark = Some(mark);
            self.last = Last::Mark;
        } else if word.eq_ignore_ascii_case("t") {
            if self.last != Last::Comp
                || self.clock.is_some()
                || !matches!(self.tok(1), Some(Tok::Num(_)))
            {
                return Err(bad("`T` must stand between a date and a time"));
            }
            self.last = Last::T;
        } else if word.eq_ignore_ascii_case("z") || word.eq_ignore_ascii_case("gmt") {
            let after_date = self.last == Last::Comp && self.comps.len() >= 3;
            if self.offset.is_some()
                || !(matches!(self.last, Last::Time | Last::Mark) || after_date)
            {
                return Err(bad(format!(
                    "the time zone `{word}` must follow a date or a time"
                )));
            }
            self.offset = Some(0);
            self.gmt = word.eq_ignore_ascii_case("gmt");
            self.last = Last::Zone;
        } else if let Some(month) = month_of(word) {
            self.comps.push(Comp::Month(month));
            self.last = Last::Comp;
        } else if let Some(day) = weekday_of(word) {
            if self.weekday.is_some() {
                return Err(bad("the text names two days of the week"));
            }
            self.weekday = Some(day);
            self.last = Last::DayName;
        } else {
            return Err(bad(format!(
                "`{word}` is not a month, a day of the week, AM/PM or a time zone (`Z`, `GMT`)"
            )));
        }
        self.pos += 1;
        Ok(())
    }

    fn punct(&mut self, c: char) -> Result<(), Fail> {
        let next_is_number = matches!(self.tok(1), Some(Tok::Num(_)));
        if matches!(c, '+' | '-') && next_is_number && self.offset_may_follow(c) {
            return self.offset(c);
        }
        let next_is_comp = match self.tok(1) {
            Some(Tok::Num(_)) => true,
            Some(Tok::Word(w)) => month_of(w).is_some(),
            _ => false,
        };
        if matches!(c, '/' | '-' | '.') && self.last == Last::Comp && next_is_comp {
            self.pos += 1;
            self.last = Last::Sep;
            return Ok(());
        }
        Err(bad(format!("`{c}` is out of place")))
    }

    fn offset_may_follow(&self, sign: char) -> bool {
        match self.last {
            Last::Time | Last::Mark => self.offset.is_none(),
            Last::Zone => self.gmt,
            // A `-` after a complete date is an offset ("2020-03-16-07:00"); before, a separator.
            Last::Comp => self.offset.is_none() && (sign == '+' || self.comps.len() >= 3),
            _ => false,
        }
    }

    /// `+h`, `+hh`, `+h:mm`, `+hh:mm`, `+hmm` or `+hhmm`, starting at the sign.
    fn offset(&mut self, sign: char) -> Result<(), Fail> {
        self.pos += 1;
        let Some(Tok::Num(text)) = self.tok(0) else {
            return Err(bad(format!(
                "`{sign}` must be followed by an offset such as `08:00`"
            )));
        };
        self.pos += 1;
        let value = num_value(text).unwrap_or(0);
        let (hours, minutes) = match text.len() {
            1 | 2 => match (self.tok(0), self.tok(1)) {
                (Some(Tok::Punct(':')), Some(Tok::Num(m))) if m.len() <= 2 => {
                    self.pos += 2;
                    (value, num_value(m).unwrap_or(0))
                }
                (Some(Tok::Punct(':')), _) => {
                    return Err(bad("minutes must follow `:` in a time zone offset"));
                }
                _ => (value, 0),
            },
            3 | 4 => (value / 100, value % 100),
            _ => return Err(bad(format!("`{sign}{text}` is not a time zone offset"))),
        };
        if minutes > 59 {
            return Err(bad(format!(
                "the offset `{sign}{text}` has more than 59 minutes"
            )));
        }
        let seconds = (i64::from(hours) * 60 + i64::from(minutes)) * 60;
        self.offset = Some(if sign == '-' { -seconds } else { seconds });
        self.last = Last::Offset;
        Ok(())
    }

    fn finish(self, today: Option<NaiveDate>) -> Result<NaiveDateTime, Fail> {
        if self.comps.is_empty() && self.clock.is_none() {
            return Err(bad("there is neither a date nor a time"));
        }
        let date = resolve_date(&self.comps, today)?;
        let clock = self.clock.unwrap_or_default();
        let hour = match self.mark {
            None => clock.hour,
            Some(Mark::Am) if clock.hour <= 12 => clock.hour % 12,
            Some(Mark::Pm) if clock.hour < 12 => clock.hour + 12,
            Some(Mark::Pm) if clock.hour <= 23 => clock.hour,
            Some(_) => return Err(bad(format!("hour {} cannot take AM/PM", clock.hour))),
        };
        check_weekday(date, self.weekday)?;
        compose(
            date,
            hour,
            clock.minute,
            clock.second,
            clock.ticks,
            self.offset.unwrap_or(0),
        )
    }
}

/// Reads the date components in the invariant culture's month-day-year order. Numbers of three
/// or more digits are years; one- or two-digit years use the 2049 window.
fn resolve_date(comps: &[Comp], today: Option<NaiveDate>) -> Result<NaiveDate, Fail> {
    #[derive(Clone, Copy)]
    enum P {
        N(u32),
        Y(u32),
        M(u32),
    }
    use P::{M, N, Y};
    let parts: Vec<P> = comps
        .iter()
        .map(|c| match *c {
            Comp::Num { value, digits } if digits >= 3 => Y(value),
            Comp::Num { value, .. } => N(value),
            Comp::Month(m) => M(m),
        })
        .collect();
    let year_now = || {
        today
            .map(|t| i64::from(t.year()))
            .ok_or(Fail::NeedsToday("year"))
    };
    let two = |y: u32| four_digit_year(i64::from(y));
    let (year, month, day) = match parts.as_slice() {
        [] => return today.ok_or(Fail::NeedsToday("date")),
        [N(m), N(d), N(y)] => (two(*y), *m, *d),
        [Y(y), N(m), N(d)] | [N(m), N(d), Y(y)] => (i64::from(*y), *m, *d),
        [Y(y), N(m)] | [N(m), Y(y)] => (i64::from(*y), *m, 1),
        [N(m), N(d)] => (year_now()?, *m, *d),
        [M(m), N(d), Y(y)] | [N(d), M(m), Y(y)] | [Y(y), M(m), N(d)] | [M(m), Y(y), N(d)] => {
            (i64::from(*y), *m, *d)
        }
        [M(m), N(d), N(y)] | [N(d), M(m), N(y)] => (two(*y), *m, *d),
        [M(m), Y(y)] | [Y(y), M(m)] => (i64::from(*y), *m, 1),
        [M(m), N(d)] | [N(d), M(m)] => (year_now()?, *m, *d),
        _ => {
            return Err(bad(
                "cannot tell which parts are the year, the month and the day",
            ));
        }
    };
    make_date(year, month, day)
}

// ---------------------------------------------------------------------------------------------
// Rendering and custom formats
// ---------------------------------------------------------------------------------------------

/// Renders a date as Entra does: `M/d/yyyy h:mm:ss tt` (e.g. `3/16/2020 7:00:00 AM`).
pub fn render(dt: &NaiveDateTime) -> String {
    let (is_pm, hour12) = dt.hour12();
    format!(
        "{}/{}/{:04} {}:{:02}:{:02} {}",
        dt.month(),
        dt.day(),
        dt.year(),
        hour12,
        dt.minute(),
        dt.second(),
        if is_pm { "PM" } else { "AM" }
    )
}

/// One element of a compiled format: a specifier repeated `n` times, or a literal character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Field(char, usize),
    Lit(char),
}

/// Characters that are specifiers in a .NET custom format (`:` and `/` are the invariant
/// separators and so behave as literals).
const SPECIFIERS: &str = "dfFghHKmMstyz";

/// The invariant culture's pattern for a standard one-letter format.
fn standard_pattern(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "MM/dd/yyyy",
        'D' => "dddd, dd MMMM yyyy",
        'f' => "dddd, dd MMMM yyyy HH:mm",
        'F' => "dddd, dd MMMM yyyy HH:mm:ss",
        'g' => "MM/dd/yyyy HH:mm",
        'G' => "MM/dd/yyyy HH:mm:ss",
        'm' | 'M' => "MMMM dd",
        'o' | 'O' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
        'r' | 'R' => "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        's' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        't' => "HH:mm",
        'T' => "HH:mm:ss",
        'u' => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        'U' => "dddd, dd MMMM yyyy HH:mm:ss",
        'y' | 'Y' => "yyyy MMMM",
        _ => return None,
    })
}

/// Compiles a format string: a single character is a standard format, anything longer custom.
fn compile(format: &str) -> Result<Vec<Item>, String> {
    let mut chars = format.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        let pattern = standard_pattern(c).ok_or_else(|| {
            format!(
                "a one-character format must be a standard format (d D f F g G m M o O r R s t T \
                 u U y Y), not `{c}`; prefix a custom specifier with `%`, as in `%d`"
            )
        })?;
        return compile_custom(pattern);
    }
    compile_custom(format)
}

fn compile_custom(format: &str) -> Result<Vec<Item>, String> {
    let chars: Vec<char> = format.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' | '"' => {
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("the quote {c} is never closed")),
                        Some(&q) if q == c => break,
                        Some('\\') => {
                            let escaped = chars
                                .get(i + 1)
                                .ok_or("the format ends with a `\\` that escapes nothing")?;
                            items.push(Item::Lit(*escaped));
                            i += 1;
                        }
                        Some(&other) => items.push(Item::Lit(other)),
                    }
                    i += 1;
                }
                i += 1;
            }
            '\\' => {
                let escaped = chars
                    .get(i + 1)
                    .ok_or("the format ends with a `\\` that escapes nothing")?;
                items.push(Item::Lit(*escaped));
                i += 2;
            }
            '%' => {
                match chars.get(i + 1) {
                    Some(&n) if SPECIFIERS.contains(n) => items.push(Item::Field(n, 1)),
                    None | Some('%' | '\\' | '\'' | '"') => {
                        return Err("`%` must be followed by one format specifier".into());
                    }
                    Some(&n) => items.push(Item::Lit(n)),
                }
                i += 2;
            }
            'K' => {
                items.push(Item::Field('K', 1));
                i += 1;
            }
            c if SPECIFIERS.contains(c) => {
                let n = chars.iter().skip(i).take_while(|&&x| x == c).count();
                if matches!(c, 'f' | 'F') && n > 7 {
                    return Err(format!("`{c}` can be repeated at most 7 times"));
                }
                items.push(Item::Field(c, n));
                i += n;
            }
            other => {
                items.push(Item::Lit(other));
                i += 1;
            }
        }
    }
    Ok(items)
}

fn format_error(format: &str, reason: &str) -> DateError {
    DateError {
        message: format!("`{format}` is not a valid date format"),
        help: Some(format!(
            "{reason}; see the .NET custom date and time format strings"
        )),
    }
}

/// Formats with a .NET custom (or standard single-letter) format string, invariant culture.
/// The instant is UTC, so `K` writes `Z` and `zzz` writes `+00:00`; an empty format is `G`.
pub fn format(dt: &NaiveDateTime, format: &str) -> Result<String, DateError> {
    let effective = if format.is_empty() { "G" } else { format };
    let items = compile(effective).map_err(|reason| format_error(format, &reason))?;
    let mut out = String::new();
    for item in items {
        match item {
            Item::Lit(c) => out.push(c),
            Item::Field(spec, n) => push_field(&mut out, dt, spec, n),
        }
    }
    Ok(out)
}

fn push_num(out: &mut String, value: i64, width: usize) {
    let _ = write!(out, "{value:0width$}");
}

fn push_field(out: &mut String, dt: &NaiveDateTime, spec: char, n: usize) {
    let weekday = dt.weekday().num_days_from_sunday() as usize;
    let month = dt.month0() as usize;
    let width = n.min(2);
    match spec {
        'd' if n <= 2 => push_num(out, dt.day().into(), n),
        'd' if n == 3 => out.push_str(name_at(&DAYS_ABBR, weekday)),
        'd' => out.push_str(name_at(&DAYS, weekday)),
        'M' if n <= 2 => push_num(out, dt.month().into(), n),
        'M' if n == 3 => out.push_str(name_at(&MONTHS_ABBR, month)),
        'M' => out.push_str(name_at(&MONTHS, month)),
        'y' if n <= 2 => push_num(out, i64::from(dt.year()).rem_euclid(100), n),
        'y' => push_num(out, dt.year().into(), n),
        'h' => push_num(out, dt.hour12().1.into(), width),
        'H' => push_num(out, dt.hour().into(), width),
        'm' => push_num(out, dt.minute().into(), width),
        's' => push_num(out, dt.second().into(), width),
        'f' | 'F' => {
            let digits = n.clamp(1, 7);
            let divisor = 10_u32.pow(7 - digits as u32);
            let value = ticks_of(dt) / divisor;
            if spec == 'f' {
                push_num(out, value.into(), digits);
            } else {
                let text = format!("{value:0digits$}");
                let trimmed = text.trim_end_matches('0');
                if trimmed.is_empty() {
                    // .NET drops a decimal point that would be left dangling.
                    if out.ends_with('.') {
                        out.pop();
                    }
                } else {
                    out.push_str(trimmed);
                }
            }
        }
        't' => {
            let mark = if dt.hour() < 12 { "AM" } else { "PM" };
            out.push_str(if n == 1 {
                mark.get(..1).unwrap_or_default()
            } else {
                mark
            });
        }
        'z' => out.push_str(match n {
            1 => "+0",
            2 => "+00",
            _ => "+00:00",
        }),
        'K' => out.push('Z'),
        'g' => out.push_str("A.D."),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// DateTime.ParseExact
// ---------------------------------------------------------------------------------------------

/// Parses `s` with a .NET custom format string (`DateTime.ParseExact`, invariant culture,
/// `DateTimeStyles.None`: the whole input must match, white space included). An offset read by
/// `z` or `K` is converted to UTC. A format without a year is an error, as .NET would use the
/// current year; see [`parse_exact_with_today`].
pub fn parse_exact(s: &str, format: &str) -> Result<NaiveDateTime, DateError> {
    parse_exact_impl(s, format, None)
}

/// As [`parse_exact`], but a missing date or year is taken from `today`, as .NET takes it
/// from the clock.
pub fn parse_exact_with_today(
    s: &str,
    format: &str,
    today: NaiveDate,
) -> Result<NaiveDateTime, DateError> {
    parse_exact_impl(s, format, Some(today))
}

fn parse_exact_impl(
    s: &str,
    format: &str,
    today: Option<NaiveDate>,
) -> Result<NaiveDateTime, DateError> {
    if format.is_empty() {
        return Err(format_error(format, "the format is empty"));
    }
    let items = compile(format).map_err(|reason| format_error(format, &reason))?;
    let chars: Vec<char> = s.chars().collect();
    let run = || read_fields(&chars, &items)?.finish(today);
    run().map_err(|fail| match fail {
        Fail::Bad(reason) => DateError {
            message: format!("`{s}` does not match the date format `{format}`"),
            help: Some(reason),
        },
        Fail::NeedsToday(part) => DateError {
            message: format!("the date format `{format}` gives `{s}` no {part}"),
            help: Some(format!(
                "Entra would fill in the current {part}, which roster cannot know offline; \
                 add the {part} to the format and the value"
            )),
        },
    })
}

struct Cursor<'a> {
    chars: &'a [char],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Reads between `min` and `max` ASCII digits, greedily.
    fn digits(&mut self, min: usize, max: usize) -> Option<u64> {
        let (value, count) = self.digit_run(max);
        (count >= min).then_some(value)
    }

    /// Reads up to `max` ASCII digits; returns the value and how many were read.
    fn digit_run(&mut self, max: usize) -> (u64, usize) {
        let mut value: u64 = 0;
        let mut count = 0;
        while count < max {
            let Some(d) = self.peek().and_then(|c| c.to_digit(10)) else {
                break;
            };
            value = value.saturating_mul(10).saturating_add(d.into());
            count += 1;
            self.pos += 1;
        }
        (value, count)
    }

    /// Matches the longest of `names` case-insensitively and returns its index.
    fn name(&mut self, names: &[&str]) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (index, name) in names.iter().enumerate() {
            let len = name.chars().count();
            let matches = name.chars().enumerate().all(|(k, nc)| {
                self.chars
                    .get(self.pos.saturating_add(k))
                    .is_some_and(|c| c.eq_ignore_ascii_case(&nc))
            });
            if matches && best.is_none_or(|(_, l)| len > l) {
                best = Some((index, len));
            }
        }
        best.map(|(index, len)| {
            self.pos += len;
            index
        })
    }

    /// A `z`-style offset in seconds east: `n` ≤ 2 reads `+h`/`+hh`, more reads `+h:mm`/`+hhmm`.
    fn zone_offset(&mut self, n: usize) -> Option<i64> {
        let negative = match self.peek()? {
            '+' => false,
            '-' => true,
            _ => return None,
        };
        self.pos += 1;
        let (hours, minutes) = match n {
            1 => (self.digits(1, 2)?, 0),
            2 => (self.digits(2, 2)?, 0),
            _ => {
                let hours = self.digits(1, 2)?;
                self.eat(':');
                (hours, self.digits(2, 2)?)
            }
        };
        if minutes > 59 {
            return None;
        }
        let seconds = i64::try_from((hours * 60 + minutes) * 60).ok()?;
        Some(if negative { -seconds } else { seconds })
    }
}

/// The fields read by `ParseExact`, each at most once (or again with the same value).
#[derive(Debug, Default)]
struct Fields {
    year: Option<u64>,
    two_digit_year: bool,
    month: Option<u64>,
    day: Option<u64>,
    hour: Option<u64>,
    hour12: bool,
    minute: Option<u64>,
    second: Option<u64>,
    ticks: Option<u64>,
    mark: Option<Mark>,
    offset: Option<i64>,
    weekday: Option<usize>,
}

fn set<T: PartialEq + Copy>(slot: &mut Option<T>, value: T, what: &str) -> Result<(), String> {
    match slot {
        Some(old) if *old != value => Err(format!("the {what} is given twice, differently")),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn spec_text(spec: char, n: usize) -> String {
    std::iter::repeat_n(spec, n).collect()
}

fn read_fields(chars: &[char], items: &[Item]) -> Result<Fields, Fail> {
    let mut cur = Cursor { chars, pos: 0 };
    let mut fields = Fields::default();
    for item in items {
        let at = cur.pos + 1;
        match *item {
            Item::Lit(c) => {
                if !cur.eat(c) {
                    return Err(bad(format!("character {at} should be `{c}`")));
                }
            }
            Item::Field(spec, n) => read_field(&mut cur, &mut fields, spec, n).map_err(|e| {
                bad(format!(
                    "at character {at}, `{}` expects {e}",
                    spec_text(spec, n)
                ))
            })?,
        }
    }
    if let Some(rest) = chars.get(cur.pos..).filter(|r| !r.is_empty()) {
        let rest: String = rest.iter().collect();
        return Err(bad(format!("`{rest}` is left over after the format ends")));
    }
    Ok(fields)
}

fn read_field(cur: &mut Cursor<'_>, f: &mut Fields, spec: char, n: usize) -> Result<(), String> {
    let number = |cur: &mut Cursor<'_>| {
        if n == 1 {
            cur.digits(1, 2)
                .ok_or_else(|| "one or two digits".to_string())
        } else {
            cur.digits(2, 2).ok_or_else(|| "two digits".to_string())
        }
    };
    match spec {
        'd' if n <= 2 => set(&mut f.day, number(cur)?, "day"),
        'd' => {
            let names: &[&str] = if n == 3 { &DAYS_ABBR } else { &DAYS };
            let day = cur
                .name(names)
                .ok_or_else(|| format!("a day name such as `{}`", name_at(names, 1)))?;
            set(&mut f.weekday, day, "day of the week")
        }
        'M' if n <= 2 => set(&mut f.month, number(cur)?, "month"),
        'M' => {
            let names: &[&str] = if n == 3 { &MONTHS_ABBR } else { &MONTHS };
            let month = cur
                .name(names)
                .ok_or_else(|| format!("a month name such as `{}`", name_at(names, 5)))?;
            set(&mut f.month, month as u64 + 1, "month")
        }
        'y' => {
            let year = if n == 1 {
                cur.digits(1, 2)
            } else {
                cur.digits(n, n)
            };
            let year = year.ok_or_else(|| match n {
                1 => "one or two digits".to_string(),
                _ => format!("{n} digits"),
            })?;
            f.two_digit_year |= n <= 2;
            set(&mut f.year, year, "year")
        }
        'h' => {
            f.hour12 = true;
            set(&mut f.hour, number(cur)?, "hour")
        }
        'H' => set(&mut f.hour, number(cur)?, "hour"),
        'm' => set(&mut f.minute, number(cur)?, "minute"),
        's' => set(&mut f.second, number(cur)?, "second"),
        'f' | 'F' => {
            let (value, count) = cur.digit_run(n);
            if spec == 'f' && count < n {
                return Err(format!("{n} digits of fraction"));
            }
            let scale = 10_u64.pow(7_u32.saturating_sub(count as u32));
            set(&mut f.ticks, value * scale, "fraction of a second")
        }
        't' => {
            let mark = if n == 1 {
                // .NET compares the first letter of the designator case-sensitively.
                if cur.eat('A') {
                    Some(Mark::Am)
                } else if cur.eat('P') {
                    Some(Mark::Pm)
                } else {
                    None
                }
            } else {
                cur.name(&["AM", "PM"])
                    .map(|i| if i == 0 { Mark::Am } else { Mark::Pm })
            };
            let mark = mark.ok_or(if n == 1 { "`A` or `P`" } else { "`AM` or `PM`" })?;
            set(&mut f.mark, mark, "AM/PM designator")
        }
        'z' => {
            let offset = cur.zone_offset(n).ok_or_else(|| match n {
                1 | 2 => "an offset such as `+8` or `-07`".to_string(),
                _ => "an offset such as `+08:00` or `-0700`".to_string(),
            })?;
            set(&mut f.offset, offset, "offset")
        }
        'K' => {
            if cur.eat('Z') {
                set(&mut f.offset, 0, "offset")
            } else if matches!(cur.peek(), Some('+' | '-')) {
                let offset = cur.zone_offset(3).ok_or("an offset such as `+08:00`")?;
                set(&mut f.offset, offset, "offset")
            } else {
                Ok(())
            }
        }
        'g' => cur
            .name(&["A.D.", "AD"])
            .map(|_| ())
            .ok_or_else(|| "the era `A.D.`".to_string()),
        _ => Ok(()),
    }
}

impl Fields {
    fn finish(self, today: Option<NaiveDate>) -> Result<NaiveDateTime, Fail> {
        let small = |v: Option<u64>| u32::try_from(v.unwrap_or(0)).unwrap_or(u32::MAX);
        let year = match (self.year, self.month, self.day) {
            (None, None, None) => None,
            (None, _, _) => Some(
                today
                    .map(|t| i64::from(t.year()))
                    .ok_or(Fail::NeedsToday("year"))?,
            ),
            (Some(y), _, _) => {
                let y = i64::try_from(y).unwrap_or(i64::MAX);
                Some(if self.two_digit_year {
                    four_digit_year(y)
                } else {
                    y
                })
            }
        };
        let date = match year {
            None => today.ok_or(Fail::NeedsToday("date"))?,
            Some(y) => make_date(
                y,
                small(self.month.or(Some(1))),
                small(self.day.or(Some(1))),
            )?,
        };
        let hour = small(self.hour);
        let hour = if self.hour12 {
            if hour > 12 {
                return Err(bad(format!("hour {hour} is too large for a 12-hour clock")));
            }
            match self.mark {
                Some(Mark::Pm) if hour < 12 => hour + 12,
                Some(Mark::Pm) => hour,
                _ => hour % 12,
            }
        } else {
            match self.mark {
                Some(Mark::Am) if hour >= 12 => {
                    return Err(bad(format!("hour {hour} is not an AM hour")));
                }
                Some(Mark::Pm) if hour < 12 => {
                    return Err(bad(format!("hour {hour} is not a PM hour")));
                }
                _ => hour,
            }
        };
        check_weekday(date, self.weekday)?;
        compose(
            date,
            hour,
            small(self.minute),
            small(self.second),
            small(self.ticks),
            self.offset.unwrap_or(0),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// DateAdd, DateDiff
// ---------------------------------------------------------------------------------------------

/// `DateAdd(interval, n, dt)` with Visual Basic semantics: months, quarters and years keep the
/// day but clamp it to the end of a shorter month; `d`, `y` and `w` add days, `ww` weeks.
/// A result outside the years 1 to 9999 is an error.
pub fn add(interval: Interval, n: i64, dt: NaiveDateTime) -> Result<NaiveDateTime, DateError> {
    let by_seconds = |per: i64| {
        n.checked_mul(per)
            .and_then(TimeDelta::try_seconds)
            .and_then(|delta| dt.checked_add_signed(delta))
    };
    let result = match interval {
        Interval::Year => n.checked_mul(12).and_then(|m| add_months(dt, m)),
        Interval::Quarter => n.checked_mul(3).and_then(|m| add_months(dt, m)),
        Interval::Month => add_months(dt, n),
        Interval::DayOfYear | Interval::Day | Interval::Weekday => by_seconds(86_400),
        Interval::Week => by_seconds(604_800),
        Interval::Hour => by_seconds(3_600),
        Interval::Minute => by_seconds(60),
        Interval::Second => by_seconds(1),
    };
    result.filter(in_range).ok_or_else(|| DateError {
        message: format!(
            "adding {n} `{}` to `{}` leaves the supported date range",
            interval.name(),
            render(&dt)
        ),
        help: Some("dates must lie between 1/1/0001 and 12/31/9999".into()),
    })
}

fn add_months(dt: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let index = i64::from(dt.year())
        .checked_mul(12)?
        .checked_add(dt.month0().into())?;
    let index = index.checked_add(months)?;
    let year = index.div_euclid(12);
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let day = dt.day().min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day).map(|d| d.and_time(dt.time()))
}

/// `DateDiff(interval, d1, d2)` with Visual Basic semantics: positive when `d2` is later.
/// `yyyy`, `q` and `m` subtract calendar fields; `d`, `y`, `h`, `n`, `s` count whole elapsed
/// units (truncated toward zero); `w` whole elapsed weeks; `ww` Sundays crossed.
pub fn diff(interval: Interval, d1: NaiveDateTime, d2: NaiveDateTime) -> i64 {
    let elapsed = d2.signed_duration_since(d1);
    let years = i64::from(d2.year()) - i64::from(d1.year());
    let month = |d: NaiveDateTime| i64::from(d.month0());
    match interval {
        Interval::Year => years,
        Interval::Quarter => years * 4 + month(d2) / 3 - month(d1) / 3,
        Interval::Month => years * 12 + month(d2) - month(d1),
        Interval::DayOfYear | Interval::Day => elapsed.num_days(),
        Interval::Weekday => elapsed.num_days() / 7,
        Interval::Week => {
            let sunday = |d: NaiveDateTime| {
                let date = d.date();
                let back = Days::new(date.weekday().num_days_from_sunday().into());
                date.checked_sub_days(back).unwrap_or(date)
            };
            sunday(d2).signed_duration_since(sunday(d1)).num_days() / 7
        }
        Interval::Hour => elapsed.num_hours(),
        Interval::Minute => elapsed.num_minutes(),
        Interval::Second => elapsed.num_seconds(),
    }
}

// ---------------------------------------------------------------------------------------------
// FILETIME
// ---------------------------------------------------------------------------------------------

/// AD FILETIME (100-ns ticks since 1601-01-01 UTC) to a date, as `DateTime.FromFileTimeUtc`.
/// Negative values and values past 9999-12-31 (such as AD's "never", `i64::MAX`) are errors.
pub fn from_filetime(ticks: i64) -> Result<NaiveDateTime, DateError> {
    let error = || DateError {
        message: format!("`{ticks}` is not a valid FILETIME"),
        help: Some(format!(
            "a FILETIME counts 100-nanosecond ticks since 1/1/1601 and must lie between 0 and \
             {MAX_FILETIME} (12/31/9999); Active Directory uses 0 and {} to mean \"never\"",
            i64::MAX
        )),
    };
    if !(0..=MAX_FILETIME).contains(&ticks) {
        return Err(error());
    }
    let unix = ticks - UNIX_EPOCH_FILETIME;
    let nanos = u32::try_from(unix.rem_euclid(TICKS_PER_SECOND) * 100).map_err(|_| error())?;
    DateTime::from_timestamp(unix.div_euclid(TICKS_PER_SECOND), nanos)
        .map(|d| d.naive_utc())
        .ok_or_else(error)
}

/// A date to AD FILETIME ticks. Dates before 1601 give negative numbers (saturating at the
/// `i64` limits); use [`try_to_filetime`] to reject them as .NET's `ToFileTimeUtc` does.
pub fn to_filetime(dt: NaiveDateTime) -> i64 {
    let utc = dt.and_utc();
    let subsec = i64::from(utc.timestamp_subsec_nanos().min(999_999_999) / 100);
    utc.timestamp()
        .saturating_mul(TICKS_PER_SECOND)
        .saturating_add(subsec)
        .saturating_add(UNIX_EPOCH_FILETIME)
}

/// A date to AD FILETIME ticks, failing for dates before 1601 (which have none) or after 9999.
pub fn try_to_filetime(dt: NaiveDateTime) -> Result<i64, DateError> {
    let ticks = to_filetime(dt);
    if (0..=MAX_FILETIME).contains(&ticks) {
        Ok(ticks)
    } else {
        Err(DateError {
            message: format!("`{}` has no FILETIME", render(&dt)),
            help: Some("FILETIME values start at 1/1/1601 12:00:00 AM UTC".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap()
    }

    fn dt_nanos(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ns: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_nano_opt(h, mi, s, ns)
            .unwrap()
    }

    fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap()
    }

    fn p(s: &str) -> NaiveDateTime {
        parse(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    fn pe(s: &str, f: &str) -> NaiveDateTime {
        parse_exact(s, f).unwrap_or_else(|e| panic!("{s:?} with {f:?}: {e:?}"))
    }

    fn fmt(d: &NaiveDateTime, f: &str) -> String {
        format(d, f).unwrap_or_else(|e| panic!("{f:?}: {e:?}"))
    }

    // ---- parse: ISO 8601 ------------------------------------------------------------------

    #[test]
    fn parse_iso_date_and_date_time() {
        assert_eq!(p("2021-06-30"), dt(2021, 6, 30, 0, 0, 0));
        assert_eq!(p("2021-06-30T16:00:00"), dt(2021, 6, 30, 16, 0, 0));
        assert_eq!(p("2021-06-30 16:00:00"), dt(2021, 6, 30, 16, 0, 0));
        assert_eq!(p("2021-06-30T16:00"), dt(2021, 6, 30, 16, 0, 0));
        assert_eq!(p("2021-6-3T6:05:09"), dt(2021, 6, 3, 6, 5, 9));
    }

    #[test]
    fn parse_iso_fractions() {
        assert_eq!(
            p("2021-06-30T16:00:00.1"),
            dt_nanos(2021, 6, 30, 16, 0, 0, 100_000_000)
        );
        assert_eq!(
            p("2021-06-30T16:00:00.1234567Z"),
            dt_nanos(2021, 6, 30, 16, 0, 0, 123_456_700)
        );
        // Beyond 100 ns the fraction is rounded to the nearest tick.
        assert_eq!(
            p("2021-06-30T16:00:00.12345675"),
            dt_nanos(2021, 6, 30, 16, 0, 0, 123_456_800)
        );
        assert_eq!(p("2021-06-30T16:00:00.99999999"), dt(2021, 6, 30, 16, 0, 1));
        assert_eq!(
            p("2009-06-15T13:45:30.0000000Z"),
            dt(2009, 6, 15, 13, 45, 30)
        );
    }

    #[test]
    fn parse_iso_zones_and_offsets() {
        assert_eq!(p("2021-06-30T16:00:00Z"), dt(2021, 6, 30, 16, 0, 0));
        assert_eq!(p("2021-06-30T16:00:00+08:00"), dt(2021, 6, 30, 8, 0, 0));
        assert_eq!(p("2009-06-15T13:45:30-0700"), dt(2009, 6, 15, 20, 45, 30));
        assert_eq!(p("2009-06-15T13:45:30-07"), dt(2009, 6, 15, 20, 45, 30));
        assert_eq!(p("2009-06-15T13:45:30+5:30"), dt(2009, 6, 15, 8, 15, 30));
        assert_eq!(
            p("2009-06-15T13:45:30.5 +0530"),
            dt_nanos(2009, 6, 15, 8, 15, 30, 500_000_000)
        );
        assert_eq!(p("2009-06-15T01:45:30-07:00"), dt(2009, 6, 15, 8, 45, 30));
        // An offset crossing midnight moves the date.
        assert_eq!(p("2021-01-01T01:00:00+02:00"), dt(2020, 12, 31, 23, 0, 0));
    }

    #[test]
    fn parse_date_followed_directly_by_offset() {
        assert_eq!(p("2020-03-16-07:00"), dt(2020, 3, 16, 7, 0, 0));
        assert_eq!(p("2021-06-30+08:00"), dt(2021, 6, 29, 16, 0, 0));
        assert_eq!(p("2012-03-16-07:00"), dt(2012, 3, 16, 7, 0, 0));
        assert_eq!(p("2025-12-31-05:00"), dt(2025, 12, 31, 5, 0, 0));
        assert_eq!(p("2020-03-16-0730"), dt(2020, 3, 16, 7, 30, 0));
        assert_eq!(p("2020-03-16Z"), dt(2020, 3, 16, 0, 0, 0));
    }

    // ---- parse: invariant US forms and names -----------------------------------------------

    #[test]
    fn parse_us_forms() {
        assert_eq!(p("8/25/2021"), dt(2021, 8, 25, 0, 0, 0));
        assert_eq!(p("8/25/2021 5:41:18 PM"), dt(2021, 8, 25, 17, 41, 18));
        assert_eq!(p("8/25/2021 5:41:18 pm"), dt(2021, 8, 25, 17, 41, 18));
        assert_eq!(p("8/25/2021 5:41:18PM"), dt(2021, 8, 25, 17, 41, 18));
        assert_eq!(p("8/25/2021 5:41 AM"), dt(2021, 8, 25, 5, 41, 0));
        assert_eq!(p("8/25/2021 17:41"), dt(2021, 8, 25, 17, 41, 0));
        assert_eq!(p("08/05/2021 5 PM"), dt(2021, 8, 5, 17, 0, 0));
        assert_eq!(p("2021/08/25"), dt(2021, 8, 25, 0, 0, 0));
        assert_eq!(p("2021/8/25 17:41:18"), dt(2021, 8, 25, 17, 41, 18));
        assert_eq!(p("8-25-2021"), dt(2021, 8, 25, 0, 0, 0));
        assert_eq!(p("2021.08.25"), dt(2021, 8, 25, 0, 0, 0));
        // Time before the date is accepted, as by .NET.
        assert_eq!(p("17:41 8/25/2021"), dt(2021, 8, 25, 17, 41, 0));
    }

    #[test]
    fn parse_am_pm_boundaries() {
        assert_eq!(p("1/1/2020 12:00:00 AM"), dt(2020, 1, 1, 0, 0, 0));
        assert_eq!(p("1/1/2020 12:00:00 PM"), dt(2020, 1, 1, 12, 0, 0));
        assert_eq!(p("1/1/2020 12:59:59 AM"), dt(2020, 1, 1, 0, 59, 59));
        assert_eq!(p("1/1/2020 11:59:59 PM"), dt(2020, 1, 1, 23, 59, 59));
        assert_eq!(p("1/1/2020 0:30 AM"), dt(2020, 1, 1, 0, 30, 0));
        // .NET lets a 24-hour hour stand with PM, but not with AM.
        assert_eq!(p("1/1/2020 13:00 PM"), dt(2020, 1, 1, 13, 0, 0));
        assert!(parse("1/1/2020 13:00 AM").is_err());
        assert!(parse("1/1/2020 24:00").is_err());
    }

    #[test]
    fn parse_two_digit_years_use_2049_window() {
        assert_eq!(p("6/15/49"), dt(2049, 6, 15, 0, 0, 0));
        assert_eq!(p("6/15/50"), dt(1950, 6, 15, 0, 0, 0));
        assert_eq!(p("6/15/09"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(p("June 15 99"), dt(1999, 6, 15, 0, 0, 0));
        // Three or more digits are taken literally.
        assert_eq!(p("0099-06-15"), dt(99, 6, 15, 0, 0, 0));
        assert_eq!(p("6/15/0001"), dt(1, 6, 15, 0, 0, 0));
    }

    #[test]
    fn parse_month_names() {
        assert_eq!(p("15 June 2009"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(p("June 15, 2009"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(p("June 15 2009 1:45:30 PM"), dt(2009, 6, 15, 13, 45, 30));
        assert_eq!(p("15 JUNE 2009"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(p("15-Jun-2009"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(p("2009 June 15"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(
            p("Mon, 15 Jun 2009 20:45:30 GMT"),
            dt(2009, 6, 15, 20, 45, 30)
        );
        assert_eq!(
            p("Mon, 15 Jun 2009 20:45:30 GMT+01:00"),
            dt(2009, 6, 15, 19, 45, 30)
        );
        assert_eq!(
            p("Monday, 15 June 2009 13:45:30"),
            dt(2009, 6, 15, 13, 45, 30)
        );
        assert_eq!(
            p("Monday, June 15, 2009 1:45:30 PM"),
            dt(2009, 6, 15, 13, 45, 30)
        );
    }

    #[test]
    fn parse_year_and_month_only_is_the_first() {
        assert_eq!(p("2009-06"), dt(2009, 6, 1, 0, 0, 0));
        assert_eq!(p("6/2009"), dt(2009, 6, 1, 0, 0, 0));
        assert_eq!(p("June 2009"), dt(2009, 6, 1, 0, 0, 0));
        assert_eq!(p("2009 June"), dt(2009, 6, 1, 0, 0, 0));
    }

    #[test]
    fn parse_trims_white_space() {
        assert_eq!(p("  2021-06-30  "), dt(2021, 6, 30, 0, 0, 0));
        assert_eq!(p("\t8/25/2021   5:41:18 PM\n"), dt(2021, 8, 25, 17, 41, 18));
    }

    #[test]
    fn parse_leap_years() {
        assert_eq!(p("2020-02-29"), dt(2020, 2, 29, 0, 0, 0));
        assert_eq!(p("2000-02-29"), dt(2000, 2, 29, 0, 0, 0));
        assert!(parse("2021-02-29").is_err());
        assert!(parse("1900-02-29").is_err());
    }

    #[test]
    fn parse_range_limits() {
        assert_eq!(p("0001-01-01"), dt(1, 1, 1, 0, 0, 0));
        assert_eq!(
            p("9999-12-31T23:59:59.9999999"),
            dt_nanos(9999, 12, 31, 23, 59, 59, 999_999_900)
        );
        assert!(parse("0001-01-01T00:00:00+01:00").is_err());
        assert!(parse("9999-12-31T23:00:00-01:00").is_err());
        assert!(parse("0000-01-01").is_err());
        assert!(parse("10000-01-01").is_err());
    }

    #[test]
    fn parse_rejects_non_dates() {
        for s in [
            "",
            "   ",
            "not a date",
            "2021-13-01",
            "2021-06-31",
            "15/06/2009",
            "20090615",
            "2021-06-30T",
            "2021-06-30 16:00 UTC",
            "2021-06-30T16:00:60",
            "2021-06-30T16:60",
            "2021-06-30T16:00:00+08:60",
            "2021-06-30T16:00:00.",
            "2021-06-30T16:00:00Z+01:00",
            "-2021-06-30",
            "2021-06-30 16:00 17:00",
            "1/2/3/4",
            "2021-06-30 AM",
            "Tue, 15 Jun 2009",
            "Mon Tue 15 Jun 2009",
            "15th June 2009",
            "２０２１-06-30",
            "2021—06—30",
        ] {
            assert!(parse(s).is_err(), "{s:?} should not parse: {:?}", parse(s));
        }
    }

    #[test]
    fn parse_error_names_input_and_suggests_iso() {
        let e = parse("32/1/2020").unwrap_err();
        assert_eq!(e.message, "`32/1/2020` is not a date");
        let help = e.help.unwrap();
        assert!(
            help.contains("ISO 8601") && help.contains("2021-06-30"),
            "{help}"
        );
        assert!(help.contains("no month 32"), "{help}");
        let e = parse("Tue, 15 Jun 2009").unwrap_err();
        assert!(
            e.help
                .as_ref()
                .unwrap()
                .contains("is a Monday, not a Tuesday")
        );
        assert_eq!(e.to_string(), e.message);
    }

    #[test]
    fn parse_refuses_clock_dependent_values() {
        let e = parse("13:45").unwrap_err();
        assert_eq!(e.message, "`13:45` has no date");
        assert!(e.help.unwrap().contains("ISO 8601"));
        let e = parse("June 15").unwrap_err();
        assert_eq!(e.message, "`June 15` has no year");
        assert!(parse("6/15").is_err());
    }

    #[test]
    fn parse_with_today_fills_missing_parts() {
        let today = date(2024, 3, 5);
        assert_eq!(
            parse_with_today("13:45", today).unwrap(),
            dt(2024, 3, 5, 13, 45, 0)
        );
        assert_eq!(
            parse_with_today("1:45 PM +01:00", today).unwrap(),
            dt(2024, 3, 5, 12, 45, 0)
        );
        assert_eq!(
            parse_with_today("June 15", today).unwrap(),
            dt(2024, 6, 15, 0, 0, 0)
        );
        assert_eq!(
            parse_with_today("6/15", today).unwrap(),
            dt(2024, 6, 15, 0, 0, 0)
        );
        assert_eq!(
            parse_with_today("2021-06-30", today).unwrap(),
            dt(2021, 6, 30, 0, 0, 0)
        );
        assert!(parse_with_today("", today).is_err());
    }

    #[test]
    fn parse_accepts_standard_format_output() {
        let d = dt(2009, 6, 15, 13, 45, 30);
        for f in [
            "d", "D", "f", "F", "g", "G", "o", "O", "r", "R", "s", "u", "U",
        ] {
            let text = fmt(&d, f);
            let expected = if matches!(f, "d" | "D") {
                dt(2009, 6, 15, 0, 0, 0)
            } else if matches!(f, "f" | "g") {
                dt(2009, 6, 15, 13, 45, 0)
            } else {
                d
            };
            assert_eq!(parse(&text), Ok(expected), "{f}: {text}");
        }
        assert_eq!(parse(&fmt(&d, "y")), Ok(dt(2009, 6, 1, 0, 0, 0)));
        let today = date(2009, 1, 1);
        assert_eq!(
            parse_with_today(&fmt(&d, "m"), today),
            Ok(dt(2009, 6, 15, 0, 0, 0))
        );
        assert_eq!(
            parse_with_today(&fmt(&d, "T"), today),
            Ok(dt(2009, 1, 1, 13, 45, 30))
        );
    }

    // ---- render ------------------------------------------------------------------------------

    #[test]
    fn render_examples_and_boundaries() {
        assert_eq!(render(&dt(2020, 3, 16, 7, 0, 0)), "3/16/2020 7:00:00 AM");
        assert_eq!(render(&dt(2021, 6, 29, 16, 0, 0)), "6/29/2021 4:00:00 PM");
        assert_eq!(render(&dt(2021, 6, 29, 0, 0, 0)), "6/29/2021 12:00:00 AM");
        assert_eq!(render(&dt(2021, 6, 29, 12, 0, 0)), "6/29/2021 12:00:00 PM");
        assert_eq!(
            render(&dt(2021, 12, 31, 23, 59, 59)),
            "12/31/2021 11:59:59 PM"
        );
        assert_eq!(render(&dt(2021, 1, 1, 0, 59, 5)), "1/1/2021 12:59:05 AM");
        assert_eq!(render(&dt(2021, 1, 1, 11, 5, 0)), "1/1/2021 11:05:00 AM");
        assert_eq!(render(&dt(1, 1, 1, 0, 0, 0)), "1/1/0001 12:00:00 AM");
        assert_eq!(
            render(&dt_nanos(2021, 1, 1, 13, 0, 0, 999_999_999)),
            "1/1/2021 1:00:00 PM"
        );
    }

    // ---- format ------------------------------------------------------------------------------

    #[test]
    fn format_custom_specifiers() {
        let d = dt_nanos(2009, 6, 5, 13, 4, 3, 123_456_700);
        let cases = [
            ("d dd ddd dddd", "5 05 Fri Friday"),
            ("M MM MMM MMMM", "6 06 Jun June"),
            ("y yy yyy yyyy yyyyy", "9 09 2009 2009 02009"),
            ("h hh H HH", "1 01 13 13"),
            ("m mm s ss", "4 04 3 03"),
            (
                "f ff fff ffff fffff ffffff fffffff",
                "1 12 123 1234 12345 123456 1234567",
            ),
            ("F FF FFF FFFFFFF", "1 12 123 1234567"),
            ("t tt", "P PM"),
            ("z zz zzz zzzz", "+0 +00 +00:00 +00:00"),
            ("%K", "Z"),
            ("K K", "Z Z"),
            ("g gg", "A.D. A.D."),
            ("HH:mm:ss", "13:04:03"),
            ("yyyy/MM/dd", "2009/06/05"),
            ("'d' \"M\" \\y", "d M y"),
            ("'it''s'", "its"),
            ("'a\\'b'", "a'b"),
            ("%d", "5"),
            ("%M/%d", "6/5"),
            ("%dd", "55"),
            ("%x", "x"),
            ("yyyyMMddHHmmss.fZ", "20090605130403.1Z"),
            ("hhh HHH mmm sss", "01 13 04 03"),
            ("dd.MM.yyyy #", "05.06.2009 #"),
        ];
        for (f, expected) in cases {
            assert_eq!(fmt(&d, f), expected, "{f}");
        }
    }

    #[test]
    fn format_fraction_f_trims_and_drops_dangling_point() {
        let whole = dt(2009, 6, 5, 13, 4, 3);
        assert_eq!(fmt(&whole, "ss.FFF"), "03");
        assert_eq!(fmt(&whole, "ss.fff"), "03.000");
        let half = dt_nanos(2009, 6, 5, 13, 4, 3, 500_000_000);
        assert_eq!(fmt(&half, "ss.FFF"), "03.5");
        let tiny = dt_nanos(2009, 6, 5, 13, 4, 3, 100);
        assert_eq!(fmt(&tiny, "ss.FFF"), "03");
        assert_eq!(fmt(&tiny, "ss.FFFFFFF"), "03.0000001");
        assert_eq!(fmt(&tiny, "ss,FFF"), "03,");
    }

    #[test]
    fn format_midnight_and_noon() {
        assert_eq!(fmt(&dt(2020, 1, 1, 0, 0, 0), "h:mm tt"), "12:00 AM");
        assert_eq!(fmt(&dt(2020, 1, 1, 12, 0, 0), "h:mm tt"), "12:00 PM");
        assert_eq!(fmt(&dt(2020, 1, 1, 0, 0, 0), "t"), "00:00");
        assert_eq!(fmt(&dt(2020, 1, 1, 11, 0, 0), "%t"), "A");
    }

    #[test]
    fn format_standard_formats() {
        let d = dt_nanos(2009, 6, 15, 13, 45, 30, 50_000_000);
        let cases = [
            ("d", "06/15/2009"),
            ("D", "Monday, 15 June 2009"),
            ("f", "Monday, 15 June 2009 13:45"),
            ("F", "Monday, 15 June 2009 13:45:30"),
            ("g", "06/15/2009 13:45"),
            ("G", "06/15/2009 13:45:30"),
            ("", "06/15/2009 13:45:30"),
            ("m", "June 15"),
            ("M", "June 15"),
            ("o", "2009-06-15T13:45:30.0500000Z"),
            ("O", "2009-06-15T13:45:30.0500000Z"),
            ("r", "Mon, 15 Jun 2009 13:45:30 GMT"),
            ("R", "Mon, 15 Jun 2009 13:45:30 GMT"),
            ("s", "2009-06-15T13:45:30"),
            ("t", "13:45"),
            ("T", "13:45:30"),
            ("u", "2009-06-15 13:45:30Z"),
            ("U", "Monday, 15 June 2009 13:45:30"),
            ("y", "2009 June"),
            ("Y", "2009 June"),
        ];
        for (f, expected) in cases {
            assert_eq!(fmt(&d, f), expected, "{f}");
        }
    }

    #[test]
    fn format_rejects_bad_formats() {
        let d = dt(2009, 6, 15, 13, 45, 30);
        for f in [
            "x", "Z", "%", "%%", "ab\\", "'open", "\"open", "ffffffff", "FFFFFFFF", "%\\",
        ] {
            let e = format(&d, f).unwrap_err();
            assert_eq!(
                e.message,
                format!("`{f}` is not a valid date format"),
                "{f}"
            );
            assert!(e.help.is_some());
        }
    }

    // ---- parse_exact -----------------------------------------------------------------------

    #[test]
    fn parse_exact_spec_examples() {
        let d = pe("20150123105347.1Z", "yyyyMMddHHmmss.fZ");
        assert_eq!(d, dt_nanos(2015, 1, 23, 10, 53, 47, 100_000_000));
        assert_eq!(fmt(&d, "yyyy-MM-dd"), "2015-01-23");
        assert_eq!(
            pe("2025-12-31-05:00", "yyyy-MM-ddzzz"),
            dt(2025, 12, 31, 5, 0, 0)
        );
        assert_eq!(
            pe("8/25/2021 5:41:18 PM", "M/d/yyyy h:mm:ss tt"),
            dt(2021, 8, 25, 17, 41, 18)
        );
    }

    #[test]
    fn parse_exact_digit_widths() {
        assert_eq!(pe("6/5/2009", "M/d/yyyy"), dt(2009, 6, 5, 0, 0, 0));
        assert_eq!(pe("06/05/2009", "M/d/yyyy"), dt(2009, 6, 5, 0, 0, 0));
        assert_eq!(pe("06/05/2009", "MM/dd/yyyy"), dt(2009, 6, 5, 0, 0, 0));
        assert!(parse_exact("6/05/2009", "MM/dd/yyyy").is_err());
        assert!(parse_exact("06/05/09", "MM/dd/yyyy").is_err());
        assert!(parse_exact("06/05/20091", "MM/dd/yyyy").is_err());
        assert_eq!(pe("06/05/09", "MM/dd/yy"), dt(2009, 6, 5, 0, 0, 0));
        assert_eq!(pe("06/05/50", "MM/dd/yy"), dt(1950, 6, 5, 0, 0, 0));
        assert_eq!(pe("06/05/9", "MM/dd/y"), dt(2009, 6, 5, 0, 0, 0));
        assert_eq!(pe("02009-06-05", "yyyyy-MM-dd"), dt(2009, 6, 5, 0, 0, 0));
        assert_eq!(pe("0099-06-05", "yyyy-MM-dd"), dt(99, 6, 5, 0, 0, 0));
        assert_eq!(
            pe("2009-06-05 7:5:3", "yyyy-MM-dd H:m:s"),
            dt(2009, 6, 5, 7, 5, 3)
        );
        assert!(parse_exact("2009-06-05 7:05", "yyyy-MM-dd HH:mm").is_err());
    }

    #[test]
    fn parse_exact_fractions() {
        let f = |s, fmt| pe(s, fmt).nanosecond();
        assert_eq!(f("2009 12:00:00.123", "yyyy HH:mm:ss.fff"), 123_000_000);
        assert!(parse_exact("2009 12:00:00.12", "yyyy HH:mm:ss.fff").is_err());
        assert_eq!(f("2009 12:00:00.12", "yyyy HH:mm:ss.FFF"), 120_000_000);
        assert_eq!(f("2009 12:00:00.", "yyyy HH:mm:ss.FFF"), 0);
        assert_eq!(
            f("2009 12:00:00.1234567", "yyyy HH:mm:ss.fffffff"),
            123_456_700
        );
        assert!(parse_exact("2009 12:00:00.1234", "yyyy HH:mm:ss.FFF").is_err());
    }

    #[test]
    fn parse_exact_names_and_designators() {
        assert_eq!(pe("15 Jun 2009", "dd MMM yyyy"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(pe("15 jun 2009", "dd MMM yyyy"), dt(2009, 6, 15, 0, 0, 0));
        assert_eq!(pe("15 June 2009", "dd MMMM yyyy"), dt(2009, 6, 15, 0, 0, 0));
        assert!(parse_exact("15 Jun 2009", "dd MMMM yyyy").is_err());
        assert_eq!(
            pe("Monday, 15 June 2009", "dddd, dd MMMM yyyy"),
            dt(2009, 6, 15, 0, 0, 0)
        );
        assert_eq!(
            pe("Mon 15/06/2009", "ddd dd/MM/yyyy"),
            dt(2009, 6, 15, 0, 0, 0)
        );
        let e = parse_exact("Tue 15/06/2009", "ddd dd/MM/yyyy").unwrap_err();
        assert!(e.help.unwrap().contains("Monday"));
        assert_eq!(
            pe("2009-06-15 01:00 pm", "yyyy-MM-dd hh:mm tt"),
            dt(2009, 6, 15, 13, 0, 0)
        );
        assert_eq!(
            pe("2009-06-15 12:00 AM", "yyyy-MM-dd hh:mm tt"),
            dt(2009, 6, 15, 0, 0, 0)
        );
        assert_eq!(
            pe("2009-06-15 12:00 PM", "yyyy-MM-dd hh:mm tt"),
            dt(2009, 6, 15, 12, 0, 0)
        );
        assert_eq!(
            pe("2009-06-15 1 P", "yyyy-MM-dd h t"),
            dt(2009, 6, 15, 13, 0, 0)
        );
        assert!(parse_exact("2009-06-15 1 p", "yyyy-MM-dd h t").is_err());
        // `hh` without a designator is AM; a 24-hour hour must agree with a designator.
        assert_eq!(
            pe("2009-06-15 12:30", "yyyy-MM-dd hh:mm"),
            dt(2009, 6, 15, 0, 30, 0)
        );
        assert!(parse_exact("2009-06-15 13:30", "yyyy-MM-dd hh:mm").is_err());
        assert!(parse_exact("2009-06-15 03:30 PM", "yyyy-MM-dd HH:mm tt").is_err());
        assert!(parse_exact("2009-06-15 15:30 AM", "yyyy-MM-dd HH:mm tt").is_err());
        assert_eq!(
            pe("2009-06-15 15:30 PM", "yyyy-MM-dd HH:mm tt"),
            dt(2009, 6, 15, 15, 30, 0)
        );
        assert_eq!(pe("A.D. 2009", "g yyyy"), dt(2009, 1, 1, 0, 0, 0));
    }

    #[test]
    fn parse_exact_offsets() {
        assert_eq!(
            pe("2009-06-15 13:45 +08:00", "yyyy-MM-dd HH:mm zzz"),
            dt(2009, 6, 15, 5, 45, 0)
        );
        assert_eq!(
            pe("2009-06-15 13:45 -0700", "yyyy-MM-dd HH:mm zzz"),
            dt(2009, 6, 15, 20, 45, 0)
        );
        assert_eq!(
            pe("2009-06-15 13:45 +8", "yyyy-MM-dd HH:mm z"),
            dt(2009, 6, 15, 5, 45, 0)
        );
        assert!(parse_exact("2009-06-15 13:45 +8", "yyyy-MM-dd HH:mm zz").is_err());
        assert!(parse_exact("2009-06-15 13:45 +08:60", "yyyy-MM-dd HH:mm zzz").is_err());
        assert_eq!(
            pe("2009-06-15T13:45Z", "yyyy-MM-ddTHH:mmK"),
            dt(2009, 6, 15, 13, 45, 0)
        );
        assert_eq!(
            pe("2009-06-15T13:45-01:00", "yyyy-MM-ddTHH:mmK"),
            dt(2009, 6, 15, 14, 45, 0)
        );
        assert_eq!(
            pe("2009-06-15T13:45", "yyyy-MM-ddTHH:mmK"),
            dt(2009, 6, 15, 13, 45, 0)
        );
        assert!(parse_exact("0001-01-01 00:00 +01:00", "yyyy-MM-dd HH:mm zzz").is_err());
    }

    #[test]
    fn parse_exact_literals_and_escapes() {
        assert_eq!(
            pe("on 2009-06-15", "'on' yyyy-MM-dd"),
            dt(2009, 6, 15, 0, 0, 0)
        );
        assert_eq!(pe("d2009", "\\dyyyy"), dt(2009, 1, 1, 0, 0, 0));
        // Literals match exactly, case and white space included.
        assert!(parse_exact("2009-06-15z", "yyyy-MM-ddZ").is_err());
        assert!(parse_exact(" 2009-06-15", "yyyy-MM-dd").is_err());
        assert!(parse_exact("2009-06-15 ", "yyyy-MM-dd").is_err());
        assert!(parse_exact("2009/06/15", "yyyy-MM-dd").is_err());
    }

    #[test]
    fn parse_exact_missing_parts() {
        // A year alone means January 1st; month and day default to 1.
        assert_eq!(pe("2009", "yyyy"), dt(2009, 1, 1, 0, 0, 0));
        assert_eq!(pe("2009-06", "yyyy-MM"), dt(2009, 6, 1, 0, 0, 0));
        let e = parse_exact("13:45", "HH:mm").unwrap_err();
        assert_eq!(e.message, "the date format `HH:mm` gives `13:45` no date");
        let e = parse_exact("06-15", "MM-dd").unwrap_err();
        assert_eq!(e.message, "the date format `MM-dd` gives `06-15` no year");
        let today = date(2024, 2, 1);
        assert_eq!(
            parse_exact_with_today("13:45", "HH:mm", today).unwrap(),
            dt(2024, 2, 1, 13, 45, 0)
        );
        assert_eq!(
            parse_exact_with_today("02-29", "MM-dd", today).unwrap(),
            dt(2024, 2, 29, 0, 0, 0)
        );
        assert!(parse_exact_with_today("02-29", "MM-dd", date(2023, 1, 1)).is_err());
        let june = parse_exact_with_today("6", "%M", date(2030, 1, 1)).unwrap();
        assert_eq!(june, dt(2030, 6, 1, 0, 0, 0));
    }

    #[test]
    fn parse_exact_repeated_fields_must_agree() {
        assert_eq!(pe("2009 2009", "yyyy yyyy"), dt(2009, 1, 1, 0, 0, 0));
        assert!(parse_exact("2009 2010", "yyyy yyyy").is_err());
    }

    #[test]
    fn parse_exact_standard_formats() {
        assert_eq!(pe("06/15/2009", "d"), dt(2009, 6, 15, 0, 0, 0));
        assert!(parse_exact("6/15/2009", "d").is_err());
        assert_eq!(
            pe("2009-06-15T13:45:30.0500000Z", "o"),
            dt_nanos(2009, 6, 15, 13, 45, 30, 50_000_000)
        );
        assert_eq!(
            pe("2009-06-15T13:45:30.0000000+02:00", "o"),
            dt(2009, 6, 15, 11, 45, 30)
        );
        assert_eq!(
            pe("Mon, 15 Jun 2009 13:45:30 GMT", "r"),
            dt(2009, 6, 15, 13, 45, 30)
        );
        assert_eq!(pe("2009-06-15 13:45:30Z", "u"), dt(2009, 6, 15, 13, 45, 30));
        assert_eq!(pe("2009-06-15T13:45:30", "s"), dt(2009, 6, 15, 13, 45, 30));
        assert_eq!(
            pe("Monday, 15 June 2009 13:45:30", "F"),
            dt(2009, 6, 15, 13, 45, 30)
        );
    }

    #[test]
    fn parse_exact_errors_name_input_and_format() {
        let e = parse_exact("2009-13-01", "yyyy-MM-dd").unwrap_err();
        assert_eq!(
            e.message,
            "`2009-13-01` does not match the date format `yyyy-MM-dd`"
        );
        assert!(e.help.unwrap().contains("no month 13"));
        let e = parse_exact("2009-1-01", "yyyy-MM-dd").unwrap_err();
        assert_eq!(
            e.message,
            "`2009-1-01` does not match the date format `yyyy-MM-dd`"
        );
        assert_eq!(e.help.unwrap(), "at character 6, `MM` expects two digits");
        let e = parse_exact("2009-01-01x", "yyyy-MM-dd").unwrap_err();
        assert!(e.help.unwrap().contains("`x` is left over"));
        let e = parse_exact("2009", "").unwrap_err();
        assert_eq!(e.message, "`` is not a valid date format");
        let e = parse_exact("2009", "'yyyy").unwrap_err();
        assert_eq!(e.message, "`'yyyy` is not a valid date format");
        assert!(parse_exact("2009-02-29", "yyyy-MM-dd").is_err());
        assert_eq!(pe("2008-02-29", "yyyy-MM-dd"), dt(2008, 2, 29, 0, 0, 0));
    }

    // ---- Interval ----------------------------------------------------------------------------

    #[test]
    fn interval_names() {
        let cases = [
            ("yyyy", Interval::Year),
            ("q", Interval::Quarter),
            ("m", Interval::Month),
            ("y", Interval::DayOfYear),
            ("d", Interval::Day),
            ("w", Interval::Weekday),
            ("ww", Interval::Week),
            ("h", Interval::Hour),
            ("n", Interval::Minute),
            ("s", Interval::Second),
        ];
        for (name, interval) in cases {
            assert_eq!(Interval::parse(name), Some(interval));
            assert_eq!(Interval::parse(&name.to_uppercase()), Some(interval));
            assert_eq!(interval.name(), name);
        }
        for bad in ["", "yy", "yyy", "mm", "min", "hh", "www", " d", "day"] {
            assert_eq!(Interval::parse(bad), None, "{bad}");
        }
    }

    // ---- add ---------------------------------------------------------------------------------

    #[test]
    fn add_documented_examples() {
        let hire = p("2012-03-16-07:00");
        let r = |i: &str, n: i64| render(&add(Interval::parse(i).unwrap(), n, hire).unwrap());
        assert_eq!(r("d", 7), "3/23/2012 7:00:00 AM");
        assert_eq!(r("d", -10), "3/6/2012 7:00:00 AM");
        assert_eq!(r("ww", 2), "3/30/2012 7:00:00 AM");
        assert_eq!(r("m", 10), "1/16/2013 7:00:00 AM");
        assert_eq!(r("yyyy", 2), "3/16/2014 7:00:00 AM");
    }

    #[test]
    fn add_clamps_to_month_end() {
        let jan31 = dt(2021, 1, 31, 10, 0, 0);
        assert_eq!(
            add(Interval::Month, 1, jan31).unwrap(),
            dt(2021, 2, 28, 10, 0, 0)
        );
        assert_eq!(
            add(Interval::Month, 1, dt(2024, 1, 31, 0, 0, 0)).unwrap(),
            dt(2024, 2, 29, 0, 0, 0)
        );
        assert_eq!(
            add(Interval::Month, 3, jan31).unwrap(),
            dt(2021, 4, 30, 10, 0, 0)
        );
        assert_eq!(
            add(Interval::Month, -2, dt(2021, 3, 31, 0, 0, 0)).unwrap(),
            dt(2021, 1, 31, 0, 0, 0)
        );
        assert_eq!(
            add(Interval::Month, -1, dt(2021, 3, 31, 0, 0, 0)).unwrap(),
            dt(2021, 2, 28, 0, 0, 0)
        );
        assert_eq!(
            add(Interval::Month, -13, jan31).unwrap(),
            dt(2019, 12, 31, 10, 0, 0)
        );
        assert_eq!(
            add(Interval::Year, 1, dt(2024, 2, 29, 0, 0, 0)).unwrap(),
            dt(2025, 2, 28, 0, 0, 0)
        );
        assert_eq!(
            add(Interval::Year, 4, dt(2024, 2, 29, 0, 0, 0)).unwrap(),
            dt(2028, 2, 29, 0, 0, 0)
        );
        assert_eq!(
            add(Interval::Quarter, 1, dt(2021, 11, 30, 0, 0, 0)).unwrap(),
            dt(2022, 2, 28, 0, 0, 0)
        );
        assert_eq!(
            add(Interval::Quarter, -1, dt(2021, 2, 15, 0, 0, 0)).unwrap(),
            dt(2020, 11, 15, 0, 0, 0)
        );
    }

    #[test]
    fn add_days_weeks_and_clock_units() {
        let d = dt(2020, 2, 28, 23, 30, 0);
        assert_eq!(
            add(Interval::Day, 1, d).unwrap(),
            dt(2020, 2, 29, 23, 30, 0)
        );
        assert_eq!(
            add(Interval::DayOfYear, 2, d).unwrap(),
            dt(2020, 3, 1, 23, 30, 0)
        );
        assert_eq!(
            add(Interval::Weekday, 2, d).unwrap(),
            dt(2020, 3, 1, 23, 30, 0)
        );
        assert_eq!(
            add(Interval::Week, -1, d).unwrap(),
            dt(2020, 2, 21, 23, 30, 0)
        );
        assert_eq!(
            add(Interval::Hour, 1, d).unwrap(),
            dt(2020, 2, 29, 0, 30, 0)
        );
        assert_eq!(
            add(Interval::Minute, -31, d).unwrap(),
            dt(2020, 2, 28, 22, 59, 0)
        );
        assert_eq!(
            add(Interval::Second, 1800, d).unwrap(),
            dt(2020, 2, 29, 0, 0, 0)
        );
        assert_eq!(add(Interval::Day, 0, d).unwrap(), d);
        let frac = dt_nanos(2020, 1, 1, 0, 0, 0, 123_456_700);
        assert_eq!(
            add(Interval::Day, 1, frac).unwrap(),
            dt_nanos(2020, 1, 2, 0, 0, 0, 123_456_700)
        );
    }

    #[test]
    fn add_out_of_range_is_an_error() {
        let last = dt(9999, 12, 31, 0, 0, 0);
        let e = add(Interval::Day, 1, last).unwrap_err();
        assert_eq!(
            e.message,
            "adding 1 `d` to `12/31/9999 12:00:00 AM` leaves the supported date range"
        );
        assert!(add(Interval::Month, 1, last).is_err());
        assert!(add(Interval::Year, -1, dt(1, 6, 1, 0, 0, 0)).is_err());
        assert!(add(Interval::Second, -1, dt(1, 1, 1, 0, 0, 0)).is_err());
        assert_eq!(
            add(Interval::Second, 86_399, last).unwrap(),
            dt(9999, 12, 31, 23, 59, 59)
        );
        for i in [
            Interval::Year,
            Interval::Quarter,
            Interval::Month,
            Interval::Day,
            Interval::Week,
            Interval::Hour,
            Interval::Minute,
            Interval::Second,
        ] {
            assert!(add(i, i64::MAX, last).is_err());
            assert!(add(i, i64::MIN, last).is_err());
        }
    }

    // ---- diff --------------------------------------------------------------------------------

    #[test]
    fn diff_documented_examples() {
        assert_eq!(
            diff(Interval::Day, p("2021-08-18+08:00"), p("2021-08-31+08:00")),
            13
        );
        let d1 = p("8/25/2021 5:41:18 PM");
        let d2 = p("2012-03-16-07:00");
        assert_eq!(diff(Interval::Day, d1, d2), -3449);
        assert_eq!(diff(Interval::Week, d1, d2), -493);
        assert_eq!(diff(Interval::Month, d1, d2), -113);
        assert_eq!(diff(Interval::Year, d1, d2), -9);
        for i in ["yyyy", "q", "m", "y", "d", "w", "ww", "h", "n", "s"] {
            assert_eq!(diff(Interval::parse(i).unwrap(), d1, d1), 0, "{i}");
        }
        let a = p("2021-08-24");
        let b = p("2021-08-25");
        assert_eq!(diff(Interval::Hour, a, b), 24);
        assert_eq!(diff(Interval::Minute, a, b), 1440);
        assert_eq!(diff(Interval::Second, a, b), 86400);
        assert_eq!(diff(Interval::Hour, b, a), -24);
    }

    #[test]
    fn diff_elapsed_units_truncate_toward_zero() {
        let a = dt(2021, 1, 1, 10, 0, 0);
        assert_eq!(diff(Interval::Hour, a, dt(2021, 1, 1, 10, 59, 59)), 0);
        assert_eq!(diff(Interval::Hour, a, dt(2021, 1, 1, 9, 0, 1)), 0);
        assert_eq!(diff(Interval::Hour, a, dt(2021, 1, 1, 8, 59, 59)), -1);
        assert_eq!(diff(Interval::Day, a, dt(2021, 1, 2, 9, 59, 59)), 0);
        assert_eq!(diff(Interval::DayOfYear, a, dt(2021, 1, 2, 10, 0, 0)), 1);
        assert_eq!(diff(Interval::Day, dt(2021, 1, 2, 9, 0, 0), a), 0);
        assert_eq!(
            diff(
                Interval::Second,
                a,
                dt_nanos(2021, 1, 1, 10, 0, 0, 999_999_900)
            ),
            0
        );
        assert_eq!(
            diff(
                Interval::Second,
                dt_nanos(2021, 1, 1, 10, 0, 0, 500_000_000),
                a
            ),
            0
        );
        assert_eq!(diff(Interval::Weekday, a, dt(2021, 1, 15, 9, 0, 0)), 1);
        assert_eq!(diff(Interval::Weekday, a, dt(2021, 1, 15, 10, 0, 0)), 2);
        assert_eq!(diff(Interval::Weekday, dt(2021, 1, 15, 10, 0, 0), a), -2);
        // Across a leap day.
        assert_eq!(
            diff(
                Interval::Day,
                dt(2020, 2, 28, 0, 0, 0),
                dt(2020, 3, 1, 0, 0, 0)
            ),
            2
        );
        assert_eq!(
            diff(
                Interval::Day,
                dt(2021, 2, 28, 0, 0, 0),
                dt(2021, 3, 1, 0, 0, 0)
            ),
            1
        );
    }

    #[test]
    fn diff_calendar_units_ignore_day() {
        assert_eq!(
            diff(
                Interval::Month,
                dt(2021, 1, 31, 0, 0, 0),
                dt(2021, 2, 1, 0, 0, 0)
            ),
            1
        );
        assert_eq!(
            diff(
                Interval::Month,
                dt(2021, 2, 1, 0, 0, 0),
                dt(2021, 1, 31, 0, 0, 0)
            ),
            -1
        );
        assert_eq!(
            diff(
                Interval::Year,
                dt(2020, 12, 31, 23, 59, 59),
                dt(2021, 1, 1, 0, 0, 0)
            ),
            1
        );
        assert_eq!(
            diff(
                Interval::Year,
                dt(2020, 1, 1, 0, 0, 0),
                dt(2020, 12, 31, 0, 0, 0)
            ),
            0
        );
        assert_eq!(
            diff(
                Interval::Quarter,
                dt(2021, 3, 31, 0, 0, 0),
                dt(2021, 4, 1, 0, 0, 0)
            ),
            1
        );
        assert_eq!(
            diff(
                Interval::Quarter,
                dt(2021, 1, 1, 0, 0, 0),
                dt(2021, 3, 31, 0, 0, 0)
            ),
            0
        );
        assert_eq!(
            diff(
                Interval::Quarter,
                dt(2020, 12, 1, 0, 0, 0),
                dt(2022, 1, 1, 0, 0, 0)
            ),
            5
        );
        assert_eq!(
            diff(
                Interval::Month,
                dt(1, 1, 1, 0, 0, 0),
                dt(9999, 12, 31, 0, 0, 0)
            ),
            9998 * 12 + 11
        );
    }

    #[test]
    fn diff_weeks_count_sundays() {
        // 2021-08-21 is a Saturday, 2021-08-22 a Sunday.
        let sat = dt(2021, 8, 21, 23, 0, 0);
        let sun = dt(2021, 8, 22, 1, 0, 0);
        assert_eq!(diff(Interval::Week, sat, sun), 1);
        assert_eq!(diff(Interval::Weekday, sat, sun), 0);
        assert_eq!(diff(Interval::Week, sun, dt(2021, 8, 28, 23, 0, 0)), 0);
        assert_eq!(diff(Interval::Week, sun, dt(2021, 8, 29, 0, 0, 0)), 1);
        // Time of day does not matter: Sunday 10:00 to next Sunday 09:00 is one week.
        assert_eq!(
            diff(
                Interval::Week,
                dt(2021, 8, 22, 10, 0, 0),
                dt(2021, 8, 29, 9, 0, 0)
            ),
            1
        );
        assert_eq!(diff(Interval::Week, sun, sat), -1);
        assert_eq!(
            diff(Interval::Week, dt(1, 1, 1, 0, 0, 0), dt(1, 1, 7, 0, 0, 0)),
            1
        );
    }

    // ---- FILETIME ----------------------------------------------------------------------------

    #[test]
    fn filetime_examples() {
        assert_eq!(
            from_filetime(129_699_324_000_000_000).unwrap(),
            dt(2012, 1, 1, 23, 0, 0)
        );
        assert_eq!(
            to_filetime(dt(2012, 1, 1, 23, 0, 0)),
            129_699_324_000_000_000
        );
        let d = p("2025-12-31 23:59:59-05:00");
        assert_eq!(d, dt(2026, 1, 1, 4, 59, 59));
        assert_eq!(to_filetime(d), 134_117_171_990_000_000);
        assert_eq!(try_to_filetime(d), Ok(134_117_171_990_000_000));
    }

    #[test]
    fn filetime_boundaries() {
        assert_eq!(from_filetime(0).unwrap(), dt(1601, 1, 1, 0, 0, 0));
        assert_eq!(
            from_filetime(1).unwrap(),
            dt_nanos(1601, 1, 1, 0, 0, 0, 100)
        );
        assert_eq!(
            from_filetime(MAX_FILETIME).unwrap(),
            dt_nanos(9999, 12, 31, 23, 59, 59, 999_999_900)
        );
        assert_eq!(
            to_filetime(dt_nanos(9999, 12, 31, 23, 59, 59, 999_999_900)),
            MAX_FILETIME
        );
        assert_eq!(to_filetime(dt(1970, 1, 1, 0, 0, 0)), UNIX_EPOCH_FILETIME);
        for bad in [-1, i64::MIN, MAX_FILETIME + 1, i64::MAX] {
            let e = from_filetime(bad).unwrap_err();
            assert_eq!(e.message, format!("`{bad}` is not a valid FILETIME"));
            assert!(e.help.is_some());
        }
        assert!(to_filetime(dt(1600, 12, 31, 23, 59, 59)) < 0);
        let e = try_to_filetime(dt(1600, 12, 31, 23, 59, 59)).unwrap_err();
        assert_eq!(e.message, "`12/31/1600 11:59:59 PM` has no FILETIME");
        assert_eq!(to_filetime(dt(1, 1, 1, 0, 0, 0)), -504_911_232_000_000_000);
    }

    // ---- properties --------------------------------------------------------------------------

    /// Any instant in .NET's range, at whole seconds.
    fn any_second() -> impl Strategy<Value = NaiveDateTime> {
        (0_i64..=315_537_897_599).prop_map(|s| dt(1, 1, 1, 0, 0, 0) + TimeDelta::seconds(s))
    }

    /// Any instant in .NET's range, at tick precision.
    fn any_tick() -> impl Strategy<Value = NaiveDateTime> {
        (any_second(), 0_i64..10_000_000).prop_map(|(d, t)| d + TimeDelta::nanoseconds(t * 100))
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = parse(&s);
            let _ = parse_with_today(&s, date(2024, 1, 1));
        }

        #[test]
        fn parse_never_panics_on_date_like_text(s in "[0-9 /:.,+TZAPMJunGMTe\\-]{0,40}") {
            let _ = parse(&s);
        }

        #[test]
        fn parse_exact_and_format_never_panic(
            s in any::<String>(),
            f in any::<String>(),
            d in any_tick(),
        ) {
            let _ = parse_exact(&s, &f);
            let _ = format(&d, &f);
        }

        #[test]
        fn parse_exact_never_panics_on_date_like_text(
            s in "[0-9 /:.+\\-AaPpMZ]{0,25}",
            f in "[dfFghHKmMstyz:/ .'\"\\\\%+\\-]{0,15}",
        ) {
            let _ = parse_exact(&s, &f);
            let _ = format(&dt(2009, 6, 15, 13, 45, 30), &f);
        }

        #[test]
        fn parse_inverts_render(d in any_second()) {
            prop_assert_eq!(parse(&render(&d)), Ok(d));
        }

        #[test]
        fn parse_exact_inverts_format(
            d in any_tick(),
            f in prop::sample::select(vec![
                "o",
                "yyyy-MM-ddTHH:mm:ss.fffffffzzz",
                "dddd, d MMMM yyyy h:mm:ss.FFFFFFF tt K",
                "yyyyMMddHHmmss.fffffff",
                "ddd, dd MMM yyyy HH:mm:ss.fffffff 'GMT'",
            ]),
        ) {
            let text = fmt(&d, f);
            prop_assert_eq!(parse_exact(&text, f), Ok(d));
        }

        #[test]
        fn iso_round_trips_through_parse(d in any_tick()) {
            prop_assert_eq!(parse(&fmt(&d, "o")), Ok(d));
        }

        #[test]
        fn filetime_round_trips(d in any_tick()) {
            let ticks = to_filetime(d);
            if d.year() >= 1601 {
                prop_assert_eq!(from_filetime(ticks), Ok(d));
            } else {
                prop_assert!(ticks < 0);
                prop_assert!(try_to_filetime(d).is_err());
            }
        }

        #[test]
        fn day_add_and_diff_agree(d in any_second(), n in -100_000_i64..100_000) {
            if let Ok(later) = add(Interval::Day, n, d) {
                prop_assert_eq!(diff(Interval::Day, d, later), n);
                prop_assert_eq!(diff(Interval::Second, d, later), n * 86_400);
            }
        }

        #[test]
        fn month_add_and_diff_agree(d in any_second(), n in -2_000_i64..2_000) {
            if let Ok(later) = add(Interval::Month, n, d) {
                prop_assert_eq!(diff(Interval::Month, d, later), n);
                prop_assert!(later.day() <= d.day());
            }
        }

        #[test]
        fn diff_is_antisymmetric(a in any_tick(), b in any_tick()) {
            for i in [Interval::Year, Interval::Quarter, Interval::Month, Interval::Day,
                      Interval::Weekday, Interval::Week, Interval::Hour, Interval::Minute,
                      Interval::Second] {
                prop_assert_eq!(diff(i, a, b), -diff(i, b, a));
            }
        }
    }
}
