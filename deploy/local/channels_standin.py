"""Loopback stand-ins for the channels notifications sends to: an SMTP server (aiosmtpd) that keeps
the mail it receives, and an HTTP server in the place of the SMS and WeChat-style providers that
checks each request's signature and keeps it. Tests and ``make up`` use them; nothing leaves the
machine.

    python deploy/local/channels_standin.py --smtp-port 2525 --http-port 8025

``GET /stats`` counts what arrived; ``GET /{channel}/messages`` lists it; ``GET /mail`` lists mail.
A test can script a provider's answers for one recipient (500s, a 429 with ``Retry-After``).
"""

import argparse
import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

DEV_KEYS = {"sms": ("dev-sms-key", "dev-sms-secret"), "wechat": ("dev-wechat-key", "dev-wechat-secret")}


class Mailbox:
    """An aiosmtpd handler keeping every mail it is given."""

    def __init__(self) -> None:
        self.mail: list[EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mail.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mail if m["To"] == address]

    def start(self, port: int) -> Controller:
        self.port = port
        controller = Controller(self, hostname="127.0.0.1", port=port)
        controller.start()
        return controller


@dataclass
class Provider:
    """The SMS and messaging providers' side: signed requests in, answers as scripted."""

    keys: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEV_KEYS))
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"sms": [], "wechat": []})
    refused: list[str] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def answer(self, to: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        """The next answers for one recipient, e.g. ``500, 500`` or ``(429, {"retry-after": "1"})``."""
        self.script[to] = [a if isinstance(a, tuple) else (a, {}) for a in answers]

    def to(self, channel: str, address: str) -> list[dict[str, Any]]:
        return [r for r in self.received[channel] if r["to"] == address]

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
            if self.script.get(to):
                status, headers = self.script[to].pop(0)
                if status >= 300:
                    return Response('{"error": "scripted"}', status_code=status, headers=headers)
            self.received[channel].append(message | {"received_at": time.time()})
            return JSONResponse({"provider_message_id": f"p-{len(self.received[channel])}"})

        @app.get("/{channel}/messages")
        async def listed(channel: str) -> list[dict[str, Any]]:
            return self.received.get(channel, [])

        return app


def serve(smtp_port: int, http_port: int) -> None:
    mailbox, provider = Mailbox(), Provider()
    controller = mailbox.start(smtp_port)
    app = provider.app()

    @app.get("/stats")
    async def stats() -> dict[str, int]:
        return {"mail": len(mailbox.mail)} | {c: len(r) for c, r in provider.received.items()}

    @app.get("/mail")
    async def mail() -> list[dict[str, str]]:
        return [
            {"to": m["To"], "subject": m["Subject"], "body": m.get_content()} for m in mailbox.mail[-200:]
        ]

    try:
        asyncio.run(
            uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=http_port, log_level="warning")).serve()
        )
    finally:
        controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--http-port", type=int, default=8025)
    arguments = parser.parse_args()
    serve(arguments.smtp_port, arguments.http_port)
