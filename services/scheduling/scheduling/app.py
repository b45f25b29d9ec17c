from contracts.topics import INTERNAL_REGISTRY_V1, REGISTRY_V1
from contracts.topics import meetings as meetings_topic
from contracts.topics import pairing_exchanges as exchanges_topic
from contracts.topics import partner_activities as activities_topic
from contracts.topics import scheduling_internal as internal_topic
from contracts.topics import visits as visits_topic
from fastapi import FastAPI
from service_kit.messaging import subscribe
from service_kit.runtime import ServiceRuntime

from scheduling import activities_api, api, calendar_api, handlers, meetings_api
from scheduling.settings import Settings
from scheduling.store import VisitStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = VisitStore(runtime.db, settings.school_today)
    published = (
        visits_topic.TOPIC,
        meetings_topic.TOPIC,
        activities_topic.TOPIC,
        exchanges_topic.TOPIC,
        internal_topic.TOPIC,
    )
    for topic in published:
        for event in topic.events:
            runtime.announce(event)
    for registry_topic in (INTERNAL_REGISTRY_V1, REGISTRY_V1):
        subscribe(runtime.broker, settings, registry_topic, handlers.on_registry_event(store))
    return runtime.build_app(
        title="排期服务 Scheduling",
        description="家访、会议、共建活动的计划与记录 (home visits, meetings, partner activities).",
        routers=[api.router, meetings_api.router, activities_api.router, calendar_api.router],
        on_startup=[store.create_indexes],
        workers=[runtime.relay()],
        state={"store": store},
    )
