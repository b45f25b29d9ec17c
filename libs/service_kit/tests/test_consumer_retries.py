"""Retries with back-off, then a reason to dead-letter; malformed input is parked at once; a batch
whose storing keeps failing is raised, so it is not committed and comes back."""

import pytest
from pydantic import BaseModel
from service_kit.messaging import _handle_with_retries, _retried
from service_kit.settings import ServiceSettings

SETTINGS = ServiceSettings(consumer_max_attempts=3, consumer_backoff_seconds=0.01)


class Shape(BaseModel):
    event_id: str


async def test_transient_failure_is_retried_until_it_succeeds():
    calls = []

    async def flaky(event: dict) -> None:
        calls.append(event)
        if len(calls) < 3:
            raise ConnectionError("store briefly unreachable")

    assert await _handle_with_retries(b'{"event_id": "e1"}', flaky, SETTINGS) is None
    assert len(calls) == 3


async def test_persistent_failure_gives_the_reason_after_the_last_attempt():
    calls = []

    async def broken(event: dict) -> None:
        calls.append(event)
        raise ConnectionError("store down")

    reason = await _handle_with_retries(b'{"event_id": "e1"}', broken, SETTINGS)

    assert reason == "failed after 3 attempts: ConnectionError: store down"
    assert len(calls) == 3


async def test_malformed_message_is_not_retried():
    calls = []

    async def strict(event: dict) -> None:
        calls.append(event)
        Shape.model_validate(event)

    assert (await _handle_with_retries(b"not json", strict, SETTINGS)).startswith("malformed: not JSON")
    assert (await _handle_with_retries(None, strict, SETTINGS)) == "malformed: empty record"
    assert (await _handle_with_retries(b"[1, 2]", strict, SETTINGS)) == "malformed: not a JSON object"
    assert "event_id" in await _handle_with_retries(b'{"other": 1}', strict, SETTINGS)
    assert len(calls) == 1


async def test_storing_a_batch_is_retried_then_its_last_failure_raised():
    stored: list[int] = []

    async def store_briefly_down() -> None:
        stored.append(1)
        if len(stored) < 2:
            raise ConnectionError("store briefly unreachable")

    await _retried(SETTINGS, store_briefly_down, "storing a batch")
    assert len(stored) == 2

    async def store_down() -> None:
        stored.append(1)
        raise ConnectionError("store down")

    stored.clear()
    with pytest.raises(ConnectionError, match="store down"):
        await _retried(SETTINGS, store_down, "storing a batch")
    assert len(stored) == 3
