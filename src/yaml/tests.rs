use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde::Deserialize;

use super::*;
use crate::diagnostics::{LineCol, Source};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Policy {
    name: Sp<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    priority: Option<u32>,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default)]
    mappings: BTreeMap<Sp<String>, Sp<String>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    owner: Option<Owner>,
    #[serde(default)]
    vars: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Owner {
    display_name: String,
    mail: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
enum Kind {
    Joiner,
    Mover,
    Leaver,
}

fn file() -> FileId {
    FileId(7)
}

/// The single diagnostic that parsing `text` as `T` produces.
fn error<T: serde::de::DeserializeOwned + fmt::Debug>(text: &str) -> Diagnostic {
    let diags = match parse::<T>(file(), text, &Limits::default()) {
        Ok(v) => panic!("expected an error, parsed {v:?}"),
        Err(d) => d,
    };
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = diags.into_iter().next().unwrap();
    assert_eq!(d.file, file(), "{d:#?}");
    assert!(
        d.span.start <= d.span.end && d.span.end <= text.len(),
        "{d:#?}"
    );
    let first = d.message.chars().next().unwrap();
    assert!(!first.is_uppercase(), "{}", d.message);
    assert!(!d.message.ends_with('.'), "{}", d.message);
    d
}

/// Start and end of the diagnostic's span as (line, column) pairs.
fn position(text: &str, span: Span) -> ((usize, usize), (usize, usize)) {
    let src = Source::new("p.yaml", text);
    let LineCol { line, column } = src.line_col(span.start);
    let end = src.line_col(span.end);
    ((line, column), (end.line, end.column))
}

fn snippet(text: &str, span: Span) -> &str {
    text.get(span.start..span.end).unwrap()
}

// ---- Sp ----

#[test]
fn sp_spans_cover_the_token() {
    let text = "name: 'it''s'\nmappings:\n  \"dq\": plain value\n  k: |\n    body\n";
    let p: Policy = parse(file(), text, &Limits::default()).unwrap();
    assert_eq!(p.name.value, "it's");
    assert_eq!(snippet(text, p.name.span), "'it''s'");
    let (k, v) = p.mappings.iter().next().unwrap();
    assert_eq!(snippet(text, k.span), "\"dq\"");
    assert_eq!(snippet(text, v.span), "plain value");
    let body = p.mappings.get("k").unwrap();
    assert_eq!(snippet(text, body.span), "body\n");
}

#[test]
fn sp_of_collections_is_empty_at_their_start() {
    let text = "a:\n  - x\nb: {k: v}\n";
    let m: BTreeMap<String, Sp<serde_json::Value>> =
        parse(file(), text, &Limits::default()).unwrap();
    let a = m.get("a").unwrap().span;
    let b = m.get("b").unwrap().span;
    assert_eq!(a.start, a.end);
    assert_eq!(position(text, a).0, (2, 3));
    // A flow collection's span is its opening bracket.
    assert_eq!(snippet(text, b), "{");
}

#[test]
fn sp_through_an_alias_points_at_the_anchor() {
    let text = "a: &x \"Join(\\\" \\\", [g])\"\nb: *x\n";
    let m: BTreeMap<String, Sp<String>> = parse(file(), text, &Limits::default()).unwrap();
    let b = m.get("b").unwrap();
    assert_eq!(b.value, "Join(\" \", [g])");
    assert_eq!(snippet(text, b.span), "\"Join(\\\" \\\", [g])\"");
    let source = YamlSource::new(text);
    let g = b.value.find("[g]").unwrap();
    let span = source.inner_span(b, Span::new(g, g + 3));
    assert_eq!(snippet(text, span), "[g]");
}

#[test]
fn sp_compares_hashes_orders_and_serialises_the_value_only() {
    use std::collections::HashSet;
    let a = Sp::new("x".to_string(), Span::new(0, 1));
    let b = Sp::new("x".to_string(), Span::new(5, 9));
    let c = Sp::new("y".to_string(), Span::new(0, 1));
    assert_eq!(a, b);
    assert!(a < c);
    assert_eq!(a.cmp(&b), Ordering::Equal);
    let set: HashSet<Sp<String>> = [a.clone(), b].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"x\"");
    assert_eq!(a.len(), 1, "derefs to the value");
    assert_eq!(a.to_string(), "x");
    let from_json: Sp<u32> = serde_json::from_str("42").unwrap();
    assert_eq!(from_json.value, 42);
    assert_eq!(from_json.span, Span::default());
}

#[test]
fn sp_has_the_schema_of_its_value() {
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct WithSp {
        name: Sp<String>,
        n: Option<Sp<u32>>,
    }
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Plain {
        name: String,
        n: Option<u32>,
    }
    let mut with_sp = serde_json::to_value(schemars::schema_for!(WithSp)).unwrap();
    let mut plain = serde_json::to_value(schemars::schema_for!(Plain)).unwrap();
    with_sp.as_object_mut().unwrap().remove("title");
    plain.as_object_mut().unwrap().remove("title");
    assert_eq!(with_sp, plain);
}

// ---- inner_span ----

/// Maps every character of every string value of `text` and checks that the file holds that
/// character there (or the escape, doubled quote or line break that produced it); returns how
/// many characters were checked and how many mapped to themselves.
fn check_every_character(text: &str) -> (usize, usize) {
    let doc: BTreeMap<Sp<String>, Sp<String>> =
        parse(file(), text, &Limits::default()).unwrap_or_else(|d| panic!("{d:#?}\n{text}"));
    let scalars: Vec<&Sp<String>> = doc.iter().flat_map(|(k, v)| [k, v]).collect();
    check_scalars(text, &scalars)
}

fn check_scalars(text: &str, scalars: &[&Sp<String>]) -> (usize, usize) {
    let source = YamlSource::new(text);
    let (mut total, mut exact) = (0, 0);
    for &scalar in scalars {
        let key = &scalar.value;
        let mut last_start = None;
        for (k, ch) in scalar.value.char_indices() {
            let span = source.inner_span(scalar, Span::new(k, k + ch.len_utf8()));
            let at = snippet(text, span);
            total += 1;
            let ok = if at == ch.to_string() {
                exact += 1;
                true
            } else if at.starts_with('\\') {
                true
            } else if ch == '\'' {
                at == "''"
            } else if ch == ' ' || ch == '\n' {
                at == "\n" || at == "\r\n" || (at.is_empty() && ch == '\n')
            } else {
                false
            };
            assert!(
                ok,
                "{key}: char {k} {ch:?} of {:?} maps to {at:?} at {span:?}\n{text}",
                scalar.value
            );
            if let Some(last) = last_start {
                assert!(
                    span.start >= last,
                    "not monotonic at {k} in {:?}",
                    scalar.value
                );
            }
            last_start = Some(span.start);
        }
        // The end of the value maps to the end of its last character.
        let end = source.inner_span(scalar, Span::new(scalar.value.len(), scalar.value.len()));
        assert_eq!(end.start, end.end);
        assert!(
            end.start >= scalar.span.start && end.start <= scalar.span.end.max(scalar.span.start)
        );
    }
    (total, exact)
}

const STYLES: &str = r#"plain: Join(" ", [givenName], [surname])
plain folded: Join(" ",
  [givenName],   [surname])

  & "!"
single: 'IIF([a] = ''x'', "é", ''🔑'')   '
single folded: 'Replace([mail],
    "@old.com",  
  , "@new.com", , , )'
double: "Join(\"\t\", [givenName], \u00e9\x41 \U0001F600 \uD83D\uDE00 \\ \/ \
     [surname]) \
  end\n fold
  again"
"key \"quoted\"": value
literal: |
  Switch([country],
    "Other",

    "DE", "Germany")
folded: >-
  IIF(IsPresent([mail]),
  [mail],
  Join("@", [alias], "contoso.com"))

  second paragraph
    more indented
  back
keep: |+
  Trim([x])

lead: |

  after an empty line
indicator: |2
    two extra spaces
  then none
tagged: !!str 12 + x
crazy: "a\
  b"
"#;

#[test]
fn inner_span_maps_every_character_of_every_style() {
    let (total, exact) = check_every_character(STYLES);
    assert!(total > 300, "{total}");
    assert!(exact * 10 > total * 8, "{exact} of {total} exact");
}

const FLOW: &str = "{ a: [x  y, 'c ''d''', \"e\\tf\", ü\n  z,  \"q\n\n  r\"], 'b b': 'ü' }\n";

#[test]
fn inner_span_maps_every_character_in_flow_collections() {
    for text in [FLOW.to_string(), FLOW.replace('\n', "\r\n")] {
        #[derive(Deserialize)]
        struct Flow {
            a: Vec<Sp<String>>,
            #[serde(rename = "b b")]
            b: Sp<String>,
        }
        let flow: Flow = parse(file(), &text, &Limits::default()).unwrap();
        let mut scalars: Vec<&Sp<String>> = flow.a.iter().collect();
        scalars.push(&flow.b);
        assert_eq!(flow.a[4].value, "q\nr");
        let (total, exact) = check_scalars(&text, &scalars);
        assert_eq!(total, 19);
        assert!(exact >= 14, "{exact}");
    }
}

#[test]
fn inner_span_maps_every_character_with_crlf() {
    let crlf = STYLES.replace('\n', "\r\n");
    let (total, _) = check_every_character(&crlf);
    assert!(total > 300);
}

#[test]
fn inner_span_maps_every_character_after_a_byte_order_mark() {
    let bom = format!("\u{feff}{STYLES}");
    check_every_character(&bom);
}

#[test]
fn inner_span_maps_block_scalars_without_content_and_with_indicator_content() {
    // No content line: the scalar's span starts at the header; each line feed of the value is
    // one of the empty lines.
    let text = "k: >+\n  \n\n\nj: |\n  |x\n";
    let m: BTreeMap<String, Sp<String>> = parse(file(), text, &Limits::default()).unwrap();
    let k = &m["k"];
    assert_eq!(k.value, "\n\n\n");
    let source = YamlSource::new(text);
    let spans: Vec<Span> = (0..3)
        .map(|i| source.inner_span(k, Span::new(i, i + 1)))
        .collect();
    assert_eq!(
        spans,
        [Span::new(8, 9), Span::new(9, 10), Span::new(10, 11)]
    );
    // Content that starts with `|` is content, not a header.
    let j = &m["j"];
    assert_eq!(j.value, "|x\n");
    assert_eq!(snippet(text, source.inner_span(j, Span::new(0, 2))), "|x");
    // At the end of the file an empty block scalar's span starts at its header instead.
    let text = "k: >+\n  \n\n";
    let m: BTreeMap<String, Sp<String>> = parse(file(), text, &Limits::default()).unwrap();
    let k = &m["k"];
    assert_eq!(k.value, "\n\n");
    let source = YamlSource::new(text);
    assert_eq!(source.inner_span(k, Span::new(0, 1)), Span::new(8, 9));
    assert_eq!(source.inner_span(k, Span::new(1, 2)), Span::new(9, 10));
}

#[test]
fn inner_span_maps_ranges_to_the_source_text() {
    let text = "mappings:\n  displayName: >\n    Join(\" \",\n    [givenName], [surname])\n  mail: \"Join(\\\"@\\\", [alias], \\\"contoso.com\\\")\"\n";
    let m: BTreeMap<String, BTreeMap<String, Sp<String>>> =
        parse(file(), text, &Limits::default()).unwrap();
    let source = YamlSource::new(text);
    let display = &m["mappings"]["displayName"];
    assert_eq!(display.value, "Join(\" \", [givenName], [surname])\n");
    let at = display.value.find("[givenName]").unwrap();
    let span = source.inner_span(display, Span::new(at, at + "[givenName]".len()));
    assert_eq!(snippet(text, span), "[givenName]");
    assert_eq!(position(text, span).0, (4, 5));
    // A range across the folded line break covers both lines.
    let comma = display.value.find(", [").unwrap();
    let span = source.inner_span(display, Span::new(comma - 3, comma + 3));
    assert_eq!(snippet(text, span), "\" \",\n    [");
    let mail = &m["mappings"]["mail"];
    let at = mail.value.find("\"contoso.com\"").unwrap();
    let span = source.inner_span(mail, Span::new(at, at + "\"contoso.com\"".len()));
    assert_eq!(snippet(text, span), "\\\"contoso.com\\\"");
    // Past the end: clamped to the end of the value, inside the quotes.
    let span = source.inner_span(mail, Span::new(500, 900));
    assert_eq!(span.start, span.end);
    assert_eq!(text.get(span.start..span.start + 1), Some("\""));
}

#[test]
fn inner_span_falls_back_to_the_scalar_when_it_cannot_decode() {
    let text = "a: \"\\u00e9 x\"\nb: plain\n";
    let source = YamlSource::new(text);
    let right = Sp::new("é x".to_string(), Span::new(3, 13));
    assert_eq!(
        snippet(text, source.inner_span(&right, Span::new(0, 2))),
        "\\u00e9"
    );
    // A value that is not what the file says: the whole scalar.
    let wrong = Sp::new("something else".to_string(), Span::new(17, 22));
    assert_eq!(
        snippet(text, source.inner_span(&wrong, Span::new(2, 3))),
        "plain"
    );
    // No scalar starts there.
    let nowhere = Sp::new("x".to_string(), Span::new(1, 2));
    assert_eq!(
        source.inner_span(&nowhere, Span::new(0, 1)),
        Span::new(1, 2)
    );
    // Out of the file: clamped.
    let outside = Sp::new("x".to_string(), Span::new(500, 600));
    assert_eq!(
        source.inner_span(&outside, Span::new(0, 1)),
        Span::new(text.len(), text.len())
    );
}

#[test]
fn relocate_moves_a_value_diagnostic_into_the_file() {
    let text = "rule: 'user.department -eq ''Sales'' -and'\n";
    let m: BTreeMap<String, Sp<String>> = parse(file(), text, &Limits::default()).unwrap();
    let rule = &m["rule"];
    let at = rule.value.find("'Sales'").unwrap();
    let d = Diagnostic::new(Code::YamlSyntax, Span::new(at, at + 7), "x")
        .with_label(Span::new(0, 4), "here");
    let d = YamlSource::new(text).relocate(file(), rule, d);
    assert_eq!(d.file, file());
    assert_eq!(snippet(text, d.span), "''Sales''");
    assert_eq!(snippet(text, d.labels[0].span), "user");
    assert_eq!(d.labels[0].file, file());
}

// ---- errors ----

#[test]
fn syntax_errors_point_at_the_parser_position() {
    let text = "name: joiners\nmappings:\n  displayName: \"Join(\" \", [givenName], [surname])\"\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlSyntax);
    // At the quote that follows the string `"Join("`.
    assert_eq!(position(text, d.span).0, (3, 24));
    assert_eq!(
        d.message,
        "invalid trailing content after double-quoted scalar"
    );
    assert!(d.help.is_some());

    let text = "name: é\nk: 'unterminated\n";
    let d = error::<serde_json::Value>(text);
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(d.message, "unclosed quote");
    assert_eq!(position(text, d.span).0, (2, 4));

    let text = "a:\n\t- x\n";
    let d = error::<serde_json::Value>(text);
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(position(text, d.span).0.0, 2);
    assert!(d.help.unwrap().contains("tabs"));

    let text = "éé: [a, b\nc: d\n";
    let d = error::<serde_json::Value>(text);
    assert_eq!(d.code, Code::YamlSyntax);
    assert!(d.message.contains("`:`"), "{}", d.message);
    assert_eq!(position(text, d.span).0, (2, 2));
}

#[test]
fn unknown_keys_suggest_the_nearest() {
    let text = "name: joiners\nmappings: {}\nprioity: 2\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlUnknownKey);
    assert_eq!(d.message, "unknown key `prioity`");
    assert_eq!(position(text, d.span), ((3, 1), (3, 8)));
    let help = d.help.unwrap();
    assert!(help.starts_with("did you mean `priority`?"), "{help}");
    assert!(help.contains("`name`, `enabled`, `priority`"), "{help}");

    let text = "name: x\nowner:\n  displayName: A\n  email: a@b\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlUnknownKey);
    assert_eq!(position(text, d.span), ((4, 3), (4, 8)));
    assert!(d.help.unwrap().starts_with("did you mean `mail`?"));

    let d = error::<Policy>("name: x\nzzzzzzzzzz: 1\n");
    assert!(
        d.help
            .unwrap()
            .starts_with("the keys allowed here are `name`")
    );
}

#[test]
fn duplicate_keys_point_at_the_second_and_label_the_first() {
    let text = "name: joiners\nenabled: true\nname: movers\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlDuplicateKey);
    assert_eq!(d.message, "duplicate key `name`");
    assert_eq!(position(text, d.span), ((3, 1), (3, 5)));
    assert_eq!(d.labels.len(), 1);
    assert_eq!(d.labels[0].file, file());
    assert_eq!(position(text, d.labels[0].span), ((1, 1), (1, 5)));

    // In a nested map, with the same key elsewhere at another level.
    let text = "name: x\nmappings:\n  name: a\n  mail: b\n  'name': c\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlDuplicateKey);
    assert_eq!(position(text, d.span).0, (5, 3));
    assert_eq!(position(text, d.labels[0].span), ((3, 3), (3, 7)));

    let text = "a: 1\nb:\n  - {x: 1, y: 2, x: 3}\n";
    let d = error::<serde_json::Value>(text);
    assert_eq!(d.code, Code::YamlDuplicateKey);
    assert_eq!(position(text, d.span).0, (3, 18));
    assert_eq!(position(text, d.labels[0].span).0, (3, 6));
}

#[test]
fn missing_keys_point_at_the_mapping() {
    let text = "priority: 3\nenabled: true\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlMissingKey);
    assert_eq!(d.message, "missing key `name`");
    assert_eq!(position(text, d.span), ((1, 1), (1, 9)));

    let text = "- name: a\n  mail: b\n- displayName: c\n  mail: d\n- displayName: e\n";
    let d = error::<Vec<Owner>>(text);
    assert_eq!(d.code, Code::YamlUnknownKey);
    let text = "- displayName: a\n  mail: b\n- displayName: c\n";
    let d = error::<Vec<Owner>>(text);
    assert_eq!(d.code, Code::YamlMissingKey);
    assert_eq!(d.message, "missing key `mail`");
    assert_eq!(position(text, d.span), ((3, 3), (3, 14)));

    let text = "name: x\nowner: {}\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlMissingKey);
    assert_eq!(position(text, d.span).0, (2, 8));
}

#[test]
fn wrong_types_say_what_was_expected() {
    /// Text, message, start and end (line, column).
    type Case = (&'static str, &'static str, (usize, usize), (usize, usize));
    let cases: &[Case] = &[
        (
            "name: a\nenabled: yes\n",
            "expected `true` or `false`, found `yes`",
            (2, 10),
            (2, 13),
        ),
        (
            "name: a\npriority: high\n",
            "expected a whole number from 0 to 4294967295, found `high`",
            (2, 11),
            (2, 15),
        ),
        (
            "name: a\npriority: -1\n",
            "expected a whole number from 0 to 4294967295, found `-1`",
            (2, 11),
            (2, 13),
        ),
        (
            "name: a\nkind: leaver\ntags: x\n",
            "expected a list, found `x`",
            (3, 7),
            (3, 8),
        ),
        (
            "name: [a, b]\n",
            "expected a single value, found a list",
            (1, 7),
            (1, 8),
        ),
        (
            "name: ~\n",
            "expected a string, found null (`~`)",
            (1, 7),
            (1, 8),
        ),
        (
            "name:\n",
            "expected a string, found nothing",
            (1, 5),
            (1, 5),
        ),
        (
            "name: x\nowner: me\n",
            "expected a mapping, found `me`",
            (2, 8),
            (2, 10),
        ),
        ("- a\n", "expected a mapping, found a list", (1, 1), (1, 1)),
        ("", "the file is empty", (1, 1), (1, 1)),
        ("# only a comment\n", "the file is empty", (1, 1), (1, 1)),
    ];
    for (text, message, start, end) in cases {
        let d = error::<Policy>(text);
        assert_eq!(d.code, Code::YamlWrongType, "{text:?}: {d:#?}");
        assert_eq!(&d.message, message, "{text:?}");
        assert_eq!(position(text, d.span), (*start, *end), "{text:?}: {d:#?}");
    }
    let d = error::<Policy>("name: a\nenabled: yes\n");
    assert!(d.help.unwrap().contains("YAML 1.2"));
}

#[test]
fn errors_through_an_alias_point_at_the_use_and_label_the_anchor() {
    let text = "vars:\n  flag: &flag yes\nname: a\nenabled: *flag\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlWrongType);
    assert_eq!(d.message, "expected `true` or `false`, found `yes`");
    assert_eq!(snippet(text, d.span), "*flag");
    assert_eq!(position(text, d.span).0, (4, 10));
    assert_eq!(d.labels.len(), 1, "{d:#?}");
    assert_eq!(snippet(text, d.labels[0].span), "yes");
    assert_eq!(d.labels[0].file, file());
}

#[test]
fn custom_errors_of_the_target_type_keep_their_message() {
    fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Err(serde::de::Error::custom("A name must not be empty."));
        }
        Ok(s)
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Named {
        #[serde(deserialize_with = "non_empty")]
        name: String,
    }
    let text = "name: ''\n";
    let d = error::<Named>(text);
    assert_eq!(d.code, Code::YamlWrongType);
    assert_eq!(d.message, "a name must not be empty");
    assert_eq!(snippet(text, d.span), "''");
}

#[test]
fn unknown_enum_values_suggest_the_nearest() {
    let text = "name: a\nkind: levaer\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlWrongType);
    assert_eq!(d.message, "unknown value `levaer`");
    assert_eq!(position(text, d.span), ((2, 7), (2, 13)));
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `leaver`? the values allowed here are `joiner`, `mover`, `leaver`")
    );
}

#[test]
fn yes_stays_a_string_and_merge_keys_work() {
    #[derive(Deserialize)]
    struct S {
        a: String,
        b: BTreeMap<String, String>,
    }
    let s: S = parse(
        file(),
        "base: &b {x: '1', y: '2'}\na: yes\nb:\n  <<: *b\n  y: three\n",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(s.a, "yes");
    assert_eq!(s.b.get("x").map(String::as_str), Some("1"));
    assert_eq!(s.b.get("y").map(String::as_str), Some("three"));
    let v: serde_json::Value = parse(
        file(),
        "base: &b {x: 1, y: 2}\nb:\n  <<: *b\n  y: 3\n",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(v["b"], serde_json::json!({"x": 1, "y": 3}));
    let v: serde_json::Value = parse(file(), "a: yes\nb: on\n", &Limits::default()).unwrap();
    assert_eq!(v, serde_json::json!({"a": "yes", "b": "on"}));
}

#[test]
fn tags_and_unknown_aliases_are_refused() {
    let text = "name: !Ref x\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(d.message, "unsupported tag `!Ref`");

    let text = "a: 1\nb: *nowhere\n";
    let d = error::<serde_json::Value>(text);
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(d.message, "the alias `*nowhere` refers to no anchor");
    assert_eq!(position(text, d.span), ((2, 4), (2, 12)));
}

#[test]
fn several_documents_are_refused_at_the_second() {
    let text = "name: joiners\n---\nname: movers\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlMultipleDocuments);
    assert_eq!(d.message, "the file holds more than one YAML document");
    assert_eq!(position(text, d.span), ((2, 1), (2, 4)));
    // An explicit start and end of one document are fine.
    let _: Policy = parse(file(), "---\nname: joiners\n...\n", &Limits::default()).unwrap();
    let text = "---\nname: a\n---\n";
    let d = error::<Policy>(text);
    assert_eq!(d.code, Code::YamlMultipleDocuments);
    assert_eq!(position(text, d.span).0, (3, 1));
}

fn billion_laughs() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text += &format!("{}: &{} [{refs}]\n", pair[1], pair[1]);
    }
    text
}

#[test]
fn a_billion_laughs_is_refused_quickly() {
    let text = billion_laughs();
    let started = Instant::now();
    let d = error::<serde_json::Value>(&text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.code, Code::YamlTooComplex);
    assert!(
        d.message.starts_with("the file is too complex: "),
        "{}",
        d.message
    );
    assert!(d.message.ends_with("(possible YAML bomb)"), "{}", d.message);
    // At an alias use.
    assert_eq!(
        text.get(d.span.start..d.span.start + 1),
        Some("*"),
        "{d:#?}"
    );

    let d = error::<Policy>(&format!(
        "name: x\nvars:\n{}",
        text.replace('\n', "\n  ").replace("a: &a", "  a: &a")
    ));
    assert_eq!(d.code, Code::YamlTooComplex);
}

#[test]
fn many_aliases_are_refused() {
    let refs = vec!["*a"; 6000].join(", ");
    let text = format!("a: &a x\nb: [{refs}]\n");
    let d = error::<serde_json::Value>(&text);
    assert_eq!(d.code, Code::YamlTooComplex);
    assert!(d.message.contains("5000 aliases"), "{}", d.message);
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
    let d = error::<serde_json::Value>(&text);
    assert_eq!(d.code, Code::YamlTooComplex);
    assert_eq!(
        d.message,
        "the file is too complex: mappings and lists nest deeper than 64 levels (possible YAML bomb)"
    );
    // The top-level mapping is the first level.
    assert_eq!(position(&text, d.span).0, (1, 3 + 64));

    let block: String = (0..100)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    let d = error::<serde_json::Value>(&block);
    assert_eq!(d.code, Code::YamlTooComplex);

    let ok = format!("a: {}1{}\n", "[".repeat(60), "]".repeat(60));
    let _: serde_json::Value = parse(file(), &ok, &Limits::default()).unwrap();
}

#[test]
fn a_large_file_is_refused_without_parsing() {
    // 20 MB of text that is not even YAML: the size is checked first.
    let text = "{[\"".repeat(7 * 1024 * 1024);
    let started = Instant::now();
    let d = error::<serde_json::Value>(&text);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(d.code, Code::YamlTooLarge);
    assert_eq!(
        d.message,
        "the file is 21 MiB, larger than the limit of 16 MiB"
    );
    assert_eq!(d.span, Span::new(0, 0));
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let d = parse::<serde_json::Value>(file(), "name: joiners\n", &limits).unwrap_err();
    assert_eq!(
        d[0].message,
        "the file is 14 bytes, larger than the limit of 10 bytes"
    );
}

#[test]
fn sizes_read_well() {
    assert_eq!(format_size(1), "1 bytes");
    assert_eq!(format_size(2048), "2 KiB");
    assert_eq!(format_size(16 * 1024 * 1024), "16 MiB");
    assert_eq!(format_size(20_000_000), "19.0 MiB (20000000 bytes)");
}

#[test]
fn limits_read_from_json_with_defaults() {
    let l: Limits = serde_json::from_str(r#"{"max_depth": 8}"#).unwrap();
    assert_eq!(l.max_depth, 8);
    assert_eq!(l.max_nodes, Limits::default().max_nodes);
    assert!(serde_json::from_str::<Limits>(r#"{"max_deep": 8}"#).is_err());
}

#[test]
fn rendering_uses_our_snippet_only() {
    let text = "name: joiners\npriorty: 1\n";
    let d = error::<Policy>(text);
    let rendered = d.render(&Source::new("p.yaml", text));
    assert!(
        rendered.starts_with("error[Y102]: unknown key `priorty`\n --> p.yaml:2:1\n"),
        "{rendered}"
    );
    assert!(!d.message.contains("line"), "{}", d.message);
}

#[test]
fn offsets_of_lines_and_columns() {
    let text = "ab\nzoë x\n";
    assert_eq!(errors::offset_of(text, 1, 1), 0);
    assert_eq!(errors::offset_of(text, 2, 5), 8);
    assert_eq!(errors::offset_of(text, 2, 99), 9);
    assert_eq!(errors::offset_of(text, 9, 1), text.len());
    assert_eq!(errors::offset_of("\u{feff}a: 'x\n", 1, 4), 6);
}

/// Every span of the diagnostics (if any) lies within `text`, on character boundaries.
fn spans_are_in_the_file<T>(
    text: &str,
    result: Result<T, Vec<Diagnostic>>,
) -> Result<(), TestCaseError> {
    let Err(diags) = result else { return Ok(()) };
    prop_assert_eq!(diags.len(), 1);
    for d in diags {
        let spans = std::iter::once(d.span).chain(d.labels.iter().map(|l| l.span));
        for span in spans {
            prop_assert!(span.start <= span.end && span.end <= text.len(), "{:?}", d);
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
        prop_assert!(
            !d.message.is_empty() && !d.message.ends_with('.'),
            "{:?}",
            d
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "(?s)[ -~\\t\\n\\r'\"\\\\:\\-\\[\\]{}&*!|>#%@`é🔑]{0,200}") {
        spans_are_in_the_file(&text, parse::<serde_json::Value>(file(), &text, &Limits::default()))?;
    }

    #[test]
    fn parsing_yaml_like_text_never_panics(text in "((  |- |[a-z]+: |['\"]|\\[|\\]|\\{|\\}|, |&a |\\*a |\\|\\n|>-\\n|\\n|#| )){0,60}") {
        spans_are_in_the_file(&text, parse::<serde_json::Value>(file(), &text, &Limits::default()))?;
        spans_are_in_the_file(&text, parse::<Policy>(file(), &text, &Limits::default()))?;
    }

    #[test]
    fn inner_span_never_panics_and_stays_in_the_file(
        text in "(?s)[ -~\\t\\n\\r'\"\\\\é🔑]{0,120}",
        value in "(?s)[ -~\\n'\"é]{0,40}",
        start in 0usize..160,
        len in 0usize..160,
        a in 0usize..200,
        b in 0usize..200,
    ) {
        let source = YamlSource::new(&text);
        let scalar = Sp::new(value, Span::new(start, start + len));
        let span = source.inner_span(&scalar, Span::new(a, b));
        prop_assert!(span.start <= span.end && span.end <= text.len());
        prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    }

    #[test]
    fn inner_span_of_real_scalars_stays_in_the_scalar(
        body in "[ -~é]{0,30}",
        quote in 0usize..3,
        a in 0usize..40,
        b in 0usize..40,
    ) {
        let value_text = match quote {
            0 => format!("'{}'", body.replace('\'', "''")),
            1 => format!("\"{}\"", body.replace('\\', "\\\\").replace('"', "\\\"")),
            _ => format!("|\n  {}", body.trim_end()),
        };
        let text = format!("k: {value_text}\n");
        prop_assume!(quote < 2 || !body.trim().is_empty());
        if let Ok(m) = parse::<BTreeMap<String, Sp<String>>>(file(), &text, &Limits::default()) {
            let scalar = &m["k"];
            let span = YamlSource::new(&text).inner_span(scalar, Span::new(a, b));
            prop_assert!(span.start >= scalar.span.start && span.end <= scalar.span.end, "{span:?} outside {:?}", scalar.span);
            // Each character maps to itself, or to the escape or doubled quote that wrote it.
            for (k, ch) in scalar.value.char_indices() {
                let at = snippet(&text, YamlSource::new(&text).inner_span(scalar, Span::new(k, k + ch.len_utf8())));
                prop_assert!(at == ch.to_string() || at.starts_with('\\') || at == "''", "{ch:?} -> {at:?} in {text:?}");
            }
        }
    }

    #[test]
    fn inner_span_of_multi_line_scalars_maps_every_character(
        lines in proptest::collection::vec("[a-z (),\"'\\[\\]é\t]{0,12}", 1..5),
        style in 0usize..6,
        crlf in any::<bool>(),
        more in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let indented = |prefix: &str| lines.iter().map(|l| format!("{prefix}{l}")).collect::<Vec<_>>().join(nl);
        let value_text = match style {
            0 => indented("  ").trim_start().to_string(),
            1 => format!("'{}'", indented("  ").trim_start().replace('\'', "''")),
            2 => format!("\"{}\"", indented("  ").trim_start().replace('\\', "\\\\").replace('"', "\\\"")),
            3 => format!(">{nl}{}", indented("  ")),
            4 => format!("|-{nl}{}", indented("  ")),
            _ => format!(">+{nl}{}{nl}{nl}", indented("  ")),
        };
        let after = if more { format!("z: 1{nl}") } else { String::new() };
        let text = format!("k: {value_text}{nl}{after}");
        let Ok(m) = parse::<BTreeMap<String, Sp<String>>>(file(), &text, &Limits::default()) else {
            return Ok(());
        };
        let scalar = &m["k"];
        let source = YamlSource::new(&text);
        for (k, ch) in scalar.value.char_indices() {
            let at = snippet(&text, source.inner_span(scalar, Span::new(k, k + ch.len_utf8())));
            let ok = at == ch.to_string()
                || at.starts_with('\\')
                || (ch == '\'' && at == "''")
                || ((ch == ' ' || ch == '\n') && (at == "\n" || at == "\r\n"))
                || (ch == '\n' && at.is_empty());
            prop_assert!(ok, "{ch:?} at {k} of {:?} -> {at:?} in {text:?}", scalar.value);
        }
    }
}
