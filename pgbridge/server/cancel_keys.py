"""BackendKeyData: a process id that names the gateway and the worker that issued it.

A CancelRequest carries nothing but the key, and lands on whichever gateway (behind a load
balancer) and whichever worker (SO_REUSEPORT) takes its new connection; the key itself must say
where the session lives. The process id, a positive int32 as clients read it, is laid out as

    bit 31   bits 30..23          bits 22..6     bits 5..0
    0        peer id ([cluster])  random         worker index (pgbridge.server.multiworker)

and on a gateway without a peer id bits 30..6 are all random, as before peering. The secret is
independent of the process id and stays fully random: 31 bits, the most a positive int32 holds
(some clients read BackendKeyData as signed). Knowing where a session lives tells nothing of
its secret, which the owning worker alone checks.
"""

from __future__ import annotations

import secrets

from pgbridge.server.cluster import MAX_PEER_ID, PEER_BITS
from pgbridge.server.multiworker import INDEX_BITS, worker_process_id

_PEER_SHIFT = 31 - PEER_BITS


def new_process_id(peer_id: int, worker_index: int) -> int:
    """A fresh process id for a session of this peer (0: not peered) and worker."""
    random_bits = _PEER_SHIFT - INDEX_BITS if peer_id else 31 - INDEX_BITS
    return (peer_id << _PEER_SHIFT) | worker_process_id(secrets.randbelow(2**random_bits), worker_index)


def new_secret() -> int:
    return secrets.randbelow(2**31)


def peer_of(process_id: int) -> int:
    """The peer id a process id names (meaningful only among peered gateways)."""
    return ((process_id & 0x7FFFFFFF) >> _PEER_SHIFT) & MAX_PEER_ID
