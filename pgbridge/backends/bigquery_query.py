"""A query in one HTTP round trip: jobs.query with jobCreationMode=JOB_CREATION_OPTIONAL.

jobs.insert costs a request for the insert, at least one jobs.getQueryResults to wait and one
page request for the rows: 50-300 ms each on the real service. jobs.query sends the statement
and waits for it in one request, and BigQuery's short query optimized mode answers a small
query with its schema, statistics and first page of rows in the same response, without
creating a job at all. Only when the query outlasts the request or its result has more pages
does BigQuery create a job (the client then waits on it and pages through it as before).

What jobs.insert gave and jobs.query keeps: labels, maximum_bytes_billed and jobTimeoutMs are
fields of the QueryRequest, so they hold the same way (a query over the cap is refused before
it is billed). What it cannot keep: the job id is BigQuery's, not a `pgbridge_` one (a
QueryRequest has no job id), so BigQuery's audit log is joined to pgbridge's through the
labels (principal, role, session). Cancel: a query answered in the first response has
finished and has nothing to cancel; one that became a job is cancelled by BigQuery's job id,
which `on_job` hands over as soon as the client learns it.

The client library's `query_and_wait` does the request and the waiting; its callback (the hook
the library keeps for bigframes' progress bars) is how the job id is learned before waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import bigquery
from google.cloud.bigquery import enums
from google.cloud.bigquery.table import RowIterator

JOB_CREATION_OPTIONAL = enums.JobCreationMode.JOB_CREATION_OPTIONAL


def query_once(
    client: bigquery.Client,
    sql: str,
    config: bigquery.QueryJobConfig,
    *,
    location: str | None,
    timeout: float,
    request_timeout: float,
    retry: Any,
    page_rows: int,
    on_job: Callable[[str], None],
) -> RowIterator:
    """Run `sql` through jobs.query and wait for it; the rows iterator holds the first page.

    `on_job(job_id)` is called (from this thread) when BigQuery created a job for the query,
    before the client waits on it: the caller can then cancel it."""
    client.default_job_creation_mode = JOB_CREATION_OPTIONAL

    def on_event(event: Any) -> None:
        job_id = getattr(event, "job_id", None)
        if job_id and type(event).__name__ == "QueryReceivedEvent":
            on_job(job_id)

    arguments: dict[str, Any] = {
        "job_config": config,
        "location": location,
        # How long BigQuery holds the request open for the answer (timeoutMs), at most the
        # statement's own timeout; past it BigQuery makes a job and the client waits on it.
        "api_timeout": min(timeout, request_timeout),
        "wait_timeout": timeout,
        "retry": retry,
        "job_retry": None,  # the statement is not run twice
        "page_size": page_rows,
    }
    with_callback = getattr(client, "_query_and_wait_bigframes", None)
    if with_callback is not None:
        rows: RowIterator = with_callback(sql, callback=on_event, **arguments)
    else:  # a client library without the hook: no early job id (cancel waits for the answer)
        rows = client.query_and_wait(sql, **arguments)
    _raise_failure(rows)
    return rows


def _raise_failure(rows: RowIterator) -> None:
    """A finished query whose response carries errors and no result is a failed one. BigQuery
    answers most failures with an HTTP error (which the client raises); some servers (the
    emulator) answer 200 with the errors in the body, which the client would take for an empty
    result. `errors` alone may be warnings, so only a response without a schema counts."""
    response = getattr(rows, "_first_page_response", None) or {}
    errors = response.get("errors") or []
    if errors and not response.get("schema", {}).get("fields"):
        first = errors[0]
        raise gexc.BadRequest(first.get("message", "query failed"), errors=errors)

