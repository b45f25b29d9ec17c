"""A small demo district (叶城县 sample names from DOMAIN.md), seeded through the services' APIs.

Until the registry holds schools and classes, the demo logs home visits through scheduling and
prints tokens to explore with. Seeding runs once: a district that already has visits is left alone.
"""

import time
from datetime import date, timedelta

import httpx
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

SCHEDULING = "http://127.0.0.1:8002"
REPORTING = "http://127.0.0.1:8004"
DISTRICT = "d-yecheng"

SCHOOLS = {
    "sch-yecheng-9": "叶城县第九小学",
    "sch-chengmingyao": "澄铭窯小学",
    "sch-liangshe": "良舍小学",
    "sch-liuwanglou": "刘王楼初中",
    "sch-danyang": "丹阳小学",
    "sch-songshan": "松山街道中心小学",
}

# (school, class, teacher, number of students visited)
VISITS = [
    ("sch-yecheng-9", "cls-3-2", "stf-yc9-0012", 6),
    ("sch-yecheng-9", "cls-5-1", "stf-yc9-0031", 4),
    ("sch-liangshe", "cls-4-1", "stf-ls-0007", 3),
    ("sch-liuwanglou", "cls-8-3", "stf-lwl-0102", 5),
    ("sch-songshan", "cls-1-2", "stf-ss-0044", 2),
]
MODES = ["in_person", "phone", "in_person", "video", "school_visit"]


def token(
    settings: ServiceSettings,
    role: Role,
    school: str | None = None,
    classes: list[str] | None = None,
    subject: str = "demo",
) -> str:
    return mint_token(
        settings, subject=subject, role=role, district_id=DISTRICT, school_id=school, class_ids=classes
    )


def main() -> None:
    settings = ServiceSettings()
    bureau = token(settings, Role.bureau, subject="bureau-demo")
    with httpx.Client(timeout=10) as http:
        auth = {"authorization": f"Bearer {bureau}"}
        already = http.get(f"{REPORTING}/v1/schools/sch-yecheng-9/home-visits", headers=auth).json()
        if already.get("visits_logged", 0) == 0:
            logged = 0
            for school, class_id, teacher, students in VISITS:
                headers = {
                    "authorization": f"Bearer {token(settings, Role.teacher, school, [class_id], teacher)}"
                }
                for n in range(students):
                    answer = http.post(
                        f"{SCHEDULING}/v1/home-visits",
                        headers=headers,
                        json={
                            "student_id": f"stu-{school[4:]}-{class_id[4:]}-{n:02d}",
                            "class_id": class_id,
                            "visited_on": (date.today() - timedelta(days=3 + n)).isoformat(),
                            "mode": MODES[n % len(MODES)],
                            "topics": ["学习习惯", "安全教育"],
                        },
                    )
                    answer.raise_for_status()
                    logged += 1
            for _ in range(100):  # the visits reach reporting through the change relay and Kafka
                if http.get(f"{REPORTING}/v1/schools/sch-yecheng-9/home-visits", headers=auth).json()[
                    "visits_logged"
                ]:
                    break
                time.sleep(0.2)
            schools = len({school for school, *_ in VISITS})
            print(f"[demo] logged {logged} home visits (家访) in {schools} of {len(SCHOOLS)} schools")
        print("[demo] schools:", ", ".join(f"{name} ({school})" for school, name in SCHOOLS.items()))
        teacher = token(settings, Role.teacher, "sch-yecheng-9", ["cls-3-2"], "stf-yc9-0012")
        print(f"[demo] bureau token (教育局):   {bureau}")
        print(f"[demo] teacher token (班主任): {teacher}")
        print(
            '[demo] try: curl -H "Authorization: Bearer <bureau token>" '
            f"{REPORTING}/v1/schools/sch-yecheng-9/home-visits"
        )


if __name__ == "__main__":
    main()
