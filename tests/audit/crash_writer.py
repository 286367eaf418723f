"""A process that appends to the audit log as fast as it can until it is killed.

Run as `python -m tests.audit.crash_writer SETTINGS_JSON`; prints each acknowledged seq on its
own line, so the test knows which records the log promised were durable.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pyarrow as pa

from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings


async def session(log: AuditLog, number: int) -> None:
    count = 0
    while True:
        count += 1
        statement_id = f"s{number}-{count}"
        ref = await log.append("statement", {"session_id": f"s{number}", "statement_id": statement_id})
        recording = log.recording(statement_id)
        recording.add(pa.record_batch({"n": list(range(count % 50))}), ["n"])
        fields = {"session_id": f"s{number}", "recording": recording.finish()}
        done = await log.append("statement_completed", fields)
        sys.stdout.write(f"{ref.seq}\n{done.seq}\n")
        sys.stdout.flush()


async def main(raw: str) -> None:
    options = json.loads(raw)
    for name in ("directory", "signing_key_file"):
        options[name] = Path(options[name])
    log = await AuditLog.open(AuditSettings(**options))
    await asyncio.gather(*(session(log, number) for number in range(8)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
