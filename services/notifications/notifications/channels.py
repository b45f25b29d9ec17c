"""Channels behind one small interface: ``send(outgoing) -> Sent | TryLater | Refused``.

- email over SMTP (aiosmtplib), on a few connections kept open between sends;
- SMS and a WeChat-style service through HTTP providers: a JSON POST signed with HMAC-SHA256
  (``X-Api-Key``, ``X-Timestamp``, ``X-Signature`` = hex HMAC of ``"<timestamp>\\n<body>"``), at
  most the provider's rate (an urgent send goes first), pausing for ``Retry-After`` when it
  answers 429;
- the in-app inbox: the message record is the inbox entry, so it is delivered at once.

The message id travels with every send (``Message-ID``, ``message_id``) so a provider can drop a
repeat of a send whose answer was lost.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, make_msgid, parseaddr
from typing import Protocol, runtime_checkable

import aiohttp
import aiosmtplib
from contracts.events.registry import Channel

from notifications.settings import Settings


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    channel: Channel
    to: str
    subject: str
    body: str
    urgent: bool = False  # emergencies and time-critical messages: never behind a letter's sends


@dataclass(frozen=True)
class Sent:
    delivered: bool = False  # the inbox knows at once; providers report it later
    provider_id: str | None = None


@dataclass(frozen=True)
class TryLater:
    reason: str
    after: float | None = None  # seconds the provider asked us to wait (Retry-After)
    counts: bool = True  # a rate limit is not the message's failure


@dataclass(frozen=True)
class Refused:
    reason: str  # permanent: retrying this channel will not help


SendOutcome = Sent | TryLater | Refused


class ChannelAdapter(Protocol):
    channel: Channel

    async def send(self, outgoing: Outgoing) -> SendOutcome: ...


@runtime_checkable
class Closing(Protocol):
    async def close(self) -> None: ...


async def close_channels(channels: Iterable[object]) -> None:
    """Close what the channels hold open (SMTP connections); the dispatcher calls it on stop."""
    for adapter in channels:
        if isinstance(adapter, Closing):
            await adapter.close()


class InboxChannel:
    channel = Channel.app

    async def send(self, outgoing: Outgoing) -> SendOutcome:
        return Sent(delivered=True)

    async def close(self) -> None:
        return None


CRLF = "\r\n"


@dataclass(frozen=True)
class Mail:
    sender: str  # the envelope's addresses
    to: str
    content: bytes


def mail_bytes(sender: str, outgoing: Outgoing) -> bytes:
    """The mail as sent: plain text in UTF-8 (base64), the subject in RFC 2047 encoded words.
    Written out directly: building it with the email package's policies took about a sixth of the
    dispatcher's time at a county letter's pace."""
    if any(line_break in value for value in (sender, outgoing.to) for line_break in "\r\n"):
        raise ValueError("a mail address with a line break")
    headers = [
        f"From: {formataddr(parseaddr(sender), 'utf-8')}",  # a name in Chinese as RFC 2047 words
        f"To: {formataddr(parseaddr(outgoing.to), 'utf-8')}",
        f"Subject: {Header(outgoing.subject, 'utf-8').encode(linesep=CRLF)}",
        f"Message-ID: {make_msgid(idstring=outgoing.message_id, domain='district.example.cn')}",
        f"X-District-Message-Id: {outgoing.message_id}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    body = base64.encodebytes(outgoing.body.encode()).decode("ascii").replace("\n", CRLF)
    return (CRLF.join(headers) + CRLF + CRLF + body).encode("ascii")


class SmtpChannel:
    """Mail over a small pool of SMTP connections, each carrying one send at a time.

    Opening a connection (TCP, greeting, EHLO, maybe STARTTLS and login) costs more than the send
    itself, so connections stay open between sends; each is opened when first needed and opened
    again after an error or after the server closed it.
    """

    channel = Channel.email

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Last in, first out: a light load keeps reusing one warm connection instead of opening all.
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP | None] = asyncio.LifoQueue()
        for _ in range(settings.smtp_connections):
            self._idle.put_nowait(None)
        self._open: set[aiosmtplib.SMTP] = set()

    async def send(self, outgoing: Outgoing) -> SendOutcome:
        try:
            content = mail_bytes(self.settings.smtp_sender, outgoing)
        except ValueError as exc:  # an address no mail could carry
            return Refused(str(exc))
        mail = Mail(parseaddr(self.settings.smtp_sender)[1], parseaddr(outgoing.to)[1], content)
        smtp = await self._idle.get()
        try:
            smtp, outcome = await self._send_on(smtp, mail)
        except BaseException:
            # cancelled mid-conversation: the connection's state is unknown, so it is not reused
            self._discard(smtp)
            smtp = None
            raise
        finally:
            self._idle.put_nowait(smtp)
        return outcome

    async def _send_on(
        self, smtp: aiosmtplib.SMTP | None, mail: "Mail"
    ) -> tuple[aiosmtplib.SMTP | None, SendOutcome]:
        """Send on this connection (or a new one); the connection to keep, and the outcome."""
        reused = smtp is not None and smtp.is_connected
        if not reused:
            self._discard(smtp)
            smtp = self._connection()
            try:
                await smtp.connect()
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                self._discard(smtp)
                return None, TryLater(f"SMTP unavailable: {type(exc).__name__}: {exc}")
            self._open.add(smtp)
        assert smtp is not None
        try:
            await smtp.sendmail(mail.sender, [mail.to], mail.content)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return smtp, Refused(f"SMTP refused the recipient: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            if not smtp.is_connected:
                self._discard(smtp)
                if exc.code == 421 and reused:
                    # the server closed this kept connection (an idle timeout): not the mail's fault
                    return await self._send_on(None, mail)
            kept = smtp if smtp.is_connected else None
            if 500 <= exc.code < 600:
                return kept, Refused(f"SMTP {exc.code}: {exc.message}")
            return kept, TryLater(f"SMTP {exc.code}: {exc.message}")
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
            self._discard(smtp)
            if reused:
                # A kept connection the server dropped since its last send: once more on a fresh one.
                # Should the drop have come after the server took the mail, it receives it twice;
                # the X-District-Message-Id header lets it drop the repeat.
                return await self._send_on(None, mail)
            return None, TryLater(f"SMTP unavailable: {type(exc).__name__}: {exc}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self._discard(smtp)  # a timeout leaves the conversation out of step
            return None, TryLater(f"SMTP unavailable: {type(exc).__name__}: {exc}")
        return smtp, Sent()

    def _connection(self) -> aiosmtplib.SMTP:
        password = self.settings.smtp_password
        return aiosmtplib.SMTP(
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username,
            password=password.get_secret_value() if password else None,
            start_tls=self.settings.smtp_starttls,
            timeout=self.settings.smtp_timeout_seconds,
        )

    def _discard(self, smtp: aiosmtplib.SMTP | None) -> None:
        if smtp is not None:
            self._open.discard(smtp)
            smtp.close()

    async def close(self) -> None:
        """Say goodbye on every open connection (the dispatcher is stopping)."""
        for smtp in list(self._open):
            self._open.discard(smtp)
            try:
                await smtp.quit(timeout=1.0)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass  # it is being closed anyway
            finally:
                smtp.close()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the provider checks: hex HMAC-SHA256 of the timestamp, a newline and the raw body."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


# A retry is due by the store's clock (milliseconds) and may wake a little before the pause ends
# by this process's clock; what is left of a pause this short is waited out rather than requeued.
SHORT_PAUSE = 1.0


# Requests in flight to one provider. A send takes a few milliseconds, so a few connections carry
# hundreds a second; a channel keeps its other sends waiting here (``HttpProviderChannel._in_flight``)
# rather than in the session's pool. The session is aiohttp's: httpx spent about 3.3 ms of CPU per
# post checking its pool, aiohttp about 0.45 ms, and sending is CPU-bound on this machine.
PROVIDER_CONNECTIONS = 8


def provider_client(settings: Settings) -> aiohttp.ClientSession:
    """The HTTP session the providers (SMS, WeChat) are reached with, its connections kept alive
    between sends: without keep-alive every send would open (and for HTTPS, handshake) anew. An
    urgent send may go past a channel's limit, so the pool has a few places more."""
    connections = 2 * PROVIDER_CONNECTIONS + 4
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.provider_timeout_seconds),
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=30.0),
    )


@dataclass(frozen=True)
class ProviderAnswer:
    """What a provider answered a send with, as the channel reads it."""

    status: int
    retry_after: str | None = None
    text: str = ""


# Posts a signed body to a provider's endpoint: over HTTP (``posting_with``), or a unit test's fake.
ProviderPost = Callable[[str, bytes, dict[str, str]], Awaitable[ProviderAnswer]]


def posting_with(session: aiohttp.ClientSession) -> ProviderPost:
    async def post(url: str, body: bytes, headers: dict[str, str]) -> ProviderAnswer:
        async with session.post(url, data=body, headers=headers) as answer:
            body_text = await answer.text(errors="replace")  # a provider's odd charset is no failure
            return ProviderAnswer(answer.status, answer.headers.get("retry-after"), body_text)

    return post


class HttpProviderChannel:
    """An SMS or messaging provider reached over HTTP."""

    def __init__(
        self,
        channel: Channel,
        endpoint: str,
        api_key: str,
        secret: str,
        rate_per_second: float,
        post: ProviderPost,
    ) -> None:
        self.channel, self.endpoint, self.api_key, self.secret = channel, endpoint, api_key, secret
        self.interval = 1.0 / rate_per_second
        self.post = post
        self._next_slot = 0.0  # the next moment no send has reserved yet
        self._next_urgent_slot = 0.0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(PROVIDER_CONNECTIONS)

    async def _wait_for_slot(self, urgent: bool) -> float | None:
        """Keep under the provider's rate; None to go, or seconds still paused after a 429.

        Each send reserves the next free slot, one interval after the last reserved. An urgent
        send does not queue behind those: it goes now (urgent sends spaced among themselves) and
        moves the later reservations one interval back. Sends already waiting for their slot keep
        it, so for a moment the provider sees one extra request per urgent send; emergencies are
        few, and a provider's limit allows a short burst (or answers 429, which pauses us)."""
        async with self._lock:
            now = time.monotonic()
            if self._paused_until - now > SHORT_PAUSE:
                return self._paused_until - now
            if urgent:
                slot = max(now, self._next_urgent_slot, self._paused_until)
                self._next_urgent_slot = slot + self.interval
                self._next_slot = max(self._next_slot, slot) + self.interval
            else:
                slot = max(now, self._next_slot, self._paused_until)
                self._next_slot = slot + self.interval
        await asyncio.sleep(slot - now)
        return None

    async def close(self) -> None:
        return None  # the HTTP client is the caller's to close

    async def send(self, outgoing: Outgoing) -> SendOutcome:
        paused = await self._wait_for_slot(outgoing.urgent)
        if paused is not None:
            return TryLater("provider asked us to wait", after=paused, counts=False)
        body = json.dumps(
            {
                "message_id": outgoing.message_id,
                "to": outgoing.to,
                "subject": outgoing.subject,
                "text": outgoing.body,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-api-key": self.api_key,
            "x-timestamp": timestamp,
            "x-signature": signature(self.secret, timestamp, body),
        }
        try:
            if outgoing.urgent:  # never behind a letter's sends
                answer = await self.post(self.endpoint, body, headers)
            else:
                async with self._in_flight:
                    answer = await self.post(self.endpoint, body, headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return TryLater(f"provider unreachable: {type(exc).__name__}: {exc}")
        if answer.status == 429:
            after = _retry_after(answer.retry_after)
            async with self._lock:
                self._paused_until = max(self._paused_until, time.monotonic() + after)
            return TryLater("provider rate limit (429)", after=after, counts=False)
        if answer.status >= 500:
            return TryLater(f"provider error {answer.status}")
        if answer.status >= 400:
            return Refused(f"provider refused ({answer.status}): {answer.text[:200]}")
        try:
            provider_id = json.loads(answer.text).get("provider_message_id")
        except (ValueError, AttributeError):
            provider_id = None
        return Sent(provider_id=provider_id)


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value or 1), 0.0)
    except ValueError:
        return 1.0  # an HTTP date is rare from SMS gateways; wait a moment and try again


@dataclass(frozen=True)
class Provider:
    """An HTTP provider as configured: where to send, and the key and secret both sides sign with."""

    endpoint: str | None
    api_key: str
    secret: str
    rate_per_second: float

    def signed_by(self, api_key: str, timestamp: str, body: bytes, given: str) -> bool:
        """Whether a request (a provider's delivery receipt) carries this provider's signature."""
        expected = signature(self.secret, timestamp, body)
        return api_key == self.api_key and hmac.compare_digest(expected, given)


def providers(settings: Settings) -> dict[Channel, Provider]:
    return {
        Channel.sms: Provider(
            settings.sms_endpoint,
            settings.sms_api_key,
            settings.sms_secret.get_secret_value(),
            settings.sms_rate_per_second,
        ),
        Channel.wechat: Provider(
            settings.wechat_endpoint,
            settings.wechat_api_key,
            settings.wechat_secret.get_secret_value(),
            settings.wechat_rate_per_second,
        ),
    }


def build_channels(settings: Settings, client: aiohttp.ClientSession) -> dict[Channel, ChannelAdapter]:
    """The channels this deployment has; SMS and WeChat only where a provider is configured."""
    channels: dict[Channel, ChannelAdapter] = {
        Channel.app: InboxChannel(),
        Channel.email: SmtpChannel(settings),
    }
    for channel, provider in providers(settings).items():
        if provider.endpoint:
            channels[channel] = HttpProviderChannel(
                channel,
                provider.endpoint,
                provider.api_key,
                provider.secret,
                provider.rate_per_second,
                posting_with(client),
            )
    return channels
