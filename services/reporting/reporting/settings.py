from pydantic import Field
from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
    bulletin_check_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How often to publish last month's bulletin once due; 0 turns it off.",
    )
