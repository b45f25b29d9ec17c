"""Sign-in: guardians with their mobile number and a code by SMS; staff and partners with an
account and a password (argon2id) they set through an activation link; sign-out. Answers in plain
Chinese."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from contracts.events.portal import SignInCodeRequested, SignInCodeRequestedV1
from contracts.inputs import Text
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from service_kit.auth import Role
from service_kit.errors import Invalid, Problem, Unauthenticated

from portal import domain
from portal.domain import CodeCheck, Person, Session, SignInCode
from portal.sessions import (
    MaybeSession,
    SignedIn,
    end_cookies,
    issue_csrf,
    refuse_other_origins,
    start_session,
)
from portal.store import PortalStore

router = APIRouter(prefix="/auth", tags=["sign-in 登录"])
hasher = PasswordHasher()  # argon2id, the library's defaults (RFC 9106's second recommendation)


class Request_(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeRequest(Request_):
    phone: Text = Field(max_length=20, examples=["13900000001"])


class CodeSignIn(Request_):
    phone: Text = Field(max_length=20)
    code: Text = Field(max_length=10, examples=["482913"])


class PasswordSignIn(Request_):
    account: Text = Field(
        max_length=120,
        description="工号或共建单位编号、手机号或邮箱 (staff or partner id, mobile or email)",
    )
    password: Text = Field(max_length=200)


class Activation(Request_):
    token: Text = Field(max_length=200)
    password: Text = Field(max_length=200)


class LinkPublic(BaseModel):
    purpose: str
    message_id: str
    target_id: str


class User(BaseModel):
    subject: str
    role: str
    district_id: str
    school_id: str | None
    student_ids: list[str]
    class_ids: list[str]
    language: str
    link: LinkPublic | None = None


class SignedInUser(BaseModel):
    """Who is signed in: the answer of every sign-in and of ``/auth/me``."""

    user: User


class CodeSent(BaseModel):
    expires_in: int
    kind: Literal["sms"] = "sms"


def user_of(person: Person, session: Session | None) -> SignedInUser:
    link = session.link if session is not None else None
    return SignedInUser(
        user=User(
            subject=person.subject,
            role=person.role.value,
            district_id=person.district_id,
            school_id=person.school_id,
            student_ids=list(person.student_ids),
            class_ids=list(person.class_ids),
            language=person.language,
            link=None
            if link is None
            else LinkPublic(purpose=link.purpose, message_id=link.message_id, target_id=link.target_id),
        )
    )


def store_of(request: Request) -> PortalStore:
    store: PortalStore = request.app.state.store
    return store


Store = Annotated[PortalStore, Depends(store_of)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def mobile(typed: str, field: str) -> str:
    number = domain.normalise_mobile(typed)
    if number is None:
        raise Invalid(field, "请输入 11 位手机号 (an 11-digit mainland mobile number)")
    return number


@router.get("/csrf", status_code=204)
async def csrf(request: Request, response: Response) -> None:
    """取得 CSRF 令牌 (sets the portal_csrf cookie the page echoes on every change)."""
    refuse_other_origins(request)
    if not request.cookies.get("portal_csrf"):
        issue_csrf(response)


@router.post("/sms-code", status_code=202, response_model=CodeSent)
async def send_code(body: CodeRequest, request: Request, store: Store, _: MaybeSession) -> CodeSent:
    """获取短信验证码 (the same answer whether or not the number is registered)."""
    phone = mobile(body.phone, "body.phone")
    now = datetime.now(UTC)
    keys = {
        f"phone:{phone}": domain.CODE_LIMITS_PER_NUMBER,
        f"address:{client_address(request)}": domain.CODE_LIMITS_PER_ADDRESS,
    }
    for key, limits in keys.items():
        longest = max(limit.window for limit in limits)
        broken = domain.exceeded(limits, await store.requests_since(key, now - longest), now)
        if broken is not None:
            wait = int(broken.window.total_seconds())
            raise Problem(
                429,
                "too-many-requests",
                "获取验证码太频繁，请稍后再试 (too many codes requested; try again later)",
                headers={"Retry-After": str(wait)},
            )
    request_id = f"code-{uuid.uuid4().hex}"
    await store.record_request(request_id, list(keys), now)
    guardians = await store.guardians_with_phone(phone)
    guardian = guardians[0] if guardians else None
    code = domain.new_code()
    expires = now + domain.CODE_LIFETIME
    await store.put_code(
        SignInCode(request_id, phone, guardian["_id"] if guardian else None, domain.digest(code), expires),
        now,
    )
    if guardian is not None:
        event = SignInCodeRequestedV1(
            producer="portal",
            district_id=guardian["district_id"],
            school_id=guardian["school_id"],
            payload=SignInCodeRequested(
                request_id=request_id,
                guardian_id=guardian["_id"],
                phone=phone,
                code=code,
                language=guardian.get("language", "zh-CN"),
                expires_at=expires,
            ),
        )
        try:
            await request.app.state.runtime.broker.publish(
                event.to_json(), topic=event.topic, key=event.school_id.encode()
            )
        except Exception as exc:  # the guardian is told to try again; the unsent code is never valid
            await store.use_code(request_id, now)
            raise Problem(503, "unavailable", "短信暂时无法发送，请稍后再试 (SMS unavailable)") from exc
    return CodeSent(expires_in=int(domain.CODE_LIFETIME.total_seconds()))


@router.post("/sms-sign-in", response_model=SignedInUser)
async def sign_in_with_code(
    body: CodeSignIn, response: Response, store: Store, _: MaybeSession
) -> SignedInUser:
    """短信验证码登录 (guardians)."""
    phone = mobile(body.phone, "body.phone")
    now = datetime.now(UTC)
    code = await store.latest_code(phone)
    slot = None
    if code is not None and now < code.expires_at:
        slot = await store.claim_slot(f"{code.request_id}:try", domain.CODE_TRIES, now)
    check = domain.check_code(code, body.code.strip(), now, slot)
    if check is CodeCheck.accepted:
        assert code is not None
        if not await store.use_code(code.request_id, now):
            check = CodeCheck.expired  # signed in with it already
    if check is not CodeCheck.accepted:
        raise _code_refused(check, domain.tries_left(slot))
    assert code is not None
    assert code.guardian_id is not None
    person = await store.person(Role.guardian, code.guardian_id)
    if person is None:
        raise Unauthenticated("未找到该家长的登记信息，请联系学校 (guardian not registered)")
    session = await start_session(store, response, person)
    return user_of(person, session)


def _code_refused(check: CodeCheck, tries_left: int) -> Problem:
    """Why a typed code signs nobody in, in plain words, naming the field."""
    status, detail, short = {
        CodeCheck.expired: (401, "验证码已过期或不存在，请重新获取 (code expired)", "验证码已过期"),
        CodeCheck.exhausted: (429, "验证码错误次数过多，请重新获取 (too many wrong codes)", "错误次数过多"),
        CodeCheck.wrong: (401, f"验证码错误，还可尝试 {tries_left} 次 (wrong code)", "验证码错误"),
    }[check]
    return Problem(status, f"code-{check.value}", detail, errors=[{"field": "body.code", "message": short}])


WRONG_PASSWORD = "账号或密码错误 (wrong account or password)"


@router.post("/password-sign-in", response_model=SignedInUser)
async def sign_in_with_password(
    body: PasswordSignIn, response: Response, store: Store, _: MaybeSession
) -> SignedInUser:
    """账号密码登录 (staff and partners)."""
    now = datetime.now(UTC)
    account = await store.account_by_login(domain.normalise_mobile(body.account) or body.account.strip())
    if account is None or account.get("status") != "active":
        await asyncio.to_thread(_spend_time)  # the same time as a real check: no account enumeration
        raise Problem(401, "wrong-password", WRONG_PASSWORD)
    window = f"{account['_id']}:password:{domain.lock_window(now)}"
    slot = await store.claim_slot(window, domain.PASSWORD_FAILURES_BEFORE_LOCK, now)
    if slot is None:
        raise _locked(now)
    if not await asyncio.to_thread(_verifies, account["password_hash"], body.password):
        # the failure keeps its slot: the fifth one locks the account until the window ends
        if slot >= domain.PASSWORD_FAILURES_BEFORE_LOCK:
            raise _locked(now)
        raise Problem(401, "wrong-password", WRONG_PASSWORD)
    await store.release_slot(window, slot)
    person = await store.account_person(account["_id"])
    if person is None:
        raise Problem(401, "wrong-password", WRONG_PASSWORD)
    return user_of(person, await start_session(store, response, person))


def _locked(now: datetime) -> Problem:
    minutes = max(1, -(-int((domain.lock_ends(now) - now).total_seconds()) // 60))
    return Problem(423, "locked", f"多次登录失败，账号已锁定，请 {minutes} 分钟后再试 (account locked)")


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = hasher.hash("not-a-real-password")


def _spend_time() -> None:
    _verifies(_DUMMY, "still-not-the-password")


@router.post("/activate", response_model=SignedInUser)
async def activate(body: Activation, response: Response, store: Store, _: MaybeSession) -> SignedInUser:
    """设置密码并激活账号 (from the activation link)."""
    now = datetime.now(UTC)
    account = await store.account_by_activation(domain.digest(body.token.strip()))
    if account is None or account["activation"]["expires_at"] <= now:
        raise Problem(
            410, "activation-expired", "激活链接无效或已过期，请联系学校管理员重新发送 (link expired)"
        )
    problem = domain.password_problem(body.password)
    if problem is not None:
        raise Invalid("body.password", problem)
    password_hash = await asyncio.to_thread(hasher.hash, body.password)
    await store.update_account(
        account["_id"],
        {"password_hash": password_hash, "status": "active", "activation": None, "failures": 0},
    )
    person = await store.account_person(account["_id"])
    assert person is not None
    return user_of(person, await start_session(store, response, person))


@router.post("/sign-out", status_code=204)
async def sign_out(response: Response, session: MaybeSession, store: Store) -> None:
    """退出登录."""
    if session is not None:
        await store.end_session(session.session_digest)
    end_cookies(response)


@router.get("/me", response_model=SignedInUser)
async def me(session: SignedIn, store: Store) -> SignedInUser:
    """当前登录的人 (with the children or classes the registry gives them now)."""
    person = await store.person(session.role, session.subject)
    if person is None:
        raise Unauthenticated("登录信息已失效，请重新登录 (please sign in again)")
    return user_of(person, session)
