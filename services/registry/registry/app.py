from contracts.events.registry import (
    ClassChangedV1,
    GuardianChangedV1,
    PolicyChangedV1,
    SchoolChangedV1,
    StudentChangedV1,
)
from fastapi import FastAPI
from service_kit.runtime import ServiceRuntime

from registry import api
from registry.settings import Settings
from registry.store import RegistryStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = RegistryStore(runtime.db)
    for event in (SchoolChangedV1, ClassChangedV1, PolicyChangedV1, StudentChangedV1, GuardianChangedV1):
        runtime.announce(event)
    return runtime.build_app(
        title="注册服务 Registry",
        description="全区基础数据：学校、班级、学生、家长与区级政策 (the district's master data).",
        routers=[api.router],
        topics=[SchoolChangedV1.topic, StudentChangedV1.topic],
        on_startup=[store.create_indexes],
        relays=[runtime.relay()],
        state={"store": store},
    )
