//! .NET text behaviours behind Entra's string functions: `NormalizeDiacritics`, `PCase`,
//! `ToLower` / `ToUpper` with cultures, `ConvertToBase64`, `ConvertToUTF8Hex`, `Word`,
//! `StripSpaces` and `RandomString`.
//!
//! Everything here works on Unicode scalar values (`char`), never panics, and keeps .NET's
//! rule that changing case maps one character to one character.
//!
//! Decisions where Entra's documentation is silent are recorded on each function under
//! "Decisions", so the project docs can quote them.

use rand::seq::{IndexedRandom, SliceRandom};
use unicode_general_category::{GeneralCategory, get_general_category};

// ---------------------------------------------------------------------------------------------
// NormalizeDiacritics
// ---------------------------------------------------------------------------------------------

/// `NormalizeDiacritics(source)`: replaces the accented characters listed in Entra's
/// documented table with their ASCII equivalents, so names can go into UPNs, SAM account
/// names and mail addresses.
///
/// Source of the table: Microsoft Learn, "Reference for writing expressions for attribute
/// mappings in Microsoft Entra ID", section NormalizeDiacritics (file
/// `docs/identity/app-provisioning/functions-for-customizing-application-data.md` in the public
/// repository MicrosoftDocs/entra-docs, page dated 2024-08-06). It has 261 entries: 169 single
/// precomposed characters and 92 sequences of a base character followed by one or two
/// combining marks (for example `ā` + U+0301, `a` + U+0331, `e` + U+030A + U+0304).
/// Lower-case entries map to lower case, upper-case entries to upper case (`Æ` → `AE`,
/// `Ø` → `OE`), and `ß` → `ss`.
///
/// Decisions:
/// - Only the table applies: characters it does not list pass through unchanged, even common
///   ones such as `œ`, `đ`, `ð`, `þ` or `ṳ` (the table lists `œ̄` and `ṳ̄` only).
/// - Sequences match longest first: `ā` + U+0301 becomes `a`, while `ā` followed by a mark the
///   table does not pair with it becomes `a` and keeps the mark.
/// - Input is not normalised first: a decomposed `e` + U+0301 is not in the table and passes
///   through unchanged (the precomposed `é` becomes `e`).
pub fn normalize_diacritics(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if let Some((marks, replacement)) = sequence_replacement(c, chars.clone()) {
            out.push_str(replacement);
            for _ in 0..marks {
                chars.next();
            }
        } else if let Some(replacement) = single_replacement(c) {
            out.push_str(replacement);
        } else {
            out.push(c);
        }
    }
    out
}

const GRAVE: char = '\u{300}';
const ACUTE: char = '\u{301}';
const CIRCUMFLEX: char = '\u{302}';
const TILDE: char = '\u{303}';
const MACRON: char = '\u{304}';
const DOT_ABOVE: char = '\u{307}';
const DIAERESIS: char = '\u{308}';
const RING_ABOVE: char = '\u{30A}';
const MACRON_BELOW: char = '\u{331}';

/// The table's multi-character entries starting at `base`, given the characters after it:
/// how many combining marks the entry consumes and its replacement.
fn sequence_replacement(
    base: char,
    mut rest: std::str::Chars<'_>,
) -> Option<(usize, &'static str)> {
    let mark1 = rest
        .next()
        .filter(|m| ('\u{300}'..='\u{36F}').contains(m))?;
    if let Some(mark2) = rest.next() {
        let replacement = match (base, mark1, mark2) {
            ('e', RING_ABOVE, MACRON) => Some("e"),
            ('E', RING_ABOVE, MACRON) => Some("E"),
            ('u', DOT_ABOVE, MACRON) => Some("u"),
            ('U', DOT_ABOVE, MACRON) => Some("U"),
            _ => None,
        };
        if let Some(replacement) = replacement {
            return Some((2, replacement));
        }
    }
    let replacement = match (base, mark1) {
        ('ā', ACUTE | GRAVE | CIRCUMFLEX | TILDE | DIAERESIS)
        | ('a', MACRON_BELOW)
        | ('å', MACRON) => "a",
        ('Ā', ACUTE | GRAVE | CIRCUMFLEX | TILDE | DIAERESIS)
        | ('A', MACRON_BELOW)
        | ('Å', MACRON) => "A",
        ('c', MACRON | MACRON_BELOW) => "c",
        ('C', MACRON | MACRON_BELOW) => "C",
        ('d', MACRON) => "d",
        ('D', MACRON) => "D",
        ('ē', CIRCUMFLEX | TILDE) | ('ê' | 'ë', MACRON) | ('e', MACRON_BELOW) => "e",
        ('Ē', CIRCUMFLEX | TILDE) | ('Ê' | 'Ë', MACRON) | ('E', MACRON_BELOW) => "E",
        ('g', MACRON_BELOW) => "g",
        ('G', MACRON_BELOW) => "G",
        ('ī', ACUTE | GRAVE | CIRCUMFLEX | TILDE) | ('i', MACRON_BELOW) => "i",
        ('Ī', ACUTE | GRAVE | CIRCUMFLEX | TILDE) | ('I', MACRON_BELOW) => "I",
        ('l', MACRON) => "l",
        ('L', MACRON) => "L",
        ('n', MACRON) => "n",
        ('N', MACRON) => "N",
        ('ō', CIRCUMFLEX | TILDE | DIAERESIS) | ('o', MACRON_BELOW) => "o",
        ('Ō', CIRCUMFLEX | TILDE | DIAERESIS) | ('O', MACRON_BELOW) => "O",
        ('ø' | 'œ', MACRON) => "oe",
        ('Ø' | 'Œ', MACRON) => "OE",
        ('r', MACRON) => "r",
        ('R', MACRON) => "R",
        ('s', MACRON | MACRON_BELOW) => "s",
        ('S', MACRON | MACRON_BELOW) => "S",
        ('t', MACRON) => "t",
        ('T', MACRON) => "T",
        ('ū', ACUTE | GRAVE | CIRCUMFLEX | TILDE) | ('ṳ', MACRON) | ('u', MACRON_BELOW) => "u",
        ('Ū', ACUTE | GRAVE | CIRCUMFLEX | TILDE) | ('Ṳ', MACRON) | ('U', MACRON_BELOW) => "U",
        ('ȳ', ACUTE | GRAVE | TILDE) | ('y', MACRON_BELOW) => "y",
        ('Ȳ', ACUTE | GRAVE | TILDE) | ('Y', MACRON_BELOW) => "Y",
        ('z', MACRON) => "z",
        ('Z', MACRON) => "Z",
        _ => return None,
    };
    Some((1, replacement))
}

/// The table's single-character entries.
fn single_replacement(c: char) -> Option<&'static str> {
    let replacement = match c {
        'ä' | 'à' | 'â' | 'ã' | 'å' | 'á' | 'ą' | 'ă' | 'ā' | 'ǟ' | 'ǡ' => "a",
        'Ä' | 'À' | 'Â' | 'Ã' | 'Å' | 'Á' | 'Ą' | 'Ă' | 'Ā' | 'Ǟ' | 'Ǡ' => "A",
        'æ' | 'ǣ' => "ae",
        'Æ' | 'Ǣ' => "AE",
        'ç' | 'č' | 'ć' => "c",
        'Ç' | 'Č' | 'Ć' => "C",
        'ď' | 'ḏ' => "d",
        'Ď' | 'Ḏ' => "D",
        'ë' | 'è' | 'é' | 'ê' | 'ę' | 'ě' | 'ė' | 'ē' | 'ḗ' | 'ḕ' => "e",
        'Ë' | 'È' | 'É' | 'Ê' | 'Ę' | 'Ě' | 'Ė' | 'Ē' | 'Ḗ' | 'Ḕ' => "E",
        'ğ' | 'ḡ' => "g",
        'Ğ' | 'Ḡ' => "G",
        'ï' | 'î' | 'ì' | 'í' | 'ı' | 'ī' => "i",
        'Ï' | 'Î' | 'Ì' | 'Í' | 'İ' | 'Ī' => "I",
        'ľ' | 'ł' | 'ḹ' | 'ḻ' => "l",
        'Ł' | 'Ľ' | 'Ḹ' | 'Ḻ' => "L",
        'ñ' | 'ń' | 'ň' | 'ṉ' => "n",
        'Ñ' | 'Ń' | 'Ň' | 'Ṉ' => "N",
        'ö' | 'ò' | 'ő' | 'õ' | 'ô' | 'ó' | 'ō' | 'ṓ' | 'ṑ' | 'ȫ' | 'ǭ' | 'ȭ' | 'ȱ' => {
            "o"
        }
        'Ö' | 'Ò' | 'Ő' | 'Õ' | 'Ô' | 'Ó' | 'Ō' | 'Ṓ' | 'Ṑ' | 'Ȫ' | 'Ǭ' | 'Ȭ' | 'Ȱ' => {
            "O"
        }
        'ø' => "oe",
        'Ø' => "OE",
        'ř' | 'ṟ' | 'ṝ' => "r",
        'Ř' | 'Ṟ' | 'Ṝ' => "R",
        'ß' => "ss",
        'š' | 'ś' | 'ș' | 'ş' => "s",
        'Š' | 'Ś' | 'Ș' | 'Ş' => "S",
        'ť' | 'ț' | 'ṯ' => "t",
        'Ť' | 'Ț' | 'Ṯ' => "T",
        'ü' | 'ù' | 'û' | 'ú' | 'ů' | 'ű' | 'ū' | 'ǖ' | 'ṻ' => "u",
        'Ü' | 'Ù' | 'Û' | 'Ú' | 'Ů' | 'Ű' | 'Ū' | 'Ǖ' | 'Ṻ' => "U",
        'ÿ' | 'ý' | 'ȳ' => "y",
        'Ÿ' | 'Ý' | 'Ȳ' => "Y",
        'ź' | 'ž' | 'ż' | 'ẕ' => "z",
        'Ź' | 'Ž' | 'Ż' | 'Ẕ' => "Z",
        _ => return None,
    };
    Some(replacement)
}

// ---------------------------------------------------------------------------------------------
// Case mapping
// ---------------------------------------------------------------------------------------------

/// An unknown culture name given to `ToLower` / `ToUpper`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCulture(pub String);

impl std::fmt::Display for UnknownCulture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a culture name (expected an RFC 4646 name such as `en-US` or `tr-TR`)",
            self.0
        )
    }
}

impl std::error::Error for UnknownCulture {}

/// The casing rules a culture selects; .NET has exactly three.
///
/// They differ only on the Turkish letters I/ı and İ/i: the invariant culture keeps `ı` on
/// upper-casing and `İ` on lower-casing (Windows behaviour, which .NET reproduces on ICU),
/// other cultures map `ı` → `I` and `İ` → `i`, and Turkic cultures also map `i` → `İ` and
/// `I` → `ı`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRules {
    /// The invariant culture (no culture, or the empty name).
    Invariant,
    /// Any other well-formed culture name, known or not.
    Culture,
    /// Turkish (`tr`) and Azerbaijani (`az`, except `az-Cyrl`).
    Turkic,
}

/// Parses a culture name as `ToLower` / `ToUpper` accept it and returns its casing rules.
///
/// Well-formed means RFC 4646 `language[-Script][-REGION]`: a language of 2-3 ASCII letters,
/// an optional 4-letter script, an optional region of 2 letters or 3 digits, separated by `-`,
/// in any letter case. `None` and `""` are the invariant culture.
pub fn case_rules(culture: Option<&str>) -> Result<CaseRules, UnknownCulture> {
    let name = match culture {
        None | Some("") => return Ok(CaseRules::Invariant),
        Some(name) => name,
    };
    let unknown = || UnknownCulture(name.to_owned());
    let mut parts = name.split('-');
    let language = parts.next().ok_or_else(unknown)?;
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(unknown());
    }
    let mut script: Option<&str> = None;
    let mut region: Option<&str> = None;
    for part in parts {
        let letters = part.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = part.bytes().all(|b| b.is_ascii_digit());
        if script.is_none() && region.is_none() && part.len() == 4 && letters {
            script = Some(part);
        } else if region.is_none() && ((part.len() == 2 && letters) || (part.len() == 3 && digits))
        {
            region = Some(part);
        } else {
            return Err(unknown());
        }
    }
    let cyrillic = script.is_some_and(|s| s.eq_ignore_ascii_case("cyrl"));
    if language.eq_ignore_ascii_case("tr") || (language.eq_ignore_ascii_case("az") && !cyrillic) {
        Ok(CaseRules::Turkic)
    } else {
        Ok(CaseRules::Culture)
    }
}

/// Unicode simple (one-to-one) lower-case mapping, as ICU's `u_tolower`.
fn simple_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == 'İ' {
        // The full mapping is `i` + U+0307; the simple one is `i`.
        return 'i';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Unicode simple (one-to-one) upper-case mapping, as ICU's `u_toupper`: `ß` stays `ß`.
fn simple_upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        // Only these characters have both a multi-character full mapping and a simple
        // mapping: Greek vowels with ypogegrammeni go to their title-case forms.
        _ => match c {
            '\u{1F80}'..='\u{1F87}' | '\u{1F90}'..='\u{1F97}' | '\u{1FA0}'..='\u{1FA7}' => {
                char::from_u32(u32::from(c) + 8).unwrap_or(c)
            }
            '\u{1FB3}' => '\u{1FBC}',
            '\u{1FC3}' => '\u{1FCC}',
            '\u{1FF3}' => '\u{1FFC}',
            _ => c,
        },
    }
}

/// Lower-cases one character under the given rules.
fn lower_char(c: char, rules: CaseRules) -> char {
    match (rules, c) {
        (CaseRules::Invariant, 'İ') => 'İ',
        (CaseRules::Turkic, 'I') => 'ı',
        _ => simple_lower(c),
    }
}

/// Upper-cases one character under the given rules.
fn upper_char(c: char, rules: CaseRules) -> char {
    match (rules, c) {
        (CaseRules::Invariant, 'ı') => 'ı',
        (CaseRules::Turkic, 'i') => 'İ',
        _ => simple_upper(c),
    }
}

/// `ToLower(source, culture)`: lower-cases per character, one to one, so the length in
/// characters never changes (as .NET does). `None` is the invariant culture.
///
/// Decision: any well-formed culture name is accepted; names other than Turkish/Azerbaijani
/// use the plain Unicode mapping, which differs from the invariant culture only in mapping
/// `İ` to `i` (the invariant culture keeps `İ`). A malformed name is [`UnknownCulture`].
pub fn to_lower(s: &str, culture: Option<&str>) -> Result<String, UnknownCulture> {
    let rules = case_rules(culture)?;
    if s.is_ascii() && rules != CaseRules::Turkic {
        return Ok(s.to_ascii_lowercase());
    }
    Ok(s.chars().map(|c| lower_char(c, rules)).collect())
}

/// `ToUpper(source, culture)`: upper-cases per character, one to one (`ß` stays `ß`), so the
/// length in characters never changes. `None` is the invariant culture.
///
/// Decision: as [`to_lower`]; non-Turkic cultures differ from the invariant culture only in
/// mapping `ı` to `I` (the invariant culture keeps `ı`).
pub fn to_upper(s: &str, culture: Option<&str>) -> Result<String, UnknownCulture> {
    let rules = case_rules(culture)?;
    if s.is_ascii() && rules != CaseRules::Turkic {
        return Ok(s.to_ascii_uppercase());
    }
    Ok(s.chars().map(|c| upper_char(c, rules)).collect())
}

// ---------------------------------------------------------------------------------------------
// PCase
// ---------------------------------------------------------------------------------------------

/// The title-case form .NET `ToTitleCase` gives the first letter of a word: the four Latin
/// digraphs have title-case letters, everything else is upper-cased (invariant culture).
fn title_char(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        _ => upper_char(c, CaseRules::Invariant),
    }
}

/// Letters in .NET's sense: Lu, Ll, Lt, Lm, Lo.
fn is_letter(category: GeneralCategory) -> bool {
    matches!(
        category,
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    )
}

/// The categories .NET `ToTitleCase` treats as ending a word: separators (Zs, Zl, Zp), Cc, Cf,
/// all punctuation and all symbols. Marks, digits, private use and unassigned code points
/// belong to the word.
fn is_word_separator(category: GeneralCategory) -> bool {
    matches!(
        category,
        GeneralCategory::SpaceSeparator
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::ConnectorPunctuation
            | GeneralCategory::DashPunctuation
            | GeneralCategory::OpenPunctuation
            | GeneralCategory::ClosePunctuation
            | GeneralCategory::InitialPunctuation
            | GeneralCategory::FinalPunctuation
            | GeneralCategory::OtherPunctuation
            | GeneralCategory::MathSymbol
            | GeneralCategory::CurrencySymbol
            | GeneralCategory::ModifierSymbol
            | GeneralCategory::OtherSymbol
    )
}

/// `PCase(source)`: lower-cases everything (invariant culture), then upper-cases the first
/// letter of each word, breaking words as .NET `TextInfo.ToTitleCase` does.
///
/// "PABLO GONSALVES (SECOND)" → "Pablo Gonsalves (Second)".
///
/// Decisions (all following `ToTitleCase`):
/// - A word starts at a letter (Lu, Ll, Lt, Lm, Lo); other characters before it are copied,
///   so "1st" → "1St" and "(2ND)" → "(2Nd)".
/// - Inside a word, everything up to a separator (see the categories in the module source:
///   spaces, controls, format characters, punctuation, symbols) stays in the word, including
///   digits and combining marks.
/// - The ASCII apostrophe `'` is punctuation, but after a letter it does not end the word:
///   "o'neil" → "O'neil", "O'NEIL" → "O'neil". At the start of a word it is an ordinary
///   separator: "'abc" → "'Abc". The typographic apostrophe `’` (U+2019) always separates:
///   "o’neil" → "O’Neil".
/// - Digraphs take their title-case letter: "ǆ" → "ǅ". `ß` stays `ß`.
pub fn proper_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        let lower = lower_char(c, CaseRules::Invariant);
        let category = get_general_category(lower);
        if in_word {
            if lower != '\'' && is_word_separator(category) {
                in_word = false;
            }
            out.push(lower);
        } else if is_letter(category) {
            out.push(title_char(lower));
            in_word = true;
        } else {
            out.push(lower);
        }
    }
    out
}

/// `PCase(source, wordSeparators)`: as [`proper_case`] but only the characters in
/// `separators` separate words: `PCase("PINTO-DE'SILVA", " '-")` → "Pinto-De'Silva".
///
/// Decisions:
/// - The first character of each word is upper-cased whatever it is, so with `" "` as the only
///   separator "(SECOND)" → "(second)" (upper-casing `(` changes nothing).
/// - Separator characters are copied unchanged; every other character is lower-cased
///   (invariant culture).
/// - An empty `separators` means the parameter was not given: the default word breaking of
///   [`proper_case`] applies.
pub fn proper_case_with(s: &str, separators: &str) -> String {
    if separators.is_empty() {
        return proper_case(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut word_start = true;
    for c in s.chars() {
        if separators.contains(c) {
            out.push(c);
            word_start = true;
        } else if word_start {
            out.push(title_char(lower_char(c, CaseRules::Invariant)));
            word_start = false;
        } else {
            out.push(lower_char(c, CaseRules::Invariant));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------------------------

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Standard base64 (RFC 4648 alphabet, `=` padding) of a byte slice.
fn base64_encode(bytes: &[u8]) -> String {
    let symbol = |index: u32| {
        usize::try_from(index & 0x3F)
            .ok()
            .and_then(|i| BASE64_ALPHABET.get(i))
            .map_or('=', |&b| char::from(b))
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        out.push(symbol(group >> 18));
        out.push(symbol(group >> 12));
        out.push(if chunk.len() > 1 {
            symbol(group >> 6)
        } else {
            '='
        });
        out.push(if chunk.len() > 2 { symbol(group) } else { '=' });
    }
    out
}

/// `ConvertToBase64(source)`: base64 of the string's UTF-16LE bytes (.NET's
/// `Encoding.Unicode`), as Entra documents: "Hello world!" → "SABlAGwAbABvACAAdwBvAHIAbABkACEA".
pub fn base64_utf16le(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64_encode(&bytes)
}

/// `ConvertToUTF8Hex(source)`: upper-case hexadecimal of the string's UTF-8 bytes, two digits a
/// byte, no separators: "Hello world!" → "48656C6C6F20776F726C6421".
pub fn utf8_hex(s: &str) -> String {
    let digit = |nibble: u8| {
        HEX_DIGITS
            .get(usize::from(nibble & 0x0F))
            .map_or('0', |&b| char::from(b))
    };
    let mut out = String::with_capacity(s.len() * 2);
    for byte in s.bytes() {
        out.push(digit(byte >> 4));
        out.push(digit(byte));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Word, StripSpaces
// ---------------------------------------------------------------------------------------------

/// `Word(string, wordNumber, delimiters)`: the `n`-th word (1-based), where every character of
/// `delimiters` separates words; "" when `n < 1` or there are fewer than `n` words.
/// `Word("The quick brown fox", 3, " ")` → "brown".
///
/// Decisions:
/// - Runs of delimiters, and delimiters at either end, produce no empty words:
///   `Word("a,,b", 2, ",")` → "b".
/// - A string without any delimiter is one word: `Word("Madonna", 1, " ")` → "Madonna".
/// - An empty `delimiters` splits on white space, as .NET `String.Split` does when given no
///   separator characters.
pub fn word(s: &str, n: i64, delimiters: &str) -> String {
    let Some(index) = n.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else {
        return String::new();
    };
    let found = if delimiters.is_empty() {
        s.split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .nth(index)
    } else {
        s.split(|c| delimiters.contains(c))
            .filter(|w| !w.is_empty())
            .nth(index)
    };
    found.unwrap_or_default().to_owned()
}

/// `StripSpaces(source)`: removes every space (U+0020) and nothing else, as documented; tabs,
/// no-break spaces and other white space stay.
pub fn strip_spaces(s: &str) -> String {
    s.chars().filter(|&c| c != ' ').collect()
}

// ---------------------------------------------------------------------------------------------
// RandomString
// ---------------------------------------------------------------------------------------------

/// The longest string `RandomString` generates, as documented.
pub const RANDOM_STRING_MAX_LENGTH: i64 = 256;

/// The special characters `RandomString` draws from: the non-alphanumeric characters of the
/// Windows password complexity rules, which Entra's documentation points to (all 32 ASCII
/// punctuation characters).
pub const RANDOM_STRING_SPECIALS: &str = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";

/// `RandomString(length, minNumbers, minSpecial, minCapital, minLower, charactersToAvoid)`: a
/// random string of `length` characters with at least the given number of ASCII digits,
/// special characters ([`RANDOM_STRING_SPECIALS`]), ASCII capitals and ASCII lower-case
/// letters, never using a character of `avoid`.
///
/// The required characters are drawn first, the rest of the length from all four classes
/// together, and the whole is shuffled so the required classes sit at random positions.
///
/// Errors (lower-case messages): a negative argument, `length` over 256, `length` below the
/// sum of the four minimums, or a class emptied by `avoid` while still needed.
///
/// Decision: the characters beyond the minimums come from all four classes, even a class whose
/// minimum is 0 (the minimums are lower bounds, not the only classes allowed).
pub fn random_string(
    rng: &mut impl rand::Rng,
    length: i64,
    min_numbers: i64,
    min_special: i64,
    min_capital: i64,
    min_lower: i64,
    avoid: &str,
) -> Result<String, String> {
    let minimums = [
        ("numbers", min_numbers),
        ("special characters", min_special),
        ("capital letters", min_capital),
        ("lower-case letters", min_lower),
    ];
    if length < 0 {
        return Err(format!("length must not be negative, got {length}"));
    }
    if length > RANDOM_STRING_MAX_LENGTH {
        return Err(format!(
            "length {length} is more than the maximum of {RANDOM_STRING_MAX_LENGTH}"
        ));
    }
    for (name, minimum) in minimums {
        if minimum < 0 {
            return Err(format!(
                "the minimum number of {name} must not be negative, got {minimum}"
            ));
        }
    }
    let required = minimums
        .iter()
        .fold(0i64, |sum, (_, minimum)| sum.saturating_add(*minimum));
    if required > length {
        return Err(format!(
            "length {length} is less than the sum of the minimums ({required})"
        ));
    }

    let keep = |c: &char| !avoid.contains(*c);
    let pools: [Vec<char>; 4] = [
        ('0'..='9').filter(keep).collect(),
        RANDOM_STRING_SPECIALS.chars().filter(keep).collect(),
        ('A'..='Z').filter(keep).collect(),
        ('a'..='z').filter(keep).collect(),
    ];
    let mut out: Vec<char> = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    for ((name, minimum), pool) in minimums.iter().zip(&pools) {
        for _ in 0..*minimum {
            let c = pool.choose(rng).ok_or_else(|| {
                format!("at least {minimum} {name} are required but all of them are to be avoided")
            })?;
            out.push(*c);
        }
    }
    let everything: Vec<char> = pools.concat();
    for _ in required..length {
        let c = everything.choose(rng).ok_or_else(|| {
            "every character that could be used is among the characters to avoid".to_owned()
        })?;
        out.push(*c);
    }
    out.shuffle(rng);
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    // --- NormalizeDiacritics -----------------------------------------------------------------

    /// Every entry of the documented table, as code points, with its replacement.
    const TABLE: &[(&str, &str)] = &[
        ("\u{E4}", "a"),
        ("\u{E0}", "a"),
        ("\u{E2}", "a"),
        ("\u{E3}", "a"),
        ("\u{E5}", "a"),
        ("\u{E1}", "a"),
        ("\u{105}", "a"),
        ("\u{103}", "a"),
        ("\u{101}", "a"),
        ("\u{101}\u{301}", "a"),
        ("\u{101}\u{300}", "a"),
        ("\u{101}\u{302}", "a"),
        ("\u{101}\u{303}", "a"),
        ("\u{1DF}", "a"),
        ("\u{101}\u{308}", "a"),
        ("\u{1E1}", "a"),
        ("\u{61}\u{331}", "a"),
        ("\u{E5}\u{304}", "a"),
        ("\u{C4}", "A"),
        ("\u{C0}", "A"),
        ("\u{C2}", "A"),
        ("\u{C3}", "A"),
        ("\u{C5}", "A"),
        ("\u{C1}", "A"),
        ("\u{104}", "A"),
        ("\u{102}", "A"),
        ("\u{100}", "A"),
        ("\u{100}\u{301}", "A"),
        ("\u{100}\u{300}", "A"),
        ("\u{100}\u{302}", "A"),
        ("\u{100}\u{303}", "A"),
        ("\u{1DE}", "A"),
        ("\u{100}\u{308}", "A"),
        ("\u{1E0}", "A"),
        ("\u{41}\u{331}", "A"),
        ("\u{C5}\u{304}", "A"),
        ("\u{E6}", "ae"),
        ("\u{1E3}", "ae"),
        ("\u{C6}", "AE"),
        ("\u{1E2}", "AE"),
        ("\u{E7}", "c"),
        ("\u{10D}", "c"),
        ("\u{107}", "c"),
        ("\u{63}\u{304}", "c"),
        ("\u{63}\u{331}", "c"),
        ("\u{C7}", "C"),
        ("\u{10C}", "C"),
        ("\u{106}", "C"),
        ("\u{43}\u{304}", "C"),
        ("\u{43}\u{331}", "C"),
        ("\u{10F}", "d"),
        ("\u{64}\u{304}", "d"),
        ("\u{1E0F}", "d"),
        ("\u{10E}", "D"),
        ("\u{44}\u{304}", "D"),
        ("\u{1E0E}", "D"),
        ("\u{EB}", "e"),
        ("\u{E8}", "e"),
        ("\u{E9}", "e"),
        ("\u{EA}", "e"),
        ("\u{119}", "e"),
        ("\u{11B}", "e"),
        ("\u{117}", "e"),
        ("\u{113}", "e"),
        ("\u{1E17}", "e"),
        ("\u{1E15}", "e"),
        ("\u{113}\u{302}", "e"),
        ("\u{113}\u{303}", "e"),
        ("\u{EA}\u{304}", "e"),
        ("\u{65}\u{331}", "e"),
        ("\u{EB}\u{304}", "e"),
        ("\u{65}\u{30A}\u{304}", "e"),
        ("\u{CB}", "E"),
        ("\u{C8}", "E"),
        ("\u{C9}", "E"),
        ("\u{CA}", "E"),
        ("\u{118}", "E"),
        ("\u{11A}", "E"),
        ("\u{116}", "E"),
        ("\u{112}", "E"),
        ("\u{1E16}", "E"),
        ("\u{1E14}", "E"),
        ("\u{112}\u{302}", "E"),
        ("\u{112}\u{303}", "E"),
        ("\u{CA}\u{304}", "E"),
        ("\u{45}\u{331}", "E"),
        ("\u{CB}\u{304}", "E"),
        ("\u{45}\u{30A}\u{304}", "E"),
        ("\u{11F}", "g"),
        ("\u{1E21}", "g"),
        ("\u{67}\u{331}", "g"),
        ("\u{11E}", "G"),
        ("\u{1E20}", "G"),
        ("\u{47}\u{331}", "G"),
        ("\u{EF}", "i"),
        ("\u{EE}", "i"),
        ("\u{EC}", "i"),
        ("\u{ED}", "i"),
        ("\u{131}", "i"),
        ("\u{12B}", "i"),
        ("\u{12B}\u{301}", "i"),
        ("\u{12B}\u{300}", "i"),
        ("\u{12B}\u{302}", "i"),
        ("\u{12B}\u{303}", "i"),
        ("\u{69}\u{331}", "i"),
        ("\u{CF}", "I"),
        ("\u{CE}", "I"),
        ("\u{CC}", "I"),
        ("\u{CD}", "I"),
        ("\u{130}", "I"),
        ("\u{12A}", "I"),
        ("\u{12A}\u{301}", "I"),
        ("\u{12A}\u{300}", "I"),
        ("\u{12A}\u{302}", "I"),
        ("\u{12A}\u{303}", "I"),
        ("\u{49}\u{331}", "I"),
        ("\u{13E}", "l"),
        ("\u{142}", "l"),
        ("\u{6C}\u{304}", "l"),
        ("\u{1E39}", "l"),
        ("\u{1E3B}", "l"),
        ("\u{141}", "L"),
        ("\u{13D}", "L"),
        ("\u{4C}\u{304}", "L"),
        ("\u{1E38}", "L"),
        ("\u{1E3A}", "L"),
        ("\u{F1}", "n"),
        ("\u{144}", "n"),
        ("\u{148}", "n"),
        ("\u{6E}\u{304}", "n"),
        ("\u{1E49}", "n"),
        ("\u{D1}", "N"),
        ("\u{143}", "N"),
        ("\u{147}", "N"),
        ("\u{4E}\u{304}", "N"),
        ("\u{1E48}", "N"),
        ("\u{F6}", "o"),
        ("\u{F2}", "o"),
        ("\u{151}", "o"),
        ("\u{F5}", "o"),
        ("\u{F4}", "o"),
        ("\u{F3}", "o"),
        ("\u{14D}", "o"),
        ("\u{1E53}", "o"),
        ("\u{1E51}", "o"),
        ("\u{14D}\u{302}", "o"),
        ("\u{14D}\u{303}", "o"),
        ("\u{22B}", "o"),
        ("\u{14D}\u{308}", "o"),
        ("\u{1ED}", "o"),
        ("\u{22D}", "o"),
        ("\u{231}", "o"),
        ("\u{6F}\u{331}", "o"),
        ("\u{D6}", "O"),
        ("\u{D2}", "O"),
        ("\u{150}", "O"),
        ("\u{D5}", "O"),
        ("\u{D4}", "O"),
        ("\u{D3}", "O"),
        ("\u{14C}", "O"),
        ("\u{1E52}", "O"),
        ("\u{1E50}", "O"),
        ("\u{14C}\u{302}", "O"),
        ("\u{14C}\u{303}", "O"),
        ("\u{22A}", "O"),
        ("\u{14C}\u{308}", "O"),
        ("\u{1EC}", "O"),
        ("\u{22C}", "O"),
        ("\u{230}", "O"),
        ("\u{4F}\u{331}", "O"),
        ("\u{F8}", "oe"),
        ("\u{F8}\u{304}", "oe"),
        ("\u{153}\u{304}", "oe"),
        ("\u{D8}", "OE"),
        ("\u{D8}\u{304}", "OE"),
        ("\u{152}\u{304}", "OE"),
        ("\u{159}", "r"),
        ("\u{72}\u{304}", "r"),
        ("\u{1E5F}", "r"),
        ("\u{1E5D}", "r"),
        ("\u{158}", "R"),
        ("\u{52}\u{304}", "R"),
        ("\u{1E5E}", "R"),
        ("\u{1E5C}", "R"),
        ("\u{DF}", "ss"),
        ("\u{161}", "s"),
        ("\u{15B}", "s"),
        ("\u{219}", "s"),
        ("\u{15F}", "s"),
        ("\u{73}\u{304}", "s"),
        ("\u{73}\u{331}", "s"),
        ("\u{160}", "S"),
        ("\u{15A}", "S"),
        ("\u{218}", "S"),
        ("\u{15E}", "S"),
        ("\u{53}\u{304}", "S"),
        ("\u{53}\u{331}", "S"),
        ("\u{165}", "t"),
        ("\u{21B}", "t"),
        ("\u{74}\u{304}", "t"),
        ("\u{1E6F}", "t"),
        ("\u{164}", "T"),
        ("\u{21A}", "T"),
        ("\u{54}\u{304}", "T"),
        ("\u{1E6E}", "T"),
        ("\u{FC}", "u"),
        ("\u{F9}", "u"),
        ("\u{FB}", "u"),
        ("\u{FA}", "u"),
        ("\u{16F}", "u"),
        ("\u{171}", "u"),
        ("\u{16B}", "u"),
        ("\u{16B}\u{301}", "u"),
        ("\u{16B}\u{300}", "u"),
        ("\u{16B}\u{302}", "u"),
        ("\u{16B}\u{303}", "u"),
        ("\u{75}\u{307}\u{304}", "u"),
        ("\u{1D6}", "u"),
        ("\u{1E7B}", "u"),
        ("\u{1E73}\u{304}", "u"),
        ("\u{75}\u{331}", "u"),
        ("\u{DC}", "U"),
        ("\u{D9}", "U"),
        ("\u{DB}", "U"),
        ("\u{DA}", "U"),
        ("\u{16E}", "U"),
        ("\u{170}", "U"),
        ("\u{16A}", "U"),
        ("\u{16A}\u{301}", "U"),
        ("\u{16A}\u{300}", "U"),
        ("\u{16A}\u{302}", "U"),
        ("\u{16A}\u{303}", "U"),
        ("\u{55}\u{307}\u{304}", "U"),
        ("\u{1D5}", "U"),
        ("\u{1E7A}", "U"),
        ("\u{1E72}\u{304}", "U"),
        ("\u{55}\u{331}", "U"),
        ("\u{FF}", "y"),
        ("\u{FD}", "y"),
        ("\u{233}", "y"),
        ("\u{233}\u{301}", "y"),
        ("\u{233}\u{300}", "y"),
        ("\u{233}\u{303}", "y"),
        ("\u{79}\u{331}", "y"),
        ("\u{178}", "Y"),
        ("\u{DD}", "Y"),
        ("\u{232}", "Y"),
        ("\u{232}\u{301}", "Y"),
        ("\u{232}\u{300}", "Y"),
        ("\u{232}\u{303}", "Y"),
        ("\u{59}\u{331}", "Y"),
        ("\u{17A}", "z"),
        ("\u{17E}", "z"),
        ("\u{17C}", "z"),
        ("\u{7A}\u{304}", "z"),
        ("\u{1E95}", "z"),
        ("\u{179}", "Z"),
        ("\u{17D}", "Z"),
        ("\u{17B}", "Z"),
        ("\u{5A}\u{304}", "Z"),
        ("\u{1E94}", "Z"),
    ];

    #[test]
    fn normalize_diacritics_documented_example() {
        assert_eq!(normalize_diacritics("Zoë"), "Zoe");
    }

    #[test]
    fn normalize_diacritics_every_table_entry() {
        assert_eq!(TABLE.len(), 261);
        for (from, to) in TABLE {
            assert_eq!(normalize_diacritics(from), *to, "entry {from:?}");
            // In context, too.
            assert_eq!(
                normalize_diacritics(&format!("x{from}y")),
                format!("x{to}y"),
                "entry {from:?}"
            );
        }
    }

    #[test]
    fn normalize_diacritics_brief_examples() {
        assert_eq!(normalize_diacritics("äàå"), "aaa");
        assert_eq!(
            normalize_diacritics("æ Æ ø Ø ß Ł ñ ç"),
            "ae AE oe OE ss L n c"
        );
        assert_eq!(normalize_diacritics("Jéssica Smith"), "Jessica Smith");
        assert_eq!(normalize_diacritics("Łukasz Żółć"), "Lukasz Zolc");
        assert_eq!(
            normalize_diacritics("Ørsted Søren Åsa"),
            "OErsted Soeren Asa"
        );
        assert_eq!(normalize_diacritics("Strauß"), "Strauss");
        assert_eq!(normalize_diacritics("İsmail Işık"), "Ismail Isik");
    }

    #[test]
    fn normalize_diacritics_passes_through_what_the_table_lacks() {
        assert_eq!(normalize_diacritics(""), "");
        assert_eq!(
            normalize_diacritics("plain ASCII 123 !?"),
            "plain ASCII 123 !?"
        );
        assert_eq!(normalize_diacritics("œ Œ đ Đ ð þ ṳ"), "œ Œ đ Đ ð þ ṳ");
        assert_eq!(normalize_diacritics("日本語 Ελλάδα"), "日本語 Ελλάδα");
        // Decomposed input is not composed first.
        assert_eq!(normalize_diacritics("e\u{301}"), "e\u{301}");
        // A mark the table does not pair with the base stays.
        assert_eq!(normalize_diacritics("ā\u{306}"), "a\u{306}");
        assert_eq!(normalize_diacritics("e\u{30A}"), "e\u{30A}");
        assert_eq!(normalize_diacritics("e\u{30A}\u{301}"), "e\u{30A}\u{301}");
        // Longest match: the three-character entry wins over nothing, the two-character entry
        // over the single one.
        assert_eq!(normalize_diacritics("e\u{30A}\u{304}z"), "ez");
        assert_eq!(normalize_diacritics("ā\u{301}\u{301}"), "a\u{301}");
        assert_eq!(normalize_diacritics("ṳ\u{304}"), "u");
        // A mark at the very start or end.
        assert_eq!(normalize_diacritics("\u{304}a"), "\u{304}a");
        assert_eq!(normalize_diacritics("a\u{331}"), "a");
        assert_eq!(normalize_diacritics("ā"), "a");
    }

    // --- Case mapping ------------------------------------------------------------------------

    #[test]
    fn culture_names() {
        for ok in [
            "en-US",
            "en-us",
            "EN-us",
            "ja-JP",
            "de",
            "fil-PH",
            "sr-Latn-RS",
            "zh-Hans",
            "es-419",
            "xx-YY",
        ] {
            assert_eq!(case_rules(Some(ok)), Ok(CaseRules::Culture), "{ok}");
        }
        for turkic in ["tr", "tr-TR", "TR-tr", "az", "az-AZ", "az-Latn-AZ"] {
            assert_eq!(case_rules(Some(turkic)), Ok(CaseRules::Turkic), "{turkic}");
        }
        assert_eq!(case_rules(Some("az-Cyrl-AZ")), Ok(CaseRules::Culture));
        assert_eq!(case_rules(None), Ok(CaseRules::Invariant));
        assert_eq!(case_rules(Some("")), Ok(CaseRules::Invariant));
        for bad in [
            "e",
            "engl",
            "en_US",
            "en-",
            "-US",
            "en-USA",
            "en-U5",
            "en--US",
            "en-US-Latn",
            "en-Latn-US-x",
            "én",
            " en",
            "12",
        ] {
            assert_eq!(
                case_rules(Some(bad)),
                Err(UnknownCulture(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(to_lower("A", Some("en_US")).is_err());
        assert!(to_upper("a", Some("nonsense-culture")).is_err());
        assert!(UnknownCulture("x".into()).to_string().contains("`x`"));
    }

    #[test]
    fn invariant_casing() {
        assert_eq!(
            to_lower("John.Smith@Contoso.COM", None).unwrap(),
            "john.smith@contoso.com"
        );
        assert_eq!(to_upper("john.smith", None).unwrap(), "JOHN.SMITH");
        assert_eq!(to_upper("Straße", None).unwrap(), "STRAßE");
        assert_eq!(to_lower("ÀÉÎÕÜ ΣΑΣ ДОМ", None).unwrap(), "àéîõü σασ дом");
        assert_eq!(
            to_upper("àéîõü σας дом ÿ", None).unwrap(),
            "ÀÉÎÕÜ ΣΑΣ ДОМ Ÿ"
        );
        // Dotted and dotless i keep themselves in the invariant culture.
        assert_eq!(to_lower("İI", None).unwrap(), "İi");
        assert_eq!(to_upper("ıi", None).unwrap(), "ıI");
        // One to one, where the full mappings would grow.
        assert_eq!(to_upper("ŉ ǰ ﬀ ﬁ ΐ", None).unwrap(), "ŉ ǰ ﬀ ﬁ ΐ");
        assert_eq!(to_upper("ᾳ ῃ ῳ ᾀ ᾗ ᾧ", None).unwrap(), "ᾼ ῌ ῼ ᾈ ᾟ ᾯ");
        assert_eq!(to_lower("ᾼ ᾈ", None).unwrap(), "ᾳ ᾀ");
        assert_eq!(to_upper("ǆ ǅ", None).unwrap(), "Ǆ Ǆ");
        assert_eq!(to_lower("Ǆ ǅ", None).unwrap(), "ǆ ǆ");
        // Outside the BMP.
        assert_eq!(to_lower("𐐀", None).unwrap(), "𐐨");
        assert_eq!(to_upper("𐐨", None).unwrap(), "𐐀");
        assert_eq!(to_lower("", None).unwrap(), "");
    }

    #[test]
    fn culture_casing() {
        assert_eq!(to_lower("İI", Some("en-US")).unwrap(), "ii");
        assert_eq!(to_upper("ıi", Some("en-US")).unwrap(), "II");
        assert_eq!(to_upper("straße", Some("de-DE")).unwrap(), "STRAßE");
        assert_eq!(to_lower("ABC", Some("ja-JP")).unwrap(), "abc");
    }

    #[test]
    fn turkic_casing() {
        assert_eq!(to_lower("IİıiIĞDIR", Some("tr-TR")).unwrap(), "ıiıiığdır");
        assert_eq!(
            to_upper("iıIİistanbul", Some("tr-TR")).unwrap(),
            "İIIİİSTANBUL"
        );
        assert_eq!(to_upper("iyi", Some("az-Latn-AZ")).unwrap(), "İYİ");
        assert_eq!(to_lower("DIŞ", Some("az")).unwrap(), "dış");
    }

    #[test]
    fn simple_mappings_are_one_to_one_everywhere() {
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            for rules in [CaseRules::Invariant, CaseRules::Culture, CaseRules::Turkic] {
                // Both mappings are idempotent; `proper_case` relies on it for lower-casing.
                let lower = lower_char(c, rules);
                assert_eq!(lower_char(lower, rules), lower, "{c:?}");
                let upper = upper_char(c, rules);
                assert_eq!(upper_char(upper, rules), upper, "{c:?}");
            }
            let mut full = c.to_uppercase();
            if let (Some(u), None) = (full.next(), full.next()) {
                assert_eq!(simple_upper(c), u);
            }
        }
    }

    // --- PCase -------------------------------------------------------------------------------

    #[test]
    fn proper_case_documented_examples() {
        assert_eq!(
            proper_case("PABLO GONSALVES (SECOND)"),
            "Pablo Gonsalves (Second)"
        );
        assert_eq!(proper_case("GREGORY JAMES"), "Gregory James");
        assert_eq!(proper_case("gregory james"), "Gregory James");
        assert_eq!(proper_case_with("PINTO-DE'SILVA", " '-"), "Pinto-De'Silva");
    }

    #[test]
    fn proper_case_word_breaking() {
        assert_eq!(proper_case(""), "");
        assert_eq!(proper_case("anne-marie o'neil"), "Anne-Marie O'neil");
        assert_eq!(proper_case("O'NEIL"), "O'neil");
        assert_eq!(proper_case("'abc'"), "'Abc'");
        assert_eq!(proper_case("o’neil"), "O’Neil");
        assert_eq!(proper_case("d'"), "D'");
        assert_eq!(proper_case("1st 2ND"), "1St 2Nd");
        assert_eq!(proper_case("abc1def"), "Abc1def");
        assert_eq!(
            proper_case("snake_case.dotted/slash+plus$dollar"),
            "Snake_Case.Dotted/Slash+Plus$Dollar"
        );
        assert_eq!(
            proper_case("a\tb\nc\u{A0}d\u{200B}e"),
            "A\tB\nC\u{A0}D\u{200B}E"
        );
        assert_eq!(proper_case("«éLODIE» ÇA"), "«Élodie» Ça");
        assert_eq!(proper_case("ÉMILE ZOLA"), "Émile Zola");
        assert_eq!(proper_case("ǆemal ǄEMAL"), "ǅemal ǅemal");
        assert_eq!(proper_case("STRASSE ßtraße"), "Strasse ßtraße");
        assert_eq!(proper_case("İSTANBUL ıSPARTA"), "İstanbul ısparta");
        assert_eq!(proper_case("東京 tokyo"), "東京 Tokyo");
        // A combining mark after a separator does not start a word; the next letter does.
        assert_eq!(proper_case("x \u{301}abc"), "X \u{301}Abc");
        // Marks inside a word stay in the word.
        assert_eq!(proper_case("ZOE\u{308}LLE"), "Zoe\u{308}lle");
    }

    #[test]
    fn proper_case_with_separators() {
        assert_eq!(proper_case_with("PABLO (SECOND)", " "), "Pablo (second)");
        assert_eq!(proper_case_with("o'neil-smith", "'"), "O'Neil-smith");
        assert_eq!(proper_case_with("MARY ANN", "-"), "Mary ann");
        assert_eq!(proper_case_with("  lead  trail  ", " "), "  Lead  Trail  ");
        assert_eq!(proper_case_with("aXbXc", "X"), "AXBXC");
        assert_eq!(proper_case_with("", " "), "");
        assert_eq!(proper_case_with("ǉubljana", " "), "ǈubljana");
        // Empty separators: the default word breaking.
        assert_eq!(proper_case_with("PABLO (SECOND)", ""), "Pablo (Second)");
    }

    // --- Encodings ---------------------------------------------------------------------------

    #[test]
    fn base64_documented_example() {
        assert_eq!(
            base64_utf16le("Hello world!"),
            "SABlAGwAbABvACAAdwBvAHIAbABkACEA"
        );
    }

    #[test]
    fn base64_padding_and_non_ascii() {
        assert_eq!(base64_utf16le(""), "");
        assert_eq!(base64_utf16le("a"), "YQA=");
        assert_eq!(base64_utf16le("ab"), "YQBiAA==");
        assert_eq!(base64_utf16le("abc"), "YQBiAGMA");
        assert_eq!(base64_utf16le("é"), "6QA=");
        // A surrogate pair: U+1F600 is D83D DE00.
        assert_eq!(base64_utf16le("😀"), "PdgA3g==");
        // RFC 4648 test vectors for the encoder itself.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), expected);
        }
        assert_eq!(base64_encode(&[0xFB, 0xFF, 0xBF]), "+/+/");
    }

    #[test]
    fn utf8_hex_examples() {
        assert_eq!(utf8_hex("Hello world!"), "48656C6C6F20776F726C6421");
        assert_eq!(utf8_hex(""), "");
        assert_eq!(utf8_hex("é€😀"), "C3A9E282ACF09F9880");
        assert_eq!(
            utf8_hex("00aa00aa-bb11-cc22-dd33-44ee44ee44ee"),
            "30306161303061612D626231312D636332322D646433332D343465653434656534346565"
        );
    }

    // --- Word, StripSpaces -------------------------------------------------------------------

    #[test]
    fn word_documented_examples() {
        assert_eq!(word("The quick brown fox", 3, " "), "brown");
        assert_eq!(word("This,string!has&many separators", 3, ",!&#"), "has");
    }

    #[test]
    fn word_edge_cases() {
        assert_eq!(word("The quick brown fox", 0, " "), "");
        assert_eq!(word("The quick brown fox", -1, " "), "");
        assert_eq!(word("The quick brown fox", i64::MIN, " "), "");
        assert_eq!(word("The quick brown fox", i64::MAX, " "), "");
        assert_eq!(word("The quick brown fox", 4, " "), "fox");
        assert_eq!(word("The quick brown fox", 5, " "), "");
        assert_eq!(word("Madonna", 1, " "), "Madonna");
        assert_eq!(word("", 1, " "), "");
        assert_eq!(word("   ", 1, " "), "");
        assert_eq!(word("  a,,b  ", 2, " ,"), "b");
        assert_eq!(word(",a", 1, ","), "a");
        assert_eq!(word("a\tb  c", 3, ""), "c");
        assert_eq!(word("Zoë Ångström", 2, " "), "Ångström");
        assert_eq!(
            word("This,string!has&many separators", 4, ",!&#"),
            "many separators"
        );
        assert_eq!(
            word("This,string!has&many separators", 5, ",!&# "),
            "separators"
        );
    }

    #[test]
    fn strip_spaces_only_removes_spaces() {
        assert_eq!(strip_spaces(" John  Smith "), "JohnSmith");
        assert_eq!(strip_spaces("a\tb\u{A0}c"), "a\tb\u{A0}c");
        assert_eq!(strip_spaces(""), "");
    }

    // --- RandomString ------------------------------------------------------------------------

    fn classes(s: &str) -> [usize; 4] {
        [
            s.chars().filter(char::is_ascii_digit).count(),
            s.chars()
                .filter(|c| RANDOM_STRING_SPECIALS.contains(*c))
                .count(),
            s.chars().filter(char::is_ascii_uppercase).count(),
            s.chars().filter(char::is_ascii_lowercase).count(),
        ]
    }

    #[test]
    fn random_string_documented_examples() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let s = random_string(&mut rng, 6, 3, 0, 0, 3, "").unwrap();
            assert_eq!(s.chars().count(), 6);
            assert_eq!(classes(&s), [3, 0, 0, 3], "{s}");

            let s = random_string(&mut rng, 10, 2, 2, 2, 1, "?,").unwrap();
            assert_eq!(s.chars().count(), 10);
            let [n, sp, cap, low] = classes(&s);
            assert!(n >= 2 && sp >= 2 && cap >= 2 && low >= 1, "{s}");
            assert!(!s.contains('?') && !s.contains(','), "{s}");
        }
    }

    #[test]
    fn random_string_specials_are_the_ascii_punctuation() {
        assert_eq!(RANDOM_STRING_SPECIALS.chars().count(), 32);
        assert!(
            RANDOM_STRING_SPECIALS
                .chars()
                .all(|c| c.is_ascii_punctuation())
        );
    }

    #[test]
    fn random_string_positions_are_random() {
        // With one digit among letters, the digit must not always land in the same place.
        let mut rng = StdRng::seed_from_u64(42);
        let mut positions = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let s = random_string(&mut rng, 8, 1, 0, 0, 7, "123456789").unwrap();
            assert_eq!(classes(&s), [1, 0, 0, 7]);
            assert!(s.chars().all(|c| c == '0' || c.is_ascii_lowercase()), "{s}");
            positions.insert(s.find('0').unwrap());
        }
        assert_eq!(positions.len(), 8);
    }

    #[test]
    fn random_string_fills_the_rest_from_every_class() {
        let mut rng = StdRng::seed_from_u64(1);
        let all: String = (0..50)
            .map(|_| random_string(&mut rng, 64, 0, 0, 0, 0, "").unwrap())
            .collect();
        assert!(classes(&all).iter().all(|&n| n > 0));
        assert_eq!(random_string(&mut rng, 0, 0, 0, 0, 0, "").unwrap(), "");
        assert_eq!(
            random_string(&mut rng, 256, 0, 0, 0, 0, "").unwrap().len(),
            256
        );
        // Avoiding everything but one character.
        let avoid: String = ('!'..='~').filter(|&c| c != 'q').collect();
        assert_eq!(
            random_string(&mut rng, 5, 0, 0, 0, 5, &avoid).unwrap(),
            "qqqqq"
        );
    }

    #[test]
    fn random_string_errors() {
        let mut rng = StdRng::seed_from_u64(3);
        let err = |r: Result<String, String>| r.unwrap_err();
        let e = err(random_string(&mut rng, 257, 0, 0, 0, 0, ""));
        assert!(e.contains("257") && e.contains("256"), "{e}");
        let e = err(random_string(&mut rng, 5, 2, 2, 1, 1, ""));
        assert!(e.contains("sum of the minimums (6)"), "{e}");
        let e = err(random_string(&mut rng, -1, 0, 0, 0, 0, ""));
        assert!(e.contains("negative"), "{e}");
        let e = err(random_string(&mut rng, 5, 0, -1, 0, 0, ""));
        assert!(
            e.contains("special characters") && e.contains("negative"),
            "{e}"
        );
        let e = err(random_string(&mut rng, 5, 1, 0, 0, 0, "0123456789"));
        assert!(e.contains("numbers") && e.contains("avoided"), "{e}");
        let avoid: String = ('!'..='~').collect();
        let e = err(random_string(&mut rng, 5, 0, 0, 0, 0, &avoid));
        assert!(e.contains("avoid"), "{e}");
        let e = err(random_string(&mut rng, 5, i64::MAX, i64::MAX, 0, 0, ""));
        assert!(e.contains("sum of the minimums"), "{e}");
        for e in [
            err(random_string(&mut rng, 300, 0, 0, 0, 0, "")),
            err(random_string(&mut rng, 1, 1, 1, 0, 0, "")),
            err(random_string(&mut rng, 1, 1, 0, 0, 0, "0123456789")),
        ] {
            assert_eq!(e, e.to_lowercase());
        }
    }

    // --- Properties --------------------------------------------------------------------------

    proptest! {
        #[test]
        fn nothing_panics(s in any::<String>(), other in any::<String>(), n in any::<i64>()) {
            let _ = normalize_diacritics(&s);
            let _ = proper_case(&s);
            let _ = proper_case_with(&s, &other);
            let _ = to_lower(&s, Some(&other));
            let _ = to_upper(&s, Some(&other));
            let _ = base64_utf16le(&s);
            let _ = utf8_hex(&s);
            let _ = word(&s, n, &other);
            let _ = strip_spaces(&s);
            let _ = case_rules(Some(&other));
        }

        #[test]
        fn casing_preserves_char_count(s in any::<String>(), culture in proptest::option::of(prop_oneof![
            Just("en-US"), Just("tr-TR"), Just("az"), Just(""), Just("de-DE"), Just("xx-Yyyy-ZZ"),
        ])) {
            let n = s.chars().count();
            prop_assert_eq!(to_lower(&s, culture).unwrap().chars().count(), n);
            prop_assert_eq!(to_upper(&s, culture).unwrap().chars().count(), n);
            prop_assert_eq!(proper_case(&s).chars().count(), n);
            prop_assert_eq!(proper_case_with(&s, " -'").chars().count(), n);
        }

        #[test]
        fn casing_of_names(s in "[a-zA-Z' -]{0,30}") {
            prop_assert_eq!(to_lower(&s, None).unwrap(), s.to_lowercase());
            prop_assert_eq!(to_upper(&s, None).unwrap(), s.to_uppercase());
            prop_assert_eq!(proper_case(&s).to_lowercase(), s.to_lowercase());
        }

        #[test]
        fn diacritics_output_is_ascii_for_table_input(picks in proptest::collection::vec(0..TABLE.len(), 0..20)) {
            let input: String = picks.iter().map(|&i| TABLE[i].0).collect();
            let expected: String = picks.iter().map(|&i| TABLE[i].1).collect();
            prop_assert_eq!(normalize_diacritics(&input), expected);
        }

        #[test]
        fn ascii_is_untouched_by_diacritics(s in "[ -~]{0,40}") {
            prop_assert_eq!(normalize_diacritics(&s), s);
        }

        #[test]
        fn base64_length(s in any::<String>()) {
            let units = s.encode_utf16().count();
            prop_assert_eq!(base64_utf16le(&s).len(), (units * 2).div_ceil(3) * 4);
            prop_assert_eq!(utf8_hex(&s).len(), s.len() * 2);
        }

        #[test]
        fn random_string_meets_minimums(
            seed in any::<u64>(), a in 0i64..5, b in 0i64..5, c in 0i64..5, d in 0i64..5, extra in 0i64..10,
            avoid in "[!-~]{0,10}",
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            let length = a + b + c + d + extra;
            if let Ok(s) = random_string(&mut rng, length, a, b, c, d, &avoid) {
                prop_assert_eq!(i64::try_from(s.chars().count()).unwrap(), length);
                let [n, sp, cap, low] = classes(&s);
                prop_assert!(n as i64 >= a && sp as i64 >= b && cap as i64 >= c && low as i64 >= d);
                prop_assert!(!s.chars().any(|ch| avoid.contains(ch)));
            }
        }
    }
}
