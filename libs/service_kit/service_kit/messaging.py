"""Kafka through FastStream: the broker every service runs inside its FastAPI lifespan.

Delivery promises (DESIGN.md section 4):
- producers are idempotent with ``acks=all``, set explicitly (aiokafka defaults to ``acks=1``);
- consumers commit an offset only after the handler has stored its effect
  (``AckPolicy.NACK_ON_ERROR``: no auto-commit, commit after the batch, seek back on error);
- a failing message is retried with exponential back-off, then parked on ``<topic>.dlt`` with the
  reason in its headers, and the partition moves on; a malformed message is parked at once.

Every client (FastStream's, the admin client, reporting's replay) authenticates with the service's
own SASL principal when ``DISTRICT_KAFKA_USERNAME`` is set; the broker's ACLs then decide what it
may touch (``service_kit.broker_access``).
"""

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from contracts.topic_names import dead_letter_topic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, TracerProvider
from pydantic import ValidationError

from service_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
T = TypeVar("T")


class MalformedEvent(Exception):
    """The message can never be handled: retrying would not help, so it is parked at once."""


def _tls(settings: ServiceSettings) -> ssl.SSLContext | None:
    return ssl.create_default_context() if settings.kafka_security_protocol == "SASL_SSL" else None


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """The service's SASL login for FastStream, or None when no credentials are configured."""
    if settings.kafka_username is None or settings.kafka_password is None:
        return None
    kind = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
    return kind[settings.kafka_sasl_mechanism](
        username=settings.kafka_username,
        password=settings.kafka_password.get_secret_value(),
        ssl_context=_tls(settings),
        use_ssl=settings.kafka_security_protocol == "SASL_SSL",
    )


def kafka_client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's own clients (admin, producer, consumer): the bootstrap
    servers and, when credentials are configured, the SASL login."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    if settings.kafka_username is not None and settings.kafka_password is not None:
        options |= {
            "security_protocol": settings.kafka_security_protocol,
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_username,
            "sasl_plain_password": settings.kafka_password.get_secret_value(),
            "ssl_context": _tls(settings),
        }
    return options


def build_broker(settings: ServiceSettings, tracer_provider: TracerProvider | None = None) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"district-{settings.service_name}",
        acks="all",
        enable_idempotence=True,
        security=broker_security(settings),
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        logger=logging.getLogger(f"{settings.service_name}.kafka"),
    )


def decode(body: bytes | None) -> dict[str, Any]:
    if not body:
        raise MalformedEvent("empty record")
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise MalformedEvent("not a JSON object")
    return message


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    handle: Handler,
    *,
    description: str | None = None,
) -> None:
    """Consume ``topic`` in the service's group, calling ``handle`` with each decoded event.

    ``handle`` must be idempotent (events arrive at least once) and raise ``MalformedEvent`` or a
    pydantic ``ValidationError`` for input that can never succeed. Records come in batches and the
    offset is committed once the whole batch is stored: one commit per batch instead of one per
    record, and a crash redelivers at most the batch, which idempotent handlers absorb.
    """
    tracer = trace.get_tracer("district.consumer")

    async def consume(batch: KafkaMessage) -> None:
        for record in _records(batch):
            headers = {key: value.decode(errors="replace") for key, value in record.headers or ()}
            with tracer.start_as_current_span(
                f"{topic} process",
                context=propagate.extract(headers),
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": topic,
                    "messaging.kafka.destination.partition": record.partition,
                    "messaging.kafka.message.offset": record.offset,
                },
            ):
                reason = await _handle_with_retries(record.value, handle, settings)
                if reason is not None:
                    await park(broker, topic, record, reason, settings.service_name)

    consume.__doc__ = description or handle.__doc__
    _register(broker, settings, topic, consume)


def subscribe_batches(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    read: Callable[[dict[str, Any]], T | None],
    store: Callable[[list[T]], Awaitable[None]],
    *,
    description: str | None = None,
) -> None:
    """Consume ``topic`` in the service's group a batch at a time: ``read`` turns each decoded
    event into what is kept of it (None: nothing), raising ``MalformedEvent`` or a pydantic
    ``ValidationError`` for input that can never succeed, which is parked at once; ``store`` then
    keeps the batch's in one go, idempotently, before its offsets are committed. A failure of
    ``store`` is retried with back-off, then raised: the batch is not committed and comes back."""

    async def consume(batch: KafkaMessage) -> None:
        kept: list[T] = []
        for record in _records(batch):
            try:
                found = read(decode(record.value))
            except (MalformedEvent, ValidationError) as exc:
                await park(broker, topic, record, f"malformed: {exc}", settings.service_name)
                continue
            if found is not None:
                kept.append(found)
        await _retried(settings, lambda: store(kept), "storing a batch")

    consume.__doc__ = description or read.__doc__
    _register(broker, settings, topic, consume)


def _register(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    consume: Callable[[KafkaMessage], Awaitable[None]],
) -> None:
    """Consume ``topic`` in the service's group, a batch at a time, committing after each."""
    broker.subscriber(
        topic,
        group_id=settings.consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=100,
        title=f"{settings.service_name}:{topic}",
    )(consume)


def _records(batch: KafkaMessage) -> tuple["ConsumerRecord[Any, Any]", ...]:
    raw = batch.raw_message
    return raw if isinstance(raw, tuple) else (raw,)


async def _handle_with_retries(body: bytes | None, handle: Handler, settings: ServiceSettings) -> str | None:
    """Run ``handle``; return None on success or the reason to dead-letter the message."""
    try:
        await _retried(settings, lambda: handle(decode(body)), "handler")
    except (MalformedEvent, ValidationError) as exc:
        return f"malformed: {exc}"
    except Exception as exc:
        return f"failed after {settings.consumer_max_attempts} attempts: {type(exc).__name__}: {exc}"
    return None


async def _retried(settings: ServiceSettings, action: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``action``, again with back-off while it fails, up to the settings' attempts; its last
    failure is raised. Input that can never succeed is raised at once."""
    delay = settings.consumer_backoff_seconds
    for attempt in range(1, settings.consumer_max_attempts + 1):
        try:
            await action()
            return
        except (MalformedEvent, ValidationError):
            raise
        except Exception as exc:
            if attempt == settings.consumer_max_attempts:
                raise
            log.warning(f"{what} failed, retrying", extra={"attempt": attempt, "error": repr(exc)})
            await asyncio.sleep(delay)
            delay *= 2


async def park(
    broker: KafkaBroker, topic: str, record: "ConsumerRecord[Any, Any]", reason: str, service: str
) -> None:
    """Publish the original bytes to the dead-letter topic with why and where it came from.

    If this publish fails the exception propagates, the offset is not committed, and the batch
    comes back: a message is never dropped silently.
    """
    log.error("dead-lettering message", extra={"topic": topic, "reason": reason})
    await broker.publish(
        record.value,
        topic=dead_letter_topic(topic),
        key=record.key,
        headers={
            "dlt-reason": reason[:2000],
            "dlt-original-topic": topic,
            "dlt-original-partition": str(record.partition),
            "dlt-original-offset": str(record.offset),
            "dlt-consumer": service,
        },
    )


def with_dead_letters(topics: Iterable[str]) -> list[str]:
    """Each topic and the dead-letter topic its consumers park what they cannot handle on."""
    return sorted({name for topic in topics for name in (topic, dead_letter_topic(topic))})


async def partitions_of(settings: ServiceSettings, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of these topics, in order."""
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(sorted(set(topics)))
    finally:
        await admin.close()
    return sorted(
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    )


async def committed_offsets(
    settings: ServiceSettings, group: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """Where ``group`` has committed on each of these partitions it has committed on."""
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def start_at_the_end(settings: ServiceSettings, group: str, topics: Iterable[str]) -> None:
    """Commit ``group``'s offsets at the end of these topics, so a new consumer group starts with
    what is published from now on rather than replaying the broker's history (``auto_offset_reset``
    is ``earliest``). For a benchmark's or a test's own process on a shared broker."""
    partitions = await partitions_of(settings, topics)
    consumer = AIOKafkaConsumer(group_id=group, enable_auto_commit=False, **kafka_client_options(settings))
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def ensure_topics(settings: ServiceSettings, names: Iterable[str]) -> None:
    """Create each of these topics that is missing, with the configured partitions.

    Only topics the client may describe are listed, so under ACLs a service names only topics
    it may create (``broker_access.topics_created``)."""
    names = sorted(set(names))
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, settings.kafka_topic_partitions, settings.kafka_replication_factor)
            for name in names
            if name not in existing
        ]
        if missing:
            answer = await admin.create_topics(missing)
            # aiokafka returns each topic's error code rather than raising; another service
            # creating the same topic meanwhile is fine, anything else (a missing CREATE ACL) is not
            refused = {
                topic: f"{for_code(code).__name__}: {message or ''}".strip()
                for topic, code, *rest in answer.topic_errors
                for message in (rest[0] if rest else None,)
                if code not in (0, TopicAlreadyExistsError.errno)
            }
            if refused:
                raise RuntimeError(f"the broker refused to create topics: {refused}")
    finally:
        await admin.close()
