from contracts.topics import ALL_TOPICS, INTERNAL_PORTAL_V1, INTERNAL_SCHEDULING_V1
from fastapi import FastAPI
from service_kit.messaging import subscribe_batches
from service_kit.runtime import ServiceRuntime

from reporting import api, handlers
from reporting.projection import Follower, Projection
from reporting.rebuild import Rebuilder
from reporting.schedule import BulletinSchedule
from reporting.settings import Settings
from reporting.store import ActiveStore, ControlWatcher, ReportStore

# Topics none of whose events leaves a fact (facts.fact_of): the portal's sign-in codes and
# activation links, which are credentials; scheduling's meeting invitations and visit summaries
# shared with guardians, which are for notifications. Reporting does not read them, so the broker
# does not let it (the topic contracts' consumers, from which the ACLs come).
NOT_FACTS = (INTERNAL_PORTAL_V1, INTERNAL_SCHEDULING_V1)


def consumed_topics() -> list[str]:
    """Every topic of the platform that carries facts, public and internal, whoever produces it;
    the rebuild replays the same."""
    return [topic.name for topic in ALL_TOPICS if topic.name not in NOT_FACTS]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = ActiveStore(ReportStore(runtime.db), runtime.client, settings.control_refresh_seconds)
    topics = consumed_topics()
    read, keep = handlers.reader(settings.school_zone), handlers.keeper(store)
    for topic in topics:
        subscribe_batches(runtime.broker, settings, topic, read, keep)
    projection = Projection()

    async def use_rebuilt_facts() -> None:
        await store.refresh()

    return runtime.build_app(
        title="报表服务 Reporting",
        description="全区家校社协同育人统计：覆盖率、达标情况、排名与通报 (district read models).",
        routers=[api.router],
        on_startup=[use_rebuilt_facts],
        workers=[
            ControlWatcher(store, settings.control_refresh_seconds),
            Follower(projection, store, settings, topics, settings.school_zone),
            BulletinSchedule(store, projection, settings),
        ],
        state={
            "store": store,
            "projection": projection,
            "rebuilder": Rebuilder(store, runtime.client, settings, topics),
        },
    )
