//! Mappings evaluated a column at a time.
//!
//! An identity attribute (or a target account's attribute) is a function of a few input
//! columns. Most HR attributes take few distinct values, so a pure expression is evaluated once
//! per distinct *combination of input codes* that occurs, and the result is shared by every row
//! that holds that combination:
//!
//! - one input: once per code of the input's dictionary that some row in scope holds; the
//!   output shares the input's codes and has a dictionary of its own (no per-row work beyond
//!   one scan);
//! - several inputs: the row's codes are packed into one key and memoised;
//! - `SelectUniqueValue`, `RandomString` and `Guid` depend on what came before: they are
//!   evaluated row by row, in identity order (key order), as one sequence per mapping.
//!
//! Results are exactly those of evaluating the program row by row ([`crate::expr::Program`] is
//! a pure function of its slot values and the context, apart from the three functions above),
//! which `tests` below check against a per-row evaluation.

use std::hash::BuildHasher as _;

use chrono::NaiveDateTime;
use rand::SeedableRng as _;

use crate::column::{Column, ColumnBuilder};
use crate::diagnostics::Diagnostic;
use crate::expr::functions::Func;
use crate::expr::{Context, Outcome, Program};
use crate::rule::sets::Bitset;
use crate::value::Value;

/// How one mapping computes its value.
#[derive(Debug, Clone, Copy)]
pub enum How<'p> {
    /// The value of the (single) input.
    Copy,
    /// A constant.
    Constant(&'p str),
    /// An expression over the inputs (by slot).
    Expression(&'p Program),
}

/// What the evaluation of one mapping needs from the run.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// `Now()` and rule `system.now`.
    pub now: NaiveDateTime,
    /// `DefaultDomain()`.
    pub default_domain: &'a str,
}

/// One mapping's column and what happened on the way.
#[derive(Debug, Default, Clone)]
pub struct Computed {
    /// The value of each row (rows out of scope hold whatever: they are not reported).
    pub column: Column,
    /// Rows whose evaluation failed (their value is NULL, or the default), with why.
    pub errors: Vec<(usize, Diagnostic)>,
    /// Rows for which the expression returned `IgnoreObjectFlow`.
    pub ignore_object: Vec<usize>,
    /// Rows for which it returned `IgnoreAttributeFlow` (or `IgnoreObjectFlow`): no value
    /// flows.
    pub ignore_attribute: Vec<usize>,
}

/// The outcome of one evaluation, as memoised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Code(u32),
    IgnoreAttribute,
    IgnoreObject,
    Error(u32),
}

/// Whether a program's value depends on more than its inputs (earlier rows, a random source).
pub fn is_sequential(program: &Program) -> bool {
    program.calls().iter().any(|c| {
        matches!(
            c.func,
            Func::SelectUniqueValue | Func::RandomString | Func::Guid
        )
    })
}

/// Whether the program's top-level function is `SelectUniqueValue`: its values are taken for
/// the rows after.
pub fn is_unique(program: &Program) -> bool {
    matches!(&program.root, crate::expr::compile::Node::Call(c) if c.func == Func::SelectUniqueValue)
}

/// A seed for a mapping's random source, from its name: the same run after run.
fn seed(name: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x0057_e4ed).hash_one(name)
}

/// Evaluates one mapping over `len` rows. `inputs` are the slot columns (`None`: a reference
/// that resolves to nothing, NULL). Only rows in `scope` (all rows when `None`) are evaluated;
/// the others are NULL. `default` replaces a NULL result.
pub fn compute(
    name: &str,
    how: How<'_>,
    inputs: &[Option<&Column>],
    default: Option<&str>,
    len: usize,
    scope: Option<&Bitset>,
    env: Env<'_>,
) -> Computed {
    let mut out = match how {
        How::Copy => Computed {
            column: match inputs.first().copied().flatten() {
                Some(c) => c.clone(),
                None => Column::nulls(len),
            },
            ..Computed::default()
        },
        How::Constant(c) => Computed {
            column: Column::constant(Value::Str(c.to_string()), len),
            ..Computed::default()
        },
        How::Expression(program) if is_sequential(program) => {
            sequential(name, program, inputs, default, len, scope, env)
        }
        How::Expression(program) => match inputs {
            [Some(input)] if input.len() == len => single(program, input, scope, env),
            _ => memoised(program, inputs, len, scope, env),
        },
    };
    if let Some(default) = default {
        let default = Value::Str(default.to_string());
        out.column = out.column.map_values(|v| {
            if v.is_null() {
                default.clone()
            } else {
                v.clone()
            }
        });
    }
    out
}

fn in_scope(scope: Option<&Bitset>, row: usize) -> bool {
    scope.is_none_or(|s| s.contains(row))
}

/// Evaluates a pure program once.
fn eval_once(program: &Program, values: &[Value], env: Env<'_>) -> Result<Outcome, Diagnostic> {
    let never = |_: &str| false;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut ctx = Context {
        now: env.now,
        default_domain: env.default_domain,
        is_taken: &never,
        rng: &mut rng,
    };
    program.eval(values, &mut ctx)
}

/// Records what a memoised outcome means for `row`.
fn apply(out: Out, row: usize, errors: &[Diagnostic], computed: &mut Computed) {
    match out {
        Out::Code(_) => {}
        Out::IgnoreAttribute => computed.ignore_attribute.push(row),
        Out::IgnoreObject => {
            computed.ignore_attribute.push(row);
            computed.ignore_object.push(row);
        }
        Out::Error(e) => {
            if let Some(d) = errors.get(e as usize) {
                computed.errors.push((row, d.clone()));
            }
        }
    }
}

/// The value of `row` in an input column (NULL for a missing column or beyond its end).
fn row_value(column: Option<&Column>, row: usize) -> Value {
    column
        .filter(|c| row < c.len())
        .map_or(Value::Null, |c| c.get(row).clone())
}

/// Appends row `row`'s outcome: its code (NULL unless a value) and what else it means.
fn push_row(
    builder: &mut ColumnBuilder,
    out: Out,
    row: usize,
    errors: &[Diagnostic],
    computed: &mut Computed,
) {
    builder.push_code(match out {
        Out::Code(c) => c,
        _ => 0,
    });
    apply(out, row, errors, computed);
}

/// Turns an evaluation result into a memo entry, interning the value.
fn outcome(
    result: Result<Outcome, Diagnostic>,
    builder: &mut ColumnBuilder,
    errors: &mut Vec<Diagnostic>,
) -> Out {
    match result {
        Ok(Outcome::Value(v)) => Out::Code(builder.intern(v)),
        Ok(Outcome::IgnoreAttributeFlow) => Out::IgnoreAttribute,
        Ok(Outcome::IgnoreObjectFlow) => Out::IgnoreObject,
        Err(d) => {
            errors.push(d);
            Out::Error(u32::try_from(errors.len() - 1).unwrap_or(u32::MAX))
        }
    }
}

/// One input column: evaluate once per code that a row in scope holds.
fn single(program: &Program, input: &Column, scope: Option<&Bitset>, env: Env<'_>) -> Computed {
    let len = input.len();
    let dictionary = input.dictionary();
    let mut seen = vec![false; dictionary.len()];
    for row in 0..len {
        if in_scope(scope, row)
            && let Some(s) = seen.get_mut(input.code(row) as usize)
        {
            *s = true;
        }
    }
    let mut builder = ColumnBuilder::new();
    let mut errors = Vec::new();
    let table: Vec<Out> = dictionary
        .iter()
        .zip(&seen)
        .map(|(v, seen)| {
            if *seen {
                outcome(
                    eval_once(program, std::slice::from_ref(v), env),
                    &mut builder,
                    &mut errors,
                )
            } else {
                Out::Code(0)
            }
        })
        .collect();
    // The output keeps the input's codes, with a dictionary of results.
    let results: Vec<Value> = table
        .iter()
        .map(|o| match o {
            Out::Code(c) => builder.value(*c).clone(),
            _ => Value::Null,
        })
        .collect();
    let mut computed = Computed {
        column: input.with_dictionary(results),
        ..Computed::default()
    };
    if table.iter().any(|o| !matches!(o, Out::Code(_))) {
        for row in 0..len {
            if in_scope(scope, row)
                && let Some(&o) = table.get(input.code(row) as usize)
            {
                apply(o, row, &errors, &mut computed);
            }
        }
    }
    computed
}

/// Several inputs: memoise on the combination of codes.
fn memoised(
    program: &Program,
    inputs: &[Option<&Column>],
    len: usize,
    scope: Option<&Bitset>,
    env: Env<'_>,
) -> Computed {
    let code = |c: Option<&Column>, row: usize| -> u32 {
        c.filter(|c| row < c.len()).map_or(0, |c| c.code(row))
    };
    // Bits per input code; the key packs them when they fit in 64 bits.
    let widths: Vec<u32> = inputs
        .iter()
        .map(|c| {
            let n = c.map_or(1, |c| c.dictionary().len()).max(1) as u64;
            u64::BITS - n.leading_zeros()
        })
        .collect();
    let packed = widths.iter().sum::<u32>() <= 64;
    let hasher = foldhash::fast::FixedState::with_seed(7);
    let mut small: hashbrown::HashMap<u64, Out, _> =
        hashbrown::HashMap::with_hasher(hasher.clone());
    let mut wide: hashbrown::HashMap<Vec<u32>, Out, _> =
        hashbrown::HashMap::with_hasher(hasher.clone());
    let mut builder = ColumnBuilder::with_capacity(len);
    let mut errors = Vec::new();
    let mut computed = Computed::default();
    let mut values: Vec<Value> = Vec::with_capacity(inputs.len());
    let mut key: Vec<u32> = Vec::with_capacity(inputs.len());
    for row in 0..len {
        if !in_scope(scope, row) {
            builder.push_code(0);
            continue;
        }
        key.clear();
        key.extend(inputs.iter().map(|c| code(*c, row)));
        let hit = if packed {
            let k = key
                .iter()
                .zip(&widths)
                .fold(0u64, |acc, (&c, &w)| (acc << w) | u64::from(c));
            small.get(&k).copied().ok_or(Some(k))
        } else {
            wide.get(key.as_slice()).copied().ok_or(None)
        };
        let out = match hit {
            Ok(out) => out,
            Err(k) => {
                values.clear();
                values.extend(inputs.iter().map(|c| row_value(*c, row)));
                let out = outcome(eval_once(program, &values, env), &mut builder, &mut errors);
                match k {
                    Some(k) => {
                        small.insert(k, out);
                    }
                    None => {
                        wide.insert(key.clone(), out);
                    }
                }
                out
            }
        };
        push_row(&mut builder, out, row, &errors, &mut computed);
    }
    computed.column = builder.finish();
    computed
}

/// For each of `len` rows, a hash of what `SelectUniqueValue` would take if a pure candidate
/// `program` gave the row's value: its text in lower case, hashed (0 for NULL, empty text, an
/// error or a flow keyword, which take nothing). Equal texts hash equal, so a collision can
/// only make two texts look alike. Evaluated once per distinct combination of the codes of
/// the inputs given (`None` inputs read NULL).
pub fn taken_hashes(
    program: &Program,
    inputs: &[Option<&Column>],
    len: usize,
    env: Env<'_>,
) -> Vec<u64> {
    let hasher = foldhash::fast::FixedState::with_seed(0x7a4e);
    let hash_of = |values: &[Value]| -> u64 {
        match eval_once(program, values, env) {
            Ok(Outcome::Value(v)) => match v.as_text() {
                Some(t) if !t.is_empty() => hasher.hash_one(t.to_lowercase()).max(1),
                _ => 0,
            },
            _ => 0,
        }
    };
    let used: Vec<(usize, &Column)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(k, c)| c.map(|c| (k, c)))
        .collect();
    let mut values = vec![Value::Null; inputs.len()];
    match used.as_slice() {
        [] => vec![hash_of(&values); len],
        [(k, column)] => {
            // One input: once per dictionary value.
            let table: Vec<u64> = column
                .dictionary()
                .iter()
                .map(|v| {
                    if let Some(slot) = values.get_mut(*k) {
                        slot.clone_from(v);
                    }
                    hash_of(&values)
                })
                .collect();
            (0..len)
                .map(|row| table.get(column.code(row) as usize).copied().unwrap_or(0))
                .collect()
        }
        _ => {
            // The codes packed into one word when they fit (as in `memoised`).
            let widths: Vec<u32> = used
                .iter()
                .map(|(_, c)| u64::BITS - (c.dictionary().len().max(1) as u64).leading_zeros())
                .collect();
            let packed = widths.iter().sum::<u32>() <= 64;
            let mut small: hashbrown::HashMap<u64, u64, _> =
                hashbrown::HashMap::with_hasher(hasher.clone());
            let mut memo: hashbrown::HashMap<Vec<u32>, u64, _> =
                hashbrown::HashMap::with_hasher(hasher.clone());
            let mut key: Vec<u32> = Vec::with_capacity(used.len());
            (0..len)
                .map(|row| {
                    if packed {
                        let k = used.iter().zip(&widths).fold(0u64, |acc, ((_, c), &w)| {
                            (acc << w) | u64::from(c.code(row))
                        });
                        if let Some(&h) = small.get(&k) {
                            return h;
                        }
                        for (k, c) in &used {
                            if let Some(slot) = values.get_mut(*k) {
                                slot.clone_from(c.get(row));
                            }
                        }
                        let h = hash_of(&values);
                        small.insert(k, h);
                        return h;
                    }
                    key.clear();
                    key.extend(used.iter().map(|(_, c)| c.code(row)));
                    if let Some(&h) = memo.get(key.as_slice()) {
                        return h;
                    }
                    for (k, c) in &used {
                        if let Some(slot) = values.get_mut(*k) {
                            slot.clone_from(c.get(row));
                        }
                    }
                    let h = hash_of(&values);
                    memo.insert(key.clone(), h);
                    h
                })
                .collect()
        }
    }
}

/// Programs whose value depends on earlier rows or a random source: row by row, in order.
fn sequential(
    name: &str,
    program: &Program,
    inputs: &[Option<&Column>],
    default: Option<&str>,
    len: usize,
    scope: Option<&Bitset>,
    env: Env<'_>,
) -> Computed {
    let unique = is_unique(program);
    let mut taken: hashbrown::HashSet<String> = hashbrown::HashSet::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed(name));
    let mut builder = ColumnBuilder::with_capacity(len);
    let mut errors = Vec::new();
    let mut computed = Computed::default();
    let mut values: Vec<Value> = Vec::with_capacity(inputs.len());
    for row in 0..len {
        if !in_scope(scope, row) {
            builder.push_code(0);
            continue;
        }
        values.clear();
        values.extend(inputs.iter().map(|c| row_value(*c, row)));
        let result = {
            let is_taken = |v: &str| taken.contains(&v.to_lowercase());
            let mut ctx = Context {
                now: env.now,
                default_domain: env.default_domain,
                is_taken: &is_taken,
                rng: &mut rng,
            };
            program.eval(&values, &mut ctx)
        };
        // Values chosen by SelectUniqueValue are taken for every row after (the default,
        // when it stands in for a NULL result, is the value the row gets, so it is taken too).
        if unique && let Ok(Outcome::Value(v)) = &result {
            match (v.as_text(), default) {
                (Some(text), _) => {
                    taken.insert(text.to_lowercase());
                }
                (None, Some(d)) if v.is_null() => {
                    taken.insert(d.to_lowercase());
                }
                _ => {}
            }
        }
        let out = outcome(result, &mut builder, &mut errors);
        push_row(&mut builder, out, row, &errors, &mut computed);
    }
    computed.column = builder.finish();
    computed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn program(text: &str) -> Program {
        let (p, diags) = crate::expr::compile_str(text);
        assert!(diags.is_empty(), "{text}: {diags:?}");
        p.unwrap_or_else(|| unreachable!())
    }

    fn env() -> Env<'static> {
        Env {
            now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default(),
            default_domain: "contoso.com",
        }
    }

    /// The reference: every row evaluated on its own.
    fn per_row(
        program: &Program,
        inputs: &[Option<&Column>],
        default: Option<&str>,
        len: usize,
        scope: Option<&Bitset>,
    ) -> (Vec<Value>, Vec<usize>, Vec<usize>) {
        let mut values = Vec::new();
        let mut errors = Vec::new();
        let mut ignored = Vec::new();
        for row in 0..len {
            if !in_scope(scope, row) {
                continue;
            }
            let args: Vec<Value> = inputs
                .iter()
                .map(|c| c.map_or(Value::Null, |c| c.get(row).clone()))
                .collect();
            let v = match eval_once(program, &args, env()) {
                Ok(Outcome::Value(v)) => v,
                Ok(_) => {
                    ignored.push(row);
                    Value::Null
                }
                Err(_) => {
                    errors.push(row);
                    Value::Null
                }
            };
            values.push(match (v, default) {
                (v, Some(d)) if v.is_null() => Value::Str(d.into()),
                (v, _) => v,
            });
        }
        (values, errors, ignored)
    }

    const PROGRAMS: &[&str] = &[
        "Switch([a], \"Other\", \"x\", \"Ex\", \"y\", \"Why\")",
        "Join(\"-\", [a], [b])",
        "Coalesce([a], [b], [c])",
        "IgnoreFlowIfNullOrEmpty([a])",
        "Mid([a], 2, 2)",
        "CDate([a])",
        "IIF(IsNullOrEmpty([b]), [a], Append([a], [c]))",
    ];

    fn cell() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(Value::Str(String::new())),
            "[xyz]{1,3}".prop_map(Value::Str),
            Just(Value::Str("2026-13-45".into())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Column-wise evaluation (per distinct code, or memoised combination) equals
        /// evaluating every row on its own: values, errors and ignored rows.
        #[test]
        fn column_wise_equals_per_row(
            which in 0..PROGRAMS.len(),
            rows in prop::collection::vec((cell(), cell(), cell()), 0..60),
            scope_bits in prop::collection::vec(any::<bool>(), 60),
            scoped in any::<bool>(),
            default in prop::option::of("[d]{1,2}"),
        ) {
            let text = PROGRAMS.get(which).copied().unwrap_or_default();
            let p = program(text);
            let len = rows.len();
            let a = Column::from_values(rows.iter().map(|r| r.0.clone()));
            let b = Column::from_values(rows.iter().map(|r| r.1.clone()));
            let c = Column::from_values(rows.iter().map(|r| r.2.clone()));
            let by_name = |n: &str| match n { "a" => Some(&a), "b" => Some(&b), "c" => Some(&c), _ => None };
            let inputs: Vec<Option<&Column>> = p.attributes.iter().map(|n| by_name(n)).collect();
            let mut scope = Bitset::with_capacity(len);
            for (i, bit) in scope_bits.iter().take(len).enumerate() {
                scope.set(i, *bit);
            }
            let scope = scoped.then_some(&scope);
            let got = compute("t", How::Expression(&p), &inputs, default.as_deref(), len, scope, env());
            let (want, errors, ignored) = per_row(&p, &inputs, default.as_deref(), len, scope);
            let got_values: Vec<Value> = (0..len)
                .filter(|r| in_scope(scope, *r))
                .map(|r| got.column.get(r).clone())
                .collect();
            prop_assert_eq!(got_values, want);
            let got_errors: Vec<usize> = got.errors.iter().map(|(r, _)| *r).collect();
            prop_assert_eq!(got_errors, errors);
            prop_assert_eq!(got.ignore_attribute, ignored);
        }
    }

    #[test]
    fn select_unique_value_takes_values_in_row_order() {
        let p = program("SelectUniqueValue([a], Append([a], \"2\"))");
        let a = Column::from_values(["x", "X", "y"].map(|s| Value::Str(s.into())));
        let got = compute("u", How::Expression(&p), &[Some(&a)], None, 3, None, env());
        let rows: Vec<Value> = got.column.iter().cloned().collect();
        let s = |x: &str| Value::Str(x.into());
        assert_eq!(rows, [s("x"), s("X2"), s("y")]);
    }
}
