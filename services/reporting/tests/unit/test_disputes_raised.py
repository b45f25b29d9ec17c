"""A dispute a school raises, as rules without I/O: one per school, figure and revision (its key),
open until the bureau answers; asked for under another month it answers as a missing one; the API
answers it with its key as ``dispute_id``."""

import pytest
from reporting.disputes import AlreadyDisputed, dispute_id, public_dispute, raised, require_month
from reporting.periods import Month
from service_kit.errors import NotFound

OCTOBER = Month(2026, 10)


def dispute(figure: str = "home_visit_coverage", revision: int = 1) -> dict:
    return raised("d-1", OCTOBER, "sch-ls", figure, "家访10月20日已完成，因网络故障迟录", revision, "adm-ls")


def test_a_dispute_is_raised_open_on_the_current_revision() -> None:
    assert dispute(revision=2) == {
        "_id": "dsp-d-1-2026-10-sch-ls-2-home_visit_coverage",
        "district_id": "d-1",
        "month": "2026-10",
        "school_id": "sch-ls",
        "figure": "home_visit_coverage",
        "reason": "家访10月20日已完成，因网络故障迟录",
        "revision": 2,
        "status": "open",
        "raised_by": "adm-ls",
    }


def test_one_dispute_per_school_figure_and_revision() -> None:
    assert dispute()["_id"] == dispute()["_id"]  # the same again: refused when stored (409)
    keys = {dispute()["_id"], dispute(figure="score")["_id"], dispute(revision=2)["_id"]}
    assert len(keys) == 3
    assert dispute_id("d-1", OCTOBER, "sch-9", 1, "score") not in keys
    assert AlreadyDisputed().status == 409


def test_a_dispute_asked_for_under_another_month_is_missing() -> None:
    found = dispute()
    assert require_month(found, OCTOBER, "通报异议") is found
    with pytest.raises(NotFound) as problem:
        require_month(found, Month(2026, 11), "通报异议")
    assert problem.value.status == 404


def test_the_api_answers_a_dispute_with_its_key_as_dispute_id() -> None:
    answered = public_dispute(dispute())
    assert answered["dispute_id"] == dispute()["_id"]
    assert "_id" not in answered
    assert {k: v for k, v in answered.items() if k != "dispute_id"} == {
        k: v for k, v in dispute().items() if k != "_id"
    }
