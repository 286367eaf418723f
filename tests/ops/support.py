"""A real gateway with its admin listener for the operations tests, and the operator's view of
it: /metrics parsed into numbers, /readyz, signals, the approval-waiting statement used as a
statement that is "running" for as long as a test needs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from pgbridge.demo.config_text import render
from tests.support.gateway import RunningGateway, running_gateway, wait_for_port
from tests.support.postgres import free_port

# Three 8-byte columns of 1M orders: an estimated 24 MB scan, over the analyst's 20 MB, so an
# analyst's run waits for an approval: a statement that runs until a test decides or cancels it.
WAITS = "SELECT count(amount) + count(ordered_at) + count(customer_id) FROM shop.orders"
APPROVAL_ID = re.compile(r"apr_[0-9a-f]{16}")


@dataclass
class OpsGateway:
    gw: RunningGateway
    admin_port: int

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}", timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def ready(self) -> tuple[int, dict[str, object]]:
        status, body = self.get("/readyz")
        return status, json.loads(body)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics: (name, sorted labels) -> value."""
        status, body = self.get("/metrics")
        assert status == 200, body
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(body.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist yet (a counter not yet touched)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def ops_config(admin_port: int, extra_server: str = "") -> str:
    text = render("127.0.0.1", 0, admin_port)
    text = re.sub(r"(?m)^port = \d+$", "port = {port}", text)
    return text.replace("[server]\n", f"[server]\n{extra_server}", 1)


@contextlib.contextmanager
def ops_gateway(
    data_dir: Path, extra_server: str = "", cli_args: tuple[str, ...] = ()
) -> Iterator[OpsGateway]:
    admin_port = free_port()
    with running_gateway(data_dir, ops_config(admin_port, extra_server), cli_args) as gw:
        wait_for_port("127.0.0.1", admin_port, gw.process, gw.log_path, timeout=20)
        yield OpsGateway(gw, admin_port)


async def start_waiting(conn: asyncpg.Connection) -> tuple[asyncio.Task[object], str]:
    """Start WAITS on `conn` (an analyst's): its task, and the approval id from the notice."""
    notices: asyncio.Queue[str] = asyncio.Queue()
    conn.add_log_listener(lambda _c, message: notices.put_nowait(message.message))
    task = asyncio.create_task(conn.fetchval(WAITS))
    message = await asyncio.wait_for(notices.get(), 30)
    found = APPROVAL_ID.search(message)
    assert found, message
    return task, found.group(0)


def log_lines(gw: RunningGateway) -> list[dict[str, object]]:
    """The gateway's JSON log lines (the banner and other plain lines are skipped)."""
    lines = []
    for line in gw.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines
