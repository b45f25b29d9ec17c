"""The class parent meeting the end-to-end tests schedule: its head teacher invites the guardians of
one class. Its start is an instant on the real clock (meetings must lie ahead of the real now), not
a business date."""

from datetime import UTC, datetime, timedelta

from service_kit.auth import Role


async def schedule_class_meeting(platform, registry_api, family, starts_in: timedelta) -> str:
    starts = datetime.now(UTC).replace(microsecond=0) + starts_in
    answer = await platform.scheduling.post(
        "/v1/meetings",
        json={
            "kind": "parent_meeting",
            "level": "class",
            "class_ids": [family.class_id],
            "title": "期中家长会",
            "agenda": ["期中成绩分析"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "place": "三年级2班教室",
        },
        headers=registry_api.auth(
            Role.teacher, family.school_id, [family.class_id], subject=family.head_teacher_id
        ),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["meeting_id"])
