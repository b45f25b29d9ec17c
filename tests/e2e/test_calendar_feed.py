"""Calendar subscriptions through the portal, on the real platform: the secret address a teacher's
calendar app subscribes to answers their calendar from scheduling with no cookie; asking again
replaces it, and the old address answers 404."""

from datetime import UTC, datetime, timedelta

import httpx
import icalendar
import pytest
from school_clock import SCHOOL_TODAY
from teacher_world import TeacherWorld, signed_in, teacher_world

pytestmark = pytest.mark.infra


@pytest.fixture
async def world(platform, registry_api, eventually, mailbox, provider) -> TeacherWorld:
    return await teacher_world(platform, registry_api, eventually, mailbox, provider)


async def fetch(url: str) -> httpx.Response:
    """What a calendar app does: a plain GET of the address, no cookie, no header of the portal's."""
    async with httpx.AsyncClient(timeout=10) as app:
        return await app.get(url)


def events(feed: httpx.Response) -> dict[str, object]:
    """The feed's events by UID, each with its start."""
    calendar = icalendar.Calendar.from_ical(feed.text)
    return {str(e["UID"]): e.decoded("DTSTART") for e in calendar.walk("VEVENT")}


async def test_a_teachers_planned_visit_is_in_the_feed_a_calendar_app_fetches_without_a_cookie(
    platform, world: TeacherWorld
):
    head = await signed_in(platform.portal, world.head_teacher)
    planned_on = SCHOOL_TODAY + timedelta(days=7)
    pupil = world.mandatory[0]
    plan = await head.send(
        "POST",
        "/api/scheduling/v1/home-visits/plans",
        json={
            "student_id": pupil.student_id,
            "class_id": world.class_id,
            "planned_on": planned_on.isoformat(),
            "mode": "in_person",
        },
    )
    assert plan.status_code == 201, plan.text
    visit_id = plan.json()["visit_id"]

    asked = await head.send("POST", "/auth/calendar-feed")

    assert asked.status_code == 200, asked.text
    url = asked.json()["url"]
    assert url.startswith(f"{head.origin}/calendar/")
    assert url.endswith(".ics")
    feed = await fetch(url)
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "no-store" in feed.headers["cache-control"]
    assert events(feed)[f"{visit_id}@district-platform"] == planned_on
    # the address is the head teacher's own calendar: the subject teacher's has no visit of theirs
    subject = await signed_in(platform.portal, world.subject_teacher)
    other = await fetch((await subject.send("POST", "/auth/calendar-feed")).json()["url"])
    assert other.status_code == 200, other.text
    assert f"{visit_id}@district-platform" not in events(other)


async def test_asking_again_replaces_the_address_and_the_old_one_answers_404(platform, world: TeacherWorld):
    head = await signed_in(platform.portal, world.head_teacher)
    first = (await head.send("POST", "/auth/calendar-feed")).json()["url"]
    assert (await fetch(first)).status_code == 200

    second = (await head.send("POST", "/auth/calendar-feed")).json()["url"]

    assert second != first
    replaced = await fetch(first)
    assert replaced.status_code == 404
    assert replaced.headers["content-type"].startswith("application/problem+json")
    assert (await fetch(second)).status_code == 200
    token = second.rsplit("/", 1)[1].removesuffix(".ics")
    guessed = second.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert (await fetch(guessed)).status_code == 404
    assert (await fetch(f"{head.origin}/calendar/not-a-token.ics")).status_code == 404


async def test_only_a_signed_in_page_of_the_portal_gets_an_address(platform, world: TeacherWorld):
    head = await signed_in(platform.portal, world.head_teacher)
    without_csrf = await head.send("POST", "/auth/calendar-feed", headers={"x-csrf-token": "forged"})
    assert without_csrf.status_code == 403
    other_site = await head.send("POST", "/auth/calendar-feed", headers={"origin": "https://evil.example"})
    assert other_site.status_code == 403
    nobody = await signed_in(platform.portal, world.subject_teacher)
    assert (await nobody.send("POST", "/auth/sign-out")).status_code == 204
    await nobody.send("GET", "/auth/csrf")  # a page's fresh CSRF cookie, and no session
    assert (await nobody.send("POST", "/auth/calendar-feed")).status_code == 401


async def test_an_address_stops_when_it_is_ended_or_its_account_is_no_longer_active(
    platform, world: TeacherWorld
):
    head = await signed_in(platform.portal, world.head_teacher)
    ended = (await head.send("POST", "/auth/calendar-feed")).json()["url"]
    assert (await head.send("DELETE", "/auth/calendar-feed")).status_code == 204
    assert (await fetch(ended)).status_code == 404
    subject = await signed_in(platform.portal, world.subject_teacher)
    url = (await subject.send("POST", "/auth/calendar-feed")).json()["url"]
    assert (await fetch(url)).status_code == 200
    # the registry has no way to end a member of staff yet: the portal's account is closed directly
    accounts = platform.portal_app.state.store.db["accounts"]
    await accounts.update_one({"_id": world.subject_teacher.staff_id}, {"$set": {"status": "closed"}})

    assert (await fetch(url)).status_code == 404


async def test_the_address_is_kept_out_of_the_traces(platform, world: TeacherWorld, span_exporter):
    """The token is the address's only secret: a span of the portal must not keep it."""
    head = await signed_in(platform.portal, world.head_teacher)
    url = (await head.send("POST", "/auth/calendar-feed")).json()["url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    span_exporter.clear()

    feed = await fetch(url)

    assert feed.status_code == 200, feed.text
    kept = [
        (span.name, key)
        for span in span_exporter.get_finished_spans()
        for key, value in {"name": span.name, **dict(span.attributes or {})}.items()
        if token in str(value)
    ]
    assert kept == []


async def test_the_teacher_is_told_whether_they_have_an_address_and_since_when_but_never_the_address(
    platform, world: TeacherWorld
):
    head = await signed_in(platform.portal, world.head_teacher)
    before = await head.send("GET", "/auth/calendar-feed")
    assert before.status_code == 200, before.text
    assert (before.json()["subscribed"], before.json()["created_at"]) == (False, None)

    url = (await head.send("POST", "/auth/calendar-feed")).json()["url"]
    after = await head.send("GET", "/auth/calendar-feed")

    assert after.status_code == 200, after.text
    state = after.json()
    assert state["subscribed"] is True
    made = datetime.fromisoformat(state["created_at"])
    assert abs(datetime.now(UTC) - made) < timedelta(minutes=5)
    token = url.rsplit("/calendar/", 1)[1].removesuffix(".ics")
    assert token not in after.text  # only the token's digest is stored: the address is never shown again
    assert "只在生成时显示一次" in state["note"]
    # the subject teacher, who made none, has none
    subject = await signed_in(platform.portal, world.subject_teacher)
    assert (await subject.send("GET", "/auth/calendar-feed")).json()["subscribed"] is False


async def test_a_signed_out_caller_is_not_told_about_any_address(platform):
    async with httpx.AsyncClient(base_url=str(platform.portal.base_url), timeout=10) as anonymous:
        answer = await anonymous.get("/auth/calendar-feed")
    assert answer.status_code == 401
