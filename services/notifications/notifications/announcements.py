"""Announcements by staff (致家长的一封信): to a school, a grade, classes, a care category or
named guardians; previewed before sending; optionally to be confirmed by any or every guardian of
each student, with the sender seeing who has not and reminding only them."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from contracts.events.registry import CareCategory
from contracts.inputs import FreeText, OpaqueId, Text, Variables
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from service_kit.access import ensure_found
from service_kit.auth import Caller
from service_kit.errors import Invalid, OutOfScope, Problem
from service_kit.storage import Document

from notifications import access, audience, templates
from notifications.audience import NOBODY, SchoolAudience
from notifications.delivery import Outbox
from notifications.links import Action
from notifications.messages import Notice, Status, addressed_as
from notifications.priorities import Priority
from notifications.store import (
    ANNOUNCEMENTS,
    CLASSES,
    GUARDIANS,
    LETTER_RECIPIENTS,
    QUEUE,
    STUDENTS,
    NotificationStore,
    Planned,
    Roster,
)


class Audience(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["district", "school", "grade", "class", "care_category", "guardians"]
    grade: int | None = Field(default=None, ge=1, le=12)
    class_ids: list[OpaqueId] = Field(default_factory=list)
    care_category: CareCategory | None = None
    guardian_ids: list[OpaqueId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_who(self) -> "Audience":
        needed = {
            "grade": self.grade,
            "class": self.class_ids,
            "care_category": self.care_category,
            "guardians": self.guardian_ids,
        }
        if self.kind in needed and not needed[self.kind]:
            field = {"class": "class_ids", "guardians": "guardian_ids"}.get(self.kind, self.kind)
            raise ValueError(f"audience {self.kind} needs {field}")
        return self


TITLE_MAX, BODY_MAX = 200, 5000
LETTER_TEMPLATE = "announcement"  # the letter whose title and body are given per language
DEFAULT_LANGUAGE: templates.Language = "zh-CN"


class LetterText(BaseModel):
    """A letter's title and body in one language."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[Text, StringConstraints(max_length=TITLE_MAX)]
    body: Annotated[FreeText, StringConstraints(max_length=BODY_MAX)] = ""

    @field_validator("title", "body")
    @classmethod
    def _trimmed(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "title" and not value.strip():
            raise ValueError("请填写标题 (the title is empty)")
        return value.strip()


class AnnouncementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_id: OpaqueId | None = Field(
        default=None,
        description="The school the letter is from; none for the bureau's letter to the district.",
    )
    audience: Audience
    template: Text = "announcement"
    variables: Variables = Field(
        default_factory=dict,
        description="e.g. title and body of the letter: its zh-CN text, which every guardian whose "
        "language has no text of its own reads.",
    )
    texts: dict[str, LetterText] = Field(
        default_factory=dict,
        description="The letter's title and body per language the platform supports (zh-CN, en): "
        "each guardian reads their language's, else zh-CN's. zh-CN given here takes the place of "
        "variables.title and variables.body.",
    )
    essential: bool = Field(
        default=True, description="Non-essential letters reach only guardians who consented."
    )
    confirmation: Literal["none", "any_guardian", "every_guardian"] = Field(
        default="none", description="Whether any or every guardian of a student must click to confirm."
    )

    @model_validator(mode="after")
    def _from_a_school_unless_to_the_district(self) -> "AnnouncementCreate":
        if self.audience.kind == "district" and self.school_id is not None:
            raise ValueError("a letter to the whole district names no school_id")
        if self.audience.kind != "district" and self.school_id is None:
            raise ValueError(f"audience {self.audience.kind} needs school_id")
        return self

    def words(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The letter's variables (zh-CN's words) and, per other language, its own title and body.

        422 naming the field for a language the platform does not support, or a letter whose
        zh-CN title is missing or empty (every guardian without a text of their own reads it)."""
        for language in self.texts:
            if language not in templates.LANGUAGES:
                raise Invalid(
                    f"body.texts.{language}",
                    f"不支持的语言 {language}，可用：{'、'.join(templates.LANGUAGES)} (unsupported language)",
                )
        variables = dict(self.variables)
        if DEFAULT_LANGUAGE in self.texts:
            variables |= self.texts[DEFAULT_LANGUAGE].model_dump()
        if self.template == LETTER_TEMPLATE or self.texts:
            title = variables.get("title")
            if not isinstance(title, str) or not title.strip():
                # texts["zh-CN"] has its title by its own validation: the variables lack one
                raise Invalid("body.variables.title", "请填写中文标题 (the letter needs a zh-CN title)")
        others = {
            language: text.model_dump()
            for language, text in self.texts.items()
            if language != DEFAULT_LANGUAGE
        }
        return variables, others


class Preview(BaseModel):
    recipients: int = Field(description="Guardians who will receive it.")
    students: int
    opted_out: int = Field(description="Guardians left out: no consent to non-essential messages.")
    without_contact: int = Field(description="Guardians with no usable contact: recorded as undeliverable.")
    samples: dict[str, templates.Rendered]


class AnnouncementPublic(BaseModel):
    announcement_id: str
    school_id: str | None
    template: str
    confirmation: str
    recipients: int
    status_counts: dict[str, int]
    created_at: datetime
    languages: list[str] = Field(description="The languages the letter has a text of its own in.")


class AudienceSummary(BaseModel):
    """Whom a letter addressed, without naming a family: the kind, the grade, the classes or the
    care category, and how many guardians a letter to named guardians named."""

    kind: str
    grade: int | None = None
    class_ids: list[str] = Field(default_factory=list)
    care_category: str | None = None
    guardians: int | None = Field(default=None, description="Named guardians (kind guardians).")


class LetterListed(BaseModel):
    """One of a school's letters: what it said and whom it reached, in counts."""

    announcement_id: str
    title: str = Field(description="The zh-CN title.")
    languages: list[str] = Field(description="The languages the letter has a text of its own in.")
    audience: AudienceSummary
    template: str
    confirmation: str
    created_at: datetime = Field(description="When it was sent.")
    recipients: int = Field(description="Guardians it was addressed to.")
    reached: int = Field(description="Messages that went out (sent, delivered or read).")
    confirmed: int = Field(description="Guardians who confirmed it.")
    failed: int = Field(description="Messages that could not be delivered.")
    status_counts: dict[str, int]


class PendingStudent(BaseModel):
    student_id: str
    pending_guardian_ids: list[str]


class Confirmations(BaseModel):
    confirmation: str
    students: int
    confirmed: int
    pending: list[PendingStudent]


class LetterMessage(BaseModel):
    """One guardian's message of a letter (not its reminders): whom it went to, for which children,
    how it was delivered and whether it was confirmed. The text is the one the guardian got, with
    their page's plain address (never their link); no contact details."""

    message_id: str
    recipient_id: str = Field(description="The guardian.")
    student_ids: list[str]
    subject: str
    body: str
    status: Status
    channel: str | None = Field(description="The channel it went out by, once sent.")
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    confirmation_required: bool
    confirmed_at: datetime | None
    failure_reason: str | None

    @classmethod
    def of(cls, message: Document) -> "LetterMessage":
        return cls(
            message_id=message["_id"],
            recipient_id=message["recipient_id"],
            student_ids=list(message.get("student_ids") or []),
            subject=message["subject"],
            body=message["body"],
            status=message["status"],
            channel=message.get("sent_channel"),
            created_at=message["created_at"],
            sent_at=message.get("sent_at"),
            delivered_at=message.get("delivered_at"),
            read_at=message.get("read_at"),
            confirmation_required=bool(message.get("confirmation_required")),
            confirmed_at=message.get("confirmed_at"),
            failure_reason=message.get("failure_reason"),
        )


FANOUT_GRACE = timedelta(seconds=60)
LETTER_AWAITED = timedelta(seconds=1)  # a school's part looks again for its letter after this
FANOUT_SCHOOLS_AT_ONCE = 4
DISTRICT_SENDER = "区教育局"  # who a letter to the whole district is from, where a school's name goes


class EmptyAudience(Problem):
    def __init__(self) -> None:
        super().__init__(
            422,
            "empty-audience",
            "该范围内没有可通知的家长，通知未发送 (the audience reaches no guardian; nothing was sent)",
            errors=[{"field": "body.audience", "message": "no guardian in this audience"}],
        )


def _notice(announcement: Document, school_id: str) -> Notice:
    """The letter as told to one school's guardians."""
    variables = dict(announcement["variables"])
    if announcement["school_id"] is None:
        variables["school_name"] = DISTRICT_SENDER
    return Notice(
        key=announcement["_id"],
        purpose=announcement["template"],
        district_id=announcement["district_id"],
        school_id=school_id,
        source_id=announcement["_id"],
        variables=variables,
        by_language=announcement.get("texts") or {},
        essential=announcement["essential"],
        confirmation=announcement["confirmation"] != "none",
        action=Action("confirm", announcement["_id"]) if announcement["confirmation"] != "none" else None,
        audience=announcement["audience"]["kind"],
        sender=announcement["school_id"] or f"bureau:{announcement['district_id']}",
    )


def _school_entry(announcement: Document, school_id: str, guardians: int, now: datetime) -> Document:
    """Queued work: address one school's part of a district letter (``tell_school``), to about
    this many guardians (the dispatcher runs more small parts at once than large ones)."""
    return {
        "_id": f"{_fanout_entry(announcement['_id'])}-{school_id}",
        "due_at": now,
        "kind": "fanout",
        "priority": int(Priority.bulk),
        "school_id": school_id,
        "sender": f"bureau:{announcement['district_id']}",
        "announcement_id": announcement["_id"],
        "guardians": guardians,
        "queued_at": now,
    }


def _fanout_entry(announcement_id: str) -> str:
    return f"fanout-{announcement_id}"


class NoConfirmation(Problem):
    def __init__(self) -> None:
        super().__init__(
            409, "no-confirmation", "该通知不需要确认 (this announcement asks for no confirmation)"
        )


def still_to_confirm(
    recipients: dict[str, list[str]], confirmed: set[str], mode: str
) -> tuple[int, list[PendingStudent]]:
    """Students not yet confirmed for, and whose guardians could still confirm: with
    ``any_guardian`` one guardian's confirmation settles the student, with ``every_guardian`` all."""
    by_student: dict[str, list[str]] = {}
    for guardian_id, student_ids in recipients.items():
        for student_id in student_ids or ["-"]:
            by_student.setdefault(student_id, []).append(guardian_id)
    pending = []
    for student_id, guardian_ids in sorted(by_student.items()):
        waiting = [g for g in guardian_ids if g not in confirmed]
        settled = not waiting if mode == "every_guardian" else len(waiting) < len(guardian_ids)
        if not settled:
            pending.append(PendingStudent(student_id=student_id, pending_guardian_ids=sorted(waiting)))
    return len(by_student), pending


class Announcements:
    def __init__(self, store: NotificationStore, outbox: Outbox) -> None:
        self.store, self.outbox = store, outbox

    async def audience(
        self, caller: Caller, request: AnnouncementCreate, school_id: str
    ) -> tuple[str, list[Document], dict[str, list[str]]]:
        """A school's letter: its district, the guardians addressed and, for each, their children.

        403 for an audience the caller's role may not address; 404 for a school, class or guardian
        outside the caller's reach, each checked against its own record (a class's school, a
        guardian's school and children), exactly like one that does not exist."""
        who = request.audience
        access.AUDIENCES[who.kind].role_allowed(caller)
        district_id = ensure_found(await self.store.school_district(school_id), "学校")
        access.LETTER_SCHOOL.check(caller, access.school_scope(district_id, school_id))
        school = {"district_id": district_id, "school_id": school_id}
        for class_id in who.class_ids:
            klass = ensure_found(await self.store.get(CLASSES, class_id), "班级")
            access.ADDRESSED_CLASS.check(caller, access.class_scope(klass))
        # a teacher's letter concerns only the children of the classes they teach
        students = [
            s
            for s in await self.store.students_of_school(district_id, school_id)
            if access.ADDRESSED_STUDENT.allows(caller, access.student_scope(s))
        ]
        if who.kind == "grade":
            grades = {c["_id"]: c["grade"] for c in await self.store.find(CLASSES, school)}
            students = [s for s in students if grades.get(s["class_id"]) == who.grade]
        elif who.kind == "class":
            students = [s for s in students if s["class_id"] in who.class_ids]
        elif who.kind == "care_category":
            students = [s for s in students if who.care_category in s["care_categories"]]
        wanted = {s["_id"] for s in students}
        if who.kind == "guardians":
            guardians = [await self._addressed_guardian(caller, g, wanted) for g in who.guardian_ids]
        else:
            guardians = [
                g for g in await self.store.find(GUARDIANS, school) if wanted & set(g["student_ids"])
            ]
        children = {g["_id"]: sorted(wanted & set(g["student_ids"])) for g in guardians}
        return district_id, guardians, children

    async def audience_of_district(
        self, caller: Caller, request: AnnouncementCreate
    ) -> tuple[dict[str, SchoolAudience], SchoolAudience]:
        """The bureau's letter to its district: each school's audience, and their sum."""
        access.AUDIENCES[request.audience.kind].role_allowed(caller)
        schools = await self.district_audience(caller.district_id)
        return schools, sum(schools.values(), NOBODY)

    async def district_audience(self, district_id: str) -> dict[str, SchoolAudience]:
        """Each school's audience for a letter to the district: the kept counts, and those of
        schools whose people changed since counted again, a few schools at a time."""
        generations = await self.store.audience_generations(district_id)  # read before counting
        schools = await self.store.district_schools(district_id) | set(generations)
        kept = await self.store.counted_audiences(district_id)
        slots = asyncio.Semaphore(FANOUT_SCHOOLS_AT_ONCE)

        async def count(school_id: str) -> SchoolAudience:
            generation = generations.get(school_id, "")
            known = kept.get(school_id)
            if known is not None and known.get("generation") == generation:
                return SchoolAudience.of(known)
            async with slots:
                roster = await self._roster(district_id, school_id, generation)
                counts = audience.counted(roster.guardians, roster.children)
                await self.store.keep_audience(district_id, school_id, generation, counts.as_document())
            return counts

        ordered = sorted(schools)
        return dict(zip(ordered, await asyncio.gather(*(count(s) for s in ordered)), strict=True))

    async def _roster(self, district_id: str, school_id: str, generation: str) -> Roster:
        """A letter to the whole school: its guardians with an enrolled child, and their children,
        in the order of their ids (the same batches when addressed again); read once per
        ``generation`` of the school's people and kept. A child moved to another school (转学)
        keeps their guardians here, so children not enrolled here are looked up across the
        district."""
        kept = await self.store.roster(district_id, school_id, generation)
        if kept is not None:
            return kept
        students, guardians = await self.store.people_of_school(district_id, school_id)
        enrolled = {s["_id"] for s in students}
        elsewhere = {child for g in guardians for child in g["student_ids"]} - enrolled
        if elsewhere:
            enrolled |= await self.store.enrolled_in_district(district_id, elsewhere)
        addressed, children = audience.children_addressed(enrolled, sorted(guardians, key=lambda g: g["_id"]))
        roster = Roster.made([addressed_as(g) for g in addressed], children)
        await self.store.keep_roster(district_id, school_id, generation, roster)
        return roster

    async def _addressed_guardian(self, caller: Caller, guardian_id: str, wanted: set[str]) -> Document:
        """A guardian a letter names: in the caller's reach by their own school and their children's
        classes, and with a child the letter may concern."""
        guardian = ensure_found(await self.store.get(GUARDIANS, guardian_id), "家长")
        children = await self.store.find(STUDENTS, {"_id": {"$in": list(guardian["student_ids"])}})
        class_ids = [c["class_id"] for c in children if c.get("school_id") == guardian["school_id"]]
        access.ADDRESSED_GUARDIAN.check(caller, access.guardian_scope(guardian, class_ids))
        if not wanted & set(guardian["student_ids"]):
            # no enrolled child of theirs the letter is about: out of its reach, as a read would be
            raise OutOfScope("家长", "guardian of no child the letter concerns")
        return guardian

    async def preview(self, caller: Caller, request: AnnouncementCreate) -> Preview:
        if request.school_id is None:  # the bureau's letter to its district: the kept counts
            _, total = await self.audience_of_district(caller, request)
        else:
            _, guardians, children = await self.audience(caller, request, request.school_id)
            total = audience.counted(guardians, children)
        words, others = request.words()
        variables = {
            "school_name": await self._sender(request.school_id),
            "confirmation": request.confirmation != "none",
        } | words
        # each language as its guardians will read it: in its own words, else in zh-CN's
        samples = {
            language: templates.render(
                request.template,
                language,
                variables | others.get(language, {}),
                self.outbox.settings.school_timezone,
            )
            for language in templates.LANGUAGES
        }
        # a letter that is not essential leaves out the guardians who declined such letters
        left_out = 0 if request.essential else total.declined
        return Preview(
            recipients=total.guardians - left_out,
            students=total.students,
            opted_out=left_out,
            without_contact=total.without_contact
            - (0 if request.essential else total.declined_without_contact),
            samples=samples,
        )

    async def _sender(self, school_id: str | None) -> str:
        return await self.store.school_name(school_id) if school_id else DISTRICT_SENDER

    async def send(
        self, caller: Caller, request: AnnouncementCreate, announcement_id: str
    ) -> AnnouncementPublic:
        """Keep the letter and queue its messages; its summary is counted from what was made.
        The bureau's letter to its district is kept with its count and addressed school by school
        after it is accepted, each school's part a piece of queued work (``tell_school``)."""
        guardians: list[Document] = []
        children: dict[str, list[str]] = {}
        schools: dict[str, SchoolAudience] = {}
        if request.school_id is None:
            district_id = caller.district_id
            schools, total = await self.audience_of_district(caller, request)
            addressed = total.guardians
        else:
            district_id, guardians, children = await self.audience(caller, request, request.school_id)
            addressed = len(guardians)
        words, others = request.words()  # 422 before anything is kept
        if not addressed:
            raise EmptyAudience()
        given = {"school_name": ""}
        for language in templates.LANGUAGES:  # 422 before anything is kept
            templates.render(
                request.template,
                language,
                given | words | others.get(language, {}),
                self.outbox.settings.school_timezone,
            )
        now = datetime.now(UTC)
        announcement = {
            "_id": announcement_id,
            "district_id": district_id,
            "school_id": request.school_id,
            "audience": request.audience.model_dump(mode="json"),
            "template": request.template,
            "variables": words,
            "texts": others,
            "essential": request.essential,
            "confirmation": request.confirmation,
            "recipients": children,
            "recipient_count": addressed,
            "reminders": 0,
            "created_by": caller.subject,
            "created_at": now,
        }
        if request.school_id is None:
            announcement["addressed_by_school"] = True
            # each school's work queued before the letter is kept: a process stopping in between
            # leaves work that finds no letter (and goes), never a letter kept but not sent; the
            # dispatcher is woken once the letter is there
            await self.store.add_entries(
                [
                    _school_entry(announcement, school_id, counts.guardians, now)
                    for school_id, counts in schools.items()
                    if counts.guardians
                ],
                wake=False,
            )
            await self.store.insert_once(ANNOUNCEMENTS, announcement)
            self.store.queued.set()
            return _public(announcement, {})
        # A safety net first: should this process stop before every message is queued, the
        # dispatcher finishes the fan-out (message ids are fixed, so nothing is sent twice).
        await self.store.enqueue(
            _fanout_entry(announcement_id), now + FANOUT_GRACE, "fanout", Priority.bulk, request.school_id
        )
        await self.store.insert_once(ANNOUNCEMENTS, announcement)
        made = await self.fan_out(announcement, guardians)
        await self.store.dequeue(_fanout_entry(announcement_id))
        counts: dict[str, int] = {}
        for message in made:
            counts[message["status"]] = counts.get(message["status"], 0) + 1
        return _public(announcement, counts)

    async def fan_out(
        self, announcement: Document, guardians: list[Document] | None = None
    ) -> list[Document]:
        if guardians is None:
            guardians = await self._recipients(announcement, list(announcement["recipients"]))
        # a district's letter is told school by school: each school's messages are its own (its
        # admin sees them; batches take turns with other schools')
        by_school: dict[str, list[Document]] = {}
        for guardian in guardians:
            by_school.setdefault(guardian["school_id"], []).append(guardian)
        chosen = await self.store.preferences_of([g["_id"] for g in guardians])
        # a few schools at once: the store writes one school's messages while the next are made
        slots = asyncio.Semaphore(FANOUT_SCHOOLS_AT_ONCE)

        async def tell(school_id: str, addressed: list[Document]) -> list[Document]:
            async with slots:
                return await self.outbox.tell(
                    _notice(announcement, school_id), addressed, announcement["recipients"], chosen
                )

        told = await asyncio.gather(*(tell(school, addressed) for school, addressed in by_school.items()))
        return [message for made in told for message in made]

    async def _recipients(self, announcement: Document, guardian_ids: list[str]) -> list[Document]:
        """The letter's guardians as known here now, read in one pass."""
        if announcement["school_id"] is None:
            where = {"district_id": announcement["district_id"]}
            wanted = set(guardian_ids)
            return [g for g in await self.store.find(GUARDIANS, where) if g["_id"] in wanted]
        return await self.store.named(GUARDIANS, announcement["school_id"], guardian_ids)

    async def tell_school(self, announcement: Document, school_id: str) -> None:
        """One school's part of the bureau's letter to its district. Its recipients are fixed when
        first addressed and kept, so work done again after a crash addresses the same guardians
        (and plans the same batches: nothing is sent twice). Its messages are planned, not
        written: each is made at its batch's first round (``made_at_first_round``)."""
        part = {
            "_id": f"{announcement['_id']}:{school_id}",
            "announcement_id": announcement["_id"],
            "district_id": announcement["district_id"],
            "school_id": school_id,
        }
        # read side by side: a county has hundreds of small schools, each part a few round trips
        kept, generation = await asyncio.gather(
            self.store.get(LETTER_RECIPIENTS, part["_id"]),
            self.store.generation(school_id),  # read before the people
        )
        if kept is None:
            roster = await self._roster(announcement["district_id"], school_id, generation)
            _, chosen = await asyncio.gather(
                self.store.insert_once(LETTER_RECIPIENTS, part | {"roster": roster.packed}),
                self.store.preferences_of([g["_id"] for g in roster.guardians]),
            )
        else:
            roster = await self._addressed_before(kept, school_id)
            chosen = await self.store.preferences_of([g["_id"] for g in roster.guardians])
        await self.outbox.plan(_notice(announcement, school_id), roster.guardians, roster.children, chosen)

    async def _addressed_before(self, kept: Document, school_id: str) -> Roster:
        """A school's part addressed before: the same guardians, in the same order; or, kept
        before its roster was kept whole, its guardians as they are now."""
        if "roster" in kept:
            return Roster.of(kept["roster"])
        children = dict(kept["recipients"])
        found = await self.store.named(GUARDIANS, school_id, sorted(children))
        return Roster.made(sorted(found, key=lambda g: g["_id"]), children)

    async def made_at_first_round(
        self, entry: Document, plan: dict[str, Planned], now: datetime
    ) -> list[Document]:
        """A planned batch of a district letter's school part (``tell_school``), made as it was
        planned: the same ids, from what the plan kept of each guardian (no guardian is read)."""
        announcement = await self.store.get(ANNOUNCEMENTS, entry["letter"])
        if announcement is None:
            return []
        return self.outbox.made_planned(_notice(announcement, entry["school_id"]), plan, now)

    async def recipients_of(self, announcement: Document) -> dict[str, list[str]]:
        """Each guardian the letter addressed, with their children it concerns."""
        recipients = dict(announcement["recipients"])
        if announcement.get("addressed_by_school"):
            for part in await self.store.find(LETTER_RECIPIENTS, {"announcement_id": announcement["_id"]}):
                recipients.update(
                    Roster.of(part["roster"]).children if "roster" in part else part["recipients"]
                )
        return recipients

    async def finish_fan_out(self, entry: Document, now: datetime) -> None:
        """Queue handler: one school's part of a district letter; or an announcement whose sender
        stopped half-way, sent to the rest."""
        announcement_id = entry.get("announcement_id") or entry["_id"].removeprefix("fanout-")
        announcement = await self.store.get(ANNOUNCEMENTS, announcement_id)
        queued_at = entry.get("queued_at") or entry["due_at"]
        if announcement is None and entry.get("announcement_id") and now - queued_at < FANOUT_GRACE:
            # a school's part is queued just before its letter is kept: look again in a moment
            await self.store.replace(QUEUE, entry | {"due_at": now + LETTER_AWAITED, "queued_at": queued_at})
            return
        if announcement is not None and entry.get("announcement_id"):
            await self.tell_school(announcement, entry["school_id"])
        elif announcement is not None:
            await self.fan_out(announcement)
        await self.store.dequeue(entry["_id"])

    async def of_school(self, caller: Caller, school_id: str, limit: int) -> list[LetterListed]:
        """The school's letters, newest first, each with its messages counted by the store: two
        aggregations over these letters' messages, never a read of the messages themselves, and
        the letters read without their lists of recipients."""
        access.SCHOOL_LETTERS.role_allowed(caller)
        district_id = ensure_found(await self.store.school_district(school_id), "学校")
        access.SCHOOL_LETTERS.check(caller, access.school_scope(district_id, school_id))
        letters = await self.store.letters_of_school(district_id, school_id, limit)
        ids = [letter["_id"] for letter in letters]
        counts, confirmed = await self.store.letter_counts(district_id, school_id, ids)
        return [
            listed(letter, counts.get(letter["_id"], {}), confirmed.get(letter["_id"], 0))
            for letter in letters
        ]

    async def get(self, caller: Caller, announcement_id: str) -> Document:
        """A letter in the caller's reach: its school's admin, or the teacher who wrote it."""
        if caller.role not in access.DISTRICT_LETTERS.reach:
            access.ANNOUNCEMENTS.role_allowed(caller)
        announcement = ensure_found(await self.store.get(ANNOUNCEMENTS, announcement_id), "通知")
        access.letters_rule(announcement).check(caller, access.announcement_scope(announcement))
        return announcement

    async def sent(self, announcement_id: str) -> list[Document]:
        """The letter's own messages (not its reminders), by the indexed ``source_id``."""
        letter = {"source_id": announcement_id, "purpose": {"$ne": "announcement_reminder"}}
        return await self.store.messages_of(letter)

    async def messages(self, caller: Caller, announcement_id: str) -> list[LetterMessage]:
        """The letter's messages, one per guardian, for whoever may read the letter."""
        await self.get(caller, announcement_id)
        return [LetterMessage.of(m) for m in await self.sent(announcement_id)]

    async def summary(self, caller: Caller, announcement_id: str) -> AnnouncementPublic:
        announcement = await self.get(caller, announcement_id)
        letter = {"source_id": announcement_id, "purpose": {"$ne": "announcement_reminder"}}
        counts = await self.store.status_counts(letter)
        # a district letter's messages planned are queued, only not yet made
        planned = (
            await self.store.planned_count(announcement_id) if announcement.get("addressed_by_school") else 0
        )
        if planned:
            counts["queued"] = counts.get("queued", 0) + planned
        return _public(announcement, counts)

    async def confirmations(self, caller: Caller, announcement_id: str) -> Confirmations:
        announcement = await self.get(caller, announcement_id)
        if announcement["confirmation"] == "none":
            raise NoConfirmation()
        confirmed = {m["recipient_id"] for m in await self.sent(announcement_id) if m.get("confirmed_at")}
        students, pending = still_to_confirm(
            await self.recipients_of(announcement), confirmed, announcement["confirmation"]
        )
        return Confirmations(
            confirmation=announcement["confirmation"],
            students=students,
            confirmed=students - len(pending),
            pending=pending,
        )

    async def remind(self, caller: Caller, announcement_id: str) -> list[Document]:
        """Remind only the guardians whose confirmation is still missing."""
        announcement = await self.get(caller, announcement_id)
        state = await self.confirmations(caller, announcement_id)
        pending = sorted({g for student in state.pending for g in student.pending_guardian_ids})
        round_ = announcement["reminders"] + 1
        await self.store.replace(ANNOUNCEMENTS, announcement | {"reminders": round_})
        originals = {m["recipient_id"]: m for m in await self.sent(announcement_id)}
        recipients = await self.recipients_of(announcement)
        known = {g["_id"]: g for g in await self._recipients(announcement, pending)}
        made: list[Document] = []
        for guardian_id in pending:
            guardian = known.get(guardian_id)
            original = originals.get(guardian_id)
            if guardian is None or original is None:
                continue
            notice = Notice(
                key=f"{announcement_id}-r{round_}",
                purpose="announcement_reminder",
                district_id=announcement["district_id"],
                school_id=guardian["school_id"],
                source_id=announcement_id,
                variables={"title": announcement["variables"].get("title", original["subject"])},
                by_language={
                    language: {"title": text["title"]}
                    for language, text in (announcement.get("texts") or {}).items()
                },
                confirmation=True,
                action=Action("confirm", announcement_id),
                confirms=original["_id"],
            )
            made += await self.outbox.tell(notice, [guardian], {guardian_id: recipients[guardian_id]})
        return made


def languages_of(announcement: Document) -> list[str]:
    return [DEFAULT_LANGUAGE, *sorted(announcement.get("texts") or {})]


def _public(announcement: Document, counts: dict[str, int]) -> AnnouncementPublic:
    return AnnouncementPublic(
        announcement_id=announcement["_id"],
        school_id=announcement["school_id"],
        template=announcement["template"],
        confirmation=announcement["confirmation"],
        recipients=announcement.get("recipient_count", len(announcement["recipients"])),
        status_counts=counts,
        created_at=announcement["created_at"],
        languages=languages_of(announcement),
    )


REACHED = ("sent", "delivered", "read")


def audience_summary(audience: Document) -> AudienceSummary:
    return AudienceSummary(
        kind=audience["kind"],
        grade=audience.get("grade"),
        class_ids=list(audience.get("class_ids") or []),
        care_category=audience.get("care_category"),
        guardians=len(audience.get("guardian_ids") or []) if audience["kind"] == "guardians" else None,
    )


def listed(announcement: Document, counts: dict[str, int], confirmed: int) -> LetterListed:
    """A letter as the school's list shows it, from the letter and its messages' counts."""
    recipients = announcement.get("recipient_count")
    return LetterListed(
        announcement_id=announcement["_id"],
        title=str(announcement["variables"].get("title") or ""),
        languages=languages_of(announcement),
        audience=audience_summary(announcement["audience"]),
        template=announcement["template"],
        confirmation=announcement["confirmation"],
        created_at=announcement["created_at"],
        recipients=recipients if recipients is not None else len(announcement.get("recipients") or {}),
        reached=sum(counts.get(status, 0) for status in REACHED),
        confirmed=confirmed,
        failed=counts.get("failed", 0),
        status_counts=counts,
    )
