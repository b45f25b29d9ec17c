"""The OpenAPI and AsyncAPI documents of every service, committed as build output.

``make docs`` rewrites them; tests/contracts/test_generated_docs.py fails when they are stale.
Building an app here connects to nothing: clients connect lazily, brokers start in the lifespan.
"""

import importlib
import json
from pathlib import Path

ROOT = Path(__file__).parents[2]
SERVICES = ("registry", "scheduling", "notifications", "reporting")


def render_all() -> dict[Path, str]:
    documents: dict[Path, str] = {}
    for service in SERVICES:
        app = importlib.import_module(f"{service}.app").create_app()
        folder = ROOT / "services" / service
        documents[folder / "openapi.json"] = _render(app.openapi())
        documents[folder / "asyncapi.json"] = _render(app.state.runtime.asyncapi(app.title))
    return documents


def _render(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    for path, text in render_all().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
