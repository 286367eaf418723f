"""Arrow record batches -> PostgreSQL RowDescription, DataRow and COPY bytes, per batch.

This is the gateway's hot path: every value a client receives is rendered here, vectorised
over whole columns with pyarrow.compute and numpy so that no Python call runs per value on
the common types. The output is byte-for-byte what PostgreSQL 15 sends for the same values
(tests/encode compares against a real server), in text and binary format.
"""

from pgbridge.encode.columns import output_columns, resolve_formats, row_description
from pgbridge.encode.copy import CopyTextEncoder
from pgbridge.encode.copy_binary import CopyBinaryEncoder
from pgbridge.encode.result import EncodedRows, ResultEncoder
from pgbridge.encode.settings import EncodeSettings

__all__ = [
    "CopyTextEncoder",
    "CopyBinaryEncoder",
    "EncodedRows",
    "EncodeSettings",
    "ResultEncoder",
    "output_columns",
    "resolve_formats",
    "row_description",
]
