//! The organisation chart: who reports to whom, in which department and office, and of which
//! kind (employee, contractor, intern).

use super::reference::{EXEC_DEPT, OFFICES, WORK_DEPTS};
use super::rng::Rng;

/// Worker kinds, as stored per person.
pub(super) const EMPLOYEE: u8 = 0;
pub(super) const CONTRACTOR: u8 = 1;
pub(super) const INTERN: u8 = 2;

/// The organisation chart: a few bytes per worker, in breadth-first order (a manager always
/// comes before their reports).
pub(super) struct Org {
    pub(super) manager: Vec<u32>,
    pub(super) reports: Vec<u8>,
    pub(super) level: Vec<u8>,
    pub(super) dept: Vec<u8>,
    pub(super) office: Vec<u8>,
    pub(super) kind: Vec<u8>,
}

pub(super) const NO_MANAGER: u32 = u32::MAX;

pub(super) fn weighted_office(rng: &mut Rng) -> u8 {
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

pub(super) fn build_org(workers: usize, rng: &mut Rng) -> Org {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
