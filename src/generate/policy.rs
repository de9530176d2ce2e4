//! The policy set: which files are written, and the tenant, sources and identity (attributes
//! and lifecycle) files. Groups, packages, targets and workflows have a module each.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::format::{sq, worker_id};
use super::groups::groups;
use super::org::Org;
use super::packages::packages;
use super::reference::{DOMAIN, GUEST_COLUMNS, HR_COLUMNS, HR_SOURCES, REGIONS};
use super::rng::Rng;
use super::targets::targets;
use super::workflows::{reviews, workflows};
use super::{REFERENCE_DATE, Settings};

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

pub(super) const K_REGION: usize = 0;
pub(super) const K_DEPT_COUNTRY: usize = 1;
pub(super) const K_COST_CODE: usize = 2;
pub(super) const K_SURNAME_KEY: usize = 3;
pub(super) const K_SITE_CITY: usize = 4;
pub(super) const K_HIRE_DAY: usize = 5;
pub(super) const K_PROBATION_END: usize = 6;

/// One generated identity attribute.
pub(super) struct Extra {
    pub(super) name: String,
    pub(super) kind: usize,
}

/// The generated attributes, by kind.
pub(super) struct Extras {
    pub(super) all: Vec<Extra>,
}

impl Extras {
    pub(super) fn pick(&self, kind: usize, rng: &mut Rng) -> Option<&str> {
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
pub(super) fn write_policies(
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

pub(super) const HEADER: &str = "# yaml-language-server: $schema=../../schemas/policy.schema.json\n# Generated by `roster generate`; see src/generate/.\n";

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
        // The contractor and intern exports of a small organisation may be empty.
        let optional = if *name == "employees" {
            ""
        } else {
            "    optional: true\n"
        };
        let _ = write!(
            s,
            "  {name}:\n    description: {description}\n{optional}    format: csv\n    path: ../data/{name}.csv\n    key: WorkerID\n    duplicates: latest\n    modified_field: LastModified\n    fields:\n"
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
    // Optional: an organisation of fewer than 100 identities has no guests.
    s.push_str("  guests:\n    description: Partner guests invited for collaboration; sponsored by an employee.\n    optional: true\n    format: csv\n    path: ../data/guests.csv\n    key: GuestID\n    fields:\n");
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

pub(super) fn country_slug(c: &str) -> String {
    format!("country-{}", c.to_ascii_lowercase())
}

pub(super) fn countries() -> Vec<&'static str> {
    REGIONS
        .iter()
        .flat_map(|(_, _, cs)| cs.iter().copied())
        .collect()
}
