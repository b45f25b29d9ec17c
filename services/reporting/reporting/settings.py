from pydantic import AliasChoices, Field
from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
    consumer_batch_size: int = Field(
        default=1000, ge=1, description="Records per offset commit: each batch's facts are one insert."
    )
    control_refresh_seconds: float = Field(
        default=2.0, gt=0, description="How often a replica looks which facts database is in use."
    )
    district_names: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("district_names", "DISTRICT_NAMES"),  # not DISTRICT_DISTRICT_…
        description="Each district's name for the bulletin's header, e.g. "
        '{"d-yecheng": "叶城县教育局"}; a district not named here is headed by its id.',
    )
    bulletin_check_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How often to publish last month's bulletin once due; 0 turns it off.",
    )
