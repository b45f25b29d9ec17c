"""The audience keeper's pass over the districts, on fakes (no I/O)."""

from notifications.keeper import AudienceKeeper


class Districts:
    async def districts(self) -> set[str]:
        return {"d-a", "d-b", "d-c"}


class Counting:
    """Counts each district's schools; one district's data cannot be counted."""

    def __init__(self) -> None:
        self.counted: list[str] = []

    async def district_audience(self, district_id: str) -> dict:
        if district_id == "d-b":
            raise ValueError("a guardian record that cannot be read")
        self.counted.append(district_id)
        return {}


async def test_a_district_that_cannot_be_counted_does_not_keep_the_others_from_being_counted():
    announcements = Counting()
    keeper = AudienceKeeper(Districts(), announcements, seconds=30)  # type: ignore[arg-type]
    await keeper.keep_once()
    assert announcements.counted == ["d-a", "d-c"]
