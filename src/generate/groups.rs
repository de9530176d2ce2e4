//! `groups.yaml`: dynamic groups over the identity attributes (populations, departments,
//! divisions, countries, memberOf regions, Direct Reports teams, generated combinations).

use std::fmt::Write as _;

use super::Settings;
use super::format::{ascii_key, sq, worker_id};
use super::org::Org;
use super::policy::{
    Extras, HEADER, K_COST_CODE, K_DEPT_COUNTRY, K_HIRE_DAY, K_PROBATION_END, K_REGION,
    K_SITE_CITY, K_SURNAME_KEY, countries, country_slug,
};
use super::reference::{
    DEPTS, DIVISIONS, Dept, FALLBACK_DEPT, FALLBACK_OFFICE, OFFICES, REGIONS, WORK_DEPTS,
    work_depts,
};
use super::rng::Rng;

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
pub(super) fn groups(
    settings: &Settings,
    org: &Org,
    extras: &Extras,
    rng: &mut Rng,
) -> (String, usize) {
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
