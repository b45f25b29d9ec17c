from fastapi import FastAPI
from service_kit.messaging import subscribe_batches
from service_kit.runtime import ServiceRuntime

from reporting import api, handlers
from reporting.bootstrap import assemble
from reporting.projection import Follower, Warmer
from reporting.rebuild import Rebuilder
from reporting.schedule import BulletinSchedule
from reporting.settings import Settings
from reporting.store import ControlWatcher
from reporting.topics import consumed_topics

# consumed_topics lives in reporting.topics; named here too for the callers that import it from app
__all__ = ["consumed_topics", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    reporting = assemble(settings, runtime.client)
    store, projection, topics = reporting.store, reporting.projection, reporting.topics
    read, keep = handlers.reader(settings.school_zone), handlers.keeper(store)
    for topic in topics:
        subscribe_batches(runtime.broker, settings, topic, read, keep)

    return runtime.build_app(
        title="报表服务 Reporting",
        description="全区家校社协同育人统计：覆盖率、达标情况、排名与通报 (district read models).",
        routers=[api.router],
        on_startup=[reporting.use_facts_in_use],
        workers=[
            ControlWatcher(store, settings.control_refresh_seconds),
            Follower(projection, store, settings, topics, settings.school_zone),
            Warmer(projection),
            BulletinSchedule(store, projection, settings),
        ],
        state={
            "store": store,
            "projection": projection,
            "rebuilder": Rebuilder(store, reporting.client, settings, topics),
        },
    )
