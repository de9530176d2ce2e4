//! `access-packages.yaml`: access packages with auto-assignment rules, some incompatible pairs.

use std::fmt::Write as _;

use super::Settings;
use super::format::sq;
use super::policy::{HEADER, countries};
use super::reference::{FALLBACK_DEPT, PARTNERS, work_depts};
use super::rng::Rng;

/// access-packages.yaml; returns its text, the number of packages, and the packages that
/// grant roles in the ERP and in the engineering LDAP.
pub(super) fn packages(
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
