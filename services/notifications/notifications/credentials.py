"""Sign-in codes and account activation links the portal asks us to send (``internal.portal.v1``).

These are credentials, not news, so they do not go the way of messages:
- a sign-in code goes by SMS to the number the guardian typed, an activation link by email when
  there is an address, else by SMS; never by a guardian's channel order, and whatever the quiet
  hours, digest or consent say;
- it is first in the dispatcher's line (its queue entry is due since long ago) and sent at once;
- at most once per request id: a redelivered event finds its request already there;
- never after it expires: a code the guardian can no longer use is dropped, with the reason;
- kept apart from messages: it is in no inbox and no school's delivery list, and it publishes no
  ``notification-delivered``, since reporting counts those as contact with a guardian about a
  child, which a sign-in code is not;
- its text (the code, the link) is erased once it is sent or dropped.

The rules here need no I/O; ``Credentials`` stores, queues and sends.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from contracts.events.portal import AccountActivationRequestedV1, SignInCodeRequestedV1
from contracts.events.registry import Channel
from pydantic import BaseModel, ConfigDict
from service_kit.messaging import Handler
from service_kit.storage import Document, insert_new

from notifications import messages
from notifications.channels import ChannelAdapter, Outgoing, Sent
from notifications.priorities import Priority
from notifications.settings import Settings
from notifications.store import CREDENTIALS, NotificationStore

log = logging.getLogger(__name__)

KIND = "credential"  # the queue entries' kind
# Due since long before any message: the dispatcher takes due entries oldest first.
FIRST_IN_LINE = datetime(2000, 1, 1, tzinfo=UTC)
EXPIRED = "已过期，未发送 (expired before it could be sent)"
ERASED = "（已清除 erased）"
SIGN_IN_CODE = SignInCodeRequestedV1.model_fields["event_type"].default
ACCOUNT_ACTIVATION = AccountActivationRequestedV1.model_fields["event_type"].default

CODE_TEXT = {
    "zh-CN": "【家校社协同育人】您的登录验证码是 {code}，5分钟内有效。请勿将验证码告诉他人。",
    "en": "[Home-School-Community] Your sign-in code is {code}. It is valid for 5 minutes. "
    "Do not tell anyone this code.",
}
CODE_SUBJECT = {"zh-CN": "登录验证码", "en": "Sign-in code"}
ACTIVATION_TEXT = "您的账号已开通，请在3天内点击设置密码：{activation_url}"
ACTIVATION_SUBJECT = "家校社协同育人平台：账号开通"


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_type: str
    payload: dict[str, Any]


class CodeRequest(BaseModel):
    """The fields of ``sign-in-code-requested`` used here (a tolerant reader)."""

    model_config = ConfigDict(extra="ignore")

    request_id: str
    phone: str
    code: str
    language: Literal["zh-CN", "en"] = "zh-CN"
    expires_at: datetime


class ActivationRequest(BaseModel):
    """The fields of ``account-activation-requested`` used here."""

    model_config = ConfigDict(extra="ignore")

    request_id: str
    phone: str | None = None
    email: str | None = None
    activation_url: str
    expires_at: datetime


def _request(
    kind: str,
    request_id: str,
    to: dict[Channel, str],
    subject: str,
    body: str,
    expires_at: datetime,
    now: datetime,
) -> Document:
    """A request to send, shaped like a message (so ``messages.after_send`` moves it on)."""
    made: Document = {
        "_id": f"{kind}-{request_id}",
        "kind": kind,
        "to": {channel.value: address for channel, address in to.items()},
        "subject": subject,
        "body": body,
        "expires_at": expires_at,
        "channels": [channel.value for channel in to],
        "channel_index": 0,
        "attempts": 0,
        "status": "queued",
        "failure_reason": None,
        "due_at": FIRST_IN_LINE,
        "created_at": now,
        "history": [],
        "sent_channel": None,
        "sent_at": None,
        "version": 1,
    }
    if not to:
        return erased(messages.fall_back(made, now, messages.NO_CONTACT))
    return expired(made, now) if now >= expires_at else made


def sign_in_code(request: CodeRequest, now: datetime) -> Document:
    text = CODE_TEXT[request.language].format(code=request.code)
    to = {Channel.sms: request.phone}
    return _request(
        SIGN_IN_CODE, request.request_id, to, CODE_SUBJECT[request.language], text, request.expires_at, now
    )


def activation(request: ActivationRequest, now: datetime) -> Document:
    to = {Channel.email: request.email} if request.email else {}
    if request.phone:
        to[Channel.sms] = request.phone  # the fallback when the mail is refused
    text = ACTIVATION_TEXT.format(activation_url=request.activation_url)
    return _request(
        ACCOUNT_ACTIVATION, request.request_id, to, ACTIVATION_SUBJECT, text, request.expires_at, now
    )


def expired(request: Document, now: datetime) -> Document:
    return erased(messages.cancel(request, now, EXPIRED) | {"failure_reason": EXPIRED})


def erased(request: Document) -> Document:
    """Once final, the code or link is of no use to anyone but a thief: it is not kept."""
    return request | {"body": ERASED} if request["status"] in messages.FINAL else request


def outgoing(request: Document) -> Outgoing | None:
    channel = messages.current_channel(request)
    if channel is None:
        return None
    return Outgoing(
        request["_id"], channel, request["to"][channel.value], request["subject"], request["body"]
    )


class Credentials:
    def __init__(
        self,
        store: NotificationStore,
        settings: Settings,
        channels: Callable[[], dict[Channel, ChannelAdapter]],
    ) -> None:
        """``channels``: the dispatcher's, built when it starts."""
        self.store, self.settings, self.channels = store, settings, channels

    def handler(self) -> Handler:
        async def handle(message: dict[str, Any]) -> None:
            """Sign-in codes (by SMS) and account activation links (by email, else SMS): sent at
            once, once per request id, never after they expire; in no inbox, not reported."""
            event = _Envelope.model_validate(message)
            now = datetime.now(UTC)
            if event.event_type == SIGN_IN_CODE:
                request = sign_in_code(CodeRequest.model_validate(event.payload), now)
            elif event.event_type == ACCOUNT_ACTIVATION:
                request = activation(ActivationRequest.model_validate(event.payload), now)
            else:
                return  # a later event type on the topic: not ours to send
            if request["status"] != "queued":
                log.warning(
                    "credential not sent",
                    extra={"request": request["_id"], "reason": request["failure_reason"]},
                )
            await self.add(request)

        return handle

    async def add(self, request: Document) -> None:
        """Keep the request and its queue entry; both ignore a copy already there, so a redelivered
        event sends nothing twice (the entry of one already sent finds it final and goes)."""
        await insert_new(self.store.db[CREDENTIALS], [request])
        if request["status"] == "queued":
            entry = {
                "_id": request["_id"],
                "due_at": request["due_at"],
                "kind": KIND,
                "priority": int(Priority.time_critical),  # someone is waiting at the sign-in page
                "school_id": None,
            }
            await self.store.add_entries([entry])

    async def send(self, entry: Document, now: datetime) -> None:
        """Queue handler: send the request on its current channel, or drop it once expired."""
        request = await self.store.get(CREDENTIALS, entry["_id"])
        if request is None or request["status"] != "queued":
            await self.store.dequeue(entry["_id"])
            return
        claim = f"{request['_id']}:{request['version']}"
        if not await self.store.claim(claim, now, self.settings.delivery_lease_seconds):
            return
        try:
            await self._send(request, now)
        finally:
            await self.store.release(claim)

    async def _send(self, request: Document, now: datetime) -> None:
        if now >= request["expires_at"]:
            await self._save(expired(request, now))
            return
        sending = outgoing(request)
        assert sending is not None  # a queued request has a channel left
        adapter = self.channels().get(sending.channel)
        if adapter is None:
            reason = f"渠道 {sending.channel.value} 未配置 (channel not configured)"
            await self._save(messages.fall_back(request, now, reason))
            return
        outcome = await adapter.send(sending)
        after = messages.after_send(request, outcome, now, self.settings)
        if not isinstance(outcome, Sent) and after["status"] == "failed":
            log.warning(
                "credential not sent", extra={"request": request["_id"], "reason": after["failure_reason"]}
            )
        await self._save(after)

    async def _save(self, request: Document) -> None:
        request = erased(request)
        await self.store.replace(CREDENTIALS, request)
        if request["status"] == "queued":
            await self.store.enqueue(request["_id"], request["due_at"], KIND, Priority.time_critical)
        else:
            await self.store.dequeue(request["_id"])
