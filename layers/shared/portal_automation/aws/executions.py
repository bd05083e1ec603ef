"""Step Functions adapter: start an execution idempotently by name, and watch it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import WorkflowStartFailed

TERMINAL: Final = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class Execution:
    arn: str
    status: str
    started: bool = False
    error: str | None = None


class Executions:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self.state_machine_arn = state_machine_arn

    def arn_for(self, name: str) -> str:
        """The ARN of execution ``name``. Runs start through the state machine's alias
        (``...:stateMachine:<name>:live``) or a version (``...:<name>:3``); their
        executions belong to the state machine itself, with no qualifier."""
        prefix, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine.split(':', 1)[0]}:{name}"

    def start_or_attach(self, name: str, payload: dict[str, Any]) -> Execution:
        """Start ``name``; if it exists already (a duplicate, a retry), return that one."""
        try:
            answer = self._client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload)
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                return self.describe(self.arn_for(name))
            raise WorkflowStartFailed(f"start of execution {name}: {code}") from None
        except BotoCoreError as exc:
            raise WorkflowStartFailed(f"start of execution {name}: {type(exc).__name__}") from None
        return Execution(str(answer["executionArn"]), "RUNNING", started=True)

    def describe(self, arn: str) -> Execution:
        try:
            answer = self._client.describe_execution(executionArn=arn)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ExecutionDoesNotExist":
                return Execution(arn, "ABSENT")
            raise WorkflowStartFailed(f"describe of {arn}: {code}") from None
        return Execution(arn, str(answer["status"]), error=answer.get("error"))

    def wait(
        self,
        arn: str,
        *,
        seconds: float,
        poll: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Execution:
        """Describe until terminal or ``seconds`` pass; returns the last description."""
        deadline = time.monotonic() + seconds
        while True:
            execution = self.describe(arn)
            if execution.status in TERMINAL or time.monotonic() + poll > deadline:
                return execution
            sleep(poll)
