//! A synthetic organisation for benchmarks: `N` people written as HR exports, and a lint-clean
//! policy set over them (`roster generate`).
//!
//! [`generate`] writes `out/policies/*.yaml` and `out/data/*.csv`. The output depends only on
//! the [`Settings`]: the same settings give the same bytes (a seeded splitmix64 generator, no
//! hash-map iteration, no clock).
//!
//! # The organisation
//!
//! - **Dates** are relative to the fixed reference date [`REFERENCE_DATE`] (2026-01-01);
//!   evaluate with `--as-of 2026-01-01` to see the situations as described: about 2% of hires
//!   are in the future (pre-hires, some inside the 7-day pre-hire window), some hired in the
//!   last 30 days, about 4% of employees have a leave date (leavers within the 30-day
//!   retention, past it, and planned), and every contractor and intern has an end date.
//! - **People**: one CEO, whose twelve direct reports head the departments; every manager has
//!   3 to 12 reports (depth about 7 at 1,000,000). Managers are employees; of the others, about
//!   17% are contractors and 6% interns, which makes about 80% / 15% / 5% overall. Teams mostly
//!   sit with their manager, across 17 offices in 14 countries, each with its own company.
//!   About 1% of the identities are partner guests, in a fourth source. About 0.5% of the
//!   employees are converted interns: the same WorkerID is also in the intern file, ended ten
//!   days before the employee hire date (a conversion, not a rehire).
//! - **Names** come from small lists with accents, spaces, hyphens and apostrophes, so full
//!   names collide often and `SelectUniqueValue` has work to do. `UserID` is unique (a counter
//!   suffix, as `staylor2`).
//! - **Dirty data**, about 0.1% each of the workers and counted in [`DirtyCounts`]: an extra row
//!   with an existing WorkerID and a different person (the sources say `duplicates: latest`,
//!   so evaluation keeps the later `LastModified` and warns), a ManagerID that names nobody, a
//!   ManagerID that is the worker's own, and a HireDate that does not parse.
//!
//! # The policy set
//!
//! Four sources (`employees`, `contractors`, `interns` in the Entra inbound CSV shape plus
//! `LeaveDate` and `LastModified`; `guests`), correlation and precedence, `mappings` identity
//! attributes (30 core ones as in the bundled example, the rest generated from templates that
//! use `Join`, `Coalesce`, `Switch`, `Replace`, `NormalizeDiacritics`, `ToLower`, `ToUpper`,
//! `Mid`, `PCase`, `DateAdd` and `FormatDateTime`, each mapped by a target and many read by
//! rules), `rules` dynamic groups (populations, departments, divisions, countries, memberOf
//! regions, Direct Reports teams, and generated combinations with `-eq`, `-ne`, `-in`,
//! `-startsWith`, `-match`, `-and`, `-or`, `-not`), `packages` access packages (with a few
//! incompatible pairs whose auto-assignment rules are exclusive), three targets (a directory
//! with `SelectUniqueValue` UPN and sAMAccountName, a SCIM ERP and an engineering LDAP, each
//! with a deletion threshold), joiner, mover and leaver workflows, and reviews. Counts below
//! the fixed core are raised to it.
//!
//! # Layout
//!
//! | module | writes |
//! |---|---|
//! | this one | the settings and their caps, the entry point [`generate`], the [`Summary`] |
//! | `rng` | nothing: the seeded generator every other module draws from |
//! | `reference` | nothing: departments, offices, regions, names, the HR columns |
//! | `org` | nothing: the organisation chart the data and the policies are drawn from |
//! | `people` | `data/*.csv`: the HR exports (what the sources say about each person) |
//! | `policy` | `policies/tenant.yaml`, `sources.yaml`, `identity.yaml` (and which files there are) |
//! | `groups`, `packages`, `targets`, `workflows` | `policies/groups.yaml`, `access-packages.yaml`, `targets.yaml`, `workflows.yaml` and `reviews.yaml` |
//! | `format` | nothing: how dates, YAML scalars and CSV rows are written |
//!
//! What a target actually holds (an export of its accounts, drifted from the desired state)
//! belongs in a module of its own next to `people`, drawn from the same `Org` and written
//! by [`generate`] after the HR data.

mod format;
mod groups;
mod org;
mod packages;
mod people;
mod policy;
mod reference;
mod rng;
mod targets;
mod workflows;

use std::path::{Path, PathBuf};

use org::build_org;
use people::{write_guests, write_hr};
use policy::write_policies;
use rng::Rng;

/// The date the generated data is relative to: 2026-01-01. Pass `--as-of 2026-01-01`.
pub const REFERENCE_DATE: &str = "2026-01-01";

/// Days from 1970-01-01 to [`REFERENCE_DATE`].
const REF_DAYS: i64 = 20_454;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How many identities (workers and guests).
    pub identities: usize,
    /// The seed of the generator: the same seed gives the same bytes.
    pub seed: u64,
    /// How many identity attributes (default 500; at least the 30 core ones).
    pub mappings: usize,
    /// How many dynamic groups (default 2,000; at least the core ones).
    pub rules: usize,
    /// How many access packages (default 200; at least the core ones).
    pub packages: usize,
}

/// Most identities [`generate`] writes: 10,000,000 (about 2.5 GB of HR files).
pub const MAX_IDENTITIES: usize = 10_000_000;
/// Most identity attribute mappings: 10,000.
pub const MAX_MAPPINGS: usize = 10_000;
/// Most dynamic group rules: 50,000 (`groups.yaml` stays inside the policy-file limits: 16 MiB
/// and 250,000 YAML values).
pub const MAX_RULES: usize = 50_000;
/// Most access packages: 5,000 (`access-packages.yaml` stays inside the same limits).
pub const MAX_PACKAGES: usize = 5_000;

impl Settings {
    /// Checks every count against its cap; the error names the first one over it.
    pub fn check(&self) -> Result<(), String> {
        for (flag, value, max) in [
            ("--identities", self.identities, MAX_IDENTITIES),
            ("--mappings", self.mappings, MAX_MAPPINGS),
            ("--rules", self.rules, MAX_RULES),
            ("--packages", self.packages, MAX_PACKAGES),
        ] {
            if value > max {
                return Err(format!("{flag} {value} is over the limit of {max}"));
            }
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            identities: 10_000,
            seed: 1,
            mappings: 500,
            rules: 2_000,
            packages: 200,
        }
    }
}

/// How many of each injected defect the written data has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirtyCounts {
    /// Extra rows whose WorkerID another row of the same file already has (a different person).
    pub duplicate_ids: usize,
    /// ManagerIDs that name no worker of any file.
    pub dangling_managers: usize,
    /// ManagerIDs equal to the worker's own WorkerID.
    pub self_managers: usize,
    /// Date cells that do not parse.
    pub bad_dates: usize,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Every file written, policies first.
    pub files: Vec<PathBuf>,
    /// Identities (people): workers plus guests.
    pub identities: usize,
    /// Of them, partner guests (in `guests.csv` only).
    pub guests: usize,
    /// Employees who are converted interns: one extra row each in `interns.csv`.
    pub conversions: usize,
    /// The injected defects.
    pub dirty: DirtyCounts,
    /// Identity attributes, dynamic groups and access packages in the policy set.
    pub counts: (usize, usize, usize),
}

/// Writes a synthetic organisation of `settings.identities` people to `out`: the policy set in
/// `out/policies/` and the HR exports in `out/data/`. See the module documentation for what
/// they contain. Counts over their caps ([`Settings::check`]) are an `InvalidInput` error, before
/// anything is written; I/O errors propagate; nothing else fails.
pub fn generate(settings: &Settings, out: &Path) -> std::io::Result<Summary> {
    settings
        .check()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut rng = Rng(settings.seed ^ 0x6a09_e667_f3bc_c908);
    let n = settings.identities;
    let guests = if n >= 100 { n / 100 } else { 0 };
    let workers = n - guests;
    let org = build_org(workers, &mut rng);

    let policies = out.join("policies");
    let data = out.join("data");
    std::fs::create_dir_all(&policies)?;
    std::fs::create_dir_all(&data)?;

    let mut files = Vec::new();
    let counts = write_policies(settings, &org, &policies, &mut rng, &mut files)?;
    let (dirty, conversions) = write_hr(settings, &org, &data, &mut files)?;
    write_guests(settings, &org, guests, &data, &mut files)?;
    Ok(Summary {
        files,
        identities: n,
        guests,
        conversions,
        dirty,
        counts,
    })
}

/// Days since 1970 of a `YYYY-MM-DD` date, if it is one.
pub fn parse_date(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((d - epoch).num_days())
}
