"""JWT verification: the password a client sends is a bearer token.

Only asymmetric algorithms from an explicit allow-list are accepted, so neither `none` nor
an HMAC-with-the-public-key confusion can pass. Keys come from a static PEM public key file
or a JWKS URL (fetched in the verifier's own worker thread, cached, refetched when a token names an unknown
key id). Every failure becomes FATAL 28P01 with a message saying what was wrong — never the
token itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from pgbridge.auth.principal import Principal
from pgbridge.config_base import ConfigError, Section
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import AUTH_THREADS, WorkerPool

ASYMMETRIC_ALGORITHMS = (
    "EdDSA",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
)


@dataclass(frozen=True)
class AuthSettings:
    algorithms: tuple[str, ...]
    public_key_file: Path | None
    jwks_url: str | None
    jwks_cache_seconds: int
    issuer: str | None
    audience: str | None
    user_claim: str
    roles_claim: str
    leeway_seconds: int
    # An unknown key id refetches the JWKS at most this often, so tokens naming random key
    # ids cannot make the gateway hammer the issuer.
    jwks_refetch_cooldown_seconds: float = 30.0


def auth_settings_from(section: Section, base_dir: Path) -> AuthSettings:
    algorithms = section.str_list("algorithms", ("EdDSA", "RS256", "ES256"))
    for name in algorithms:
        if name not in ASYMMETRIC_ALGORITHMS:
            raise ConfigError(
                section.key("algorithms"),
                f"{name!r} is not an allowed asymmetric JWT algorithm "
                f"(choose from {', '.join(ASYMMETRIC_ALGORITHMS)})",
            )
    key_file = section.optional("public_key_file", str)
    jwks_url = section.optional("jwks_url", str)
    if (key_file is None) == (jwks_url is None):
        raise ConfigError(section.key("public_key_file"), "set exactly one of public_key_file and jwks_url")
    settings = AuthSettings(
        algorithms=algorithms,
        public_key_file=(base_dir / key_file) if key_file else None,
        jwks_url=jwks_url,
        jwks_cache_seconds=section.get("jwks_cache_seconds", int, 300),
        issuer=section.optional("issuer", str),
        audience=section.optional("audience", str),
        user_claim=section.get("user_claim", str, "sub"),
        roles_claim=section.get("roles_claim", str, "roles"),
        leeway_seconds=section.get("leeway_seconds", int, 30),
        jwks_refetch_cooldown_seconds=section.get("jwks_refetch_cooldown_seconds", float, 30.0),
    )
    section.check_unknown()
    return settings


def _auth_failed(reason: str) -> PgError:
    return PgError(SqlState.INVALID_PASSWORD, f"JWT authentication failed: {reason}", severity="FATAL")


class TokenVerifier:
    """Verifies a JWT and turns its claims into a Principal."""

    def __init__(self, settings: AuthSettings) -> None:
        # Its own threads: a login must not wait behind other principals' queries.
        self._pool = WorkerPool("auth", AUTH_THREADS)
        self._keys = VerifierKeys.load(settings)

    @property
    def settings(self) -> AuthSettings:
        return self._keys.settings

    def use(self, keys: VerifierKeys) -> None:
        """Verify with these settings and keys from now on (SIGHUP reload: VerifierKeys.load
        reads them first, so a file that cannot be read leaves the old ones in force). One
        assignment: a verification sees the old set or the new, never a mix."""
        self._keys = keys

    def keys_loaded(self) -> bool:
        """True when a token could be verified now: the key file was read, or the JWKS answers
        with at least one key (from the cache while it is fresh). Blocks on a JWKS fetch."""
        keys = self._keys
        if keys.jwks is None:
            return keys.static_key is not None
        try:
            return bool(keys.jwks.get_signing_keys())
        except jwt.PyJWKClientError:
            return False

    async def verify(self, token: str, startup_user: str | None) -> Principal:
        """Verify `token`; the startup user must equal the configured user claim."""
        return await self._pool.run(self.verify_sync, token, startup_user)

    def verify_sync(self, token: str, startup_user: str | None) -> Principal:
        keys = self._keys
        settings = keys.settings
        claims = self._decode(token, keys)
        subject = claims.get(settings.user_claim)
        if not isinstance(subject, str) or not subject:
            raise _auth_failed(f"token has no {settings.user_claim!r} claim naming the user")
        if startup_user is not None and startup_user != subject:
            raise _auth_failed(
                f"startup user {startup_user!r} does not match the token's {settings.user_claim!r} claim"
            )
        return Principal(
            subject=subject,
            roles=_roles(claims.get(settings.roles_claim)),
            claims=claims,
            token_id=_opt_str(claims.get("jti")),
            issuer=_opt_str(claims.get("iss")),
            expires_at=float(claims["exp"]) if "exp" in claims else None,
        )

    def _decode(self, token: str, keys: VerifierKeys) -> dict[str, Any]:
        settings = keys.settings
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise _auth_failed("the password is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in settings.algorithms:
            raise _auth_failed(
                f"token algorithm {algorithm!r} is not allowed (allowed: "
                f"{', '.join(settings.algorithms)})"
            )
        try:
            key = keys.key_for(token)
            return jwt.decode(
                token,
                key,
                algorithms=list(settings.algorithms),
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["exp"], "verify_aud": settings.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise _auth_failed("token has expired") from None
        except jwt.ImmatureSignatureError:
            raise _auth_failed("token is not valid yet (nbf or iat is in the future)") from None
        except jwt.InvalidAudienceError:
            raise _auth_failed(f"token audience is not {settings.audience!r}") from None
        except jwt.InvalidIssuerError:
            raise _auth_failed(f"token issuer is not {settings.issuer!r}") from None
        except jwt.MissingRequiredClaimError as error:
            raise _auth_failed(f"token has no {error.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise _auth_failed("token signature is invalid") from None
        except jwt.PyJWKClientError as error:
            raise _auth_failed(f"no signing key for this token ({error})") from None
        except jwt.InvalidTokenError as error:
            raise _auth_failed(f"token is invalid ({type(error).__name__})") from None



@dataclass(frozen=True)
class VerifierKeys:
    """The settings and the keys they name, swapped as one on reload."""

    settings: AuthSettings
    static_key: Any = None
    jwks: jwt.PyJWKClient | None = None

    @classmethod
    def load(cls, settings: AuthSettings) -> VerifierKeys:
        if settings.public_key_file is not None:
            try:
                pem = settings.public_key_file.read_bytes()
            except OSError as error:
                raise ConfigError(
                    "auth.public_key_file", f"cannot read {settings.public_key_file}: {error}"
                ) from error
            return cls(settings, static_key=_load_public_key(pem))
        assert settings.jwks_url is not None
        client = jwt.PyJWKClient(
            settings.jwks_url,
            cache_keys=True,
            lifespan=settings.jwks_cache_seconds,
            cooldown_duration=settings.jwks_refetch_cooldown_seconds,
        )
        return cls(settings, jwks=client)

    def key_for(self, token: str) -> Any:
        if self.jwks is not None:
            return self.jwks.get_signing_key_from_jwt(token).key
        return self.static_key


def _load_public_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return load_pem_public_key(pem)


def _roles(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    if isinstance(value, Sequence):
        return tuple(str(item) for item in value)
    return ()


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def sign_token(
    private_key_pem: bytes,
    subject: str,
    roles: Sequence[str],
    ttl_seconds: int,
    *,
    issuer: str | None = None,
    audience: str | None = None,
    extra_claims: dict[str, Any] | None = None,
    roles_claim: str = "roles",
) -> str:
    """Sign a token with a PEM private key (Ed25519 -> EdDSA, RSA -> RS256, EC -> ES256)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(private_key_pem, password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = "EdDSA"
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "RS256"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = "ES256"
    else:
        raise ValueError("unsupported private key type for signing tokens")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        roles_claim: list(roles),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": _token_id(),
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    claims.update(extra_claims or {})
    return jwt.encode(claims, key, algorithm=algorithm)


def _token_id() -> str:
    import secrets

    return secrets.token_hex(8)
