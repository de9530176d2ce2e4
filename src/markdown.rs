//! Markdown reports that fit where people read them: a pull-request comment (GitHub refuses
//! more than 65,536 characters) or a CI job summary, whatever the population.
//!
//! [`Doc`] is a builder with a character budget ([`COMMENT_CHARS`] by default). Every block is
//! measured before it is added; a block that does not fit is left out and counted, tables stop
//! at their row limit or when the budget runs out and say how many rows they left out ("… and
//! N more groups"), and when anything was left out for length the report ends with a line that
//! says so. Room for those closing lines is reserved as the report is built, so the cut is
//! never silent and the result is always under the budget.
//!
//! Cells are written by the caller with [`crate::escape`] ([`markdown_code`],
//! [`crate::escape::markdown_text`], [`crate::escape::markdown_message`]); [`cell_code`] and
//! [`cell_text`] clip user text to [`CELL_CHARS`] first, so one huge name cannot take a
//! table's whole share. `eval --format markdown` uses it; `diff` and `plan` are meant to.

use std::fmt::Write as _;

use crate::escape::{clip, markdown_code, markdown_text};

/// The budget of a report: under GitHub's 65,536 characters per comment, with room to spare
/// for a bot's own header or a `<!-- marker -->`.
pub const COMMENT_CHARS: usize = 60_000;

/// The most characters of user text in one table cell (before escaping).
pub const CELL_CHARS: usize = 120;

/// Room kept for the closing line of a table ("… and N more ...") and a `</details>`.
const CLOSING_ROOM: usize = 200;

/// Room kept for the report's last line (the notice that something was left out).
const FOOTER_ROOM: usize = 300;

/// User text as a code span for a table cell, clipped to [`CELL_CHARS`].
pub fn cell_code(text: &str) -> String {
    markdown_code(&clip(text, CELL_CHARS))
}

/// User text as escaped prose for a table cell, clipped to [`CELL_CHARS`].
pub fn cell_text(text: &str) -> String {
    markdown_text(&clip(text, CELL_CHARS))
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table to add: its header, its rows (cells already escaped), and the number of rows it
/// stands for (more than `rows.len()` when the caller kept only the first ones).
#[derive(Debug, Clone)]
pub struct Table<'a> {
    /// Column titles (Roster's own words) and alignments.
    pub columns: &'a [(&'a str, Align)],
    /// The rows, in the order they are shown.
    pub rows: Vec<Vec<String>>,
    /// How many rows there are in all.
    pub total: usize,
    /// The most rows shown.
    pub max_rows: usize,
    /// What a row is, in the plural, for "… and N more `what`".
    pub what: &'a str,
    /// Where the rest is, appended to the "… and N more" line (e.g. "in the JSON report").
    pub rest: &'a str,
}

/// A Markdown document under a character budget.
#[derive(Debug, Clone)]
pub struct Doc {
    out: String,
    /// Characters in `out`.
    chars: usize,
    /// The budget: `out` plus everything reserved stays under it.
    limit: usize,
    /// Characters reserved for closing lines not yet written (open tables and `<details>`).
    reserved: usize,
    /// Blocks and rows left out for length.
    left_out: usize,
}

impl Doc {
    /// An empty document with the budget of a pull-request comment ([`COMMENT_CHARS`]).
    pub fn new() -> Doc {
        Doc::with_limit(COMMENT_CHARS)
    }

    /// An empty document that stays under `limit` characters.
    pub fn with_limit(limit: usize) -> Doc {
        Doc {
            out: String::new(),
            chars: 0,
            limit,
            reserved: 0,
            left_out: 0,
        }
    }

    /// Characters that can still be added, closing lines and the footer kept aside.
    pub fn room(&self) -> usize {
        self.limit
            .saturating_sub(FOOTER_ROOM)
            .saturating_sub(self.reserved)
            .saturating_sub(self.chars)
            .saturating_sub(1)
    }

    fn push(&mut self, text: &str) {
        self.chars += text.chars().count();
        self.out.push_str(text);
    }

    /// Adds `text` (a paragraph, a heading, a fenced block: whole lines) when it fits; returns
    /// whether it was added. What does not fit is counted for the closing notice.
    pub fn block(&mut self, text: &str) -> bool {
        if text.chars().count() <= self.room() {
            self.push(text);
            true
        } else {
            self.left_out += 1;
            false
        }
    }

    /// Adds a table, preceded by a blank line: the header, then rows while they fit within
    /// `max_rows` and `share` characters (and the room left), then "… and N more" when any
    /// row of `total` is not shown. Returns the number of rows shown.
    pub fn table(&mut self, table: &Table<'_>, share: usize) -> usize {
        let mut head = String::from("\n|");
        for (title, _) in table.columns {
            let _ = write!(head, " {title} |");
        }
        head.push_str("\n|");
        for (_, align) in table.columns {
            head.push_str(match align {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        head.push('\n');
        let start = self.chars;
        let head_chars = head.chars().count();
        if head_chars + CLOSING_ROOM > self.room().min(share) {
            self.left_out += 1;
            if table.total > 0 {
                self.more(table, 0);
            }
            return 0;
        }
        self.reserved += CLOSING_ROOM;
        self.push(&head);
        let mut shown = 0;
        for row in table.rows.iter().take(table.max_rows) {
            let mut line = String::from("|");
            for cell in row {
                line.push(' ');
                line.push_str(cell);
                line.push_str(" |");
            }
            line.push('\n');
            let n = line.chars().count();
            let used = self.chars - start;
            if n > self.room() || used + n + CLOSING_ROOM > share {
                self.left_out += 1;
                break;
            }
            self.push(&line);
            shown += 1;
        }
        self.reserved -= CLOSING_ROOM;
        self.more(table, shown);
        shown
    }

    /// The "… and N more" line of a table that showed `shown` of its rows.
    fn more(&mut self, table: &Table<'_>, shown: usize) {
        let hidden = table.total.saturating_sub(shown);
        if hidden == 0 {
            return;
        }
        let rest = if table.rest.is_empty() {
            String::new()
        } else {
            format!(" {}", table.rest)
        };
        let line = format!(
            "\n… and {} more {}{rest}.\n",
            group_digits(hidden),
            table.what
        );
        // A table that was added had this room reserved; one left out whole may not.
        if line.chars().count() <= self.room() {
            self.push(&line);
        } else {
            self.left_out += 1;
        }
    }

    /// Adds a `<details>` block with `summary` (Roster's own words) and what `body` adds,
    /// within `share` characters; nothing when not even its frame fits.
    pub fn details(&mut self, summary: &str, share: usize, body: impl FnOnce(&mut Doc)) {
        let open = format!("\n<details><summary>{summary}</summary>\n");
        let close = "\n</details>\n";
        let frame = open.chars().count() + close.len();
        if frame + CLOSING_ROOM > self.room().min(share) {
            self.left_out += 1;
            return;
        }
        // The body is built in a document of its own, whose budget is what is left here.
        let mut inner = Doc::with_limit(
            self.room()
                .min(share)
                .saturating_sub(frame)
                .saturating_add(FOOTER_ROOM),
        );
        body(&mut inner);
        self.left_out += inner.left_out;
        self.push(&open);
        self.push(&inner.out);
        self.push(close);
    }

    /// Whether anything was left out for length.
    pub fn cut(&self) -> bool {
        self.left_out > 0
    }

    /// The document, ending with a notice when anything was left out for length.
    pub fn finish(mut self) -> String {
        if self.left_out > 0 {
            let line = format!(
                "\n*This report was shortened to stay under {} characters; the JSON report has everything.*\n",
                group_digits(self.limit)
            );
            self.push(&line);
        }
        self.out
    }
}

impl Default for Doc {
    fn default() -> Self {
        Doc::new()
    }
}

/// `n` with `,` between groups of three digits.
pub fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The header of a report: its title, then the as-of date, Roster's version and the policy
/// revision (`unknown` when there is none; see [`crate::revision`]).
pub fn header(title: &str, as_of: chrono::NaiveDate, revision: Option<&str>) -> String {
    let revision = match revision {
        // An object name is hexadecimal (checked where it is read); the code span keeps it so.
        Some(r) => markdown_code(r),
        None => "unknown".to_string(),
    };
    format!(
        "## {title}\n\nAs of {as_of} · Roster {} · policy revision {revision}\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, width: usize) -> Vec<Vec<String>> {
        (0..n)
            .map(|i| {
                vec![
                    cell_code(&format!("{i}{}", "x".repeat(width))),
                    i.to_string(),
                ]
            })
            .collect()
    }

    const COLUMNS: &[(&str, Align)] = &[("name", Align::Left), ("n", Align::Right)];

    #[test]
    fn a_table_that_fits_is_whole_and_says_nothing_more() {
        let mut doc = Doc::new();
        let t = Table {
            columns: COLUMNS,
            rows: rows(3, 1),
            total: 3,
            max_rows: 10,
            what: "groups",
            rest: "",
        };
        assert_eq!(doc.table(&t, usize::MAX), 3);
        let text = doc.finish();
        assert_eq!(
            text,
            "\n| name | n |\n|---|---:|\n| `0x` | 0 |\n| `1x` | 1 |\n| `2x` | 2 |\n"
        );
    }

    #[test]
    fn rows_past_the_limit_are_announced() {
        let mut doc = Doc::new();
        let t = Table {
            columns: COLUMNS,
            rows: rows(30, 1),
            total: 1000,
            max_rows: 20,
            what: "groups",
            rest: "(all of them in the JSON report)",
        };
        assert_eq!(doc.table(&t, usize::MAX), 20);
        let text = doc.finish();
        assert!(
            text.ends_with("\n… and 980 more groups (all of them in the JSON report).\n"),
            "{text}"
        );
    }

    #[test]
    fn no_population_breaks_the_budget_and_the_cut_is_announced() {
        let mut doc = Doc::with_limit(5_000);
        assert!(doc.block("## Title\n"));
        for _ in 0..10 {
            let t = Table {
                columns: COLUMNS,
                rows: rows(500, 500),
                total: 1_000_000,
                max_rows: 500,
                what: "identities",
                rest: "",
            };
            doc.table(&t, usize::MAX);
            doc.details("more", usize::MAX, |d| {
                d.table(&t, usize::MAX);
            });
            doc.block(&"y".repeat(3_000));
        }
        assert!(doc.cut());
        let text = doc.finish();
        assert!(text.chars().count() < 5_000, "{}", text.chars().count());
        assert!(text.contains("more identities."));
        assert!(text.contains("This report was shortened"));
    }

    #[test]
    fn a_share_keeps_a_table_from_taking_everything() {
        let mut doc = Doc::with_limit(20_000);
        let t = Table {
            columns: COLUMNS,
            rows: rows(1000, 50),
            total: 1000,
            max_rows: 1000,
            what: "groups",
            rest: "",
        };
        doc.table(&t, 2_000);
        assert!(doc.chars <= 2_000 + CLOSING_ROOM, "{}", doc.chars);
        assert!(doc.room() > 15_000);
    }

    #[test]
    fn the_header_names_date_version_and_revision() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let h = header("Desired state", d, None);
        assert!(h.contains("As of 2026-01-15 · Roster "), "{h}");
        assert!(h.ends_with("policy revision unknown\n"), "{h}");
        let h = header("Desired state", d, Some("0123abcd"));
        assert!(h.ends_with("policy revision `0123abcd`\n"), "{h}");
    }

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(60_000), "60,000");
        assert_eq!(group_digits(1_234_567), "1,234,567");
    }
}
