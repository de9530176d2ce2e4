//! SCIM bulk request ingest (API-driven inbound provisioning).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use roster::policy::raw;

#[path = "common.rs"]
mod common;
#[path = "ingest.rs"]
mod ingest;

fuzz_target!(|data: &[u8]| {
    static SOURCE: OnceLock<raw::Source> = OnceLock::new();
    ingest::read(SOURCE.get_or_init(|| ingest::source("scim", ",")), data);
});
