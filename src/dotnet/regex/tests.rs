use proptest::prelude::*;

use super::*;

const CI: Options = Options {
    case_insensitive: true,
};

fn re(pattern: &str) -> NetRegex {
    match NetRegex::new(pattern, Options::default()) {
        Ok(r) => r,
        Err(e) => panic!("`{pattern}` should compile: {e:?}"),
    }
}

fn re_ci(pattern: &str) -> NetRegex {
    match NetRegex::new(pattern, CI) {
        Ok(r) => r,
        Err(e) => panic!("`{pattern}` should compile: {e:?}"),
    }
}

fn is(pattern: &str, haystack: &str) -> bool {
    re(pattern).is_match(haystack).unwrap()
}

fn find(pattern: &str, haystack: &str) -> Option<String> {
    re(pattern).first_group(haystack, "0").unwrap()
}

fn replace(pattern: &str, haystack: &str, replacement: &str) -> String {
    re(pattern).replace_all(haystack, replacement).unwrap()
}

fn err(pattern: &str) -> RegexError {
    match NetRegex::new(pattern, Options::default()) {
        Ok(r) => panic!("`{pattern}` should be refused, got `{}`", r.translated()),
        Err(e) => e,
    }
}

/// Asserts the refusal's shape: message mentions `needle`, offset as given, help present,
/// message lower-case without a final period.
fn refused(pattern: &str, needle: &str, offset: usize) {
    let e = err(pattern);
    assert!(
        e.message.contains(needle),
        "`{pattern}`: {:?} should mention {needle:?}",
        e.message
    );
    assert_eq!(e.offset, Some(offset), "`{pattern}`: {e:?}");
    assert!(
        e.help.as_deref().is_some_and(|h| !h.is_empty()),
        "`{pattern}`: no help"
    );
    assert!(!e.message.ends_with('.'), "{:?}", e.message);
    assert!(
        !e.message.starts_with(|c: char| c.is_uppercase()),
        "{:?}",
        e.message
    );
}

// ---- Entra's documented examples ----

#[test]
fn entra_phone_number_normalisation() {
    assert_eq!(
        replace(r"[()\s-]+", "+1 (999) 888-7777", ""),
        "+19998887777"
    );
    assert!(!re(r"[()\s-]+").uses_backtracking());
}

#[test]
fn entra_isd_code_group() {
    let r = re(r"\+(?<isdCode>\d* )");
    assert_eq!(
        r.first_group("+44 20 7946 0958", "isdCode")
            .unwrap()
            .as_deref(),
        Some("44 ")
    );
    assert!(r.has_group("isdCode"));
    assert!(!r.has_group("isdcode"));
}

#[test]
fn entra_workday_samaccountname_characters() {
    let p = r"([\/\\\[\]\:\;\|\=\,\+\*\?\<\>])";
    assert_eq!(
        replace(p, r"a/b\c[d]e:f;g|h=i,j+k*l?m<n>o", ""),
        "abcdefghijklmno"
    );
    assert_eq!(replace(p, "john.smith", ""), "john.smith");
}

#[test]
fn entra_workday_trailing_dots() {
    let p = r"(\.)*$";
    assert_eq!(replace(p, "john.smith..", ""), "john.smith");
    assert_eq!(replace(p, "john.smith", ""), "john.smith");
    assert_eq!(replace(p, "..", ""), "");
    // `$` also matches before a final newline, then again at the very end.
    assert_eq!(replace(p, "john.smith..\n", "X"), "john.smithXX\nX");
}

#[test]
fn entra_match_operator() {
    let r = re_ci("^Da.*");
    assert!(r.is_match("Dallas").unwrap());
    assert!(r.is_match("dallas").unwrap());
    assert!(!r.is_match("aDa").unwrap());
    assert!(re_ci("ago").is_match("Lagos").unwrap());
    assert!(re_ci("AGO").is_match("Lagos").unwrap());
    assert!(!re("AGO").is_match("Lagos").unwrap());
}

#[test]
fn entra_wildcard_is_not_a_regex() {
    let e = err("*@domain.ext");
    assert_eq!(e.offset, Some(0));
    assert_eq!(e.message, "quantifier `*` follows nothing");
    assert!(e.help.unwrap().contains(r".*@domain\.ext"));
}

#[test]
fn entra_replace_group_suffix() {
    let r = re("(?<Suffix>@(.)*)");
    assert_eq!(
        r.replace_group("john.doe@contoso.com", "Suffix", "")
            .unwrap(),
        "john.doe"
    );
    assert_eq!(
        r.replace_group("no at sign", "Suffix", "").unwrap(),
        "no at sign"
    );
}

#[test]
fn class_subtraction() {
    assert_eq!(find("[a-z-[aeiou]]+", "hello").as_deref(), Some("h"));
    assert_eq!(re("[a-z-[aeiou]]").translated(), "[[a-z]--[aeiou]]");
    // a range that turns into a subtraction: `[abc-[b]]`
    assert!(is("^[abc-[b]]+$", "acca"));
    assert!(!is("[abc-[b]]", "b"));
    // nested subtraction
    assert!(is("[a-z-[d-f-[e]]]", "e"));
    assert!(!is("[a-z-[d-f-[e]]]", "d"));
    // negation applies before the subtraction
    let r = re("[^a-z-[0-9]]");
    assert!(r.is_match("A").unwrap());
    assert!(!r.is_match("5").unwrap());
    assert!(!r.is_match("b").unwrap());
    // case-insensitive subtraction
    let r = re_ci("^[a-z-[aeiou]]$");
    assert!(r.is_match("B").unwrap());
    assert!(!r.is_match("E").unwrap());
    // `-[` at the start is a literal `-` followed by a class start
    assert!(is("^[-[a]+$", "-[a"));
    refused("[a-z-[aeiou]x]", "subtraction must be the last", 4);
}

#[test]
fn lookaround() {
    let r = re(r"\d+(?=px)");
    assert!(r.uses_backtracking());
    assert_eq!(
        r.first_group("width: 100px", "0").unwrap().as_deref(),
        Some("100")
    );
    assert_eq!(find(r"\d+(?!px)", "100px").as_deref(), Some("10"));
    assert_eq!(find(r"(?<=\$)\d+", "cost $42").as_deref(), Some("42"));
    assert_eq!(find(r"(?<!\$)\b\d+", "$42 17").as_deref(), Some("17"));
    assert_eq!(find(r"(?<=a+)b", "xaab").as_deref(), Some("b"));
}

#[test]
fn backreferences() {
    assert_eq!(find(r"(\w)\1", "balloon").as_deref(), Some("ll"));
    assert_eq!(find(r"(?<c>\w)\k<c>", "balloon").as_deref(), Some("ll"));
    assert_eq!(find(r"(?<c>\w)\k'c'", "balloon").as_deref(), Some("ll"));
    assert_eq!(find(r"(?'c'\w)\<c>", "balloon").as_deref(), Some("ll"));
    assert_eq!(find(r"(\w)\k<1>", "balloon").as_deref(), Some("ll"));
    // case-insensitive back-reference
    assert_eq!(
        re_ci(r"(\w)\1").first_group("aBb", "0").unwrap().as_deref(),
        Some("Bb")
    );
    assert!(!is(r"(\w)\1", "aBb"));
    // group 0 is not captured until the match ends
    assert!(!is(r"a\k<0>", "aa"));
    assert!(is(r"a\k<0>|b", "ab"));
    // a back-reference to a group that has not captured fails
    assert!(!is(r"(a)?\1b", "b"));
    // forward reference
    assert!(!is(r"\1(a)", "aa"));
    // `\10` without ten groups is the octal escape `\10` (backspace)
    assert!(is(r"(a)\10", "a\u{8}"));
    // with ten groups it is a back-reference
    assert!(is(r"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10", "abcdefghijj"));
}

#[test]
fn dollar_and_end_z() {
    for p in ["abc$", r"abc\Z"] {
        assert!(is(p, "abc"), "{p}");
        assert!(is(p, "abc\n"), "{p}");
        assert!(!is(p, "abc\n\n"), "{p}");
        assert!(!is(p, "abc\nx"), "{p}");
    }
    assert!(!is(r"abc\z", "abc\n"));
    assert_eq!(find("c$", "abc\n").as_deref(), Some("c"));
    // `$` is a fast `\z` on inputs not ending in `\n`
    let r = re("abc$");
    assert!(r.uses_backtracking());
    assert!(r.fast.is_some());
    // Multiline `$` and `^`
    assert!(is("(?m)a$", "a\nb"));
    assert!(!is("a$", "a\nb"));
    assert!(is("(?m)^b", "a\nb"));
    assert!(!is("^b", "a\nb"));
    assert_eq!(replace("(?m)^", "a\nb\n", ">"), ">a\n>b\n>");
    assert_eq!(replace("(?m)$", "a\nb", "<"), "a<\nb<");
    assert!(is(r"\Aab", "ab"));
    assert!(!is(r"b\A", "ab"));
}

#[test]
fn named_and_numbered_groups() {
    // unnamed groups are numbered first, then named ones
    let r = re("(?<a>x)(y)");
    assert_eq!(r.replace_all("xy", "$1-$2-${a}").unwrap(), "y-x-x");
    assert_eq!(r.first_group("xy", "1").unwrap().as_deref(), Some("y"));
    assert!(r.has_group("a"));
    assert!(r.has_group("1"));
    // with named groups present, a named group's number is not a group name
    assert!(!r.has_group("2"));
    assert!(r.has_group("0"));
    // explicit numbers
    let r = re("(?<5>x)(y)");
    assert_eq!(r.replace_all("xy", "$5$1").unwrap(), "xy");
    assert!(r.has_group("5"));
    assert!(!r.has_group("2"));
    // dense numbering accepts any decimal spelling
    let r = re("(x)(y)");
    assert!(r.has_group("02"));
    assert!(!r.has_group("3"));
    assert!(!r.has_group("-1"));
    // names after explicit numbers skip used slots
    let r = re("(?<n>a)(?<2>b)(c)");
    assert_eq!(
        r.replace_all("abc", "[$1][$2][$3][${n}]").unwrap(),
        "[c][b][a][a]"
    );
    // `(?'name'...)`
    assert_eq!(
        re("(?'q'a)").first_group("a", "q").unwrap().as_deref(),
        Some("a")
    );
    // group names may use any .NET word character
    assert_eq!(
        re("(?<größe>a)")
            .first_group("a", "größe")
            .unwrap()
            .as_deref(),
        Some("a")
    );
    assert_eq!(re("(?<größe>a)").translated(), "(a)");
}

#[test]
fn explicit_capture_option() {
    let r = re("(?n)(a)(?<b>c)");
    assert_eq!(r.replace_all("ac", "[$1]").unwrap(), "[c]");
    assert!(!r.has_group("2"));
    assert_eq!(r.translated(), "(?:a)(c)");
    // scoped
    let r = re("(?n:(a))(b)");
    assert_eq!(r.replace_all("ab", "$1").unwrap(), "b");
}

#[test]
fn inline_options() {
    assert!(is("(?i)abc", "ABC"));
    assert!(is("(?i:a)b", "Ab"));
    assert!(!is("(?i:a)b", "AB"));
    // options reach to the end of the enclosing group, across alternatives
    assert!(is("^(?:a(?i)b|c)$", "C"));
    assert!(!is("^(?:a(?i)b|c)$", "A"));
    assert!(!is("^(?:(?i)a)b$", "AB"));
    // turning IgnoreCase off inside a case-insensitive rule
    assert!(!re_ci("(?-i)a").is_match("A").unwrap());
    assert!(re_ci("(?-i:a)A").is_match("aa").unwrap());
    // option letters are case-insensitive, `+` turns on again
    assert!(is("(?I)a", "A"));
    assert!(is("(?-i+i)a", "A"));
    // Singleline
    assert!(!is("a.b", "a\nb"));
    assert!(is("(?s)a.b", "a\nb"));
    assert!(is("a(?s:.)b", "a\nb"));
    assert!(is("a.b", "a\rb"));
    // `(?i)` then a quantifier has nothing to repeat
    refused("(?i)*", "follows nothing", 4);
    refused("(?r)a", "unrecognized grouping construct", 0);
    refused("(?P<n>a)", "unrecognized grouping construct", 0);
    refused("(?i", "unrecognized grouping construct", 0);
}

#[test]
fn ignore_pattern_whitespace() {
    assert!(is("(?x) a b # comment\n c", "abc"));
    assert!(is("(?x)^a [ ] b$", "a b"));
    assert!(!is("(?x)^a [ ] b$", "ab"));
    assert!(is(r"(?x)a\ b", "a b"));
    assert!(is(r"(?x)a\#b", "a#b"));
    assert!(is("(?x)a +", "aaa"));
    assert_eq!(find("(?x)a+ ?", "aaa").as_deref(), Some("a"));
    // whitespace is literal without x
    assert!(!is("a b", "ab"));
    assert!(is("a #b", "a #b"));
    // `\v` is not x-mode white space
    assert!(is("(?x)a\u{B}b", "a\u{B}b"));
}

#[test]
fn comments() {
    assert!(is("a(?#comment)b", "ab"));
    assert!(is("^a(?#c)*$", "aaa"));
    assert!(is("^a*(?#c)?$", "aaa"));
    refused("a(?#unterminated", "unterminated comment", 1);
}

#[test]
fn escapes() {
    assert!(is(r"\e", "\u{1B}"));
    assert!(is(r"\a\f\v\t\r\n", "\u{7}\u{C}\u{B}\t\r\n"));
    assert!(is(r"\cA\ca\c[", "\u{1}\u{1}\u{1B}"));
    assert!(is(r"\0", "\0"));
    assert!(is(r"\012", "\n"));
    assert!(is(r"^\0123$", "\n3"));
    assert!(is(r"\101", "A"));
    assert!(is(r"\x41\u00e9", "Aé"));
    assert!(is(r"\u00E9", "é"));
    assert!(is(r"[\b]", "\u{8}"));
    assert!(is(r"[\1]", "\u{1}"));
    assert!(is(
        r"\.\*\+\?\(\)\[\]\{\}\|\^\$\\\/\-\ \#\@\<\>",
        r".*+?()[]{}|^$\/- #@<>"
    ));
    refused(r"\q", "unrecognized escape `\\q`", 0);
    refused(r"[\q]", "unrecognized escape `\\q`", 1);
    refused(r"\8", "back-reference", 0);
    refused(r"[\8]", "unrecognized escape", 1);
    refused(r"\x4", "hex digits", 0);
    refused(r"\x{41}", "hex digits", 0);
    refused(r"\u12", "hex digits", 0);
    refused(r"\c", "control character", 0);
    refused(r"\c1", "control character", 0);
    refused("ab\\", "lone `\\`", 2);
    refused(r"\k", "malformed named back-reference", 0);
    refused(r"\kx", "malformed named back-reference", 0);
    refused(r"\k<nope>", "does not define", 0);
    refused(r"\k<nope", "unrecognized escape `\\k`", 0);
    refused(r"(a)\2", "does not define", 3);
    refused(r"\k<3>", "does not define", 0);
    // `\<` without a name is a literal `<`
    assert!(is(r"\<", "<"));
    assert!(is(r"\<b", "<b"));
}

#[test]
fn braces() {
    assert!(is("a{", "a{"));
    assert!(is("^{x}$", "{x}"));
    assert!(is("^a{,3}$", "a{,3}"));
    assert!(is("^a{ 2}$", "a{ 2}"));
    assert!(is("^x{2}$", "xx"));
    assert!(!is("^x{2}$", "xxx"));
    assert!(is("^x{2,}$", "xxxx"));
    assert!(is("^x{1,2}$", "xx"));
    assert_eq!(find("x{1,3}?", "xxx").as_deref(), Some("x"));
    assert!(is("^a}$", "a}"));
    assert!(is("^a]$", "a]"));
    refused("{2}", "quantifier `{2}` follows nothing", 0);
    refused("x{3,2}", "minimum above its maximum", 1);
    refused("x{99999999999}", "too large", 2);
}

#[test]
fn quantifier_errors() {
    refused("a**", "nested quantifier `*`", 2);
    // .NET has no possessive quantifiers
    refused("a*+", "nested quantifier `+`", 2);
    refused("a{2}{3}", "nested quantifier `{3}`", 4);
    refused("a|*", "follows nothing", 2);
    refused("(*)", "follows nothing", 1);
    refused("(?)", "follows nothing", 1);
    // a lazy quantifier is not nested
    assert_eq!(find("a+?", "aaa").as_deref(), Some("a"));
    assert_eq!(find("a??b", "ab").as_deref(), Some("ab"));
}

#[test]
fn quantified_assertions() {
    assert!(is("^*a", "a"));
    assert!(is(r"a\b+", "a b"));
    assert!(is("(?=a)*b", "b"));
    assert!(is("(?=a)+a", "a"));
    assert!(!is("(?=a)+b", "b"));
    assert!(is("(?=a)*?b", "b"));
    assert_eq!(
        re("(?=(a))?").first_group("a", "1").unwrap().as_deref(),
        Some("a")
    );
}

#[test]
fn classes() {
    assert!(is("^[]a]+$", "]a]"));
    assert!(is("^[^]a]$", "b"));
    assert!(!is("^[^]a]$", "]"));
    assert!(is("^[a-]+$", "a-"));
    assert!(is("^[-a]+$", "a-"));
    assert!(is(r"^[\d-z]+$", "1-z"));
    assert!(!is(r"^[\d-z]+$", "y"));
    assert!(is(r"^[!-\-]+$", ",+!"));
    assert!(is(r"^[\--/]+$", "-/"));
    assert!(!is(r"[\--/]", "."));
    assert!(is(r"[\x41-\x43]", "B"));
    assert!(is(r"^[a-c\-]+$", "a-c"));
    assert!(is("^[.$^|?*+(){}]+$", ".$^|?*+(){}"));
    assert!(is("^[a-b-c]+$", "a-c"));
    assert!(is("^[&&~]+$", "&&~"));
    assert!(is("^[--b]+$", "-.b"));
    refused("[a--b]", "reversed", 3);
    refused(r"[a-\d]", "cannot end a range", 3);
    refused("[z-a]", "reversed", 3);
    refused(r"[a-\-]", "reversed", 3);
    refused("[abc", "unterminated character class", 0);
    refused("[]", "unterminated character class", 0);
    refused("[[:alpha:]]", "posix-style class `[:alpha:]`", 1);
    assert!(is("^[[:]+$", "[:"));
    // white space inside classes is literal even under x
    assert!(is("(?x)[ ]", " "));
}

#[test]
fn shorthand_classes_follow_dotnet() {
    // \w is [\p{L}\p{Mn}\p{Nd}\p{Pc}]: no letter numbers, no spacing marks
    assert!(is(r"^\w+$", "été_٣"));
    assert!(!is(r"\w", "\u{2160}"));
    assert!(!is(r"\w", "\u{903}"));
    assert!(is(r"\W", "\u{2160}"));
    assert!(is(r"[\W]", "\u{2160}"));
    // \d is any decimal digit
    assert!(is(r"^\d+$", "١٢٣"));
    assert!(!is(r"\d", "²"));
    // \s is char.IsWhiteSpace
    assert!(is(
        r"^\s+$",
        " \t\n\u{B}\u{C}\r\u{85}\u{A0}\u{2028}\u{3000}"
    ));
    assert!(!is(r"\s", "\u{200B}"));
    assert!(is(r"^\S+$", "a\u{200B}"));
    // \b uses .NET's word characters
    assert!(is(r"a\b", "a\u{2160}"));
    assert!(!is(r"a\B", "a\u{2160}"));
    assert!(is(r"\bfoo\b", "a foo b"));
    assert!(!is(r"\bfoo\b", "éfooé"));
    assert!(!is(r"\bfoo\b", "xfoo"));
    assert!(is(r"\Bfoo", "xfoo"));
    // ZWJ counts as a word character for \b but not for \w
    assert!(!is("a\\b", "a\u{200D}"));
    assert!(!is(r"\w", "\u{200D}"));
}

#[test]
fn unicode_categories() {
    assert!(is(r"\p{Lu}", "A"));
    assert!(!is(r"\p{Lu}", "a"));
    assert!(is(r"\P{Lu}", "a"));
    assert!(is(r"^\p{L}+$", "Ωé"));
    assert!(is(r"[\p{Sc}]", "€"));
    assert!(is(r"^[^\p{L}]+$", "123"));
    // under IgnoreCase .NET reads Lu, Ll and Lt as all three
    assert!(re_ci(r"\p{Lu}").is_match("a").unwrap());
    assert!(re_ci(r"[\p{Ll}]").is_match("A").unwrap());
    assert!(!re_ci(r"\P{Lu}").is_match("a").unwrap());
    assert!(re_ci(r"\P{Lu}").is_match("1").unwrap());
    refused(r"\p{lu}", "unknown property", 0);
    refused(r"\p{Foo}", "unknown property", 0);
    refused(r"\p{IsGreek}", "named block `\\p{IsGreek}`", 0);
    refused(r"[\p{IsBasicLatin}]", "named block", 1);
    refused(r"\p{L", "incomplete property", 0);
    refused(r"\pLuu", "malformed", 0);
    refused(r"\pL", "incomplete", 0);
    refused(r"\p", "incomplete", 0);
}

#[test]
fn case_insensitive_literals_and_classes() {
    let r = re_ci("straße");
    assert!(r.is_match("STRAßE").unwrap());
    assert!(re_ci("[a-c]+").is_match("ABC").unwrap());
    assert!(re_ci("[^a]").is_match("b").unwrap());
    assert!(!re_ci("^[^a]$").is_match("A").unwrap());
    assert!(re_ci("k").is_match("\u{212A}").unwrap());
    // shorthands are not affected
    assert!(re_ci(r"^\d\w\s$").is_match("1a ").unwrap());
}

#[test]
fn refusals() {
    refused("(?<a-b>x)", "balancing group", 0);
    refused("(?<-b>x)", "balancing group", 0);
    refused("(a)(?<1-2>x)", "balancing group", 3);
    refused("(?(a)b|c)", "conditional", 0);
    refused("(?(1)b|c)", "conditional", 0);
    refused(r"\Ga", "`\\G`", 0);
    refused("(?<a>x)(?<a>y)", "group `a` is defined more than once", 7);
    refused("(a)(?<1>b)", "group `1` is defined more than once", 3);
    refused("(?<=(a))b", "capturing group inside a lookbehind", 4);
    refused(r"(a)(?<=\1)b", "inside a lookbehind", 7);
    refused(r"\uD83D\uDE00", "surrogate", 0);
    refused("[😀]", "outside the basic multilingual plane", 1);
    refused("a😀+", "outside the basic multilingual plane", 1);
    refused("(?<0>a)", "group number 0", 0);
    refused("(?<1a>x)", "invalid group name", 0);
    refused("(?<a!>x)", "invalid group name", 0);
    refused("(?<!>x", "missing `)`", 0);
    refused("(?<>x)", "invalid group name", 0);
    refused("(?<01>x)", "unrecognized grouping construct", 0);
    // an explicit number needs no other group
    assert!(re("(?<9>x)").has_group("9"));
    refused("(a", "missing `)`", 0);
    refused("a)", "too many `)`", 1);
    refused("(?'=a)", "invalid group name", 0);
}

#[test]
fn astral_characters() {
    // literal text is safe
    assert!(is("😀", "x😀y"));
    assert_eq!(replace("😀", "a😀b", "-"), "a-b");
    assert!(is("^(?:😀)+$", "😀😀"));
    assert!(is("^Da", "Dallas 😀"));
    // classes that cannot match astral characters are safe
    assert_eq!(replace(r"[a-z]+", "ab😀cd", "-"), "-😀-");
    assert!(is(r"\d+", "📞 555"));
    // anything that could match part of a surrogate pair is refused on such input
    let e = re("^.$").is_match("😀").unwrap_err();
    assert!(e.message.contains("U+1F600"), "{e:?}");
    assert_eq!(e.offset, None);
    assert!(re(r"[^a]").is_match("😀").is_err());
    assert!(re(r"\p{So}").is_match("a😀").is_err());
    assert!(re(r"\w").is_match("𝐀").is_err());
    assert!(re(r"\bx").is_match("𝐀x").is_err());
    // but not on BMP-only input
    assert!(re("^.$").is_match("é").unwrap());
    // a greedy `.*` or `[^x]+` that ends the match takes whole characters in both engines
    assert!(re_ci("^Da.*").is_match("Dallas 😀").unwrap());
    assert!(re("^Da.*$").is_match("Da😀").unwrap());
    assert_eq!(replace("a[^b]+", "xa😀😀", "-"), "x-");
    assert_eq!(re("(a.*)").replace_all("a😀", "[$1]").unwrap(), "[a😀]");
    for p in [
        "a.+?",
        "a.",
        "a.{2,}",
        "a.*x",
        r"a.*\B",
        "(?:a.*)+",
        "(.)*",
        r"a[^\p{L}]*",
        "(?=.*)a",
    ] {
        assert!(re(p).is_match("a😀").is_err(), "{p}");
    }
    // after an empty match just before an astral character, .NET searches between its
    // surrogates
    let e = re("x*").replace_all("a😀", "-").unwrap_err();
    assert!(
        e.message.contains("matched empty text before `😀`"),
        "{e:?}"
    );
    assert!(re("x*").replace_all("😀x", "-").is_err());
    assert_eq!(replace(".*", "a😀", "-"), "--");
    assert_eq!(replace("$", "😀", "-"), "😀-");
    assert_eq!(replace(r"\b", "a😀", "|"), "|a|😀");
    assert!(re("x*").is_match("😀").unwrap());
}

#[test]
fn replacement_syntax() {
    let r = re(r"(\w+)@(\w+)");
    assert_eq!(r.replace_all("a@b", "$2 at $1").unwrap(), "b at a");
    assert_eq!(r.replace_all("a@b", "${2}0").unwrap(), "b0");
    // `$20` names group 20, which does not exist: literal
    assert_eq!(r.replace_all("a@b", "$20").unwrap(), "$20");
    assert_eq!(r.replace_all("a@b", "$1a").unwrap(), "aa");
    assert_eq!(r.replace_all("a@b", "$$1").unwrap(), "$1");
    assert_eq!(r.replace_all("a@b", "[$&]").unwrap(), "[a@b]");
    assert_eq!(r.replace_all("a@b", "[$0]").unwrap(), "[a@b]");
    assert_eq!(r.replace_all("x a@b y", "[$`]").unwrap(), "x [x ] y");
    assert_eq!(r.replace_all("x a@b y", "[$']").unwrap(), "x [ y] y");
    assert_eq!(r.replace_all("x a@b y", "[$_]").unwrap(), "x [x a@b y] y");
    assert_eq!(r.replace_all("a@b", "[$+]").unwrap(), "[b]");
    assert_eq!(r.replace_all("a@b", "$").unwrap(), "$");
    assert_eq!(
        r.replace_all("a@b", "$x ${x} ${1 ${").unwrap(),
        "$x ${x} ${1 ${"
    );
    assert_eq!(r.replace_all("a@b", "${}").unwrap(), "${}");
    assert_eq!(r.replace_all("a@b", r"\1").unwrap(), r"\1");
    let e = r.replace_all("a@b", "x$99999999999").unwrap_err();
    assert_eq!(e.offset, Some(1));
    assert!(r.check_replacement("$99999999999").is_err());
    assert!(r.check_replacement("$9").is_ok());
    // named groups
    let r = re(r"(?<user>\w+)@(?<host>\w+)");
    assert_eq!(r.replace_all("a@b", "${host}.${user}").unwrap(), "b.a");
    assert_eq!(r.replace_all("a@b", "${nope}").unwrap(), "${nope}");
    // `$+` is the highest-numbered group, even if it did not participate
    assert_eq!(re("(a)|(b)").replace_all("a", "[$+]").unwrap(), "[]");
    // `$+` without groups is the whole match
    assert_eq!(re("a").replace_all("a", "[$+]").unwrap(), "[a]");
}

#[test]
fn match_iteration_follows_dotnet() {
    assert_eq!(replace("x*", "abc", "-"), "-a-b-c-");
    assert_eq!(replace("x*", "xax", "-"), "--a--");
    assert_eq!(replace("", "ab", "-"), "-a-b-");
    assert_eq!(replace("", "", "-"), "-");
    assert_eq!(replace("a|", "éa", "-"), "-é--");
    assert_eq!(replace("(?=a)", "aa", "-"), "-a-a");
}

#[test]
fn replace_group_mode() {
    let r = re(r"(?<user>\w+)@(?<domain>\w+)\.com");
    assert_eq!(
        r.replace_group("a@x.com, b@y.com", "domain", "z").unwrap(),
        "a@z.com, b@z.com"
    );
    assert_eq!(
        r.replace_group("a@x.com", "user", "[$&]").unwrap(),
        "[a@x.com]@x.com"
    );
    // as in .NET's `Groups["1"]`, a named group is not found by its number
    assert!(r.replace_group("a@x.com", "1", "q").is_err());
    assert_eq!(
        re(r"(\w+)@").replace_group("a@x.com", "1", "q").unwrap(),
        "q@x.com"
    );
    let e = r.replace_group("a@x.com", "nope", "").unwrap_err();
    assert!(e.message.contains("`nope`"));
    assert!(e.help.unwrap().contains("`domain`"));
    // a group that did not participate leaves the match alone
    assert_eq!(re("(a)|b").replace_group("ab", "1", "X").unwrap(), "Xb");
    // an empty capture inserts the replacement
    assert_eq!(re("a(x?)b").replace_group("ab", "1", "X").unwrap(), "aXb");
}

#[test]
fn first_group_edges() {
    let r = re("(a)|(b)");
    assert_eq!(r.first_group("b", "1").unwrap(), None);
    assert_eq!(r.first_group("b", "2").unwrap().as_deref(), Some("b"));
    assert_eq!(r.first_group("c", "0").unwrap(), None);
    assert_eq!(r.first_group("b", "7").unwrap(), None);
    // captures persist across loop iterations, as in .NET
    assert_eq!(
        re("(?:(a)|b)+").first_group("ab", "1").unwrap().as_deref(),
        Some("a")
    );
    assert_eq!(re("((a)|(b))+").replace_all("ab", "$1$2$3").unwrap(), "bab");
    // an optional group that matches empty text captures it
    assert_eq!(
        re("(a*)?").first_group("b", "1").unwrap().as_deref(),
        Some("")
    );
}

#[test]
fn repetitions_that_can_match_empty_text() {
    // .NET runs a final empty iteration (capturing empty text); Rust's engines skip it
    refused("(a*)+", "repeated item `(a*)+` can match empty text", 0);
    refused("x(a?)*", "can match empty text", 1);
    refused("(a|)+", "can match empty text", 0);
    refused(r"(\w*\s?)*", "can match empty text", 0);
    refused("(a*){1,3}", "can match empty text", 0);
    refused("(?:(a)?)+", "can match empty text", 0);
    // empty-first bodies change the match itself: .NET finds `a` in `aa` for `(?:|a)*a`
    refused("(?:|a)*a", "can match empty text", 0);
    refused("(?:a?|b)*", "can match empty text", 0);
    refused("(?:a*?)+", "can match empty text", 0);
    refused("(?:a?)*?", "can match empty text", 0);
    // accepted: greedy bodies without groups, fixed counts, `?`, bodies that consume
    for p in [
        "(?:a*)+",
        "(?:a?b?)*",
        "(?:b|a?)*",
        "(a*){3}",
        "(a*)?",
        r"(\.)*$",
        "(a+)*",
        "(?:(a)|b)+",
        "(?=(a))*",
    ] {
        re(p);
    }
    assert_eq!(find("^(?:b|a?)*", "abba").as_deref(), Some("abba"));
    assert_eq!(find("(?:a*)+b", "aab").as_deref(), Some("aab"));
}

#[test]
fn atomic_groups() {
    assert!(!is("^(?>a*)a$", "aaa"));
    assert!(is("^(?>a*)b$", "aaab"));
    assert!(re("(?>a)").uses_backtracking());
}

#[test]
fn backtracking_limit_is_an_error() {
    let r = re(r"^(\w+\s?)+(?=x)$");
    assert!(r.uses_backtracking());
    let e = r
        .is_match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")
        .unwrap_err();
    assert!(e.message.contains("backtracking steps"), "{e:?}");
    assert!(e.help.is_some());
}

#[test]
fn fast_and_exact_paths_agree() {
    let cases = [
        (
            r"\bab\b",
            &[
                "ab",
                "xab",
                "a ab",
                "éab",
                "ab\u{2160}",
                "\u{2160}ab",
                "ab\u{903}",
                "aⅠ",
            ][..],
        ),
        (r"\Bb", &["ab", " b", "\u{2160}b", "éb"][..]),
        ("b$", &["b", "b\n", "ab\n\n", "b\nb"][..]),
        (r"b\Z|^x", &["b", "b\n", "x\n", "b\n\n"][..]),
    ];
    for (p, inputs) in cases {
        let r = re(p);
        let fast = r.fast.as_ref().expect("fast form");
        let Engine::Backtracking(exact) = r.exact_engine().unwrap() else {
            panic!("exact form should backtrack")
        };
        for h in inputs {
            let exact_says = exact.is_match(h).unwrap();
            assert_eq!(r.is_match(h).unwrap(), exact_says, "{p} on {h:?}");
            let fast_allowed = matches!(r.engine_for(h).unwrap(), Runner::Fast(_));
            if fast_allowed {
                assert_eq!(
                    fast.is_match(h),
                    exact_says,
                    "{p} on {h:?}: fast form disagrees"
                );
            }
        }
    }
}

#[test]
fn translations() {
    let cases = [
        ("(?<n>a)", "(a)"),
        ("a", "a"),
        ("a.b", r"a[^\x{A}]b"),
        ("(?s).", r"[\x{0}-\x{10FFFF}]"),
        (r"\d", r"[\p{Nd}]"),
        (r"\w", r"[\p{L}\p{Mn}\p{Nd}\p{Pc}]"),
        (r"\W", r"[[^\p{L}\p{Mn}\p{Nd}\p{Pc}]]"),
        ("^a", r"\Aa"),
        ("(?m)^a$", r"(?m:^)a(?m:$)"),
        ("a$", r"a(?=\x{A}?\z)"),
        ("a*?", "(?:a)*?"),
        ("a{2,3}", "(?:a){2,3}"),
        ("a{2,}", "(?:a){2,}"),
        ("a{2}", "(?:a){2}"),
        ("a{0,2147483647}", "(?:a)*"),
        ("a|b", "(?:a|b)"),
        ("(?i)ab", "(?i:ab)"),
        (r"\e\cA", r"\x{1B}\x{1}"),
        ("[a-z-[aeiou]]", "[[a-z]--[aeiou]]"),
        ("[^a-[b]]", "[[^a]--[b]]"),
        (r"(a)\1", r"(a)(?:\1)"),
        ("(?>a)", "(?>a)"),
        ("", "(?:)"),
        (r"\p{Lu}", r"[\p{Lu}]"),
        (r"\P{Lu}", r"[[^\p{Lu}]]"),
    ];
    for (p, expected) in cases {
        assert_eq!(re(p).translated(), expected, "{p}");
    }
    assert_eq!(re_ci(r"\p{Lu}").translated(), r"[\p{Lu}\p{Ll}\p{Lt}]");
    assert_eq!(re_ci("[a]").translated(), "(?i:[a])");
}

#[test]
fn error_display() {
    let e = err("a**");
    assert_eq!(e.to_string(), "nested quantifier `*` (at byte 2)");
    let e = err("é(");
    assert_eq!(e.offset, Some(2));
}

#[test]
fn large_counts() {
    assert!(is("^a{3}$", "aaa"));
    assert!(is(r"^[\w.-]{1,64}@\w{1,255}\.com$", "john.doe@contoso.com"));
    assert!(is(r"^\d{1,20}(?=\D|$)", "12345"));
    let e = err("(?:(?:a{1000}){1000}){100}");
    assert!(e.message.contains("too large"), "{e:?}");
}

/// Pieces of patterns the linear engine can run, for the differential test.
fn linear_pattern_strategy() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a",
        "b",
        "é",
        "A",
        ".",
        "\\d",
        "\\w",
        "\\W",
        "\\s",
        "[a-c]",
        "[^a]",
        "[a-z-[b]]",
        "[\\w-[a]]",
        "\\p{L}",
        "\\P{Ll}",
        "(",
        ")",
        "(?:",
        "(?<n>",
        "(?i)",
        "(?i:",
        "(?-i)",
        "(?m)",
        "(?s)",
        "^",
        "\\A",
        "\\z",
        "|",
        "*",
        "+",
        "?",
        "*?",
        "+?",
        "{2}",
        "{1,3}",
        "{0,2}?",
        "-",
        " ",
        "\n",
    ]);
    prop::collection::vec(atoms, 0..10).prop_map(|parts| parts.concat())
}

fn pattern_strategy() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a", "b", "é", "😀", ".", "\\", "\\d", "\\w", "\\s", "\\b", "\\B", "\\1", "\\k<n>",
        "\\p{L}", "\\P{Lu}", "(", ")", "(?:", "(?<n>", "(?=", "(?!", "(?<=", "(?<!", "(?>", "(?i)",
        "(?x)", "(?n)", "(?#c)", "[", "]", "[^", "-", "-[", "^", "$", "\\Z", "\\z", "|", "*", "+",
        "?", "{", "}", "{2}", "{1,3}", ",", "#", " ", "\n", "\\u00e9", "\\x41", "\\0", "\\c", "'",
        "<", ">", "&", "~", "0", "9",
    ]);
    prop::collection::vec(atoms, 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_generated_patterns(
        pattern in pattern_strategy(),
        haystack in "[ab é😀\n1-]{0,12}",
        replacement in "[$&`'+_{}0-9a-zn ]{0,8}",
        ci in any::<bool>(),
    ) {
        if let Ok(r) = NetRegex::new(&pattern, Options { case_insensitive: ci }) {
            let _ = r.is_match(&haystack);
            let _ = r.replace_all(&haystack, &replacement);
            let _ = r.replace_group(&haystack, "1", &replacement);
            let _ = r.replace_group(&haystack, "n", &replacement);
            let _ = r.first_group(&haystack, "0");
            let _ = r.has_group("n");
        }
    }

    #[test]
    fn never_panics_on_arbitrary_strings(pattern in any::<String>(), haystack in any::<String>(), replacement in any::<String>()) {
        if let Ok(r) = NetRegex::new(&pattern, Options::default()) {
            let _ = r.is_match(&haystack);
            let _ = r.replace_all(&haystack, &replacement);
            let _ = r.first_group(&haystack, "1");
        }
    }

    /// The backtracking engine must read every translation as the linear engine does; a
    /// lookahead that always holds forces it to run the whole pattern in its own VM.
    #[test]
    fn engines_agree_on_translations(
        pattern in linear_pattern_strategy(),
        haystacks in prop::collection::vec("[abAé \n1_-]{0,8}", 4),
        ci in any::<bool>(),
    ) {
        let Ok(r) = NetRegex::new(&pattern, Options { case_insensitive: ci }) else { return Ok(()) };
        let Engine::Linear(linear) = r.exact_engine().unwrap() else { return Ok(()) };
        let forced = format!(r"(?:{})(?=[\x{{0}}-\x{{10FFFF}}]|\z)", r.translated());
        let fancy = backtracking(&forced).unwrap().0;
        for h in &haystacks {
            for start in [0, 1] {
                if start > h.len() || !h.is_char_boundary(start) {
                    continue;
                }
                let lin: Option<Vec<_>> = linear
                    .captures_at(h, start)
                    .map(|c| c.iter().map(|m| m.map(|m| m.range())).collect());
                let fan: Option<Vec<_>> = fancy
                    .captures_from_pos(h, start)
                    .unwrap()
                    .map(|c| (0..c.len()).map(|i| c.get(i).map(|m| m.range())).collect());
                prop_assert_eq!(lin, fan, "{} on {:?} from {}", r.translated(), h, start);
            }
        }
    }

    /// Where the linear form of `$`, `\Z`, `\b`, `\B` is used, it must agree with the exact form.
    #[test]
    fn fast_forms_agree_with_exact_forms(
        parts in prop::collection::vec(prop::sample::select(vec![
            "a", "b", "é", "\\u2160", "\\w", "\\W", ".", "\\b", "\\B", "$", "\\Z", "(?m)$", "^", "|",
            "(", ")", "*", "+", "?",
        ]), 1..8),
        haystacks in prop::collection::vec("[ab é\u{2160}\u{903}\n]{0,6}", 4),
    ) {
        let pattern = parts.concat();
        let Ok(r) = NetRegex::new(&pattern, Options::default()) else { return Ok(()) };
        let (Some(fast), Engine::Backtracking(exact)) = (&r.fast, r.exact_engine().unwrap()) else { return Ok(()) };
        for h in &haystacks {
            if !matches!(r.engine_for(h), Ok(Runner::Fast(_))) {
                continue;
            }
            let f: Option<Vec<_>> = fast.captures(h).map(|c| c.iter().map(|m| m.map(|m| m.range())).collect());
            let e: Option<Vec<_>> = exact
                .captures(h)
                .unwrap()
                .map(|c| (0..c.len()).map(|i| c.get(i).map(|m| m.range())).collect());
            prop_assert_eq!(f, e, "{} on {:?}", pattern, h);
        }
    }

    #[test]
    fn escaped_text_matches_itself(text in "[\\x{0}-\\x{D7FF}\\x{E000}-\\x{FFFF}]{0,20}") {
        let pattern: String = text.chars().map(|c| format!("\\u{:04X}", u32::from(c))).collect();
        let r = NetRegex::new(&format!("^{pattern}$"), Options::default()).unwrap();
        prop_assert!(r.is_match(&text).unwrap());
        prop_assert_eq!(r.replace_all(&text, "$$").unwrap(), "$");
    }
}

/// Expectations taken from .NET's own `Regex.Replace` test data.
#[test]
fn dotnet_replace_test_data() {
    let nested15 = format!("{}{}", "([a-z]".repeat(15), ")".repeat(15));
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        ("", "   ", "123", "123 123 123 123"),
        ("", "hej", "  ", "  h  e  j  "),
        (".", "aaaaa", "b", "bbbbb"),
        (
            r"(?<256>cat)\s*(?<512>dog)",
            "slkfjsdcat dogkljeah",
            "STARTcat$2048$1024dogEND",
            "slkfjsdSTARTcat$2048$1024dogENDkljeah",
        ),
        (
            r"(?<cat>cat)\s*(?<dog>dog)",
            "slkfjsdcat dogkljeah",
            "START${catTWO}dogcat${dogTWO}END",
            "slkfjsdSTART${catTWO}dogcat${dogTWO}ENDkljeah",
        ),
        (&nested15, "abcdefghiklmnop", "$15", "p"),
        (&nested15, "abcdefghiklmnop", "$3", "cdefghiklmnop"),
        (r"D\.(.+)", "D.Bau", "David $1", "David Bau"),
        ("([a_z])(.+)", "abc", "$3", "$3"),
        (r"[^ ]+\s(?<time>)", "08/10/99 16:00", "${time}", "16:00"),
        (
            r"(?<cat>cat)\s*(?<dog>dog)",
            "cat dog",
            "${cat}est ${dog}est",
            "catest dogest",
        ),
        (
            r"(?<512>cat)\s*(?<256>dog)",
            "slkfjsdcat dogkljeah",
            "START${512}dogcat${256}END",
            "slkfjsdSTARTcatdogcatdogENDkljeah",
        ),
        (
            r"(?<512>cat)\s*(?<256>dog)",
            "slkfjsdcat dogkljeah",
            "STARTcat$256$512dogEND",
            "slkfjsdSTARTcatdogcatdogENDkljeah",
        ),
        (
            r"(?<256>cat)\s*(?<512>dog)",
            "slkfjsdcat dogkljeah",
            "STARTcat$512$",
            "slkfjsdSTARTcatdog$kljeah",
        ),
        (
            r"(hello)cat\s+dog(world)",
            "hellocat dogworld",
            "$1$$$2",
            "hello$world",
        ),
        (
            r"(cat)\s+(dog)",
            "before textcat dogafter text",
            ". The following should be dog and it is $+. ",
            "before text. The following should be dog and it is dog. after text",
        ),
        (
            r"(hello)\s+(world)",
            "What the hello world goodby",
            "$&, how are you?",
            "What the hello world, how are you? goodby",
        ),
        (
            r"(hello)\s+(world)",
            "What the hello world goodby",
            "$0, how are you?",
            "What the hello world, how are you? goodby",
        ),
        (
            r"(hello)\s+(world)",
            "What the hello world goodby",
            "$`cookie are you doing",
            "What the What the cookie are you doing goodby",
        ),
        (
            r"(cat)\s+(dog)",
            "before textcat dogafter text",
            ". This is the $' and ",
            "before text. This is the after text and after text",
        ),
        (
            r"(cat)\s+(dog)",
            "before textcat dogafter text",
            ". The following should be the entire string '$_'. ",
            "before text. The following should be the entire string 'before textcat dogafter text'. after text",
        ),
        (
            r"(hello)\s+(world)",
            "START hello    world END",
            "$2 $1 $1 $2 $3$4",
            "START world hello hello world $3$4 END",
        ),
        (
            r"(hello)\s+(world)",
            "START hello    world END",
            "$2 $1 $1 $2 $123$234",
            "START world hello hello world $123$234 END",
        ),
        (
            r"(?im)(d)(o)(g)(\s)(c)(a)(t)(\s)(h)(a)(s)",
            "My dog cat has fleas.",
            "$01$02$03$04$05$06$07$08$09$10$11",
            "My dog cat has fleas.",
        ),
        (
            r"(?im)(d)(o)(g)(\s)(c)(a)(t)(\s)(h)(a)(s)",
            "My dog cat has fleas.",
            "$05$06$07$04$01$02$03$08$09$10$11",
            "My cat dog has fleas.",
        ),
        ("[ab]+", "012aaabb34bba56", "###", "012###34###56"),
        (r"\b", "Hello World!", "#$$#", "#$#Hello#$# #$#World#$#!"),
        (r"\bis\b", "this is it", "${2}", "this ${2} it"),
        (
            r"(\$\d+):(\d+)",
            "it costs $500000:55 I think",
            "$$???:${2}",
            "it costs $???:55 I think",
        ),
        (r"(\d+)([a-z]+)", "---12345abc---", "$2$1", "---abc12345---"),
        // \b must not fall between a letter and a following non-spacing mark
        (
            r"(?s)\u0915\u0930.*?\b",
            "\u{92f}\u{939} \u{915}\u{930} \u{935}\u{939} \u{915}\u{930}\u{947}\u{902} \u{939}\u{948}\u{964}",
            "<b>$&</b>",
            "\u{92f}\u{939} <b>\u{915}\u{930}</b> \u{935}\u{939} <b>\u{915}\u{930}\u{947}\u{902}</b> \u{939}\u{948}\u{964}",
        ),
    ];
    for (pattern, input, replacement, expected) in cases {
        assert_eq!(
            replace(pattern, input, replacement),
            expected,
            "{pattern} / {replacement}"
        );
    }
    let many = "a".repeat(999);
    assert_eq!(replace(".", &many, "b"), "b".repeat(999));
}

/// Which patterns .NET's parser accepts and rejects, from .NET's own parser test data
/// (options written inline). Constructs roster refuses by design are left out.
#[test]
fn dotnet_parser_test_data() {
    let valid = [
        "",
        "(?x) ",
        "(?x)  ",
        "(?#)",
        "(?# )",
        "(?# \n )",
        "(?x)(?# \n )",
        "(?x)(?# #)",
        "(?x)#(?#",
        "(?#)(?#)",
        "(?#) (?#)",
        r"[a\p{Lu}(?#)b]",
        r"[a\0(?#)b]",
        r"[a\a(?#)b]",
        r"[a\x00(?#)b]",
        r"[a\u0000(?#)b]",
        r"[a\](?#)b]",
        "(?i)",
        "(?im)",
        "(?im-x)",
        "(?im-x+n)",
        "(?i) ",
        " (?x) ",
        "(?x) (?-x) ",
        "(?x) ( (?-x) ) ",
        "(?x) (?-x:) ",
        "(?x) (?-x: ) ",
        "(?x) (?-x: (?+x: ) ) ",
        "a",
        "ab",
        "a*",
        "a*?",
        "a+",
        "a+?",
        "a?",
        "a??",
        "()",
        "(a)",
        "(?x)#(",
        "|",
        " |",
        "| ",
        " | ",
        "(?x) | ",
        "||",
        "(|)",
        "a{0}",
        "a{0,}",
        "a{0,1}",
        "a{0}?",
        "a{0,}?",
        "a{0,1}?",
        "a{",
        "a{0",
        "a{0,",
        "a{0,1",
        "(?x)a{0 }",
        "(?x)a{0, }",
        "(?x)a{0 ,1}",
        "(?x)a* ?",
        "a* ?",
        "{0",
        "({0)",
        "a*{0",
        r"\w",
        r"\b\B\A\Z\z\w\W\s\W\s\S\d\D",
        r"\ca",
        r"\cA",
        r"\c@",
        r"\c^",
        r"\c_",
        r"\cz",
        r"\cZ",
        r"\x00",
        r"\x00 ",
        r"\x000",
        r"\xff",
        r"\xFF",
        r"\xfF",
        r"\xfff",
        r"\u0000",
        r"\u0000 ",
        r"\0",
        r"\0 ",
        r"\00",
        r"\000",
        r"\0000",
        r"\78",
        r"\k<0>",
        r"\k<0> ",
        r"\k<00> ",
        r"(?<a>)\k<a> ",
        r"\k'0'",
        r"\k'00' ",
        r"(?<a>)\k'a' ",
        r"\ ",
        r"\<",
        r"\< ",
        r"\<0",
        r"\<0 ",
        r"\<0>",
        r"\<0> ",
        r"\<00> ",
        r"(?<a>)\<a> ",
        r"\'",
        r"\' ",
        r"\'0",
        r"\'0 ",
        r"\'0'",
        r"\'0' ",
        r"\'00' ",
        r"(?<a>)\'a' ",
        r"\<0' ",
        r"\'0> ",
        r"\p{Cc}",
        "(?:)",
        "(?:a)",
        "(?=)",
        "(?=a)",
        "(?!)",
        "(?!a)",
        "(?>)",
        "(?>a)",
        "(?<=)",
        "(?<=a)",
        "(?<!)",
        "(?<!a)",
        "(?x)(?<a>a)",
        "(?x)(?<ab>a)",
        "(?x)(?<1>a)",
        "(?x)(?<10>a)",
        "(?<1>)",
        "(?<1> )",
        "(?x)(?'a')",
        r"()\1",
        r"()\1 ",
        r"()\10 ",
        "[a]",
        "[a] ",
        "[a-]",
        "[a-] ",
        "[a-b]",
        "[a-[b]] ",
        "[a-b-[c]] ",
        "[[a]-b] ",
        "[[a]-[b]] ",
        r"[\w-a] ",
        r"[\p{Lu}-a] ",
        "[a-[:Ll:]] ",
        "[a-[:Ll]] ",
        r"[\-]",
        "[a-b-c] ",
        "[-b-c] ",
        "[-[b] ",
        "[-[b]] ",
        "[--b] ",
        "[--[b]] ",
        "[,--[a] ",
        "[,--[a]] ",
        r"[\s-a]",
        "[--a]",
        r"[\--a]",
        r"[\0-\1]",
        r"[\0-\01]",
        "[a-[:x:]]",
        r"[\0-\ca]",
        r"[\ca-\cA]",
        r"[\cA-\ca]",
        r"[\u0000-\u0000]",
        r"[\u0000-\u0001]",
        r"[\u0001-a]",
        "[a-a]",
        "[A-a]",
        "(?i)[A-a]",
        r"[a-\x61]",
        r"[\x61-a]",
        r"[a-\x62]",
        r"[\3-\cc]",
        r"[\cc-\3]",
        r"[\2-\cc]",
        r"[\cc-\4]",
        r"[\ca-\cb]",
        r"[\cA-\cB]",
        r"[\--#]",
        r"()()\2",
        r"()()(?n)\1\2",
        r"()()(?-n)\1\2",
        r"()(?-n)()\1\2",
        r"(?-n)()()\1\2",
        r"()()(?n:\1\2)",
        r"()()(?-n:\1\2)",
        r"(?n:)()()\1\2",
        r"(?-n:)()()\1\2",
        r"(?n)(?-n)()()\1\2",
        r"(?<duplicateWord>\w+)\s\k<duplicateWord>\W(?<nextWord>\w+)",
        r"((?<One>abc)\d+)?(?<Two>xyz)(.*)",
        r"(\w+)\s(\1)",
        r"\Bqu\w+",
        r"\bare\w*\b",
        r"^[0-9-[2468]]+$",
        r"[a-z-[0-9]]",
        r"[a-z-[d-w-[m-o]]]",
        r"(\w)\1+.\b",
        r"(?<=\b20)\d{2}\b",
        r"\b\w+\b(?!\p{P})",
        r"\b(?!un)\w+\b",
        r"\b(?ix: d \w+)\s",
        r"(?:\b(?:\w+)\W*)+",
        r"[^<>]*",
        r"\b\w+(?=\sis\b)",
        r"^\D\d{1,5}\D*$",
        r"\b.*[.?!;:](\s|\z)",
        r"(\P{Sc})+",
        r"[^\p{P}\d]",
        r"gr[ae]y\s\S+?[\s\p{P}]",
        r"[^\p{Ll}\p{Lu}\p{Lt}\p{Lo}\p{Nd}\p{Pc}\p{Lm}] ",
        r"^(\(?\d{3}\)?[\s-])?\d{3}-\d{4}$",
        r"[^\f\n\r\t\v\x85\p{Z}]",
        r"\b\w+(e)?s(\s|$)",
        r"(?>(\w)\1+).\b",
        r"(\b(\w+)\W+)+",
        r"\p{Sc}*(\s?\d+[.,]?\d*)\p{Sc}*",
        r"^(\w+\s?)+$",
        r"(?ix) d \w+ \s",
        r"\b(?i:t)he\w*\b",
        r"(?m)^(\w+)\s(\d+)\r*$",
        r"(?s)^.+",
        r"\b\(?((\w+),?\s?)+[\.!?]\)?",
        r"(?n)\b\(?((?>\w+),?\s?)+[\.!?]\)?",
        r"(?x)\b \(? ( (?>\w+) ,?\s? )+  [\.!?] \)? # Matches a sentence.",
        r"\b(D\w+)(?ixn) \s (d\w+) \b",
        r"\b((?# case-sensitive comparison)D\w+)\s((?#case-insensitive)d\w+)\b",
        r"\b91*9*\b",
        r"(00\s){2,4}",
        r"^\s*(System.)??Console.Write(Line)??\(??",
        r"\b(\w{3,}?\.){2}?\w{3,}?\b",
        r"(?<char>\w)\k<char>",
        r"(?<2>\w)\k<2>",
        r"\{\d+(,-*\d+)*(\:\w{1,4}?)*\}(?x) # a composite format item.",
    ];
    for p in valid {
        if let Err(e) = NetRegex::new(p, Options::default()) {
            panic!("`{p}` is valid in .NET: {e:?}");
        }
    }
    let invalid = [
        "(?#",
        "(?# ",
        "(?",
        "(? ",
        "(?x)(?-x",
        "(?x)(?-x ",
        "(?x)(?-x :",
        "(?x)(?-x )",
        "(?x)(?-x :)",
        ")",
        "(",
        "#(",
        "#\n(",
        "(a",
        "a{1,0}",
        "*",
        "(*)",
        "a**",
        "+",
        "(+)",
        "a*+",
        "?",
        "(?)",
        "a*??",
        "{0}",
        "({0})",
        "a*{0}",
        r"\c",
        r"\c<",
        r"\c A",
        r"\c(a)",
        r"\c>",
        r"\c?",
        r"\c`",
        r"\c{",
        r"\m",
        r"\x",
        r"\x ",
        r"\x0",
        r"\x0 ",
        r"\xgg",
        r"\m ",
        r"\u",
        r"\u0",
        r"\u00",
        r"\u000",
        r"\u ",
        r"\u0 ",
        r"\ugggg",
        r"\7",
        r"\8",
        r"\k",
        r"\k ",
        r"\k<",
        r"\k< ",
        r"\k<0",
        r"\k<0 ",
        r"\k<a> ",
        r"\k'",
        r"\k' ",
        r"\k'0",
        r"\k'a' ",
        r"\k<0' ",
        r"\k'0> ",
        "\\",
        r"\<a> ",
        r"\'a' ",
        r"\p{ Cc }",
        r"(?x)\p{ Cc }",
        r"(?x)\p {Cc}",
        r"\p{xxx}",
        r"\p",
        r"\p{",
        r"\p{}",
        r"\p{} ",
        r"\p {} ",
        r"\p{Cc ",
        "(?:",
        "(?x)(?: ",
        "(?=",
        "(?!",
        "(?>",
        "(?<=",
        "(?<!",
        "(?x)(?<",
        "(?x)(?<>",
        "(?x)(?<a",
        "(?x)(?<a>",
        "(?x)(?<a>a",
        "(?<a >a)",
        "(?< a>a)",
        "(?< a >a)",
        "(?x)(?<0>a)",
        r"\1",
        r"\1 ",
        "[",
        "[ ",
        "[]",
        "[] ",
        "[a-",
        "[a- ",
        "[a-[b]-c] ",
        "[a-z-[b]12]",
        r"[a-\w] ",
        r"[\p{llll}-a] ",
        r"[a-\p{Lu}] ",
        "[a-[:",
        "[a-[:L",
        "[a-[:L:",
        "[a-[:L:]",
        "[--b ",
        "[--[b ",
        "[--[b] ",
        "[a--[b ",
        r"[\c<-\c>]",
        r"[\c>-\c<]",
        r"[\c>-a]",
        r"[a-\c>]",
        "[a--]",
        r"[\1-\0]",
        r"[\01-\0]",
        r"[\ca-\0]",
        r"[\u0-\u1]",
        r"[\u1-\u0]",
        r"[\u0001-\u0000]",
        r"[a-\u0001]",
        "[a-A]",
        "(?i)[a-A]",
        r"[a-\x60]",
        r"[\x62-a]",
        r"[\cc-\2]",
        r"[\4-\cc]",
        r"[\cb-\ca]",
        r"[\cB-\cA]",
        r"[b-\-a]",
        r"[b-\-\-a]",
        r"()\2",
        r"(?n)()\1",
        r"(?n)()()\2",
        r"()(?n)()\1\2",
        r"(?n)()()\1\2",
        r"(?-n)(?n)()()\1\2",
        r"(?n)()()(?-n)\1\2",
        r"((\w+(\s?)){2,}",
        r"cat([a-\d]*)dog",
        r"\k<1",
        "(?')",
        "(?<)",
        "(?imn )",
        "(?imn",
        "(?'cat'",
        "(?'",
        "(?'=)",
        "(?'!)",
        "[^",
        "[cat",
        "[^cat",
        r"\p{cat",
        r"\k<cat",
        r"\p{cat}",
        r"\P{cat",
        r"\P{cat}",
        "(?<cat>",
        r"\P{",
        r"\k<>",
        "?(a|b)",
        "[a",
        "foo(?<0>bar)",
        "foo(?'0'bar)",
        "foo(?<1bar)",
        r"\p{klsak",
        "(?c:cat)",
        "(??e:cat)",
        "[a-f-[]]+",
        "[A-[]+",
        "(?r:cat)",
        r"\x2",
        "cat(?<>dog)",
        "cat(?<dog<>)_*>dog)",
        "cat(?<dog >)_*>dog)",
        "cat(?<dog!>)_*>dog)",
        "cat(?<dog)_*>dog)",
        "cat(?<1dog>dog)",
        "cat(?<0>dog)",
        r"([5-\D]*)dog",
        r"cat([6-\s]*)dog",
        r"([f-\p{Lu}]\w*)\s([\p{Lu}]\w*)",
        r"[\P]",
        r"([\pcat])",
        r"([\Pcat])",
        r"(\p{",
        r"(\p{Ll",
        r"(cat)([\o]*)(dog)",
        r"[\p]",
        r"(?<cat>cat)\s+(?<dog>dog)\kcat",
        r"(?<cat>cat)\s+(?<dog>dog)\k<cat2>",
        r"(?<cat>cat)\s+(?<dog>dog)\k<8>cat",
        r"^[abcd]{1}?*$",
        r"^[abcd]*+$",
        r"^[abcd]+*$",
        r"^[abcd]*?+$",
        r"^[abcd]??*$",
        r"^[abcd]+{0,5}$",
        r"\ua",
        r"^[abcd]{0,16}?*$",
        r"(?<cat>cat)\s+(?<dog>dog)\k8",
        r"(cat)(\7)",
        r"(cat)\s+(?<2147483648>dog)",
        r"(cat)\s+(?<21474836481097>dog)",
        r"(cat)(\c*)(dog)",
        r"(cat)(\c *)(dog)",
        r"(cat)(\c`*)(dog)",
        r"(cat)(\c\|*)(dog)",
        r"(cat)\c",
        "(cat)(\\c\0*)(dog)",
        r"(cat)(\c\[*)(dog)",
        "(?<",
        "(?>-",
        "())",
        "[a-z-[aeiuo]",
        "[a-z-[aeiuo",
        "[a-z-[b]",
        "[a-z-[b",
        "[b-a]",
        r"[a-c]{2,1}",
        r"\d{2147483648}",
        "[a-z-[b][",
        "[^]",
        "??",
        "(?=*)",
        "((((((*))))))",
    ];
    for p in invalid {
        if let Ok(r) = NetRegex::new(p, Options::default()) {
            panic!("`{p}` is invalid in .NET, got `{}`", r.translated());
        }
    }
    assert!(NetRegex::new(&"(".repeat(1183), Options::default()).is_err());
}

/// `\w`, `\d`, `\s` and `\b`'s word characters agree with .NET's definitions on every BMP
/// character (the categories come from an independent Unicode table).
#[test]
fn shorthand_membership_over_the_bmp() {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    let word = re(r"^\w$");
    let digit = re(r"^\d$");
    let space = re(r"^\s$");
    let not_word = re(r"^[\W]$");
    let cased = re_ci(r"^\p{Lu}$");
    let mut mismatches = Vec::new();
    for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
        let h = c.to_string();
        let cat = get_general_category(c);
        let is_word = matches!(
            cat,
            G::UppercaseLetter
                | G::LowercaseLetter
                | G::TitlecaseLetter
                | G::ModifierLetter
                | G::OtherLetter
                | G::NonspacingMark
                | G::DecimalNumber
                | G::ConnectorPunctuation
        );
        let is_space = matches!(c, '\t'..='\r' | '\u{85}')
            || matches!(
                cat,
                G::SpaceSeparator | G::LineSeparator | G::ParagraphSeparator
            );
        let checks = [
            ("\\w", word.is_match(&h).unwrap(), is_word),
            ("[\\W]", not_word.is_match(&h).unwrap(), !is_word),
            ("\\d", digit.is_match(&h).unwrap(), cat == G::DecimalNumber),
            ("\\s", space.is_match(&h).unwrap(), is_space),
            (
                "(?i)\\p{Lu}",
                cased.is_match(&h).unwrap(),
                matches!(
                    cat,
                    G::UppercaseLetter | G::LowercaseLetter | G::TitlecaseLetter
                ),
            ),
        ];
        for (what, got, want) in checks {
            if got != want {
                mismatches.push(format!("{what} U+{:04X}: got {got}", u32::from(c)));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(10)]
    );
}

/// Patterns compiled while an earlier compilation of the same text is alive share it; the
/// size each is charged returns to the budget when the last clone goes.
#[test]
fn patterns_are_compiled_once_and_charged_while_alive() {
    let text = "^shared-pattern-[0-9]+$";
    let a = NetRegex::new(text, Options::default()).unwrap();
    let b = NetRegex::new(text, Options::default()).unwrap();
    assert!(Arc::ptr_eq(&a.0, &b.0), "compiled twice");
    let other = NetRegex::new(
        text,
        Options {
            case_insensitive: true,
        },
    )
    .unwrap();
    assert!(
        !Arc::ptr_eq(&a.0, &other.0),
        "the options are part of the key"
    );
    assert!(a.charge >= TIERS[0]);
    // Other tests compile in parallel, so the total only bounds ours from below.
    let big = NetRegex::new(r"(?:\w{1,64}){4}", Options::default()).unwrap();
    assert!(
        big.charge > TIERS[0],
        "charged by its size tier: {}",
        big.charge
    );
    assert!(LIVE.load(Ordering::Relaxed) >= a.charge + big.charge + other.charge);
}

/// A pattern over the size limit is refused as too large (not as invalid), and so is one that
/// would take the live patterns over the budget.
#[test]
fn size_limits_refuse_with_too_large() {
    let e = NetRegex::new("(?:a{1000}){1000}", Options::default()).unwrap_err();
    assert!(e.too_large, "{e:?}");
    assert!(e.message.contains("too large to compile"), "{e:?}");
    // Refused again from the cache, at once.
    let started = std::time::Instant::now();
    assert!(
        NetRegex::new("(?:a{1000}){1000}", Options::default())
            .unwrap_err()
            .too_large
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
    let e = Charge(COMPILED_BUDGET + 1).reserve().unwrap_err();
    assert!(e.too_large && e.message.contains("budget"), "{e:?}");
    assert!(NetRegex::new("a{1000}", Options::default()).is_ok());
}

/// Inputs longer than the cap are refused by the backtracking engine only: the linear engine
/// runs on input of any length.
#[test]
fn the_input_cap_applies_to_the_backtracking_engine_only() {
    let long = "a".repeat(MAX_BACKTRACKING_INPUT + 1);
    let lookaround = NetRegex::new("(?<=a)b", Options::default()).unwrap();
    let e = lookaround.is_match(&long).unwrap_err();
    assert!(e.message.contains("bytes long"), "{e:?}");
    assert_eq!(lookaround.is_match(&long[1..]), Ok(false));
    let linear = NetRegex::new("a+b", Options::default()).unwrap();
    assert_eq!(linear.is_match(&long), Ok(false));
    // `$` has a linear fast path for input that does not end with a new line.
    let end = NetRegex::new("a$", Options::default()).unwrap();
    assert_eq!(end.is_match(&long), Ok(true));
    assert!(end.is_match(&format!("{long}\n")).is_err());
}
