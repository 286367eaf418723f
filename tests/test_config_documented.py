"""config.example.toml documents every key the code reads.

Each key the configuration parsers ask for (through pgbridge.config_base.Section) while loading
the example is recorded, on both backends (the example's BigQuery block is commented out; it is
uncommented here). Names that are data rather than keys (role names, tables of row filters,
labels, dataset maps) are folded; every key left must appear in the example as `key = ...`,
commented out or not, under its section's header. A key added to the code without a line in
the example fails here."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgbridge.config import config_from_table
from pgbridge.config_base import Section

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
# Tables whose keys are names the operator chooses, not keys the code knows.
_DATA_TABLES = ("policy.roles", "backend.labels", "backend.datasets", "backend.impersonate")
_ROW_FILTERS = re.compile(r"^(policy\.roles\.\*\.row_filters)\..+$")


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    keys: set[str] = set()
    original_get, original_optional, original_sub = Section.get, Section.optional, Section.sub

    def get(self: Section, name: str, kind: type, default: object) -> object:
        keys.add(self.key(name))
        return original_get(self, name, kind, default)

    def optional(self: Section, name: str, kind: type) -> object:
        keys.add(self.key(name))
        return original_optional(self, name, kind)

    def sub(self: Section, name: str) -> Section:
        keys.add(self.key(name))
        return original_sub(self, name)

    monkeypatch.setattr(Section, "get", get)
    monkeypatch.setattr(Section, "optional", optional)
    monkeypatch.setattr(Section, "sub", sub)
    yield keys


def _normalised(key: str) -> str:
    key = re.sub(r"\[\d+\]", "", key)  # masking.rules[0].pattern -> masking.rules.pattern
    for table in _DATA_TABLES:
        if key.startswith(table + "."):
            rest = key[len(table) + 1 :].split(".", 1)
            key = f"{table}.*" + (f".{rest[1]}" if len(rest) > 1 else "")
    return _ROW_FILTERS.sub(r"\1", key)


def _bigquery_variant(text: str) -> str:
    """The example with its commented BigQuery [backend] block in force instead of DuckDB's."""
    head, rest = text.split("[backend]\n", 1)
    duck, bigquery = rest.split("# --- kind = \"bigquery\"", 1)
    bigquery, tail = bigquery.split("\n[catalog]", 1)
    lines = []
    for line in bigquery.splitlines():
        uncommented = re.sub(r"^# (\[|[a-z_]+ = )", r"\1", line)
        lines.append(uncommented if uncommented != line else "")
    block = "\n".join(lines)
    block = block.replace('credentials = "application-default"', 'credentials = "service-account-file"')
    return head + block + "\n[catalog]" + tail


def _documented(text: str) -> set[str]:
    """Dotted keys the example shows, commented or not, under the header before them."""
    shown: set[str] = set()
    section = ""
    for line in text.splitlines():
        header = re.match(r"^#?\s*\[\[?([A-Za-z0-9_.\"*-]+)\]\]?", line)
        if header:
            section = _normalised(header.group(1).replace('"', ""))
            parts = section.split(".")
            shown.update(".".join(parts[: i + 1]) for i in range(len(parts)))
            continue
        assignment = re.match(r"^#?\s*\"?([A-Za-z0-9_.*-]+)\"?\s*=", line)
        if assignment:
            shown.add(_normalised(f"{section}.{assignment.group(1)}" if section else assignment.group(1)))
    return shown


def _load(text: str, folder: Path) -> None:
    config_from_table(tomllib.loads(text), folder / "pgbridge.toml")


def test_config_example_documents_every_key_the_code_reads(
    asked: set[str], demo_dir: Path, tmp_path: Path
) -> None:
    keys = ("token-signing.pub", "masking-hash.key", "server.crt", "server.key", "audit-signing-key.pem")
    for name in keys:
        shutil.copy(demo_dir / name, tmp_path / name)
    text = EXAMPLE.read_text()
    _load(text, tmp_path)
    bigquery = _bigquery_variant(text)
    assert 'kind = "bigquery"' in bigquery and "[backend.duckdb]" not in bigquery
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pgbridge-sa.json").write_text("{}")
    _load(bigquery, tmp_path)
    read = {_normalised(key) for key in asked}
    assert len(read) > 100 and "server.shutdown_grace_s" in read and "backend.storage_read" in read
    missing = sorted(read - _documented(text) - _documented(bigquery))
    assert not missing, f"keys the code reads that config.example.toml does not document: {missing}"
