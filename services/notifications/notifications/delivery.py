"""Addressing notices and sending what is due.

``Outbox`` turns a notice into messages for its recipients and queues them. ``Dispatcher`` is the
service's background worker: it reads the due entries of the queue (messages, and emergency
escalations), claims each, sends it on its current channel and records the outcome. A delivered
message and its ``notification-delivered`` event are one change in the change log, so they never
diverge.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from contracts.events.registry import Channel
from opentelemetry import metrics
from service_kit.changes import Change
from service_kit.loops import BackgroundLoop
from service_kit.storage import Document

from notifications import links, messages, preferences
from notifications.channels import ChannelAdapter, Outgoing, Refused, Sent, build_channels
from notifications.settings import Settings
from notifications.store import GUARDIANS, MESSAGES, STAFF, NotificationStore, group_of

log = logging.getLogger(__name__)
_meter = metrics.get_meter("district.notifications")
_sent = _meter.create_counter("notifications.sent", description="Messages a channel accepted")
_failed = _meter.create_counter("notifications.failed", description="Messages parked with no channel left")
_retried = _meter.create_counter("notifications.retried", description="Sends to be tried again")

QueueHandler = Callable[[Document, datetime], Awaitable[None]]


class Outbox:
    def __init__(self, store: NotificationStore, settings: Settings) -> None:
        self.store, self.settings = store, settings

    async def tell(
        self,
        notice: messages.Notice,
        recipients: list[Document],
        students: dict[str, list[str]] | None = None,
    ) -> list[Document]:
        """Address a notice to each recipient and queue what is new; returns the messages made."""
        if not recipients:
            log.info("notice without recipients", extra={"notice": notice.key})
            return []
        now = datetime.now(UTC)
        notice.variables.setdefault("school_name", await self.store.school_name(notice.school_id))
        made: list[Document] = []
        for recipient in recipients:
            chosen = await self.store.preferences(recipient["_id"])
            made += messages.address(
                notice, recipient, chosen, now, self.settings, (students or {}).get(recipient["_id"])
            )
        await self.store.add_messages(made)
        return made

    async def tell_guardians(
        self, notices: list[messages.Notice], guardian_ids: list[str], give_up: bool = False
    ) -> list[str]:
        """Tell the named guardians these notices (of one school); returns those not known here yet
        (the registry's event is still on its way), who are told nothing, or recorded as
        undeliverable when ``give_up``."""
        school_id = notices[0].school_id
        found = {g["_id"]: g for g in await self.store.find(GUARDIANS, {"school_id": school_id})}
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
                await self.store.dequeue(message["_id"])


async def failed_after_all(store: NotificationStore, message: Document, reason: str, now: datetime) -> None:
    """A provider reports that a message it accepted did not arrive: the next channel is tried, as
    for a refused send, and ``notification-undelivered`` takes back the reach announced before, in
    the same change. A repeated receipt finds the message no longer out and changes nothing."""
    if message["status"] not in ("sent", "delivered", "read"):
        return
    channel = Channel(message["sent_channel"])
    moved = messages.fall_back(message | {"status": "queued"}, now, reason)
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
        await store.enqueue(moved["_id"], moved["due_at"])


class Dispatcher(BackgroundLoop):
    """Sends due messages with bounded concurrency; safe to run in several replicas (claims)."""

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
        self.handlers: dict[str, QueueHandler] = {"message": self.deliver} | (handlers or {})
        self._busy: set[str] = set()
        self._providers: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.delivery_concurrency)
        self.link_key = settings.link_key()

    async def dispatch_once(self) -> int:
        """Start every due entry not already in hand; returns how many were started."""
        now = datetime.now(UTC)
        entries = []
        for entry in await self.store.due(now, self.settings.delivery_concurrency * 8):
            keys = {entry["_id"], entry.get("group") or entry["_id"]}
            if not keys & self._busy:
                self._busy |= keys
                entries.append(entry)
        await asyncio.gather(*(self._run(entry) for entry in entries))
        return len(entries)

    async def _run(self, entry: Document) -> None:
        async with self._slots:
            try:
                await self.handlers[entry.get("kind", "message")](entry, datetime.now(UTC))
            except Exception:
                log.exception("delivery step failed; it stays queued", extra={"entry": entry["_id"]})
            finally:
                self._busy -= {entry["_id"], entry.get("group") or entry["_id"]}

    async def deliver(self, entry: Document, now: datetime) -> None:
        message = await self.store.get(MESSAGES, entry["_id"])
        if message is None or message["status"] != "queued":
            await self.store.dequeue(entry["_id"])
            return
        claim = f"{message['_id']}:{message['version']}"
        if not await self.store.claim(claim, now, self.settings.delivery_lease_seconds):
            return
        try:
            await self._deliver(message, now)
        finally:
            await self.store.release(claim)

    async def _deliver(self, message: Document, now: datetime) -> None:
        recipient = await self.store.get(
            GUARDIANS if message["recipient_kind"] == "guardian" else STAFF, message["recipient_id"]
        )
        chosen = await self.store.preferences(message["recipient_id"])
        until = messages.held_for_quiet_hours(message, chosen, now, self.settings)
        if until is not None:
            await self._save(messages.hold(message, until, now))
            return
        channel = messages.current_channel(message)
        assert channel is not None
        to = preferences.address(channel, (recipient or {}).get("contacts") or {})
        adapter = self.channels.get(channel)
        if to is None or adapter is None:
            reason = (
                messages.NO_CONTACT if to is None else f"渠道 {channel.value} 未配置 (channel not configured)"
            )
            await self._save(messages.fall_back(message, now, reason))
            return
        bundled: list[Document] = []
        if message.get("waiting") == "digest":
            bundled = await self._digest_companions(message, now)
        try:
            await self._send(message, bundled, adapter, channel, to, now)
        finally:
            for companion in bundled:
                await self.store.release(f"{companion['_id']}:{companion['version']}")

    async def _send(
        self,
        message: Document,
        bundled: list[Document],
        adapter: ChannelAdapter,
        channel: Channel,
        to: str,
        now: datetime,
    ) -> None:
        subject, body = message["subject"], self._personal(message)
        if bundled:
            school = await self.store.school_name(message["school_id"])
            subject = (
                "今日通知汇总" if message["language"] == "zh-CN" else "Today's notices"
            ) + f" · {school}"
            body = "\n\n".join(f"{m['subject']}\n{self._personal(m)}" for m in [message, *bundled])
        outcome = await adapter.send(Outgoing(message["_id"], channel, to, subject, body))
        after = messages.after_send(message, outcome, now, self.settings)
        if isinstance(outcome, Sent):
            _sent.add(1 + len(bundled), {"channel": channel.value})
            for companion in bundled:
                await self._record_sent(messages.after_send(companion, outcome, now, self.settings))
            await self._record_sent(after)
            return
        if after["status"] == "failed":
            _failed.add(1, {"channel": channel.value})
            log.warning(
                "message parked", extra={"message_id": message["_id"], "reason": after["failure_reason"]}
            )
        elif isinstance(outcome, Refused):
            log.warning("channel refused", extra={"message_id": message["_id"], "channel": channel.value})
        else:
            _retried.add(1, {"channel": channel.value})
        await self._save(after)

    def _personal(self, message: Document) -> str:
        """The text the guardian receives: with their one-tap link, signed now (the stored text
        shows only the page's address)."""
        return links.personal_text(message["body"], message, self.settings.portal_public_url, self.link_key)

    async def _digest_companions(self, message: Document, now: datetime) -> list[Document]:
        """Other digest messages to the same person now due: they go out as one message."""
        waiting = await self.store.messages_of(
            {"recipient_id": message["recipient_id"], "status": "queued", "waiting": "digest"}
        )
        companions = []
        lease = self.settings.delivery_lease_seconds
        for m in waiting:
            same_route = (
                m["channels"] == message["channels"] and m["channel_index"] == message["channel_index"]
            )
            due = m["_id"] != message["_id"] and m["due_at"] <= now and same_route
            # claimed like the message itself, so no other sender takes it meanwhile
            if due and await self.store.claim(f"{m['_id']}:{m['version']}", now, lease):
                companions.append(m)
        return companions

    async def _record_sent(self, message: Document) -> None:
        """The delivered state and its event in one change; then the queue entry goes."""
        change = Change(
            MESSAGES,
            message["_id"],
            message["version"],
            message,
            (messages.delivered_event(message),),
            {"subject": "notifications", "role": "dispatcher"},
            "通知",
        )
        await self.store.changes.record(change)
        await self.store.dequeue(message["_id"])

    async def _save(self, message: Document) -> None:
        await self.store.save_message(message)
        if message["status"] == "queued":
            await self.store.enqueue(message["_id"], message["due_at"], group=group_of(message))
        else:
            await self.store.dequeue(message["_id"])

    async def run(self) -> None:
        while True:
            try:
                if await self.dispatch_once() == 0:
                    await asyncio.sleep(self.settings.delivery_poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher failed; retrying")
                await asyncio.sleep(self.settings.delivery_poll_seconds * 5)

    def start(self) -> None:
        if self._own_channels:
            self._providers = httpx.AsyncClient(timeout=self.settings.provider_timeout_seconds)
            self.channels = build_channels(self.settings, self._providers)
        super().start()

    async def stop(self) -> None:
        await super().stop()
        if self._providers:
            await self._providers.aclose()
            self._providers = None
