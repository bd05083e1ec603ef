"""The desired-config document in Parameter Store, with who wrote it.

Its latest version is read from the parameter's history (``GetParameterHistory``), which
holds each version's value and its writer (``LastModifiedUser``) together: the document
applied is the one its writer wrote, never a later one paired with an earlier writer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ConfigurationError, InvalidExecutionInput, WorkflowStartFailed

_UNREADABLE = frozenset({"ParameterNotFound", "AccessDeniedException"})


@dataclass(frozen=True)
class DesiredDocument:
    document: Any
    written_by: str  # the ARN of the principal who wrote this version
    version: int


def read_desired(client: Any, name: str) -> DesiredDocument:
    """The latest version of the parameter ``name``, parsed, and its writer."""
    latest: dict[str, Any] | None = None
    kwargs: dict[str, Any] = {"Name": name, "MaxResults": 50}
    try:
        while True:
            page = client.get_parameter_history(**kwargs)
            for version in page.get("Parameters", []):
                if latest is None or int(version["Version"]) > int(latest["Version"]):
                    latest = version
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
        if code in _UNREADABLE:
            raise ConfigurationError(f"desired-config parameter {name}: {code}") from None
        raise WorkflowStartFailed(f"desired-config parameter {name}: {code}") from None
    except BotoCoreError as exc:
        raise WorkflowStartFailed(
            f"desired-config parameter {name}: {type(exc).__name__}"
        ) from None
    if latest is None:
        raise ConfigurationError(f"desired-config parameter {name} has no version")
    try:
        document = json.loads(str(latest["Value"]))
    except json.JSONDecodeError:
        raise InvalidExecutionInput("the desired-config document is not JSON") from None
    return DesiredDocument(
        document, str(latest.get("LastModifiedUser", "")), int(latest["Version"])
    )
