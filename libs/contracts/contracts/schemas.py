"""JSON Schemas generated from the event models, committed beside them.

``python -m contracts.schemas`` regenerates them. It refuses to overwrite a committed schema with a
breaking one: within a major version a change may only add optional fields; anything else is a new
version on a new topic (``….v2``). Tests compare the generated schemas with the committed files and
validate every committed example against them.
"""

import json
import sys
from pathlib import Path
from typing import Any

from contracts.envelope import Event
from contracts.topics import ALL_TOPICS

SCHEMA_DIR = Path(__file__).parent / "schemas"
EXAMPLE_DIR = Path(__file__).parent / "examples"

Schema = dict[str, Any]


def schema_path(event: type[Event]) -> Path:
    return SCHEMA_DIR / event.topic / f"{_event_type(event)}.v{_version(event)}.json"


def example_dir(event: type[Event]) -> Path:
    return EXAMPLE_DIR / event.topic / f"{_event_type(event)}.v{_version(event)}"


def all_events() -> list[type[Event]]:
    return [event for topic in ALL_TOPICS for event in topic.events]


def generate(event: type[Event]) -> Schema:
    schema = event.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{event.topic}/{_event_type(event)}.v{_version(event)}"
    return schema


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """What makes ``new`` unable to stand in for ``old`` for the same major version.

    Allowed: new optional properties, looser constraints we do not track. Breaking: a property
    removed, a property newly required, a type changed, an enum value removed, a const changed.
    """
    problems: list[str] = []
    _compare(_resolve(old, old), _resolve(new, new), old, new, "$", problems)
    return problems


def _compare(old: Schema, new: Schema, old_root: Schema, new_root: Schema, at: str, out: list[str]) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    if _types(old) != _types(new):
        out.append(f"{at}: type changed from {_types(old)} to {_types(new)}")
        return
    if "const" in old and old.get("const") != new.get("const"):
        out.append(f"{at}: const changed from {old['const']!r} to {new.get('const')!r}")
    if "enum" in old:
        kept: list[Any] = new.get("enum") or old["enum"]
        removed = {str(v) for v in old["enum"]} - {str(v) for v in kept}
        if removed:
            out.append(f"{at}: enum values removed: {sorted(removed)}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            out.append(f"{at}.{name}: property removed")
        else:
            _compare(old_props[name], new_props[name], old_root, new_root, f"{at}.{name}", out)
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        out.append(f"{at}.{name}: property is now required")
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_root, new_root, f"{at}[]", out)
    old_any, new_any = old.get("anyOf"), new.get("anyOf")
    if old_any and new_any and len(old_any) == len(new_any):
        for i, (o, n) in enumerate(zip(old_any, new_any, strict=True)):
            _compare(o, n, old_root, new_root, f"{at}|{i}", out)


def _resolve(node: Schema, root: Schema) -> Schema:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return node


def _types(node: Schema) -> tuple[str, ...]:
    if "anyOf" in node:
        return tuple(sorted("|".join(_types(option)) or "any" for option in node["anyOf"]))
    kind = node.get("type")
    if kind is None:
        return ()
    return tuple(sorted(kind)) if isinstance(kind, list) else (kind,)


def _event_type(event: type[Event]) -> str:
    return str(event.model_fields["event_type"].default)


def _version(event: type[Event]) -> int:
    return int(event.model_fields["schema_version"].default)


def write_all() -> list[str]:
    """Regenerate every schema; return the refusals (breaking changes) instead of writing them."""
    refusals: list[str] = []
    for event in all_events():
        path = schema_path(event)
        fresh = generate(event)
        if path.exists():
            problems = breaking_changes(json.loads(path.read_text()), fresh)
            if problems:
                refusals += [f"{path.name}: {problem}" for problem in problems]
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(fresh))
    return refusals


if __name__ == "__main__":
    refused = write_all()
    for line in refused:
        print(f"breaking change within a major version, publish a new topic version instead: {line}")
    sys.exit(1 if refused else 0)
