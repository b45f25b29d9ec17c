from datetime import date, datetime
from zoneinfo import ZoneInfo

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


def test_production_refuses_the_development_signing_key():
    from service_kit.keys import DEV_ACCESS_KEY

    with pytest.raises(ValidationError, match="DISTRICT_TOKEN_SIGNING_KEY"):
        ServiceSettings(environment="production", token_signing_key=DEV_ACCESS_KEY)


def test_production_verifies_without_a_signing_key_of_its_own():
    assert ServiceSettings(environment="production").environment == "production"


def test_a_pinned_school_date_is_today_for_every_business_date(monkeypatch):
    monkeypatch.setenv("DISTRICT_SCHOOL_DATE", "2027-01-31")

    assert ServiceSettings().school_today() == date(2027, 1, 31)


def test_without_a_pinned_date_today_is_the_real_date_in_the_school_time_zone(monkeypatch):
    monkeypatch.delenv("DISTRICT_SCHOOL_DATE", raising=False)
    settings = ServiceSettings(school_timezone="Asia/Shanghai")
    before = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    today = settings.school_today()

    assert today in {before, datetime.now(ZoneInfo("Asia/Shanghai")).date()}  # midnight may fall between


def test_production_refuses_a_pinned_school_date():
    with pytest.raises(ValidationError, match="DISTRICT_SCHOOL_DATE"):
        ServiceSettings(environment="production", school_date="2026-12-01")
