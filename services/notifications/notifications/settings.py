from datetime import time, timedelta
from typing import Self

from pydantic import Field, SecretStr, model_validator
from service_kit.keys import DEV_LINK_KEY, DEV_LINK_KID, SigningKey
from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = 8003

    # One-tap links in messages open the portal's pages: <portal_public_url>/l#<token>, the token
    # signed with notifications' own key, whose public half /.well-known/jwks.json publishes.
    portal_public_url: str = Field(
        default="http://127.0.0.1:8000", description="Where guardians reach the portal."
    )
    link_signing_key: SecretStr | None = Field(
        default=None,
        description="PEM of the Ed25519 key one-tap links are signed with; required in production.",
    )
    link_signing_kid: str = "links-1"

    # Email over SMTP.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_sender: str = "家校社协同育人平台 <noreply@district.example.cn>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    smtp_connections: int = Field(
        default=4, ge=1, description="Connections kept open to the mail server, one send on each at a time."
    )

    # SMS and WeChat-style messaging through HTTP providers (signed requests).
    sms_endpoint: str | None = Field(default=None, description="Provider URL; unset disables SMS.")
    sms_api_key: str = "dev-sms-key"
    sms_secret: SecretStr = SecretStr("dev-sms-secret")
    sms_rate_per_second: float = Field(default=20.0, gt=0)
    wechat_endpoint: str | None = Field(default=None, description="Provider URL; unset disables WeChat.")
    wechat_api_key: str = "dev-wechat-key"
    wechat_secret: SecretStr = SecretStr("dev-wechat-secret")
    wechat_rate_per_second: float = Field(default=20.0, gt=0)
    provider_timeout_seconds: float = 10.0

    # Delivery.
    delivery_max_attempts: int = Field(default=4, ge=1, description="Tries on a channel before falling back.")
    delivery_backoff_seconds: float = Field(default=30.0, gt=0, description="First retry delay; doubles.")
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    delivery_concurrency: int = Field(default=4, ge=1, description="Batches sent at once (normal, bulk).")
    delivery_urgent_concurrency: int = Field(
        default=4, ge=1, description="Batches sent at once on the lane of emergencies and time-critical news."
    )
    delivery_batch_size: int = Field(default=250, ge=1, description="Messages in one batch.")
    delivery_sends_per_batch: int = Field(
        default=32, ge=1, description="Sends in flight at once within one batch."
    )
    delivery_lease_seconds: float = Field(
        default=120.0, gt=0, description="A send not finished by then is retried."
    )

    audience_keep_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often the schools whose people changed are counted again for the bureau's "
        "preview (0: only when a preview asks).",
    )

    # An event naming people the registry has not announced yet is handled again until they are known.
    registry_retry_seconds: float = Field(default=10.0, gt=0, description="First wait; doubles.")
    registry_retry_max_seconds: float = Field(default=600.0, gt=0)
    registry_wait_seconds: float = Field(
        default=86400.0, gt=0, description="Then whoever is still unknown is recorded as undeliverable."
    )

    # What guardians get unless they choose otherwise.
    meeting_reminders_before: list[timedelta] = Field(
        default=[timedelta(hours=24), timedelta(hours=2)], description="Reminders before a meeting starts."
    )
    quiet_hours_start: time = time(21, 30)
    quiet_hours_end: time = time(7, 0)
    digest_at: time = time(18, 0)
    emergency_ack_seconds: float = Field(
        default=600.0, gt=0, description="Wait for an acknowledgement before contacting the next person."
    )

    def link_key(self) -> SigningKey:
        """The key one-tap links are signed with: the configured one, else (never in production)
        the development link key every portal outside production trusts."""
        if self.link_signing_key is not None:
            return SigningKey.from_pem(self.link_signing_key.get_secret_value(), self.link_signing_kid)
        return SigningKey.from_pem(DEV_LINK_KEY, DEV_LINK_KID)

    @model_validator(mode="after")
    def _links_signed_with_a_key_of_its_own(self) -> Self:
        if self.environment != "production":
            return self
        if self.link_signing_key is None:
            raise ValueError("DISTRICT_LINK_SIGNING_KEY is required in production")
        if self.link_signing_key.get_secret_value().strip() == DEV_LINK_KEY.strip():
            raise ValueError("DISTRICT_LINK_SIGNING_KEY must not be the development key in production")
        self.link_key()  # an unreadable key fails at start, not at the first message
        return self
