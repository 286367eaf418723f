"""A Google Cloud Storage emulator (gcp-storage-emulator, PyPI) for tests, in memory, on a free port.

It runs in the test process (a thread); gateways and CLI processes reach it through
STORAGE_EMULATOR_HOST, which the real google-cloud-storage client honours (anonymous
credentials, no project needed). It stores a bucket's retention policy but does not enforce
it, nor `ifGenerationMatch`: what GCS itself guarantees is not what these tests check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from tests.support.postgres import free_port


@dataclass(frozen=True)
class GcsEmulator:
    host: str  # for STORAGE_EMULATOR_HOST

    def bucket(self, name: str, retention_s: int | None = 3600) -> str:
        """Create a bucket (with a retention policy unless None); return its name."""
        from google.cloud import storage

        with _pointed_at(self.host):
            bucket = storage.Client().create_bucket(name)
            if retention_s is not None:
                bucket.retention_period = retention_s
                bucket.patch()
        return name


@contextlib.contextmanager
def _pointed_at(host: str) -> Iterator[None]:
    import os

    before = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = host
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = before


@contextlib.contextmanager
def running_gcs_emulator() -> Iterator[GcsEmulator]:
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield GcsEmulator(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
