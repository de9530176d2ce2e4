//! .NET text behaviours (stub: interface only).

/// `NormalizeDiacritics`: the documented table of accented characters to ASCII.
pub fn normalize_diacritics(s: &str) -> String {
    s.to_string()
}

/// `PCase(s)`: lower-case everything, then upper-case the first letter of each word, with
/// .NET `TextInfo.ToTitleCase` word breaking.
pub fn proper_case(s: &str) -> String {
    s.to_string()
}

/// `PCase(s, separators)`: as [`proper_case`] but only the given characters separate words.
pub fn proper_case_with(s: &str, _separators: &str) -> String {
    s.to_string()
}

/// An unknown culture name given to `ToLower` / `ToUpper`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCulture(pub String);

/// `ToLower(s, culture)`; `None` is the invariant culture.
pub fn to_lower(s: &str, _culture: Option<&str>) -> Result<String, UnknownCulture> {
    Ok(s.to_lowercase())
}

/// `ToUpper(s, culture)`; `None` is the invariant culture.
pub fn to_upper(s: &str, _culture: Option<&str>) -> Result<String, UnknownCulture> {
    Ok(s.to_uppercase())
}

/// `ConvertToBase64`: base64 of the UTF-16LE bytes.
pub fn base64_utf16le(s: &str) -> String {
    s.to_string()
}

/// `ConvertToUTF8Hex`: upper-case hex of the UTF-8 bytes.
pub fn utf8_hex(s: &str) -> String {
    s.to_string()
}

/// `Word(s, n, delimiters)`: the n-th (1-based) word; "" when out of range.
pub fn word(_s: &str, _n: i64, _delimiters: &str) -> String {
    String::new()
}

/// Strips every space character.
pub fn strip_spaces(s: &str) -> String {
    s.replace(' ', "")
}

/// `RandomString` (stub).
pub fn random_string(
    _rng: &mut impl rand::Rng,
    length: usize,
    _min_numbers: usize,
    _min_special: usize,
    _min_capital: usize,
    _min_lower: usize,
    _avoid: &str,
) -> Result<String, String> {
    Ok("x".repeat(length))
}
