"""Configuration read from the environment, prefix ``DISTRICT_`` (see the README's table).

Every service subclasses ``ServiceSettings`` once in its own ``settings.py``; nothing else reads
the environment. Defaults point at the local infrastructure started by ``deploy/local/infra.sh``.
"""

from datetime import date, datetime
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_kit.keys import DEV_ACCESS_KEY, DEV_ACCESS_KID, SigningKey


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISTRICT_", extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For names the client (the ingress, in a cluster).",
    )

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # The broker authenticates every client (SASL) and its ACLs allow each service its own topics
    # (service_kit.broker_access). With no username the client connects without SASL, for a broker
    # that does not ask for it (a compose file of someone's own, testcontainers).
    kafka_username: str | None = Field(default=None, description="SASL username of this service's principal.")
    kafka_password: SecretStr | None = Field(default=None, description="SASL password of that principal.")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="SASL_PLAINTEXT",
        description="SASL_PLAINTEXT on loopback and inside a cluster's network; SASL_SSL across others.",
    )
    consumer_group: str = Field(
        default="", description="Kafka consumer group; district-<service> by default."
    )
    kafka_topic_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    consumer_batch_size: int = Field(default=100, ge=1, description="Records handled per offset commit.")
    consumer_max_attempts: int = Field(default=4, ge=1, description="Tries before dead-lettering.")
    consumer_backoff_seconds: float = Field(default=0.2, gt=0, description="First retry delay; doubles.")
    outbox_poll_seconds: float = Field(default=0.2, gt=0)

    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_database: str = ""
    # FerretDB holds up to two PostgreSQL connections per operation (a query and the transaction
    # of its write); four services × 16 × 2 stays inside the 150 that deploy/local gives FerretDB.
    mongodb_max_pool_size: int = Field(default=16, ge=1)

    # Access tokens are EdDSA JWTs the portal signs; every service verifies them with the portal's
    # public keys (its JWKS), so no service can mint another's. Outside production the development
    # key (service_kit.keys) is trusted too, and dev-token signs with it.
    jwks_url: str | None = Field(
        default="http://127.0.0.1:8000/.well-known/jwks.json",
        description="The portal's public keys, which access tokens are verified with.",
    )
    token_signing_key: SecretStr | None = Field(
        default=None, description="PEM of the Ed25519 key tokens are signed with (the portal only)."
    )
    token_signing_kid: str = "portal-1"
    jwt_issuer: str = "district-idp"
    jwt_audience: str = "district-platform"

    school_timezone: str = Field(default="Asia/Shanghai", description="Where 'today' is for schools.")
    school_date: date | None = Field(
        default=None,
        description="Pins the school clock's 'today' (tests, the demo); refused in production.",
    )
    idempotency_stale_seconds: float = Field(
        default=120,
        gt=0,
        description="An Idempotency-Key claim still running after this long is taken over by a retry.",
    )
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "DISTRICT_OTEL_EXPORTER_OTLP_ENDPOINT"),
    )

    @property
    def school_zone(self) -> ZoneInfo:
        """Where the schools are: the day events are dated by and the times messages show."""
        return ZoneInfo(self.school_timezone)

    @property
    def trusts_development_keys(self) -> bool:
        return self.environment != "production"

    def signing_key(self) -> SigningKey:
        """The key tokens are signed with: the configured one, else the development key (never in
        production)."""
        if self.token_signing_key is not None:
            return SigningKey.from_pem(self.token_signing_key.get_secret_value(), self.token_signing_kid)
        if not self.trusts_development_keys:
            raise ValueError(
                "DISTRICT_TOKEN_SIGNING_KEY is not set: production never signs with the development key"
            )
        return SigningKey.from_pem(DEV_ACCESS_KEY, DEV_ACCESS_KID)

    def school_today(self) -> date:
        """The school clock: today's date where the schools are (a visit at 07:00 in Beijing is not
        yesterday's). Every business date of every service comes from here, so pinning
        ``school_date`` moves them all; instants (a meeting's start, a message's due time) stay on
        the real clock."""
        if self.school_date is not None:
            return self.school_date
        return datetime.now(self.school_zone).date()

    @model_validator(mode="after")
    def _defaults_fit_the_environment(self) -> Self:
        if not self.mongodb_database:
            self.mongodb_database = f"district_{self.service_name}"
        if not self.consumer_group:
            # One group per service: every service sees every event once, however many replicas.
            self.consumer_group = f"district-{self.service_name}"
        if (self.kafka_username is None) != (self.kafka_password is None):
            raise ValueError("DISTRICT_KAFKA_USERNAME and DISTRICT_KAFKA_PASSWORD go together")
        if (
            self.environment == "production"
            and self.token_signing_key is not None
            and self.token_signing_key.get_secret_value().strip() == DEV_ACCESS_KEY.strip()
        ):
            raise ValueError("DISTRICT_TOKEN_SIGNING_KEY must not be the development key in production")
        if self.environment == "production" and self.school_date is not None:
            raise ValueError("DISTRICT_SCHOOL_DATE pins the school clock for tests and demos only")
        return self
