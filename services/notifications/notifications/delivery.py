"""Addressing notices and sending what is due.

``Outbox`` turns a notice into messages for its recipients and queues them in batches.
``Dispatcher`` is the service's background worker: it reads the due entries of the queue (batches
of messages, emergency escalations, sign-in codes …) level by level and fairly across schools
(``priorities``), claims each and runs it. A batch is sent in rounds; a round's messages, their
new states and their ``notification-delivered`` events are one change in the change log, so they
never diverge. Emergencies and time-critical news have a lane of their own: they never wait for
a free place behind a letter.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import aiohttp
from contracts.events.registry import Channel
from opentelemetry import metrics
from service_kit.changes import Change
from service_kit.loops import BackgroundLoop
from service_kit.storage import Document

from notifications import links, messages, preferences, priorities
from notifications.breaker import Breaker, paused
from notifications.channels import (
    ChannelAdapter,
    Outgoing,
    Refused,
    SendOutcome,
    Sent,
    TryLater,
    build_channels,
    close_channels,
    provider_client,
)
from notifications.priorities import Priority
from notifications.settings import Settings
from notifications.store import BATCH, GUARDIANS, MESSAGES, STAFF, NotificationStore, Planned

log = logging.getLogger(__name__)
_meter = metrics.get_meter("district.notifications")
_sent = _meter.create_counter("notifications.sent", description="Messages a channel accepted")
_failed = _meter.create_counter("notifications.failed", description="Messages parked with no channel left")
_retried = _meter.create_counter("notifications.retried", description="Sends to be tried again")

QueueHandler = Callable[[Document, datetime], Awaitable[None]]
# A planned batch's messages (``Outbox.plan``), made for its entry and plan, now.
PlanMaker = Callable[[Document, dict[str, Planned], datetime], Awaitable[list[Document]]]
# Failed sends in a row after which a channel's provider is paused (``breaker``).
BREAKER_THRESHOLD = 5
STOP_GRACE_SECONDS = 10.0  # how long rounds in flight may take to record what they sent
# Schools of a district letter addressed at once. A school's part only plans its batches from
# its kept roster (a fraction of a second), so a few at once address a county in seconds and
# leave the lane's other places to sending.
FANOUTS_AT_ONCE = 4
# More parts run at once while the guardians they address stay within this (four schools of
# 3,000): a small school's part takes its time in its few fixed store round trips, not in its
# guardians, and a county of 200 schools of 750 was addressed four at a time in 14 s.
GUARDIANS_ADDRESSED_AT_ONCE = 12_000
FANOUTS_AT_MOST = 16
# Bulk sending (every letter's, not only the one addressed: they share the cores) keeps this many
# places while a district letter's schools are addressed. On two cores, addressing a county beside
# four sending places took twice as long as beside one; its first batches still go out meanwhile.
BULK_PLACES_WHILE_ADDRESSING = 1
FAILED_STEP_PAUSE_SECONDS = 5.0  # a queued step that raised is tried again after this


class Outbox:
    def __init__(self, store: NotificationStore, settings: Settings) -> None:
        self.store, self.settings = store, settings

    async def tell(
        self,
        notice: messages.Notice,
        recipients: list[Document],
        students: dict[str, list[str]] | None = None,
        chosen: dict[str, Document] | None = None,
        school_name: str | None = None,
    ) -> list[Document]:
        """Address a notice to each recipient and queue what is new; returns the messages made.
        ``chosen``, ``school_name``: the recipients' preferences and the school's name when the
        caller has read them already."""
        if not recipients:
            log.info("notice without recipients", extra={"notice": notice.key})
            return []
        # read side by side, and only what the caller has not: an emergency's first message waits
        ids = [r["_id"] for r in recipients]
        if school_name is None and chosen is None:
            school_name, chosen = await asyncio.gather(
                self.store.school_name(notice.school_id), self.store.preferences_of(ids)
            )
        elif school_name is None:
            school_name = await self.store.school_name(notice.school_id)
        elif chosen is None:
            chosen = await self.store.preferences_of(ids)
        notice.variables.setdefault("school_name", school_name)
        made = self.address(notice, recipients, students or {}, chosen or {}, datetime.now(UTC))
        await self.store.add_messages(made)
        return made

    async def plan(
        self,
        notice: messages.Notice,
        recipients: list[Document],
        students: dict[str, list[str]],
        chosen: dict[str, Document],
    ) -> int:
        """Queue a large letter's part without writing its messages: each batch keeps only its
        recipients, and its messages are made (with the same ids) and written once, in their
        state after its first round (``Dispatcher.send_batch``). A message that goes another way
        (a digest, no contact) is queued as ``tell`` does. Returns how many messages are planned.

        A county's letter is 150,000 messages: written at addressing, read and rewritten at their
        first round, each crossed the store three more times than it needs to."""
        now = datetime.now(UTC)
        level = notice.priority(now, self.settings)
        planned: list[Document] = []  # what batches need of each message, not the message
        plans: dict[str, Planned] = {}
        others: list[Document] = []
        for n, recipient in enumerate(recipients, 1):
            if n % self.store.batch_size == 0:
                await asyncio.sleep(0)  # a county's part is thousands: an emergency goes between
            chosen_here = chosen.get(recipient["_id"], {})
            made_id = messages.planned_id(notice, recipient, chosen_here, level, now, self.settings)
            if made_id is None:
                others.append(recipient)
                continue
            planned.append(
                {
                    "_id": made_id,
                    "recipient_id": recipient["_id"],
                    "source_id": notice.source_id,
                    "school_id": notice.school_id,
                    "priority": int(level),
                    "sender": notice.sender or notice.school_id,
                    "due_at": now,
                }
            )
            children: list[str] = (
                students[recipient["_id"]]
                if recipient["_id"] in students
                else recipient.get("student_ids", [])
            )
            plans[recipient["_id"]] = Planned(messages.addressed_as(recipient), children, chosen_here)
        if others:
            await self.store.add_messages(self.address(notice, others, students, chosen, now))
        await self.store.add_planned(planned, notice.source_id, plans)
        return len(planned)

    def made_planned(
        self, notice: messages.Notice, plan: dict[str, Planned], now: datetime
    ) -> list[Document]:
        """A planned batch's messages, made from what its plan kept of each recipient."""
        recipients = [p.recipient for p in plan.values()]
        students = {g: p.students for g, p in plan.items()}
        chosen = {g: p.chosen for g, p in plan.items()}
        return self.address(notice, recipients, students, chosen, now)

    def address(
        self,
        notice: messages.Notice,
        recipients: list[Document],
        students: dict[str, list[str]],
        chosen: dict[str, Document],
        now: datetime,
    ) -> list[Document]:
        """The messages a notice becomes for these recipients, in memory."""
        texts = messages.Texts(notice, self.settings)
        made: list[Document] = []
        for recipient in recipients:
            made += messages.address(
                notice,
                recipient,
                chosen.get(recipient["_id"], {}),
                now,
                self.settings,
                students.get(recipient["_id"]),
                texts,
            )
        return made

    async def tell_guardians(
        self, notices: list[messages.Notice], guardian_ids: list[str], give_up: bool = False
    ) -> list[str]:
        """Tell the named guardians these notices (of one school); returns those not known here yet
        (the registry's event is still on its way), who are told nothing, or recorded as
        undeliverable when ``give_up``."""
        school_id = notices[0].school_id
        found = {g["_id"]: g for g in await self.store.named(GUARDIANS, school_id, guardian_ids)}
        for notice in notices:
            await self.tell(notice, [found[g] for g in guardian_ids if g in found])
        unknown = [g for g in guardian_ids if g not in found]
        if unknown and give_up:
            for notice in notices:
                whom: list[tuple[Document, list[str] | None]] = [
                    ({"_id": g, "kind": "guardian"}, None) for g in unknown
                ]
                await self._record_unreachable(notice, whom)
            return []
        return unknown

    async def tell_guardians_of(
        self, notice: messages.Notice, student_ids: list[str], give_up: bool = False
    ) -> list[str]:
        """Tell the students' guardians; returns the students none of whose guardians is known here
        yet, or records each as undeliverable when ``give_up``."""
        guardians = [
            g for g in await self.store.guardians_of(student_ids) if g["school_id"] == notice.school_id
        ]
        wanted = set(student_ids)
        students = {g["_id"]: sorted(wanted & set(g["student_ids"])) for g in guardians}
        await self.tell(notice, guardians, students)
        told = {s for g in guardians for s in g["student_ids"]}
        unknown = [s for s in student_ids if s not in told]
        if unknown and give_up:
            await self._record_unreachable(notice, [({"_id": s, "kind": "student"}, [s]) for s in unknown])
            return []
        return unknown

    async def _record_unreachable(
        self, notice: messages.Notice, whom: list[tuple[Document, list[str] | None]]
    ) -> None:
        now = datetime.now(UTC)
        reasons = {"guardian": messages.NOT_REGISTERED, "student": messages.NO_GUARDIAN}
        notice.variables.setdefault("school_name", await self.store.school_name(notice.school_id))
        await self.store.add_messages(
            [
                messages.undeliverable(
                    notice, recipient, reasons[recipient["kind"]], now, self.settings, students
                )
                for recipient, students in whom
            ]
        )
        log.warning(
            "recorded as undeliverable", extra={"notice": notice.key, "ids": [r["_id"] for r, _ in whom]}
        )

    async def superseded(self, source_id: str, version: int) -> bool:
        """Whether messages of a later version of this meeting exist already."""
        later = {"source_id": source_id, "source_version": {"$gt": version}}
        return bool(await self.store.find(MESSAGES, later))

    async def cancel_reminders(self, source_id: str, before_version: int) -> None:
        """Reminders of an earlier version of a meeting (moved or cancelled) are not sent."""
        now = datetime.now(UTC)
        for message in await self.store.messages_of({"source_id": source_id, "status": "queued"}):
            if message["purpose"] == "meeting_reminder" and message["source_version"] < before_version:
                await self.store.save_message(messages.cancel(message, now, "会议已改期或取消"))


async def failed_after_all(store: NotificationStore, message: Document, reason: str, now: datetime) -> None:
    """A provider reports that a message it accepted did not arrive: the next channel is tried, as
    for a refused send, and ``notification-undelivered`` takes back the reach announced before, in
    the same change. A repeated receipt finds the message no longer out and changes nothing."""
    if message["status"] not in ("sent", "delivered", "read"):
        return
    channel = Channel(message["sent_channel"])
    # a batch of its own: a round of its old batch may be running, and that round's write would
    # replace the batch's queued messages without this one
    batch = f"{message['_id']}-v{message['version'] + 1}"
    moved = messages.fall_back(message | {"status": "queued", "batch": batch}, now, reason)
    change = Change(
        MESSAGES,
        moved["_id"],
        moved["version"],
        moved,
        (messages.undelivered_event(message, channel, now),),
        {"subject": f"provider:{channel.value}", "role": "provider"},
        "通知",
    )
    await store.changes.record(change)
    if moved["status"] == "queued":
        level = Priority(moved.get("priority", Priority.normal))
        await store.requeue_batch(batch, moved["due_at"], level, moved["school_id"], moved.get("sender"))


@dataclass(frozen=True, slots=True)
class Places:
    """What a running queue entry holds of the dispatcher's room."""

    level: Priority
    fanout: bool  # addressing: no sending place, one of ``FANOUTS_AT_ONCE``
    part: bool  # a school's part of a district letter, which holds bulk sending back
    guardians: int  # a part's guardians; 0 for other work

    @classmethod
    def of(cls, entry: Document) -> Self:
        fanout = entry.get("kind") == "fanout"
        part = fanout and "announcement_id" in entry
        # a part queued without its count is taken for a large school
        guardians = int(entry.get("guardians", GUARDIANS_ADDRESSED_AT_ONCE)) if part else 0
        return cls(priorities.of_entry(entry), fanout, part, guardians)

    @property
    def urgent(self) -> bool:
        """Its lane: urgent (emergency, time-critical) or not."""
        return self.level.urgent

    @property
    def bulk(self) -> bool:
        """Bulk sending, fan-outs aside."""
        return self.level is Priority.bulk and not self.fanout


class Dispatcher(BackgroundLoop):
    """Runs due queue entries on two lanes, each with bounded concurrency; safe to run in several
    replicas (claims)."""

    task_name = "notification-dispatcher"

    def __init__(
        self,
        store: NotificationStore,
        settings: Settings,
        handlers: dict[str, QueueHandler] | None = None,
        channels: dict[Channel, ChannelAdapter] | None = None,
    ) -> None:
        """``channels`` replaces the configured ones (tests); otherwise they are built on start."""
        self.store, self.settings = store, settings
        self.channels: dict[Channel, ChannelAdapter] = channels or {}
        self._own_channels = channels is None
        self.handlers: dict[str, QueueHandler] = {BATCH: self.send_batch, "message": self._retired}
        self.handlers |= handlers or {}
        self._busy: set[str] = set()
        # entries that could not make progress (claimed elsewhere, a round being applied): not
        # tried again before this monotonic time, so the dispatcher does not spin on them
        self._not_before: dict[str, float] = {}
        self._stopping = False
        self._running = {True: 0, False: 0}  # by lane: urgent (emergency, time-critical) or not
        self._fanning = 0  # fan-outs running
        self._addressing = 0  # of which a district letter's school parts
        self._guardians_addressed = 0  # by those parts
        self._sending_bulk = 0  # bulk entries running, fan-outs aside
        self._lanes = {True: settings.delivery_urgent_concurrency, False: settings.delivery_concurrency}
        self._tasks: set[asyncio.Task[None]] = set()
        self._due: list[Document] = []
        # entries whose step ended since the queue read began: that read may show them as they
        # were before (a school's part finished and gone, a batch's round done), so they are not
        # started from it again; the next read, woken at once, shows them as they are now
        self._ended: set[str] = set()
        self._looked_at = -1e9
        self._providers: aiohttp.ClientSession | None = None
        self._breakers: dict[Channel, Breaker] = {}
        self.link_key = settings.link_key()
        self.make_planned: PlanMaker | None = None  # the letters' (set where the service is wired)

    async def dispatch_once(self) -> int:
        """Start due entries, in ``priorities.fair_order``, while their lane has room; returns how
        many were started. Urgent entries queued by this process start first, before the queue is
        read. The queue is read again when this process queued something, when the poll interval
        has passed, or when nothing is left to start."""
        handed = self.store.take_handed(datetime.now(UTC))
        started = len(handed) - len(self._start(priorities.fair_order(handed)))
        fresh = time.monotonic() - self._looked_at >= self.settings.delivery_poll_seconds
        if self.store.queued.is_set() or fresh or not self._due:
            self.store.queued.clear()
            self._ended = set()
            due = await self.store.due(datetime.now(UTC))
            self._due = priorities.fair_order([e for e in due if e["_id"] not in self._ended])
            self._looked_at = time.monotonic()
        waiting = len(self._due)
        self._due = self._start(self._due)
        return started + waiting - len(self._due)

    def _start(self, entries: list[Document]) -> list[Document]:
        """Start each entry, in order, whose lane has room; returns those left waiting."""
        left, now = [], time.monotonic()
        for entry in entries:
            places = Places.of(entry)
            resting = entry["_id"] in self._busy or self._not_before.get(entry["_id"], 0) > now
            if resting or not self._has_room(places):
                left.append(entry)
                continue
            self._busy.add(entry["_id"])
            self._hold(places, 1)
            task = asyncio.create_task(self._run(entry, places))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return left

    def _has_room(self, places: Places) -> bool:
        # addressing a district letter takes no sending place, nor waits for one: its first
        # batches go out while the other schools are addressed
        if places.fanout:
            if self._fanning < FANOUTS_AT_ONCE:
                return True
            addressed = self._guardians_addressed + places.guardians
            return (
                places.part and self._fanning < FANOUTS_AT_MOST and addressed <= GUARDIANS_ADDRESSED_AT_ONCE
            )
        # an emergency never waits for a place, not even behind time-critical work
        if places.level is Priority.emergency:
            return True
        if places.bulk and self._addressing and self._sending_bulk >= BULK_PLACES_WHILE_ADDRESSING:
            return False
        return self._running[places.urgent] < self._lanes[places.urgent]

    def _hold(self, places: Places, count: int) -> None:
        """Take (``count`` 1) or give back (-1) the places an entry holds while its step runs."""
        self._running[places.urgent] += count * (not places.fanout)
        self._fanning += count * places.fanout
        self._addressing += count * places.part
        self._guardians_addressed += count * places.guardians
        self._sending_bulk += count * places.bulk

    async def _run(self, entry: Document, places: Places) -> None:
        """Run an entry's step, then give back the places ``_start`` took for it."""
        self._not_before.pop(entry["_id"], None)
        try:
            await self.handlers[entry.get("kind", "message")](entry, datetime.now(UTC))
        except Exception:
            log.exception("delivery step failed; it stays queued", extra={"entry": entry["_id"]})
            # not again at once: a step failing every time must not keep its lane from the rest
            self._not_before[entry["_id"]] = time.monotonic() + FAILED_STEP_PAUSE_SECONDS
        finally:
            self._busy.discard(entry["_id"])
            self._ended.add(entry["_id"])
            self._hold(places, -1)
            self.store.queued.set()  # a place is free: look for the next entry at once

    async def _retired(self, entry: Document, now: datetime) -> None:
        """An entry of one message, from before batches: its message is sent in a batch of its
        own."""
        message = await self.store.get(MESSAGES, entry["_id"])
        await self.store.dequeue(entry["_id"])
        if message is not None and message["status"] == "queued":
            await self.store.save_message(message | {"batch": message.get("batch") or message["_id"]})

    # A batch ----------------------------------------------------------------------------------------

    async def send_batch(self, entry: Document, now: datetime) -> None:
        """One round of a batch: send what is due, record every queued message's next state and
        the events of those sent as one change, then queue the batch again for what is left."""
        if not await self.store.claim(entry["_id"], now, self.settings.delivery_lease_seconds):
            self._later(entry)  # another process has it
            return
        release = True
        try:
            batch = entry["_id"].removeprefix("batch-")
            found = await self.store.batch_round(batch)
            if found is None:
                self._later(entry)  # a round recorded elsewhere is being applied
                return
            rounds, queued = found
            made: list[Document] = []  # messages of a planned batch that will not be sent
            if not rounds and entry.get("planned"):
                queued, made = await self._made(entry, batch, now)
            if not queued and not made:
                await self.store.dequeue(entry["_id"])
                if entry.get("planned"):  # planned again by a part done twice, sent before
                    await self.store.drop_plan(batch)
                return
            after, events = await self._round(await self._refreshed(queued, now), now) if queued else ([], [])
            # Should the record fail, the claim is kept until its lease ends, so the round's
            # sends are not repeated at once (only after the lease, as after a crash).
            release = False
            await self.store.record_round(batch, rounds, after + made, tuple(events), datetime.now(UTC))
            release = True
            if not rounds and entry.get("planned"):
                await self.store.drop_plan(batch)  # its messages are written now
            left = [m for m in after if m["status"] == "queued"]
            if left:
                due = min(m["due_at"] for m in left)
                level = priorities.of_entry(entry)
                await self.store.requeue_batch(batch, due, level, left[0]["school_id"], entry.get("sender"))
            else:
                await self.store.dequeue(entry["_id"])
        finally:
            if release:
                await self.store.release(entry["_id"])

    async def _made(
        self, entry: Document, batch: str, now: datetime
    ) -> tuple[list[Document], list[Document]]:
        """A planned batch's messages, made at its first round: those to send, and any others
        (made as planned, there are none; they are recorded all the same). A round cut off
        before it was recorded makes the same messages again, with the same ids: a repeat the
        provider can drop."""
        plan = await self.store.plan_of(batch)
        if plan is None or self.make_planned is None:
            log.warning("planned batch without its recipients", extra={"batch": batch})
            return [], []
        made = [m | {"batch": batch} for m in await self.make_planned(entry, plan, now)]
        return [m for m in made if m["status"] == "queued"], [m for m in made if m["status"] != "queued"]

    def _later(self, entry: Document) -> None:
        self._not_before[entry["_id"]] = time.monotonic() + self.settings.delivery_poll_seconds

    async def _refreshed(self, queued: list[Document], now: datetime) -> list[Document]:
        """Messages that waited long take their recipients' current contacts and choices."""
        stale = [m for m in queued if messages.stale(m, now)]
        if not stale:
            return queued
        school_id = stale[0]["school_id"]
        people: dict[str, Document] = {}
        for collection, kind in ((GUARDIANS, "guardian"), (STAFF, "staff")):
            ids = sorted({m["recipient_id"] for m in stale if m["recipient_kind"] == kind})
            people |= {p["_id"]: p for p in await self.store.named(collection, school_id, ids)}
        chosen = await self.store.preferences_of(sorted({m["recipient_id"] for m in stale}))
        fresh = {
            m["_id"]: messages.refresh(m, people.get(m["recipient_id"]), chosen.get(m["recipient_id"], {}))
            for m in stale
        }
        return [fresh.get(m["_id"], m) for m in queued]

    async def _round(self, queued: list[Document], now: datetime) -> tuple[list[Document], list[Any]]:
        """Every queued message's next state, and the events of those that went out. Sends start
        while the round is young; what the round has no time left for waits for the next one, so
        a round ends well inside its claim's lease."""
        budget = time.monotonic() + self.settings.delivery_lease_seconds / 4
        units: dict[str, list[Document]] = {}
        for message in queued:
            if message["due_at"] > now:
                continue
            # a person's digest goes out as one message per channel
            unit = f"{message['recipient_id']}:{messages.current_channel(message)}"
            units.setdefault(unit if message.get("waiting") == "digest" else message["_id"], []).append(
                message
            )
        # sends in flight per channel: a provider that hangs holds up only its own channel's sends
        slots = {channel: asyncio.Semaphore(self.settings.delivery_sends_per_batch) for channel in Channel}
        # only a digest names the school in its subject
        bundled = any(len(unit) > 1 for unit in units.values())
        school = await self.store.school_name(queued[0]["school_id"]) if bundled else ""

        async def send(unit: list[Document]) -> list[Document]:
            async with slots[messages.current_channel(unit[0]) or Channel.app]:
                if time.monotonic() > budget or self._stopping:
                    return unit  # left for the next round (or the next process)
                return await self._send_unit(unit, school, datetime.now(UTC))

        results = await asyncio.gather(*(send(unit) for unit in units.values()))
        changed = {m["_id"]: m for result in results for m in result}
        after = [changed.get(m["_id"], m) for m in queued]
        went_out = [m for m in after if m["status"] in ("sent", "delivered") and m["_id"] in changed]
        return after, [messages.delivered_event(m) for m in went_out]

    async def _send_unit(self, unit: list[Document], school: str, now: datetime) -> list[Document]:
        """One send (of one message, or of a person's digest) and the next state of each message."""
        message = unit[0]
        until = messages.held_for_quiet_hours(message, now, self.settings)
        if until is not None:
            return [messages.hold(m, until, now) for m in unit]
        channel = messages.current_channel(message)
        assert channel is not None
        to = preferences.address(channel, message.get("contacts") or {})
        adapter = self.channels.get(channel)
        if to is None or adapter is None:
            reason = (
                messages.NO_CONTACT if to is None else f"渠道 {channel.value} 未配置 (channel not configured)"
            )
            return [messages.fall_back(m, now, reason) for m in unit]
        subject, body = message["subject"], self._personal(message)
        if len(unit) > 1:
            title = "今日通知汇总" if message["language"] == "zh-CN" else "Today's notices"
            subject = f"{title} · {school}"
            body = "\n\n".join(f"{m['subject']}\n{self._personal(m)}" for m in unit)
        urgent = Priority(message.get("priority", Priority.normal)).urgent
        breaker = self._breakers.setdefault(
            channel, Breaker(BREAKER_THRESHOLD, self.settings.delivery_backoff_seconds)
        )
        if breaker.refuses(time.monotonic()):
            outcome: SendOutcome = paused()
        else:
            outcome = TryLater("send interrupted")
            try:
                outcome = await adapter.send(
                    Outgoing(message["_id"], channel, to, subject, body, urgent=urgent)
                )
            finally:  # a send that raised counts as failed: the breaker is never left probing
                breaker.record(outcome, time.monotonic())
        after = [messages.after_send(m, outcome, now, self.settings) for m in unit]
        if isinstance(outcome, Sent):
            _sent.add(len(unit), {"channel": channel.value})
        elif after[0]["status"] == "failed":
            _failed.add(len(unit), {"channel": channel.value})
            log.warning(
                "message parked", extra={"message_id": message["_id"], "reason": after[0]["failure_reason"]}
            )
        elif isinstance(outcome, Refused):
            log.warning("channel refused", extra={"message_id": message["_id"], "channel": channel.value})
        else:
            _retried.add(len(unit), {"channel": channel.value})
        return after

    def _personal(self, message: Document) -> str:
        """The text the guardian receives: with their one-tap link, signed now (the stored text
        shows only the page's address)."""
        return links.personal_text(message["body"], message, self.settings.portal_public_url, self.link_key)

    async def run(self) -> None:
        while True:
            try:
                await self.dispatch_once()
                # woken by work queued here or a lane freed, else at the next poll
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.store.queued.wait(), self.settings.delivery_poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher failed; retrying")
                await asyncio.sleep(self.settings.delivery_poll_seconds * 5)

    def start(self) -> None:
        self._stopping = False
        if self._own_channels:
            self._providers = provider_client(self.settings)
            self.channels = build_channels(self.settings, self._providers)
        super().start()

    async def stop(self) -> None:
        # Rounds in flight start no more sends and record what they sent, so a deploy does not
        # repeat them; only what does not finish in time is cancelled (and repeated after the lease).
        self._stopping = True
        await super().stop()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=STOP_GRACE_SECONDS)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await close_channels(self.channels.values())
        if self._providers:
            await self._providers.close()
            self._providers = None
