import pytest

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("service", ["registry", "scheduling", "notifications", "reporting"])
async def test_service_is_alive_and_ready_on_the_real_broker_and_store(platform, service):
    http = platform.all_services[service]

    alive = await http.get("/healthz")
    ready = await http.get("/readyz")
    docs = await http.get("/openapi.json")

    assert alive.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"kafka": "ok", "mongodb": "ok"}}
    assert docs.status_code == 200
