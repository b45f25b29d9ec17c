"""Loopback stand-ins for the channels notifications sends to: an SMTP server (aiosmtpd) that keeps
the mail it receives, and an HTTP server in the place of the SMS and WeChat-style providers that
checks each request's signature and keeps it. Tests and ``make up`` use them; nothing leaves the
machine.

    python deploy/local/channels_standin.py --smtp-port 2525 --http-port 8025 [--rate 500]

Like real providers, the stand-ins keep a rate (``--rate`` requests per second per HTTP channel,
unlimited by default; beyond it a 429 with ``Retry-After``) and drop a repeat of a message they
already accepted (by ``message_id``, or a mail's ``X-District-Message-Id``), answering as before.

``GET /stats`` counts what arrived, the repeats dropped, the requests refused for the rate, and
the first and last arrival per channel (epoch seconds), so a benchmark need not list 150,000
messages; ``GET /{channel}/messages`` and ``GET /mail`` list the latest (``?to=``, ``?limit=``).
A test can script a provider's answers for one recipient (500s, a 429 with ``Retry-After``).
"""

import argparse
import hashlib
import hmac
import math
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

DEV_KEYS = {"sms": ("dev-sms-key", "dev-sms-secret"), "wechat": ("dev-wechat-key", "dev-wechat-secret")}
LISTED = 200  # what a listing shows unless asked for more: the latest
FOLD = re.compile(r"\r?\n(?=[ \t])")


@dataclass(frozen=True, slots=True)
class Mail:
    """One mail received, kept as a few strings: a parsed EmailMessage weighs several times more,
    and a benchmark sends 150,000 through one stand-in. Reads like the EmailMessage tests used to
    get (``mail["Subject"]``, ``mail.get_content()``)."""

    to: str
    subject: str
    message_id: str | None
    body: str
    received_at: float

    def __getitem__(self, header: str) -> str | None:
        return {"to": self.to, "subject": self.subject, "x-district-message-id": self.message_id}.get(
            header.lower()
        )

    def get_content(self) -> str:
        return self.body

    def get_body(self, preferencelist: tuple[str, ...] = ("plain",)) -> "Mail":
        return self  # only the plain text is kept

    def listed(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "subject": self.subject,
            "message_id": self.message_id,
            "body": self.body,
            "received_at": self.received_at,
        }

    @classmethod
    def parse(cls, content: bytes, received_at: float) -> "Mail":
        # The compat32 parser: several times faster than policy.default, which matters at 500 mails/s.
        parsed = message_from_bytes(content)
        return cls(
            to=_header(parsed, "To"),
            subject=_header(parsed, "Subject"),
            message_id=parsed["X-District-Message-Id"],
            body=_plain_text(parsed),
            received_at=received_at,
        )


def _header(parsed: Message, name: str) -> str:
    value = parsed[name]
    if value is None:
        return ""
    return str(make_header(decode_header(FOLD.sub("", value))))  # unfolded, as policy.default reads it


def _plain_text(parsed: Message) -> str:
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""


class Mailbox:
    """An aiosmtpd handler keeping every mail it is given, once."""

    def __init__(self) -> None:
        self.mail: list[Mail] = []
        self.repeats = 0
        self.port = 0
        self._ids: set[str] = set()
        self._by_to: defaultdict[str, list[Mail]] = defaultdict(list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        mail = Mail.parse(envelope.content, time.time())
        if mail.message_id is not None:
            if mail.message_id in self._ids:
                self.repeats += 1  # accepted again, as a real server answers a resend
                return "250 Message accepted for delivery"
            self._ids.add(mail.message_id)
        self.mail.append(mail)
        self._by_to[mail.to].append(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return list(self._by_to.get(address, []))

    def start(self, port: int) -> Controller:
        self.port = port
        controller = Controller(self, hostname="127.0.0.1", port=port)
        controller.start()
        return controller


@dataclass
class RateLimit:
    """A token bucket: ``rate`` requests a second, with bursts of up to a second's worth."""

    rate: float
    tokens: float = 0.0
    at: float = 0.0

    def __post_init__(self) -> None:
        self.tokens, self.at = self.capacity, time.monotonic()

    @property
    def capacity(self) -> float:
        return max(self.rate, 1.0)

    def retry_after(self) -> int | None:
        """None when a request may go now (and takes its token); else whole seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))  # gateways send whole seconds


@dataclass
class Provider:
    """The SMS and messaging providers' side: signed requests in, answers as scripted, at most
    ``rate`` requests a second per channel (None: unlimited)."""

    keys: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEV_KEYS))
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"sms": [], "wechat": []})
    refused: list[str] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    rate: float | None = None
    repeats: dict[str, int] = field(default_factory=lambda: {"sms": 0, "wechat": 0})
    limited: dict[str, int] = field(default_factory=lambda: {"sms": 0, "wechat": 0})
    # message_id -> provider_message_id per channel, to answer a repeat as the first time
    _accepted: dict[str, dict[str, str]] = field(
        init=False, repr=False, default_factory=lambda: defaultdict(dict)
    )
    _by_to: dict[str, defaultdict[str, list[dict[str, Any]]]] = field(
        init=False, repr=False, default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    _limits: dict[str, RateLimit] = field(init=False, repr=False, default_factory=dict)

    def answer(self, to: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        """The next answers for one recipient, e.g. ``500, 500`` or ``(429, {"retry-after": "1"})``."""
        self.script[to] = [a if isinstance(a, tuple) else (a, {}) for a in answers]

    def to(self, channel: str, address: str) -> list[dict[str, Any]]:
        return list(self._by_to[channel].get(address, []))

    def _retry_after(self, channel: str) -> int | None:
        if self.rate is None:
            return None
        if channel not in self._limits:
            self._limits[channel] = RateLimit(self.rate)
        return self._limits[channel].retry_after()

    def app(self) -> FastAPI:
        app = FastAPI(title="provider stand-in")

        @app.post("/{channel}/messages")
        async def receive(channel: str, request: Request) -> Response:
            body = await request.body()
            key, secret = self.keys.get(channel, ("", ""))
            stamp = request.headers.get("x-timestamp", "")
            expected = hmac.new(secret.encode(), stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(expected, request.headers.get("x-signature", ""))
            if request.headers.get("x-api-key") != key or not signed:
                self.refused.append(channel)
                return Response('{"error": "bad signature"}', status_code=401)
            message = await request.json()
            to = message["to"]
            self.calls[to] = self.calls.get(to, 0) + 1
            wait = self._retry_after(channel)
            if wait is not None:
                self.limited[channel] = self.limited.get(channel, 0) + 1
                return Response(
                    '{"error": "rate limit"}', status_code=429, headers={"retry-after": str(wait)}
                )
            if self.script.get(to):
                status, headers = self.script[to].pop(0)
                if status >= 300:
                    return Response('{"error": "scripted"}', status_code=status, headers=headers)
            message_id = message.get("message_id")
            accepted = self._accepted[channel]
            if message_id is not None and message_id in accepted:
                # a resend whose first answer was lost: the same answer, not a second message
                self.repeats[channel] = self.repeats.get(channel, 0) + 1
                return JSONResponse({"provider_message_id": accepted[message_id]})
            received = self.received.setdefault(channel, [])
            record = message | {"received_at": time.time()}
            received.append(record)
            self._by_to[channel][to].append(record)
            provider_message_id = f"p-{len(received)}"
            if message_id is not None:
                accepted[message_id] = provider_message_id
            return JSONResponse({"provider_message_id": provider_message_id})

        @app.get("/{channel}/messages")
        async def listed(channel: str, to: str | None = None, limit: int = LISTED) -> list[dict[str, Any]]:
            """The latest messages, or the latest to one address."""
            found = self.to(channel, to) if to is not None else self.received.get(channel, [])
            return found[-limit:] if limit > 0 else []

        return app


def app(mailbox: Mailbox, provider: Provider) -> FastAPI:
    """The providers' endpoints, with the mailbox's listing and everyone's figures beside them."""
    served = provider.app()

    @served.get("/stats")
    async def stats() -> dict[str, Any]:
        """How many arrived per channel, and when the first and the last did (epoch seconds)."""
        arrived: dict[str, list[Any]] = {"mail": mailbox.mail, **provider.received}
        return {name: len(records) for name, records in arrived.items()} | {
            "repeats": {"mail": mailbox.repeats} | provider.repeats,
            "limited": dict(provider.limited),
            "first_at": {name: _received_at(records, 0) for name, records in arrived.items()},
            "last_at": {name: _received_at(records, -1) for name, records in arrived.items()},
        }

    @served.get("/mail")
    async def mail(to: str | None = None, limit: int = LISTED) -> list[dict[str, Any]]:
        """The latest mail, or the latest to one address."""
        found = mailbox.to(to) if to is not None else mailbox.mail
        return [m.listed() for m in found[-limit:]] if limit > 0 else []

    return served


def _received_at(records: list[Any], index: int) -> float | None:
    if not records:
        return None
    record = records[index]
    return float(record.received_at if isinstance(record, Mail) else record["received_at"])


def serve(smtp_port: int, http_port: int, rate: float | None) -> None:
    mailbox, provider = Mailbox(), Provider(rate=rate)
    controller = mailbox.start(smtp_port)
    try:
        # run() picks uvicorn's loop (uvloop when installed), as the services' do
        uvicorn.Server(
            uvicorn.Config(app(mailbox, provider), host="127.0.0.1", port=http_port, log_level="warning")
        ).run()
    finally:
        controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument(
        "--rate", type=float, default=None, help="requests per second per HTTP channel (default: unlimited)"
    )
    arguments = parser.parse_args()
    serve(arguments.smtp_port, arguments.http_port, arguments.rate)
