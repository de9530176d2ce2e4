//! Dictionary-encoded columns: how source data, identity attributes and account attributes are
//! held during evaluation.
//!
//! A workforce has few distinct departments, countries, job codes or dates, and many people
//! share each: a column keeps every distinct value once (its *dictionary*) and, per row, the
//! code of the row's value, in one, two or four bytes depending on how many distinct values
//! there are. Code 0 is always NULL. A function of one column's values is a function of its
//! dictionary: [`Column::map_values`] computes it once per distinct value and shares the codes.
//!
//! Dictionaries may hold the same value under two codes (after [`Column::map_values`] maps two
//! values to one): codes tell rows apart only as far as "equal codes, equal values".

use std::hash::BuildHasher as _;
use std::sync::Arc;

use crate::value::Value;

/// The per-row codes of a column, as narrow as the dictionary allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codes {
    /// Up to 256 distinct values.
    U8(Vec<u8>),
    /// Up to 65,536 distinct values.
    U16(Vec<u16>),
    /// More.
    U32(Vec<u32>),
}

impl Codes {
    /// Narrows `codes` whose largest code is below `distinct`.
    fn narrow(codes: Vec<u32>, distinct: usize) -> Codes {
        if distinct <= 1 << 8 {
            Codes::U8(codes.into_iter().map(|c| c as u8).collect())
        } else if distinct <= 1 << 16 {
            Codes::U16(codes.into_iter().map(|c| c as u16).collect())
        } else {
            Codes::U32(codes)
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Codes::U8(c) => c.len(),
            Codes::U16(c) => c.len(),
            Codes::U32(c) => c.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The code of row `i` (0, NULL, beyond the end).
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Codes::U8(c) => c.get(i).map_or(0, |&x| u32::from(x)),
            Codes::U16(c) => c.get(i).map_or(0, |&x| u32::from(x)),
            Codes::U32(c) => c.get(i).copied().unwrap_or(0),
        }
    }
}

/// A dictionary-encoded column of values.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    values: Arc<Vec<Value>>,
    codes: Arc<Codes>,
}

impl Default for Column {
    fn default() -> Self {
        Column::nulls(0)
    }
}

impl Column {
    /// `len` NULLs.
    pub fn nulls(len: usize) -> Column {
        Column {
            values: Arc::new(vec![Value::Null]),
            codes: Arc::new(Codes::U8(vec![0; len])),
        }
    }

    /// The same value on `len` rows.
    pub fn constant(value: Value, len: usize) -> Column {
        Column {
            values: Arc::new(vec![Value::Null, value]),
            codes: Arc::new(Codes::U8(vec![1; len])),
        }
    }

    /// A column from its values, one per row.
    pub fn from_values(values: impl IntoIterator<Item = Value>) -> Column {
        let mut b = ColumnBuilder::new();
        for v in values {
            b.push(v);
        }
        b.finish()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The value of row `i` (NULL beyond the end).
    #[inline]
    pub fn get(&self, i: usize) -> &Value {
        self.values
            .get(self.codes.get(i) as usize)
            .unwrap_or(&Value::Null)
    }

    /// The code of row `i`.
    #[inline]
    pub fn code(&self, i: usize) -> u32 {
        self.codes.get(i)
    }

    /// The dictionary: the value of each code. Code 0 is NULL.
    pub fn dictionary(&self) -> &[Value] {
        &self.values
    }

    /// The per-row codes.
    pub fn codes(&self) -> &Codes {
        &self.codes
    }

    /// The value of each row, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Value> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// A column with the same codes and `f` applied to each distinct value, once. `f` must
    /// map NULL to NULL, or code 0 stops meaning NULL (which [`Column::get`] still honours).
    pub fn map_values(&self, f: impl FnMut(&Value) -> Value) -> Column {
        Column {
            values: Arc::new(self.values.iter().map(f).collect()),
            codes: Arc::clone(&self.codes),
        }
    }

    /// A column with the same codes and `values` as its dictionary (value `c` for code `c`;
    /// codes beyond `values` read as NULL).
    pub fn with_dictionary(&self, values: Vec<Value>) -> Column {
        Column {
            values: Arc::new(values),
            codes: Arc::clone(&self.codes),
        }
    }

    /// The rows `rows` of this column, in that order (`None`: a NULL row).
    pub fn gather(&self, rows: impl ExactSizeIterator<Item = Option<usize>>) -> Column {
        let codes: Vec<u32> = rows.map(|r| r.map_or(0, |r| self.codes.get(r))).collect();
        Column {
            codes: Arc::new(Codes::narrow(codes, self.values.len())),
            values: Arc::clone(&self.values),
        }
    }

    /// What identifies this column's data (its shared dictionary and codes), for caches.
    pub fn fingerprint(&self) -> (usize, usize) {
        (
            Arc::as_ptr(&self.values) as usize,
            Arc::as_ptr(&self.codes) as usize,
        )
    }

    /// Whether two columns share their codes (one was mapped from the other).
    pub fn same_codes(&self, other: &Column) -> bool {
        Arc::ptr_eq(&self.codes, &other.codes)
    }
}

/// The hasher of dictionaries: fixed, so that runs are reproducible.
fn hash(v: &Value) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(v)
}

/// Builds a column row by row, interning each distinct value once.
#[derive(Debug)]
pub struct ColumnBuilder {
    values: Vec<Value>,
    table: hashbrown::HashTable<u32>,
    codes: Vec<u32>,
}

impl Default for ColumnBuilder {
    fn default() -> Self {
        ColumnBuilder::new()
    }
}

impl ColumnBuilder {
    /// An empty column.
    pub fn new() -> ColumnBuilder {
        ColumnBuilder {
            values: vec![Value::Null],
            table: hashbrown::HashTable::new(),
            codes: Vec::new(),
        }
    }

    /// An empty column with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> ColumnBuilder {
        let mut b = ColumnBuilder::new();
        b.codes.reserve(rows);
        b
    }

    /// The code of `v`, added to the dictionary when new. NULL is code 0.
    pub fn intern(&mut self, v: Value) -> u32 {
        if matches!(v, Value::Null) {
            return 0;
        }
        let h = hash(&v);
        let values = &self.values;
        if let Some(&code) = self
            .table
            .find(h, |&c| values.get(c as usize).is_some_and(|x| *x == v))
        {
            return code;
        }
        let code = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(v);
        let values = &self.values;
        self.table
            .insert_unique(h, code, |&c| values.get(c as usize).map_or(0, hash));
        code
    }

    /// The code of a value equal to `v`, if it is in the dictionary.
    pub fn find(&self, v: &Value) -> Option<u32> {
        if matches!(v, Value::Null) {
            return Some(0);
        }
        let values = &self.values;
        self.table
            .find(hash(v), |&c| values.get(c as usize).is_some_and(|x| x == v))
            .copied()
    }

    /// Appends a row holding `v`.
    pub fn push(&mut self, v: Value) {
        let code = self.intern(v);
        self.codes.push(code);
    }

    /// Appends a row holding the value of `code` (from [`ColumnBuilder::intern`]).
    pub fn push_code(&mut self, code: u32) {
        self.codes.push(code);
    }

    /// The value of a code.
    pub fn value(&self, code: u32) -> &Value {
        self.values.get(code as usize).unwrap_or(&Value::Null)
    }

    /// The rows so far.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The number of codes given so far (NULL's included).
    pub fn distinct(&self) -> usize {
        self.values.len()
    }

    /// The dictionary: the value of each code.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// The column, with `codes` as its rows (each a code from [`ColumnBuilder::intern`], or
    /// 0) instead of those pushed.
    pub fn finish_with(self, codes: Codes) -> Column {
        Column {
            values: Arc::new(self.values),
            codes: Arc::new(codes),
        }
    }

    /// The column.
    pub fn finish(self) -> Column {
        let distinct = self.values.len();
        Column {
            values: Arc::new(self.values),
            codes: Arc::new(Codes::narrow(self.codes, distinct)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn interning_keeps_each_distinct_value_once_and_rows_in_order() {
        let c = Column::from_values([s("a"), Value::Null, s("b"), s("a"), Value::Int(1)]);
        assert_eq!(c.len(), 5);
        assert_eq!(c.dictionary().len(), 4, "null, a, b, 1");
        let rows: Vec<Value> = c.iter().cloned().collect();
        assert_eq!(rows, [s("a"), Value::Null, s("b"), s("a"), Value::Int(1)]);
        assert_eq!(c.code(1), 0, "NULL is code 0");
        assert_eq!(c.code(0), c.code(3));
        assert!(matches!(c.codes(), Codes::U8(_)));
        assert_eq!(c.get(99), &Value::Null, "beyond the end is NULL");
    }

    #[test]
    fn codes_widen_with_the_dictionary() {
        let c = Column::from_values((0..300).map(Value::Int));
        assert!(matches!(c.codes(), Codes::U16(_)));
        assert_eq!(c.get(299), &Value::Int(299));
        let c = Column::from_values((0..70_000).map(Value::Int));
        assert!(matches!(c.codes(), Codes::U32(_)));
        assert_eq!(c.get(69_999), &Value::Int(69_999));
    }

    #[test]
    fn map_values_shares_codes_and_gather_reorders() {
        let c = Column::from_values([s("x"), s("y"), s("x")]);
        let upper = c.map_values(|v| match v {
            Value::Str(t) => s(&t.to_uppercase()),
            other => other.clone(),
        });
        assert!(upper.same_codes(&c));
        assert_eq!(upper.get(2), &s("X"));
        let g = c.gather([Some(1), None, Some(0)].into_iter());
        let rows: Vec<Value> = g.iter().cloned().collect();
        assert_eq!(rows, [s("y"), Value::Null, s("x")]);
    }
}
