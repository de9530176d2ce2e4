//! How generated values are written: dates, YAML scalars, CSV rows, name keys, worker IDs.

use std::io::Write;

/// `YYYY-MM-DD` of a day count since 1970-01-01 (Hinnant's civil-from-days).
fn ymd(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn date(days: i64) -> String {
    let (y, m, d) = ymd(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A YAML single-quoted scalar.
pub(super) fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// ASCII letters of a name, lower-cased, accents folded, everything else dropped.
pub(super) fn ascii_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            'ñ' | 'Ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(folded);
    }
    out
}

/// Writes one fully quoted CSV row.
pub(super) fn csv_row<W: Write>(w: &mut W, cells: &[&str]) -> std::io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"\"")?;
        if cell.contains('"') {
            w.write_all(cell.replace('"', "\"\"").as_bytes())?;
        } else {
            w.write_all(cell.as_bytes())?;
        }
        w.write_all(b"\"")?;
    }
    w.write_all(b"\n")
}

pub(super) fn worker_id(index: usize) -> String {
    (10_000_000 + index).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{REF_DAYS, REFERENCE_DATE, parse_date};

    #[test]
    fn dates() {
        assert_eq!(date(REF_DAYS), REFERENCE_DATE);
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(REF_DAYS + 59), "2026-03-01");
        assert_eq!(parse_date("2026-01-01"), Some(REF_DAYS));
        assert_eq!(parse_date("2025-02-30"), None);
    }
}
