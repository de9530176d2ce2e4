//! Shared by the fuzz targets (included with `#[path]`, not a crate of its own).

#![allow(dead_code)]

use roster::diagnostics::{Diagnostic, Sources};
use roster::escape::is_unsafe_char;
use roster::value::Value;

/// The time `Now()` and `system.now` stand for.
pub fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap_or_default()
}

/// Splits fuzz input at its first NUL byte: the text, and a JSON object of inputs after it.
pub fn text_and_input(data: &[u8]) -> Option<(&str, serde_json::Map<String, serde_json::Value>)> {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = std::str::from_utf8(text).ok()?;
    let input = match serde_json::from_slice::<serde_json::Value>(rest) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    Some((text, input))
}

/// Renders diagnostics in every format and checks what must hold whatever the input: the
/// human form has no raw control character and no line a CI runner would obey; GitHub
/// annotations are one line each.
pub fn render_all(diagnostics: &[Diagnostic], sources: &impl Sources) {
    let human = roster::render::human(diagnostics, sources);
    check_log_text(&human);
    let github = roster::render::github(diagnostics, sources);
    check_log_text(&github);
    assert_eq!(github.lines().count(), diagnostics.len(), "{github}");
    for line in github.lines() {
        assert!(line.starts_with("::error file=") || line.starts_with("::warning file="));
    }
    check_log_text(&roster::render::json(diagnostics, sources));
    check_log_text(&roster::render::sarif(diagnostics, sources));
}

/// No raw control characters but line breaks and tabs, no `##[`, and no line that starts,
/// after white space, with `::` unless it is one of Roster's own annotations.
pub fn check_log_text(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && c != '\t' && is_unsafe_char(c)),
        "raw control in {text:?}"
    );
    assert!(!text.contains("##["), "`##[` in {text:?}");
    for line in text.lines() {
        let t = line.trim_start();
        assert!(
            !t.starts_with("::")
                || t.starts_with(":::")
                || line.starts_with("::error file=")
                || line.starts_with("::warning file="),
            "{line:?}"
        );
    }
}

/// A value's JSON, written the safe way, reads back as the same JSON.
pub fn check_value(v: &Value) {
    let json = v.to_json();
    let text = roster::escape::json_compact(&json);
    check_log_text(&text);
    let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(back, json);
}
