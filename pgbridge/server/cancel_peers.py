"""CancelRequest between peered gateways ([cluster], pgbridge.server.cluster).

A gateway that receives a CancelRequest whose key names another peer sends the same 16 bytes
to that peer's PostgreSQL port on a new connection, exactly as a client would, and waits (up to
[cluster] forward_timeout_s) for the peer to close it: a peer closes once it has acted on the
request, so the client's own cancel connection closes only after the owner has seen it, as with
PostgreSQL. The peer handles a key naming itself locally (its worker relay included) and never
forwards it: a request travels at most one hop when the addresses are right.

When they are not (peer 2's address leads to a gateway that is not peer 2), two gateways could
hand one request back and forth. So a gateway forwards one key at most once per
REPEAT_WINDOW_S; a key that comes back sooner is dropped and logged. The keys are remembered
only as keyed digests. Nothing of the secret is ever logged, and nothing is answered to the
client, as in PostgreSQL (no oracle for guessing).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time

from pgbridge.ops.metrics import CANCELS_FORWARDED
from pgbridge.server.cancel_keys import peer_of
from pgbridge.server.cluster import ClusterSettings, PeerAddress
from pgbridge.wire import messages as m
from pgbridge.wire.frontend import encode_frontend

REPEAT_WINDOW_S = 1.0
MAX_REMEMBERED = 4096  # keys forwarded within the window; past it, forwarding pauses (logged)
log = logging.getLogger("pgbridge.gateway")


class CancelPeers:
    """Where a CancelRequest belongs, and the forwarding of those that belong to a peer."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self._digest_key = secrets.token_bytes(16)
        self._recent: dict[bytes, float] = {}

    def owns(self, process_id: int) -> bool:
        """Whether this gateway issued the key (always, when it is not peered)."""
        return not self.settings.peered or peer_of(process_id) == self.settings.peer_id

    async def forward(self, process_id: int, secret: int) -> None:
        """Send the request to the peer its key names (best effort, like cancel itself)."""
        peer = peer_of(process_id)
        address = self.settings.peers.get(peer)
        if address is None:
            CANCELS_FORWARDED.labels("unknown_peer").inc()
            log.warning(
                "cancel request for process %d dropped: it names peer %d, which is not in [cluster] peers",
                process_id,
                peer,
            )
            return
        if not self._first_in_window(process_id, secret):
            CANCELS_FORWARDED.labels("repeated").inc()
            log.warning(
                "cancel request for process %d not forwarded to peer %d (%s) again within %.0f s: "
                "if this repeats, check that %s really is peer %d",
                process_id, peer, address, REPEAT_WINDOW_S, address, peer,
            )  # fmt: skip
            return
        await self._send(peer, address, process_id, secret)

    async def _send(self, peer: int, address: PeerAddress, process_id: int, secret: int) -> None:
        packet = encode_frontend(m.CancelRequest(process_id, secret))
        try:
            async with asyncio.timeout(self.settings.forward_timeout_s):
                reader, writer = await asyncio.open_connection(address.host, address.port)
                try:
                    writer.write(packet)
                    await writer.drain()
                    await reader.read(1)  # the peer closes once it has acted on the request
                finally:
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
        except (OSError, TimeoutError) as error:
            CANCELS_FORWARDED.labels("unreachable").inc()
            log.warning(
                "could not forward a cancel request for process %d to peer %d (%s): %s",
                process_id, peer, address, error or type(error).__name__,
            )  # fmt: skip
            return
        CANCELS_FORWARDED.labels("forwarded").inc()
        log.info("cancel request for process %d forwarded to peer %d (%s)", process_id, peer, address)

    def _first_in_window(self, process_id: int, secret: int) -> bool:
        now = time.monotonic()
        for digest, seen in list(self._recent.items()):
            if now - seen >= REPEAT_WINDOW_S:
                del self._recent[digest]
        key = hashlib.blake2b(
            process_id.to_bytes(4, "big", signed=True) + secret.to_bytes(4, "big", signed=True),
            key=self._digest_key,
            digest_size=16,
        ).digest()
        if key in self._recent or len(self._recent) >= MAX_REMEMBERED:
            return False
        self._recent[key] = now
        return True
