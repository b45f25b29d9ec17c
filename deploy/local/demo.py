"""A small demo district (叶城县, with the sample names of DOMAIN.md), seeded through the APIs.

The bureau registers six schools, pairs 叶城县第九小学 with 良舍小学 and sets the autumn term;
叶城县第九小学 hires the demo head teacher (班主任) of its 三年级2班; two schools import class
rosters (students, guardians, care categories); 松山街道中心小学 signs a co-building agreement
with 文化路派出所; teachers log home visits (the demo head teacher's 三必访 students are left for
them to visit). A district that already has schools is left as it is, so `make up` can run again.

Every run then makes sure the demo's people have an active portal account with a known password:
the head teacher, 叶城县第九小学's 德育主任 (school admin, the school's console), 文化路派出所
(the partner of 松山街道中心小学's agreement, the partner's pages) and an officer of the bureau
(教育局, the bureau's console). The activation link the portal sent is read from the stand-ins (mail
at ``/mail``, the partner's SMS at ``/sms/messages``) and used on the portal's own
``POST /auth/activate``, as the activation page does.

The addresses default to `make up`'s; ``DEMO_*`` variables point the demo elsewhere (a test).
"""

import os
import re
import time
from datetime import timedelta
from typing import Any

import httpx
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

PORTAL = os.environ.get("DEMO_PORTAL_URL", "http://127.0.0.1:8000")
REGISTRY = os.environ.get("DEMO_REGISTRY_URL", "http://127.0.0.1:8001")
SCHEDULING = os.environ.get("DEMO_SCHEDULING_URL", "http://127.0.0.1:8002")
NOTIFICATIONS = os.environ.get("DEMO_NOTIFICATIONS_URL", "http://127.0.0.1:8003")
REPORTING = os.environ.get("DEMO_REPORTING_URL", "http://127.0.0.1:8004")
CHANNELS = os.environ.get("DEMO_CHANNELS_URL", "http://127.0.0.1:8025")  # the mail and SMS stand-ins
DISTRICT = os.environ.get("DEMO_DISTRICT", "d-yecheng")

SCHOOLS = [
    ("叶城县第九小学", "primary", "urban"),
    ("澄铭窯小学", "primary", "rural"),
    ("良舍小学", "primary", "rural"),
    ("刘王楼初中", "junior", "rural"),
    ("丹阳小学", "primary", "urban"),
    ("松山街道中心小学", "primary", "urban"),
]
ROSTER_SCHOOLS = {"叶城县第九小学": ["三年级2班", "五年级1班"], "良舍小学": ["四年级1班"]}
GIVEN = ["阿依古丽", "李明", "王芳", "买买提", "张伟", "刘洋", "陈静", "努尔", "赵磊", "孙丽"]
MODES = ["in_person", "phone", "in_person", "video", "school_visit"]
# The demo head teacher (班主任) of 叶城县第九小学's 三年级2班, who signs in on the portal's
# /staff/sign-in with this mobile number (or the email, or the staff id) and password.
DEMO_SCHOOL, DEMO_CLASS = "叶城县第九小学", "三年级2班"
DEMO_TEACHER = {"name": "王丽华", "phone": "13800009001", "email": "wanglihua@no9.yecheng.example.cn"}
DEMO_TEACHER_PASSWORD = "banzhuren2026"
# The desks' people: 叶城县第九小学's 德育主任 (school admin), the partner 文化路派出所 (its contact's
# mobile number is the account; the link comes by SMS) and an officer of 叶城县教育局 (the bureau).
DEMO_ADMIN = {"name": "刘德明", "phone": "13800009002", "email": "liudeming@no9.yecheng.example.cn"}
DEMO_ADMIN_PASSWORD = "deyuzhuren2026"
DEMO_PARTNER_SCHOOL = "松山街道中心小学"
DEMO_PARTNER = {"name": "文化路派出所", "contact_person": "王警官", "contact_phone": "13800009003"}
DEMO_PARTNER_PASSWORD = "jingxiao2026"
DEMO_OFFICER = {"name": "马建华", "phone": "13800009004", "email": "majianhua@jyj.yecheng.example.cn"}
DEMO_OFFICER_PASSWORD = "jiaoyuju2026"


def headers(
    settings: ServiceSettings,
    role: Role,
    school: str | None = None,
    classes: list[str] | None = None,
    subject: str = "demo",
) -> dict[str, str]:
    token = mint_token(
        settings, subject=subject, role=role, district_id=DISTRICT, school_id=school, class_ids=classes
    )
    return {"authorization": f"Bearer {token}"}


def roster_csv(school_index: int, class_names: list[str]) -> bytes:
    lines = ["姓名,性别,学号,班级,家长姓名,关系,联系电话,留守儿童,困难家庭"]
    for c, class_name in enumerate(class_names):
        for n, given in enumerate(GIVEN):
            number = f"2026{school_index}{c}{n:02d}"
            lines.append(
                f"{given},{'女' if n % 2 == 0 else '男'},{number},{class_name},{given}家长,"
                f"{'母亲' if n % 3 else '祖父母'},139{school_index}{c}{n:06d},{'是' if n % 4 == 0 else '否'},"
                f"{'是' if n == 5 else '否'}"
            )
    return ("\n".join(lines) + "\n").encode()


def seed(http: httpx.Client, settings: ServiceSettings) -> None:
    bureau = headers(settings, Role.bureau, subject="bureau-demo")
    ids = {}
    for name, level, setting in SCHOOLS:
        answer = http.post(
            f"{REGISTRY}/v1/schools", json={"name": name, "level": level, "setting": setting}, headers=bureau
        )
        answer.raise_for_status()
        ids[name] = answer.json()["school_id"]
    http.post(
        f"{REGISTRY}/v1/pairs",
        headers=bureau,
        json={
            "supporting_school_id": ids["叶城县第九小学"],
            "supported_school_ids": [ids["良舍小学"]],
            "starts_on": "2026-09-01",
        },
    ).raise_for_status()
    http.put(
        f"{REGISTRY}/v1/terms/2026-2027/autumn",
        headers=bureau,
        json={
            "starts_on": "2026-09-01",
            "ends_on": "2027-01-20",
            "holidays": [{"name": "国庆节", "starts_on": "2026-10-01", "ends_on": "2026-10-07"}],
        },
    ).raise_for_status()
    head_teacher = hire_demo_teacher(http, settings, ids[DEMO_SCHOOL])
    for index, (name, class_names) in enumerate(ROSTER_SCHOOLS.items(), start=1):
        admin = headers(settings, Role.school_admin, ids[name], subject=f"admin-{index}")
        for class_name in class_names:
            klass = {"grade": "一二三四五六".index(class_name[0]) + 1, "name": class_name}
            if (name, class_name) == (DEMO_SCHOOL, DEMO_CLASS):
                klass["head_teacher_id"] = head_teacher
            http.post(
                f"{REGISTRY}/v1/schools/{ids[name]}/classes", headers=admin, json=klass
            ).raise_for_status()
        http.post(
            f"{REGISTRY}/v1/schools/{ids[name]}/roster?dry_run=false",
            content=roster_csv(index, class_names),
            headers=admin | {"content-type": "text/csv"},
        ).raise_for_status()
    songshan = ids[DEMO_PARTNER_SCHOOL]
    admin = headers(settings, Role.school_admin, songshan, subject="admin-songshan")
    partner = http.post(
        f"{REGISTRY}/v1/schools/{songshan}/partners",
        headers=admin,
        json=DEMO_PARTNER | {"kind": "police_station"},
    ).json()
    http.post(
        f"{REGISTRY}/v1/partners/{partner['partner_id']}/agreements",
        headers=admin,
        json={
            "title": "警校共建协议书",
            "starts_on": "2026-09-01",
            "ends_on": "2027-07-15",
            "commitments": ["法制讲座「珍惜生命、远离毒品」", "上下学护学岗"],
            "signed_on": "2026-09-10",
        },
    ).raise_for_status()
    print(
        f"[demo] registered {len(SCHOOLS)} schools, a 结对帮扶 pair, the autumn term, "
        f"{sum(len(c) for c in ROSTER_SCHOOLS.values()) * len(GIVEN)} students with guardians, "
        "and a co-building agreement"
    )


def log_visits(http: httpx.Client, settings: ServiceSettings, school_id: str) -> int:
    admin = headers(settings, Role.school_admin, school_id)
    logged = 0
    for klass in http.get(f"{REGISTRY}/v1/schools/{school_id}/classes", headers=admin).json():
        teacher = headers(
            settings, Role.teacher, school_id, [klass["class_id"]], f"teacher-{klass['class_id'][-4:]}"
        )
        students = http.get(f"{REGISTRY}/v1/classes/{klass['class_id']}/students", headers=admin).json()
        if klass.get("head_teacher_id"):  # the demo head teacher's 三必访 students wait for their visit
            students = [s for s in students if not s.get("care_categories")]
        for n, student in enumerate(students[:6]):
            visit = {
                "student_id": student["student_id"],
                "class_id": klass["class_id"],
                "visited_on": (ServiceSettings().school_today() - timedelta(days=3 + n)).isoformat(),
                "mode": MODES[n % len(MODES)],
                "topics": ["学习习惯", "安全教育"],
            }
            for _ in range(150):  # scheduling learns of new students from the registry's events
                answer = http.post(f"{SCHEDULING}/v1/home-visits", headers=teacher, json=visit)
                if answer.status_code != 404:
                    break
                time.sleep(0.2)
            answer.raise_for_status()
            logged += 1
    return logged


def send_letter(http: httpx.Client, settings: ServiceSettings, school_id: str) -> int:
    """A school-wide letter to parents (致家长的一封信), sent once notifications knows the guardians."""
    admin = headers(settings, Role.school_admin, school_id, subject="admin-1")
    letter = {
        "school_id": school_id,
        "audience": {"kind": "school"},
        "variables": {
            "title": "致家长的一封信：冬季安全提示",
            "body": "天气转冷，请提醒孩子注意交通与用火用电安全，上下学途中不逗留。",
        },
        "confirmation": "any_guardian",
    }
    for _ in range(150):  # notifications learns of guardians from the registry's events
        preview = http.post(f"{NOTIFICATIONS}/v1/announcements/preview", json=letter, headers=admin)
        preview.raise_for_status()
        if preview.json()["recipients"] >= len(GIVEN) * len(ROSTER_SCHOOLS["叶城县第九小学"]):
            break
        time.sleep(0.2)
    answer = http.post(f"{NOTIFICATIONS}/v1/announcements", json=letter, headers=admin)
    answer.raise_for_status()
    return int(answer.json()["recipients"])


def hire_demo_teacher(http: httpx.Client, settings: ServiceSettings, school_id: str) -> str:
    """The demo head teacher, as the school admin registers them (with a mobile and an email, so
    the portal opens their account and mails its activation link)."""
    admin = headers(settings, Role.school_admin, school_id, subject="admin-1")
    answer = http.post(
        f"{REGISTRY}/v1/schools/{school_id}/staff",
        headers=admin,
        json=DEMO_TEACHER | {"roles": ["head_teacher"]},
    )
    answer.raise_for_status()
    return str(answer.json()["staff_id"])


def portal_request(
    http: httpx.Client, method: str, path: str, cookies: dict[str, str], **kwargs: Any
) -> httpx.Response:
    """A request as the portal's own page makes it: its Origin, its cookies (kept by hand: they are
    Secure, and `make up` serves plain http), the CSRF cookie echoed in ``X-CSRF-Token``."""
    if "portal_csrf" not in cookies:
        fresh = http.get(f"{PORTAL}/auth/csrf", headers={"origin": PORTAL})
        cookies["portal_csrf"] = fresh.cookies.get("portal_csrf") or ""
    headers = {
        "origin": PORTAL,
        "x-csrf-token": cookies["portal_csrf"],
        "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }
    answer = http.request(method, f"{PORTAL}{path}", headers=headers, **kwargs)
    for name in ("portal_session", "portal_csrf"):
        if answer.cookies.get(name):
            cookies[name] = answer.cookies[name]
    return answer


def activation_tokens(http: httpx.Client, contact: str) -> list[str]:
    """The tokens of the activation links in the stand-ins for this email address (mail) or mobile
    number (SMS), newest first."""
    if "@" in contact:
        texts = [m["body"] for m in http.get(f"{CHANNELS}/mail", params={"to": contact}).json()]
    else:
        texts = [m["text"] for m in http.get(f"{CHANNELS}/sms/messages", params={"to": contact}).json()]
    found = [m[1] for text in texts for m in re.finditer(r"/activate#([A-Za-z0-9_\-]+)", text)]
    return found[::-1]


def activate(
    http: httpx.Client, cookies: dict[str, str], contact: str, password: str, seconds: float = 60
) -> httpx.Response | None:
    """Sets ``password`` with the activation link the portal sent to ``contact``, as the activation
    page does. A link it refuses (one of an earlier demo district the stand-in still keeps) is
    skipped; None when no link worked within ``seconds``."""
    tried: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for token in activation_tokens(http, contact):
            if token in tried:
                continue
            tried.add(token)
            body = {"token": token, "password": password}
            answer = portal_request(http, "POST", "/auth/activate", cookies, json=body)
            if answer.status_code != 410:
                return answer
        time.sleep(0.3)
    return None


def ensure_account(
    http: httpx.Client, who: str, login: str, contact: str, password: str
) -> tuple[dict[str, str], bool]:
    """An account that signs in with ``login`` and ``password``, activated with the link sent to
    ``contact`` when it does not yet. Idempotent: an account that signs in is left as it is.
    Returns the portal session's cookies and whether it is active."""
    cookies: dict[str, str] = {}
    signed_in = portal_request(
        http, "POST", "/auth/password-sign-in", cookies, json={"account": login, "password": password}
    )
    if signed_in.status_code == 200:
        return cookies, True
    activated = activate(http, cookies, contact, password)
    if activated is None:
        where = f"{CHANNELS}/mail" if "@" in contact else f"{CHANNELS}/sms/messages"
        print(
            f"[demo] warning: no working activation link for {who} ({contact}) at {where} "
            "(the stand-ins keep messages in memory only): this account cannot sign in yet"
        )
        return cookies, False
    if activated.status_code != 200:
        print(f"[demo] warning: activating {who} failed: {activated.status_code} {activated.text}")
        return cookies, False
    return cookies, True


def ensure_demo_teacher(http: httpx.Client, settings: ServiceSettings, school_id: str) -> dict[str, Any]:
    """The demo head teacher teaches 三年级2班, and their portal account is active with the known
    password. Idempotent: an account that signs in with it is left as it is. Returns the staff
    record and the class."""
    admin = headers(settings, Role.school_admin, school_id, subject="admin-1")
    staff = http.get(f"{REGISTRY}/v1/schools/{school_id}/staff", headers=admin).json()
    teacher = next((s for s in staff if s.get("email") == DEMO_TEACHER["email"]), None)
    if teacher is None:  # a district seeded before the demo had a head teacher
        hire_demo_teacher(http, settings, school_id)
        staff = http.get(f"{REGISTRY}/v1/schools/{school_id}/staff", headers=admin).json()
        teacher = next(s for s in staff if s.get("email") == DEMO_TEACHER["email"])
    classes = http.get(f"{REGISTRY}/v1/schools/{school_id}/classes", headers=admin).json()
    klass = next(c for c in classes if c["name"] == DEMO_CLASS)
    if klass["class_id"] not in teacher["class_ids"]:
        http.patch(
            f"{REGISTRY}/v1/staff/{teacher['staff_id']}",
            headers=admin,
            json={"class_ids": [*teacher["class_ids"], klass["class_id"]]},
        ).raise_for_status()
    if klass.get("head_teacher_id") != teacher["staff_id"]:
        print(
            f"[demo] note: {DEMO_CLASS} was opened before the demo named its head teacher, so "
            f"{DEMO_TEACHER['name']} teaches it but cannot confirm its term plan "
            "(a fresh demo district has it)"
        )
    cookies, active = ensure_account(
        http, "the demo teacher", DEMO_TEACHER["phone"], DEMO_TEACHER["email"], DEMO_TEACHER_PASSWORD
    )
    if not active:
        return {"staff": teacher, "class": klass, "active": False}
    for _ in range(150):  # the portal learns of the class from the registry's events
        me = portal_request(http, "GET", "/auth/me", cookies)
        if me.status_code == 200 and klass["class_id"] in me.json()["user"]["class_ids"]:
            break
        time.sleep(0.2)
    return {"staff": teacher, "class": klass, "active": True}


def ensure_demo_admin(http: httpx.Client, settings: ServiceSettings, school_id: str) -> bool:
    """叶城县第九小学's 德育主任, a school admin of the school (its console at /console), registered
    like any member of staff and activated by the mailed link; True once the account signs in."""
    admin = headers(settings, Role.school_admin, school_id, subject="admin-1")
    staff = http.get(f"{REGISTRY}/v1/schools/{school_id}/staff", headers=admin).json()
    if not any(s.get("email") == DEMO_ADMIN["email"] for s in staff):
        http.post(
            f"{REGISTRY}/v1/schools/{school_id}/staff",
            headers=admin,
            json=DEMO_ADMIN | {"roles": ["school_admin"]},
        ).raise_for_status()
    _, active = ensure_account(
        http, "the demo school admin", DEMO_ADMIN["phone"], DEMO_ADMIN["email"], DEMO_ADMIN_PASSWORD
    )
    return active


def ensure_demo_partner(http: httpx.Client, settings: ServiceSettings, school_id: str) -> bool:
    """文化路派出所, the partner of 松山街道中心小学's co-building agreement (its pages at /partner),
    activated by the SMS sent to its contact; True once the account signs in. A district seeded
    before the demo recorded the contact's mobile number has no way to send the link (the registry
    keeps a partner's contact as registered), so it says so."""
    admin = headers(settings, Role.school_admin, school_id, subject="admin-songshan")
    partners = http.get(f"{REGISTRY}/v1/schools/{school_id}/partners", headers=admin).json()
    partner = next((p for p in partners if p["name"] == DEMO_PARTNER["name"]), None)
    if partner is None or partner.get("contact_phone") != DEMO_PARTNER["contact_phone"]:
        print(
            f"[demo] note: {DEMO_PARTNER['name']} was registered before the demo recorded its contact's "
            "mobile number, so it has no portal account (a fresh demo district has it)"
        )
        return False
    phone = DEMO_PARTNER["contact_phone"]
    _, active = ensure_account(http, "the demo partner", phone, phone, DEMO_PARTNER_PASSWORD)
    return active


def ensure_demo_officer(http: httpx.Client, settings: ServiceSettings) -> bool:
    """An officer of 叶城县教育局 (the bureau's console at /bureau), hired through the registry's
    /v1/bureau-staff and activated by the mailed link; True once the account signs in."""
    bureau = headers(settings, Role.bureau, subject="bureau-demo")
    officers = http.get(f"{REGISTRY}/v1/bureau-staff", headers=bureau).json()
    if not any(o.get("email") == DEMO_OFFICER["email"] for o in officers):
        http.post(f"{REGISTRY}/v1/bureau-staff", headers=bureau, json=DEMO_OFFICER).raise_for_status()
    _, active = ensure_account(
        http, "the demo bureau officer", DEMO_OFFICER["phone"], DEMO_OFFICER["email"], DEMO_OFFICER_PASSWORD
    )
    return active


def main() -> None:
    settings = ServiceSettings()
    bureau = headers(settings, Role.bureau, subject="bureau-demo")
    with httpx.Client(timeout=30) as http:
        if not http.get(f"{REGISTRY}/v1/schools", headers=bureau).json():
            seed(http, settings)
            schools = {
                s["name"]: s["school_id"] for s in http.get(f"{REGISTRY}/v1/schools", headers=bureau).json()
            }
            visits = sum(log_visits(http, settings, schools[name]) for name in ROSTER_SCHOOLS)
            print(f"[demo] logged {visits} home visits (家访)")
            letters = send_letter(http, settings, schools["叶城县第九小学"])
            print(
                f"[demo] 叶城县第九小学 sent a letter to {letters} guardians (SMS to the loopback stand-in; "
                "during quiet hours 21:30–07:00 Beijing time it waits until morning)"
            )
        schools = {
            s["name"]: s["school_id"] for s in http.get(f"{REGISTRY}/v1/schools", headers=bureau).json()
        }
        yecheng = schools["叶城县第九小学"]
        # visits reach reporting through the change relay and Kafka; reporting answers once it has
        # loaded its read model from the facts it keeps (a while after a benchmark's county)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                answer = http.get(f"{REPORTING}/v1/schools/{yecheng}/home-visits", headers=bureau, timeout=70)
            except httpx.TimeoutException:
                continue
            if answer.status_code == 200 and answer.json().get("visits_logged"):
                break
            time.sleep(0.2)
        demo = ensure_demo_teacher(http, settings, yecheng)
        desks = {
            "admin": ensure_demo_admin(http, settings, yecheng),
            "partner": ensure_demo_partner(http, settings, schools[DEMO_PARTNER_SCHOOL]),
            "officer": ensure_demo_officer(http, settings),
        }
        staff_id, klass = demo["staff"]["staff_id"], demo["class"]
        teacher = headers(settings, Role.teacher, yecheng, [klass["class_id"]], staff_id)
        print("[demo] schools:", ", ".join(f"{name} ({school_id})" for name, school_id in schools.items()))
        print(f"[demo] bureau token (教育局):   {bureau['authorization'].split()[1]}")
        print(
            f"[demo] teacher token (班主任 {DEMO_TEACHER['name']} of {klass['name']}, 叶城县第九小学): "
            f"{teacher['authorization'].split()[1]}"
        )
        if demo["active"]:
            print(
                f"[demo] 教师登录 (the demo head teacher signs in): {PORTAL}/staff/sign-in with 账号 "
                f"{DEMO_TEACHER['phone']} (or {DEMO_TEACHER['email']}), 密码 {DEMO_TEACHER_PASSWORD} "
                f"({DEMO_TEACHER['name']}, 班主任 of {DEMO_SCHOOL} {DEMO_CLASS}, which has 三必访 students)"
            )
        if desks["admin"]:
            print(
                f"[demo] 学校管理员登录 (the school's console): {PORTAL}/staff/sign-in with 账号 "
                f"{DEMO_ADMIN['phone']} (or {DEMO_ADMIN['email']}), 密码 {DEMO_ADMIN_PASSWORD} "
                f"({DEMO_ADMIN['name']}, 德育主任 of {DEMO_SCHOOL})"
            )
        if desks["partner"]:
            print(
                f"[demo] 共建单位登录 (the partner's pages): {PORTAL}/staff/sign-in with 账号 "
                f"{DEMO_PARTNER['contact_phone']}, 密码 {DEMO_PARTNER_PASSWORD} "
                f"({DEMO_PARTNER['name']}, 共建单位 of {DEMO_PARTNER_SCHOOL})"
            )
        if desks["officer"]:
            print(
                f"[demo] 教育局登录 (the bureau's console): {PORTAL}/staff/sign-in with 账号 "
                f"{DEMO_OFFICER['phone']} (or {DEMO_OFFICER['email']}), 密码 {DEMO_OFFICER_PASSWORD} "
                f"({DEMO_OFFICER['name']}, 叶城县教育局)"
            )
        print(
            f"[demo] 家长登录 (a guardian signs in): {PORTAL}/sign-in with 13910000000 "
            f"(阿依古丽家长, 叶城县第九小学); the code arrives at {CHANNELS}/sms/messages"
        )
        print(
            f'[demo] try: curl -H "Authorization: Bearer <bureau token>" '
            f"{REPORTING}/v1/schools/{yecheng}/home-visits"
        )


if __name__ == "__main__":
    main()
