"""The BigQuery backend's pure parts: settings, labels, caches, type spellings, error mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from pgbridge.backends.base import Backend, Field
from pgbridge.backends.bigquery import BigQueryBackend
from pgbridge.backends.bigquery_config import DEFAULT_MAX_BYTES_BILLED, bigquery_settings_from
from pgbridge.backends.bigquery_errors import to_pg_error
from pgbridge.backends.bigquery_labels import check_job_id, job_labels, label_key, label_value
from pgbridge.backends.bigquery_meta import TtlCache
from pgbridge.backends.bigquery_rows import column_to_arrow
from pgbridge.backends.bigquery_types import arrow_type, field_from_schema
from pgbridge.config_base import ConfigError, Section
from pgbridge.typemap import parse_bq_type
from pgbridge.wire.errors import PgError, SqlState

EXAMPLE = Path(__file__).resolve().parents[2] / "pgbridge" / "backends" / "bigquery_config_example.toml"


def settings(tmp_path: Path = Path("."), **table: Any) -> Any:
    return bigquery_settings_from(Section({"project": "p", **table}, "backend"), tmp_path)


def test_backend_satisfies_the_protocol() -> None:
    backend: Backend = BigQueryBackend(settings(credentials="anonymous"))  # mypy checks the shape
    assert backend.name == "bigquery"


def test_defaults_always_cap_bytes_billed() -> None:
    s = settings()
    assert s.maximum_bytes_billed == DEFAULT_MAX_BYTES_BILLED and s.credentials == "application-default"
    assert s.storage_read == "auto" and dict(s.impersonate) == {}


def test_example_toml_is_a_valid_configuration() -> None:
    import tomllib

    table = tomllib.loads(EXAMPLE.read_text())["backend"]
    s = bigquery_settings_from(Section(table, "backend"), EXAMPLE.parent)
    assert s.project == "my-analytics-project" and s.page_rows == 20000


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        ({"project": ""}, "backend.project", "empty"),
        ({"credentials": "magic"}, "backend.credentials", "must be one of"),
        ({"credentials": "service-account-file"}, "backend.key_file", "required"),
        ({"key_file": "x.json"}, "backend.key_file", "only used"),
        ({"maximum_bytes_billed": 0}, "backend.maximum_bytes_billed", "between"),
        ({"query_timeout_seconds": -1}, "backend.query_timeout_seconds", "positive"),
        ({"api_endpoint": "localhost:9050"}, "backend.api_endpoint", "http://"),
        ({"impersonate": {"analyst": "not an email"}}, "backend.impersonate.analyst", "service account"),
        ({"datasets": {"public": "a b"}}, "backend.datasets.public", "dataset"),
        ({"storage_read": "sometimes"}, "backend.storage_read", "must be one of"),
        ({"pagerows": 5}, "backend.pagerows", "unknown key"),
        ({"kind": "duckdb"}, "backend.kind", "bigquery"),
    ],
)
def test_config_errors_name_the_key(table: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(**table)
    assert info.value.key == key and fragment in str(info.value)


def test_key_file_is_resolved_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "sa.json").write_text("{}")
    s = settings(tmp_path, credentials="service-account-file", key_file="sa.json")
    assert s.key_file == tmp_path / "sa.json"


def test_labels_follow_bigquery_rules() -> None:
    assert label_value("Alice@Example.COM") == "alice_example_com"
    long_a, long_b = label_value("a" * 100), label_value("a" * 99 + "b")
    assert len(long_a) == 63 and long_a != long_b  # cut values stay distinct
    assert label_key("1st") == "k_1st" and label_key("") == "k_"
    labels = job_labels({"Principal": "Bob"}, {"principal": "static", "team": "x"})
    assert labels == {"principal": "bob", "team": "x"}  # the caller's label wins
    with pytest.raises(PgError):
        job_labels({f"k{i}": "v" for i in range(65)})


def test_job_ids_must_carry_the_prefix() -> None:
    assert check_job_id("pgbridge_a-B_1") == "pgbridge_a-B_1"
    for bad in ("job_1", "pgbridge_a b", "pgbridge_" + "x" * 1100):
        with pytest.raises(PgError):
            check_job_id(bad)


def test_ttl_cache_expires_and_invalidates() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    now[0] = 10.5
    assert cache.get("a") is None
    cache.put("a", 3)
    cache.invalidate("a")
    assert cache.get("a") is None


def test_schema_fields_become_standard_sql_spellings() -> None:
    nested = bigquery.SchemaField(
        "s", "RECORD", mode="REPEATED", description="d",
        fields=[bigquery.SchemaField("a", "INTEGER"), bigquery.SchemaField("b", "BOOLEAN", mode="REPEATED")],
    )  # fmt: skip
    assert field_from_schema(nested) == Field("s", "ARRAY<STRUCT<a INT64, b ARRAY<BOOL>>>", "REPEATED", "d")
    ranged = bigquery.SchemaField("r", "RANGE", range_element_type="TIMESTAMP")
    assert field_from_schema(ranged).type == "RANGE<TIMESTAMP>"
    assert field_from_schema(bigquery.SchemaField("f", "FLOAT", mode="REQUIRED")) == Field(
        "f", "FLOAT64", "REQUIRED"
    )


def test_arrow_types_match_the_storage_read_api() -> None:
    assert arrow_type("BIGNUMERIC") == pa.decimal256(76, 38)
    assert arrow_type("ARRAY<STRUCT<a INT64>>") == pa.list_(pa.struct([("a", pa.int64())]))
    assert arrow_type("RANGE<DATE>") == pa.struct([("start", pa.date32()), ("end", pa.date32())])


def test_rest_values_convert_vectorised() -> None:
    assert column_to_arrow(["1", None, "-9223372036854775808"], parse_bq_type("INT64")).to_pylist() == [
        1, None, -9223372036854775808,
    ]  # fmt: skip
    assert column_to_arrow(["true", "false", None], parse_bq_type("BOOL")).to_pylist() == [True, False, None]
    times = column_to_arrow(["00:00:00", "23:59:59.999999"], parse_bq_type("TIME")).to_pylist()
    assert [t.isoformat() for t in times] == ["00:00:00", "23:59:59.999999"]
    stamps = column_to_arrow(["1.7041646452E9", None], parse_bq_type("TIMESTAMP")).to_pylist()
    assert stamps[0].isoformat() == "2024-01-02T03:04:05.200000+00:00"  # older float-seconds encoding
    ranges = column_to_arrow(["[2024-01-01 00:00:00.25+00, UNBOUNDED)"], parse_bq_type("RANGE<TIMESTAMP>"))
    assert ranges.to_pylist()[0]["start"].isoformat() == "2024-01-01T00:00:00.250000+00:00"


def test_rest_values_that_do_not_parse_are_22000() -> None:
    with pytest.raises(PgError) as info:
        column_to_arrow(["not a number"], parse_bq_type("INT64"))
    assert info.value.sqlstate == SqlState.DATA_EXCEPTION and "INT64" in info.value.message
    with pytest.raises(PgError):
        column_to_arrow(["1 day"], parse_bq_type("INTERVAL"))


def _api(cls: type[gexc.GoogleAPICallError], reason: str, message: str) -> BaseException:
    return cls("x", errors=[{"reason": reason, "message": message}])


ERROR_CASES = [
    (_api(gexc.BadRequest, "invalidQuery", "Unrecognized name: foo at [1:8]"), SqlState.UNDEFINED_COLUMN),
    (_api(gexc.NotFound, "notFound", "Not found: Table p:d.t was not found"), SqlState.UNDEFINED_TABLE),
    (_api(gexc.BadRequest, "invalidQuery", "Function not found: foo at [1:8]"), SqlState.UNDEFINED_FUNCTION),
    (
        _api(gexc.Forbidden, "billingNotEnabled", "Billing has not been enabled"),
        SqlState.INSUFFICIENT_PRIVILEGE,
    ),
    (_api(gexc.BadRequest, "stopped", "Job execution was cancelled: user"), SqlState.QUERY_CANCELED),
    # Data errors, in the words real BigQuery uses (invalidQuery, yet not syntax errors).
    (_api(gexc.BadRequest, "invalidQuery", "Bad int64 value: Ada"), SqlState.INVALID_TEXT_REPRESENTATION),
    (_api(gexc.BadRequest, "invalidQuery", "Bad double value: x1"), SqlState.INVALID_TEXT_REPRESENTATION),
    (_api(gexc.BadRequest, "invalidQuery", "Invalid NUMERIC value: a"), SqlState.INVALID_TEXT_REPRESENTATION),
    (
        _api(gexc.BadRequest, "invalidQuery", 'Could not cast literal "x" to type INT64 at [1:13]'),
        SqlState.INVALID_TEXT_REPRESENTATION,
    ),
    (_api(gexc.BadRequest, "invalidQuery", "Invalid date: '2020-13-01'"), SqlState.INVALID_DATETIME_FORMAT),
    (_api(gexc.BadRequest, "invalidQuery", "Invalid timestamp: 'soon'"), SqlState.INVALID_DATETIME_FORMAT),
    (
        _api(gexc.BadRequest, "invalidQuery", "int64 overflow: 9223372036854775807 + 1"),
        SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
    ),
    (_api(gexc.BadRequest, "invalidQuery", "division by zero: 1 / 0"), SqlState.DIVISION_BY_ZERO),
    (
        _api(gexc.BadRequest, "invalidQuery", "Query column 2 has type STRING which cannot be inserted into "
             "column amount, which has type FLOAT64"),
        SqlState.DATATYPE_MISMATCH,
    ),
    (gexc.ServiceUnavailable("down"), SqlState.CANNOT_CONNECT_NOW),
    (gexc.RetryError("gave up", ConnectionError("refused")), SqlState.CONNECTION_FAILURE),
    (TimeoutError(), SqlState.QUERY_CANCELED),
    (RuntimeError("boom"), SqlState.INTERNAL_ERROR),
]


@pytest.mark.parametrize(("exc", "sqlstate"), ERROR_CASES)
def test_error_mapping(exc: BaseException, sqlstate: str) -> None:
    error = to_pg_error(exc)
    assert error.sqlstate == sqlstate and error.message


async def test_missing_application_default_credentials_is_28000(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    backend = BigQueryBackend(settings(api_endpoint="http://127.0.0.1:9"))
    with pytest.raises(PgError) as info:
        await backend.datasets()
    assert info.value.sqlstate == SqlState.INVALID_AUTHORIZATION_SPECIFICATION
    assert "credentials" in info.value.message
    await backend.close()
