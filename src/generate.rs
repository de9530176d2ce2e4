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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub mod actual;

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
    /// `--actual-drift`: also write each target's actual state, with this share of the
    /// identities drifted ([`actual`]); `None` writes none, and the policy declares none.
    pub actual_drift: Option<actual::Drift>,
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
            actual_drift: None,
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
    /// With `--actual-drift`: what the actual state holds besides the desired state.
    pub drift: Option<actual::DriftSummary>,
}

// ------------------------------------------------------------------------------------------
// Randomness
// ------------------------------------------------------------------------------------------

/// splitmix64: small, fast, good enough, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1).max(1) as u64) as i64
    }

    /// One item of a non-empty slice (the first when empty is impossible by construction).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

// ------------------------------------------------------------------------------------------
// Reference data
// ------------------------------------------------------------------------------------------

struct Dept {
    name: &'static str,
    slug: &'static str,
    division: &'static str,
    code: &'static str,
    cost_center: u32,
    titles: &'static [(&'static str, &'static str)],
}

const DEPTS: &[Dept] = &[
    Dept {
        name: "Engineering",
        slug: "engineering",
        division: "Technology",
        code: "ENG",
        cost_center: 5000,
        titles: &[
            ("Software Engineer", "ENG-SWE"),
            ("Site Reliability Engineer", "ENG-SRE"),
            ("QA Engineer", "ENG-QA"),
            ("Data Engineer", "ENG-DATA"),
        ],
    },
    Dept {
        name: "Sales",
        slug: "sales",
        division: "Commercial",
        code: "SAL",
        cost_center: 2000,
        titles: &[
            ("Account Executive", "SAL-AE"),
            ("Sales Development Representative", "SAL-SDR"),
            ("Sales Operations Analyst", "SAL-OPS"),
        ],
    },
    Dept {
        name: "Marketing",
        slug: "marketing",
        division: "Commercial",
        code: "MKT",
        cost_center: 3000,
        titles: &[
            ("Marketing Specialist", "MKT-SPEC"),
            ("Content Writer", "MKT-CONT"),
            ("Brand Strategist", "MKT-BRAND"),
        ],
    },
    Dept {
        name: "Finance",
        slug: "finance",
        division: "Corporate",
        code: "FIN",
        cost_center: 4000,
        titles: &[
            ("Accounts Payable Specialist", "FIN-AP"),
            ("Financial Controller", "FIN-CTRL"),
            ("Accounts Receivable Analyst", "FIN-AR"),
            ("Treasury Analyst", "FIN-TRS"),
        ],
    },
    Dept {
        name: "People",
        slug: "people",
        division: "Corporate",
        code: "HR",
        cost_center: 6000,
        titles: &[
            ("HR Business Partner", "HR-BP"),
            ("Recruiter", "HR-REC"),
            ("HR Generalist", "HR-GEN"),
        ],
    },
    Dept {
        name: "Operations",
        slug: "operations",
        division: "Operations",
        code: "OPS",
        cost_center: 7000,
        titles: &[
            ("Logistics Coordinator", "OPS-LOG"),
            ("Warehouse Associate", "OPS-WH"),
            ("Supply Planner", "OPS-PLAN"),
        ],
    },
    Dept {
        name: "Legal",
        slug: "legal",
        division: "Corporate",
        code: "LEG",
        cost_center: 8000,
        titles: &[
            ("Counsel", "LEG-CNSL"),
            ("Paralegal", "LEG-PARA"),
            ("Compliance Analyst", "LEG-COMP"),
        ],
    },
    Dept {
        name: "Customer Support",
        slug: "customer-support",
        division: "Commercial",
        code: "SUP",
        cost_center: 2500,
        titles: &[
            ("Support Engineer", "SUP-ENG"),
            ("Customer Success Specialist", "SUP-CS"),
        ],
    },
    Dept {
        name: "IT",
        slug: "it",
        division: "Technology",
        code: "IT",
        cost_center: 5500,
        titles: &[
            ("Systems Administrator", "IT-SYS"),
            ("Service Desk Analyst", "IT-SD"),
            ("Security Analyst", "IT-SEC"),
        ],
    },
    Dept {
        name: "Research",
        slug: "research",
        division: "Technology",
        code: "RND",
        cost_center: 5800,
        titles: &[
            ("Research Scientist", "RND-SCI"),
            ("Lab Technician", "RND-LAB"),
        ],
    },
    Dept {
        name: "Procurement",
        slug: "procurement",
        division: "Operations",
        code: "PRC",
        cost_center: 7500,
        titles: &[("Buyer", "PRC-BUY"), ("Category Analyst", "PRC-CAT")],
    },
    Dept {
        name: "Facilities",
        slug: "facilities",
        division: "Operations",
        code: "FAC",
        cost_center: 7800,
        titles: &[
            ("Facilities Technician", "FAC-TECH"),
            ("Workplace Coordinator", "FAC-WP"),
        ],
    },
    // The CEO's own department; always last.
    Dept {
        name: "Executive",
        slug: "executive",
        division: "Corporate",
        code: "EXEC",
        cost_center: 1000,
        titles: &[("Chief of Staff", "EXEC")],
    },
];

const FALLBACK_DEPT: Dept = Dept {
    name: "General",
    slug: "general",
    division: "Corporate",
    code: "GEN",
    cost_center: 9000,
    titles: &[("Associate", "GEN")],
};

const FALLBACK_OFFICE: Office = Office {
    name: "Seattle HQ",
    street: "1200 Harbor Ave SW",
    city: "Seattle",
    country: "US",
    zip: "98126",
    phone: "206-555-",
    company: "Northwind Traders Inc.",
    weight: 1,
};

/// The departments people work in (all but Executive).
const WORK_DEPTS: usize = 12;
const EXEC_DEPT: usize = 12;

/// The departments people work in.
fn work_depts() -> &'static [Dept] {
    DEPTS.get(..WORK_DEPTS).unwrap_or(DEPTS)
}

const DIVISIONS: &[&str] = &["Technology", "Commercial", "Corporate", "Operations"];

struct Office {
    name: &'static str,
    street: &'static str,
    city: &'static str,
    country: &'static str,
    zip: &'static str,
    phone: &'static str,
    company: &'static str,
    weight: u32,
}

const OFFICES: &[Office] = &[
    Office {
        name: "Seattle HQ",
        street: "1200 Harbor Ave SW",
        city: "Seattle",
        country: "US",
        zip: "98126",
        phone: "206-555-",
        company: "Northwind Traders Inc.",
        weight: 20,
    },
    Office {
        name: "Dallas Distribution Center",
        street: "4400 Logistics Pkwy",
        city: "Dallas",
        country: "US",
        zip: "75261",
        phone: "214-555-",
        company: "Northwind Traders Inc.",
        weight: 8,
    },
    Office {
        name: "New York Office",
        street: "350 Fifth Avenue",
        city: "New York",
        country: "US",
        zip: "10118",
        phone: "212-555-",
        company: "Northwind Traders Inc.",
        weight: 8,
    },
    Office {
        name: "Toronto Office",
        street: "100 King St W",
        city: "Toronto",
        country: "CA",
        zip: "M5X 1A9",
        phone: "+1 416 555 ",
        company: "Northwind Traders Canada Ltd.",
        weight: 4,
    },
    Office {
        name: "São Paulo Office",
        street: "Av. Paulista 1578",
        city: "São Paulo",
        country: "BR",
        zip: "01310-200",
        phone: "+55 11 5555 ",
        company: "Northwind Traders Brasil Ltda.",
        weight: 4,
    },
    Office {
        name: "London Office",
        street: "25 Chancery Lane",
        city: "London",
        country: "GB",
        zip: "WC2A 1LS",
        phone: "+44 20 7946 ",
        company: "Northwind Traders Ltd",
        weight: 8,
    },
    Office {
        name: "Berlin Office",
        street: "Friedrichstraße 68",
        city: "Berlin",
        country: "DE",
        zip: "10117",
        phone: "+49 30 9018 ",
        company: "Northwind Traders GmbH",
        weight: 6,
    },
    Office {
        name: "München Office",
        street: "Leopoldstraße 28",
        city: "München",
        country: "DE",
        zip: "80802",
        phone: "+49 89 2019 ",
        company: "Northwind Traders GmbH",
        weight: 4,
    },
    Office {
        name: "Paris Office",
        street: "14 Rue du Bac",
        city: "Paris",
        country: "FR",
        zip: "75007",
        phone: "+33 1 42 68 ",
        company: "Northwind Traders SAS",
        weight: 6,
    },
    Office {
        name: "Madrid Office",
        street: "Calle de Alcalá 45",
        city: "Madrid",
        country: "ES",
        zip: "28014",
        phone: "+34 91 555 ",
        company: "Northwind Traders S.L.",
        weight: 3,
    },
    Office {
        name: "Amsterdam Office",
        street: "Herengracht 500",
        city: "Amsterdam",
        country: "NL",
        zip: "1017 CB",
        phone: "+31 20 555 ",
        company: "Northwind Traders B.V.",
        weight: 3,
    },
    Office {
        name: "Dublin Office",
        street: "1 Grand Canal Square",
        city: "Dublin",
        country: "IE",
        zip: "D02 P820",
        phone: "+353 1 555 ",
        company: "Northwind Traders Ireland Ltd",
        weight: 3,
    },
    Office {
        name: "Kraków Office",
        street: "ul. Floriańska 3",
        city: "Kraków",
        country: "PL",
        zip: "31-019",
        phone: "+48 12 555 ",
        company: "Northwind Traders Sp. z o.o.",
        weight: 4,
    },
    Office {
        name: "Bengaluru Office",
        street: "80 MG Road",
        city: "Bengaluru",
        country: "IN",
        zip: "560001",
        phone: "+91 80 5555 ",
        company: "Northwind Traders India Pvt Ltd",
        weight: 8,
    },
    Office {
        name: "Tokyo Office",
        street: "2-7-2 Marunouchi",
        city: "Tokyo",
        country: "JP",
        zip: "100-7090",
        phone: "+81 3 5555 ",
        company: "Northwind Traders K.K.",
        weight: 4,
    },
    Office {
        name: "Sydney Office",
        street: "200 George St",
        city: "Sydney",
        country: "AU",
        zip: "2000",
        phone: "+61 2 5555 ",
        company: "Northwind Traders Pty Ltd",
        weight: 3,
    },
    Office {
        name: "Singapore Office",
        street: "8 Marina View",
        city: "Singapore",
        country: "SG",
        zip: "018960",
        phone: "+65 6555 ",
        company: "Northwind Traders Pte. Ltd.",
        weight: 3,
    },
];

/// Countries by region, for the region `Switch` and the memberOf region groups.
const REGIONS: &[(&str, &str, &[&str])] = &[
    ("Americas", "americas", &["US", "CA", "BR"]),
    ("EMEA", "emea", &["GB", "DE", "FR", "ES", "NL", "IE", "PL"]),
    ("APAC", "apac", &["IN", "JP", "AU", "SG"]),
];

const AGENCIES: &[&str] = &[
    "Litware Consulting",
    "Adatum Staffing",
    "Contoso Talent",
    "Fourth Coffee Services",
    "Tailspin Contractors",
];

/// Partner organisations: name, slug, domain.
const PARTNERS: &[(&str, &str, &str)] = &[
    ("Fabrikam", "fabrikam", "fabrikam.example"),
    ("Woodgrove Bank", "woodgrove", "woodgrove.example"),
    ("Proseware", "proseware", "proseware.example"),
    ("Wingtip Toys", "wingtip", "wingtiptoys.example"),
];

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "Sam",
    "Olivia",
    "Noah",
    "Emma",
    "Liam",
    "Ava",
    "Zoë",
    "Chloé",
    "Amélie",
    "José",
    "François",
    "Jürgen",
    "Björn",
    "Mónica",
    "Inés",
    "Agnieszka",
    "Priya",
    "Rahul",
    "Aisha",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Kwame",
    "Fatima",
    "Mohammed",
    "Ana",
    "João",
    "Thiago",
    "Lucía",
    "Camille",
    "Léa",
    "Anaïs",
    "Mateo",
    "Sofía",
    "Ingrid",
    "Lars",
    "Hannah",
    "Lukas",
    "Anna",
    "Andreas",
    "Petra",
    "Carlos",
    "Emily",
    "Dmitri",
    "Tyler",
    "Grace",
    "Oliver",
    "Laura",
    "Marcus",
    "Ethan",
    "Daniel",
    "Sophie",
    "Jonas",
    "Claire",
    "Margaret",
    "Vikram",
    "Tomás",
    "Siobhán",
    "Seán",
    "Niamh",
    "Kenji",
    "Arjun",
    "Deepa",
    "Ravi",
    "Zainab",
    "Omar",
    "Mary Ann",
    "Jean-Luc",
    "Anne-Marie",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Taylor",
    "Brown",
    "Williams",
    "Jones",
    "Garcia",
    "García",
    "Müller",
    "Schmidt",
    "Schröder",
    "Dubois",
    "Martin",
    "Bernard",
    "Lefèvre",
    "O'Connor",
    "O'Brien",
    "D'Angelo",
    "El Amrani",
    "van der Berg",
    "de la Cruz",
    "Da Silva",
    "Gonçalves",
    "Álvarez",
    "Núñez",
    "Peña",
    "Kowalski",
    "Nowak",
    "Novák",
    "Rousseau",
    "Laurent",
    "Becker",
    "Fischer",
    "Weber",
    "Hoffmann",
    "Vogel",
    "Berg",
    "Lindqvist",
    "Johansson",
    "Nakamura",
    "Tanaka",
    "Sato",
    "Suzuki",
    "Chen",
    "Wang",
    "Li",
    "Liu",
    "Nguyen",
    "Kim",
    "Park",
    "Singh",
    "Patel",
    "Mehta",
    "Nair",
    "Rahman",
    "Okafor",
    "Mensah",
    "Hayes",
    "Brooks",
    "Walker",
    "Grant",
    "Webb",
    "Ellison",
    "Mendes",
    "Volkov",
    "Kelly",
    "Murphy",
    "Byrne",
    "MacLeod",
    "Fitzgerald",
    "St. John",
    "Smith-Jones",
    "Ruiz",
    "Romero",
    "Rossi",
    "Bianchi",
    "Esposito",
    "Kaur",
    "Haddad",
    "Yilmaz",
];

const PRONOUNS: &[&str] = &["SHE/HER", "HE/HIM", "SHE/HER", "HE/HIM", "THEY/THEM"];

const HR_COLUMNS: &[&str] = &[
    "WorkerID",
    "WorkerStatus",
    "WorkerType",
    "UserID",
    "FirstName",
    "LastName",
    "FullName",
    "GenderPronoun",
    "ManagerID",
    "HireDate",
    "OnLeave",
    "Department",
    "Division",
    "CostCenter",
    "Company",
    "Location",
    "JobTitle",
    "StreetAddress",
    "City",
    "CountryCode",
    "OfficePhone",
    "Custom01",
    "Custom02",
    "ZipCode",
    "LeaveDate",
    "LastModified",
];

const GUEST_COLUMNS: &[&str] = &[
    "GuestID",
    "Status",
    "Mail",
    "FirstName",
    "LastName",
    "Company",
    "SponsorID",
    "InvitedDate",
    "ExpiryDate",
    "CountryCode",
];

/// The HR sources, in precedence order, with their worker type.
const HR_SOURCES: &[(&str, &str, &str)] = &[
    (
        "employees",
        "Employee",
        "Workday export of employees (nightly, full).",
    ),
    (
        "contractors",
        "Contractor",
        "Workday export of contingent workers; LeaveDate is the contract end date.",
    ),
    (
        "interns",
        "Intern",
        "Workday export of interns; LeaveDate is the end of the internship.",
    ),
];

const DOMAIN: &str = "northwind.example";

// ------------------------------------------------------------------------------------------
// Small helpers
// ------------------------------------------------------------------------------------------

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

fn date(days: i64) -> String {
    let (y, m, d) = ymd(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A YAML single-quoted scalar.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// ASCII letters of a name, lower-cased, accents folded, everything else dropped.
fn ascii_key(s: &str) -> String {
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
fn csv_row<W: Write>(w: &mut W, cells: &[&str]) -> std::io::Result<()> {
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

fn worker_id(index: usize) -> String {
    (10_000_000 + index).to_string()
}

// ------------------------------------------------------------------------------------------
// The hierarchy
// ------------------------------------------------------------------------------------------

/// Worker kinds, as stored per person.
const EMPLOYEE: u8 = 0;
const CONTRACTOR: u8 = 1;
const INTERN: u8 = 2;

/// The organisation chart: a few bytes per worker, in breadth-first order (a manager always
/// comes before their reports).
struct Org {
    manager: Vec<u32>,
    reports: Vec<u8>,
    level: Vec<u8>,
    dept: Vec<u8>,
    office: Vec<u8>,
    kind: Vec<u8>,
}

const NO_MANAGER: u32 = u32::MAX;

fn weighted_office(rng: &mut Rng) -> u8 {
    let total: u32 = OFFICES.iter().map(|o| o.weight).sum();
    let mut r = (rng.next() % u64::from(total.max(1))) as u32;
    for (i, o) in OFFICES.iter().enumerate() {
        if r < o.weight {
            return i as u8;
        }
        r -= o.weight;
    }
    0
}

fn build_org(workers: usize, rng: &mut Rng) -> Org {
    let mut org = Org {
        manager: Vec::with_capacity(workers),
        reports: Vec::with_capacity(workers),
        level: Vec::with_capacity(workers),
        dept: Vec::with_capacity(workers),
        office: Vec::with_capacity(workers),
        kind: Vec::with_capacity(workers),
    };
    if workers == 0 {
        return org;
    }
    org.manager.push(NO_MANAGER);
    org.reports.push(0);
    org.level.push(0);
    org.dept.push(EXEC_DEPT as u8);
    org.office.push(0);
    org.kind.push(EMPLOYEE);
    let mut boss = 0usize;
    while org.manager.len() < workers && boss < org.manager.len() {
        let remaining = workers - org.manager.len();
        let k = if boss == 0 {
            WORK_DEPTS
        } else {
            rng.range(3, 12) as usize
        }
        .min(remaining);
        if let Some(r) = org.reports.get_mut(boss) {
            *r = k as u8;
        }
        let (level, dept, office) = (
            org.level.get(boss).copied().unwrap_or(0),
            org.dept.get(boss).copied().unwrap_or(0),
            org.office.get(boss).copied().unwrap_or(0),
        );
        for child in 0..k {
            org.manager.push(boss as u32);
            org.reports.push(0);
            org.level.push(level.saturating_add(1));
            org.dept.push(if boss == 0 {
                (child % WORK_DEPTS) as u8
            } else {
                dept
            });
            org.office.push(if rng.below(10) < 7 && boss != 0 {
                office
            } else {
                weighted_office(rng)
            });
            org.kind.push(EMPLOYEE);
        }
        boss += 1;
    }
    // Managers are employees; of the others about 17% are contractors and 6% interns.
    for i in 1..workers {
        if org.reports.get(i).copied().unwrap_or(0) == 0 {
            let r = rng.below(1000);
            if let Some(k) = org.kind.get_mut(i) {
                *k = if r < 175 {
                    CONTRACTOR
                } else if r < 235 {
                    INTERN
                } else {
                    EMPLOYEE
                };
            }
        }
    }
    org
}

// ------------------------------------------------------------------------------------------
// The entry point
// ------------------------------------------------------------------------------------------

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
    let drift = match settings.actual_drift {
        Some(d) => Some(actual::write(settings.seed, d, out, &mut files)?),
        None => None,
    };
    Ok(Summary {
        files,
        identities: n,
        guests,
        conversions,
        dirty,
        counts,
        drift,
    })
}

// ------------------------------------------------------------------------------------------
// Data
// ------------------------------------------------------------------------------------------

/// Which defect (if any) a worker gets: about one in a thousand each, at offsets that differ
/// per defect and per seed.
fn defect(seed: u64, index: usize, which: usize) -> bool {
    if index == 0 {
        return false;
    }
    let base = (seed % 1000) as usize;
    (index + base + which * 250).is_multiple_of(1000)
}

const DEFECT_DUPLICATE: usize = 0;
const DEFECT_DANGLING: usize = 1;
const DEFECT_SELF: usize = 2;
const DEFECT_BAD_DATE: usize = 3;

const BAD_DATES: &[&str] = &["2025-02-30", "N/A", "13/45/2024", "2025-00-10", "TBD"];

/// One worker row, built as owned cells and written at once.
struct Row {
    cells: [String; 26],
}

impl Row {
    fn write<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        let refs: Vec<&str> = self.cells.iter().map(String::as_str).collect();
        csv_row(w, &refs)
    }
}

struct Person {
    first: &'static str,
    last: &'static str,
}

fn person(rng: &mut Rng) -> Person {
    Person {
        first: rng.pick(FIRST_NAMES).copied().unwrap_or("Alex"),
        last: rng.pick(LAST_NAMES).copied().unwrap_or("Smith"),
    }
}

fn user_id(p: &Person, taken: &mut HashMap<String, u32>) -> String {
    let mut base: String = ascii_key(p.first).chars().take(1).collect();
    base.push_str(&ascii_key(p.last));
    let count = taken.entry(base.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        base
    } else {
        format!("{base}{count}")
    }
}

fn title_for(org: &Org, i: usize, rng: &mut Rng) -> (String, String) {
    let dept_index = org.dept.get(i).copied().unwrap_or(0) as usize;
    let Some(dept) = DEPTS.get(dept_index) else {
        return ("Associate".into(), "GEN".into());
    };
    let level = org.level.get(i).copied().unwrap_or(0);
    let reports = org.reports.get(i).copied().unwrap_or(0);
    let kind = org.kind.get(i).copied().unwrap_or(EMPLOYEE);
    if i == 0 {
        return ("Chief Executive Officer".into(), "EXEC".into());
    }
    if level == 1 {
        return (format!("Vice President, {}", dept.name), "EXEC".into());
    }
    if reports > 0 {
        let title = if level == 2 {
            format!("{} Director", dept.name)
        } else {
            format!("{} Manager", dept.name)
        };
        return (title, format!("{}-MGR", dept.code));
    }
    if kind == INTERN {
        return (format!("{} Intern", dept.name), "INTERN".into());
    }
    let (title, code) = rng
        .pick(dept.titles)
        .copied()
        .unwrap_or(("Associate", "GEN"));
    let seniority = match rng.below(10) {
        0 | 1 => "Senior ",
        2 => "Principal ",
        3 => "Lead ",
        _ => "",
    };
    if kind == CONTRACTOR {
        (format!("{seniority}{title} (Contract)"), code.to_string())
    } else {
        (format!("{seniority}{title}"), code.to_string())
    }
}

/// Hire and leave dates (days since 1970) of a worker.
fn dates(kind: u8, i: usize, rng: &mut Rng) -> (i64, Option<i64>) {
    if i == 0 {
        return (REF_DAYS - 5_000, None);
    }
    match kind {
        CONTRACTOR => {
            let hire = REF_DAYS - rng.range(-30, 900);
            (hire, Some(hire + rng.range(180, 720)))
        }
        INTERN => {
            let hire = REF_DAYS - rng.range(-60, 240);
            (hire, Some(hire + rng.range(60, 180)))
        }
        _ => {
            let u = rng.below(1000);
            let hire = if u < 20 {
                REF_DAYS + rng.range(1, 120)
            } else if u < 50 {
                REF_DAYS - rng.range(0, 60)
            } else {
                REF_DAYS - rng.range(61, 9_000)
            };
            let leave = if rng.below(100) < 4 {
                let v = rng.below(1000);
                let at = if v < 400 {
                    REF_DAYS - rng.range(1, 30)
                } else if v < 700 {
                    REF_DAYS - rng.range(31, 365)
                } else {
                    REF_DAYS + rng.range(0, 90)
                };
                Some(at.max(hire + 30))
            } else {
                None
            };
            (hire, leave)
        }
    }
}

fn worker_row(
    org: &Org,
    i: usize,
    id: &str,
    p: &Person,
    uid: &str,
    manager: String,
    rng: &mut Rng,
) -> Row {
    let kind = org.kind.get(i).copied().unwrap_or(EMPLOYEE);
    let dept = DEPTS
        .get(org.dept.get(i).copied().unwrap_or(0) as usize)
        .unwrap_or(&FALLBACK_DEPT);
    let office = OFFICES
        .get(org.office.get(i).copied().unwrap_or(0) as usize)
        .unwrap_or(&FALLBACK_OFFICE);
    let (title, code) = title_for(org, i, rng);
    let (hire, leave) = dates(kind, i, rng);
    let active = leave.is_none_or(|l| l >= REF_DAYS);
    let on_leave = active && kind == EMPLOYEE && hire < REF_DAYS && rng.below(1000) < 15;
    let company = if kind == CONTRACTOR {
        rng.pick(AGENCIES).copied().unwrap_or("Litware Consulting")
    } else {
        office.company
    };
    let modified = (REF_DAYS - 1 - rng.range(0, 90)).max(hire.min(REF_DAYS - 1));
    let kind_name = match kind {
        CONTRACTOR => "Contractor",
        INTERN => "Intern",
        _ => "Employee",
    };
    Row {
        cells: [
            id.to_string(),
            if active { "Active" } else { "Inactive" }.to_string(),
            kind_name.to_string(),
            uid.to_string(),
            p.first.to_string(),
            p.last.to_string(),
            format!("{} {}", p.first, p.last),
            rng.pick(PRONOUNS).copied().unwrap_or("").to_string(),
            manager,
            date(hire),
            if on_leave { "True" } else { "False" }.to_string(),
            dept.name.to_string(),
            dept.division.to_string(),
            format!("CC{}", dept.cost_center),
            company.to_string(),
            office.name.to_string(),
            title,
            office.street.to_string(),
            office.city.to_string(),
            office.country.to_string(),
            format!("{}{:04}", office.phone, i % 10_000),
            code,
            format!("B-{id}"),
            office.zip.to_string(),
            leave.map(date).unwrap_or_default(),
            date(modified),
        ],
    }
}

fn open_csv(path: &Path, columns: &[&str]) -> std::io::Result<BufWriter<File>> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    csv_row(&mut w, columns)?;
    Ok(w)
}

fn write_hr(
    settings: &Settings,
    org: &Org,
    data: &Path,
    files: &mut Vec<PathBuf>,
) -> std::io::Result<(DirtyCounts, usize)> {
    // A separate stream, so the data does not shift when policy sizes change.
    let mut rng = Rng(settings.seed ^ 0xbb67_ae85_84ca_a73b);
    let paths: Vec<PathBuf> = HR_SOURCES
        .iter()
        .map(|(name, _, _)| data.join(format!("{name}.csv")))
        .collect();
    let mut writers = Vec::with_capacity(paths.len());
    for p in &paths {
        writers.push(open_csv(p, HR_COLUMNS)?);
    }
    let mut taken: HashMap<String, u32> = HashMap::new();
    let mut dirty = DirtyCounts::default();
    let mut conversions = 0usize;
    let workers = org.manager.len();
    for i in 0..workers {
        let id = worker_id(i);
        let kind = org.kind.get(i).copied().unwrap_or(EMPLOYEE);
        let p = person(&mut rng);
        let uid = user_id(&p, &mut taken);
        let boss = org.manager.get(i).copied().unwrap_or(NO_MANAGER);
        let mut manager = if boss == NO_MANAGER {
            String::new()
        } else {
            worker_id(boss as usize)
        };
        if defect(settings.seed, i, DEFECT_DANGLING) {
            manager = format!("9{:07}", rng.below(10_000_000));
            dirty.dangling_managers += 1;
        } else if defect(settings.seed, i, DEFECT_SELF) {
            manager = id.clone();
            dirty.self_managers += 1;
        }
        let mut row = worker_row(org, i, &id, &p, &uid, manager, &mut rng);
        if defect(settings.seed, i, DEFECT_BAD_DATE) {
            if let Some(cell) = row.cells.get_mut(9) {
                *cell = rng.pick(BAD_DATES).copied().unwrap_or("N/A").to_string();
            }
            dirty.bad_dates += 1;
        }
        let Some(w) = writers.get_mut(kind as usize) else {
            continue;
        };
        row.write(w)?;

        if defect(settings.seed, i, DEFECT_DUPLICATE) {
            // Another person under the same WorkerID, in the same file.
            let other = person(&mut rng);
            let other_uid = user_id(&other, &mut taken);
            let manager = row.cells.get(8).cloned().unwrap_or_default();
            let dup = worker_row(org, i, &id, &other, &other_uid, manager, &mut rng);
            dup.write(w)?;
            dirty.duplicate_ids += 1;
        }

        // A converted intern: the earlier internship, ended ten days before the hire date.
        let hire = row
            .cells
            .get(9)
            .and_then(|d| parse_date(d))
            .unwrap_or(REF_DAYS);
        if kind == EMPLOYEE
            && i > 0
            && hire < REF_DAYS
            && hire > REF_DAYS - 3_000
            && rng.below(1000) < 5
        {
            let mut intern = row.cells.clone();
            let dept = DEPTS
                .get(org.dept.get(i).copied().unwrap_or(0) as usize)
                .map_or("General", |d| d.name);
            for (at, value) in [
                (1, "Inactive".to_string()),
                (2, "Intern".to_string()),
                (9, date(hire - 190)),
                (10, "False".to_string()),
                (16, format!("{dept} Intern")),
                (21, "INTERN".to_string()),
                (24, date(hire - 10)),
                (25, date(hire - 10)),
            ] {
                if let Some(cell) = intern.get_mut(at) {
                    *cell = value;
                }
            }
            if let Some(w) = writers.get_mut(INTERN as usize) {
                Row { cells: intern }.write(w)?;
                conversions += 1;
            }
        }
    }
    for mut w in writers {
        w.flush()?;
    }
    files.extend(paths);
    Ok((dirty, conversions))
}

/// Days since 1970 of a `YYYY-MM-DD` date, if it is one.
pub fn parse_date(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((d - epoch).num_days())
}

fn write_guests(
    settings: &Settings,
    org: &Org,
    guests: usize,
    data: &Path,
    files: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let mut rng = Rng(settings.seed ^ 0x3c6e_f372_fe94_f82b);
    let path = data.join("guests.csv");
    let mut w = open_csv(&path, GUEST_COLUMNS)?;
    // Sponsors are managers (the first tenth of the breadth-first order).
    let sponsors = (org.manager.len() / 10).max(1);
    for g in 0..guests {
        let p = person(&mut rng);
        let (partner, _, domain) = PARTNERS.get(g % PARTNERS.len()).copied().unwrap_or((
            "Fabrikam",
            "fabrikam",
            "fabrikam.example",
        ));
        let invited = REF_DAYS - rng.range(0, 700);
        let expiry = invited + 365;
        let mail = format!("{}.{}@{domain}", ascii_key(p.first), ascii_key(p.last));
        let office = OFFICES
            .get(weighted_office(&mut rng) as usize)
            .unwrap_or(&FALLBACK_OFFICE);
        let sponsor = if org.manager.is_empty() {
            String::new()
        } else {
            worker_id(rng.below(sponsors))
        };
        csv_row(
            &mut w,
            &[
                &format!("G{:07}", g + 1),
                if expiry >= REF_DAYS {
                    "Active"
                } else {
                    "Inactive"
                },
                &mail,
                p.first,
                p.last,
                partner,
                &sponsor,
                &date(invited),
                &date(expiry),
                office.country,
            ],
        )?;
    }
    w.flush()?;
    files.push(path);
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------

/// The identity attributes every generated set has (as in the bundled example).
const CORE_ATTRIBUTES: usize = 30;

/// Kinds of generated identity attribute: the name stem and the mapping.
const EXTRA_KINDS: &[&str] = &[
    "region",
    "deptCountry",
    "costCode",
    "surnameKey",
    "siteCity",
    "hireDay",
    "probationEnd",
    "workerCode",
    "nameLower",
    "titleBase",
    "properName",
    "companyCountry",
];

const K_REGION: usize = 0;
const K_DEPT_COUNTRY: usize = 1;
const K_COST_CODE: usize = 2;
const K_SURNAME_KEY: usize = 3;
const K_SITE_CITY: usize = 4;
const K_HIRE_DAY: usize = 5;
const K_PROBATION_END: usize = 6;

/// One generated identity attribute.
struct Extra {
    name: String,
    kind: usize,
}

/// The generated attributes, by kind.
struct Extras {
    all: Vec<Extra>,
}

impl Extras {
    fn pick(&self, kind: usize, rng: &mut Rng) -> Option<&str> {
        let count = self.all.iter().filter(|e| e.kind == kind).count();
        let at = rng.below(count);
        self.all
            .iter()
            .filter(|e| e.kind == kind)
            .nth(at)
            .map(|e| e.name.as_str())
    }
}

fn extra_mapping(kind: usize) -> (Option<&'static str>, String) {
    let hr = |field: &str| {
        HR_SOURCES
            .iter()
            .map(|(s, _, _)| format!("[{s}.{field}]"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        K_REGION => {
            let mut e = String::from("Switch([country], \"Other\"");
            for (region, _, countries) in REGIONS {
                for c in *countries {
                    let _ = write!(e, ", \"{c}\", \"{region}\"");
                }
            }
            e.push(')');
            (None, e)
        }
        K_DEPT_COUNTRY => (None, "Join(\"-\", [department], [country])".into()),
        K_COST_CODE => (None, "Mid([costCenter], 3, 4)".into()),
        K_SURNAME_KEY => (
            None,
            "Replace(ToLower(NormalizeDiacritics(StripSpaces([surname]))), , \"[^a-z0-9]\", , \"\", , )"
                .into(),
        ),
        K_SITE_CITY => (None, format!("ToUpper(Coalesce({}))", hr("City"))),
        K_HIRE_DAY => (
            None,
            "FormatDateTime([hireDate], , \"\", \"yyyyMMdd\")".into(),
        ),
        K_PROBATION_END => (Some("datetime"), "DateAdd(\"d\", 90, [hireDate])".into()),
        7 => (None, String::new()),
        8 => (None, "ToLower(Join(\" \", [givenName], [surname]))".into()),
        9 => (
            None,
            "Replace([jobTitle], \" (Contract)\", , , \"\", , )".into(),
        ),
        10 => (None, "PCase([preferredName])".into()),
        _ => (None, "Join(\" / \", [company], [country])".into()),
    }
}

/// Writes the policy files; returns the counts of identity attributes, dynamic groups and
/// access packages.
fn write_policies(
    settings: &Settings,
    org: &Org,
    dir: &Path,
    rng: &mut Rng,
    files: &mut Vec<PathBuf>,
) -> std::io::Result<(usize, usize, usize)> {
    let extras = Extras {
        all: (0..settings.mappings.saturating_sub(CORE_ATTRIBUTES))
            .map(|k| {
                let kind = k % EXTRA_KINDS.len();
                Extra {
                    name: format!("{}{:04}", EXTRA_KINDS.get(kind).copied().unwrap_or("x"), k),
                    kind,
                }
            })
            .collect(),
    };
    let ceo = worker_id(0);
    let n = settings.identities;
    let mut put = |name: &str, text: String| -> std::io::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        files.push(path);
        Ok(())
    };

    put("tenant.yaml", tenant(settings))?;
    put("sources.yaml", sources())?;
    put("identity.yaml", identity(&extras))?;
    let (groups_text, dynamic) = groups(settings, org, &extras, rng);
    put("groups.yaml", groups_text)?;
    let (packages_text, package_count, erp_packages, ldap_packages) = packages(settings, &ceo, rng);
    put("access-packages.yaml", packages_text)?;
    put(
        "targets.yaml",
        targets(
            n,
            &extras,
            &erp_packages,
            &ldap_packages,
            settings.actual_drift.is_some(),
        ),
    )?;
    put("workflows.yaml", workflows())?;
    put("reviews.yaml", reviews(&ceo, &erp_packages))?;
    let attributes = CORE_ATTRIBUTES + extras.all.len();
    Ok((attributes, dynamic, package_count))
}

const HEADER: &str = "# yaml-language-server: $schema=../../schemas/policy.schema.json\n# Generated by `roster generate`; see src/generate.rs.\n";

fn tenant(settings: &Settings) -> String {
    format!(
        "{HEADER}# A synthetic organisation of {} identities (seed {}). Dates are relative to\n# {REFERENCE_DATE}: evaluate with `--as-of {REFERENCE_DATE}`.\n\ntenant:\n  name: Northwind Traders (synthetic)\n  default_domain: {DOMAIN}\n",
        settings.identities, settings.seed
    )
}

const CORE_HR_ATTRIBUTES: &str = "[employeeId, userName, givenName, surname, preferredName, pronouns, manager, employeeType, employmentStatus, hireDate, leaveDate, onLeave, department, division, costCenter, company, officeLocation, jobTitle, streetAddress, city, country, businessPhone, jobCode, badgeNumber, postalCode]";

fn sources() -> String {
    let mut s = format!(
        "{HEADER}# Three Workday exports in the inbound-provisioning CSV shape (plus LeaveDate and\n# LastModified) and a partner guest list. Duplicate WorkerIDs keep the latest record.\n\nsources:\n"
    );
    for (name, _, description) in HR_SOURCES {
        let _ = write!(
            s,
            "  {name}:\n    description: {description}\n    format: csv\n    path: ../data/{name}.csv\n    key: WorkerID\n    duplicates: latest\n    modified_field: LastModified\n    fields:\n"
        );
        for col in HR_COLUMNS {
            let ty = match *col {
                "HireDate" | "LeaveDate" | "LastModified" => "datetime",
                "OnLeave" => "boolean",
                _ => "string",
            };
            let _ = writeln!(s, "      {col}: {ty}");
        }
        let _ = writeln!(s, "    authoritative_for: {CORE_HR_ATTRIBUTES}\n");
    }
    s.push_str("  guests:\n    description: Partner guests invited for collaboration; sponsored by an employee.\n    format: csv\n    path: ../data/guests.csv\n    key: GuestID\n    fields:\n");
    for col in GUEST_COLUMNS {
        let ty = match *col {
            "InvitedDate" | "ExpiryDate" => "datetime",
            _ => "string",
        };
        let _ = writeln!(s, "      {col}: {ty}");
    }
    s.push_str("    authoritative_for: [givenName, surname, company, country, mail, sponsor, userType, hireDate, leaveDate, employmentStatus]\n");
    s
}

fn coalesce(field: &str, guest: Option<&str>) -> String {
    let mut parts: Vec<String> = HR_SOURCES
        .iter()
        .map(|(s, _, _)| format!("[{s}.{field}]"))
        .collect();
    if let Some(g) = guest {
        parts.push(format!("[guests.{g}]"));
    }
    format!("Coalesce({})", parts.join(", "))
}

fn identity(extras: &Extras) -> String {
    let mut s = format!(
        "{HEADER}# Correlation, precedence, {} identity attributes and the lifecycle.\n\nidentity:\n  correlation:\n    - {{left: employees.WorkerID, right: contractors.WorkerID}}\n    - {{left: employees.WorkerID, right: interns.WorkerID}}\n    - {{left: contractors.WorkerID, right: interns.WorkerID}}\n  precedence: [employees, contractors, interns, guests]\n  attributes:\n",
        CORE_ATTRIBUTES + extras.all.len()
    );
    let core: &[(&str, Option<&str>, String)] = &[
        ("employeeId", None, coalesce("WorkerID", None)),
        ("userName", None, coalesce("UserID", None)),
        ("givenName", None, coalesce("FirstName", Some("FirstName"))),
        ("surname", None, coalesce("LastName", Some("LastName"))),
        ("preferredName", None, coalesce("FullName", None)),
        (
            "displayName",
            None,
            "Append(Join(\", \", [surname], [givenName]), Join(\"\", \" (\", [department], \"-\", [country], \")\"))".into(),
        ),
        ("pronouns", None, coalesce("GenderPronoun", None)),
        ("manager", None, coalesce("ManagerID", None)),
        ("employeeType", None, coalesce("WorkerType", None)),
        ("department", None, coalesce("Department", None)),
        ("division", None, coalesce("Division", None)),
        ("costCenter", None, coalesce("CostCenter", None)),
        ("company", None, coalesce("Company", Some("Company"))),
        ("jobTitle", None, coalesce("JobTitle", None)),
        ("jobCode", None, coalesce("Custom01", None)),
        ("badgeNumber", None, coalesce("Custom02", None)),
        ("officeLocation", None, coalesce("Location", None)),
        ("streetAddress", None, coalesce("StreetAddress", None)),
        ("city", None, coalesce("City", None)),
        ("postalCode", None, coalesce("ZipCode", None)),
        ("country", None, coalesce("CountryCode", Some("CountryCode"))),
        ("businessPhone", None, coalesce("OfficePhone", None)),
        (
            "mail",
            None,
            "Coalesce([guests.Mail], Join(\"@\", [userName], DefaultDomain()))".into(),
        ),
        (
            "userType",
            None,
            "Coalesce(Replace([guests.GuestID], , \"^.+$\", , \"Guest\", , ), \"Member\")".into(),
        ),
        ("sponsor", None, "Coalesce([guests.SponsorID])".into()),
        (
            "employmentStatus",
            None,
            coalesce("WorkerStatus", Some("Status")),
        ),
        (
            "accountEnabled",
            Some("boolean"),
            "IIF(DateDiff(\"d\", Now(), [hireDate]) > 0, \"False\", Switch([employmentStatus], \"False\", \"Active\", \"True\"))".into(),
        ),
        ("onLeave", Some("boolean"), coalesce("OnLeave", None)),
        (
            "hireDate",
            Some("datetime"),
            coalesce("HireDate", Some("InvitedDate")),
        ),
        (
            "leaveDate",
            Some("datetime"),
            coalesce("LeaveDate", Some("ExpiryDate")),
        ),
    ];
    for (name, ty, expression) in core {
        let _ = writeln!(s, "    {name}:");
        if let Some(ty) = ty {
            let _ = writeln!(s, "      type: {ty}");
        }
        let _ = writeln!(s, "      expression: {}", sq(expression));
    }
    for e in &extras.all {
        let (ty, expression) = extra_mapping(e.kind);
        let _ = writeln!(s, "    {}:", e.name);
        if let Some(ty) = ty {
            let _ = writeln!(s, "      type: {ty}");
        }
        if expression.is_empty() {
            let _ = writeln!(s, "      source: employees.Custom01");
        } else {
            let _ = writeln!(s, "      expression: {}", sq(&expression));
        }
    }
    s.push_str("  lifecycle:\n    hire_date: hireDate\n    leave_date: leaveDate\n    status:\n      attribute: employmentStatus\n      values:\n        Active: active\n        Inactive: leaver\n    prehire_days: 7\n    retention_days: 30\n    rehire:\n      min_gap_days: 30\n");
    s
}

fn country_slug(c: &str) -> String {
    format!("country-{}", c.to_ascii_lowercase())
}

fn countries() -> Vec<&'static str> {
    REGIONS
        .iter()
        .flat_map(|(_, _, cs)| cs.iter().copied())
        .collect()
}

/// A generated dynamic-group rule and a short name stem for it.
fn generated_rule(rng: &mut Rng, extras: &Extras) -> (String, String) {
    let dept = rng.pick(work_depts()).unwrap_or(&FALLBACK_DEPT);
    let all_countries = countries();
    let country = rng.pick(&all_countries).copied().unwrap_or("US");
    let office = rng.pick(OFFICES).unwrap_or(&FALLBACK_OFFICE);
    let template = rng.below(14);
    let extra = |rng: &mut Rng, kind: usize| extras.pick(kind, rng).map(str::to_string);
    match template {
        1 => (
            format!(
                "user.jobTitle -startsWith \"Senior\" -and user.department -eq \"{}\"",
                dept.name
            ),
            format!("senior-{}", dept.slug),
        ),
        2 => (
            format!(
                "user.employeeType -in [\"Contractor\", \"Intern\"] -and user.city -eq \"{}\"",
                office.city
            ),
            format!("temps-{}", ascii_key(office.city)),
        ),
        3 => {
            let division = rng.pick(DIVISIONS).copied().unwrap_or("Corporate");
            (
                format!(
                    "user.jobTitle -match \"^(Senior|Principal|Lead) \" -and user.division -eq \"{division}\""
                ),
                format!("experts-{}", division.to_ascii_lowercase()),
            )
        }
        4 => {
            let other = rng.pick(&all_countries).copied().unwrap_or("CA");
            (
                format!(
                    "user.department -eq \"{}\" -and -not (user.country -in [\"{country}\", \"{other}\"])",
                    dept.name
                ),
                format!("{}-abroad", dept.slug),
            )
        }
        5 => {
            let d2 = rng.pick(work_depts()).unwrap_or(&FALLBACK_DEPT);
            (
                format!(
                    "(user.department -eq \"{}\" -or user.department -eq \"{}\") -and user.employeeType -eq \"Employee\"",
                    dept.name, d2.name
                ),
                format!("{}-{}-staff", dept.slug, d2.slug),
            )
        }
        6 => (
            format!(
                "user.officeLocation -eq \"{}\" -and user.accountEnabled -eq true",
                office.name
            ),
            format!("site-{}", ascii_key(office.city)),
        ),
        7 => match extra(rng, K_REGION) {
            Some(attr) => {
                let (region, slug, _) = rng.pick(REGIONS).copied().unwrap_or(("EMEA", "emea", &[]));
                (
                    format!(
                        "user.{attr} -eq \"{region}\" -and user.jobCode -startsWith \"{}-\"",
                        dept.code
                    ),
                    format!("{slug}-{}", dept.slug),
                )
            }
            None => dept_country(dept, country),
        },
        8 => match extra(rng, K_DEPT_COUNTRY) {
            Some(attr) => (
                format!("user.{attr} -eq \"{}-{country}\"", dept.name),
                format!("{}-{}-team", dept.slug, country.to_ascii_lowercase()),
            ),
            None => dept_country(dept, country),
        },
        9 => match extra(rng, K_SITE_CITY) {
            Some(attr) => (
                format!(
                    "user.{attr} -eq \"{}\" -and user.employeeType -ne \"Intern\"",
                    office.city.to_uppercase()
                ),
                format!("city-{}", ascii_key(office.city)),
            ),
            None => dept_country(dept, country),
        },
        10 => match extra(rng, K_HIRE_DAY) {
            Some(attr) => {
                let year = 2010 + rng.below(16);
                (
                    format!(
                        "user.{attr} -startsWith \"{year}\" -and user.department -eq \"{}\"",
                        dept.name
                    ),
                    format!("class-of-{year}-{}", dept.slug),
                )
            }
            None => dept_country(dept, country),
        },
        11 => match extra(rng, K_SURNAME_KEY) {
            Some(attr) => {
                let letter = (b'a' + rng.below(26) as u8) as char;
                (
                    format!(
                        "user.{attr} -startsWith \"{letter}\" -and user.country -eq \"{country}\""
                    ),
                    format!("surnames-{letter}-{}", country.to_ascii_lowercase()),
                )
            }
            None => dept_country(dept, country),
        },
        12 => match extra(rng, K_COST_CODE) {
            Some(attr) => (
                format!(
                    "user.{attr} -eq \"{}\" -or user.jobCode -eq \"{}-MGR\"",
                    dept.cost_center, dept.code
                ),
                format!("cc-{}", dept.cost_center),
            ),
            None => dept_country(dept, country),
        },
        13 => match extra(rng, K_PROBATION_END) {
            Some(attr) => (
                format!(
                    "user.{attr} -ge system.now -and user.department -eq \"{}\"",
                    dept.name
                ),
                format!("probation-{}", dept.slug),
            ),
            None => dept_country(dept, country),
        },
        _ => dept_country(dept, country),
    }
}

fn dept_country(dept: &Dept, country: &str) -> (String, String) {
    (
        format!(
            "user.department -eq \"{}\" -and user.country -eq \"{country}\"",
            dept.name
        ),
        format!("{}-{}", dept.slug, country.to_ascii_lowercase()),
    )
}

/// Writes dynamic groups, counting them and remembering the non-memberOf ones (what memberOf
/// rules may name).
struct GroupWriter {
    dynamic: usize,
    plain: Vec<String>,
}

impl GroupWriter {
    fn add(&mut self, s: &mut String, name: &str, rule: &str, plain_rule: bool) {
        let _ = writeln!(s, "  {name}:\n    rule: {}", sq(rule));
        self.dynamic += 1;
        if plain_rule {
            self.plain.push(name.to_string());
        }
    }
}

/// groups.yaml; returns its text and the number of dynamic groups.
fn groups(settings: &Settings, org: &Org, extras: &Extras, rng: &mut Rng) -> (String, usize) {
    let mut s = format!(
        "{HEADER}# Dynamic groups over the identity attributes: populations, departments, divisions,\n# countries, regions (memberOf), teams (Direct Reports) and generated combinations.\n\ngroups:\n"
    );
    let mut w = GroupWriter {
        dynamic: 0,
        plain: Vec::new(),
    };
    for (name, rule) in [
        (
            "all-staff",
            "user.employeeId -ne null -and user.accountEnabled -eq true",
        ),
        (
            "all-employees",
            "user.employeeType -eq \"Employee\" -and user.accountEnabled -eq true",
        ),
        (
            "all-contractors",
            "user.employeeType -eq \"Contractor\" -and user.accountEnabled -eq true",
        ),
        (
            "all-interns",
            "user.employeeType -eq \"Intern\" -and user.accountEnabled -eq true",
        ),
        ("all-guests", "user.userType -eq \"Guest\""),
        (
            "people-managers",
            "user.employeeType -eq \"Employee\" -and user.jobTitle -match \"(Manager|Director|Vice President|Chief)\"",
        ),
        ("on-leave", "user.onLeave -eq true"),
        (
            "new-joiners",
            "user.hireDate -ge system.now -minus p30d -and user.hireDate -le system.now",
        ),
    ] {
        w.add(&mut s, name, rule, true);
    }
    for d in DEPTS {
        w.add(
            &mut s,
            &format!("dept-{}", d.slug),
            &format!("user.department -eq \"{}\"", d.name),
            true,
        );
    }
    for d in DIVISIONS {
        w.add(
            &mut s,
            &format!("division-{}", d.to_ascii_lowercase()),
            &format!("user.division -eq \"{d}\""),
            true,
        );
    }
    for c in countries() {
        w.add(
            &mut s,
            &country_slug(c),
            &format!("user.country -eq \"{c}\""),
            true,
        );
    }
    for (_, slug, cs) in REGIONS {
        let list: Vec<String> = cs
            .iter()
            .map(|c| format!("'{}'", country_slug(c)))
            .collect();
        w.add(
            &mut s,
            &format!("region-{slug}"),
            &format!(
                "user.memberOf -any (group.objectId -in [{}])",
                list.join(", ")
            ),
            false,
        );
    }
    w.add(
        &mut s,
        "revenue-team",
        "user.memberOf -any (group.objectId -in ['dept-sales', 'dept-marketing', 'dept-customer-support'])",
        false,
    );
    w.add(
        &mut s,
        "leadership-team",
        &format!("Direct Reports for \"{}\"", worker_id(0)),
        false,
    );
    // The department heads' teams.
    let heads = org.manager.len().saturating_sub(1).min(WORK_DEPTS);
    for h in 1..=heads {
        let dept = DEPTS
            .get(org.dept.get(h).copied().unwrap_or(0) as usize)
            .unwrap_or(&FALLBACK_DEPT);
        w.add(
            &mut s,
            &format!("{}-leadership", dept.slug),
            &format!("Direct Reports for \"{}\"", worker_id(h)),
            false,
        );
    }
    // Generated groups up to `rules`.
    let managers = org.reports.iter().filter(|r| **r > 0).count().max(1);
    let mut g = 0usize;
    while w.dynamic < settings.rules {
        g += 1;
        if g.is_multiple_of(40) && w.plain.len() >= 3 {
            let picks: Vec<String> = (0..3)
                .map(|_| format!("'{}'", rng.pick(&w.plain).cloned().unwrap_or_default()))
                .collect();
            let mut picks_sorted = picks.clone();
            picks_sorted.sort();
            picks_sorted.dedup();
            w.add(
                &mut s,
                &format!("combined-{g:05}"),
                &format!(
                    "user.memberOf -any (group.objectId -in [{}])",
                    picks_sorted.join(", ")
                ),
                false,
            );
            continue;
        }
        if g.is_multiple_of(250) {
            let m = rng.below(managers);
            w.add(
                &mut s,
                &format!("team-{g:05}"),
                &format!("Direct Reports for \"{}\"", worker_id(m)),
                false,
            );
            continue;
        }
        let (rule, stem) = generated_rule(rng, extras);
        w.add(&mut s, &format!("{stem}-{g:05}"), &rule, true);
    }
    s.push_str("\n  # Static groups.\n");
    let _ = writeln!(
        s,
        "  it-security:\n    description: The security team; approves privileged access.\n    members: [{}]",
        sq(&worker_id(0))
    );
    s.push_str("  intern-programme:\n    description: Interns join on day 0 (joiner-interns).\n    members: []\n");
    s.push_str("  prod-admins:\n    description: Assigned by the production-admin access package.\n    members: []\n");
    s.push_str("  partner-collaboration:\n    description: Assigned by the partner-portal access packages.\n    members: []\n");
    (s, w.dynamic)
}

/// access-packages.yaml; returns its text, the number of packages, and the packages that
/// grant roles in the ERP and in the engineering LDAP.
fn packages(
    settings: &Settings,
    ceo: &str,
    rng: &mut Rng,
) -> (String, usize, Vec<String>, Vec<String>) {
    let mut s = format!(
        "{HEADER}# Access packages. The fin-ap-clerk-* / fin-payment-approver-* pairs are incompatible;\n# their auto-assignment rules test jobCode first for different values, so they are exclusive.\n\naccess_packages:\n"
    );
    let mut count = 0usize;
    let mut erp = Vec::new();
    let mut ldap = Vec::new();
    // Separation-of-duties pairs, one per country up to about 2% of the packages.
    let pairs = (settings.packages / 50).clamp(1, 14);
    let all_countries = countries();
    for c in all_countries.iter().take(pairs) {
        let lc = c.to_ascii_lowercase();
        let clerk = format!("fin-ap-clerk-{lc}");
        let approver = format!("fin-payment-approver-{lc}");
        for (name, other, role, code) in [
            (&clerk, &approver, "AP Clerk", "FIN-AP"),
            (&approver, &clerk, "Payment Approver", "FIN-CTRL"),
        ] {
            let _ = write!(
                s,
                "  {name}:\n    description: {role} in the ERP for {c}.\n    catalog: Finance\n    resources:\n      - app_role: {{target: erp, role: {role} {c}}}\n    auto_assignment:\n      rule: {}\n    incompatible_packages: [{other}]\n    incompatible_groups: [all-contractors, all-interns]\n    policies:\n      admin-assigned:\n        requestors: none\n        expiry:\n          days: 365\n",
                sq(&format!(
                    "user.jobCode -eq \"{code}\" -and user.country -eq \"{c}\" -and user.accountEnabled -eq true"
                ))
            );
            erp.push(name.clone());
            count += 1;
        }
    }
    let _ = write!(
        s,
        "  engineering-servers:\n    description: Shell access to the engineering Linux servers.\n    catalog: Engineering\n    resources:\n      - app_role: {{target: eng-ldap, role: shell-user}}\n    auto_assignment:\n      rule: {}\n    policies:\n      intern-request:\n        requestors:\n          groups: [all-interns]\n        approval:\n          - approvers: [manager]\n            fallback:\n              - group: it-security\n            timeout_days: 7\n        expiry:\n          days: 90\n        justification: true\n",
        sq(
            "user.department -eq \"Engineering\" -and user.employeeType -in [\"Employee\", \"Contractor\"]"
        )
    );
    s.push_str("  production-admin:\n    description: Just-in-time administrator rights on production servers.\n    catalog: Engineering\n    resources:\n      - app_role: {target: eng-ldap, role: sudo}\n      - group: prod-admins\n    incompatible_groups: [all-interns]\n    policies:\n      on-call:\n        requestors:\n          groups: [dept-engineering]\n        approval:\n          - approvers: [manager]\n            timeout_days: 1\n          - approvers:\n              - group: it-security\n            timeout_days: 1\n        expiry:\n          hours: 12\n        justification: true\n");
    ldap.push("engineering-servers".to_string());
    ldap.push("production-admin".to_string());
    count += 2;
    let _ = write!(
        s,
        "  partner-portal:\n    description: The partner hub site, for staff and partner guests.\n    catalog: Partners\n    resources:\n      - group: partner-collaboration\n      - site: {{url: \"https://northwindtraders.sharepoint.com/sites/PartnerHub\", role: Member}}\n    policies:\n      staff:\n        requestors:\n          groups: [revenue-team]\n        expiry:\n          on: \"2027-06-30\"\n      partners:\n        requestors: all_connected_organizations\n        approval:\n          - approvers: [internal_sponsor]\n            fallback:\n              - user: {}\n            timeout_days: 14\n        expiry:\n          days: 180\n        justification: true\n",
        sq(ceo)
    );
    count += 1;
    let mut p = 0usize;
    while count < settings.packages {
        p += 1;
        let dept = rng.pick(work_depts()).unwrap_or(&FALLBACK_DEPT);
        let ldap_role = dept.division == "Technology" && rng.below(2) == 0;
        let (target, role) = if ldap_role {
            ("eng-ldap", format!("{}-{p:04}", dept.slug))
        } else {
            ("erp", format!("{} {p:04}", dept.name))
        };
        let name = format!("ap-{p:04}-{}", dept.slug);
        let rule = match rng.below(4) {
            0 => format!(
                "user.department -eq \"{}\" -and user.employeeType -ne \"Intern\"",
                dept.name
            ),
            1 => {
                let (title, _) = rng
                    .pick(dept.titles)
                    .copied()
                    .unwrap_or(("Associate", "GEN"));
                format!(
                    "user.jobTitle -match \"{title}\" -and user.department -eq \"{}\"",
                    dept.name
                )
            }
            2 => {
                let c = rng.pick(&all_countries).copied().unwrap_or("US");
                format!(
                    "user.department -eq \"{}\" -and user.country -eq \"{c}\"",
                    dept.name
                )
            }
            _ => format!(
                "user.jobCode -startsWith \"{}-\" -and user.accountEnabled -eq true",
                dept.code
            ),
        };
        let _ = write!(
            s,
            "  {name}:\n    description: {} access ({role}).\n    catalog: {}\n    resources:\n      - app_role: {{target: {target}, role: {}}}\n",
            dept.name,
            dept.name,
            sq(&role)
        );
        if rng.below(3) > 0 {
            let _ = writeln!(s, "    auto_assignment:\n      rule: {}", sq(&rule));
            if rng.below(2) == 0 {
                let _ = writeln!(s, "      grace_period_days: 14");
            }
        }
        let _ = write!(
            s,
            "    policies:\n      request:\n        requestors:\n          groups: [dept-{}]\n        approval:\n          - approvers: [manager]\n            fallback:\n              - user: {}\n            timeout_days: 7\n        expiry:\n          days: 180\n        justification: true\n",
            dept.slug,
            sq(ceo)
        );
        if p.is_multiple_of(25) {
            let (_, org, _) = rng
                .pick(PARTNERS)
                .copied()
                .unwrap_or(("Fabrikam", "fabrikam", ""));
            let _ = write!(
                s,
                "      partner-request:\n        requestors:\n          connected_organizations: [{org}]\n        approval:\n          - approvers: [internal_sponsor]\n            timeout_days: 14\n        expiry:\n          days: 90\n"
            );
        }
        if ldap_role {
            ldap.push(name);
        } else {
            erp.push(name);
        }
        count += 1;
    }
    s.push_str("\nconnected_organizations:\n");
    for (_, slug, domain) in PARTNERS {
        let _ = write!(
            s,
            "  {slug}:\n    domain: {domain}\n    state: configured\n    internal_sponsors: [{}]\n    external_sponsors: [alliances@{domain}]\n    remove_guests_after_days: 30\n",
            sq(ceo)
        );
    }
    (s, count, erp, ldap)
}

fn targets(n: usize, extras: &Extras, erp: &[String], ldap: &[String], actual: bool) -> String {
    let [ad_actual, erp_actual, ldap_actual] = if actual {
        [
            "    actual:\n      format: graph\n      users: ../actual/active-directory/users\n",
            "    actual:\n      users: ../actual/erp/users\n",
            "    actual:\n      users: ../actual/eng-ldap/people.ldif\n      groups: ../actual/eng-ldap/groups.ldif\n",
        ]
    } else {
        ["", "", ""]
    };
    let mut s = format!(
        "{HEADER}# Active Directory, the ERP (SCIM) and the engineering LDAP.\n\ntargets:\n"
    );
    let unique = |pattern: &str, forms: [&str; 3], last: &str| -> String {
        let mut e = String::from("SelectUniqueValue(");
        for f in forms {
            e.push_str(&pattern.replace("{first}", f));
            e.push_str(", ");
        }
        e.push_str(last);
        e.push(')');
        e
    };
    // First.Last@, F.Last@, Fi.Last@, then the unique Workday UserID.
    let upn = unique(
        "Join(\"@\", NormalizeDiacritics(StripSpaces(Join(\".\", {first}, [surname]))), DefaultDomain())",
        [
            "[givenName]",
            "Mid([givenName], 1, 1)",
            "Mid([givenName], 1, 2)",
        ],
        "Join(\"@\", [userName], DefaultDomain())",
    );
    // The documented de-duplication: JSmith, JoSmith, JohSmith, then the UserID.
    let sam = unique(
        "Replace(Mid(Replace(NormalizeDiacritics(StripSpaces(Join(\"\", {first}, [surname]))), , \"[^A-Za-z0-9._-]\", , \"\", , ), 1, 20), , \"(\\\\.)*$\", , \"\", , )",
        [
            "Mid([givenName], 1, 1)",
            "Mid([givenName], 1, 2)",
            "Mid([givenName], 1, 3)",
        ],
        "Mid([userName], 1, 20)",
    );
    let ad_threshold = (n / 200).max(5);
    let _ = write!(
        s,
        "  active-directory:\n    description: corp.northwind.example, every worker with an HR record.\n    kind: directory\n    connection:\n      url: ldaps://dc01.corp.northwind.example:636\n      credential_env: ROSTER_AD_BIND_CREDENTIAL\n      settings:\n        base_dn: OU=Users,DC=corp,DC=northwind,DC=example\n    scope:\n      sync: all\n      filters:\n        - - {{attribute: employeeId, operator: IS NOT NULL}}\n          - {{attribute: employeeType, operator: \"&\", value: \"Employee,Contractor,Intern\"}}\n    matching: [employeeID]\n{ad_actual}    out_of_scope: disable\n    deletion_threshold: {ad_threshold}\n    mappings:\n      employeeID:\n        source: employeeId\n        apply: on_create\n      cn:\n        source: preferredName\n        apply: on_create\n      userPrincipalName:\n        expression: {}\n        apply: on_create\n      sAMAccountName:\n        expression: {}\n        apply: on_create\n      accountDisabled:\n        expression: 'Switch([accountEnabled], \"True\", \"True\", \"False\")'\n",
        sq(&upn),
        sq(&sam)
    );
    let mut ou = String::from(
        "Switch([city], \"OU=Default Users,OU=Users,DC=corp,DC=northwind,DC=example\"",
    );
    for o in OFFICES {
        let _ = write!(
            ou,
            ", \"{}\", \"OU={},OU=Users,DC=corp,DC=northwind,DC=example\"",
            o.city,
            ascii_key(o.city)
        );
    }
    ou.push(')');
    let _ = writeln!(
        s,
        "      parentDistinguishedName:\n        expression: {}",
        sq(&ou)
    );
    for (t, a) in [
        ("givenName", "givenName"),
        ("sn", "surname"),
        ("displayName", "displayName"),
        ("manager", "manager"),
        ("company", "company"),
        ("department", "department"),
        ("division", "division"),
        ("title", "jobTitle"),
        ("employeeType", "employeeType"),
        ("physicalDeliveryOfficeName", "officeLocation"),
        ("streetAddress", "streetAddress"),
        ("l", "city"),
        ("postalCode", "postalCode"),
        ("c", "country"),
        ("telephoneNumber", "businessPhone"),
        ("mail", "mail"),
        ("extensionAttribute1", "jobCode"),
        ("extensionAttribute2", "badgeNumber"),
        ("extensionAttribute3", "costCenter"),
    ] {
        let _ = writeln!(s, "      {t}:\n        source: {a}");
    }

    let list = |v: &[String]| v.join(", ");
    let _ = write!(
        s,
        "\n  erp:\n    description: Northwind ERP, provisioned over SCIM.\n    kind: scim\n    connection:\n      url: https://erp.northwind.example/scim/v2\n      credential_env: ROSTER_ERP_SCIM_CREDENTIAL\n    scope:\n      groups: [dept-finance]\n      access_packages: [{}]\n      filters:\n        - - {{attribute: accountEnabled, operator: IS TRUE}}\n          - {{attribute: onLeave, operator: IS FALSE}}\n    matching: [externalId, userName]\n{erp_actual}    out_of_scope: disable\n    deletion_threshold: {}\n    mappings:\n      externalId:\n        source: employeeId\n      userName:\n        source: mail\n      active:\n        type: boolean\n        source: accountEnabled\n",
        list(erp),
        (n / 500).max(5)
    );
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let northwind = "urn:ietf:params:scim:schemas:extension:northwind:2.0:User";
    for (t, a) in [
        ("displayName".to_string(), "displayName"),
        ("name.givenName".to_string(), "givenName"),
        ("name.familyName".to_string(), "surname"),
        ("title".to_string(), "jobTitle"),
        ("userType".to_string(), "employeeType"),
        ("'emails[type eq \"work\"].value'".to_string(), "mail"),
        (
            "'phoneNumbers[type eq \"work\"].value'".to_string(),
            "businessPhone",
        ),
        (format!("'{enterprise}:employeeNumber'"), "employeeId"),
        (format!("'{enterprise}:department'"), "department"),
        (format!("'{enterprise}:division'"), "division"),
        (format!("'{enterprise}:costCenter'"), "costCenter"),
        (format!("'{enterprise}:organization'"), "company"),
        (format!("'{enterprise}:manager'"), "manager"),
        (format!("'{northwind}:pronouns'"), "pronouns"),
        (format!("'{northwind}:sponsor'"), "sponsor"),
        (format!("'{northwind}:memberType'"), "userType"),
    ] {
        let _ = writeln!(s, "      {t}:\n        source: {a}");
    }
    for e in extras.all.iter().step_by(2) {
        let ty = if e.kind == K_PROBATION_END {
            "        type: datetime\n"
        } else {
            ""
        };
        let _ = write!(
            s,
            "      '{northwind}:{}':\n{ty}        source: {}\n",
            e.name, e.name
        );
    }

    let _ = write!(
        s,
        "\n  eng-ldap:\n    description: OpenLDAP for the engineering Linux fleet.\n    kind: ldap\n    connection:\n      url: ldaps://ldap.eng.northwind.example:636\n      credential_env: ROSTER_ENG_LDAP_BIND_CREDENTIAL\n      settings:\n        base_dn: ou=people,dc=eng,dc=northwind,dc=example\n    scope:\n      access_packages: [{}]\n      filters:\n        - - {{attribute: employeeId, operator: REGEX MATCH, value: \"^[0-9]{{8}}$\"}}\n          - {{attribute: accountEnabled, operator: IS TRUE}}\n    matching: [employeeNumber, uid]\n{ldap_actual}    out_of_scope: delete\n    deletion_threshold: {}\n    mappings:\n      uid:\n        expression: {}\n        apply: on_create\n      homeDirectory:\n        expression: 'Append(\"/home/\", ToLower([userName]))'\n        apply: on_create\n      loginShell:\n        constant: /bin/bash\n",
        list(ldap),
        (n / 1000).max(3),
        sq(
            "Replace(Mid(Replace([userName], , \"[^A-Za-z0-9._-]\", , \"\", , ), 1, 20), , \"(\\\\.)*$\", , \"\", , )"
        )
    );
    for (t, a) in [
        ("employeeNumber", "employeeId"),
        ("cn", "displayName"),
        ("givenName", "givenName"),
        ("sn", "surname"),
        ("mail", "mail"),
        ("title", "jobTitle"),
        ("departmentNumber", "department"),
        ("employeeType", "employeeType"),
    ] {
        let _ = writeln!(s, "      {t}:\n        source: {a}");
    }
    for e in extras.all.iter().skip(1).step_by(2) {
        let ty = if e.kind == K_PROBATION_END {
            "        type: datetime\n"
        } else {
            ""
        };
        let _ = write!(s, "      x-{}:\n{ty}        source: {}\n", e.name, e.name);
    }
    s
}

fn workflows() -> String {
    format!(
        "{HEADER}# Joiner, mover and leaver workflows over the lifecycle in identity.yaml.\n\nworkflows:\n{}",
        r#"  joiner-prehire:
    description: A week before day 0, send the manager a Temporary Access Pass for the new hire.
    category: joiner
    trigger:
      time_based: {attribute: hireDate, offset_days: -7}
    scope: user.userType -eq "Member"
    tasks:
      - generate_temporary_access_pass:
          lifetime_minutes: 11520
          one_time: true
      - send_email:
          to: manager
          subject: Your new team member starts in a week
  joiner-day0:
    description: On the hire date, enable the account and welcome the new hire.
    category: joiner
    trigger:
      time_based: {attribute: hireDate, offset_days: 0}
    scope: user.userType -eq "Member"
    tasks:
      - enable_account
      - send_email:
          to: user
          subject: Welcome to Northwind Traders
  joiner-interns:
    description: On day 0, interns join the intern programme community.
    category: joiner
    trigger:
      time_based: {attribute: hireDate, offset_days: 0}
    scope: user.employeeType -eq "Intern"
    tasks:
      - add_to_groups: [intern-programme]
  mover-department:
    description: On a change of department, take back privileged access and tell the manager.
    category: mover
    trigger:
      attribute_change: [department]
    tasks:
      - remove_access_packages: [production-admin]
      - send_email:
          to: manager
          subject: A member of your team has changed department
  mover-manager:
    description: Tell the new manager about their new direct report.
    category: mover
    trigger:
      attribute_change: [manager]
    tasks:
      - send_email:
          to: manager
          subject: You have a new direct report
  mover-location:
    description: A move to another office re-sends the badge.
    category: mover
    trigger:
      attribute_change: [officeLocation, country]
    tasks:
      - send_email:
          to: user
          subject: Your new office
  leaver-notice:
    description: A week before the last day, remind the manager to plan the handover.
    category: leaver
    trigger:
      time_based: {attribute: leaveDate, offset_days: -7}
    tasks:
      - send_email:
          to: manager
          subject: A member of your team leaves in a week
  leaver-last-day:
    description: At the end of the last day, disable the account and remove all access.
    category: leaver
    trigger:
      time_based: {attribute: leaveDate, offset_days: 0}
    tasks:
      - disable_account
      - revoke_sessions
      - remove_all_access_packages
      - remove_from_all_groups
  leaver-terminated:
    description: A termination without a leave date disables the account at once.
    category: leaver
    trigger:
      attribute_change: [employmentStatus]
    scope: user.employmentStatus -eq "Inactive" -and user.leaveDate -eq null
    tasks:
      - disable_account
      - revoke_sessions
      - remove_all_access_packages
  leaver-delete:
    description: Delete the account once the 30-day retention period is over.
    category: leaver
    trigger:
      time_based: {attribute: leaveDate, offset_days: 30}
    tasks:
      - delete_user
"#
    )
}

fn reviews(ceo: &str, erp: &[String]) -> String {
    let mut s = format!(
        "{HEADER}# Access reviews.\n\nreviews:\n  production-admin-quarterly:\n    description: Managers confirm every quarter who still needs production administrator rights.\n    scope:\n      access_package: production-admin\n    reviewers: [manager]\n    fallback_reviewers:\n      - group: it-security\n    recurrence: quarterly\n    duration_days: 14\n    default_decision: recommendation\n    auto_apply: true\n  guests-semiannual:\n    description: Sponsors confirm twice a year which partner guests still collaborate.\n    scope:\n      group: all-guests\n    guests_only: true\n    reviewers:\n      - user: {}\n    fallback_reviewers:\n      - group: it-security\n    recurrence: semi_annually\n    duration_days: 21\n    default_decision: recommendation\n    auto_apply: true\n  erp-annual:\n    description: Managers confirm once a year who still needs the ERP.\n    scope:\n      target: erp\n    reviewers: [manager]\n    recurrence: annually\n    duration_days: 30\n    default_decision: no_change\n    auto_apply: false\n",
        sq(ceo)
    );
    for p in erp.iter().step_by(25) {
        let _ = write!(
            s,
            "  {p}-quarterly:\n    scope:\n      access_package: {p}\n    reviewers: [manager]\n    recurrence: quarterly\n    duration_days: 14\n    default_decision: recommendation\n    auto_apply: true\n"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(REF_DAYS), REFERENCE_DATE);
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(REF_DAYS + 59), "2026-03-01");
        assert_eq!(parse_date("2026-01-01"), Some(REF_DAYS));
        assert_eq!(parse_date("2025-02-30"), None);
    }

    #[test]
    fn names_fold_to_ascii() {
        assert_eq!(ascii_key("Núñez"), "nunez");
        assert_eq!(ascii_key("O'Connor"), "oconnor");
        assert_eq!(ascii_key("van der Berg"), "vanderberg");
        let mut taken = HashMap::new();
        let p = Person {
            first: "Sam",
            last: "Taylor",
        };
        assert_eq!(user_id(&p, &mut taken), "staylor");
        assert_eq!(user_id(&p, &mut taken), "staylor2");
    }

    #[test]
    fn hierarchy_shape() {
        let mut rng = Rng(1);
        let org = build_org(100_000, &mut rng);
        assert_eq!(org.manager.len(), 100_000);
        assert_eq!(org.reports.first().copied(), Some(12));
        let managers = org.reports.iter().filter(|r| **r > 0).count();
        // 3 to 12 reports each, but the last manager, who gets what is left.
        let small = org
            .reports
            .iter()
            .skip(1)
            .filter(|r| **r > 0 && !(3..=12).contains(*r));
        assert!(small.count() <= 1);
        assert!(
            managers > 100_000 / 15 && managers < 100_000 / 5,
            "{managers}"
        );
        let depth = org.level.iter().copied().max().unwrap_or(0);
        assert!((5..=8).contains(&depth), "{depth}");
        // Managers come before their reports, and every manager is an employee.
        for (i, m) in org.manager.iter().enumerate().skip(1) {
            assert!((*m as usize) < i);
            assert_eq!(org.kind.get(*m as usize).copied(), Some(EMPLOYEE));
        }
    }

    #[test]
    fn rng_is_deterministic() {
        let (mut a, mut b) = (Rng(9), Rng(9));
        for _ in 0..100 {
            assert_eq!(a.next(), b.next());
        }
        assert_eq!(Rng(0).below(0), 0);
    }
}
