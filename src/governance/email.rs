//! The e-mails of workflow tasks, as their recipients will read them: the policy's subject
//! and body (or Roster's default wording for the task), placeholders resolved from the
//! identity's attributes and its manager's. Nothing is escaped here: each report escapes for
//! its medium.

use chrono::NaiveDate;

use super::catalogue::{self, Definition};
use super::{Email, View};
use crate::eval::lifecycle::DateCell;
use crate::value::Value;

/// Where a placeholder's value comes from.
pub struct Names<'a> {
    /// The hire date attribute (`{{userEmployeeHireDate}}`).
    pub hire_date: Option<&'a str>,
    /// The leave date attribute (`{{userEmployeeLeaveDateTime}}`).
    pub leave_date: Option<&'a str>,
}

impl Names<'_> {
    /// The date attributes the lifecycle `rules` name.
    pub fn of(rules: &crate::eval::lifecycle::Rules) -> Names<'_> {
        Names {
            hire_date: rules.configured.then_some(rules.hire_date.as_str()),
            leave_date: rules.leave_date.as_deref(),
        }
    }
}

/// The text of identity `i`'s attribute `name` (`None`: NULL, empty or not declared).
pub fn text(view: &View<'_>, i: usize, name: &str) -> Option<String> {
    let value = view.column(name)?.get(i);
    match value {
        Value::Null => None,
        Value::Date(_) => date(value).map(|d| d.to_string()),
        Value::List(items) => items
            .first()
            .and_then(|v| v.as_text().map(|t| t.into_owned())),
        other => other.as_text().map(|t| t.into_owned()),
    }
    .filter(|t| !t.trim().is_empty())
}

fn date(value: &Value) -> Option<NaiveDate> {
    match DateCell::read(value) {
        DateCell::Date(d) => Some(d.date()),
        DateCell::Missing | DateCell::Invalid(_) => None,
    }
}

/// The index of identity `i`'s manager: the `manager` attribute holds the manager's key.
pub fn manager(view: &View<'_>, i: usize) -> Result<usize, String> {
    let Some(key) = text(view, i, "manager") else {
        return Err("has no manager".into());
    };
    view.index_of(&key)
        .ok_or_else(|| format!("has a manager `{key}` who is not an identity"))
}

/// Identity `i`'s e-mail address (`mail`).
pub fn address(view: &View<'_>, i: usize) -> Option<String> {
    text(view, i, "mail")
}

/// The value of placeholder `name` for identity `i`.
fn placeholder(view: &View<'_>, names: &Names<'_>, i: usize, name: &str) -> String {
    let manager = || manager(view, i).ok();
    let value = match name {
        "userDisplayName" => text(view, i, "displayName"),
        "userGivenName" => text(view, i, "givenName"),
        "userSurname" => text(view, i, "surname"),
        "userPrincipalName" => text(view, i, "userPrincipalName").or_else(|| text(view, i, "mail")),
        "userEmployeeHireDate" => names.hire_date.and_then(|a| {
            view.column(a)
                .and_then(|c| date(c.get(i)))
                .map(|d| d.to_string())
        }),
        "userEmployeeLeaveDateTime" => names.leave_date.and_then(|a| {
            view.column(a)
                .and_then(|c| date(c.get(i)))
                .map(|d| d.to_string())
        }),
        "managerDisplayName" => manager().and_then(|m| text(view, m, "displayName")),
        "managerEmail" => manager().and_then(|m| address(view, m)),
        "temporaryAccessPass" => {
            Some("[the Temporary Access Pass, generated when the task runs]".into())
        }
        _ => None,
    };
    value.unwrap_or_default()
}

/// `text` with its placeholders resolved for identity `i` (an unknown placeholder, which
/// lint refuses, is left as written).
pub fn resolve(view: &View<'_>, names: &Names<'_>, i: usize, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, name) in catalogue::placeholders(text) {
        out.push_str(text.get(last..range.start).unwrap_or(""));
        if catalogue::PLACEHOLDERS.contains(&name) {
            out.push_str(&placeholder(view, names, i, name));
        } else {
            out.push_str(text.get(range.clone()).unwrap_or(""));
        }
        last = range.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// The languages Roster has default wording in (the primary subtag of a `locale`); any other
/// locale gets the English wording (`docs/workflows.md`).
pub const LANGUAGES: &[&str] = &["en", "fr", "de", "es"];

/// The language of `locale` Roster writes its default wording in: its primary subtag when
/// Roster has it (case ignored: `fr-CA` is `fr`), else `en`.
pub fn language(locale: Option<&str>) -> &'static str {
    let primary = locale
        .and_then(|l| l.split(['-', '_']).next())
        .unwrap_or("en");
    LANGUAGES
        .iter()
        .copied()
        .find(|l| l.eq_ignore_ascii_case(primary))
        .unwrap_or("en")
}

/// Roster's wording of an e-mail task when the policy gives none, in English: (subject, body).
pub fn default_wording(def: &Definition) -> (&'static str, &'static str) {
    wording(def, "en")
}

/// Roster's wording of an e-mail task when the policy gives none, in `language` (one of
/// [`LANGUAGES`]; anything else is English): (subject, body).
pub fn wording(def: &Definition, language: &str) -> (&'static str, &'static str) {
    let which = [
        catalogue::WELCOME.id,
        catalogue::ONBOARDING_REMINDER.id,
        catalogue::TAP.id,
        catalogue::USER_MOVE.id,
        catalogue::BEFORE_LAST_DAY.id,
        catalogue::ON_LAST_DAY.id,
        catalogue::AFTER_LAST_DAY.id,
    ]
    .iter()
    .position(|id| *id == def.id);
    let table: &[(&str, &str); 7] = match language {
        "fr" => &FRENCH,
        "de" => &GERMAN,
        "es" => &SPANISH,
        _ => &ENGLISH,
    };
    which
        .and_then(|k| table.get(k))
        .copied()
        .unwrap_or(("", ""))
}

/// The default wordings, in the order of [`wording`]'s definitions: welcome, onboarding
/// reminder, Temporary Access Pass, user move, before the last day, on it, after it.
const ENGLISH: [(&str, &str); 7] = [
    (
        "Welcome, {{userGivenName}}",
        "Welcome to the team, {{userDisplayName}}. Your first day is {{userEmployeeHireDate}}; {{managerDisplayName}} will meet you and help you get started.",
    ),
    (
        "{{userDisplayName}} starts on {{userEmployeeHireDate}}",
        "Your new team member {{userDisplayName}} starts on {{userEmployeeHireDate}}. Please make sure they have what they need on their first day.",
    ),
    (
        "Temporary Access Pass for {{userDisplayName}}",
        "The Temporary Access Pass for {{userDisplayName}} ({{userPrincipalName}}) is {{temporaryAccessPass}}. Please give it to them in person on {{userEmployeeHireDate}}.",
    ),
    (
        "{{userDisplayName}} has moved",
        "{{userDisplayName}} has a new role or place in the organisation. Please review what they need and what they no longer need.",
    ),
    (
        "{{userDisplayName}} leaves on {{userEmployeeLeaveDateTime}}",
        "{{userDisplayName}}'s last day is {{userEmployeeLeaveDateTime}}. Please plan the handover of their work and files.",
    ),
    (
        "Today is {{userDisplayName}}'s last day",
        "Today is {{userDisplayName}}'s last day. Their account will be disabled at the end of the day.",
    ),
    (
        "{{userDisplayName}} has left",
        "{{userDisplayName}} left on {{userEmployeeLeaveDateTime}}. Their account is disabled and their access has been removed.",
    ),
];

const FRENCH: [(&str, &str); 7] = [
    (
        "Bienvenue, {{userGivenName}}",
        "Bienvenue dans l'équipe, {{userDisplayName}}. Votre premier jour est le {{userEmployeeHireDate}} ; {{managerDisplayName}} vous accueillera et vous aidera à démarrer.",
    ),
    (
        "{{userDisplayName}} arrive le {{userEmployeeHireDate}}",
        "Votre nouvelle recrue, {{userDisplayName}}, commence le {{userEmployeeHireDate}}. Veillez à ce que tout soit prêt pour son premier jour.",
    ),
    (
        "Passe d'accès temporaire pour {{userDisplayName}}",
        "Le passe d'accès temporaire de {{userDisplayName}} ({{userPrincipalName}}) est {{temporaryAccessPass}}. Remettez-le en main propre le {{userEmployeeHireDate}}.",
    ),
    (
        "{{userDisplayName}} change de poste",
        "{{userDisplayName}} a un nouveau rôle ou une nouvelle place dans l'organisation. Vérifiez les accès dont cette personne a besoin et ceux qui ne lui servent plus.",
    ),
    (
        "{{userDisplayName}} part le {{userEmployeeLeaveDateTime}}",
        "Le dernier jour de {{userDisplayName}} est le {{userEmployeeLeaveDateTime}}. Organisez la passation de son travail et de ses fichiers.",
    ),
    (
        "C'est aujourd'hui le dernier jour de {{userDisplayName}}",
        "C'est aujourd'hui le dernier jour de {{userDisplayName}}. Son compte sera désactivé en fin de journée.",
    ),
    (
        "{{userDisplayName}} a quitté l'organisation",
        "{{userDisplayName}} a quitté l'organisation le {{userEmployeeLeaveDateTime}}. Son compte est désactivé et ses accès ont été retirés.",
    ),
];

const GERMAN: [(&str, &str); 7] = [
    (
        "Willkommen, {{userGivenName}}",
        "Willkommen im Team, {{userDisplayName}}. Ihr erster Arbeitstag ist der {{userEmployeeHireDate}}; {{managerDisplayName}} empfängt Sie und hilft Ihnen beim Einstieg.",
    ),
    (
        "{{userDisplayName}} beginnt am {{userEmployeeHireDate}}",
        "Ihr neues Teammitglied {{userDisplayName}} beginnt am {{userEmployeeHireDate}}. Bitte sorgen Sie dafür, dass am ersten Tag alles Nötige bereitsteht.",
    ),
    (
        "Befristeter Zugriffspass für {{userDisplayName}}",
        "Der befristete Zugriffspass für {{userDisplayName}} ({{userPrincipalName}}) lautet {{temporaryAccessPass}}. Bitte übergeben Sie ihn am {{userEmployeeHireDate}} persönlich.",
    ),
    (
        "{{userDisplayName}} hat gewechselt",
        "{{userDisplayName}} hat eine neue Rolle oder Position in der Organisation. Bitte prüfen Sie, welche Zugriffe benötigt werden und welche nicht mehr.",
    ),
    (
        "{{userDisplayName}} geht am {{userEmployeeLeaveDateTime}}",
        "Der letzte Arbeitstag von {{userDisplayName}} ist der {{userEmployeeLeaveDateTime}}. Bitte planen Sie die Übergabe der Arbeit und der Dateien.",
    ),
    (
        "Heute ist der letzte Arbeitstag von {{userDisplayName}}",
        "Heute ist der letzte Arbeitstag von {{userDisplayName}}. Das Konto wird am Ende des Tages deaktiviert.",
    ),
    (
        "{{userDisplayName}} hat das Unternehmen verlassen",
        "{{userDisplayName}} hat das Unternehmen am {{userEmployeeLeaveDateTime}} verlassen. Das Konto ist deaktiviert, und die Zugriffe wurden entfernt.",
    ),
];

const SPANISH: [(&str, &str); 7] = [
    (
        "Te damos la bienvenida, {{userGivenName}}",
        "Te damos la bienvenida al equipo, {{userDisplayName}}. Tu primer día es el {{userEmployeeHireDate}}; {{managerDisplayName}} te recibirá y te ayudará a empezar.",
    ),
    (
        "{{userDisplayName}} empieza el {{userEmployeeHireDate}}",
        "{{userDisplayName}} se une a tu equipo el {{userEmployeeHireDate}}. Asegúrate de que tenga todo lo necesario el primer día.",
    ),
    (
        "Pase de acceso temporal para {{userDisplayName}}",
        "El pase de acceso temporal de {{userDisplayName}} ({{userPrincipalName}}) es {{temporaryAccessPass}}. Entrégalo en persona el {{userEmployeeHireDate}}.",
    ),
    (
        "{{userDisplayName}} cambia de puesto",
        "{{userDisplayName}} tiene un nuevo rol o una nueva posición en la organización. Revisa qué accesos necesita y cuáles ya no.",
    ),
    (
        "{{userDisplayName}} se va el {{userEmployeeLeaveDateTime}}",
        "El último día de {{userDisplayName}} es el {{userEmployeeLeaveDateTime}}. Planifica el traspaso de su trabajo y sus archivos.",
    ),
    (
        "Hoy es el último día de {{userDisplayName}}",
        "Hoy es el último día de {{userDisplayName}}. Su cuenta se desactivará al final del día.",
    ),
    (
        "{{userDisplayName}} ya no está en la organización",
        "{{userDisplayName}} dejó la organización el {{userEmployeeLeaveDateTime}}. Su cuenta está desactivada y sus accesos se han retirado.",
    ),
];

/// The recipient of an e-mail task: the user or the manager (`Err`: why it fails).
pub fn recipient(view: &View<'_>, i: usize, to_manager: bool) -> Result<String, String> {
    if to_manager {
        let m = manager(view, i).map_err(|why| format!("the user {why}"))?;
        address(view, m).ok_or_else(|| {
            format!(
                "the manager `{}` has no e-mail address (`mail`)",
                view.key(m)
            )
        })
    } else {
        address(view, i).ok_or_else(|| "the user has no e-mail address (`mail`)".to_string())
    }
}

/// What a policy says of one e-mail.
pub struct Written<'a> {
    /// To the manager (else the user).
    pub to_manager: bool,
    /// The custom subject.
    pub subject: Option<&'a str>,
    /// The custom body.
    pub body: Option<&'a str>,
    /// Identity keys who get a copy.
    pub cc: &'a [String],
    /// The language of the default wording (`locale`), when the policy gives one.
    pub locale: Option<&'a str>,
}

/// The e-mail identity `i` gets (or its manager), and why it fails, if it does.
pub fn render(
    view: &View<'_>,
    names: &Names<'_>,
    i: usize,
    def: &Definition,
    written: &Written<'_>,
) -> (Email, Option<String>) {
    let Written {
        to_manager,
        subject,
        body,
        cc,
        locale,
    } = *written;
    let (default_subject, default_body) = wording(def, language(locale));
    let to = recipient(view, i, to_manager);
    let mut problem = to.as_ref().err().cloned();
    let mut copies = Vec::new();
    for key in cc {
        match view.index_of(key).and_then(|c| address(view, c)) {
            Some(a) => copies.push(a),
            None => {
                if problem.is_none() {
                    problem = Some(format!(
                        "`cc` names `{key}`, who is not an identity with an e-mail address"
                    ));
                }
            }
        }
    }
    let email = Email {
        to: to.ok(),
        cc: copies,
        subject: resolve(view, names, i, subject.unwrap_or(default_subject)),
        body: resolve(view, names, i, body.unwrap_or(default_body)),
    };
    (email, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every language has a subject and a body for each e-mail task, with only Entra's
    /// placeholders, and the same placeholders as the English wording.
    #[test]
    fn every_language_words_every_email_task() {
        let defs = [
            catalogue::WELCOME,
            catalogue::ONBOARDING_REMINDER,
            catalogue::TAP,
            catalogue::USER_MOVE,
            catalogue::BEFORE_LAST_DAY,
            catalogue::ON_LAST_DAY,
            catalogue::AFTER_LAST_DAY,
        ];
        let names = |t: &str| {
            let mut v: Vec<String> = catalogue::placeholders(t)
                .into_iter()
                .map(|(_, n)| n.to_string())
                .collect();
            v.sort();
            v
        };
        for def in defs {
            let (es, eb) = wording(&def, "en");
            for lang in LANGUAGES {
                let (s, b) = wording(&def, lang);
                assert!(!s.is_empty() && !b.is_empty(), "{lang} {}", def.id);
                for text in [s, b] {
                    for n in names(text) {
                        assert!(catalogue::PLACEHOLDERS.contains(&n.as_str()), "{lang}: {n}");
                    }
                }
                assert_eq!(names(s), names(es), "{lang} subject of {}", def.id);
                assert_eq!(names(b), names(eb), "{lang} body of {}", def.id);
                if *lang != "en" {
                    assert_ne!((s, b), (es, eb), "{lang} is not English");
                }
            }
        }
    }

    #[test]
    fn a_locale_picks_its_language_or_english() {
        assert_eq!(language(Some("fr-CA")), "fr");
        assert_eq!(language(Some("DE")), "de");
        assert_eq!(language(Some("es-419")), "es");
        assert_eq!(language(Some("en-GB")), "en");
        assert_eq!(language(Some("ja-JP")), "en");
        assert_eq!(language(None), "en");
    }
}
