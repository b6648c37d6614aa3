"""Shared fixtures: the repository, the `splitdsl` binary, generated ledgers."""

import csv
import io
import json
import os
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def binary() -> str:
    """The built `splitdsl` command line: $SPLITDSL_BIN, else target/debug."""
    path = os.environ.get("SPLITDSL_BIN")
    if path:
        return path
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for p in (target / "debug" / "splitdsl", target / "release" / "splitdsl"):
        if p.exists():
            return str(p)
    found = shutil.which("splitdsl")
    if found:
        return found
    pytest.fail("no splitdsl binary: run `cargo build` or set SPLITDSL_BIN")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), *args], capture_output=True, text=True, check=False)


class Cli:
    """The CLI's settlement of one ledger: output rows, rejects, statement."""

    def __init__(self, agreement: Path, ledger: Path, tmp: Path):
        tmp.mkdir(parents=True, exist_ok=True)
        out, rej, st = tmp / "out.csv", tmp / "rejects.csv", tmp / "statement.json"
        r = cli("run", str(agreement), "--sales", str(ledger), "--out", str(out),
                "--rejects", str(rej), "--statement", str(st), "--threads", "2")
        assert r.returncode in (0, 1), r.stderr
        with open(out, newline="") as f:
            self.rows = list(csv.DictReader(f))
        self.statement = json.loads(st.read_text())
        self.net = {line["name"]: Decimal(line["net"]) for line in self.statement["lines"]}
        self.rejected = self.statement["rows"]["rejected"]


def hotmart_ledger(n: int, seed: int = 17, bad: bool = True) -> str:
    """A CSV ledger for examples/hotmart.split: sales, some refunded or charged
    back (same id, after the sale), and, if `bad`, a few rows the CLI rejects
    (a negative price, a price that is not a number, an unknown kind)."""
    rnd = random.Random(seed)
    lines = ["sale_id,price,kind,channel"]
    sold = []
    for i in range(n):
        r = rnd.random()
        if sold and r < 0.08:
            sid, price = sold.pop(rnd.randrange(len(sold)))
            kind = "refund" if r < 0.05 else "chargeback"
            lines.append(f"{sid},{price},{kind},web")
            continue
        if bad and r > 0.985:
            price = rnd.choice(["-5.00", "12.3x", "7.001"])
            lines.append(f"B{i},{price},sale,web")
            continue
        if bad and r > 0.98:
            lines.append(f"B{i},10.00,gift,web")
            continue
        price = f"{rnd.randint(100, 99999) // 100}.{rnd.randint(0, 99):02d}"
        sid = f"S{i}"
        sold.append((sid, price))
        lines.append(f"{sid},{price},{'sale' if rnd.random() < 0.5 else ''},{rnd.choice(['web', 'app'])}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def hotmart():
    import splitdsl

    return splitdsl.Agreement.load(str(EXAMPLES / "hotmart.split"))


@pytest.fixture(scope="session")
def ledger_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ledgers")


@pytest.fixture(scope="session")
def ledger(ledger_dir):
    """A 3,000-row hotmart ledger as CSV and as Parquet (decimal128(18,2)
    prices; the bad rows' prices that are not numbers are dropped from the
    Parquet's), with the CLI's settlement of the same rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = hotmart_ledger(3000)
    csv_path = ledger_dir / "sales.csv"
    csv_path.write_text(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    # The Parquet ledger: the rows whose price is a decimal with cents.
    typed = [r for r in rows if _cents(r["price"])]
    typed_csv = ledger_dir / "typed.csv"
    with open(typed_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["sale_id", "price", "kind", "channel"])
        w.writeheader()
        w.writerows(typed)
    table = pa.table({
        "sale_id": pa.array([r["sale_id"] for r in typed], pa.string()),
        "price": pa.array([Decimal(r["price"]) for r in typed], pa.decimal128(18, 2)),
        "kind": pa.array([r["kind"] or None for r in typed], pa.string()),
        "channel": pa.array([r["channel"] for r in typed], pa.string()),
    })
    parquet = ledger_dir / "sales.parquet"
    pq.write_table(table, parquet, row_group_size=700)
    return {
        "csv": csv_path,
        "rows": rows,
        "typed_csv": typed_csv,
        "table": table,
        "parquet": parquet,
        "cli": Cli(EXAMPLES / "hotmart.split", csv_path, ledger_dir / "all"),
        "typed_cli": Cli(EXAMPLES / "hotmart.split", typed_csv, ledger_dir / "typed"),
    }


def _cents(s: str) -> bool:
    try:
        d = Decimal(s)
    except Exception:
        return False
    return d.as_tuple().exponent == -2
