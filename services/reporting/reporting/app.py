from contracts.topics import VISITS_V1
from fastapi import FastAPI
from service_kit.messaging import subscribe
from service_kit.runtime import ServiceRuntime

from reporting import api, handlers
from reporting.settings import Settings
from reporting.store import ReportStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = ReportStore(runtime.db)
    subscribe(runtime.broker, settings, VISITS_V1, handlers.on_visit_event(store))
    return runtime.build_app(
        title="报表服务 Reporting",
        description="全区家校社协同育人统计：覆盖率、达标情况、排名与通报 (district read models).",
        routers=[api.router],
        topics=[VISITS_V1],
        on_startup=[store.create_indexes],
        state={"store": store},
    )
