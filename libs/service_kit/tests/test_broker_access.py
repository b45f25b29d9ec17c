import stat

import pytest
from faststream.security import SASLScram512
from pydantic import ValidationError
from service_kit.broker_access import LocalCredentials
from service_kit.messaging import broker_security, kafka_client_options
from service_kit.settings import ServiceSettings


def test_local_passwords_are_derived_from_a_private_secret_and_stay_the_same(tmp_path):
    credentials = LocalCredentials(tmp_path)

    first = credentials.password("registry")

    assert first == LocalCredentials(tmp_path).password("registry")
    assert first != credentials.password("scheduling")
    assert len(first) == 40
    assert stat.S_IMODE(credentials.secret_file.stat().st_mode) == 0o600
    assert first != LocalCredentials(tmp_path / "another checkout").password("registry")


def test_without_credentials_a_service_connects_without_sasl():
    settings = ServiceSettings(kafka_bootstrap_servers="kafka:9092")

    assert broker_security(settings) is None
    assert kafka_client_options(settings) == {"bootstrap_servers": "kafka:9092"}


def test_with_credentials_every_client_logs_in_with_scram_sha_512(monkeypatch):
    monkeypatch.setenv("DISTRICT_KAFKA_USERNAME", "reporting")
    monkeypatch.setenv("DISTRICT_KAFKA_PASSWORD", "s3cret")

    settings = ServiceSettings()
    security = broker_security(settings)

    assert isinstance(security, SASLScram512)
    assert (security.username, security.password, security.use_ssl) == ("reporting", "s3cret", False)
    assert kafka_client_options(settings) | {"ssl_context": None} == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "reporting",
        "sasl_plain_password": "s3cret",
        "ssl_context": None,
    }


def test_a_username_without_a_password_is_refused():
    with pytest.raises(ValidationError, match="DISTRICT_KAFKA_USERNAME and DISTRICT_KAFKA_PASSWORD"):
        ServiceSettings(kafka_username="registry")
