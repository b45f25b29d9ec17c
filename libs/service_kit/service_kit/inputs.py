"""Path and query parameters refuse control characters, like every string of a request body.

Installed on every app by ``ServiceRuntime.build_app``: it runs after routing, before the route's
own dependencies (the caller, the store), so a NUL in ``/v1/students/%00`` is a 422 naming
``path.student_id`` rather than a 500 from the store (PostgreSQL under FerretDB refuses
``\\u0000``). Body strings are checked by their model types (``contracts.inputs``).
"""

from contracts.inputs import control_character, control_character_message
from fastapi import Request
from fastapi.exceptions import RequestValidationError


def _shown(name: str) -> str:
    """A parameter name fit to be named in an answer: its own control characters spelled out."""
    return "".join(c if control_character(c) is None else f"U+{ord(c):04X}" for c in name)


def refuse_control_characters(request: Request) -> None:
    """422 naming every path or query parameter (name or value) that holds a control character."""
    errors = []
    parameters = [("path", name, str(value)) for name, value in request.path_params.items()]
    parameters += [("query", name, value) for name, value in request.query_params.multi_items()]
    for where, name, value in parameters:
        character = control_character(name) or control_character(value)
        if character is not None:
            errors.append(
                {
                    "loc": (where, _shown(name)),
                    "msg": control_character_message(character),
                    "type": "control_character",
                    "input": _shown(value),
                }
            )
    if errors:
        raise RequestValidationError(errors)
