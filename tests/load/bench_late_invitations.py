"""Benchmark of scheduling following the registry while meetings lie ahead (`make infra-start` or
`make up` first: it needs the local store only).

Feeds one school's registry events (a student, then its guardian, as a roster import sends them)
straight into scheduling's handler, on a fresh database, twice: with no meeting ahead, and with a
class meeting for every class and ten school-wide reception days ahead, where every guardian is
invited late to eleven meetings. Prints events per second and the late invitations recorded.
Bounded: 2 × N events against 127.0.0.1, then the bench database is dropped.
"""

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from scheduling.handlers import on_registry_event
from scheduling.meetings import LATE_INVITATIONS, MEETINGS
from scheduling.store import VisitStore
from service_kit.settings import ServiceSettings
from service_kit.storage import connect

SCHOOL, DISTRICT = "sch-bench", "d-bench"
CLASSES = [f"cls-{n}" for n in range(20)]


def meeting(n: int, level: str, class_ids: list[str], starts: datetime) -> dict:
    return {
        "_id": f"m-bench-{n}",
        "meeting_id": f"m-bench-{n}",
        "district_id": DISTRICT,
        "school_id": SCHOOL,
        "kind": "reception_day" if level == "school" else "parent_meeting",
        "level": level,
        "class_ids": class_ids,
        "title": "基准会议",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "place": "",
        "status": "planned",
        "invitee_ids": [],
        "version": 1,
    }


def events(count: int) -> list[dict]:
    """``count`` students, each followed by its guardian."""
    envelope = {"district_id": DISTRICT, "school_id": SCHOOL}
    out = []
    for n in range(count // 2):
        student = {"student_id": f"stu-{n}", "class_id": CLASSES[n % len(CLASSES)], "status": "enrolled"}
        out.append(
            envelope
            | {"event_type": "student-changed", "payload": student | {"care_categories": [], "version": 1}}
        )
        guardian = {"guardian_id": f"gdn-{n}", "student_ids": [f"stu-{n}"], "version": 1}
        out.append(envelope | {"event_type": "guardian-changed", "payload": guardian})
    return out


async def run(count: int, meetings_ahead: bool) -> tuple[float, int]:
    settings = ServiceSettings(mongodb_database="district_bench_late_invitations")
    client = connect(settings)
    await client.drop_database(settings.mongodb_database)
    store = VisitStore(client[settings.mongodb_database])
    if meetings_ahead:
        soon = datetime.now(UTC) + timedelta(days=7)
        planned = [meeting(n, "class", [c], soon) for n, c in enumerate(CLASSES)]
        planned += [meeting(100 + n, "school", [], soon + timedelta(days=n)) for n in range(10)]
        await store.db[MEETINGS].insert_many(planned)
    handle = on_registry_event(store)
    started = time.perf_counter()
    for event in events(count):
        await handle(event)
    seconds = time.perf_counter() - started
    invited = await store.db[LATE_INVITATIONS].count_documents({})
    await client.drop_database(settings.mongodb_database)
    await client.close()
    return count / seconds, invited


async def main(count: int) -> None:
    for ahead in (False, True):
        rate, invited = await run(count, ahead)
        label = "20 class meetings and 10 reception days ahead" if ahead else "no meeting ahead"
        print(f"{label}: {rate:.0f} registry events/s, {invited} late invitations")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400)
    asyncio.run(main(parser.parse_args().events))
