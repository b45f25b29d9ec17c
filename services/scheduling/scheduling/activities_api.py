from fastapi import APIRouter, Request
from service_kit.access import ensure_found
from service_kit.auth import CurrentCaller

from scheduling import access, activities
from scheduling.api import StoreDep, children

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
    """登记共建活动 (under an active co-building agreement of the caller's school)."""
    agreement = await store.projected(activities.AGREEMENTS, activity.agreement_id)
    classes = [await store.class_(class_id) for class_id in activity.class_ids]
    change = activities.record_activity(
        caller, agreement, activity, classes, request.app.state.settings.school_today()
    )
    await store.record(change)
    return activities.ActivityPublic.model_validate(change.state | {"version": 1})


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
    """共建单位确认活动及人次 (the partner, with its own token)."""
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
