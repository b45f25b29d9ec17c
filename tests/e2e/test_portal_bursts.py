"""Sign-in under a burst of parallel requests, on the real store: a code allows five tries however
many arrive at once, signs in once, and five wrong passwords lock an account even when they all come
together (tries are slots taken by one insert each; FerretDB has no compare-and-set)."""

import asyncio
import re
import secrets
import uuid

import httpx
import pytest
from argon2 import PasswordHasher

pytestmark = pytest.mark.infra


def unique_phone() -> str:
    return "135" + str(uuid.uuid4().int)[:8]


def client(platform) -> httpx.AsyncClient:
    """A page of the portal's own origin with its CSRF cookie, from an address of its own."""
    csrf = secrets.token_urlsafe(16)
    origin = str(platform.portal.base_url).rstrip("/")
    address = "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
    return httpx.AsyncClient(
        base_url=origin,
        timeout=30,
        headers={
            "origin": origin,
            "cookie": f"portal_csrf={csrf}",
            "x-csrf-token": csrf,
            "x-forwarded-for": address,
        },
    )


async def code_for(platform, family, provider, eventually) -> tuple[str, str]:
    phone = unique_phone()
    people = await family([{"phone": phone}])
    guardians = platform.portal_app.state.store.db["guardians"]

    async def known() -> bool:
        return await guardians.find_one({"_id": people.guardians[0].guardian_id}) is not None

    await eventually(known, 30)
    async with client(platform) as http:
        assert (await http.post("/auth/sms-code", json={"phone": phone})).status_code == 202

    def code() -> str | None:
        texts = [m["text"] for m in provider[0].to("sms", phone)]
        found = [re.search(r"验证码是 ?(\d{6})", t) for t in texts]
        return next((f[1] for f in found if f), None)

    async def arrived() -> bool:
        return code() is not None

    await eventually(arrived, 20)
    right = code()
    assert right is not None
    return phone, right


async def test_twenty_wrong_codes_at_once_get_five_tries_in_all(platform, family, provider, eventually):
    phone, right = await code_for(platform, family, provider, eventually)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    async with client(platform) as http:
        answers = await asyncio.gather(
            *(http.post("/auth/sms-sign-in", json={"phone": phone, "code": wrong}) for _ in range(20))
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [401] * 4 + [429] * 16  # four "wrong", then the fifth spends the code
        after = await http.post("/auth/sms-sign-in", json={"phone": phone, "code": right})
        assert after.status_code == 429
        assert "set-cookie" not in {k.lower() for k in after.headers}


async def test_the_right_code_sent_twice_at_once_signs_in_once(platform, family, provider, eventually):
    phone, right = await code_for(platform, family, provider, eventually)
    async with client(platform) as http:
        answers = await asyncio.gather(
            *(http.post("/auth/sms-sign-in", json={"phone": phone, "code": right}) for _ in range(3))
        )
    assert sorted(a.status_code for a in answers) == [200, 401, 401]


async def test_ten_wrong_passwords_at_once_lock_the_account(platform):
    store = platform.portal_app.state.store
    account = f"stf-burst-{uuid.uuid4().hex[:8]}"
    password = "家校共育2026秋季"
    await store.db["accounts"].insert_one(
        {
            "_id": account,
            "kind": "staff",
            "status": "active",
            "district_id": "d-e2e",
            "school_id": "sch-burst",
            "roles": ["subject_teacher"],
            "class_ids": [],
            "phone": None,
            "email": None,
            "version": 1,
            "password_hash": PasswordHasher().hash(password),
        }
    )
    async with client(platform) as http:
        answers = await asyncio.gather(
            *(
                http.post("/auth/password-sign-in", json={"account": account, "password": "不对的密码123"})
                for _ in range(10)
            )
        )
        assert sorted(a.status_code for a in answers) == [401] * 4 + [423] * 6
        locked = await http.post("/auth/password-sign-in", json={"account": account, "password": password})
    assert locked.status_code == 423  # even the right password waits for the lock to end


async def test_a_csrf_header_of_any_characters_is_refused_plainly(platform):
    origin = str(platform.portal.base_url).rstrip("/")
    async with httpx.AsyncClient(base_url=origin, timeout=10) as http:
        answer = await http.post(
            "/auth/sms-code",
            json={"phone": unique_phone()},
            headers={"origin": origin, "cookie": "portal_csrf=abc", "x-csrf-token": "äbc".encode("latin-1")},
        )
    assert answer.status_code == 403  # not a 500 from comparing text the header could not be
    assert answer.json()["type"].endswith("/csrf")
