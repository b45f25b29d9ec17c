import asyncio
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from service_kit.auth import Caller, Role, ensure_visible, mint_token, verify_token
from service_kit.errors import NotFound, Unauthenticated
from service_kit.keys import DEV_ACCESS_KEY, DEV_ACCESS_KID, SigningKey, TrustedKeys, jwks
from service_kit.settings import ServiceSettings

SETTINGS = ServiceSettings(service_name="test")
DEV = SigningKey.from_pem(DEV_ACCESS_KEY, DEV_ACCESS_KID)


def test_token_round_trips_role_and_scope():
    token = mint_token(
        SETTINGS, subject="stf-1", role=Role.teacher, district_id="d-1", school_id="s-1", class_ids=["c-1"]
    )

    caller = verify_token(token, SETTINGS)

    assert caller == Caller("stf-1", Role.teacher, "d-1", "s-1", frozenset({"c-1"}))


def test_expired_token_is_refused():
    token = mint_token(
        SETTINGS, subject="x", role=Role.bureau, district_id="d-1", lifetime=timedelta(seconds=-5)
    )

    with pytest.raises(Unauthenticated, match="过期"):
        verify_token(token, SETTINGS)


def forged(key: SigningKey, **claims: object) -> str:
    standard = {
        "sub": "x",
        "district_id": "d-1",
        "iss": "district-idp",
        "aud": "district-platform",
        "exp": 4102444800,
    }
    return key.sign(standard | claims)


def test_token_signed_with_another_key_under_a_trusted_kid_is_refused():
    impostor = SigningKey(DEV_ACCESS_KID, Ed25519PrivateKey.generate())

    with pytest.raises(Unauthenticated, match="无效"):
        verify_token(forged(impostor, role="bureau"), SETTINGS)


def test_a_token_of_a_key_nobody_trusts_is_refused():
    with pytest.raises(Unauthenticated, match="密钥未知"):
        verify_token(forged(SigningKey("k-9", Ed25519PrivateKey.generate()), role="bureau"), SETTINGS)


def test_a_shared_secret_token_is_refused():
    token = jwt.encode(
        {"sub": "x", "role": "bureau", "exp": 4102444800},
        "a-shared-secret-of-32-bytes-long",
        algorithm="HS256",
        headers={"kid": DEV_ACCESS_KID},
    )

    with pytest.raises(Unauthenticated):
        verify_token(token, SETTINGS)


def test_production_trusts_the_portals_keys_and_never_the_development_key():
    production = ServiceSettings(environment="production")
    portal = SigningKey("portal-7", Ed25519PrivateKey.generate())
    keys = TrustedKeys(fixed={})
    keys.fetched = {"portal-7": portal.public}  # as read from the portal's JWKS

    assert verify_token(forged(portal, role="bureau"), production, keys).role is Role.bureau
    with pytest.raises(Unauthenticated, match="密钥未知"):
        verify_token(forged(DEV, role="bureau"), production, keys)
    with pytest.raises(ValueError, match="DISTRICT_TOKEN_SIGNING_KEY"):
        production.signing_key()


def test_the_jwks_publishes_the_public_key_only():
    [published] = jwks(DEV)["keys"]

    assert published == published | {"kty": "OKP", "crv": "Ed25519", "kid": DEV_ACCESS_KID, "alg": "EdDSA"}
    assert "d" not in published  # the private part never leaves


def test_unknown_role_is_refused():
    token = forged(DEV, role="janitor")

    with pytest.raises(Unauthenticated):
        verify_token(token, SETTINGS)


def test_teacher_sees_only_classes_they_teach_in_their_school():
    teacher = Caller("t", Role.teacher, "d-1", "s-1", frozenset({"c-1"}))

    assert teacher.sees_class("d-1", "s-1", "c-1")
    assert not teacher.sees_class("d-1", "s-1", "c-2")
    assert not teacher.sees_class("d-1", "s-2", "c-1")
    assert not teacher.sees_class("d-2", "s-1", "c-1")


def test_bureau_sees_every_school_of_its_district_only():
    bureau = Caller("b", Role.bureau, "d-1")

    assert bureau.sees_school("d-1", "any-school")
    assert not bureau.sees_school("d-2", "any-school")


def test_out_of_scope_is_the_same_404_as_missing():
    with pytest.raises(NotFound) as raised:
        ensure_visible(False, "家访记录")
    assert raised.value.status == 404


def test_dev_token_command_prints_a_verifiable_token(capsys):
    from service_kit.auth import mint_dev_token_command

    mint_dev_token_command(["--role", "school_admin", "--school", "sch-liangshe", "--sub", "adm-1"])

    caller = verify_token(capsys.readouterr().out.strip(), ServiceSettings())
    assert (caller.role, caller.school_id, caller.subject) == (Role.school_admin, "sch-liangshe", "adm-1")


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["4102444800", "0", True, None, [4102444800]])
def test_a_date_claim_that_is_not_a_number_is_refused(claim: str, value: object):
    token = forged(DEV, role="bureau", **{claim: value})

    with pytest.raises(Unauthenticated):  # 无效, or 过期 where PyJWT reads "0" or true as 0 or 1
        verify_token(token, SETTINGS)


def test_numeric_date_claims_are_accepted():
    token = forged(DEV, role="bureau", iat=1767225600, nbf=1767225600.5)

    assert verify_token(token, SETTINGS).role is Role.bureau


async def test_keys_are_fetched_once_for_requests_that_arrive_together_and_again_after_a_failure():
    portal = SigningKey("portal-8", Ed25519PrivateKey.generate())
    calls: list[str] = []
    answers: list[dict | None] = [None, {"portal-8": portal.public}]

    class Keys(TrustedKeys):
        async def _fetch(self):  # the portal's JWKS: unreachable once, then answering
            calls.append("fetch")
            await asyncio.sleep(0.01)
            return answers.pop(0)

    keys = Keys("http://portal.invalid/.well-known/jwks.json")
    await keys.refresh_for("portal-8")
    assert keys.key("portal-8") is None  # the portal did not answer: no key, and no waiting either
    await asyncio.gather(*(keys.refresh_for("portal-8") for _ in range(5)))
    assert calls == ["fetch", "fetch"]  # five requests at once: one fetch, the others waited for it
    assert keys.key("portal-8") == portal.public


async def test_a_kid_the_jwks_does_not_name_is_not_fetched_again_at_once():
    calls: list[str] = []

    class Keys(TrustedKeys):
        async def _fetch(self):
            calls.append("fetch")
            return {}

    keys = Keys("http://portal.invalid/.well-known/jwks.json", refresh_every=30)
    for _ in range(3):
        await keys.refresh_for("forged-kid")
    assert calls == ["fetch"]
