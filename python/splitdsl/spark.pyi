from pyspark.sql import DataFrame
from pyspark.sql.types import StructType

from . import Agreement

def output_schema(df_schema: StructType, agreement: Agreement) -> StructType: ...
def settle(df: DataFrame, agreement: Agreement) -> DataFrame: ...
