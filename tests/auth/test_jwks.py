"""JWKS key source: keys fetched from a real HTTP server, cached, refetched for an unknown kid."""

from __future__ import annotations

import contextlib
import http.server
import json
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pgbridge.auth.jwt import AuthSettings, TokenVerifier
from pgbridge.wire.errors import PgError
from tests.support.httpserver import serving


class _Keys:
    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def add(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def document(self) -> bytes:
        entries = []
        for kid, key in self.keys.items():
            entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            entries.append({**entry, "kid": kid, "alg": "RS256", "use": "sig"})
        return json.dumps({"keys": entries}).encode()


@contextlib.contextmanager
def jwks_server(keys: _Keys) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            keys.fetches += 1
            body = keys.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    with serving(Handler) as url:
        yield f"{url}/.well-known/jwks.json"


def _settings(url: str) -> AuthSettings:
    return AuthSettings(
        algorithms=("RS256",),
        public_key_file=None,
        jwks_url=url,
        jwks_cache_seconds=300,
        issuer="https://issuer.test",
        audience="pgbridge",
        user_claim="sub",
        roles_claim="roles",
        leeway_seconds=5,
        jwks_refetch_cooldown_seconds=0,
    )


def _token(key: rsa.RSAPrivateKey, kid: str, **claims: object) -> str:
    body = {
        "sub": "alice",
        "roles": ["analyst"],
        "iss": "https://issuer.test",
        "aud": "pgbridge",
        "exp": int(time.time()) + 600,
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def test_jwks_keys_are_cached_and_refetched_for_an_unknown_kid(tmp_path: Path) -> None:
    keys = _Keys()
    first = keys.add("k1")
    with jwks_server(keys) as url:
        verifier = TokenVerifier(_settings(url))
        principal = verifier.verify_sync(_token(first, "k1"), "alice")
        assert principal.subject == "alice" and principal.roles == ("analyst",)
        verifier.verify_sync(_token(first, "k1"), "alice")
        assert keys.fetches == 1  # cached
        rotated = keys.add("k2")  # the issuer rotates its keys
        assert verifier.verify_sync(_token(rotated, "k2"), "alice").subject == "alice"
        assert keys.fetches == 2  # refetched once for the new kid


def test_jwks_token_signed_by_a_key_not_in_the_set_is_refused() -> None:
    keys = _Keys()
    keys.add("k1")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with jwks_server(keys) as url:
        verifier = TokenVerifier(_settings(url))
        with pytest.raises(PgError) as caught:
            verifier.verify_sync(_token(stranger, "unknown-kid"), "alice")
        assert caught.value.sqlstate == "28P01" and caught.value.severity == "FATAL"
        with pytest.raises(PgError) as forged:
            verifier.verify_sync(_token(stranger, "k1"), "alice")
        assert "signature is invalid" in forged.value.message
