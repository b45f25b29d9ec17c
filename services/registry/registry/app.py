from contracts.topics import registry as public_topic
from contracts.topics import registry_internal as internal_topic
from fastapi import FastAPI
from service_kit.runtime import ServiceRuntime

from registry import api, organisation_api
from registry.settings import Settings
from registry.store import RegistryStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = RegistryStore(runtime.db, settings.school_today)
    for topic in (public_topic.TOPIC, internal_topic.TOPIC):
        for event in topic.events:
            runtime.announce(event)
    return runtime.build_app(
        title="注册服务 Registry",
        description="全区基础数据：学校、结对、学期、班级、学生、家长、共建单位与区级政策 (master data).",
        routers=[api.router, organisation_api.router],
        on_startup=[store.create_indexes],
        workers=[runtime.relay()],
        state={"store": store},
    )
