//! The HR data: one CSV file per HR source (employees, contractors, interns) with the injected
//! defects, and the partner guests. Everything a person is in the source systems.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::format::{ascii_key, csv_row, date, worker_id};
use super::org::{CONTRACTOR, EMPLOYEE, INTERN, NO_MANAGER, Org, weighted_office};
use super::reference::{
    AGENCIES, DEPTS, FALLBACK_DEPT, FALLBACK_OFFICE, FIRST_NAMES, GUEST_COLUMNS, HR_COLUMNS,
    HR_SOURCES, LAST_NAMES, OFFICES, PARTNERS, PRONOUNS,
};
use super::rng::Rng;
use super::{DirtyCounts, REF_DAYS, Settings, parse_date};

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

pub(super) fn write_hr(
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

pub(super) fn write_guests(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
