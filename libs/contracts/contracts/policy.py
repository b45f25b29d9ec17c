"""The district policy's targets and their defaults (DOMAIN.md's table), shared by the registry,
which lets the bureau revise them per school year, and reporting, which measures against them
(also before the bureau has ever published a revision)."""

DEFAULT_TARGETS: dict[str, float] = {
    "home_visit_coverage": 0.667,  # at least 2/3 of a class visited per school year
    "holiday_visit_coverage": 0.6,
    "mandatory_visit_coverage": 1.0,  # 三必访: every left-behind, hardship, special-attention student
    # distinct students each teacher visits a term (科任教师……每学期至少家访5人); reporting measures
    # the share of teachers who reach it (teachers_reaching_visit_quota_per_term)
    "visits_per_teacher_per_term": 5,
    "guardian_contacts_per_month": 1,
    "class_parent_meetings_per_term": 1,
    "school_parent_meetings_per_term": 1,
    "parent_school_sessions_per_quarter_per_grade": 1,
    "open_days_per_term": 1,
    "committee_meetings_per_term": 1,
    "reception_days_per_month": 1,
    "partner_activities_per_agreement_per_term": 1,
    "monthly_submission_deadline_day": 5,
    # weights of the composite score that ranks schools in the monthly bulletin (they sum to 1)
    "weight_home_visit_coverage": 0.3,
    "weight_mandatory_visit_coverage": 0.3,
    "weight_parent_meetings": 0.15,
    "weight_partner_activities": 0.1,
    "weight_guardian_contact": 0.15,
}

# Targets that are shares of a whole (a rate: 0.667 is 66.7%), against counts (meetings per term,
# visits per teacher) and the day of the month the submission is due.
RATE_TARGETS: frozenset[str] = frozenset(
    {"home_visit_coverage", "holiday_visit_coverage", "mandatory_visit_coverage"}
)
WEIGHT_PREFIX = "weight_"
