"""A small local HTTP server standing in for BigQuery's REST API, OAuth and IAM Credentials.

It exists for what the bqemulator cannot show (labels, cancel, impersonation, maximum
bytes billed, Storage Read of query results, real BigQuery's row encodings): the real
google-cloud-bigquery client and google-auth talk to it over a real socket, and the tests
assert the exact JSON bodies and headers they send. Its answers follow BigQuery's REST
reference (Job, GetQueryResultsResponse, ErrorProto); it is a fake and says so.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.httpserver import serving

PROJECT = "demo-proj"
Reply = tuple[int, dict[str, Any]]


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeBigQuery:
    url: str = ""
    requests: list[Captured] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    schema: list[dict[str, Any]] = field(default_factory=lambda: [{"name": "x", "type": "INTEGER"}])
    rows: list[dict[str, Any]] = field(default_factory=lambda: [{"f": [{"v": "1"}]}])
    total_rows: int | None = None
    destination: dict[str, str] | None = None
    override: Callable[[Captured], Reply | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, method: str, fragment: str) -> list[Captured]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def reply(self, request: Captured) -> Reply:
        with self.lock:
            self.requests.append(request)
        if self.override is not None:
            custom = self.override(request)
            if custom is not None:
                return custom
        return self._default(request)

    def _default(self, request: Captured) -> Reply:
        path = request.path
        if path == "/token":
            return 200, {"access_token": "source-token", "expires_in": 3600, "token_type": "Bearer"}
        if path.endswith(":generateAccessToken"):
            account = path.split("/serviceAccounts/")[1].split(":")[0]
            return 200, {"accessToken": f"token-for-{account}", "expireTime": "2099-01-01T00:00:00Z"}
        parts = path.strip("/").split("/")  # bigquery v2 projects P (jobs|queries) [ID] [cancel]
        if parts[4] == "jobs" and request.method == "POST" and len(parts) == 5:
            return 200, self._insert(request.body)
        if parts[4] == "queries" and request.method == "POST" and len(parts) == 5:
            return 200, self._query(request.body)
        job_id = parts[5] if len(parts) > 5 else ""
        if parts[4] == "queries":
            return 200, self._results(job_id, request.query)
        if path.endswith("/cancel"):
            return 200, {"kind": "bigquery#jobCancelResponse", "job": self.jobs.get(job_id, {})}
        if job_id in self.jobs:
            return 200, self.jobs[job_id]
        return 404, error(404, "notFound", f"Not found: Job {PROJECT}:{job_id}")

    def _insert(self, body: dict[str, Any]) -> dict[str, Any]:
        job_id = body["jobReference"]["jobId"]
        config = json.loads(json.dumps(body["configuration"]))
        config["query"]["destinationTable"] = self.destination or {
            "projectId": PROJECT, "datasetId": "_anon", "tableId": f"anon_{job_id}",
        }  # fmt: skip
        job = {
            "kind": "bigquery#job",
            "id": f"{PROJECT}:US.{job_id}",
            "jobReference": {"projectId": PROJECT, "jobId": job_id, "location": "US"},
            "configuration": config,
            "status": {"state": "DONE"},
            "statistics": {"query": {"totalBytesProcessed": "1024", "totalBytesBilled": "10485760"}},
        }
        self.jobs[job_id] = job
        return job

    def _query(self, body: dict[str, Any]) -> dict[str, Any]:
        """jobs.query as BigQuery answers it with jobCreationMode=JOB_CREATION_OPTIONAL: a
        result that fits the first page comes inline, with a query id and no job; a larger
        one gets a job (for jobs.getQueryResults) and a page token."""
        limit = int(body.get("maxResults") or 1_000_000)
        total = self.total_rows if self.total_rows is not None else len(self.rows)
        response: dict[str, Any] = {
            "kind": "bigquery#queryResponse",
            "queryId": f"q{len(self.requests)}",
            "jobComplete": True,
            "schema": {"fields": self.schema},
            "totalRows": str(total),
            "rows": self.rows[:limit],
            "totalBytesProcessed": "1024",
            "location": "US",
        }
        if total > limit or body.get("jobCreationMode") != "JOB_CREATION_OPTIONAL":
            job_id = f"job_{len(self.requests)}"
            config = {"query": {k: v for k, v in body.items() if k != "jobCreationMode"}}
            self._insert({"jobReference": {"jobId": job_id}, "configuration": config})
            response["jobReference"] = {"projectId": PROJECT, "jobId": job_id, "location": "US"}
            if total > limit:
                response["pageToken"] = str(limit)
        return response

    def _results(self, job_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("maxResults", ["1000000"])[0])
        start = int(query.get("pageToken", ["0"])[0])  # this fake's page tokens are row offsets
        response = {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": {"projectId": PROJECT, "jobId": job_id, "location": "US"},
            "jobComplete": True,
            "schema": {"fields": self.schema},
            "totalRows": str(self.total_rows if self.total_rows is not None else len(self.rows)),
            "rows": self.rows[start : start + limit],
            "totalBytesProcessed": "1024",
        }
        if "pageToken" in query and start + limit < len(self.rows):
            response["pageToken"] = str(start + limit)
        if not response["rows"]:
            del response["rows"]  # proto3 JSON, as BigQuery sends it, omits empty repeated fields
        return response

    def insert_running(self, request: Captured) -> Reply | None:
        """An override for jobs.insert answering with a job still RUNNING."""
        if request.method == "POST" and request.path.endswith("/jobs"):
            return 200, {**self._insert(request.body), "status": {"state": "RUNNING"}}
        return None


def error(code: int, reason: str, message: str) -> dict[str, Any]:
    """BigQuery's error body: {"error": {"code", "message", "errors": [ErrorProto]}}."""
    return {"error": {"code": code, "message": message, "errors": [{"reason": reason, "message": message}]}}


def job_with_error(job: dict[str, Any], reason: str, message: str) -> dict[str, Any]:
    failed = dict(job)
    failed["status"] = {"state": "DONE", "errorResult": {"reason": reason, "message": message}}
    return failed


class _Handler(BaseHTTPRequestHandler):
    fake: FakeBigQuery

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = raw.decode()
        with contextlib.suppress(ValueError):  # the OAuth token request is form-encoded
            body = json.loads(raw) if raw else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        captured = Captured(self.command, parts.path, parse_qs(parts.query), headers, body)
        status, payload = self.fake.reply(captured)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return


@contextmanager
def fake_bigquery() -> Iterator[FakeBigQuery]:
    fake = FakeBigQuery()
    with serving(type("Handler", (_Handler,), {"fake": fake})) as url:
        fake.url = url
        yield fake
