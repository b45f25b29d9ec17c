"""The channels against loopback servers started here: connections to the mail server kept and
reopened, urgent sends ahead of a letter's, and the stand-in providers' rate and repeats."""

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import test_utils, web
from aiosmtpd.controller import Controller
from channels_standin import Mailbox, Provider, app
from contracts.events.registry import Channel
from notifications.channels import (
    HttpProviderChannel,
    Outgoing,
    ProviderAnswer,
    Sent,
    SmtpChannel,
    TryLater,
    close_channels,
    mail_bytes,
    posting_with,
    signature,
)
from notifications.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WatchedMailbox(Mailbox):
    """The stand-in's mailbox, counting connections from the server's side (one EHLO each) and
    dropping a connection when a chosen mail begins, as a restarting server would."""

    def __init__(self) -> None:
        super().__init__()
        self.connections: list[Any] = []  # aiosmtpd's protocol object, one per connection
        self.quits = 0
        self.mails_begun = 0
        self.drop_at: set[int] = set()
        self.closing_at: set[int] = set()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections.append(server)
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails_begun += 1
        if self.mails_begun in self.drop_at:
            server.transport.abort()  # gone without an answer
            return "421 closing"
        if self.mails_begun in self.closing_at:
            return "421 4.3.2 Service shutting down"  # and the client hangs up, as RFC 5321 asks
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        return "221 Bye"


@pytest.fixture
def mail_server() -> Iterator[tuple[WatchedMailbox, Controller]]:
    box = WatchedMailbox()
    controller = box.start(_free_port())
    yield box, controller
    controller.stop()


def smtp(box: Mailbox, connections: int = 4) -> SmtpChannel:
    return SmtpChannel(Settings(smtp_port=box.port, smtp_connections=connections, smtp_timeout_seconds=5))


def mail(n: int) -> Outgoing:
    return Outgoing(
        f"msg-{n}",
        Channel.email,
        f"parent{n}@example.cn",
        f"[叶城县第九小学] 通知 {n}",
        "请关注孩子的冬季安全。",
    )


async def test_many_mails_travel_on_no_more_connections_than_configured(mail_server):
    box, _ = mail_server
    channel = smtp(box, connections=2)
    at_once = await asyncio.gather(*(channel.send(mail(n)) for n in range(12)))
    one_by_one = [await channel.send(mail(n)) for n in range(12, 18)]
    await channel.close()
    assert at_once + one_by_one == [Sent()] * 18
    assert len(box.mail) == 18
    assert len(box.connections) <= 2
    assert box.quits == len(box.connections)  # closed politely on stop


async def test_a_connection_the_server_closed_between_sends_is_opened_again(mail_server):
    box, controller = mail_server
    channel = smtp(box)
    assert await channel.send(mail(1)) == Sent()
    dropped = threading.Event()

    def drop_all() -> None:
        for server in box.connections:
            if server.transport is not None:
                server.transport.abort()
        dropped.set()

    controller.loop.call_soon_threadsafe(drop_all)
    assert dropped.wait(5)
    assert await channel.send(mail(2)) == Sent()
    assert await channel.send(mail(3)) == Sent()
    assert [m.message_id for m in box.mail] == ["msg-1", "msg-2", "msg-3"]
    assert len(box.connections) == 2  # the second kept in turn
    await channel.close()


async def test_a_send_on_a_kept_connection_that_breaks_is_tried_once_more_on_a_fresh_one(mail_server):
    box, _ = mail_server
    channel = smtp(box)
    assert await channel.send(mail(1)) == Sent()
    box.drop_at = {2}  # the second mail's conversation is cut on the kept connection
    assert await channel.send(mail(2)) == Sent()
    assert [m.message_id for m in box.mail] == ["msg-1", "msg-2"]
    assert len(box.connections) == 2
    await channel.close()


async def test_a_kept_connection_the_server_is_closing_with_421_is_replaced_for_the_same_send(mail_server):
    box, _ = mail_server
    channel = smtp(box)
    assert await channel.send(mail(1)) == Sent()
    box.closing_at = {2}
    assert await channel.send(mail(2)) == Sent()
    assert [m.message_id for m in box.mail] == ["msg-1", "msg-2"]
    assert len(box.connections) == 2
    await channel.close()


async def test_a_send_failing_on_a_fresh_connection_too_is_tried_later(mail_server):
    box, _ = mail_server
    channel = smtp(box)
    assert await channel.send(mail(1)) == Sent()
    box.drop_at = {2, 3}  # the kept connection and then the fresh one
    outcome = await channel.send(mail(2))
    assert isinstance(outcome, TryLater)
    assert outcome.counts
    assert await channel.send(mail(3)) == Sent()  # mail 4 begun: the next send opens a new one
    assert [m.message_id for m in box.mail] == ["msg-1", "msg-3"]
    await close_channels([channel])


async def test_the_mailbox_keeps_a_repeated_mail_once_and_counts_the_repeat(mail_server):
    box, _ = mail_server
    channel = smtp(box)
    assert await channel.send(mail(1)) == Sent()
    assert await channel.send(mail(1)) == Sent()  # the answer to the first was lost, say
    assert await channel.send(mail(2)) == Sent()
    await channel.close()
    assert [m.message_id for m in box.mail] == ["msg-1", "msg-2"]
    assert box.repeats == 1
    [first] = box.to("parent1@example.cn")
    assert first["Subject"] == "[叶城县第九小学] 通知 1"
    assert first.get_content().strip() == "请关注孩子的冬季安全。"


async def test_a_providers_answer_is_read_over_http_even_in_a_charset_it_does_not_keep():
    posted: list[tuple[bytes, str]] = []

    async def busy(request: web.Request) -> web.Response:
        posted.append((await request.read(), request.headers["x-api-key"]))
        return web.Response(
            status=429,
            body=b"\xff\xfe busy",
            headers={"Retry-After": "7", "Content-Type": "text/plain; charset=utf-8"},
        )

    provider = web.Application()
    provider.router.add_post("/sms/messages", busy)
    server = test_utils.TestServer(provider)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            post = posting_with(session)
            answer = await post(str(server.make_url("/sms/messages")), b'{"to": "1"}', {"x-api-key": "key"})
    finally:
        await server.close()
    assert posted == [(b'{"to": "1"}', "key")]
    assert (answer.status, answer.retry_after) == (429, "7")
    assert answer.text.endswith(" busy")


def sms(message_id: str, urgent: bool = False) -> Outgoing:
    return Outgoing(message_id, Channel.sms, "13900000001", "通知", "正文", urgent=urgent)


async def test_an_urgent_send_also_waits_out_the_providers_429_pause():
    answers = iter([ProviderAnswer(429, retry_after="30")])  # a second post would find none

    async def post(url: str, body: bytes, headers: dict[str, str]) -> ProviderAnswer:
        return next(answers)

    channel = HttpProviderChannel(Channel.sms, "http://sms.test/messages", "key", "secret", 100.0, post)
    assert isinstance(await channel.send(sms("letter-0")), TryLater)
    paused = await channel.send(sms("emergency", urgent=True))
    assert isinstance(paused, TryLater)
    assert not paused.counts
    assert 25 < (paused.after or 0) <= 30


def signed(channel: str, message: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(message, ensure_ascii=False).encode()
    key, secret = {"sms": ("dev-sms-key", "dev-sms-secret")}[channel]
    headers = {"x-api-key": key, "x-timestamp": "1", "x-signature": signature(secret, "1", body)}
    return body, headers


async def post_sms(stand_in: httpx.AsyncClient, message_id: str, to: str = "13900000001") -> httpx.Response:
    body, headers = signed("sms", {"message_id": message_id, "to": to, "subject": "通知", "text": "正文"})
    return await stand_in.post("/sms/messages", content=body, headers=headers)


def stand_in_client(provider: Provider, mailbox: Mailbox | None = None) -> httpx.AsyncClient:
    served = app(mailbox or Mailbox(), provider)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://stand-in")


async def test_the_stand_in_answers_429_with_a_whole_retry_after_beyond_its_rate():
    provider = Provider(rate=3)
    async with stand_in_client(provider) as stand_in:
        answers = [await post_sms(stand_in, f"msg-{n}") for n in range(5)]
        stats = (await stand_in.get("/stats")).json()
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]  # a second's worth at once
    limited = [a for a in answers[3:] if a.status_code == 429]
    assert limited
    assert all(int(a.headers["retry-after"]) >= 1 for a in limited)
    assert len(provider.received["sms"]) == 5 - len(limited)
    assert stats["limited"]["sms"] == len(limited)


async def test_the_stand_in_drops_a_repeated_message_and_answers_as_the_first_time():
    provider = Provider()
    async with stand_in_client(provider) as stand_in:
        first = await post_sms(stand_in, "msg-1")
        again = await post_sms(stand_in, "msg-1")
        other = await post_sms(stand_in, "msg-2", to="13900000002")
        stats = (await stand_in.get("/stats")).json()
        to_one = (await stand_in.get("/sms/messages", params={"to": "13900000001"})).json()
        latest = (await stand_in.get("/sms/messages", params={"limit": 1})).json()
    assert first.json() == again.json() != other.json()
    assert [m["message_id"] for m in provider.received["sms"]] == ["msg-1", "msg-2"]
    assert stats["sms"] == 2
    assert stats["repeats"] == {"mail": 0, "sms": 1, "wechat": 0}
    assert stats["first_at"]["sms"] == provider.received["sms"][0]["received_at"]
    assert stats["last_at"]["sms"] == provider.received["sms"][1]["received_at"]
    assert stats["first_at"]["wechat"] is None
    assert [m["message_id"] for m in to_one] == ["msg-1"]
    assert [m["message_id"] for m in latest] == ["msg-2"]


def test_a_mail_is_written_as_any_mail_reader_reads_it():
    subject = "【叶城县第九小学】致家长的一封信：寒假安全，请家长务必认真阅读并确认收到本通知的全部内容"
    body = "尊敬的家长：\n寒假即将开始，请注意孩子的出行安全。\n" * 20
    outgoing = Outgoing("ann-1-g1", Channel.email, "parent@example.cn", subject, body)
    raw = mail_bytes("学校 <school@district.example.cn>", outgoing)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))  # SMTP's line limit
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["To"] == "parent@example.cn"
    assert parsed["Subject"] == subject
    assert parsed["X-District-Message-Id"] == "ann-1-g1"
    assert parsed["Message-ID"].startswith("<")
    assert "ann-1-g1" in parsed["Message-ID"]
    assert parsed.get_content() == body


def test_an_address_with_a_line_break_is_refused_before_any_connection():
    outgoing = Outgoing("m-1", Channel.email, "a@example.cn\r\nBcc: b@example.cn", "s", "b")
    with pytest.raises(ValueError, match="line break"):
        mail_bytes("school@district.example.cn", outgoing)
