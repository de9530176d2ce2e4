//! The actual-state readers (`roster::actual`): one export file, its format chosen by the first
//! input byte. Checks that reading never panics, that every problem names the file, and that
//! the same bytes read the same accounts and problems however they are read: with the default
//! piece size, with LDIF cut into pieces of 1–32 bytes (records and folded lines straddling
//! the pieces), from memory, and with a tap that sees every row.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use roster::actual::{
    self, Accounts, Cell, CsvNull, CsvOptions, DataIssue, Format, ObjectKind, ReadOptions, Tap,
};
use roster::value::Value;

/// The first byte's low three bits: the format and kind.
const KINDS: [(Format, ObjectKind, &str); 8] = [
    (Format::Graph, ObjectKind::Users, "users.json"),
    (Format::Graph, ObjectKind::Groups, "groups.json"),
    (Format::Graph, ObjectKind::Assignments, "assignments.json"),
    (Format::Ldif, ObjectKind::Users, "users.ldif"),
    (Format::Ldif, ObjectKind::Groups, "groups.ldif"),
    (Format::Scim, ObjectKind::Users, "users.json"),
    (Format::Scim, ObjectKind::Groups, "groups.json"),
    (Format::Csv, ObjectKind::Users, "users.csv"),
];

/// A directory of this process's own, made once.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("roster-fuzz-actual-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        dir
    })
}

/// What a tap saw: columns by number, and each row's id, cells and enabled flag.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    columns: Vec<(usize, String)>,
    rows: Vec<(usize, String, Vec<(usize, Option<Value>)>, Option<bool>)>,
}

impl Tap for Seen {
    fn column(&mut self, column: usize, name: &str) {
        self.columns.push((column, name.to_string()));
    }
    fn keeps(&self, _folded: &str) -> bool {
        true
    }
    fn row(&mut self, row: usize, id: &str, cells: &[(usize, Cell<'_>)], enabled: Option<bool>) {
        let cells = cells
            .iter()
            .map(|(c, cell)| {
                let v = match cell {
                    Cell::Absent => panic!("an absent cell handed to the tap"),
                    Cell::Null => None,
                    Cell::Text(t) => Some(Value::Str((*t).to_string())),
                    Cell::Value(v) => Some((*v).clone()),
                };
                (*c, v)
            })
            .collect();
        self.rows.push((row, id.to_string(), cells, enabled));
    }
}

fn check(accounts: &Option<Accounts>, issues: &[DataIssue], file: &str) {
    for issue in issues {
        assert_eq!(issue.file, file, "a problem not naming the file: {issue:?}");
        let _ = issue.render();
        assert!(issue.message.len() < 64 * 1024, "{}", issue.message.len());
    }
    let Some(a) = accounts else { return };
    assert_eq!(a.ids.len(), a.len());
    assert_eq!(a.enabled.len(), a.len());
    for r in 0..a.len() {
        assert!(!a.id(r).is_empty(), "a row without an identifier");
        assert!(a.location(r).is_some(), "row {r} has no location");
    }
    for attr in &a.attributes {
        assert_eq!(attr.values.len(), a.len(), "{}", attr.name);
    }
}

/// The bytes, with a UTF-8 byte-order mark dropped, are UTF-8 (or UTF-16 with its mark).
fn is_text(bytes: &[u8]) -> bool {
    matches!(bytes, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..])
        || std::str::from_utf8(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes)).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let (format, kind, name) = KINDS[usize::from(selector & 7)];
    let piece = usize::from(selector >> 3) + 1;
    let null = match piece % 3 {
        0 => CsvNull::UnquotedEmpty,
        1 => CsvNull::Never,
        _ => CsvNull::Marker("\\N".to_string()),
    };
    let options = ReadOptions {
        format,
        kind,
        csv: CsvOptions {
            enabled: Some("enabled".to_string()),
            null,
            ..CsvOptions::default()
        },
        ..ReadOptions::default()
    };
    let path = dir().join(name);
    std::fs::write(&path, bytes).expect("the input written");
    let file = path.display().to_string();

    let (accounts, issues) = actual::read(&path, &options);
    check(&accounts, &issues, &file);

    // In pieces: LDIF is streamed; the other formats ignore the piece size.
    let (pieces, pieces_issues) = actual::read_in_pieces(&path, &options, None, piece);
    check(&pieces, &pieces_issues, &file);
    if format != Format::Ldif || is_text(bytes) {
        assert_eq!(pieces, accounts, "in pieces of {piece}");
        assert_eq!(pieces_issues, issues, "in pieces of {piece}");
    } else {
        // Not UTF-8: the reading stops at the first piece that is not, and reports it at the
        // same line (what was read before depends on where the pieces end).
        let bad = |i: &[DataIssue]| {
            i.iter()
                .filter(|i| i.message == "the export is not UTF-8 text")
                .map(|i| i.row)
                .collect::<Vec<_>>()
        };
        assert_eq!(bad(&pieces_issues), bad(&issues), "in pieces of {piece}");
    }

    // From memory, as one file: the same.
    let (memory, memory_issues) = actual::read_bytes(&[(file.clone(), bytes.to_vec())], &options);
    assert_eq!(memory, accounts, "read from memory");
    assert_eq!(memory_issues, issues, "read from memory");

    // With a tap that keeps everything: the same accounts and problems, and the tap sees the
    // rows that replaying the accounts shows.
    let mut seen = Seen::default();
    let (tapped, tapped_issues) = actual::read_with(&path, &options, Some(&mut seen));
    assert_eq!(tapped, accounts, "read with a tap");
    assert_eq!(tapped_issues, issues, "read with a tap");
    if let Some(a) = &accounts {
        let mut replayed = Seen::default();
        actual::replay(a, &mut replayed);
        // A row's cells come in the record's order, replayed in the columns' order.
        for row in seen.rows.iter_mut().chain(replayed.rows.iter_mut()) {
            row.2.sort_by_key(|(c, _)| *c);
        }
        assert_eq!(seen, replayed, "the tap against the replay");
    }
});
