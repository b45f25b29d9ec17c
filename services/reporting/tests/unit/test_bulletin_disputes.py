"""A dispute the bureau accepts, as rules without I/O: the revision's published reason names the
school, the figure and the bureau's note, never the school's own words; the revision is published
before the dispute is settled, once per dispute, so a retry after a stop in between settles the
dispute with the revision already made rather than publishing a second one."""

import pytest
from reporting.bulletin import DisputeSettled, acceptance, may_reject, published_reason
from reporting.measures import LABELS, SHORT_LABELS, measure
from reporting.reports import MeasureOut

PUPIL = "艾力·买买提"  # a child a school's reason might name
REASON = f"{PUPIL}的家访10月20日已完成，因网络故障迟录"


DOCUMENT = {
    "ranking": [{"school_id": "sch-9", "name": "叶城县第九小学"}, {"school_id": "sch-ls", "name": "良舍小学"}]
}


def dispute(status: str = "open", **more) -> dict:
    return {
        "_id": "dsp-1",
        "month": "2026-10",
        "school_id": "sch-ls",
        "figure": "home_visit_coverage",
        "reason": REASON,
        "revision": 1,
        "status": status,
    } | more


def revision(number: int, **more) -> dict:
    return {"revision": number, "dispute_id": None} | more


def test_the_published_reason_is_the_school_the_figure_and_the_bureaus_note() -> None:
    reason = published_reason(DOCUMENT, dispute(), "核实无误，予以补录")
    assert reason == "良舍小学 家访覆盖率：核实无误，予以补录"
    assert PUPIL not in reason
    score = published_reason(DOCUMENT, dispute(figure="score"), "予以更正")
    assert score == "良舍小学 综合得分：予以更正"
    unknown = published_reason(DOCUMENT, dispute(figure="something_else"), "予以更正")
    assert "something_else" not in unknown


def test_an_open_dispute_gets_the_next_revision_number() -> None:
    step = acceptance(dispute(), [revision(1), revision(2, dispute_id="dsp-0")])
    assert (step.made, step.number) == (None, 3)


def test_a_retry_after_a_stop_between_publishing_and_settling_publishes_nothing_new() -> None:
    made = revision(2, dispute_id="dsp-1")
    step = acceptance(dispute(), [revision(1), made, revision(3, dispute_id="dsp-2")])
    assert step.made is made
    assert step.number == 2


def test_a_dispute_accepted_without_its_revision_recorded_is_finished_not_refused() -> None:
    # the state the earlier order (settle first, then publish) could leave behind
    step = acceptance(dispute("accepted"), [revision(1)])
    assert (step.made, step.number) == (None, 2)


@pytest.mark.parametrize(
    "settled", [dispute("rejected"), dispute("accepted", decided_revision=2)], ids=["rejected", "accepted"]
)
def test_a_settled_dispute_is_not_accepted_again(settled: dict) -> None:
    with pytest.raises(DisputeSettled):
        acceptance(settled, [revision(1), revision(2, dispute_id="dsp-1")])


def test_a_dispute_with_a_revision_published_for_it_is_not_rejected() -> None:
    may_reject(dispute(), [revision(1)])
    with pytest.raises(DisputeSettled):
        may_reject(dispute(), [revision(1), revision(2, dispute_id="dsp-1")])
    with pytest.raises(DisputeSettled):
        may_reject(dispute("rejected"), [revision(1)])


def test_a_measure_carries_its_short_name_beside_its_explained_label() -> None:
    quota = measure("teachers_reaching_visit_quota_per_term", 0.8, 0.5, 0.5, quota=5)
    assert quota.name == "家访达标教师比例"
    assert quota.label.startswith("家访满5名学生的教师比例")
    coverage = measure("home_visit_coverage", 0.667, 0.5, 0.5).as_dict()
    assert (coverage["name"], coverage["label"]) == ("家访覆盖率", LABELS["home_visit_coverage"])
    # a measure stored before it carried its name gets it from its key
    stored = {k: v for k, v in coverage.items() if k != "name"}
    assert MeasureOut.model_validate(stored).name == "家访覆盖率"
    assert SHORT_LABELS["guardian_contacts_per_month"] == "家长月度联系覆盖率"
