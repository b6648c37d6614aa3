//! The diagnostic codes of batch settlement, with their explanations, to be
//! listed with the others in the code registry (`splitdsl check --explain`).

/// (code, explanation) for every diagnostic `run --sales` emits.
pub const CODES: &[(&str, &str)] = &[
    ("splitdsl::batch::bad_csv", "A ledger row is not valid CSV: a quoted field without its closing quote, or text after a closing quote."),
    ("splitdsl::batch::bad_json", "A line of a JSON Lines ledger is not a JSON object."),
    ("splitdsl::batch::bad_kind", "A row's `kind` is not `sale` (or empty), `refund` or `chargeback`."),
    ("splitdsl::batch::bad_value", "A ledger cell cannot be read as the kind of its input (e.g. `12.3x` for an amount)."),
    ("splitdsl::batch::column_count", "A row has more fields than the header (or, in JSON Lines, a key the first line does not have)."),
    ("splitdsl::batch::computed_price", "The agreement computes its price from inputs (`price = round(list_price * eur_brl)`), and the ledger also has a `price` column: that column would silently override the formula. Give the inputs as columns and drop (or rename) the `price` column."),
    ("splitdsl::batch::currency_mismatch", "A ledger amount is in another currency than its input."),
    ("splitdsl::batch::decimal_comma", "A number cell has a decimal comma (`100,00`) in a ledger that is not `;`-separated, where a comma is not read as a decimal separator. Write `100.00`, or save the ledger with `;` as its delimiter (then decimal commas are read)."),
    ("splitdsl::batch::duplicate_column", "Two columns of the ledger's header have the same name."),
    ("splitdsl::batch::duplicate_id", "A sale's id (the `id` column, or the first `…_id`) was already used by an earlier sale, or a sale is refunded or charged back a second time. The message gives both lines; a refund or chargeback of a sale has the sale's id and is not a duplicate."),
    ("splitdsl::batch::duplicate_key", "A line of a JSON Lines ledger gives the same key twice: which value is meant cannot be told."),
    ("splitdsl::batch::empty", "The ledger is empty: it has no header line."),
    ("splitdsl::batch::empty_line", "A ledger has an empty line where a row was expected."),
    ("splitdsl::batch::empty_value", "A ledger cell for an input is empty."),
    ("splitdsl::batch::io", "The ledger (or an output file) could not be opened."),
    ("splitdsl::batch::kind_clash", "The ledger has a `kind` column (sale, refund, chargeback) and the agreement also has a value named `kind`."),
    ("splitdsl::batch::missing_column", "A row has fewer fields than the header (or, in JSON Lines, lacks a key of the first line)."),
    ("splitdsl::batch::near_input", "A ledger column passes through unread, but its name is close to an input's: a misspelt column?"),
    ("splitdsl::batch::negative_price", "A ledger row's price is below zero; a refund or chargeback is a row of that `kind` with the sale's (positive) price."),
    ("splitdsl::batch::no_price", "The ledger has no column for the price, and no `--set` gives one."),
    ("splitdsl::batch::output_clash", "A ledger column has the name of an output column (a fee, a share, `unallocated`)."),
    ("splitdsl::batch::overflow", "The ledger's totals exceed what can be added exactly."),
    ("splitdsl::batch::percent_money", "A money cell holds a percentage (`50%`): a percentage is a share of something, not an amount, so it is not read as 0.50."),
    ("splitdsl::batch::read", "Reading the ledger failed, or a record is too long (an unclosed quote?)."),
    ("splitdsl::batch::thousands_separator", "A number cell has thousands separators (`1,000.00`, `1.000,00`), or a point that may be one (`1.000` in a `;`-separated ledger with decimal commas). Write the number without them: `1000.00` (or `1000,00` with `;`)."),
    ("splitdsl::batch::too_precise", "A sale's price has more decimals than its currency's minor unit."),
    ("splitdsl::batch::unknown_currency", "A ledger amount has a code that is not an ISO 4217 currency."),
    ("splitdsl::batch::write", "Writing the per-sale rows or the rejected rows failed."),
];

#[cfg(test)]
mod tests {
    use super::CODES;

    #[test]
    fn every_batch_code_is_listed() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("field.rs"),
            include_str!("ids.rs"),
            include_str!("reader.rs"),
            include_str!("settle.rs"),
            include_str!("statement.rs"),
            // The command line's side of settlement (`splitdsl::batch::io`).
            include_str!("../cli/ledger.rs"),
        ];
        let mut used = std::collections::BTreeSet::new();
        for s in sources {
            for piece in s.split("\"splitdsl::batch::").skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                used.insert(format!("splitdsl::batch::{name}"));
            }
        }
        let listed: std::collections::BTreeSet<String> =
            CODES.iter().map(|(c, _)| c.to_string()).collect();
        assert_eq!(used, listed);
    }
}
