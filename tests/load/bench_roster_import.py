"""Benchmark of a 2,000-row roster import against a running platform (`make up` first).

Registers a school with 40 classes, then imports a generated 2,000-row CSV three ways: dry run,
commit (all new students and guardians), and the same file again (every row an update). Prints
the wall time of each request. Bounded: a handful of requests to 127.0.0.1, then it stops.
"""

import argparse
import time

import httpx
from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings

REGISTRY = "http://127.0.0.1:8001"


def headers(role: Role, school_id: str | None = None) -> dict[str, str]:
    token = mint_token(
        ServiceSettings(),
        subject=f"bench-{role.value}",
        role=role,
        district_id="d-bench",
        school_id=school_id,
    )
    return {"authorization": f"Bearer {token}"}


def main(rows: int) -> None:
    with httpx.Client(base_url=REGISTRY, timeout=300) as http:
        school = http.post(
            "/v1/schools",
            json={"name": "基准测试学校", "level": "primary", "setting": "rural"},
            headers=headers(Role.bureau),
        ).json()["school_id"]
        admin = headers(Role.school_admin, school)
        classes = [f"{grade}年级{n}班" for grade in range(1, 7) for n in range(1, 8)][:40]
        for name in classes:
            http.post(
                f"/v1/schools/{school}/classes", json={"grade": int(name[0]), "name": name}, headers=admin
            ).raise_for_status()
        lines = ["姓名,性别,学号,班级,家长姓名,关系,联系电话,留守儿童,困难家庭"] + [
            f"学生{i},{'男' if i % 2 else '女'},S{i:05d},{classes[i % len(classes)]},家长{i},母亲,"
            f"139{i:08d},{'是' if i % 7 == 0 else '否'},否"
            for i in range(rows)
        ]
        body = ("\n".join(lines) + "\n").encode()
        for label, dry_run in (("dry run", True), ("commit (new)", False), ("re-import (updates)", False)):
            began = time.perf_counter()
            answer = http.post(
                f"/v1/schools/{school}/roster?dry_run={str(dry_run).lower()}",
                content=body,
                headers=admin | {"content-type": "text/csv"},
            )
            answer.raise_for_status()
            report = answer.json()
            print(
                f"{label:20s} {time.perf_counter() - began:6.2f} s  created {report['students_created']}, "
                f"updated {report['students_updated']}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    main(parser.parse_args().rows)
