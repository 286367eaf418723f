"""SIGHUP: read the configuration file again and apply policy, masking rules, token keys and
the TLS certificate without dropping a connection.

Everything new is built and checked before anything is swapped: a file that does not parse,
a key or certificate that cannot be read, a rule that does not validate, and nothing changes
(the old configuration stays in force and the refusal is logged with the key it names). Then
the swap happens on the event loop in one step, between two statements of every session.
Sessions keep their connections; their prepared statements are planned again under the new
rules before they next run (Planner.generation). Settings that cannot change in a running
process (addresses, the backend, the audit log, the approvals store, limits on connections, the
[cluster] peer_id) are reported as needing a restart and keep their old values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from pgbridge.auth.jwt import VerifierKeys
from pgbridge.config import Config, load_config
from pgbridge.ops import metrics
from pgbridge.server.gateway import Gateway, make_tls_context

log = logging.getLogger("pgbridge.reload")
_RESTART_SECTIONS = ("names", "backend", "catalog", "audit")


@dataclass(frozen=True)
class Prepared:
    """A new configuration, checked, with what it takes to apply it."""

    config: Config
    keys: VerifierKeys
    tls: ssl.SSLContext | None
    changes: list[str]
    restart: list[str]


def prepare(old: Config, path: Path) -> Prepared:
    """The new configuration, fully checked; raises (ConfigError, OSError, ssl.SSLError,
    ValueError) with what is wrong, having changed nothing."""
    new = load_config(path)
    keys = VerifierKeys.load(new.auth)
    tls = make_tls_context(new)
    restart = [name for name in _RESTART_SECTIONS if getattr(old, name) != getattr(new, name)]
    fixed_server = dataclasses.replace(new.server, tls_cert_file=old.server.tls_cert_file,
                                       tls_key_file=old.server.tls_key_file)
    if fixed_server != old.server:
        restart.append("server")
    if (tls is None) != (old.server.tls_cert_file is None):
        raise ValueError("turning TLS on or off needs a restart; the certificate files can change")
    if new.policy.approvals != old.policy.approvals:
        restart.append("policy.approvals")
    if (new.policy.store_url, new.policy.store_lease_s) != (old.policy.store_url, old.policy.store_lease_s):
        restart.append("policy.store")
    if new.cluster.peer_id != old.cluster.peer_id:  # the keys already handed out name the old id
        restart.append("cluster.peer_id")
    return Prepared(new, keys, tls, describe_changes(old, new), restart)


def apply(gateway: Gateway, prepared: Prepared) -> None:
    """Swap the checked configuration in (on the event loop: no await between the steps)."""
    old, new = gateway.config, prepared.config
    stages = gateway.stages
    stages.policy.settings = new.policy
    stages.limits.settings = new.policy  # usage so far is kept: it is the same principals' day
    pipeline = gateway.pipeline
    pipeline.admit.concurrency.settings = new.policy
    planner = pipeline.planner
    pipeline.planner = dataclasses.replace(
        planner, masking=new.masking, generation=planner.generation + 1
    )
    # Plans cached by metadata generation (a session's simple-query cache, any cache shared
    # across sessions) miss from now on: every plan is made again under the new rules.
    stages.metadata.generation += 1
    gateway.verifier.use(prepared.keys)
    if gateway.tls_context is not None and new.server.tls_cert_file and new.server.tls_key_file:
        # Into the context the listeners hold: new handshakes (gateway and admin listener) use
        # the new certificate, open connections keep theirs.
        gateway.tls_context.load_cert_chain(new.server.tls_cert_file, new.server.tls_key_file)
    server = dataclasses.replace(
        old.server, tls_cert_file=new.server.tls_cert_file, tls_key_file=new.server.tls_key_file
    )
    # The approvals desk and the stores were built at start: their settings stay until a restart.
    policy = dataclasses.replace(
        new.policy,
        approvals=old.policy.approvals,
        store_url=old.policy.store_url,
        store_lease_s=old.policy.store_lease_s,
    )
    # Peers' addresses apply at once (a gateway added to the cluster); a new peer_id waits.
    cluster = new.cluster if new.cluster.peer_id == old.cluster.peer_id else old.cluster
    gateway.peers.settings = cluster
    gateway.config = dataclasses.replace(
        old, server=server, auth=new.auth, policy=policy, masking=new.masking, cluster=cluster
    )


class Reloader:
    """Reloads the gateway's configuration from the file it was started with."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._files = _file_digests(gateway.config)  # the key and certificate files in force

    def reload(self) -> bool:
        """Apply the file as it is now; False (the old configuration kept) when it is refused."""
        gateway, path = self.gateway, self.gateway.config.path
        try:
            prepared = prepare(gateway.config, path)
            files = _file_digests(prepared.config)
        except Exception as error:  # any failure to build the new state refuses it
            metrics.RELOADS.labels("refused").inc()
            log.error("configuration reload refused; the old configuration stays in force: %s", error,
                      extra={"fields": {"event": "reload", "result": "refused", "path": str(path)}})
            return False
        changes = prepared.changes + [f"{what} changed" for what in files if files[what] != self._files[what]]
        apply(gateway, prepared)
        self._files = files
        metrics.RELOADS.labels("applied").inc()
        metrics.RELOAD_TIME.set_to_current_time()
        log.info("configuration reloaded: %s", "; ".join(changes) or "nothing changed",
                 extra={"fields": {"event": "reload", "result": "applied", "path": str(path),
                                   "changes": changes, "restart_needed": prepared.restart}})
        if prepared.restart:
            log.warning("changed settings that need a restart to apply (old values kept): %s",
                        ", ".join(prepared.restart))
        return True


def describe_changes(old: Config, new: Config) -> list[str]:
    """What a reload changes in the settings, in words an operator reads (no key material)."""
    changes: list[str] = []
    old_roles, new_roles = old.policy.roles, new.policy.roles
    for name in sorted(set(new_roles) - set(old_roles)):
        changes.append(f"policy role {name} added")
    for name in sorted(set(old_roles) - set(new_roles)):
        changes.append(f"policy role {name} removed")
    for name in sorted(set(old_roles) & set(new_roles)):
        if old_roles[name] != new_roles[name]:
            changes.append(f"policy role {name} changed")
    if old.policy.max_bytes_billed != new.policy.max_bytes_billed:
        changes.append("policy max_bytes_billed changed")
    if old.masking != new.masking:
        changes.append(f"masking rules changed ({len(new.masking.rules)} rules)")
    if old.auth != new.auth:
        changes.append("token verification settings changed")
    if old.cluster.peer_id == new.cluster.peer_id and old.cluster != new.cluster:
        changes.append(f"cluster peers changed ({len(new.cluster.peers)} other peers)")
    return changes


def _file_digests(config: Config) -> dict[str, str | None]:
    """SHA-256 of the files whose content can change under the same name."""
    return {
        "token verification key": _digest(config.auth.public_key_file),
        "TLS certificate": _digest(config.server.tls_cert_file),
        "TLS private key": _digest(config.server.tls_key_file),
    }


def _digest(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
