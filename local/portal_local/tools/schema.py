"""Write (or check) events/execution-input.schema.json from the input model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from portal_automation.domain.security_config import PROPERTIES
from portal_automation.domain.user_types import LEGACY, RETIRED
from portal_automation.workflow.models import ExecutionInput

SCHEMA_PATH = Path("events/execution-input.schema.json")


def execution_input_schema() -> dict[str, Any]:
    schema = ExecutionInput.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Portal security automation: execution input"
    schema["description"] = (
        "Input of the state machine, from the console, EventBridge or the rotation "
        "function. Secrets are named by ARN only; no secret value ever appears here."
    )
    config = schema["properties"]["securityConfig"]
    config["description"] = (
        "Desired security properties (apply-security-config only). Managed: "
        + ", ".join(PROPERTIES)
        + ". webgisServerTrustKey is refused. defaultUserTypeIdForUser is a user type ID: "
        + "below 11.4 one of "
        + ", ".join(sorted(LEGACY))
        + "; from 11.4 one the portal lists (portaladmin/license), not a retired one ("
        + ", ".join(sorted(RETIRED))
        + "). On 12.0+ allowedProxyHosts keeps Esri's default hosts unless "
        + "proxyHostsMode is exact."
    )
    return schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = json.dumps(execution_input_schema(), indent=2) + "\n"
    if args.check:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != text:
            print(f"{SCHEMA_PATH} is stale: run python -m portal_local.tools.schema")
            return 1
        return 0
    SCHEMA_PATH.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
