"""pyarrow: the package's settlement against the command line's, row by row."""

import json
from decimal import Decimal

import pyarrow as pa
import pytest

import splitdsl
from conftest import EXAMPLES, cli


def test_evaluate_is_exactly_the_cli_json(hotmart):
    got = hotmart.evaluate(price="197.00 USD")
    r = cli("run", str(EXAMPLES / "hotmart.split"), "--set", "price=197.00 USD", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert got == json.loads(r.stdout)
    assert got["deductions"][-1]["amount"] == "103.54"
    # Typed inputs: Decimal, int, date, bool; a float is refused (not exact).
    import datetime

    inst = splitdsl.Agreement.load(str(EXAMPLES / "installments.split"))
    a = inst.evaluate(price=Decimal("999.99"), installments=12, sale_date=datetime.date(2025, 3, 10))
    r = cli("run", str(EXAMPLES / "installments.split"), "--set", "price=999.99",
            "--set", "installments=12", "--set", "sale_date=2025-03-10", "--format", "json")
    assert a == json.loads(r.stdout)
    with pytest.raises(TypeError):
        hotmart.evaluate(price=100.0)
    with pytest.raises(splitdsl.AgreementError) as e:
        hotmart.evaluate(prise="1.00 USD")
    assert e.value.diagnostics[0]["code"] == "splitdsl::input::unknown"


def test_agreement_error_has_every_diagnostic():
    with pytest.raises(splitdsl.AgreementError) as e:
        splitdsl.Agreement("price = 10.00 USD\nshare p = remaning\nshare q = 1.00 EUR\n", name="bad.split")
    codes = [d["code"] for d in e.value.diagnostics]
    assert "splitdsl::name::unknown" in codes and len(codes) >= 2
    assert "bad.split:2" in str(e.value)
    assert e.value.diagnostics[0]["spans"][0]["line"] >= 1


def _settled_rows(batch_or_table):
    rows = batch_or_table.to_pylist()
    return [r for r in rows if r["error"] is None], [r for r in rows if r["error"] is not None]


def test_a_pyarrow_batch_settles_as_the_cli_does_row_by_row(hotmart, ledger):
    batch = ledger["table"].combine_chunks().to_batches()[0]
    out = hotmart.settle(batch)
    assert isinstance(out, pa.RecordBatch)
    assert out.schema == hotmart.output_schema(batch.schema)
    assert out.schema.names[:4] == batch.schema.names
    assert out.schema.names[4:] == hotmart.amounts + ["error"]
    assert all(out.schema.field(n).type == pa.decimal128(38, 2) for n in hotmart.amounts)
    good, bad = _settled_rows(out)
    cli_run = ledger["typed_cli"]
    assert len(good) == len(cli_run.rows) > 2500
    assert len(bad) == cli_run.rejected > 0
    for mine, theirs in zip(good, cli_run.rows):
        assert mine["sale_id"] == theirs["sale_id"]
        for name in hotmart.amounts:
            assert str(mine[name]) == theirs[name], (mine, theirs, name)
    # A Table gives a Table, with the same rows.
    t = hotmart.settle(ledger["table"])
    assert isinstance(t, pa.Table) and t.num_rows == batch.num_rows
    assert t.column("producer").to_pylist() == out.column("producer").to_pylist()


@pytest.mark.parametrize("string_type", [pa.string(), pa.large_string(), pa.string_view(), "dictionary"])
def test_refunds_are_negative_under_every_string_type(hotmart, string_type):
    ids = ["S1", "S1", "S2", "S2"]
    kinds = ["sale", "refund", None, "chargeback"]
    prices = ["100.00", "100.00 USD", "50.00", "50.00"]
    if string_type == "dictionary":
        cols = {k: pa.array(v).dictionary_encode() for k, v in
                {"sale_id": ids, "kind": kinds, "price": prices}.items()}
    else:
        cols = {k: pa.array(v, string_type) for k, v in
                {"sale_id": ids, "kind": kinds, "price": prices}.items()}
    out = hotmart.settle(pa.record_batch(cols)).to_pydict()
    assert out["error"] == [None] * 4
    assert out["producer"] == [Decimal("52.42"), Decimal("-52.42"), Decimal("26.06"), Decimal("-26.06")]
    assert out["hotmart"][1] == Decimal("-10.40")
    assert sum(out["unallocated"]) == 0


def test_a_bad_row_gives_error_and_the_rest_settle(hotmart):
    prices = pa.array(["100.00", "12.3x", "-1.00", "100.00 EUR", None, "100.00"], pa.large_string())
    kinds = pa.array(["sale", "sale", "sale", "sale", "sale", "gift"])
    out = hotmart.settle(pa.record_batch({"price": prices, "kind": kinds})).to_pydict()
    codes = [e.split(":", 3)[:3] and e.split(": ", 1)[0] if e else None for e in out["error"]]
    assert codes == [
        None,
        "splitdsl::batch::bad_value",
        "splitdsl::batch::negative_price",
        "splitdsl::batch::currency_mismatch",
        "splitdsl::batch::empty_value",
        "splitdsl::batch::bad_kind",
    ]
    assert out["producer"][0] == Decimal("52.42")
    assert out["producer"][1:] == [None] * 5


def test_typed_inputs_ints_dates_and_refused_columns():
    inst = splitdsl.Agreement.load(str(EXAMPLES / "installments.split"))
    import datetime

    b = pa.record_batch({
        "price": pa.array([Decimal("999.99")], pa.decimal128(10, 2)),
        "installments": pa.array([12], pa.int8()),
        "sale_date": pa.array([datetime.date(2025, 3, 10)], pa.date32()),
    })
    out = inst.settle(b).to_pylist()[0]
    want = inst.evaluate(price="999.99", installments=12, sale_date="2025-03-10")
    for d in want["deductions"]:
        assert str(out[d["name"]]) == d["amount"]
    # Money as a float is refused, before any row.
    with pytest.raises(TypeError, match="float"):
        inst.settle(pa.record_batch({"price": pa.array([1.5])}))
    # A missing price column is the ledger's header error.
    with pytest.raises(splitdsl.AgreementError) as e:
        inst.settle(pa.record_batch({"amount": pa.array(["1.00"])}))
    assert e.value.diagnostics[0]["code"] == "splitdsl::batch::no_price"
    # A running total must come as a column.
    lifetime = splitdsl.Agreement.load(str(EXAMPLES / "lifetime.split"))
    with pytest.raises(splitdsl.AgreementError) as e:
        lifetime.settle(pa.record_batch({"price": pa.array(["1.00"])}))
    assert e.value.diagnostics[0]["code"] == "splitdsl::batch::running_not_given"
