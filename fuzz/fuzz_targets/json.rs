//! JSON and JSON Lines ingest: the first byte picks the format, the rest is the file.

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
    static SOURCES: OnceLock<[raw::Source; 2]> = OnceLock::new();
    let [json, jsonl] =
        SOURCES.get_or_init(|| [ingest::source("json", ","), ingest::source("jsonl", ",")]);
    ingest::read(if first % 2 == 0 { json } else { jsonl }, bytes);
});
