//! The properties a membership rule may test, with their types: Entra's built-in user and
//! device properties (reference §1.5), extension attributes, and — for policy sets — declared
//! identity attributes.

/// Users or devices: one rule tests one kind of object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `user.`
    User,
    /// `device.`
    Device,
}

impl ObjectKind {
    /// The prefix as written in rules.
    pub fn prefix(self) -> &'static str {
        match self {
            ObjectKind::User => "user",
            ObjectKind::Device => "device",
        }
    }
}

/// The type of a property, which decides the operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    /// A string.
    String,
    /// A boolean: only `-eq` / `-ne`.
    Boolean,
    /// A date-time: comparisons and ordering.
    DateTime,
    /// A number: comparisons and ordering.
    Number,
    /// A collection of strings: string operators (any item) and `-any` / `-all` with `_`.
    StringCollection,
    /// A collection of complex items with the given string fields: `-any` / `-all` only.
    ComplexCollection(&'static [&'static str]),
    /// Group membership (`memberOf`): only the whole-rule form
    /// `user.memberOf -any (group.objectId -in [...])`.
    MemberOf,
}

impl PropType {
    /// A plain name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            PropType::String => "string",
            PropType::Boolean => "boolean",
            PropType::DateTime => "date-time",
            PropType::Number => "number",
            PropType::StringCollection => "string collection",
            PropType::ComplexCollection(_) => "collection of complex values",
            PropType::MemberOf => "group membership",
        }
    }
}

/// One property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The canonical name (`department`).
    pub name: String,
    /// Its type.
    pub ty: PropType,
}

/// The properties available to rules, per object kind.
#[derive(Debug, Clone)]
pub struct Schema {
    user: Vec<Property>,
    device: Vec<Property>,
    /// Whether `extensionAttribute1..15` and `extension_<appId>_<name>` are accepted.
    pub extensions: bool,
}

const USER_STRINGS: &[&str] = &[
    "city",
    "companyName",
    "country",
    "department",
    "displayName",
    "employeeId",
    "facsimileTelephoneNumber",
    "givenName",
    "jobTitle",
    "mail",
    "mailNickName",
    "mobile",
    "objectId",
    "onPremisesDistinguishedName",
    "onPremisesSecurityIdentifier",
    "passwordPolicies",
    "physicalDeliveryOfficeName",
    "postalCode",
    "preferredLanguage",
    "sipProxyAddress",
    "state",
    "streetAddress",
    "surname",
    "telephoneNumber",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

const DEVICE_STRINGS: &[&str] = &[
    "deviceCategory",
    "deviceId",
    "deviceManagementAppId",
    "deviceManufacturer",
    "deviceModel",
    "deviceOSType",
    "deviceOSVersion",
    "deviceOwnership",
    "deviceTrustType",
    "displayName",
    "enrollmentProfileName",
    "managementType",
    "objectId",
    "profileType",
];

/// The fields of an `assignedPlans` item.
pub const ASSIGNED_PLAN_FIELDS: &[&str] = &["capabilityStatus", "service", "servicePlanId"];

fn props(names: &[&str], ty: PropType) -> impl Iterator<Item = Property> {
    names.iter().map(move |n| Property {
        name: (*n).to_string(),
        ty,
    })
}

impl Schema {
    /// Entra's built-in properties (reference §1.5), with extension attributes.
    pub fn entra() -> Schema {
        let mut user: Vec<Property> = props(USER_STRINGS, PropType::String).collect();
        user.extend(props(
            &["accountEnabled", "dirSyncEnabled"],
            PropType::Boolean,
        ));
        user.extend(props(&["employeeHireDate"], PropType::DateTime));
        user.extend(props(
            &["otherMails", "proxyAddresses"],
            PropType::StringCollection,
        ));
        user.push(Property {
            name: "assignedPlans".into(),
            ty: PropType::ComplexCollection(ASSIGNED_PLAN_FIELDS),
        });
        user.push(Property {
            name: "memberOf".into(),
            ty: PropType::MemberOf,
        });
        let mut device: Vec<Property> = props(DEVICE_STRINGS, PropType::String).collect();
        device.extend(props(&["accountEnabled", "isRooted"], PropType::Boolean));
        device.extend(props(
            &["devicePhysicalIds", "systemLabels"],
            PropType::StringCollection,
        ));
        device.push(Property {
            name: "memberOf".into(),
            ty: PropType::MemberOf,
        });
        Schema {
            user,
            device,
            extensions: true,
        }
    }

    /// A schema of declared attributes (for policy sets): user properties only, no implicit
    /// extension attributes.
    pub fn declared(user: Vec<Property>) -> Schema {
        Schema {
            user,
            device: Vec::new(),
            extensions: false,
        }
    }

    /// The properties of one object kind.
    pub fn properties(&self, kind: ObjectKind) -> &[Property] {
        match kind {
            ObjectKind::User => &self.user,
            ObjectKind::Device => &self.device,
        }
    }

    /// Finds a property by name, case-insensitively (Microsoft's examples write
    /// `employeehiredate` and `mailNickname`).
    pub fn lookup(&self, kind: ObjectKind, name: &str) -> Option<Property> {
        if let Some(p) = self
            .properties(kind)
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            return Some(p.clone());
        }
        if self.extensions {
            return extension(name).map(|name| Property {
                name,
                ty: PropType::String,
            });
        }
        None
    }
}

/// `extensionAttribute1`..`15`, or `extension_<32 hex digits>_<name>`: the canonical name.
fn extension(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let Some(digits) = lower.strip_prefix("extensionattribute") {
        let n: u8 = digits.parse().ok()?;
        return ((1..=15).contains(&n) && digits == n.to_string())
            .then(|| format!("extensionAttribute{n}"));
    }
    let rest = name
        .get(..10)
        .filter(|p| p.eq_ignore_ascii_case("extension_"))
        .and(name.get(10..))?;
    let (app, attr) = rest.split_once('_')?;
    let valid_app = app.len() == 32 && app.chars().all(|c| c.is_ascii_hexdigit());
    let valid_attr = attr.starts_with(|c: char| c.is_ascii_alphanumeric())
        && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid_app && valid_attr).then(|| format!("extension_{app}_{attr}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_canonical() {
        let s = Schema::entra();
        assert_eq!(
            s.lookup(ObjectKind::User, "employeehiredate").unwrap().name,
            "employeeHireDate"
        );
        assert_eq!(
            s.lookup(ObjectKind::User, "mailNickname").unwrap().name,
            "mailNickName"
        );
        assert_eq!(
            s.lookup(ObjectKind::Device, "devicePhysicalIDs")
                .unwrap()
                .ty,
            PropType::StringCollection
        );
        assert!(s.lookup(ObjectKind::Device, "department").is_none());
    }

    #[test]
    fn extension_attributes() {
        let s = Schema::entra();
        assert_eq!(
            s.lookup(ObjectKind::User, "extensionattribute15")
                .unwrap()
                .name,
            "extensionAttribute15"
        );
        assert!(s.lookup(ObjectKind::User, "extensionAttribute16").is_none());
        assert!(s.lookup(ObjectKind::User, "extensionAttribute01").is_none());
        assert!(
            s.lookup(
                ObjectKind::User,
                "extension_9d98ed114c4840d298fad781915f27e4_employeeLevel"
            )
            .is_some()
        );
        assert!(
            s.lookup(ObjectKind::User, "extension_xyz_employeeLevel")
                .is_none()
        );
        assert!(
            Schema::declared(vec![])
                .lookup(ObjectKind::User, "extensionAttribute1")
                .is_none()
        );
    }
}
