"""Authentication over real sockets: every way a token can be wrong is a FATAL 28P01 that says
what was wrong, never the token; a client without TLS is refused before it sends one."""

from __future__ import annotations

import time

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pgbridge.auth.jwt import sign_token
from pgbridge.cli import DEMO_AUDIENCE, DEMO_ISSUER
from pgbridge.demo.setup import TOKEN_KEY
from tests.support.clients import psycopg_connect


def _refused(gateway, user: str, password: str, sslmode: str = "require") -> str:
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg_connect(gateway, user, password=password, sslmode=sslmode).close()
    message = str(caught.value)
    assert password not in message or len(password) < 8
    return message


def _key(gateway) -> bytes:
    return (gateway.data_dir / TOKEN_KEY).read_bytes()


def test_valid_token_connects_and_reports_postgres_parameters(gateway):
    with psycopg_connect(gateway, "alice") as conn:
        assert conn.info.server_version >= 150000
        assert conn.info.parameter_status("server_encoding") == "UTF8"
        assert conn.info.parameter_status("client_encoding") == "UTF8"
        assert conn.info.parameter_status("DateStyle") == "ISO, MDY"
        assert conn.info.parameter_status("integer_datetimes") == "on"
        assert conn.info.parameter_status("standard_conforming_strings") == "on"
        assert conn.info.parameter_status("is_superuser") == "off"
        assert conn.info.parameter_status("session_authorization") == "alice"
        assert conn.info.backend_pid > 0


def test_expired_token(gateway):
    token = sign_token(_key(gateway), "alice", ["admin"], -120, issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE)
    assert "token has expired" in _refused(gateway, "alice", token)


def test_bad_signature(gateway):
    other = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = sign_token(other, "alice", ["admin"], 600, issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE)
    assert "signature is invalid" in _refused(gateway, "alice", token)


def test_wrong_audience(gateway):
    token = sign_token(_key(gateway), "alice", ["admin"], 600, issuer=DEMO_ISSUER, audience="someone-else")
    assert "audience" in _refused(gateway, "alice", token)


def test_wrong_issuer(gateway):
    token = sign_token(_key(gateway), "alice", ["admin"], 600, issuer="evil", audience=DEMO_AUDIENCE)
    assert "issuer" in _refused(gateway, "alice", token)


def test_user_mismatch(gateway):
    assert "does not match" in _refused(gateway, "mallory", gateway.token("alice"))


def test_not_yet_valid(gateway):
    now = int(time.time())
    token = sign_token(
        _key(gateway),
        "alice",
        ["admin"],
        600,
        issuer=DEMO_ISSUER,
        audience=DEMO_AUDIENCE,
        extra_claims={"nbf": now + 3600},
    )
    assert "not valid yet" in _refused(gateway, "alice", token)


def test_alg_none_is_refused(gateway):
    claims = {
        "sub": "alice",
        "roles": ["admin"],
        "exp": int(time.time()) + 600,
        "iss": DEMO_ISSUER,
        "aud": DEMO_AUDIENCE,
    }
    token = jwt.encode(claims, key=None, algorithm="none")
    assert "algorithm 'none' is not allowed" in _refused(gateway, "alice", token)


def test_hmac_with_public_key_is_refused(gateway):
    """The classic algorithm confusion: HS256 keyed with the server's public key."""
    public = (gateway.data_dir / "token-signing.pub").read_bytes()
    claims = {
        "sub": "alice",
        "roles": ["admin"],
        "exp": int(time.time()) + 600,
        "iss": DEMO_ISSUER,
        "aud": DEMO_AUDIENCE,
    }
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode())
    import hashlib
    import hmac

    signature = jwt.utils.base64url_encode(hmac.new(public, header + b"." + body, hashlib.sha256).digest())
    token = (header + b"." + body + b"." + signature).decode()
    assert "algorithm 'HS256' is not allowed" in _refused(gateway, "alice", token)


def test_garbage_password(gateway):
    assert "not a well-formed JWT" in _refused(gateway, "alice", "hunter2-not-a-token")


def test_missing_exp_claim(gateway):
    key = serialization.load_pem_private_key(_key(gateway), None)
    token = jwt.encode({"sub": "alice", "iss": DEMO_ISSUER, "aud": DEMO_AUDIENCE}, key, algorithm="EdDSA")
    assert "'exp'" in _refused(gateway, "alice", token)


def test_client_without_tls_is_refused_before_sending_the_token(gateway):
    message = _refused(gateway, "alice", gateway.token("alice"), sslmode="disable")
    assert "requires TLS" in message


def test_token_is_never_in_the_gateway_log(gateway):
    token = sign_token(_key(gateway), "alice", ["admin"], -120, issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE)
    _refused(gateway, "alice", token)
    assert token not in gateway.log()
    assert token.split(".")[2] not in gateway.log()
