//! `targets.yaml`: what each target should hold (a directory, a SCIM ERP, an engineering LDAP),
//! each with a deletion threshold.

use std::fmt::Write as _;

use super::format::{ascii_key, sq};
use super::policy::{Extras, HEADER, K_PROBATION_END};
use super::reference::OFFICES;

pub(super) fn targets(n: usize, extras: &Extras, erp: &[String], ldap: &[String]) -> String {
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
        "  active-directory:\n    description: corp.northwind.example, every worker with an HR record.\n    kind: directory\n    connection:\n      url: ldaps://dc01.corp.northwind.example:636\n      credential_env: ROSTER_AD_BIND_CREDENTIAL\n      settings:\n        base_dn: OU=Users,DC=corp,DC=northwind,DC=example\n    scope:\n      sync: all\n      filters:\n        - - {{attribute: employeeId, operator: IS NOT NULL}}\n          - {{attribute: employeeType, operator: \"&\", value: \"Employee,Contractor,Intern\"}}\n    matching: [employeeID]\n    out_of_scope: disable\n    deletion_threshold: {ad_threshold}\n    mappings:\n      employeeID:\n        source: employeeId\n        apply: on_create\n      cn:\n        source: preferredName\n        apply: on_create\n      userPrincipalName:\n        expression: {}\n        apply: on_create\n      sAMAccountName:\n        expression: {}\n        apply: on_create\n      accountDisabled:\n        expression: 'Switch([accountEnabled], \"True\", \"True\", \"False\")'\n",
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
        "\n  erp:\n    description: Northwind ERP, provisioned over SCIM.\n    kind: scim\n    connection:\n      url: https://erp.northwind.example/scim/v2\n      credential_env: ROSTER_ERP_SCIM_CREDENTIAL\n    scope:\n      groups: [dept-finance]\n      access_packages: [{}]\n      filters:\n        - - {{attribute: accountEnabled, operator: IS TRUE}}\n          - {{attribute: onLeave, operator: IS FALSE}}\n    matching: [externalId, userName]\n    out_of_scope: disable\n    deletion_threshold: {}\n    mappings:\n      externalId:\n        source: employeeId\n      userName:\n        source: mail\n      active:\n        type: boolean\n        source: accountEnabled\n",
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
        "\n  eng-ldap:\n    description: OpenLDAP for the engineering Linux fleet.\n    kind: ldap\n    connection:\n      url: ldaps://ldap.eng.northwind.example:636\n      credential_env: ROSTER_ENG_LDAP_BIND_CREDENTIAL\n      settings:\n        base_dn: ou=people,dc=eng,dc=northwind,dc=example\n    scope:\n      access_packages: [{}]\n      filters:\n        - - {{attribute: employeeId, operator: REGEX MATCH, value: \"^[0-9]{{8}}$\"}}\n          - {{attribute: accountEnabled, operator: IS TRUE}}\n    matching: [employeeNumber, uid]\n    out_of_scope: delete\n    deletion_threshold: {}\n    mappings:\n      uid:\n        expression: {}\n        apply: on_create\n      homeDirectory:\n        expression: 'Append(\"/home/\", ToLower([userName]))'\n        apply: on_create\n      loginShell:\n        constant: /bin/bash\n",
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
