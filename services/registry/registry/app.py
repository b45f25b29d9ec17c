from contracts.events.registry import (
    AgreementChangedV1,
    ClassChangedV1,
    GuardianChangedV1,
    PairChangedV1,
    PartnerChangedV1,
    PolicyChangedV1,
    SchoolChangedV1,
    StudentChangedV1,
    TermChangedV1,
)
from fastapi import FastAPI
from service_kit.runtime import ServiceRuntime

from registry import api, organisation_api
from registry.settings import Settings
from registry.store import RegistryStore

ANNOUNCED = (
    SchoolChangedV1,
    ClassChangedV1,
    PolicyChangedV1,
    TermChangedV1,
    PairChangedV1,
    PartnerChangedV1,
    AgreementChangedV1,
    StudentChangedV1,
    GuardianChangedV1,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = RegistryStore(runtime.db)
    for event in ANNOUNCED:
        runtime.announce(event)
    return runtime.build_app(
        title="注册服务 Registry",
        description="全区基础数据：学校、结对、学期、班级、学生、家长、共建单位与区级政策 (master data).",
        routers=[api.router, organisation_api.router],
        topics=[SchoolChangedV1.topic, StudentChangedV1.topic],
        on_startup=[store.create_indexes],
        relays=[runtime.relay()],
        state={"store": store},
    )
