"""A pass-through HTTP proxy in front of the emulator's REST API that can hold a job RUNNING.

The emulator finishes every query inside jobs.insert and ignores jobs.cancel, so a
CancelRequest cannot be shown against it. Requests pass through to the real emulator
unchanged, except query jobs whose SQL matches `hold`: those are answered here as real
BigQuery answers a long query (jobs.insert -> RUNNING, getQueryResults -> jobComplete
false after a long-poll) until jobs.cancel arrives, after which the job is DONE with
BigQuery's "stopped" error; their dry runs are answered here too (the emulator would run
the query to dry-run it). Held jobs never reach the emulator. Every request is recorded
so a test can assert that the gateway sent jobs.cancel for the job it started. A fake for
that one job, and it says so.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.httpserver import serving

LONG_POLL_SECONDS = 0.3
DRY_RUN_BYTES = 16_000_000
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length", "accept-encoding"}


@dataclass
class HoldProxy:
    upstream: str
    hold: Callable[[str], bool]
    dry_run_schema: list[dict[str, str]]  # the held query's result fields, BigQuery REST spelling
    # Rewrites a passed-through JSON reply (method, path, body) -> body: real BigQuery's
    # answers where the emulator's differ (column types, dry-run bytes).
    patch: Callable[[str, str, Any], Any] | None = None
    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    inserts: list[dict[str, Any]] = field(default_factory=list)  # jobs.insert bodies, dry runs too
    queries: list[dict[str, Any]] = field(default_factory=list)  # jobs.query bodies
    held: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> job resource
    cancelled: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cancels(self) -> list[str]:
        """Job ids jobs.cancel was sent for, in order."""
        with self.lock:
            return [
                p.split("/jobs/")[1].split("/")[0]
                for m, p in self.requests
                if m == "POST" and p.endswith("/cancel")
            ]

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any] | None:
        """A reply for a held job, or None to pass the request through."""
        with self.lock:
            self.requests.append((method, path))
        if method == "POST" and path.endswith("/jobs"):
            return self._insert(json.loads(body or b"{}"))
        if method == "POST" and path.endswith("/queries"):
            return self._query(path, json.loads(body or b"{}"))
        job_id = _job_id(path)
        if job_id not in self.held:
            return None
        if path.endswith("/cancel"):
            self.cancelled.add(job_id)
            return 200, {"kind": "bigquery#jobCancelResponse", "job": self._job(job_id)}
        if "/queries/" in path:
            return 200, self._results(job_id, query)
        return 200, self._job(job_id)

    def _insert(self, body: dict[str, Any]) -> tuple[int, Any] | None:
        with self.lock:
            self.inserts.append(body)
        config = body.get("configuration", {})
        if not self.hold(config.get("query", {}).get("query", "")):
            return None
        reference = body.get("jobReference", {})
        project = reference.get("projectId", "")
        job_id = reference.get("jobId", f"dry_{time.monotonic_ns()}")
        job = {
            "kind": "bigquery#job",
            "id": f"{project}:US.{job_id}",
            "jobReference": {"projectId": project, "jobId": job_id, "location": "US"},
            "configuration": config,
            "status": {"state": "RUNNING"},
            "statistics": {"creationTime": str(int(time.time() * 1000))},
        }
        if config.get("dryRun"):
            # The emulator runs a dry run's query: answer it here, as BigQuery does, unrun.
            job["status"] = {"state": "DONE"}
            job["statistics"]["query"] = {
                "totalBytesProcessed": str(DRY_RUN_BYTES),
                "schema": {"fields": self.dry_run_schema},
            }
            return 200, job
        self.held[job_id] = job
        return 200, self._job(job_id)

    def _query(self, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        """jobs.query: a held query becomes a RUNNING job, as BigQuery answers a query that
        outlasts the request (the client then waits on the job, and cancel can stop it)."""
        with self.lock:
            self.queries.append(body)
        if not self.hold(body.get("query", "")):
            return None
        project, job_id = path.split("/")[4], f"held_{time.monotonic_ns()}"
        config = {"query": {k: v for k, v in body.items() if k not in ("labels", "jobTimeoutMs")}}
        config.update({k: body[k] for k in ("labels", "jobTimeoutMs") if k in body})
        reference = {"projectId": project, "jobId": job_id, "location": "US"}
        self.held[job_id] = {
            "kind": "bigquery#job",
            "id": f"{project}:US.{job_id}",
            "jobReference": reference,
            "configuration": config,
            "status": {"state": "RUNNING"},
            "statistics": {"creationTime": str(int(time.time() * 1000))},
        }
        return 200, {"kind": "bigquery#queryResponse", "jobReference": reference, "jobComplete": False}

    def _job(self, job_id: str) -> dict[str, Any]:
        job = dict(self.held[job_id])
        if job_id in self.cancelled:
            stopped = {
                "reason": "stopped",
                "message": "Job execution was cancelled: User requested cancellation",
            }
            job["status"] = {"state": "DONE", "errorResult": stopped, "errors": [stopped]}
        return job

    def _results(self, job_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if job_id not in self.cancelled:
            wait_ms = int(query.get("timeoutMs", ["10000"])[0])
            time.sleep(min(wait_ms / 1000, LONG_POLL_SECONDS))  # BigQuery long-polls
        reference = self.held[job_id]["jobReference"]
        return {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": reference,
            "jobComplete": job_id in self.cancelled,
        }


def _job_id(path: str) -> str:
    parts = path.strip("/").split("/")  # bigquery v2 projects P (jobs|queries) ID [cancel]
    return parts[5] if len(parts) > 5 else ""


class _Handler(BaseHTTPRequestHandler):
    proxy: HoldProxy

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.proxy.answer(self.command, parts.path, parse_qs(parts.query), body)
        if reply is None:
            status, headers, data = self._forward(body)
            is_json = any(k.lower() == "content-type" and "json" in v for k, v in headers.items())
            if self.proxy.patch is not None and data and is_json:
                data = json.dumps(self.proxy.patch(self.command, parts.path, json.loads(data))).encode()
        else:
            status, headers, data = (
                reply[0],
                {"Content-Type": "application/json"},
                json.dumps(reply[1]).encode(),
            )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
        request = urllib.request.Request(
            self.proxy.upstream + self.path, data=body if body else None, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, _kept(response.headers.items()), response.read()
        except urllib.error.HTTPError as failure:
            return failure.code, _kept(failure.headers.items()), failure.read()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return


def _kept(items: Any) -> dict[str, str]:
    return {k: v for k, v in items if k.lower() not in _HOP_HEADERS}


@contextlib.contextmanager
def hold_proxy(
    upstream: str,
    hold: Callable[[str], bool],
    dry_run_schema: list[dict[str, str]],
    patch: Callable[[str, str, Any], Any] | None = None,
) -> Iterator[HoldProxy]:
    proxy = HoldProxy(upstream.rstrip("/"), hold, dry_run_schema, patch)
    with serving(type("Handler", (_Handler,), {"proxy": proxy})) as url:
        proxy.url = url
        yield proxy
