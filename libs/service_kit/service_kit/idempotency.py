"""``Idempotency-Key`` on every POST: a retry from a flaky school network gets the first answer.

The first request with a key claims it by inserting ``<caller>:<key>`` (the only atomic check
FerretDB offers), runs, and stores its answer; a retry with the same body gets that answer again
(marked ``Idempotent-Replayed: true``) and causes no second change or event; the same key with a
different body is 422; a retry while the first is still running is 409. An answer of 500 or more
releases the key so the client may try again.

A claim still ``running`` after ``stale_after`` (``DISTRICT_IDEMPOTENCY_STALE_SECONDS``, 2 minutes
by default: far beyond any request's time) belongs to a process that died before answering; the
next retry takes it over — deletes it, only if it is still that stale running claim, and claims
again — instead of getting 409 forever. FerretDB has no compare-and-set (a delete does not re-check
its filter at write time), so two retries racing at that very moment could both delete and both
run. That is safe because the key never was the only guard against a second change: a change is
decided by an insert under a unique ``_id`` in the change log, and the routes a phone retries
offline (``POST /v1/home-visits``, ``/v1/home-visits/plans``) derive the visit's id from the
caller and this key (``visit_id_for``), so a second run of the same submission finds the visit the
first recorded — also after a 5xx released the key once the change was recorded.

Keys are per caller, so two teachers can never collide: the person the verified token names (role,
district, subject), not the token itself, because the portal mints a new token for each request it
forwards and a phone's retry comes with a fresh one; a token that does not verify keys by its own
bytes (its request is refused anyway).
"""

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fastapi import Request, Response
from pymongo.errors import DuplicateKeyError
from starlette.middleware.base import BaseHTTPMiddleware

from service_kit.auth import Caller, current_caller
from service_kit.errors import Problem, Unauthenticated, problem_response
from service_kit.storage import Database

IDEMPOTENCY = "idempotency_keys"
HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
STALE_AFTER = timedelta(minutes=2)


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


async def _caller_of(request: Request) -> str:
    try:
        who = await current_caller(request)
    except Unauthenticated:
        return _digest(request.headers.get("authorization", "").encode())
    return _digest(b"caller", who.role.value.encode(), who.district_id.encode(), who.subject.encode())


def visit_id_for(request: Request, caller: Caller, prefix: str) -> str | None:
    """The id of the record a request creates, derived from who sends it and its
    ``Idempotency-Key`` (None without one): the same submission sent again makes the same id, so
    its second insert hits the first's unique ``_id`` instead of recording it twice."""
    key = request.headers.get(HEADER)
    if not key:
        return None
    who = (caller.role.value, caller.district_id, caller.subject, key)
    return f"{prefix}{_digest(b'record', *(part.encode() for part in who))[:16]}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IdempotencyMiddleware(BaseHTTPMiddleware):
    def __init__(
        self, app: object, database: Callable[[], Database], stale_after: timedelta = STALE_AFTER
    ) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.database = database
        self.stale_after = stale_after

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return await call_next(request)
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            return problem_response(
                Problem(400, "bad-idempotency-key", f"Idempotency-Key 长度应为 1–{MAX_KEY_LENGTH}"),
                request.url.path,
            )
        keys = self.database()[IDEMPOTENCY]
        caller = await _caller_of(request)
        claim_id = f"{caller}:{key}"
        fingerprint = _digest(request.url.path.encode(), await request.body())
        claim = {"_id": claim_id, "fingerprint": fingerprint, "state": "running"}
        try:
            await keys.insert_one(claim | {"at": datetime.now(UTC)})
        except DuplicateKeyError:
            first = await keys.find_one({"_id": claim_id})
            if not self._stale(first, fingerprint):
                return await self._repeat(request, first, fingerprint)
            assert first is not None
            # Taken over: only that stale running claim is deleted (see the module's docstring).
            await keys.delete_one({"_id": claim_id, "state": "running", "at": first["at"]})
            try:
                await keys.insert_one(claim | {"at": datetime.now(UTC)})
            except DuplicateKeyError:  # another retry took it over first
                return await self._repeat(request, await keys.find_one({"_id": claim_id}), fingerprint)

        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        if response.status_code >= 500:
            await keys.delete_one({"_id": claim_id})
        else:
            # Only the request holding the claim writes it, so this update has no rival writer.
            await keys.update_one(
                {"_id": claim_id},
                {
                    "$set": {
                        "state": "done",
                        "status": response.status_code,
                        "body": body,
                        "media_type": response.media_type or response.headers.get("content-type"),
                    }
                },
            )
        return Response(body, response.status_code, headers=dict(response.headers))

    def _stale(self, first: dict[str, object] | None, fingerprint: str) -> bool:
        """A claim of this very request left running longer than any request takes."""
        if first is None or first.get("state") != "running" or first.get("fingerprint") != fingerprint:
            return False
        at = first.get("at")
        return isinstance(at, datetime) and datetime.now(UTC) - _aware(at) > self.stale_after

    async def _repeat(self, request: Request, first: dict[str, object] | None, fingerprint: str) -> Response:
        if first is None or first.get("fingerprint") != fingerprint:
            problem = Problem(
                422,
                "idempotency-key-reused",
                "该 Idempotency-Key 已用于另一个请求 (the key was used for a different request)",
                errors=[{"field": "header.Idempotency-Key", "message": "used for a different request"}],
            )
            return problem_response(problem, request.url.path)
        if first.get("state") != "done":
            return problem_response(
                Problem(409, "request-in-progress", "相同的请求仍在处理中，请稍后重试 (still in progress)"),
                request.url.path,
            )
        body = first["body"]
        assert isinstance(body, bytes)
        assert isinstance(first["status"], int)
        return Response(
            body,
            first["status"],
            media_type=str(first.get("media_type") or "application/json"),
            headers={"Idempotent-Replayed": "true"},
        )
