//! CSV ingest: the first byte picks the delimiter, the rest is the file.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use roster::policy::raw;

#[path = "common.rs"]
mod common;
#[path = "ingest.rs"]
mod ingest;

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    static SOURCES: OnceLock<Vec<raw::Source>> = OnceLock::new();
    let sources = SOURCES.get_or_init(|| {
        [",", ";", "\\t", "|", "\\x01"]
            .iter()
            .map(|d| ingest::source("csv", d))
            .collect()
    });
    if let Some(source) = sources.get(usize::from(first) % sources.len()) {
        ingest::read(source, bytes);
    }
});
