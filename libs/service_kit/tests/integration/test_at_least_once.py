"""A consumer killed mid-batch loses nothing: the offset is committed only after the effect is
stored, so the message it was handling comes back to the next consumer of the group."""

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from service_kit.messaging import build_broker, ensure_topics, kafka_client_options, subscribe
from service_kit.settings import ServiceSettings

pytestmark = pytest.mark.infra


async def test_message_in_flight_when_consumer_is_killed_is_redelivered(infrastructure):
    run = uuid.uuid4().hex[:8]
    topic, collection = f"test.at-least-once.{run}", f"seen_{run}"
    env = infrastructure.settings_env(f"atleastonce{run}")
    settings = ServiceSettings(**env)
    await ensure_topics(settings, [topic])
    events = [f"e{i}-{run}" for i in range(5)]
    seen = AsyncMongoClient(infrastructure.mongodb_url)[settings.mongodb_database][collection]

    first = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("stalling_consumer.py")),
        topic,
        collection,
        events[2],
        env=os.environ | {f"DISTRICT_{k.upper()}": v for k, v in env.items()},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(60):
            assert (await first.stdout.readline()).strip() == b"started"
            await _publish(settings, topic, events)
            assert (await first.stdout.readline()).strip() == b"stalled"
        assert {d["_id"] for d in await seen.find().to_list()} == set(events[:2])
        # Longer than aiokafka's auto-commit interval (5 s): a consumer that commits on receipt
        # (FastStream's default ACK_FIRST) would by now have committed past the stalled message.
        await asyncio.sleep(6)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()

    second_saw: list[str] = []
    caught_up = asyncio.Event()

    async def handle(event: dict) -> None:
        await seen.update_one({"_id": event["event_id"]}, {"$set": {"by": "second"}}, upsert=True)
        second_saw.append(event["event_id"])
        if set(events[2:]) <= set(second_saw):
            caught_up.set()

    broker = build_broker(settings)
    subscribe(broker, settings, topic, handle)
    await broker.start()
    try:
        async with asyncio.timeout(90):  # the group hands the partition over after the session times out
            await caught_up.wait()
    finally:
        await broker.stop()

    assert {d["_id"] for d in await seen.find().to_list()} == set(events)
    assert events[2] in second_saw


async def _publish(settings: ServiceSettings, topic: str, events: list[str]) -> None:
    producer = AIOKafkaProducer(**kafka_client_options(settings), acks="all")
    await producer.start()
    try:
        for event_id in events:
            await producer.send_and_wait(topic, json.dumps({"event_id": event_id}).encode(), key=b"school")
    finally:
        await producer.stop()
