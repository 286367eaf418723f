"""The Google Cloud Storage anchor sink: one object per checkpoint, in a bucket with a retention policy.

    [audit.anchors]
    url = "gs://BUCKET/PREFIX"

Object `PREFIX/GATEWAY/SEQ(20 digits)-TIME-REASON.json` holds `{"body", "sig"}`. It is created
with `ifGenerationMatch=0`, so an existing object is never replaced, and the bucket's retention
policy keeps every object from being deleted or overwritten until it expires (GCS enforces
both). The gateway refuses a bucket without a retention policy and logs a warning while the
policy is not locked (an unlocked policy can be removed by whoever may update the bucket). Its
service account should hold `roles/storage.objectCreator` on the bucket and nothing more;
verification needs `roles/storage.objectViewer`.

The client is the real google-cloud-storage library (imported only when a gs:// URL is
configured); it honours STORAGE_EMULATOR_HOST, which the tests point at an emulator. Its calls
block, so they run in a thread, each bounded by TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from typing import Any

from pgbridge.audit.anchors import SignedCheckpoint, StoredAnchor

logger = logging.getLogger("pgbridge.audit")

TIMEOUT_S = 5.0


class GcsSinkError(OSError):
    """The bucket cannot be written, or is not safe to write to."""


def parse_url(url: str) -> tuple[str, str]:
    """gs://bucket/prefix -> (bucket, "prefix/"); the prefix may be empty."""
    rest = url.removeprefix("gs://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"{url!r} names no bucket (gs://BUCKET/PREFIX)")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _client() -> Any:
    # an optional dependency (pip install 'pgbridge[gcs]'), loaded only for a gs:// URL
    storage = importlib.import_module("google.cloud.storage")
    return storage.Client()


def object_name(prefix: str, signed: SignedCheckpoint) -> str:
    point = signed.checkpoint
    when = point.ts.replace("-", "").replace(":", "").replace(".", "")
    return f"{prefix}{point.gateway}/{point.seq:020d}-{when}-{point.reason}.json"


class GcsAnchorSink:
    def __init__(self, url: str) -> None:
        self.bucket_name, self.prefix = parse_url(url)
        self._bucket: Any = None

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        try:
            bucket = _client().get_bucket(self.bucket_name, timeout=TIMEOUT_S)
        except Exception as exc:  # auth, network, not found: the gateway must not start
            raise GcsSinkError(
                f"cannot open the anchor bucket {self.bucket_name}: {_first_line(exc)}"
            ) from None
        if not bucket.retention_period:
            raise GcsSinkError(
                f"the anchor bucket {self.bucket_name} has no retention policy: its checkpoints could be "
                "deleted or replaced; set one (gsutil retention set 400d gs://BUCKET) and lock it"
            )
        if not bucket.retention_policy_locked:
            logger.warning(
                "the anchor bucket %s's retention policy is not locked: whoever may update the "
                "bucket can remove it",
                self.bucket_name,
            )
        self._bucket = bucket

    async def write(self, signed: SignedCheckpoint) -> None:
        await asyncio.to_thread(self._write, signed)

    def _write(self, signed: SignedCheckpoint) -> None:
        data = json.dumps({"body": signed.body, "sig": signed.sig}, sort_keys=True).encode("ascii")
        try:
            bucket = self._bucket or _client().bucket(self.bucket_name)
            blob = bucket.blob(object_name(self.prefix, signed))
            blob.upload_from_string(
                data, content_type="application/json", if_generation_match=0, timeout=TIMEOUT_S
            )
        except Exception as exc:
            raise GcsSinkError(
                f"cannot write a checkpoint to gs://{self.bucket_name}: {_first_line(exc)}"
            ) from None

    async def close(self) -> None:
        self._bucket = None


def read_all(url: str) -> list[StoredAnchor]:
    """Every checkpoint object under the prefix (needs read access to the bucket)."""
    bucket_name, prefix = parse_url(url)
    found = []
    for blob in _client().list_blobs(bucket_name, prefix=prefix, timeout=TIMEOUT_S):
        gateway = blob.name[len(prefix) :].rsplit("/", 1)[0]
        try:
            stored = json.loads(blob.download_as_bytes(timeout=TIMEOUT_S))
            body, sig = str(stored["body"]), str(stored["sig"])
        except (ValueError, KeyError, TypeError):
            body, sig = "", ""  # reported as not a checkpoint when its gateway's log is checked
        created = blob.time_created.isoformat() if blob.time_created else "unknown"
        found.append(StoredAnchor(gateway, body, sig, created))
    return found


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
