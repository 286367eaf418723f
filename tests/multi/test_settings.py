"""The several-gateways settings: [audit] gateway_id, [audit.anchors], [policy.store]; mistakes
name their key, and the defaults are what one gateway expects."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pgbridge.config import Config, load_config
from pgbridge.config_base import ConfigError
from pgbridge.demo.setup import demo_config

ANCHORS = 'url = "postgresql://pgbridge_anchor@db/audit"\n'


def _load(demo_dir: Path, tmp_path: Path, audit_extra: str = "", tail: str = "") -> Config:
    text = demo_config("127.0.0.1", 5433).replace("[audit]\n", f"[audit]\n{audit_extra}", 1) + tail
    for item in demo_dir.iterdir():
        if item.suffix in (".pub", ".pem", ".key", ".crt"):
            (tmp_path / item.name).write_bytes(item.read_bytes())
    target = tmp_path / "pgbridge.toml"
    target.write_text(text, encoding="utf-8")
    return load_config(target)


def test_one_gateway_defaults(demo_dir: Path, tmp_path: Path) -> None:
    config = _load(demo_dir, tmp_path)
    assert config.audit.gateway_id == socket.gethostname()
    assert config.audit.anchors is None and config.policy.store_url is None


def test_several_gateways_settings(demo_dir: Path, tmp_path: Path) -> None:
    tail = f'\n[audit.anchors]\n{ANCHORS}interval_s = 2\n\n[policy.store]\nurl = "postgresql://gw@db/store"\n'
    config = _load(demo_dir, tmp_path, 'gateway_id = "gw-eu-1"\n', tail)
    audit, policy = config.audit, config.policy
    assert audit.gateway_id == "gw-eu-1" and policy.store_url == "postgresql://gw@db/store"
    assert audit.anchors is not None
    assert (audit.anchors.url, audit.anchors.interval_s, audit.anchors.max_unanchored_s) == (
        "postgresql://pgbridge_anchor@db/audit",
        2.0,
        60.0,
    )


@pytest.mark.parametrize(
    ("tail", "key"),
    [
        ('\n[audit.anchors]\nurl = "https://db/audit"\n', "audit.anchors.url"),
        ("\n[audit.anchors]\ninterval_s = 5\n", "audit.anchors.url"),
        (f"\n[audit.anchors]\n{ANCHORS}interval_s = 0\n", "audit.anchors.interval_s"),
        (
            f"\n[audit.anchors]\n{ANCHORS}interval_s = 10\nmax_unanchored_s = 15\n",
            "audit.anchors.max_unanchored_s",
        ),
        (f"\n[audit.anchors]\n{ANCHORS}intervall_s = 10\n", "audit.anchors.intervall_s"),
        ('\n[policy.store]\nurl = "sqlite:///x"\n', "policy.store.url"),
        ('\n[policy.store]\nurl = "postgresql://db/x"\npool = 3\n', "policy.store.pool"),
    ],
)
def test_mistakes_name_their_key(demo_dir: Path, tmp_path: Path, tail: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(demo_dir, tmp_path, "", tail)
    assert caught.value.key == key


def test_a_gateway_id_must_be_printable(demo_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(demo_dir, tmp_path, 'gateway_id = "gw\\n1"\n')
    assert caught.value.key == "audit.gateway_id"
