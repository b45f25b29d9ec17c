import asyncio
import json
import time
from dataclasses import dataclass, replace

from contracts.events.registry import Channel
from notifications.announcements import still_to_confirm
from notifications.channels import (
    HttpProviderChannel,
    Outgoing,
    ProviderAnswer,
    Refused,
    Sent,
    TryLater,
    signature,
)

RECIPIENTS = {"gdn-mum": ["stu-1"], "gdn-dad": ["stu-1"], "gdn-gran": ["stu-2"]}


def test_with_any_guardian_one_confirmation_settles_the_student():
    students, pending = still_to_confirm(RECIPIENTS, {"gdn-mum"}, "any_guardian")
    assert students == 2
    assert [(p.student_id, p.pending_guardian_ids) for p in pending] == [("stu-2", ["gdn-gran"])]


def test_with_every_guardian_each_must_confirm():
    _, pending = still_to_confirm(RECIPIENTS, {"gdn-mum"}, "every_guardian")
    assert [(p.student_id, p.pending_guardian_ids) for p in pending] == [
        ("stu-1", ["gdn-dad"]),
        ("stu-2", ["gdn-gran"]),
    ]
    _, none_left = still_to_confirm(RECIPIENTS, {"gdn-mum", "gdn-dad", "gdn-gran"}, "every_guardian")
    assert none_left == []


@dataclass(frozen=True)
class Posted:
    content: bytes
    headers: dict[str, str]


def provider(answer: ProviderAnswer | None = None, rate: float = 1000.0) -> tuple[HttpProviderChannel, list]:
    seen: list[Posted] = []

    async def post(url: str, body: bytes, headers: dict[str, str]) -> ProviderAnswer:
        seen.append(Posted(body, headers))
        return answer or ProviderAnswer(200, text=json.dumps({"provider_message_id": "p-1"}))

    return HttpProviderChannel(Channel.sms, "http://sms.test/messages", "key", "secret", rate, post), seen


OUTGOING = Outgoing("msg-1", Channel.sms, "13900000001", "通知", "正文")


async def test_a_provider_request_is_signed_and_carries_the_message_id():
    channel, seen = provider()
    assert await channel.send(OUTGOING) == Sent(provider_id="p-1")
    [request] = seen
    body = json.loads(request.content)
    assert body == {"message_id": "msg-1", "to": "13900000001", "subject": "通知", "text": "正文"}
    assert request.headers["x-api-key"] == "key"
    assert request.headers["x-signature"] == signature(
        "secret", request.headers["x-timestamp"], request.content
    )


async def test_the_providers_rate_is_kept():
    channel, seen = provider(rate=20)
    began = time.monotonic()
    for _ in range(6):
        await channel.send(OUTGOING)
    assert len(seen) == 6
    assert time.monotonic() - began >= 5 / 20 - 0.01  # six requests need five intervals of 50 ms


async def test_a_429_pauses_the_provider_for_its_retry_after():
    channel, seen = provider(ProviderAnswer(429, retry_after="3"))
    assert await channel.send(OUTGOING) == TryLater("provider rate limit (429)", after=3.0, counts=False)
    paused = await channel.send(OUTGOING)
    assert isinstance(paused, TryLater)
    assert 2.5 < (paused.after or 0) <= 3
    assert len(seen) == 1  # the second send did not knock while paused


async def test_a_retry_waking_just_before_the_pause_ends_waits_it_out_instead_of_requeueing():
    answers = iter([ProviderAnswer(429, retry_after="0.3"), ProviderAnswer(200, text="{}")])
    seen: list[bytes] = []

    async def post(url: str, body: bytes, headers: dict[str, str]) -> ProviderAnswer:
        seen.append(body)
        return next(answers)

    channel = HttpProviderChannel(Channel.sms, "http://sms.test/messages", "key", "secret", 1000.0, post)
    began = time.monotonic()
    assert isinstance(await channel.send(OUTGOING), TryLater)
    assert await channel.send(OUTGOING) == Sent(provider_id=None)
    assert time.monotonic() - began >= 0.3 - 0.01
    assert len(seen) == 2


async def test_server_errors_are_retried_and_client_errors_are_permanent():
    failing, _ = provider(ProviderAnswer(503))
    assert await failing.send(OUTGOING) == TryLater("provider error 503")
    refusing, _ = provider(ProviderAnswer(400, text="bad number"))
    outcome = await refusing.send(OUTGOING)
    assert isinstance(outcome, Refused)
    assert "bad number" in outcome.reason


async def test_an_urgent_send_goes_before_the_slots_a_letter_has_reserved():
    channel, seen = provider(rate=4)
    letter = [replace(OUTGOING, message_id=f"letter-{n}") for n in range(4)]
    sending = [asyncio.create_task(channel.send(outgoing)) for outgoing in letter]
    await asyncio.sleep(0)  # each letter send has reserved its slot, a quarter second apart
    assert isinstance(await channel.send(replace(OUTGOING, message_id="emergency", urgent=True)), Sent)
    await asyncio.gather(*sending)
    order = [json.loads(p.content)["message_id"] for p in seen]
    assert "emergency" in order[:2]  # beside the one letter send that was due at once
    assert order[2:] == ["letter-1", "letter-2", "letter-3"]
