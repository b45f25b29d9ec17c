"""Ed25519 keys for signed tokens: the portal's access tokens and notifications' one-tap links.

Whoever signs keeps the private key; whoever verifies trusts public keys only, published as a JWKS
(RFC 7517) by the signer and fetched from its URL, so no service can mint another's tokens.

The development keys below are public knowledge by design: every process trusts them outside
production (tests, the demo, ``dev-token``), and production refuses them (``ServiceSettings``).
"""

import asyncio
import base64
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"

# Development only: refused in production.
DEV_ACCESS_KID = "dev-access-1"
DEV_ACCESS_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIMrfezP4YbET4D6nSqV89l0Bv5xK/mHwCkDK0Q5+NL4x
-----END PRIVATE KEY-----
"""
DEV_LINK_KID = "dev-links-1"
DEV_LINK_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINBCfSz9DK/v/PAhxknpNKCmv3lq9iBkklVT47pvXRqD
-----END PRIVATE KEY-----
"""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    @classmethod
    def from_pem(cls, pem: str, kid: str) -> "SigningKey":
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key (PEM, PKCS#8)")
        return cls(kid, key)

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, str]:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(raw),
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm=ALGORITHM, headers={"kid": self.kid})


def jwks(*keys: SigningKey) -> dict[str, list[dict[str, str]]]:
    return {"keys": [k.jwk() for k in keys]}


def public_key_of(jwk: dict[str, Any]) -> Ed25519PublicKey | None:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        return None
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass
class TrustedKeys:
    """The public keys a verifier trusts: fixed ones (the development key outside production) and
    those of a signer's JWKS URL, fetched when a token names a key not yet known (at most once per
    ``refresh_every`` seconds, so a flood of forged kids cannot make it hammer the signer)."""

    jwks_url: str | None = None
    fixed: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    refresh_every: float = 30.0
    fetched: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    _last_fetch: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def key(self, kid: str | None) -> Ed25519PublicKey | None:
        if kid is None:
            return None
        return self.fixed.get(kid) or self.fetched.get(kid)

    async def refresh_for(self, kid: str | None) -> None:
        """Fetch the JWKS again if ``kid`` is unknown. One fetch at a time: requests arriving meanwhile
        wait for it and then look again. After a fetch that did not name ``kid`` (a forged or retired
        key), the next waits ``refresh_every`` seconds; a failed fetch is tried again at once."""
        if kid is None or self.key(kid) is not None or self.jwks_url is None:
            return
        async with self._lock:
            if self.key(kid) is not None or time.monotonic() - self._last_fetch < self.refresh_every:
                return
            keys = await self._fetch()
            if keys is None:
                return
            self.fetched = keys
            if kid not in keys:
                self._last_fetch = time.monotonic()

    async def _fetch(self) -> dict[str, Ed25519PublicKey] | None:
        assert self.jwks_url is not None
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                answer = await client.get(self.jwks_url)
                answer.raise_for_status()
                document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("JWKS not fetched", extra={"url": self.jwks_url, "error": repr(exc)})
            return None
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            public = public_key_of(jwk) if isinstance(jwk, dict) else None
            if public is not None and isinstance(jwk.get("kid"), str):
                keys[jwk["kid"]] = public
        return keys


def kid_of(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        return None
    return kid if isinstance(kid, str) else None
