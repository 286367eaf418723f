"""Job ids and labels that let BigQuery's own audit log be joined to pgbridge's.

BigQuery label rules: keys and values are at most 63 characters of lowercase letters,
digits, `_` and `-`; keys start with a letter; a job carries at most 64 labels. A principal
such as `Alice@Example.com` becomes `alice_example_com`. When a value has to be cut, its
tail is replaced by a hash of the original so two long principals never share a label.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from pgbridge.wire.errors import PgError, SqlState

JOB_ID_PREFIX = "pgbridge_"
MAX_LABEL = 63
MAX_LABELS = 64
_INVALID = re.compile(r"[^a-z0-9_-]")
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,1024}$")


def label_value(text: str) -> str:
    cleaned = _INVALID.sub("_", text.lower())
    if len(cleaned) <= MAX_LABEL:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{cleaned[: MAX_LABEL - 11]}-{digest}"


def label_key(text: str) -> str:
    key = label_value(text)
    if not key or not key[0].isalpha():
        key = label_value("k_" + text)
    return key


def job_labels(labels: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Sanitised labels; `extra` (configured static labels) never overrides the caller's."""
    result: dict[str, str] = {}
    for source in (extra or {}, labels):
        for key, value in source.items():
            result[label_key(key)] = label_value(value)
    if len(result) > MAX_LABELS:
        raise PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, f"a BigQuery job takes at most {MAX_LABELS} labels")
    return result


def check_job_id(job_id: str) -> str:
    """Fail closed on a job id CancelRequest could not find again."""
    if not job_id.startswith(JOB_ID_PREFIX) or not _JOB_ID.match(job_id):
        raise PgError(
            SqlState.INVALID_PARAMETER_VALUE,
            f"job id {job_id!r} must start with {JOB_ID_PREFIX!r} and use only letters, digits, _ and -",
        )
    return job_id
