//! Every diagnostic code splitdsl emits, as a typed registry: each code is a
//! named [`Code`] constant with its text (`splitdsl::unit::currency_mismatch`,
//! the stable form that JSON, rendering and `splitdsl check --explain CODE`
//! show) and a short explanation. Emission sites and comparisons use the
//! constants, never the text.
//!
//! The constant's name is the text without `splitdsl::`, `::` written `_`,
//! in capitals: `splitdsl::eval::overflow` is [`EVAL_OVERFLOW`].
//!
//! ```
//! use splitdsl::codes::{self, Code};
//!
//! assert_eq!(codes::EVAL_OVERFLOW.as_str(), "splitdsl::eval::overflow");
//! assert_eq!(Code::from_text("splitdsl::eval::overflow"), Some(codes::EVAL_OVERFLOW));
//! assert!(codes::explain("splitdsl::name::unknown").is_some());
//! ```

use serde::Serialize;
use std::fmt;

/// A diagnostic code: its stable text and its explanation. One pointer wide,
/// as small as the string it replaces; equal when the texts are.
#[derive(Clone, Copy)]
pub struct Code(&'static Entry);

/// What a [`Code`] stands for.
struct Entry {
    text: &'static str,
    explanation: &'static str,
    name: &'static str,
}

impl PartialEq for Code {
    fn eq(&self, other: &Code) -> bool {
        self.0.text == other.0.text
    }
}

impl Eq for Code {}

impl std::hash::Hash for Code {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.text.hash(h);
    }
}

impl PartialOrd for Code {
    fn partial_cmp(&self, other: &Code) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Code {
    fn cmp(&self, other: &Code) -> std::cmp::Ordering {
        self.0.text.cmp(other.0.text)
    }
}

impl Code {
    /// The stable text, e.g. `splitdsl::eval::overflow`.
    pub const fn as_str(self) -> &'static str {
        self.0.text
    }

    /// What the code means and how to fix it (`splitdsl check --explain`).
    pub const fn explanation(self) -> &'static str {
        self.0.explanation
    }

    /// The name of its constant in this module, e.g. `EVAL_OVERFLOW`.
    pub const fn name(self) -> &'static str {
        self.0.name
    }

    /// The registered code whose text is `text`.
    pub fn from_text(text: &str) -> Option<Code> {
        ALL.iter().copied().find(|c| c.0.text == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.text)
    }
}

/// Shown as its text, like the string it stands for.
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.text, f)
    }
}

/// Serialized as its text.
impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.text)
    }
}

/// For callers outside the crate (and tests) that hold a code's text.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0.text == *other
    }
}

/// For callers outside the crate (and tests) that hold a code's text.
impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.0.text
    }
}

macro_rules! registry {
    ($($name:ident = $text:literal, $explanation:literal;)*) => {
        $(
            #[doc = concat!("`", $text, "`: ", $explanation)]
            pub const $name: Code = Code(&Entry {
                text: $text,
                explanation: $explanation,
                name: stringify!($name),
            });
        )*
        /// Every code: the language's and ledger settlement's, in this order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

registry! {
    AGREEMENT_DUPLICATE = "splitdsl::agreement::duplicate",
        "A file has at most one `agreement \"TITLE\"` line.";
    BRACKETS_ARG_KIND = "splitdsl::brackets::arg_kind",
        "Brackets were called with an amount of another kind than their bounds (money of their currency, or a number), or with a `before` of another kind than the amount.";
    BRACKETS_BOUND_KIND = "splitdsl::brackets::bound_kind",
        "The bounds of one `brackets` block must all be money of one currency, or all numbers.";
    BRACKETS_EMPTY = "splitdsl::brackets::empty",
        "A `brackets` block needs at least one band, e.g. `..500.00 USD => 20%`.";
    BRACKETS_EMPTY_BAND = "splitdsl::brackets::empty_band",
        "A band of brackets whose start is not below its end (`500.00 USD..100.00 USD`): it holds no amount.";
    BRACKETS_GAP = "splitdsl::brackets::gap",
        "Two bands of brackets leave a gap between them: each band starts where the one above it ends, so that every amount has a rate.";
    BRACKETS_NOT_CALLED = "splitdsl::brackets::not_called",
        "Brackets are used as a value; apply them to an amount with `name(x)` or `name(x, before)`.";
    BRACKETS_NOT_CONSTANT = "splitdsl::brackets::not_constant",
        "The bounds and rates of brackets are written out as literals (`500.00 USD`, `20%`, `0.1`): they cannot use names or arithmetic.";
    BRACKETS_OVERLAP = "splitdsl::brackets::overlap",
        "Two bands of brackets overlap (or are written out of order, or a band open above is not the last): bands are written lowest first, each starting where the one above it ends.";
    BRACKETS_RATE_KIND = "splitdsl::brackets::rate_kind",
        "The rate of a band of brackets is a percentage or a plain number, not money, a bool, a date or an exchange rate.";
    BRACKETS_START = "splitdsl::brackets::start",
        "The first band of brackets starts at zero: write `..HIGH` or `0..HIGH` (with the bounds' currency).";
    CALL_ARG_KIND = "splitdsl::call::arg_kind",
        "A built-in function got an argument of the wrong kind, or arguments of mixed kinds (e.g. money and a plain number in `min`).";
    CALL_ARITY = "splitdsl::call::arity",
        "A function or table was called with the wrong number of arguments: `min(a, b, …)`, `abs(x)`, `round(x[, step])`, `clamp(x, lo, hi)`, a table takes one key, brackets an amount and an optional `before`.";
    CALL_NOT_CALLABLE = "splitdsl::call::not_callable",
        "Parentheses after a value's name: only functions and tables are called.";
    CALL_UNKNOWN_FUNCTION = "splitdsl::call::unknown_function",
        "No built-in function or table has this name.";
    CLI_BAD_SET = "splitdsl::cli::bad_set",
        "A `--set` argument is not of the form NAME=EXPR.";
    DEPS_CYCLE = "splitdsl::deps::cycle",
        "Values depend on each other in a loop, perhaps through `remaining` (which depends on every earlier deduction). The loop is shown step by step.";
    EVAL_ABOVE_BRACKETS = "splitdsl::eval::above_brackets",
        "An amount goes above the last band of brackets, which is closed (`a..b`): no rate is defined above it. End the brackets with an open band (`b.. => RATE`).";
    EVAL_CLAMP_BOUNDS = "splitdsl::eval::clamp_bounds",
        "`clamp(x, lo, hi)` was given a lower bound above its upper bound.";
    EVAL_DIVISION_BY_ZERO = "splitdsl::eval::division_by_zero",
        "A division (or a rounding step) by zero, for this sale's values.";
    EVAL_DATE_OUT_OF_RANGE = "splitdsl::eval::date_out_of_range",
        "A date moved by a number of days lands outside the dates splitdsl writes, 0000-01-01 to 9999-12-31.";
    EVAL_EXCEEDS_POOL = "splitdsl::eval::exceeds_pool",
        "A fee or share is larger than what is left in the pool when it runs.";
    EVAL_FRACTIONAL_DAYS = "splitdsl::eval::fractional_days",
        "A date can only move by a whole number of days.";
    EVAL_FRACTIONAL_PRICE = "splitdsl::eval::fractional_price",
        "The price has more decimals than its currency's minor unit; round it so the pool is whole cents.";
    EVAL_NEGATIVE_DEDUCTION = "splitdsl::eval::negative_deduction",
        "A fee or share came out below zero for this sale.";
    EVAL_NEGATIVE_PRICE = "splitdsl::eval::negative_price",
        "The price is below zero; refunds reverse a sale instead.";
    EVAL_NO_TABLE_ROW = "splitdsl::eval::no_table_row",
        "A table lookup found no row for the key; add a row or an open range.";
    EVAL_UNUSED_FAILED = "splitdsl::eval::unused_failed",
        "A cell has no value for this sale (its formula fails, e.g. a table without a row for the key), but no fee, share or requirement needs it for this sale, so the sale settles. Cells are computed when something needs them: a false `when` needs nothing from its formula, `if` only the branch taken, `and`/`or` stop at the operand that decides.";
    EVAL_OVERFLOW = "splitdsl::eval::overflow",
        "A result is too large for exact decimal arithmetic (28 significant digits), or a money result is too large to stay exact below its minor unit (10^22 USD, 10^24 JPY).";
    EXAMPLE_GIVEN_NOT_CONSTANT = "splitdsl::example::given_not_constant",
        "A `given` value must be written out; it cannot use names.";
    EXAMPLE_GIVEN_NOT_INPUT = "splitdsl::example::given_not_input",
        "`given` sets inputs only; cells and deductions are computed.";
    EXAMPLE_DUPLICATE_GIVEN = "splitdsl::example::duplicate_given",
        "An example gives the same input twice; only one value could be used, so which one was meant is unclear. Keep one, or write a second example.";
    EXAMPLE_KIND_MISMATCH = "splitdsl::example::kind_mismatch",
        "An `example` line gives a value of another kind than the name it sets or checks.";
    GROUP_NEGATIVE_WEIGHT = "splitdsl::group::negative_weight",
        "A member of a group share has a weight below zero. Weights are numbers zero or more: a member's part is its weight / the sum of the weights × the group's amount. At check time when the weight is written as a constant, else when a sale makes it negative.";
    GROUP_PARTIAL_WEIGHTS = "splitdsl::group::partial_weights",
        "Some members of a group share have a weight and others none. Write a weight for every member (`a: 2, b: 1`), or none for equal parts.";
    GROUP_WEIGHT_NOT_NUMBER = "splitdsl::group::weight_not_number",
        "A member's weight in a group share must be a number (`2`, `0.5`, `40%`, an input or cell giving a number), not money, a bool or a date.";
    GROUP_ZERO_WEIGHTS = "splitdsl::group::zero_weights",
        "Every weight of a group share is zero, so no member can be given the group's amount. At check time when the weights are constants, else when a sale makes them all zero.";
    INPUT_KIND_MISMATCH = "splitdsl::input::kind_mismatch",
        "A value set from outside is of another kind (or currency) than the input.";
    INPUT_NOT_INPUT = "splitdsl::input::not_input",
        "Only inputs (`input NAME = …`, and `price`) can be set from outside.";
    INPUT_OTHER_AGREEMENT = "splitdsl::input::other_agreement",
        "Inputs made for one agreement (`checked_inputs()` in the library API) were given to another; make them with the agreement you evaluate. An edited agreement is another agreement.";
    INPUT_UNKNOWN = "splitdsl::input::unknown",
        "The agreement has no input of this name.";
    INTERNAL = "splitdsl::internal",
        "A bug in splitdsl: please report it with the file that caused it.";
    INTERNAL_FMT = "splitdsl::internal::fmt",
        "A bug in `splitdsl fmt`: its output did not mean the same as the input, so nothing was written. Please report it with the file.";
    IO_BINARY = "splitdsl::io::binary",
        "The file holds NUL bytes: it is not a text agreement.";
    IO_IS_DIRECTORY = "splitdsl::io::is_directory",
        "A directory was given where a .split file was expected.";
    IO_NOT_UTF8 = "splitdsl::io::not_utf8",
        "The file is not UTF-8 text.";
    IO_UNREADABLE = "splitdsl::io::unreadable",
        "The file could not be read (missing, or no permission).";
    KIND_DEDUCTION_NOT_MONEY = "splitdsl::kind::deduction_not_money",
        "A fee or share must be an amount of money, e.g. `35% of net`.";
    KIND_IF_BRANCHES = "splitdsl::kind::if_branches",
        "The two branches of `if … then … else …` give different kinds of value.";
    KIND_IF_NOT_BOOL = "splitdsl::kind::if_not_bool",
        "The condition of `if` must be true or false.";
    KIND_REQUIRE_NOT_BOOL = "splitdsl::kind::require_not_bool",
        "A `require` condition must be true or false.";
    KIND_WHEN_NOT_BOOL = "splitdsl::kind::when_not_bool",
        "A `when` condition must be true or false.";
    LABEL_CONTROL_CHAR = "splitdsl::label::control_char",
        "A quoted text (the agreement's title, a label, a requirement's message, an example's name) holds a line break, a tab, another control character or a bidirectional-text control: it would break the lines of a table, a statement or a chart, or reorder what they show. Remove it, or write a space instead.";
    LIMIT_NESTING = "splitdsl::limit::nesting",
        "Parentheses, blocks or sub-expressions are nested too deeply; name parts of the expression as cells.";
    LIMIT_NUMBER = "splitdsl::limit::number",
        "A number literal has more than 28 significant digits.";
    NAME_DUPLICATE = "splitdsl::name::duplicate",
        "Two definitions share a name; names are unique in a file.";
    NAME_NOT_ASCII = "splitdsl::name::not_ascii",
        "Names use ASCII letters, digits and `_`; a label in quotes may use any letters.";
    NAME_NOT_SNAKE_CASE = "splitdsl::name::not_snake_case",
        "Names are snake_case: lowercase ASCII letters, digits and `_`.";
    NAME_RESERVED = "splitdsl::name::reserved",
        "This name belongs to a built-in function, is `price` on a deduction, or is `unallocated` (the money no deduction takes, as `run` and its JSON output report it).";
    NAME_UNKNOWN = "splitdsl::name::unknown",
        "A name that no statement defines.";
    PRICE_DUPLICATE = "splitdsl::price::duplicate",
        "An agreement has exactly one `price`.";
    PRICE_MISSING = "splitdsl::price::missing",
        "An agreement needs `price = …`, the gross amount of one sale.";
    PRICE_NOT_MONEY = "splitdsl::price::not_money",
        "The price must be an amount of money with a currency code.";
    REMAINING_OUTSIDE_DEDUCTION = "splitdsl::remaining::outside_deduction",
        "`remaining` is the pool when a deduction runs, so it only exists inside a fee or share.";
    REPL_EDIT_REJECTED = "splitdsl::repl::edit_rejected",
        "A statement typed in the REPL would leave the agreement unable to evaluate, so the session keeps the agreement it had.";
    REPL_NO_AGREEMENT = "splitdsl::repl::no_agreement",
        "The REPL has no agreement loaded yet: `:load FILE`, or type statements (a `price` first).";
    REPL_SOLVE_FAILED = "splitdsl::repl::solve_failed",
        "`solve` tried values of the input near and far from its current one, and the agreement evaluates at none of them (values that fail are skipped, not answers).";
    REPL_SOLVE_KIND = "splitdsl::repl::solve_kind",
        "`solve` changes a money or number input to reach a goal of the target's kind.";
    REPL_USAGE = "splitdsl::repl::usage",
        "A REPL command written in a form it does not take; the help line shows its form (`:help` lists all).";
    REQUIRE_FAILED = "splitdsl::require::failed",
        "A `require` does not hold for this sale; the value of every operand of its comparisons is shown (under `and`, `or` and `not` too).";
    ROUNDING_DUPLICATE = "splitdsl::rounding::duplicate",
        "The rounding mode is set twice.";
    ROUNDING_UNKNOWN = "splitdsl::rounding::unknown",
        "The rounding modes are half_up, half_even, half_down, up, down, floor and ceiling.";
    RUNNING_KIND = "splitdsl::running::kind",
        "A running total adds up money or plain numbers: `running NAME = sum of EXPR` needs EXPR to be one of them.";
    RUNNING_READS_DEDUCTION = "splitdsl::running::reads_deduction",
        "What a running total adds up (`sum of EXPR`) is read from each sale's inputs and cells before it is settled, so it cannot use a fee, a share or `remaining`, directly or through a cell.";
    RUNNING_READS_RUNNING = "splitdsl::running::reads_running",
        "What a running total adds up (`sum of EXPR`) cannot use a running total, directly or through a cell: each sale's contribution must be known before any running total is, so that a ledger settles in parallel.";
    SYNTAX_BAD_DATE = "splitdsl::syntax::bad_date",
        "A date literal names a day that does not exist (`2025-02-30`), or has a year of more than four digits (dates run from 0000-01-01 to 9999-12-31).";
    SYNTAX_CHAINED_COMPARISON = "splitdsl::syntax::chained_comparison",
        "`a < b < c` is not allowed; write `a < b and b < c`.";
    SYNTAX_EXPECTED_EXPRESSION = "splitdsl::syntax::expected_expression",
        "An expression was expected (e.g. after `--set NAME=`).";
    SYNTAX_TRAILING_TEXT = "splitdsl::syntax::trailing_text",
        "Text after the end of a statement: a statement ends at the end of its line.";
    SYNTAX_UNEXPECTED = "splitdsl::syntax::unexpected",
        "The text does not fit the grammar here; the message says what was expected.";
    TABLE_BOOL_RANGE = "splitdsl::table::bool_range",
        "A range of bools has no meaning in a table key.";
    TABLE_EMPTY = "splitdsl::table::empty",
        "A table needs at least one row.";
    TABLE_NO_KEY_KIND = "splitdsl::table::no_key_kind",
        "Every key of a table is the open range `..`: no key says what kind of value the table is looked up with. Give one range a bound (`0.00 USD..`).";
    TABLE_KEY_KIND = "splitdsl::table::key_kind",
        "The keys of one table must all be of one kind.";
    TABLE_KEY_MISMATCH = "splitdsl::table::key_mismatch",
        "A table was looked up with a key of another kind than its keys.";
    TABLE_NOT_CALLED = "splitdsl::table::not_called",
        "A table is used as a value; look a key up with `name(key)`.";
    TABLE_VALUE_KIND = "splitdsl::table::value_kind",
        "The values of one table must all be of one kind.";
    UNIT_BAD_NEGATION = "splitdsl::unit::bad_negation",
        "Only money, numbers and rates can be negated; use `not` for bools.";
    UNIT_BOOL_ARITHMETIC = "splitdsl::unit::bool_arithmetic",
        "A bool in arithmetic or an ordering comparison.";
    UNIT_CURRENCY_MISMATCH = "splitdsl::unit::currency_mismatch",
        "Money of two currencies combined; convert one with a rate first.";
    UNIT_DEDUCTION_CURRENCY = "splitdsl::unit::deduction_currency",
        "A fee or share in another currency than the price.";
    UNIT_KIND_MISMATCH = "splitdsl::unit::kind_mismatch",
        "An operator got two kinds of value it cannot combine.";
    UNIT_LOGIC_NOT_BOOL = "splitdsl::unit::logic_not_bool",
        "`and`/`or` join conditions (true or false).";
    UNIT_MONEY_PLUS_NUMBER = "splitdsl::unit::money_plus_number",
        "Money plus a plain number: give the number its currency.";
    UNIT_MONEY_TIMES_MONEY = "splitdsl::unit::money_times_money",
        "Money times money has no meaning; multiply by a number or percentage.";
    UNIT_MONEY_VS_NUMBER = "splitdsl::unit::money_vs_number",
        "Money compared with a plain number: give the number its currency.";
    UNIT_NOT_BOOL = "splitdsl::unit::not_bool",
        "`not` needs a condition (true or false).";
    UNIT_NOT_PAYMENT_CURRENCY = "splitdsl::unit::not_payment_currency",
        "An ISO 4217 code that is not a currency of payment: a fund (BOV, CLF, USN…), a precious metal (XAU, XAG, XPT, XPD), a unit of account (XDR, XBA…XBD, XSU, XUA), the testing code XTS or XXX (no currency). A sale cannot be paid or split in it.";
    UNIT_NUMBER_OVER_MONEY = "splitdsl::unit::number_over_money",
        "A number divided by money has no meaning here.";
    UNIT_RATE_MISMATCH = "splitdsl::unit::rate_mismatch",
        "A rate converts one currency; it was applied to money of another.";
    UNIT_UNKNOWN_CURRENCY = "splitdsl::unit::unknown_currency",
        "Not an ISO 4217 currency code.";
    WARN_ALWAYS_ZERO = "splitdsl::warn::always_zero",
        "A fee or share after an unconditional `share … = remaining`: the pool is empty by then, so it is always 0 (an amount above 0 fails the sale).";
    WARN_DUPLICATE_EXAMPLE = "splitdsl::warn::duplicate_example",
        "Two examples share a name, so `splitdsl test` cannot tell them apart in its report.";
    WARN_EMPTY_RANGE = "splitdsl::warn::empty_range",
        "A table range whose start is above its end (`5..1`) matches no key: the row is never used.";
    WARN_EXCEEDS_POOL = "splitdsl::warn::exceeds_pool",
        "A fee or share that is surely more than the pool, e.g. `150% of price` or `120% of remaining`: every sale (from the size shown on) fails.";
    WARN_OVER_ALLOCATED = "splitdsl::warn::over_allocated",
        "Deductions on one base add up to more than 100% of it.";
    WARN_REQUIRE_CONSTANT = "splitdsl::warn::require_constant",
        "A requirement uses no value of the sale: it always or never holds.";
    WARN_SHADOWED_ROW = "splitdsl::warn::shadowed_row",
        "A table row that can never be used: an earlier row has the same key, or matches every key it does (the first matching row wins).";
    WARN_UNALLOCATED = "splitdsl::warn::unallocated",
        "The last deduction may leave money in the pool; end with `share … = remaining`.";
    WARN_UNUSED = "splitdsl::warn::unused",
        "An input or cell that nothing uses.";
    WARN_WHEN_NEVER = "splitdsl::warn::when_never",
        "A `when` that is false whatever the sale: the deduction is always 0.";
    // Ledger settlement (`run --sales`).
    BATCH_BAD_CSV = "splitdsl::batch::bad_csv",
        "A ledger row is not valid CSV: a quoted field without its closing quote, or text after a closing quote.";
    BATCH_BAD_JSON = "splitdsl::batch::bad_json",
        "A line of a JSON Lines ledger is not a JSON object.";
    BATCH_BAD_KIND = "splitdsl::batch::bad_kind",
        "A row's `kind` is not `sale` (or empty), `refund` or `chargeback`.";
    BATCH_BAD_VALUE = "splitdsl::batch::bad_value",
        "A ledger cell cannot be read as the kind of its input (e.g. `12.3x` for an amount).";
    BATCH_COLUMN_COUNT = "splitdsl::batch::column_count",
        "A row has more fields than the header (or, in JSON Lines, a key the first line does not have).";
    BATCH_COMPUTED_PRICE = "splitdsl::batch::computed_price",
        "The agreement computes its price from inputs (`price = round(list_price * eur_brl)`), and the ledger also has a `price` column: that column would silently override the formula. Give the inputs as columns and drop (or rename) the `price` column.";
    BATCH_CURRENCY_MISMATCH = "splitdsl::batch::currency_mismatch",
        "A ledger amount is in another currency than its input.";
    BATCH_DECIMAL_COMMA = "splitdsl::batch::decimal_comma",
        "A number cell has a decimal comma (`100,00`) in a ledger that is not `;`-separated, where a comma is not read as a decimal separator. Write `100.00`, or save the ledger with `;` as its delimiter (then decimal commas are read).";
    BATCH_DUPLICATE_COLUMN = "splitdsl::batch::duplicate_column",
        "Two columns of the ledger's header have the same name.";
    BATCH_DUPLICATE_ID = "splitdsl::batch::duplicate_id",
        "A sale's id (the `id` column, or the first `…_id`) was already used by an earlier sale, or a sale is refunded or charged back a second time. The message gives both lines; a refund or chargeback of a sale has the sale's id and is not a duplicate.";
    BATCH_DUPLICATE_KEY = "splitdsl::batch::duplicate_key",
        "A line of a JSON Lines ledger gives the same key twice: which value is meant cannot be told.";
    BATCH_EMPTY = "splitdsl::batch::empty",
        "The ledger is empty: it has no header line.";
    BATCH_EMPTY_LINE = "splitdsl::batch::empty_line",
        "A ledger has an empty line where a row was expected.";
    BATCH_EMPTY_VALUE = "splitdsl::batch::empty_value",
        "A ledger cell for an input is empty.";
    BATCH_FLOAT_MONEY = "splitdsl::batch::float_money",
        "A Parquet ledger's column for money or a rate holds floats (FLOAT, DOUBLE): a float is not an exact amount (0.1 is stored as 0.1000000000000000055…), so the column is refused before any row is settled. Write it as DECIMAL(p, s), e.g. DECIMAL(18, 2), or as strings such as `100.00`.";
    BATCH_IO = "splitdsl::batch::io",
        "The ledger (or an output file) could not be opened.";
    BATCH_KIND_CLASH = "splitdsl::batch::kind_clash",
        "The ledger has a `kind` column (sale, refund, chargeback) and the agreement also has a value named `kind`.";
    BATCH_MISSING_COLUMN = "splitdsl::batch::missing_column",
        "A row has fewer fields than the header (or, in JSON Lines, lacks a key of the first line).";
    BATCH_MISSING_PER_COLUMN = "splitdsl::batch::missing_per_column",
        "A running total is kept `per` a ledger column, and the ledger has no column of that name.";
    BATCH_NEAR_INPUT = "splitdsl::batch::near_input",
        "A ledger column passes through unread, but its name is close to an input's: a misspelt column?";
    BATCH_NEGATIVE_PRICE = "splitdsl::batch::negative_price",
        "A ledger row's price is below zero; a refund or chargeback is a row of that `kind` with the sale's (positive) price.";
    BATCH_NO_PRICE = "splitdsl::batch::no_price",
        "The ledger has no column for the price, and no `--set` gives one.";
    BATCH_OUTPUT_CLASH = "splitdsl::batch::output_clash",
        "A ledger column has the name of an output column (a fee, a share, `unallocated`).";
    BATCH_OVERFLOW = "splitdsl::batch::overflow",
        "The ledger's totals exceed what can be added exactly.";
    BATCH_PARQUET_TYPE = "splitdsl::batch::parquet_type",
        "A Parquet ledger has a column of a type a ledger cannot hold (a list, a struct, a map, binary, …). Its columns are strings (any of Arrow's three string types), integers, floats, decimals, bools, dates or timestamps; drop the column or cast it.";
    BATCH_PERCENT_MONEY = "splitdsl::batch::percent_money",
        "A money cell holds a percentage (`50%`): a percentage is a share of something, not an amount, so it is not read as 0.50.";
    BATCH_READ = "splitdsl::batch::read",
        "Reading the ledger failed, or a record is too long (an unclosed quote?).";
    BATCH_RUNNING_COLUMN = "splitdsl::batch::running_column",
        "A ledger column has the name of a running total: the running total is computed from the earlier rows, so a column cannot set it. Rename the column (or drop it).";
    BATCH_RUNNING_NOT_GIVEN = "splitdsl::batch::running_not_given",
        "Settling typed columns (an engine's batch, the Python package): a running total of the agreement has no column. An engine computes running totals itself (a window sum over the earlier rows) and passes each as the column of its name.";
    BATCH_THOUSANDS_SEPARATOR = "splitdsl::batch::thousands_separator",
        "A number cell has thousands separators (`1,000.00`, `1.000,00`), or a point that may be one (`1.000` in a `;`-separated ledger with decimal commas). Write the number without them: `1000.00` (or `1000,00` with `;`).";
    BATCH_TOO_PRECISE = "splitdsl::batch::too_precise",
        "A sale's price has more decimals than its currency's minor unit.";
    BATCH_UNKNOWN_CURRENCY = "splitdsl::batch::unknown_currency",
        "A ledger amount has a code that is not an ISO 4217 currency.";
    BATCH_WRITE = "splitdsl::batch::write",
        "Writing the per-sale rows or the rejected rows failed.";
}

/// Every code: the language's and ledger settlement's.
pub fn all() -> impl Iterator<Item = Code> {
    ALL.iter().copied()
}

/// The explanation of the code whose text is `code`.
pub fn explain(code: &str) -> Option<&'static str> {
    Code::from_text(code).map(Code::explanation)
}
