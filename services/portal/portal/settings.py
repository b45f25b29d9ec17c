from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from service_kit.settings import ServiceSettings

WEB_DIST = Path(__file__).resolve().parents[1] / "web" / "dist"


class Settings(ServiceSettings):
    service_name: str = "portal"
    http_port: int = 8000

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The portal's origin as browsers see it: links in messages, and the Origin it accepts.",
    )
    registry_url: str = "http://127.0.0.1:8001"
    scheduling_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"
    link_jwks_url: str | None = Field(
        default="http://127.0.0.1:8003/.well-known/jwks.json",
        description="Notifications' public keys, which sign the one-tap links in messages.",
    )
    access_token_seconds: int = Field(default=300, ge=30, description="Lifetime of a forwarded token.")
    gateway_timeout_seconds: float = Field(default=30.0, gt=0)
    web_dist: Path = Field(default=WEB_DIST, description="The built web app (npm run build).")

    @property
    def service_urls(self) -> dict[str, str]:
        return {
            "registry": self.registry_url,
            "scheduling": self.scheduling_url,
            "notifications": self.notifications_url,
            "reporting": self.reporting_url,
        }

    @model_validator(mode="after")
    def _signs_with_its_own_key_in_production(self) -> Self:
        if self.environment == "production" and self.token_signing_key is None:
            raise ValueError(
                "DISTRICT_TOKEN_SIGNING_KEY (the portal's Ed25519 key, PEM) must be set in production"
            )
        return self
