"""A consumer process that stores each event it handles and stalls forever on one of them.

Run by test_at_least_once.py, which kills it with SIGKILL while it is stalled.
"""

import asyncio
import sys

from pymongo import AsyncMongoClient
from service_kit.messaging import build_broker, subscribe
from service_kit.settings import ServiceSettings


async def main(topic: str, collection: str, stall_on: str) -> None:
    settings = ServiceSettings()
    seen = AsyncMongoClient(settings.mongodb_url)[settings.mongodb_database][collection]
    broker = build_broker(settings)

    async def handle(event: dict) -> None:
        if event["event_id"] == stall_on:
            print("stalled", flush=True)
            await asyncio.Event().wait()
        await seen.update_one({"_id": event["event_id"]}, {"$set": {"by": "first"}}, upsert=True)

    subscribe(broker, settings, topic, handle)
    await broker.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
