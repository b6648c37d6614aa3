//! The library API for embedders: compile an agreement, set its inputs by
//! name (checked), evaluate a sale into a typed [`Breakdown`].
//!
//! Everything that can go wrong is an [`Error`]: it implements
//! [`std::error::Error`] and [`miette::Diagnostic`] (with the agreement's
//! text, so miette draws the place), and gives every [`Diagnostic`] found.
//! A [`Breakdown`] serializes (serde) to exactly the JSON of
//! `splitdsl run FILE --format json` (docs/language.md, section 7).
//!
//! ```
//! use splitdsl::{Agreement, Value};
//!
//! let text = r#"
//! agreement "Course"
//! price = 100.00 USD
//! fee platform "Platform fee" = 9.9% of price + 0.50 USD
//! net = price - platform
//! share affiliate "Ana" = 35% of net
//! share producer "Carla" = remaining
//! "#;
//! let agreement = Agreement::compile("course.split", text)?;
//! let mut inputs = agreement.inputs();
//! inputs.set("price", "197.00 USD")?;
//! let breakdown = agreement.evaluate(&inputs)?;
//! assert_eq!(breakdown.get("producer").map(|v| v.to_string()).as_deref(), Some("115.05 USD"));
//! for d in breakdown.deductions() {
//!     println!("{} {} {} (pool after: {})", d.kind().keyword(), d.name(), d.amount(), d.pool_after());
//! }
//! assert_eq!(breakdown.unallocated().to_string(), "0.00 USD");
//! let json = serde_json::to_string_pretty(&breakdown).unwrap();
//! assert!(json.contains("\"producer\""));
//!
//! // A wrong kind, currency or name is an error, not accepted silently.
//! let err = inputs.set("price", "197.00 EUR").unwrap_err();
//! assert_eq!(err.code(), Some("splitdsl::input::kind_mismatch"));
//! assert!(inputs.set_value("prise", Value::Number(1.into())).is_err());
//! # Ok::<(), splitdsl::Error>(())
//! ```
//!
//! # Types that will grow
//!
//! The types that will gain variants or fields are `#[non_exhaustive]`: a
//! `match` on them needs a `_` arm, and they are not built with a struct
//! literal. [`Breakdown`], [`Deduction`], [`Requirement`], [`DeductionKind`],
//! [`Value`], [`crate::value::Rounding`], [`crate::diag::Diagnostic`],
//! [`crate::diag::Severity`], [`crate::explain::Node`] and
//! [`crate::explain::About`], [`crate::examples::ExampleResult`]:
//!
//! ```compile_fail
//! fn keyword(k: splitdsl::DeductionKind) -> &'static str {
//!     match k {
//!         splitdsl::DeductionKind::Fee => "fee",
//!         splitdsl::DeductionKind::Share => "share",
//!     }
//! }
//! ```
//!
//! ```compile_fail
//! fn is_money(v: splitdsl::Value) -> bool {
//!     match v {
//!         splitdsl::Value::Money(..) => true,
//!         splitdsl::Value::Number(_) | splitdsl::Value::Bool(_) => false,
//!         splitdsl::Value::Date(_) | splitdsl::Value::Rate(..) => false,
//!     }
//! }
//! ```
//!
//! ```compile_fail
//! fn is_error(s: splitdsl::diag::Severity) -> bool {
//!     match s {
//!         splitdsl::diag::Severity::Error => true,
//!         splitdsl::diag::Severity::Warning => false,
//!     }
//! }
//! ```
//!
//! ```compile_fail
//! let node = splitdsl::explain::Node {
//!     text: String::new(),
//!     about: splitdsl::explain::About::Note,
//!     value: None,
//!     children: Vec::new(),
//! };
//! ```
//!
//! ```compile_fail
//! let d = splitdsl::diag::Diagnostic {
//!     code: "x",
//!     severity: splitdsl::diag::Severity::Error,
//!     message: String::new(),
//!     labels: Vec::new(),
//!     help: None,
//! };
//! ```

use crate::agreement::{Agreement, Failure, Source};
use crate::diag::Diagnostic;
use crate::eval::Inputs as EvalInputs;
use crate::explain::Node;
use crate::span::Span;
use crate::summary;
use crate::value::{format_amount, Currency};
use miette::{LabeledSpan, NamedSource, SourceCode};
use rust_decimal::Decimal;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use crate::syntax::ast::DeductionKind;
pub use crate::value::Value;

impl Agreement {
    /// Parses and checks an agreement. Every problem found (syntax, names,
    /// kinds, currencies, cycles…) is in the [`Error`]; warnings of an
    /// agreement that compiles are [`Agreement::warnings`].
    ///
    /// ```
    /// use splitdsl::Agreement;
    ///
    /// let a = Agreement::compile("x.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// assert_eq!(a.name(), "x.split");
    ///
    /// let err = Agreement::compile("bad.split", "price = 10.00 USD\nshare p = remaning\n").unwrap_err();
    /// assert_eq!(err.source_name(), "bad.split");
    /// assert!(!err.diagnostics().is_empty());
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn compile(name: &str, text: &str) -> Result<Agreement, Error> {
        Ok(Agreement::compile_failure(name, text)?)
    }

    /// Reads and compiles a file; an unreadable, binary or non-UTF-8 file is
    /// an [`Error`] too.
    ///
    /// ```
    /// use splitdsl::Agreement;
    ///
    /// let a = Agreement::load("examples/hotmart.split".as_ref())?;
    /// assert_eq!(a.title(), Some("Online marketing course"));
    /// let err = Agreement::load("no/such.split".as_ref()).unwrap_err();
    /// assert_eq!(err.code(), Some("splitdsl::io::unreadable"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn load(path: &Path) -> Result<Agreement, Error> {
        Ok(Agreement::load_failure(path)?)
    }

    /// The name it was compiled under (the file's path for [`Agreement::load`]).
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// assert_eq!(a.name(), "x.split");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.source.name
    }

    /// Its source text (what diagnostics and spans point into).
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// assert!(a.text().starts_with("price"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn text(&self) -> &str {
        &self.source.text
    }

    /// Its title (`agreement "…"`), if it has one.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "agreement \"Shop\"\nprice = 1.00 USD\nshare p = remaining\n")?;
    /// assert_eq!(a.title(), Some("Shop"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.program.title.as_deref()
    }

    /// The warnings found while checking it (lints; errors make
    /// [`Agreement::compile`] fail instead).
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// assert!(a.warnings().is_empty());
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Inputs for this agreement, set by name and checked against it (see
    /// [`Inputs`]); unset inputs keep the values the agreement gives them.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// let mut inputs = a.inputs();
    /// inputs.set("price", "25.00 USD")?;
    /// assert_eq!(a.evaluate(&inputs)?.price().to_string(), "25.00 USD");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            agreement: self,
            values: self.raw_inputs(),
        }
    }

    /// Evaluates one sale with `inputs` into a [`Breakdown`]. Inputs made
    /// for another agreement are refused (`splitdsl::input::other_agreement`),
    /// as is a sale that fails (a share larger than the pool, a division by
    /// zero…), with the diagnostic pointing into this agreement.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("a.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// let b = splitdsl::Agreement::compile("b.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// assert_eq!(a.evaluate(&a.inputs())?.get("p").unwrap().to_string(), "10.00 USD");
    /// let err = b.evaluate(&a.inputs()).unwrap_err();
    /// assert_eq!(err.code(), Some("splitdsl::input::other_agreement"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn evaluate(&self, inputs: &Inputs<'_>) -> Result<Breakdown, Error> {
        self.same_agreement(inputs)?;
        let outcome = self
            .evaluate_outcome(&inputs.values)
            .map_err(|d| Error::new(&self.source, vec![d]))?;
        Ok(Breakdown::new(self, &outcome))
    }

    /// An error unless `inputs` were made for this agreement.
    fn same_agreement(&self, inputs: &Inputs<'_>) -> Result<(), Error> {
        if inputs.agreement.id != self.id {
            let d = Diagnostic::error(
                crate::codes::INPUT_OTHER_AGREEMENT,
                format!(
                    "these inputs were made for another agreement (`{}`), not `{}`",
                    inputs.agreement.source.name, self.source.name
                ),
            )
            .help("make the inputs with `inputs()` of the agreement you evaluate");
            return Err(Error::new(&self.source, vec![d]));
        }
        Ok(())
    }
}

impl Agreement {
    /// How the value `name` (an input, cell, fee or share) was derived for
    /// the sale `inputs`: a tree down to inputs and literals, built from
    /// what the evaluator did ([`Node::render`] draws it as `splitdsl
    /// explain` prints it). An unknown name, inputs of another agreement or
    /// a sale that fails are an [`Error`].
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("a.split", "price = 10.00 USD\nshare p = 50% of price\n")?;
    /// let tree = a.explain(&a.inputs(), "p")?;
    /// assert!(tree.text.starts_with("p = 5.00 USD"));
    /// assert!(tree.render().contains("50% of price"));
    /// let err = a.explain(&a.inputs(), "q").unwrap_err();
    /// assert_eq!(err.code(), Some("splitdsl::name::unknown"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn explain(&self, inputs: &Inputs<'_>, name: &str) -> Result<Node, Error> {
        self.same_agreement(inputs)?;
        let p = &self.program;
        let Some(slot) = p.slot(name) else {
            let names = p.slots.iter().map(|s| s.name.as_str());
            let help = match crate::diag::did_you_mean(name, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "give the name of an input, cell, fee or share".into(),
            };
            let d = Diagnostic::error(
                crate::codes::NAME_UNKNOWN,
                format!("the agreement has no value named `{name}`"),
            )
            .primary(Span::new(0, name.len()), "unknown name")
            .help(help);
            let src = Source {
                name: INPUT_SOURCE.into(),
                text: name.to_string(),
            };
            return Err(Error::new(&src, vec![d]));
        };
        crate::explain::tree(self, &inputs.values, slot)
            .map_err(|d| Error::new(&self.source, vec![d]))
    }
}

/// The inputs of one sale of one agreement, set by name and checked: a
/// name that is not an input, a value of another kind or currency, a
/// percent where money is expected are each an [`Error`]. Made by
/// [`Agreement::inputs`]; usable only with that agreement.
///
/// ```
/// use splitdsl::Value;
///
/// let text = "price = 100.00 USD\ninput installments = 1\nshare p = remaining\n";
/// let a = splitdsl::Agreement::compile("x.split", text)?;
/// let mut inputs = a.inputs();
/// inputs.set("price", "197.00 USD")?;
/// inputs.set_value("installments", Value::Number(12.into()))?;
/// assert_eq!(inputs.get("installments"), Some(Value::Number(12.into())));
/// assert!(inputs.set("price", "50%").is_err());
/// # Ok::<(), splitdsl::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    agreement: &'a Agreement,
    values: EvalInputs,
}

/// Where errors about a value set from outside point into.
const INPUT_SOURCE: &str = "<input>";

/// An error about the input assignment `text` (`NAME=VALUE`), shown on it.
fn input_error(text: &str, d: Diagnostic) -> Error {
    Error::new(
        &Source {
            name: INPUT_SOURCE.into(),
            text: text.to_string(),
        },
        vec![d],
    )
}

impl<'a> Inputs<'a> {
    /// The evaluator's inputs (for the services that take these).
    pub(crate) fn values(&self) -> &EvalInputs {
        &self.values
    }

    /// The agreement these inputs were made for.
    pub(crate) fn agreement(&self) -> &'a Agreement {
        self.agreement
    }
}

impl Inputs<'_> {
    /// Sets the input `name` to `value`, an expression that uses no name
    /// (`"197.00 USD"`, `"12"`, `"10% of 50.00 USD"`, `"2025-01-31"`). A
    /// plain number given to a money input is money in its currency, as
    /// with `--set`; a percent is not (`"50%"` for a price is an error).
    /// Errors point into the text `NAME=VALUE`.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// let mut inputs = a.inputs();
    /// inputs.set("price", "197")?;
    /// assert_eq!(inputs.get("price").unwrap().to_string(), "197.00 USD");
    /// let err = inputs.set("p", "1.00 USD").unwrap_err();
    /// assert_eq!(err.code(), Some("splitdsl::input::not_input"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let text = format!("{name}={value}");
        let fail = |d: Diagnostic| input_error(&text, d);
        // The name first: one holding `=` must not be split.
        self.agreement
            .input_slot(name, Span::new(0, name.len()))
            .map_err(fail)?;
        self.agreement
            .set_from_text(&mut self.values, &text)
            .map_err(fail)
    }

    /// Sets the input `name` to a typed value, which must be of the input's
    /// kind exactly (money in its currency for a money input).
    ///
    /// ```
    /// use splitdsl::Value;
    /// use rust_decimal::Decimal;
    ///
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// let usd = splitdsl::value::Currency::from_code("USD").unwrap();
    /// let mut inputs = a.inputs();
    /// inputs.set_value("price", Value::Money(Decimal::new(19700, 2), usd))?;
    /// let err = inputs.set_value("price", Value::Number(197.into())).unwrap_err();
    /// assert_eq!(err.code(), Some("splitdsl::input::kind_mismatch"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn set_value(&mut self, name: &str, value: Value) -> Result<(), Error> {
        let text = format!("{name} = {value}");
        let value_span = Span::new(name.len() + 3, text.len());
        let fail = |d: Diagnostic| input_error(&text, d);
        let slot = self
            .agreement
            .input_slot(name, Span::new(0, name.len()))
            .map_err(fail)?;
        let want = self.agreement.program.slots[slot].ty;
        if value.ty() != want {
            return Err(fail(
                Diagnostic::error(
                    crate::codes::INPUT_KIND_MISMATCH,
                    format!("`{name}` is {want}, but this is {}", value.ty()),
                )
                .primary(value_span, format!("{}", value.ty()))
                .help(format!("give {want}")),
            ));
        }
        self.values.set(slot, value);
        Ok(())
    }

    /// The value set for the input `name` (`None` when it is not set, or
    /// not an input).
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// let mut inputs = a.inputs();
    /// assert_eq!(inputs.get("price"), None);
    /// inputs.set("price", "5.00 USD")?;
    /// assert_eq!(inputs.get("price").unwrap().to_string(), "5.00 USD");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<Value> {
        self.values.get(self.agreement.program.slot(name)?)
    }
}

/// One sale's breakdown: the price, each deduction in order with the pool
/// after it, what is left unallocated, every value, the requirements.
///
/// It serializes (serde) to exactly the JSON of
/// `splitdsl run FILE --format json` (docs/language.md, section 7).
///
/// ```
/// let a = splitdsl::Agreement::load(std::path::Path::new("examples/hotmart.split"))?;
/// let b = a.evaluate(&a.inputs())?;
/// assert_eq!(b.title(), Some("Online marketing course"));
/// assert_eq!(b.price().to_string(), "100.00 USD");
/// assert_eq!(b.get("producer").unwrap().to_string(), "52.42 USD");
/// assert_eq!(b.get("net").unwrap().to_string(), "89.60 USD");
/// let json = serde_json::to_string_pretty(&b).unwrap();
/// assert!(json.starts_with("{\n  \"agreement\": \"Online marketing course\",\n  \"price\": {"));
/// # Ok::<(), splitdsl::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Breakdown {
    title: Option<String>,
    currency: Currency,
    price: Decimal,
    deductions: Vec<Deduction>,
    unallocated: Decimal,
    values: Vec<(String, Result<Value, Diagnostic>)>,
    requirements: Vec<Requirement>,
}

impl Breakdown {
    pub(crate) fn new(a: &Agreement, out: &crate::eval::Outcome) -> Breakdown {
        let p = &a.program;
        let c = p.currency;
        Breakdown {
            title: p.title.clone(),
            currency: c,
            price: summary::price(out),
            deductions: summary::lines(p, out)
                .into_iter()
                .map(|l| Deduction {
                    kind: if l.kind == DeductionKind::Fee.keyword() {
                        DeductionKind::Fee
                    } else {
                        DeductionKind::Share
                    },
                    name: l.name.to_string(),
                    label: l.label.map(str::to_string),
                    amount: Value::Money(l.amount, c),
                    pool_after: Value::Money(l.remaining, c),
                })
                .collect(),
            unallocated: out.unallocated(),
            values: p
                .slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match (out.value(i), out.failure(i)) {
                    (Some(v), _) => Some((s.name.clone(), Ok(v))),
                    (None, Some(d)) => Some((s.name.clone(), Err(d.clone()))),
                    (None, None) => None,
                })
                .collect(),
            requirements: p
                .requirements
                .iter()
                .zip(&out.requirements)
                .map(|(r, h)| Requirement {
                    message: r.message.clone(),
                    holds: *h,
                })
                .collect(),
        }
    }

    /// The agreement's title (`agreement "…"`), if it has one.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "agreement \"Shop\"\nprice = 1.00 USD\nshare p = remaining\n")?;
    /// assert_eq!(a.evaluate(&a.inputs())?.title(), Some("Shop"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The price of the sale.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 9.99 EUR\nshare p = remaining\n")?;
    /// assert_eq!(a.evaluate(&a.inputs())?.price().to_string(), "9.99 EUR");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn price(&self) -> Value {
        Value::Money(self.price, self.currency)
    }

    /// The value of `name` (an input, cell, fee or share) for this sale;
    /// `None` for an unknown name, or a cell that nothing needed and that
    /// fails for this sale (see [`Breakdown::failure`]).
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nhalf = price / 2\nshare p = remaining\n")?;
    /// let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.get("half").unwrap().to_string(), "5.00 USD");
    /// assert_eq!(b.get("nothing"), None);
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<Value> {
        match self.values.iter().find(|(n, _)| n == name) {
            Some((_, Ok(v))) => Some(*v),
            _ => None,
        }
    }

    /// Every value of this sale (inputs, cells, fees and shares), in the
    /// order of the agreement; cells that have none (see
    /// [`Breakdown::failure`]) are left out.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nhalf = price / 2\nshare p = remaining\n")?;
    /// let b = a.evaluate(&a.inputs())?;
    /// let all: Vec<String> = b.values().map(|(n, v)| format!("{n}={v}")).collect();
    /// assert_eq!(all, ["price=10.00 USD", "half=5.00 USD", "p=10.00 USD"]);
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn values(&self) -> impl Iterator<Item = (&str, Value)> + '_ {
        self.values
            .iter()
            .filter_map(|(n, v)| v.as_ref().ok().map(|v| (n.as_str(), *v)))
    }

    /// Why the cell `name` has no value for this sale: nothing needed it,
    /// and its formula fails (e.g. a table without a row for the key).
    ///
    /// ```
    /// let text = "price = 10.00 USD\ntable t { 1 => 2 }\nunused = t(5)\nshare p = remaining\n";
    /// let a = splitdsl::Agreement::compile("x.split", text)?;
    /// let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.get("unused"), None);
    /// assert_eq!(b.failure("unused").unwrap().code, "splitdsl::eval::no_table_row");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn failure(&self, name: &str) -> Option<&Diagnostic> {
        match self.values.iter().find(|(n, _)| n == name) {
            Some((_, Err(d))) => Some(d),
            _ => None,
        }
    }

    /// The fees and shares, in deduction order.
    ///
    /// ```
    /// let a = splitdsl::Agreement::load(std::path::Path::new("examples/hotmart.split"))?;
    /// let b = a.evaluate(&a.inputs())?;
    /// let names: Vec<&str> = b.deductions().iter().map(|d| d.name()).collect();
    /// assert_eq!(names, ["hotmart", "affiliate", "coproducer", "producer"]);
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn deductions(&self) -> &[Deduction] {
        &self.deductions
    }

    /// What the last deduction left in the pool.
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nshare p = 60% of price\n")?;
    /// assert_eq!(a.evaluate(&a.inputs())?.unallocated().to_string(), "4.00 USD");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn unallocated(&self) -> Value {
        Value::Money(self.unallocated, self.currency)
    }

    /// The requirements (`require …`), in file order, with whether each holds.
    ///
    /// ```
    /// let text = "price = 10.00 USD\nshare p = remaining\nrequire p > 20.00 USD \"p gets more than 20\"\n";
    /// let a = splitdsl::Agreement::compile("x.split", text)?;
    /// let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.requirements()[0].message(), "p gets more than 20");
    /// assert!(!b.requirements()[0].holds());
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

/// One fee or share of a [`Breakdown`].
///
/// ```
/// let a = splitdsl::Agreement::load(std::path::Path::new("examples/hotmart.split"))?;
/// let b = a.evaluate(&a.inputs())?;
/// let fee = &b.deductions()[0];
/// assert_eq!(fee.kind(), splitdsl::api::DeductionKind::Fee);
/// assert_eq!((fee.name(), fee.label()), ("hotmart", Some("Hotmart fee")));
/// assert_eq!(fee.amount().to_string(), "10.40 USD");
/// assert_eq!(fee.pool_after().to_string(), "89.60 USD");
/// # Ok::<(), splitdsl::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Deduction {
    kind: DeductionKind,
    name: String,
    label: Option<String>,
    amount: Value,
    pool_after: Value,
}

impl Deduction {
    /// Fee or share.
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// # let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.deductions()[0].kind().keyword(), "share");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn kind(&self) -> DeductionKind {
        self.kind
    }

    /// Its name.
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// # let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.deductions()[0].name(), "p");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its label (`share p "Paula" = …`), if it has one.
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p \"Paula\" = remaining\n")?;
    /// # let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.deductions()[0].label(), Some("Paula"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Its amount for this sale (money in the price's currency).
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// # let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.deductions()[0].amount().to_string(), "1.00 USD");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn amount(&self) -> Value {
        self.amount
    }

    /// The pool after it (`remaining` for the next deduction).
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\n")?;
    /// # let b = a.evaluate(&a.inputs())?;
    /// assert_eq!(b.deductions()[0].pool_after().to_string(), "0.00 USD");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn pool_after(&self) -> Value {
        self.pool_after
    }
}

/// One requirement of a [`Breakdown`]: its message and whether it holds.
///
/// ```
/// let a = splitdsl::Agreement::load(std::path::Path::new("examples/hotmart.split"))?;
/// let b = a.evaluate(&a.inputs())?;
/// let r = &b.requirements()[0];
/// assert!(r.holds());
/// assert!(r.message().contains("30%"));
/// # Ok::<(), splitdsl::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirement {
    message: String,
    holds: bool,
}

impl Requirement {
    /// Its message.
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\nrequire p > 0.00 USD \"p gets something\"\n")?;
    /// assert_eq!(a.evaluate(&a.inputs())?.requirements()[0].message(), "p gets something");
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether it holds for this sale.
    ///
    /// ```
    /// # let a = splitdsl::Agreement::compile("x.split", "price = 1.00 USD\nshare p = remaining\nrequire p > 0.00 USD \"p gets something\"\n")?;
    /// assert!(a.evaluate(&a.inputs())?.requirements()[0].holds());
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn holds(&self) -> bool {
        self.holds
    }
}

// The JSON contract, field for field as `report::json` writes it (its structs).
use crate::summary::{DeductionJson, MoneyJson, RequirementJson};

impl Serialize for Breakdown {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let c = self.currency;
        let money = |d: Decimal| MoneyJson {
            amount: format_amount(d, c),
            currency: c.code(),
        };
        let amount = |v: Value| format_amount(v.decimal().unwrap_or_default(), c);
        let mut values = serde_json::Map::new();
        for (name, v) in &self.values {
            let json = match v {
                Ok(v) => summary::value_json(*v),
                Err(d) => {
                    serde_json::json!({"kind": "error", "code": d.code, "message": d.message})
                }
            };
            values.insert(name.clone(), json);
        }
        let mut s = ser.serialize_struct("Breakdown", 6)?;
        s.serialize_field("agreement", &self.title)?;
        s.serialize_field("price", &money(self.price))?;
        let deductions: Vec<DeductionJson<'_>> = self
            .deductions
            .iter()
            .map(|d| DeductionJson {
                kind: d.kind.keyword(),
                name: &d.name,
                label: d.label.as_deref(),
                amount: amount(d.amount),
                currency: c.code(),
                remaining: amount(d.pool_after),
            })
            .collect();
        s.serialize_field("deductions", &deductions)?;
        s.serialize_field("unallocated", &money(self.unallocated))?;
        s.serialize_field("values", &values)?;
        let requirements: Vec<RequirementJson<'_>> = self
            .requirements
            .iter()
            .map(|r| RequirementJson {
                message: &r.message,
                holds: r.holds,
            })
            .collect();
        s.serialize_field("requirements", &requirements)?;
        s.end()
    }
}

/// Why compiling, setting an input or evaluating failed: every
/// [`Diagnostic`] found, with the text they point into.
///
/// It is a [`miette::Diagnostic`]: the first error is the report (its code,
/// help and labels, drawn on the text), the other diagnostics are its
/// [`related`](miette::Diagnostic::related) ones. `Display` gives the first
/// error's message and how many more there are.
///
/// ```
/// let err = splitdsl::Agreement::compile("bad.split", "price = 10.00 USD\nshare p = 10.00 EUR\n").unwrap_err();
/// assert_eq!(err.code(), Some("splitdsl::unit::deduction_currency"));
/// let mut out = String::new();
/// miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
///     .render_report(&mut out, &err)
///     .unwrap();
/// assert!(out.contains("bad.split") && out.contains("splitdsl::unit::deduction_currency"));
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    failure: Failure,
    /// Every diagnostic, ready for miette.
    items: Vec<Item>,
    /// The index in `items` of the report (the first error).
    main: usize,
}

impl Error {
    fn new(source: &Source, diagnostics: Vec<Diagnostic>) -> Error {
        Error::from(Failure {
            source: source.clone(),
            diagnostics,
        })
    }

    /// Every diagnostic (errors and warnings), in the order of the text.
    ///
    /// ```
    /// let text = "price = 10.00 USD\nshare p = remaning\nshare q = 1.00 EUR\n";
    /// let err = splitdsl::Agreement::compile("x.split", text).unwrap_err();
    /// assert!(err.diagnostics().len() >= 2);
    /// assert!(err.diagnostics().iter().all(|d| d.code.as_str().starts_with("splitdsl::")));
    /// ```
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.failure.diagnostics
    }

    /// The code of the first error (`splitdsl::input::unknown`, …).
    ///
    /// ```
    /// let a = splitdsl::Agreement::compile("x.split", "price = 10.00 USD\nshare p = remaining\n")?;
    /// let err = a.inputs().set("prise", "1.00 USD").unwrap_err();
    /// assert_eq!(err.code(), Some("splitdsl::input::unknown"));
    /// # Ok::<(), splitdsl::Error>(())
    /// ```
    pub fn code(&self) -> Option<&'static str> {
        self.items.get(self.main).map(|i| i.diag.code.as_str())
    }

    /// The name of the text the diagnostics point into: the file, or
    /// `<input>` for a value given to [`Inputs::set`].
    ///
    /// ```
    /// let err = splitdsl::Agreement::compile("bad.split", "price = \n").unwrap_err();
    /// assert_eq!(err.source_name(), "bad.split");
    /// ```
    pub fn source_name(&self) -> &str {
        &self.failure.source.name
    }

    /// The text the diagnostics point into.
    ///
    /// ```
    /// let err = splitdsl::Agreement::compile("bad.split", "price = \n").unwrap_err();
    /// assert_eq!(err.source_text(), "price = \n");
    /// ```
    pub fn source_text(&self) -> &str {
        &self.failure.source.text
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Error {
        let src = Arc::new(NamedSource::new(
            failure.source.name.clone(),
            failure.source.text.clone(),
        ));
        let items: Vec<Item> = failure
            .diagnostics
            .iter()
            .map(|d| Item::new(d, &failure.source.text, &src))
            .collect();
        let main = failure
            .diagnostics
            .iter()
            .position(Diagnostic::is_error)
            .unwrap_or(0);
        Error {
            failure,
            items,
            main,
        }
    }
}

impl From<Box<Failure>> for Error {
    // So that `?` turns the `Box<Failure>` of `Agreement::compile_failure` into an `Error`.
    fn from(failure: Box<Failure>) -> Error {
        Error::from(*failure)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(main) = self.items.get(self.main) else {
            return write!(f, "`{}` failed", self.failure.source.name);
        };
        f.write_str(&main.diag.message)?;
        let errors = self
            .failure
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        match errors.saturating_sub(1) {
            0 => Ok(()),
            1 => f.write_str(" (and 1 more error)"),
            n => write!(f, " (and {n} more errors)"),
        }
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.items.get(self.main)?.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.items.get(self.main)?.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.items.get(self.main)?.help()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.items.get(self.main)?.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.items.get(self.main)?.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.items.len() < 2 {
            return None;
        }
        let main = self.main;
        Some(Box::new(
            self.items
                .iter()
                .enumerate()
                .filter(move |(i, _)| *i != main)
                .map(|(_, d)| d as &dyn miette::Diagnostic),
        ))
    }
}

/// One diagnostic as a miette report on its text.
#[derive(Clone)]
struct Item {
    diag: Diagnostic,
    src: Arc<NamedSource<String>>,
}

impl Item {
    /// `d` made drawable on `text` (as `diag::render` draws it).
    fn new(d: &Diagnostic, text: &str, src: &Arc<NamedSource<String>>) -> Item {
        let diag = crate::diag::drawable(d, &crate::diag::SourceView::new("", text));
        Item {
            diag,
            src: Arc::clone(src),
        }
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diag.fmt(f)
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Item {}

impl miette::Diagnostic for Item {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(crate::diag::miette_severity(&self.diag))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        crate::diag::miette_labels(&self.diag, self.src.inner().len())
    }
}
