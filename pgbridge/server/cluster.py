"""`[cluster]`: this gateway's peer id and its peers' addresses, so a cancel finds its session.

Behind a TCP load balancer a client's CancelRequest (sent on a new connection) lands on any
gateway. As in PgBouncer's peering (`peer_id`), each gateway writes a small id of its own into
the high bits of every BackendKeyData process id it hands out (pgbridge.server.cancel_keys), and
a gateway that receives a CancelRequest naming another peer forwards it there
(pgbridge.server.cancel_peers). Every gateway may carry the same `peers` table: its own id in it
is skipped, so one table serves the whole cluster and only `peer_id` differs per gateway.

Without `peer_id` the gateway is not peered: keys carry no peer id and every CancelRequest is
handled here, as before peering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pgbridge.config_base import ConfigError, Section

PEER_BITS = 8  # of the process id's 31 usable bits (pgbridge.server.cancel_keys)
MAX_PEER_ID = (1 << PEER_BITS) - 1
DEFAULT_FORWARD_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class PeerAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ClusterSettings:
    peer_id: int = 0  # 0: not peered
    peers: Mapping[int, PeerAddress] = field(default_factory=dict)  # without this gateway's own id
    forward_timeout_s: float = DEFAULT_FORWARD_TIMEOUT_S

    @property
    def peered(self) -> bool:
        return self.peer_id != 0


def cluster_settings_from(section: Section, listen: PeerAddress) -> ClusterSettings:
    """Read [cluster]; `listen` is [server] host and port (a peer may not point back at it)."""
    peer_id = section.optional("peer_id", int)
    table = section.get("peers", dict, {})
    timeout = section.get("forward_timeout_s", float, DEFAULT_FORWARD_TIMEOUT_S)
    section.check_unknown()
    if peer_id is not None and not 1 <= peer_id <= MAX_PEER_ID:
        raise ConfigError(section.key("peer_id"), f"must be between 1 and {MAX_PEER_ID}, got {peer_id}")
    if table and peer_id is None:
        raise ConfigError(section.key("peer_id"), "is required when cluster.peers is set")
    if not 0 < timeout <= 30:
        raise ConfigError(section.key("forward_timeout_s"), "must be more than 0 and at most 30 seconds")
    peers = _peers(section.key("peers"), table)
    peers.pop(peer_id or 0, None)  # the shared table may name this gateway too: skipped
    for number, address in peers.items():
        if address == listen:
            raise ConfigError(
                f"{section.key('peers')}.{number}",
                f"{address} is this gateway's own [server] host and port, but this gateway is peer "
                f"{peer_id} (a cancel would be forwarded back here)",
            )
    return ClusterSettings(peer_id or 0, peers, timeout)


def _peers(key: str, table: Mapping[str, object]) -> dict[int, PeerAddress]:
    peers: dict[int, PeerAddress] = {}
    for name, value in table.items():
        entry = f"{key}.{name}"
        if not (name.isascii() and name.isdigit()) or not 1 <= int(name) <= MAX_PEER_ID:
            raise ConfigError(entry, f"a peer is named by its peer id, a number from 1 to {MAX_PEER_ID}")
        if int(name) in peers:
            raise ConfigError(entry, f"peer {int(name)} is listed twice")
        if not isinstance(value, str):
            raise ConfigError(entry, f'expected "host:port", got {type(value).__name__}')
        peers[int(name)] = parse_address(entry, value)
    return peers


def parse_address(key: str, text: str) -> PeerAddress:
    """'host:port', '[ipv6]:port'; the port is required (a peer's PostgreSQL port)."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(key, f'expected "host:port" with a port from 1 to 65535, got {text!r}')
    if ":" in host and not text.startswith("["):
        raise ConfigError(key, f'write an IPv6 address in brackets, "[{host}]:{port}"')
    return PeerAddress(host, int(port))
