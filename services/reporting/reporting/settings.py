from pydantic import Field
from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
    control_refresh_seconds: float = Field(
        default=2.0, gt=0, description="How often a replica looks which facts database is in use."
    )
    bulletin_check_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How often to publish last month's bulletin once due; 0 turns it off.",
    )
