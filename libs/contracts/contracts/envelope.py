"""The envelope every event travels in.

Producers build events with these strict models (frozen, ``extra="forbid"``). Consumers are
tolerant readers: they parse only the fields they use (see ``EnvelopeHeader``).
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """Base of every published model: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """Envelope fields shared by every event; subclasses fix ``event_type`` and ``payload``."""

    topic: ClassVar[str]

    event_id: UUID = Field(
        default_factory=uuid4, description="Unique per event; consumers deduplicate on it."
    )
    event_type: str = Field(description="Kebab-case name of the event, e.g. visit-logged.")
    schema_version: int = Field(description="Version of the payload schema within the topic's major version.")
    occurred_at: AwareDatetime = Field(
        default_factory=lambda: datetime.now(UTC), description="When the fact happened, UTC."
    )
    effective_on: date | None = Field(
        default=None,
        description=(
            "The school day the change belongs to on the producer's school clock (Asia/Shanghai): "
            "the local date of occurred_at, unless the deployment pins its school day (a demo, a "
            "test). Consumers that date records by day read it before occurred_at."
        ),
    )
    producer: str = Field(description="Service that published the event.", examples=["scheduling"])
    district_id: str = Field(description="District the event belongs to.", examples=["d-yecheng"])
    school_id: str = Field(description="School the event belongs to; also the Kafka record key.")

    @classmethod
    def about(
        cls, producer: str, record: Mapping[str, Any], payload: Contract, school_id: str | None = None
    ) -> Self:
        """An event about a stored record, in the record's district and keyed by its school."""
        return cls.model_validate(
            {
                "producer": producer,
                "district_id": record["district_id"],
                "school_id": school_id or record["school_id"],
                "payload": payload,
            }
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class EnvelopeHeader(BaseModel):
    """What a tolerant consumer reads first: identity and tenancy, ignoring everything else."""

    model_config = ConfigDict(extra="ignore")

    event_id: UUID
    event_type: str
    schema_version: int
    district_id: str
    school_id: str
