//! .NET regular expressions (stub: interface only).

/// A compile error, with the byte offset in the pattern where known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    pub message: String,
    pub offset: Option<usize>,
    pub help: Option<String>,
}

/// Options that Entra applies around a pattern.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub case_insensitive: bool,
}

/// A compiled .NET pattern.
#[derive(Debug, Clone)]
pub struct NetRegex {
    inner: regex::Regex,
}

impl NetRegex {
    pub fn new(pattern: &str, options: Options) -> Result<NetRegex, RegexError> {
        regex::RegexBuilder::new(pattern)
            .case_insensitive(options.case_insensitive)
            .build()
            .map(|inner| NetRegex { inner })
            .map_err(|e| RegexError {
                message: e.to_string(),
                offset: None,
                help: None,
            })
    }

    /// Unanchored search.
    pub fn is_match(&self, haystack: &str) -> Result<bool, RegexError> {
        Ok(self.inner.is_match(haystack))
    }

    /// Replaces every match with a .NET replacement pattern (`$1`, `${name}`, `$$`, `$&`...).
    pub fn replace_all(&self, haystack: &str, replacement: &str) -> Result<String, RegexError> {
        Ok(self.inner.replace_all(haystack, replacement).into_owned())
    }

    /// Replaces only the text captured by group `group` in every match.
    pub fn replace_group(
        &self,
        haystack: &str,
        _group: &str,
        replacement: &str,
    ) -> Result<String, RegexError> {
        self.replace_all(haystack, replacement)
    }

    /// The text captured by group `group` in the first match, if any.
    pub fn first_group(&self, haystack: &str, group: &str) -> Result<Option<String>, RegexError> {
        Ok(self
            .inner
            .captures(haystack)
            .and_then(|c| c.name(group))
            .map(|m| m.as_str().to_string()))
    }

    /// Whether the pattern defines a group of that name (or number).
    pub fn has_group(&self, group: &str) -> bool {
        self.inner.capture_names().flatten().any(|n| n == group)
    }
}
