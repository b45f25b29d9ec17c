from contracts.events import VisitLoggedV1
from contracts.topics import VISITS_V1
from fastapi import FastAPI
from service_kit.runtime import ServiceRuntime

from scheduling import api
from scheduling.settings import Settings
from scheduling.store import VisitStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = VisitStore(runtime.db)
    runtime.announce(VisitLoggedV1)
    return runtime.build_app(
        title="排期服务 Scheduling",
        description="家访、会议、共建活动的计划与记录 (home visits, meetings, partner activities).",
        routers=[api.router],
        topics=[VISITS_V1],
        on_startup=[store.create_indexes],
        relays=[runtime.relay()],
        state={"store": store},
    )
