from dataclasses import dataclass, field
from typing import Literal

from contracts.envelope import Event


@dataclass(frozen=True)
class TopicContract:
    """What a topic promises: who owns and reads it, whether outsiders may, and its events."""

    name: str
    owner: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    visibility: Literal["public", "internal"]
    compatibility: Literal["backward"]
    events: tuple[type[Event], ...] = field(default=())
    description: str = ""
