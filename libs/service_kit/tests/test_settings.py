import pytest
from pydantic import ValidationError
from service_kit.settings import ServiceSettings


def test_defaults_point_at_local_infrastructure(monkeypatch):
    for name in ("DISTRICT_KAFKA_BOOTSTRAP_SERVERS", "DISTRICT_MONGODB_URL", "DISTRICT_MONGODB_DATABASE"):
        monkeypatch.delenv(name, raising=False)

    settings = ServiceSettings(service_name="reporting")

    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.mongodb_url == "mongodb://127.0.0.1:27017"
    assert settings.mongodb_database == "district_reporting"
    assert settings.consumer_group == "district-reporting"


def test_environment_variables_use_the_district_prefix(monkeypatch):
    monkeypatch.setenv("DISTRICT_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")

    settings = ServiceSettings()

    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.otel_exporter_otlp_endpoint == "http://collector:4318"


def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="DISTRICT_JWT_SECRET"):
        ServiceSettings(environment="production")


def test_production_accepts_a_real_secret():
    assert (
        ServiceSettings(environment="production", jwt_secret="from-the-identity-provider").environment
        == "production"
    )
