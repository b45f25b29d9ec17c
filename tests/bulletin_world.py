"""The world of the bulletin's end-to-end tests (issue 16): a generated district of its own
(tests/district_generator.py) published to the platform's topics and stored by reporting, and
the percentages as the pages show them. test_bulletin_document.py, test_console_bureau.py and
test_console_disputes.py share it.

Why a district of its own: its events are dated from September, so October's bulletin has its
schools; a school the registry records today (20 November on the school clock) is in no bulletin
of October.

A test module keeps its district for all its tests: a module-scoped fixture generates it (no
I/O), a function-scoped one hands it over once reporting has stored it::

    @pytest.fixture(scope="module")
    def generated() -> District:
        return new_district("d-doc")

    @pytest.fixture
    async def district(platform, infrastructure, eventually, generated) -> District:
        return await stored_district(platform, infrastructure, eventually, generated)
"""

import math
import uuid
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from contracts.envelope import Event
from district_generator import District, generate
from school_clock import SCHOOL_TODAY

MONTH = "2026-10"  # the last month ended on the school clock (2026-11-20): the pages' default

# the district reporting's settings name on the test platform (tests/e2e/conftest.py), so a test
# reads the bulletin's header without changing a running app; any other district is unnamed
NAMED_DISTRICT = f"d-named-{uuid.uuid4().hex[:8]}"
NAMED_DISTRICT_NAME = "测试县教育局"

Eventually = Callable[[Callable[[], Awaitable[bool]], float], Awaitable[None]]
_published: set[str] = set()  # districts whose events this session sent already


def percent(rate: float | None) -> str:
    """A rate as the pages show it: a percentage with at most one decimal (87.5%, 60%)."""
    if rate is None:
        return "—"
    tenths = math.floor(rate * 1000 + 0.5) / 10
    return f"{tenths:.0f}%" if tenths == int(tenths) else f"{tenths:.1f}%"


async def publish(infrastructure, events: list[Event]) -> None:
    """Send events to the platform's topics as their producers would (keyed by school)."""
    producer = AIOKafkaProducer(**infrastructure.kafka_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(e.topic, e.to_json(), key=e.school_id.encode()) for e in events]
        for delivery in sent:
            await delivery
    finally:
        await producer.stop()


def new_district(prefix: str, district_id: str | None = None, **shape: int) -> District:
    """A generated district with a fresh id (``<prefix>-<hex>``) unless one is given."""
    return generate(district_id or f"{prefix}-{uuid.uuid4().hex[:8]}", SCHOOL_TODAY, **shape)


async def stored_district(platform, infrastructure, eventually: Eventually, d: District) -> District:
    """The district once reporting has stored every visit, meeting, contact and registry record
    of it; its events are sent the first time only."""
    if d.district_id not in _published:
        await publish(infrastructure, d.events)
        _published.add(d.district_id)
    facts = platform.reporting_app.state.store.facts
    where = {"district_id": d.district_id}
    expected = {
        "visit_facts": len(d.visits),
        "meeting_facts": len(d.class_meetings) + len(d.school_meetings),
        "contact_facts": len(d.contacts),
        "registry_versions": sum(1 for e in d.events if e.topic.endswith("registry.v1")),
    }

    found: dict[str, int] = {}

    async def stored() -> bool:
        found.update({name: await facts.db[name].count_documents(where) for name in expected})
        return all(found[name] >= n for name, n in expected.items())  # a test may add records

    try:
        await eventually(stored, 240)  # a new consumer group replays the topics' history first
    except AssertionError as late:
        raise AssertionError(f"reporting stored {found} of {expected}") from late
    return d
