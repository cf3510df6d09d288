"""JSON Schema of every event's envelope+data, written to services/contracts/schemas/ (kept current by a test).

Run: python -m services.contracts.schema_export
"""

import json
from pathlib import Path

from services.contracts.envelope import Envelope
from services.contracts.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schemas() -> dict[str, dict]:
    out: dict[str, dict] = {"envelope": Envelope.model_json_schema()}
    for type_, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["title"] = f"{type_} data"
        schema["x-event-type"] = type_
        out[type_] = schema
    return out


def render(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / f"{name}.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write():
        print(p)
