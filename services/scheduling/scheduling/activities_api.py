from typing import Annotated

from fastapi import APIRouter, Query, Request
from service_kit.access import ensure_found
from service_kit.auth import CurrentCaller
from service_kit.errors import Invalid

from scheduling import access, activities
from scheduling.api import StoreDep, children, reached_school

router = APIRouter(prefix="/v1")


@router.post(
    "/partner-activities",
    status_code=201,
    response_model=activities.ActivityPublic,
    tags=["partners 共建活动"],
)
async def record_activity(
    activity: activities.ActivityCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> activities.ActivityPublic:
    """登记共建活动 (the school's staff under an active co-building agreement of the school; a
    partner under its own; the other side then confirms it)."""
    agreement = await store.projected(activities.AGREEMENTS, activity.agreement_id)
    classes = [await store.class_(class_id) for class_id in activity.class_ids]
    change = activities.record_activity(
        caller, agreement, activity, classes, request.app.state.settings.school_today()
    )
    await store.record(change)
    return activities.ActivityPublic.model_validate(change.state | {"version": 1})


@router.get(
    "/schools/{school_id}/partner-activities",
    response_model=list[activities.ActivityPublic],
    tags=["partners 共建活动"],
)
async def school_activities(
    school_id: str, caller: CurrentCaller, store: StoreDep
) -> list[activities.ActivityPublic]:
    """学校的共建活动，最新的在前 (the school admin and the school's teachers), with who logged each
    and whether the partner and the school confirmed it."""
    school = await reached_school(store, caller, school_id, access.SCHOOL_STAFF)
    where = {"district_id": school["district_id"], "school_id": school["_id"]}
    return activities.listed(await store.find(activities.ACTIVITIES, where))


@router.get(
    "/partner-activities",
    response_model=list[activities.ActivityPublic],
    tags=["partners 共建活动"],
)
async def my_activities(
    caller: CurrentCaller,
    store: StoreDep,
    mine: Annotated[bool, Query(description="true: the calling partner's own activities.")] = False,
) -> list[activities.ActivityPublic]:
    """共建单位自己的共建活动，最新的在前 (a partner, ``mine=true``), with who logged each and whether
    it and the school confirmed it."""
    access.MY_PARTNER_ACTIVITIES.role_allowed(caller)
    if not mine:
        raise Invalid("query.mine", "请使用 mine=true 列出本单位的活动 (only mine=true is supported)")
    where = {"district_id": caller.district_id, "partner_id": caller.subject}
    found = await store.find(activities.ACTIVITIES, where)
    scope = access.activity_scope
    return activities.listed([a for a in found if access.MY_PARTNER_ACTIVITIES.allows(caller, scope(a))])


@router.get(
    "/partner-activities/{activity_id}",
    response_model=activities.ActivityPublic | activities.ActivityGuardianView,
    tags=["partners 共建活动"],
)
async def read_activity(
    activity_id: str, caller: CurrentCaller, store: StoreDep
) -> activities.ActivityPublic | activities.ActivityGuardianView:
    """查看共建活动 (the school, the bureau; the partner its own; a guardian, without counts or
    notes, those of a child's class or of the whole school)."""
    access.PARTNER_ACTIVITIES.role_allowed(caller)
    activity = ensure_found(await store.projected(activities.ACTIVITIES, activity_id), "共建活动")
    return activities.activity_for(caller, activity, await children(store, caller))


@router.post(
    "/partner-activities/{activity_id}/confirmation",
    response_model=activities.ActivityPublic,
    tags=["partners 共建活动"],
)
async def confirm_activity(
    activity_id: str, caller: CurrentCaller, store: StoreDep
) -> activities.ActivityPublic:
    """确认活动及人次: the partner, with its own token, what the school logged; the school admin what
    the partner logged."""
    change = activities.confirm_activity(caller, await store.projected(activities.ACTIVITIES, activity_id))
    await store.record(change)
    return activities.ActivityPublic.model_validate(change.state | {"version": change.version})


@router.post("/pairing-exchanges", status_code=201, tags=["pairs 结对帮扶交流"])
async def record_exchange(
    exchange: activities.ExchangeCreate, caller: CurrentCaller, store: StoreDep, request: Request
) -> dict[str, str]:
    """登记结对帮扶交流 (a school of the pair)."""
    pair = await store.projected(activities.PAIRS, exchange.pair_id)
    change = activities.record_exchange(caller, pair, exchange, request.app.state.settings.school_today())
    await store.record(change)
    return {"exchange_id": change.aggregate_id}
