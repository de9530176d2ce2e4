//! The function catalogue of Entra's mapping-expression language: names, arities and which
//! arguments may be omitted. Implementations live in [`super::eval`], one match arm each.

/// Every function of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Func {
    Append,
    AppRoleAssignmentsComplex,
    AssertiveAppRoleAssignmentsComplex,
    BitAnd,
    CBool,
    CDate,
    Coalesce,
    ConvertToBase64,
    ConvertToUtf8Hex,
    Count,
    CStr,
    DateAdd,
    DateDiff,
    DateFromNum,
    DefaultDomain,
    FormatDateTime,
    Guid,
    IgnoreFlowIfNullOrEmpty,
    Iif,
    InStr,
    IsNull,
    IsNullOrEmpty,
    IsPresent,
    IsString,
    Item,
    Join,
    Left,
    Mid,
    NormalizeDiacritics,
    Not,
    Now,
    NumFromDate,
    PCase,
    RandomString,
    Redact,
    RemoveDuplicates,
    Replace,
    SelectUniqueValue,
    SingleAppRoleAssignment,
    Split,
    StripSpaces,
    Switch,
    ToLower,
    ToUpper,
    Word,
}

/// A catalogue entry.
#[derive(Debug, Clone, Copy)]
pub struct FuncInfo {
    /// The function.
    pub func: Func,
    /// The name as Entra documents it.
    pub name: &'static str,
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments; `None` is variadic.
    pub max: Option<usize>,
    /// Zero-based positions that may be written empty (`Replace([x], , "re", , "", , )`).
    pub optional: &'static [usize],
    /// The signature, for help messages.
    pub signature: &'static str,
}

/// Marks a variadic function whose arguments may all be written empty (they count as NULL).
const REST: &[usize] = &[usize::MAX];

macro_rules! catalogue {
    ($( $func:ident $name:literal $min:literal $max:expr, $optional:expr, $sig:literal; )*) => {
        /// The catalogue, alphabetical.
        pub const FUNCTIONS: &[FuncInfo] = &[
            $( FuncInfo { func: Func::$func, name: $name, min: $min, max: $max, optional: $optional, signature: $sig }, )*
        ];
    };
}

catalogue! {
    Append "Append" 2 Some(2), &[], "Append(source, suffix)";
    AppRoleAssignmentsComplex "AppRoleAssignmentsComplex" 1 Some(1), &[], "AppRoleAssignmentsComplex([appRoleAssignments])";
    AssertiveAppRoleAssignmentsComplex "AssertiveAppRoleAssignmentsComplex" 1 Some(1), &[], "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])";
    BitAnd "BitAnd" 2 Some(2), &[], "BitAnd(value1, value2)";
    CBool "CBool" 1 Some(1), &[], "CBool(expression)";
    CDate "CDate" 1 Some(1), &[], "CDate(expression)";
    Coalesce "Coalesce" 1 None, REST, "Coalesce(source1, ..., sourceN, defaultValue)";
    ConvertToBase64 "ConvertToBase64" 1 Some(1), &[], "ConvertToBase64(source)";
    ConvertToUtf8Hex "ConvertToUTF8Hex" 1 Some(1), &[], "ConvertToUTF8Hex(source)";
    Count "Count" 1 Some(1), &[], "Count(attribute)";
    CStr "CStr" 1 Some(1), &[], "CStr(value)";
    DateAdd "DateAdd" 3 Some(3), &[], "DateAdd(interval, value, dateTime)";
    DateDiff "DateDiff" 3 Some(3), &[], "DateDiff(interval, date1, date2)";
    DateFromNum "DateFromNum" 1 Some(1), &[], "DateFromNum(value)";
    DefaultDomain "DefaultDomain" 0 Some(0), &[], "DefaultDomain()";
    FormatDateTime "FormatDateTime" 3 Some(4), &[1, 2], "FormatDateTime(source, dateTimeStyles, inputFormat, outputFormat)";
    Guid "Guid" 0 Some(0), &[], "Guid()";
    IgnoreFlowIfNullOrEmpty "IgnoreFlowIfNullOrEmpty" 1 Some(1), &[], "IgnoreFlowIfNullOrEmpty(expression)";
    Iif "IIF" 3 Some(3), &[], "IIF(condition, valueIfTrue, valueIfFalse)";
    InStr "InStr" 2 Some(4), &[2, 3], "InStr(value1, value2, start, compareType)";
    IsNull "IsNull" 1 Some(1), &[], "IsNull(expression)";
    IsNullOrEmpty "IsNullOrEmpty" 1 Some(1), &[], "IsNullOrEmpty(expression)";
    IsPresent "IsPresent" 1 Some(1), &[], "IsPresent(expression)";
    IsString "IsString" 1 Some(1), &[], "IsString(expression)";
    Item "Item" 2 Some(2), &[], "Item(attribute, index)";
    Join "Join" 1 None, REST, "Join(separator, source1, ..., sourceN)";
    Left "Left" 2 Some(2), &[], "Left(string, numChars)";
    Mid "Mid" 3 Some(3), &[], "Mid(source, start, length)";
    NormalizeDiacritics "NormalizeDiacritics" 1 Some(1), &[], "NormalizeDiacritics(source)";
    Not "Not" 1 Some(1), &[], "Not(source)";
    Now "Now" 0 Some(0), &[], "Now()";
    NumFromDate "NumFromDate" 1 Some(1), &[], "NumFromDate(value)";
    PCase "PCase" 1 Some(2), &[1], "PCase(source, wordSeparators)";
    RandomString "RandomString" 5 Some(6), &[5], "RandomString(length, minimumNumbers, minimumSpecialCharacters, minimumCapital, minimumLowerCase, charactersToAvoid)";
    Redact "Redact" 1 Some(1), &[], "Redact(value)";
    RemoveDuplicates "RemoveDuplicates" 1 Some(1), &[], "RemoveDuplicates(attribute)";
    Replace "Replace" 3 Some(7), &[1, 2, 3, 4, 5, 6], "Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName, template)";
    SelectUniqueValue "SelectUniqueValue" 2 None, &[], "SelectUniqueValue(uniqueValueRule1, uniqueValueRule2, ...)";
    SingleAppRoleAssignment "SingleAppRoleAssignment" 1 Some(1), &[], "SingleAppRoleAssignment([appRoleAssignments])";
    Split "Split" 2 Some(2), &[], "Split(source, delimiter)";
    StripSpaces "StripSpaces" 1 Some(1), &[], "StripSpaces(source)";
    Switch "Switch" 2 None, &[1], "Switch(source, defaultValue, key1, value1, key2, value2, ...)";
    ToLower "ToLower" 1 Some(2), &[1], "ToLower(source, culture)";
    ToUpper "ToUpper" 1 Some(2), &[1], "ToUpper(source, culture)";
    Word "Word" 3 Some(3), &[], "Word(string, wordNumber, delimiters)";
}

/// Looks a function up by name, case-insensitively (Microsoft's own documentation writes
/// `switch(` and `IsNullorEmpty`). The second value is false when the case differs from the
/// documented name.
pub fn lookup(name: &str) -> Option<(&'static FuncInfo, bool)> {
    FUNCTIONS
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| (f, f.name == name))
}

impl FuncInfo {
    /// Whether the argument at `index` may be written empty.
    pub fn may_omit(&self, index: usize) -> bool {
        self.optional == REST || self.optional.contains(&index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_unique() {
        let names: Vec<String> = FUNCTIONS.iter().map(|f| f.name.to_lowercase()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn lookup_ignores_case_and_reports_it() {
        assert_eq!(
            lookup("Switch").map(|(f, exact)| (f.func, exact)),
            Some((Func::Switch, true))
        );
        assert_eq!(
            lookup("switch").map(|(f, exact)| (f.func, exact)),
            Some((Func::Switch, false))
        );
        assert_eq!(
            lookup("IsNullorEmpty").map(|(f, _)| f.func),
            Some(Func::IsNullOrEmpty)
        );
        assert!(lookup("Trim").is_none());
    }

    #[test]
    fn every_signature_names_the_function() {
        for f in FUNCTIONS {
            assert!(f.signature.starts_with(f.name), "{}", f.name);
        }
    }
}
