"""Composition shared by the four services: one process serves HTTP and consumes Kafka.

The FastStream broker is started and stopped in the FastAPI lifespan (FastStream's FastAPI plugin
is deprecated). Start-up order: indexes, topics, broker, change relay; shutdown reverses it.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Protocol

from contracts.envelope import Event
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient

from service_kit.auth import trusted_keys
from service_kit.broker_access import topics_created
from service_kit.changes import ChangeRelay
from service_kit.errors import PROBLEM_RESPONSES, document_problems, install_problem_handlers
from service_kit.health import health_router
from service_kit.idempotency import IdempotencyMiddleware
from service_kit.inputs import refuse_control_characters
from service_kit.messaging import build_broker, ensure_topics
from service_kit.settings import ServiceSettings
from service_kit.storage import Database, Document, connect, service_database
from service_kit.telemetry import configure_logging, configure_telemetry, instrument_app

StartupStep = Callable[[], Awaitable[None]]


class Worker(Protocol):
    """A background loop run beside the HTTP server (the change relay, a dispatcher)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class ServiceRuntime:
    """The parts a service is built from: settings, broker, its database, telemetry."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.tracer_provider: TracerProvider = configure_telemetry(settings)
        self.broker: KafkaBroker = build_broker(settings, self.tracer_provider)
        self.client: AsyncMongoClient[Document] = connect(settings)
        self.db: Database = service_database(self.client, settings)

    def announce(self, event: type[Event]) -> None:
        """Declare an event this service publishes, for its AsyncAPI document.

        Events are sent by the change relay; this only describes the topic and payload schema.
        """
        event_type = event.model_fields["event_type"].default
        self.broker.publisher(
            event.topic,
            title=f"{event.topic}:{event_type}",
            description=(event.model_fields["payload"].annotation or event).__doc__,
            schema=event,
        )

    def asyncapi(self, title: str) -> dict[str, Any]:
        """The AsyncAPI 3.0 document of the topics this service publishes and consumes."""
        document = AsyncAPI(self.broker, title=title, version="0.1.0", schema_version="3.0.0")
        jsonable: dict[str, Any] = document.to_specification().to_jsonable()
        return jsonable

    def topics_written(self) -> list[str]:
        """The topics of the events this service announced (its change relay publishes them)."""
        return sorted({publisher.topic for publisher in self.broker.publishers})  # type: ignore[attr-defined]

    def topics_read(self) -> list[str]:
        """The topics this service subscribed to."""
        subscribers = self.broker.subscribers
        return sorted({name for s in subscribers for name in s.topic_names})  # type: ignore[attr-defined]

    def relay(self) -> ChangeRelay:
        """Publishes the events of the changes this service records (see ``changes``)."""
        return ChangeRelay(self.db, self.broker, self.settings.outbox_poll_seconds)

    def build_app(
        self,
        *,
        title: str,
        description: str,
        routers: Sequence[APIRouter] = (),
        on_startup: Sequence[StartupStep] = (),
        on_shutdown: Sequence[StartupStep] = (),
        workers: Sequence[Worker] = (),
        state: dict[str, Any] | None = None,
        idempotency: bool = True,
    ) -> FastAPI:
        """``idempotency``: keep each caller's ``Idempotency-Key`` answers (idempotency.py); off
        only where callers carry no bearer token to tell them apart (the portal)."""
        runtime = self

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            for step in on_startup:
                await step()
            # what it writes, reads and dead-letters, as the broker's ACLs allow it to create
            topics = topics_created(runtime.topics_written(), runtime.topics_read())
            if topics:
                await ensure_topics(runtime.settings, topics)
            await runtime.broker.start()
            for worker in workers:
                worker.start()
            try:
                yield
            finally:
                for worker in workers:
                    await worker.stop()
                await runtime.broker.stop()
                for step in on_shutdown:
                    await step()
                await runtime.client.close()

        app = FastAPI(
            title=title,
            description=description,
            version="0.1.0",
            lifespan=lifespan,
            dependencies=[Depends(refuse_control_characters)],
        )
        app.state.settings = self.settings
        app.state.trusted_keys = trusted_keys(self.settings)
        app.state.runtime = self
        for name, value in (state or {}).items():
            setattr(app.state, name, value)
        install_problem_handlers(app)
        document_problems(app)
        if idempotency:
            app.add_middleware(
                IdempotencyMiddleware,
                database=lambda: runtime.db,
                stale_after=timedelta(seconds=self.settings.idempotency_stale_seconds),
            )
        app.include_router(health_router(self.broker, self.client))
        for router in routers:
            app.include_router(router, responses=PROBLEM_RESPONSES)
        asyncapi = self.asyncapi(title)

        @app.get(
            "/asyncapi.json", tags=["events"], summary="事件文档 (AsyncAPI 3.0 of this service's topics)"
        )
        async def asyncapi_document() -> JSONResponse:
            return JSONResponse(asyncapi)

        instrument_app(app, self.tracer_provider)
        return app


# How long a server keeps an idle HTTP connection open. Longer than its clients keep one for
# reuse (httpx: 5 s): when both were 5 s, a client could send on a connection the server was
# closing that instant, and the request failed with a read error (the portal's call, a 502).
KEEP_ALIVE_SECONDS = 75


def run(app_factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Entry point of ``python -m <service>``: JSON logs, then uvicorn."""
    import uvicorn

    configure_logging(settings)
    uvicorn.run(
        app_factory(),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        proxy_headers=True,  # the client's own address behind the ingress (the portal's limits)
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
