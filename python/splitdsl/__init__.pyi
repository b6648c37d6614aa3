"""Type stubs for splitdsl (the native module `splitdsl._native`)."""

from os import PathLike
from typing import Any, Dict, List, Optional, Union, overload

import pyarrow

from . import spark as spark

class AgreementError(Exception):
    """An agreement that does not compile, an input that does not fit it, or
    columns it cannot settle; str() is every diagnostic rendered."""

    diagnostics: List[Dict[str, Any]]
    """Every diagnostic: file, code, severity, message, spans (with line and
    column), help."""

class Agreement:
    """A splitdsl agreement, compiled once."""

    def __init__(self, text: str, name: str = "agreement.split") -> None:
        """Compiles `text`; `name` is the file name diagnostics show.
        Raises AgreementError with every diagnostic."""
    @staticmethod
    def load(path: Union[str, PathLike[str]]) -> "Agreement":
        """Reads and compiles the agreement at `path`."""
    @property
    def name(self) -> str: ...
    @property
    def text(self) -> str:
        """The source text (what `splitdsl.spark` ships to the tasks)."""
    @property
    def title(self) -> Optional[str]: ...
    @property
    def minor_unit(self) -> int:
        """The decimals of the currency's minor unit: the scale of the amounts."""
    @property
    def currency(self) -> str: ...
    @property
    def amounts(self) -> List[str]:
        """The amount columns settle appends: fees and shares in deduction
        order, then `unallocated`."""
    @property
    def warnings(self) -> List[str]: ...
    def evaluate(self, **inputs: Any) -> Dict[str, Any]:
        """One sale: inputs as str ("197.00 USD"), Decimal, int, bool or
        datetime.date (a float is refused: not exact). Returns exactly the JSON
        of `splitdsl run --format json`."""
    @overload
    def settle(self, data: pyarrow.RecordBatch) -> pyarrow.RecordBatch: ...
    @overload
    def settle(self, data: pyarrow.Table) -> pyarrow.Table: ...
    def settle(self, data: Any) -> Any:
        """Settles every row: the input columns, then one
        decimal128(38, minor unit) per fee, share and `unallocated`, then
        `error` (null when the row settled). A RecordBatch (any
        `__arrow_c_array__`) gives a RecordBatch; a Table (any
        `__arrow_c_stream__`) a Table. The GIL is released while settling."""
    def output_schema(self, schema: pyarrow.Schema) -> pyarrow.Schema:
        """The schema `settle` returns for input of `schema`."""
