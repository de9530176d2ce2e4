//! YAML policy files: deserialisation with exact positions.
//!
//! Policy files are YAML, read with `serde-saphyr` under settings chosen for hand-written
//! configuration that may come from an untrusted pull request: YAML 1.2 booleans only (`yes`
//! stays a string), duplicate keys are errors, merge keys (`<<`) are expanded, unknown tags are
//! refused, and size and complexity are bounded ([`Limits`]) so that an alias bomb is refused
//! quickly. A file holds exactly one YAML document.
//!
//! Every error becomes a [`Diagnostic`] with a `Y1xx` code pointing at the offending bytes.
//! Values that need positions are declared as [`Sp<T>`]; for string values that hold an
//! expression or rule, [`YamlSource::inner_span`] maps a position inside the decoded string
//! back to the file, through quotes, escapes and folded lines.

mod errors;
mod scalar;

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use self::scalar::YamlSource;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, FileId, Span};

/// A value together with the byte range of the YAML node it was read from.
///
/// For a scalar the span covers the whole token, quotes included (for a block scalar, its body
/// from the first content character); for a mapping or a sequence it is empty, at the node's
/// start (a flow collection's span is its opening bracket). A value that came through an alias
/// carries the span of the anchored definition. serde buffers the content of
/// `#[serde(flatten)]` fields and of untagged and internally tagged enums, losing positions:
/// there the span is empty at 0, so prefer externally tagged enums.
/// Comparison, hashing, ordering and serialisation look at the value only, so `Sp<String>`
/// works as a map key.
#[derive(Clone, Debug, Default)]
pub struct Sp<T> {
    /// The value.
    pub value: T,
    /// Where it is in the file.
    pub span: Span,
}

impl<T> Sp<T> {
    /// A value with a span.
    pub const fn new(value: T, span: Span) -> Sp<T> {
        Sp { value, span }
    }

    /// The value, without its span.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Transforms the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sp<U> {
        Sp {
            value: f(self.value),
            span: self.span,
        }
    }
}

impl<T> Deref for Sp<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Sp<T> {}

impl<T: Hash> Hash for Sp<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: PartialOrd> PartialOrd for Sp<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T> Borrow<T> for Sp<T> {
    fn borrow(&self) -> &T {
        &self.value
    }
}

/// Lets maps keyed by `Sp<String>` be searched with a `&str`.
impl Borrow<str> for Sp<String> {
    fn borrow(&self) -> &str {
        &self.value
    }
}

impl<T: fmt::Display> fmt::Display for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        let span = location_span(&spanned.defined)
            .or_else(|| location_span(&spanned.referenced))
            .unwrap_or_default();
        Ok(Sp {
            value: spanned.value,
            span,
        })
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

/// The schema of `T`: the span is not part of the data.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// The byte range of a serde-saphyr location, when it knows one.
fn location_span(location: &serde_saphyr::Location) -> Option<Span> {
    if *location == serde_saphyr::Location::UNKNOWN {
        return None;
    }
    let span = location.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    Some(Span::new(start, start.saturating_add(len)))
}

/// Bounds on what one policy file may cost to load. The defaults are far above what a
/// hand-written policy needs and far below what would hurt: an alias bomb ("billion laughs")
/// is refused after at most a few hundred thousand events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest file accepted, in bytes, checked before parsing. Default 16 MiB.
    pub max_file_bytes: usize,
    /// Deepest nesting of mappings and sequences. Default 64.
    pub max_depth: usize,
    /// Most nodes (scalars, mappings, sequences), counting those repeated by aliases.
    /// Default 250,000.
    pub max_nodes: usize,
    /// Most aliases (`*name`). Default 5,000.
    pub max_aliases: usize,
    /// Most parser events replayed by expanding aliases, in total. Default 100,000.
    pub max_alias_replayed_events: usize,
    /// Most bytes of scalar text, counting text repeated by aliases. Default 64 MiB.
    pub max_scalar_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 250_000,
            max_aliases: 5_000,
            max_alias_replayed_events: 100_000,
            max_scalar_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Reads one YAML document from `text` (the contents of `file`) into a `T`.
///
/// Refuses, each with one diagnostic: a file larger than [`Limits::max_file_bytes`] (without
/// parsing it), YAML syntax errors, more than one document, unknown keys (for types with
/// `#[serde(deny_unknown_fields)]`), duplicate keys, missing keys, values of the wrong type,
/// unknown tags and anything exceeding the other [`Limits`]. Booleans are YAML 1.2's `true` and
/// `false` only; merge keys (`<<`) are expanded.
pub fn parse<T: serde::de::DeserializeOwned>(
    file: FileId,
    text: &str,
    limits: &Limits,
) -> Result<T, Vec<Diagnostic>> {
    if text.len() > limits.max_file_bytes {
        let diagnostic = Diagnostic::new(
            Code::YamlTooLarge,
            Span::new(0, 0),
            format!(
                "the file is {}, larger than the limit of {}",
                format_size(text.len()),
                format_size(limits.max_file_bytes)
            ),
        )
        .with_help("split the policies into several files");
        return Err(vec![Diagnostic { file, ..diagnostic }]);
    }
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: limits.max_depth,
            max_nodes: limits.max_nodes,
            max_aliases: limits.max_aliases,
            max_total_scalar_bytes: limits.max_scalar_bytes,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.max_alias_replayed_events,
        },
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        merge_keys: serde_saphyr::MergeKeyPolicy::Merge,
        reject_unsupported_tags: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<T>(text, options)
        .map_err(|error| vec![errors::to_diagnostic(file, text, limits, &error)])
}

/// A byte count for people (`512 bytes`, `16 MiB`), as every size limit is written.
fn format_size(bytes: usize) -> String {
    crate::files::format_size(u64::try_from(bytes).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
