"""Sign-in codes and activation links: sent at once by SMS (or email), once per request id, never
after they expire, in no inbox and not reported; with an in-memory store and channel."""

from datetime import UTC, datetime, timedelta

import pytest
from contracts.events.registry import Channel
from notifications import credentials
from notifications.channels import Outgoing, Refused, SendOutcome, Sent, TryLater
from notifications.credentials import ActivationRequest, CodeRequest, Credentials
from notifications.settings import Settings
from notifications.store import CREDENTIALS, MESSAGES, QUEUE
from pymongo.errors import BulkWriteError
from pymongo.results import InsertManyResult
from service_kit.storage import insert_new

NOW = datetime.now(UTC)  # the handler reads the real clock: expiry is an instant, not a school date
SETTINGS = Settings(delivery_backoff_seconds=1, delivery_max_attempts=2)


class FakeCollection:
    def __init__(self) -> None:
        self.documents: dict[str, dict] = {}

    async def insert_many(self, documents: list[dict], ordered: bool = False) -> InsertManyResult:
        errors = []
        for document in documents:
            if document["_id"] in self.documents:
                errors.append({"code": 11000})
            else:
                self.documents[document["_id"]] = document
        if errors:
            raise BulkWriteError({"writeErrors": errors})
        return InsertManyResult([d["_id"] for d in documents], True)


class FakeStore:
    """The few store operations the credentials use."""

    def __init__(self) -> None:
        self.db = {CREDENTIALS: FakeCollection(), QUEUE: FakeCollection(), MESSAGES: FakeCollection()}
        self.queue = self.db[QUEUE]

    async def get(self, collection: str, record_id: str) -> dict | None:
        return self.db[collection].documents.get(record_id)

    async def replace(self, collection: str, document: dict) -> None:
        self.db[collection].documents[document["_id"]] = document

    async def enqueue(
        self, entry_id: str, due_at: datetime, kind: str = "message", priority=2, school_id=None
    ):
        self.queue.documents[entry_id] = {
            "_id": entry_id,
            "due_at": due_at,
            "kind": kind,
            "priority": priority,
        }

    async def add_entries(self, entries: list[dict]) -> None:
        await insert_new(self.queue, entries)

    async def dequeue(self, entry_id: str) -> None:
        self.queue.documents.pop(entry_id, None)

    async def claim(self, key: str, now: datetime, lease_seconds: float) -> bool:
        return True

    async def release(self, key: str) -> None:
        return None


class FakeSms:
    channel = Channel.sms

    def __init__(self, *outcomes: SendOutcome) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[Outgoing] = []

    async def send(self, outgoing: Outgoing) -> SendOutcome:
        self.sent.append(outgoing)
        return self.outcomes.pop(0) if self.outcomes else Sent(provider_id="p-1")


def code(**overrides) -> dict:
    return {
        "request_id": "req-1",
        "guardian_id": "gdn-1",
        "phone": "13900000001",
        "code": "482913",
        "language": "zh-CN",
        "expires_at": (NOW + timedelta(minutes=5)).isoformat(),
    } | overrides


def event(payload: dict, event_type: str = "sign-in-code-requested") -> dict:
    return {
        "event_id": "evt-1",
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": NOW.isoformat(),
        "producer": "portal",
        "district_id": "d-yecheng",
        "school_id": None,
        "payload": payload,
        "a_later_field": "ignored",
    }


def service(*outcomes: SendOutcome) -> tuple[Credentials, FakeStore, FakeSms]:
    store, sms = FakeStore(), FakeSms(*outcomes)
    return Credentials(store, SETTINGS, lambda: {Channel.sms: sms}), store, sms  # type: ignore[arg-type]


async def deliver_due(made: Credentials, store: FakeStore, now: datetime) -> None:
    for entry in sorted(store.queue.documents.values(), key=lambda e: e["due_at"]):
        if entry["due_at"] <= now:
            await made.send(entry, now)


def test_a_code_is_texted_in_the_guardians_language():
    zh = credentials.sign_in_code(CodeRequest.model_validate(code()), NOW)
    en = credentials.sign_in_code(CodeRequest.model_validate(code(language="en")), NOW)
    assert zh["body"] == "【家校社协同育人】您的登录验证码是 482913，5分钟内有效。请勿将验证码告诉他人。"
    assert "Your sign-in code is 482913" in en["body"]
    assert zh["channels"] == ["sms"]
    assert zh["to"] == {"sms": "13900000001"}
    assert zh["_id"] == "sign-in-code-requested-req-1"


def test_a_code_is_first_in_the_dispatchers_line():
    made = credentials.sign_in_code(CodeRequest.model_validate(code()), NOW)
    assert made["due_at"] < NOW - timedelta(days=365)


def test_a_code_that_has_expired_is_dropped_with_the_reason_and_its_text_erased():
    late = credentials.sign_in_code(CodeRequest.model_validate(code(expires_at=NOW.isoformat())), NOW)
    assert late["status"] == "cancelled"
    assert late["failure_reason"] == credentials.EXPIRED
    assert "482913" not in late["body"]


def test_an_activation_goes_by_email_when_there_is_an_address_else_by_sms():
    url = "http://127.0.0.1:8000/activate#tok"
    both = ActivationRequest.model_validate(
        {
            "request_id": "a-1",
            "email": "wang@school.cn",
            "phone": "139",
            "activation_url": url,
            "expires_at": NOW,
        }
    )
    phone = ActivationRequest.model_validate(
        {"request_id": "a-2", "phone": "139", "activation_url": url, "expires_at": NOW + timedelta(days=3)}
    )
    assert credentials.activation(both, NOW - timedelta(days=1))["channels"] == ["email", "sms"]
    made = credentials.activation(phone, NOW)
    assert made["channels"] == ["sms"]
    assert made["body"] == f"您的账号已开通，请在3天内点击设置密码：{url}"


async def test_a_code_is_sent_once_however_often_the_event_arrives():
    made, store, sms = service()
    handle = made.handler()
    await handle(event(code()))
    await handle(event(code()))  # redelivered before it went out
    await deliver_due(made, store, NOW)
    await handle(event(code()))  # and after
    await deliver_due(made, store, NOW)
    assert [(o.to, o.body) for o in sms.sent] == [
        ("13900000001", "【家校社协同育人】您的登录验证码是 482913，5分钟内有效。请勿将验证码告诉他人。")
    ]
    [kept] = store.db[CREDENTIALS].documents.values()
    assert kept["status"] == "sent"
    assert "482913" not in kept["body"]  # the code is not kept once sent
    assert store.queue.documents == {}
    assert store.db[MESSAGES].documents == {}  # in no inbox; no notification-delivered either


async def test_a_code_whose_sending_outlives_it_is_dropped_not_sent_late():
    made, store, sms = service(TryLater("provider error 500"))
    await made.handler()(event(code()))
    await deliver_due(made, store, NOW)
    await deliver_due(made, store, NOW + timedelta(minutes=6))
    assert len(sms.sent) == 1
    [kept] = store.db[CREDENTIALS].documents.values()
    assert (kept["status"], kept["failure_reason"]) == ("cancelled", credentials.EXPIRED)
    assert store.queue.documents == {}


async def test_a_refused_number_is_recorded_failed():
    made, store, _ = service(Refused("provider refused (400)"))
    await made.handler()(event(code()))
    await deliver_due(made, store, NOW)
    [kept] = store.db[CREDENTIALS].documents.values()
    assert kept["status"] == "failed"
    assert "482913" not in kept["body"]


@pytest.mark.parametrize("payload", [{"request_id": "r"}, {"code": "12"}])
async def test_a_request_missing_what_it_needs_is_refused_for_the_dead_letter_topic(payload):
    from pydantic import ValidationError

    made, _, _ = service()
    with pytest.raises(ValidationError):
        await made.handler()(event(payload))


async def test_an_unknown_event_type_on_the_topic_is_left_alone():
    made, store, _ = service()
    await made.handler()(event(code(), "something-new"))
    assert store.db[CREDENTIALS].documents == {}
