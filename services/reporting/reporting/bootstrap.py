"""Reporting put together, once: the settings, the Mongo client, the store in use (``ActiveStore``),
the read model (``Projection``) and the topics it reads. The service (``app.create_app``),
``python -m reporting.rebuild`` and ``python -m reporting.bulletin`` are all built by ``assemble``;
the command lines open it with ``opened``, which reads which facts database is in use and, when
asked, loads the read model, as the service does on start-up.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from service_kit.storage import Document, connect, service_database

from reporting.projection import Projection
from reporting.settings import Settings
from reporting.store import ActiveStore, ReportStore
from reporting.topics import consumed_topics


@dataclass(frozen=True)
class Reporting:
    settings: Settings
    client: AsyncMongoClient[Document]
    store: ActiveStore
    projection: Projection
    topics: list[str]

    async def use_facts_in_use(self) -> None:
        """Read the control collection: the facts database in use (a rebuilt one after a switch)."""
        await self.store.refresh()

    async def load(self) -> None:
        """Load the read model from the facts in use (the service's ``Follower`` does this itself,
        and then follows the topics)."""
        await self.projection.load(self.store.facts)


def assemble(settings: Settings | None = None, client: AsyncMongoClient[Document] | None = None) -> Reporting:
    """Reporting's parts. ``client``: the service's runtime's, which its lifespan closes; a command
    line connects its own (``opened`` closes it)."""
    settings = settings or Settings()
    client = client or connect(settings)
    store = ActiveStore(
        ReportStore(service_database(client, settings)), client, settings.control_refresh_seconds
    )
    return Reporting(settings, client, store, Projection(), consumed_topics())


@asynccontextmanager
async def opened(settings: Settings | None = None, *, load: bool = False) -> AsyncIterator[Reporting]:
    """Reporting for a command line: the facts database in use read, the read model loaded when
    ``load``, the client closed at the end."""
    reporting = assemble(settings)
    try:
        await reporting.use_facts_in_use()
        if load:
            await reporting.load()
        yield reporting
    finally:
        await reporting.client.close()
