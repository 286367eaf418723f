"""EXPLAIN: what pgbridge would do with a statement, without running it.

PostgreSQL's plan means nothing for BigQuery, so EXPLAIN answers with the gateway's own plan:
the policy decision, the dry run's bytes and the cost rule, the masks, and the BigQuery SQL
that would run. The statement goes through the same stages as a real one (resolution,
policy, row filters, masking, translation), so EXPLAIN cannot show more than running it
would. EXPLAIN ANALYZE would run the statement and is refused.
"""

from __future__ import annotations

import re

from pgbridge.wire.errors import PgError, SqlState

_OPTIONS = re.compile(
    r"^\s*explain\b\s*(?:\((?P<options>[^)]*)\))?(?P<words>(?:\s*\b(?:analyze|analyse|verbose)\b)*)",
    re.IGNORECASE,
)


def explained_text(text: str) -> str:
    """The statement an EXPLAIN asks about; raises for EXPLAIN ANALYZE."""
    match = _OPTIONS.match(text)
    if match is None:
        raise PgError(SqlState.SYNTAX_ERROR, "could not read the EXPLAIN statement")
    options = (match.group("options") or "").lower()
    words = (match.group("words") or "").lower()
    if "analy" in words or _analyze_on(options):
        raise PgError(
            SqlState.INSUFFICIENT_PRIVILEGE,
            "EXPLAIN ANALYZE is not allowed: it would run the statement",
            hint="use EXPLAIN without ANALYZE to see pgbridge's plan and the bytes it would scan",
        )
    return text[match.end() :].strip()


def _analyze_on(options: str) -> bool:
    for option in options.split(","):
        words = option.split()
        if words and words[0] in ("analyze", "analyse"):
            return len(words) == 1 or words[1] not in ("false", "off", "0")
    return False
