"""Bearer JWTs signed by the portal (EdDSA), and the caller's scope.

Every service verifies a token against the portal's public keys (``jwks_url``), never a shared
secret, so no service can mint a token for another; outside production the development key
(``service_kit.keys``) is trusted too, for tests, the demo and ``dev-token``.

Claims: ``sub``, ``role``, ``district_id``, ``school_id`` (for school staff, partners and
guardians), ``class_ids`` (classes a teacher teaches), ``student_ids`` (a guardian's children).
A record outside the caller's scope answers 404, exactly like one that does not exist, so a
caller cannot learn what another school holds.
"""

import argparse
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, Request

from service_kit.errors import OutOfScope, Unauthenticated
from service_kit.keys import ALGORITHM, DEV_ACCESS_KEY, DEV_ACCESS_KID, SigningKey, TrustedKeys, kid_of
from service_kit.settings import ServiceSettings


class Role(StrEnum):
    bureau = "bureau"
    school_admin = "school_admin"
    teacher = "teacher"
    partner = "partner"
    guardian = "guardian"


@dataclass(frozen=True)
class Caller:
    subject: str
    role: Role
    district_id: str
    school_id: str | None = None
    class_ids: frozenset[str] = field(default_factory=frozenset)
    student_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> dict[str, str]:
        """Who made a change, as the change log records it."""
        return {"subject": self.subject, "role": self.role.value}

    def sees_school(self, district_id: str, school_id: str) -> bool:
        if district_id != self.district_id:
            return False
        return self.role is Role.bureau or self.school_id == school_id

    def sees_class(self, district_id: str, school_id: str, class_id: str) -> bool:
        if not self.sees_school(district_id, school_id):
            return False
        if self.role is Role.teacher:
            return class_id in self.class_ids
        return self.role in (Role.bureau, Role.school_admin)


def ensure_visible(visible: bool, what: str = "记录") -> None:
    """Turn an out-of-scope record into the same 404 a missing one gets (logged as a refusal;
    ``access.ensure_found`` is for a record that does not exist)."""
    if not visible:
        raise OutOfScope(what, f"{what} outside the caller's scope")


def trusted_keys(settings: ServiceSettings) -> TrustedKeys:
    """The portal's keys from its JWKS, and the development key outside production."""
    fixed = {}
    if settings.trusts_development_keys:
        fixed[DEV_ACCESS_KID] = SigningKey.from_pem(DEV_ACCESS_KEY, DEV_ACCESS_KID).public
    return TrustedKeys(settings.jwks_url, fixed)


_DEFAULT_KEYS: dict[tuple[str | None, bool], TrustedKeys] = {}


def verify_token(token: str, settings: ServiceSettings, keys: TrustedKeys | None = None) -> Caller:
    if keys is None:
        keys = _DEFAULT_KEYS.setdefault(
            (settings.jwks_url, settings.trusts_development_keys), trusted_keys(settings)
        )
    key = keys.key(kid_of(token))
    if key is None:
        raise Unauthenticated("令牌无效 (invalid token): 签名密钥未知 (unknown signing key)")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        _require_numeric_dates(claims)
        return Caller(
            subject=claims["sub"],
            role=Role(claims["role"]),
            district_id=claims["district_id"],
            school_id=claims.get("school_id"),
            class_ids=frozenset(claims.get("class_ids", [])),
            student_ids=frozenset(claims.get("student_ids", [])),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("令牌已过期 (token expired)") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise Unauthenticated(f"令牌无效 (invalid token): {exc}") from exc


NUMERIC_DATES = ("exp", "nbf", "iat")


def _require_numeric_dates(claims: dict[str, object]) -> None:
    """RFC 7519 §2: ``exp``, ``nbf`` and ``iat`` are NumericDates (JSON numbers). PyJWT compares
    ``int(claim)``, so ``"exp": "4102444800"`` would pass; a token that says its dates in strings
    did not come from our identity provider."""
    for name in NUMERIC_DATES:
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise jwt.InvalidTokenError(f"{name} 必须是数字 (must be a NumericDate)")


def mint_token(
    settings: ServiceSettings,
    *,
    subject: str,
    role: Role,
    district_id: str,
    school_id: str | None = None,
    class_ids: list[str] | None = None,
    student_ids: list[str] | None = None,
    lifetime: timedelta = timedelta(hours=8),
) -> str:
    """A token signed with the settings' key: the portal's own, or the development key (dev-token,
    demos and tests; never in production)."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject,
        "role": role.value,
        "district_id": district_id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + lifetime,
    }
    if school_id:
        claims["school_id"] = school_id
    if class_ids:
        claims["class_ids"] = class_ids
    if student_ids:
        claims["student_ids"] = student_ids
    return settings.signing_key().sign(claims)


async def _verified(request: Request, token: str) -> Caller:
    settings: ServiceSettings = request.app.state.settings
    keys: TrustedKeys = request.app.state.trusted_keys
    await keys.refresh_for(kid_of(token))  # a key the portal rotated in since the last fetch
    caller = verify_token(token, settings, keys)
    request.state.caller = caller  # for the log of a refused access
    return caller


async def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("缺少访问令牌 (missing bearer token)")
    return await _verified(request, token.strip())


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def feed_caller(request: Request) -> Caller:
    """For feeds that calendar apps subscribe to: they cannot send headers, so the same token may
    come as ``?token=``; a bearer header still wins."""
    token = request.query_params.get("token")
    if request.headers.get("authorization") or not token:
        return await current_caller(request)
    return await _verified(request, token)


FeedCaller = Annotated[Caller, Depends(feed_caller)]


def mint_dev_token_command(argv: list[str] | None = None) -> None:
    """``dev-token --role teacher --school sch-yecheng-9 --classes cls-3-2``: print a dev token."""
    parser = argparse.ArgumentParser(prog="dev-token", description="Mint a development JWT.")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--sub", default="dev-user")
    parser.add_argument("--district", default="d-yecheng")
    parser.add_argument("--school")
    parser.add_argument("--classes", nargs="*", default=[])
    parser.add_argument("--students", nargs="*", default=[])
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    if settings.environment == "production":
        sys.exit("dev-token refuses to mint tokens in production")
    print(
        mint_token(
            settings,
            subject=args.sub,
            role=Role(args.role),
            district_id=args.district,
            school_id=args.school,
            class_ids=args.classes,
            student_ids=args.students,
            lifetime=timedelta(hours=args.hours),
        )
    )
