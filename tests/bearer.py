"""The bearer header a test presents: a development token (``service_kit.keys``, trusted outside
production) with the role and scope claims given."""

from service_kit.auth import Role, mint_token
from service_kit.settings import ServiceSettings


def bearer(
    role: Role,
    district_id: str,
    subject: str,
    school_id: str | None = None,
    class_ids: list[str] | None = None,
    student_ids: list[str] | None = None,
) -> dict[str, str]:
    token = mint_token(
        ServiceSettings(),
        subject=subject,
        role=role,
        district_id=district_id,
        school_id=school_id,
        class_ids=class_ids,
        student_ids=student_ids,
    )
    return {"authorization": f"Bearer {token}"}
