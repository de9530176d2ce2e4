//! JSON parsed exactly as `serde_json` parses it, noting every member that an object has more
//! than once. `serde_json` keeps the last of two same-named members silently; an HR export
//! with `"id": "1", …, "id": "7"` is ambiguous, and readers report it (`D110`) instead of
//! guessing.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

/// One step of the path to a value: an array index or an object member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    /// An array item.
    Index(usize),
    /// An object member.
    Key(String),
}

/// A member that an object holds more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repeat {
    /// The path to the object that holds it.
    pub path: Vec<Seg>,
    /// The member's name (as first written).
    pub member: String,
    /// How many times the object holds it (or, for [`case_repeats`], names differing only in
    /// case).
    pub times: usize,
    /// Whether the names differ in case ([`case_repeats`]).
    pub cased: bool,
}

impl Repeat {
    /// The member names from the root to the repeated member, array indices left out.
    pub(crate) fn keys(&self) -> Vec<&str> {
        self.path
            .iter()
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .chain(std::iter::once(self.member.as_str()))
            .collect()
    }

    /// The member's dotted path below the first `skip` segments (for messages).
    pub(crate) fn dotted(&self, skip: usize) -> String {
        self.path
            .iter()
            .skip(skip)
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .chain(std::iter::once(self.member.as_str()))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Parses JSON text; the value and every repeated member, in document order.
pub(crate) fn parse(text: &str) -> Result<(Json, Vec<Repeat>), serde_json::Error> {
    let repeats = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Node {
        path: None,
        repeats: &repeats,
    }
    .deserialize(&mut de)?;
    de.end()?;
    // One entry per repeated member of one object, with its count.
    let mut merged: Vec<Repeat> = Vec::new();
    let mut index: std::collections::HashMap<(Vec<Seg>, String), usize> =
        std::collections::HashMap::new();
    for r in repeats.into_inner() {
        match index.get(&(r.path.clone(), r.member.clone())) {
            Some(&at) => {
                if let Some(m) = merged.get_mut(at) {
                    m.times += 1;
                }
            }
            None => {
                index.insert((r.path.clone(), r.member.clone()), merged.len());
                merged.push(r);
            }
        }
    }
    Ok((value, merged))
}

/// Members of the objects of `value` (at `path`) whose names differ only in ASCII case, for
/// formats whose names are case-insensitive (SCIM): one [`Repeat`] per such name per object.
pub(crate) fn case_repeats(value: &Json, path: &mut Vec<Seg>, out: &mut Vec<Repeat>) {
    match value {
        Json::Object(map) => {
            check_object(map, path, out);
            for (k, v) in map {
                path.push(Seg::Key(k.clone()));
                case_repeats(v, path, out);
                path.pop();
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                case_repeats(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn check_object(map: &Map<String, Json>, path: &[Seg], out: &mut Vec<Repeat>) {
    if map.len() < 2 {
        return;
    }
    let mut lower: Vec<(String, &str)> = map
        .keys()
        .map(|k| (k.to_ascii_lowercase(), k.as_str()))
        .collect();
    lower.sort();
    let mut i = 0;
    while let Some((name, first)) = lower.get(i) {
        let times = lower
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|(n, _)| n == name)
            .count();
        if times > 1 {
            out.push(Repeat {
                path: path.to_vec(),
                member: (*first).to_string(),
                times,
                cased: true,
            });
        }
        i += times.max(1);
    }
}

/// The path to the value being read: a linked list through the parser's stack frames, so
/// that no path is built unless a member repeats.
#[derive(Clone, Copy)]
struct Path<'a> {
    seg: Step<'a>,
    parent: Option<&'a Path<'a>>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

fn collect(path: Option<&Path<'_>>) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut at = path;
    while let Some(p) = at {
        out.push(match p.seg {
            Step::Index(i) => Seg::Index(i),
            Step::Key(k) => Seg::Key(k.to_string()),
        });
        at = p.parent;
    }
    out.reverse();
    out
}

struct Node<'p, 'r> {
    path: Option<&'p Path<'p>>,
    repeats: &'r RefCell<Vec<Repeat>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        loop {
            let path = Path {
                seg: Step::Index(out.len()),
                parent: self.path,
            };
            let item = seq.next_element_seed(Node {
                path: Some(&path),
                repeats: self.repeats,
            })?;
            match item {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = {
                let path = Path {
                    seg: Step::Key(&key),
                    parent: self.path,
                };
                map.next_value_seed(Node {
                    path: Some(&path),
                    repeats: self.repeats,
                })?
            };
            if out.contains_key(&key) {
                self.repeats.borrow_mut().push(Repeat {
                    path: collect(self.path),
                    member: key.clone(),
                    times: 2,
                    cased: false,
                });
            }
            out.insert(key, value);
        }
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_serde_json_does() {
        for text in [
            r#"[{"a": 1, "b": [true, null, 2.5, -3, "x"], "c": {"d": 18446744073709551615}}]"#,
            r#""\u00e9""#,
            "[]",
            "{}",
        ] {
            let (v, repeats) = parse(text).unwrap();
            assert_eq!(v, serde_json::from_str::<Json>(text).unwrap(), "{text}");
            assert!(repeats.is_empty());
        }
        assert!(parse("[1,]").is_err());
        assert!(parse("[1] x").is_err());
    }

    #[test]
    fn repeated_members_are_found_with_their_path() {
        let (v, repeats) = parse(
            r#"[{"id": "1", "x": 0}, {"id": "1", "n": {"a": 1, "a": 2, "a": 3}, "id": "7"}]"#,
        )
        .unwrap();
        // The value is serde_json's: the last member wins.
        assert_eq!(v[1]["id"], "7");
        assert_eq!(v[1]["n"]["a"], 3);
        assert_eq!(
            repeats,
            [
                Repeat {
                    path: vec![Seg::Index(1), Seg::Key("n".into())],
                    member: "a".into(),
                    times: 3,
                    cased: false,
                },
                Repeat {
                    path: vec![Seg::Index(1)],
                    member: "id".into(),
                    times: 2,
                    cased: false,
                },
            ]
        );
        assert_eq!(repeats[0].keys(), ["n", "a"]);
        assert_eq!(repeats[0].dotted(1), "n.a");
    }

    #[test]
    fn names_differing_in_case() {
        let v: Json =
            serde_json::from_str(r#"{"ops": [{"userName": "a", "USERNAME": "b", "x": 1}]}"#)
                .unwrap();
        let mut out = Vec::new();
        case_repeats(&v, &mut Vec::new(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, [Seg::Key("ops".into()), Seg::Index(0)]);
        assert_eq!(out[0].times, 2);
    }
}
