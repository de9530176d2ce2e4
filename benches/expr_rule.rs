//! Per-identity cost of evaluating a compiled mapping expression and a compiled membership rule.
//!
//! Run with `cargo bench --bench expr_rule`. Each measurement is paired with a baseline in the
//! same run: the same logic written directly in Rust, so the ratio says what interpretation
//! costs on this machine, whatever its speed (see BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng as _;
use roster::expr::{self, Context};
use roster::rule::{self, RuleContext, Schema};
use roster::value::Value;

/// The documented Workday sAMAccountName de-duplication expression
/// (shared/reference/default-mappings.md).
const SAM: &str = r#"SelectUniqueValue(
    Replace(Mid(Replace(NormalizeDiacritics(StripSpaces(Join("",  Mid([FirstName],1,1), [LastName]))), , "([\\/\\\\\\[\\]\\:\\;\\|\\=\\,\\+\\*\\?\\<\\>])", , "", , ), 1, 20), , "(\\.)*$", , "", , ),
    Replace(Mid(Replace(NormalizeDiacritics(StripSpaces(Join("",  Mid([FirstName],1,2), [LastName]))), , "([\\/\\\\\\[\\]\\:\\;\\|\\=\\,\\+\\*\\?\\<\\>])", , "", , ), 1, 20), , "(\\.)*$", , "", , ),
    Replace(Mid(Replace(NormalizeDiacritics(StripSpaces(Join("",  Mid([FirstName],1,3), [LastName]))), , "([\\/\\\\\\[\\]\\:\\;\\|\\=\\,\\+\\*\\?\\<\\>])", , "", , ), 1, 20), , "(\\.)*$", , "", , )
)"#;

/// A five-clause rule of the shape real dynamic groups have.
const RULE: &str = r#"user.department -eq "Sales" -and user.country -in ["DE", "FR", "GB"] -and user.jobTitle -startsWith "Senior" -and -not (user.mail -endsWith "@contractor.example") -and user.employeeHireDate -le system.now -minus P30D"#;

const FIRST: &[&str] = &[
    "John",
    "Zoë",
    "José",
    "Ana María",
    "Łukasz",
    "Bjørn",
    "Mary-Jane",
    "Chloé",
    "Li",
    "O'Neil",
];
const LAST: &[&str] = &[
    "Smith",
    "Müller",
    "García López",
    "Nguyễn",
    "Kowalski",
    "Ødegård",
    "O'Brien",
    "Dubois",
    "Li",
    "van der Berg",
];

fn people() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in FIRST {
        for l in LAST {
            out.push(((*f).to_string(), (*l).to_string()));
        }
    }
    out
}

/// The same computation as `SAM`, hand-written: the baseline.
fn sam_native(
    first: &str,
    last: &str,
    taken: &HashSet<String>,
    special: &regex::Regex,
    dots: &regex::Regex,
) -> Option<String> {
    for n in 1..=3 {
        let joined: String = first
            .chars()
            .take(n)
            .chain(last.chars())
            .filter(|c| *c != ' ')
            .collect();
        let normalized = roster::dotnet::text::normalize_diacritics(&joined);
        let cleaned = special.replace_all(&normalized, "");
        let cut: String = cleaned.chars().take(20).collect();
        let candidate = dots.replace_all(&cut, "").into_owned();
        if !candidate.is_empty() && !taken.contains(&candidate.to_lowercase()) {
            return Some(candidate);
        }
    }
    None
}

fn bench(c: &mut Criterion) {
    let people = people();
    let taken: HashSet<String> = people
        .iter()
        .step_by(3)
        .map(|(f, l)| format!("{}{}", f.chars().next().unwrap(), l.replace(' ', "")).to_lowercase())
        .collect();
    let now = chrono::NaiveDate::from_ymd_opt(2024, 6, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();

    let (program, diags) = expr::compile_str(SAM);
    assert!(diags.is_empty(), "{diags:?}");
    let program = program.unwrap();
    let records: Vec<Vec<Value>> = people
        .iter()
        .map(|(f, l)| {
            program
                .attributes
                .iter()
                .map(|a| {
                    Value::Str(if a == "FirstName" {
                        f.clone()
                    } else {
                        l.clone()
                    })
                })
                .collect()
        })
        .collect();
    let is_taken = |v: &str| taken.contains(&v.to_lowercase());
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);

    let mut group = c.benchmark_group("samaccountname");
    group.bench_function("roster", |b| {
        let mut ctx = Context {
            now,
            default_domain: "contoso.com",
            is_taken: &is_taken,
            rng: &mut rng,
        };
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % records.len();
            black_box(program.eval(black_box(&records[i]), &mut ctx).unwrap())
        });
    });
    let special = regex::Regex::new(r"([/\\\[\]:;|=,+*?<>])").unwrap();
    let dots = regex::Regex::new(r"(\.)*$").unwrap();
    group.bench_function("native-baseline", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % people.len();
            let (f, l) = &people[i];
            black_box(sam_native(
                black_box(f),
                black_box(l),
                &taken,
                &special,
                &dots,
            ))
        });
    });
    group.finish();

    let (rule_program, diags) = rule::compile_str(RULE, &Schema::entra());
    assert!(diags.is_empty(), "{diags:?}");
    let rule_program = rule_program.unwrap();
    let departments = ["Sales", "sales", "Marketing", "Engineering"];
    let countries = ["DE", "fr", "US", "GB"];
    let titles = [
        "Senior Account Executive",
        "Junior Analyst",
        "senior engineer",
        "Director",
    ];
    let mails = [
        "a@contoso.example",
        "b@contractor.example",
        "c@CONTOSO.example",
    ];
    let hires = [
        "2020-01-15T00:00:00Z",
        "2024-05-20T00:00:00Z",
        "2019-07-01T00:00:00Z",
    ];
    let objects: Vec<Vec<Value>> = (0..240)
        .map(|i| {
            rule_program
                .properties
                .iter()
                .map(|p| {
                    let s = match p.name.as_str() {
                        "department" => departments[i % 4],
                        "country" => countries[(i / 4) % 4],
                        "jobTitle" => titles[(i / 16) % 4],
                        "mail" => mails[i % 3],
                        // Ingestion types dates once per record, not once per rule.
                        _ => {
                            return Value::Date(
                                roster::dotnet::datetime::parse(hires[(i / 3) % 3]).unwrap(),
                            );
                        }
                    };
                    Value::Str(s.to_string())
                })
                .collect()
        })
        .collect();
    let ctx = RuleContext { now };
    let mut group = c.benchmark_group("five-clause-rule");
    group.bench_function("roster", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % objects.len();
            black_box(rule_program.eval(black_box(&objects[i]), &ctx).unwrap())
        });
    });
    let cutoff = now - chrono::TimeDelta::days(30);
    group.bench_function("native-baseline", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % objects.len();
            let o = black_box(&objects[i]);
            let text = |k: usize| match &o[k] {
                Value::Str(s) => s.as_str(),
                _ => "",
            };
            let hired = match &o[4] {
                Value::Date(d) => Some(*d),
                _ => None,
            };
            black_box(
                text(0).eq_ignore_ascii_case("sales")
                    && ["de", "fr", "gb"]
                        .iter()
                        .any(|c| text(1).eq_ignore_ascii_case(c))
                    && text(2).to_lowercase().starts_with("senior")
                    && !text(3).to_lowercase().ends_with("@contractor.example")
                    && hired.is_some_and(|h| h <= cutoff),
            )
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
