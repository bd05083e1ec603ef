"""Step Functions executions as ``Executions`` sees them: unique names, statuses."""

from __future__ import annotations

import json
from typing import Any

from portal_automation.aws.executions import Execution
from portal_automation.errors import WorkflowStartFailed

STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:portal-security"


class FakeExecutions:
    """``ExecutionsPort``. The test moves an execution on with ``finish(name, status)``."""

    def __init__(self, state_machine_arn: str = STATE_MACHINE) -> None:
        self.state_machine_arn = state_machine_arn
        self.runs: dict[str, dict[str, Any]] = {}  # name -> {"status", "input", "error"}
        self.starts = 0
        self.outages = 0

    def arn_for(self, name: str) -> str:
        prefix, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start_or_attach(self, name: str, payload: dict[str, Any]) -> Execution:
        if self.outages > 0:
            self.outages -= 1
            raise WorkflowStartFailed(f"start of execution {name}: ThrottlingException")
        if len(name) > 80:
            raise WorkflowStartFailed(f"start of execution {name[:20]}...: InvalidName")
        run = self.runs.get(name)
        if run is not None:
            # Step Functions answers a duplicate of a RUNNING execution with the same
            # input as a success (as if started); anything else is ExecutionAlreadyExists.
            same = run["status"] == "RUNNING" and run["input"] == json.loads(json.dumps(payload))
            return Execution(self.arn_for(name), run["status"], started=same)
        self.starts += 1
        self.runs[name] = {"status": "RUNNING", "input": json.loads(json.dumps(payload))}
        return Execution(self.arn_for(name), "RUNNING", started=True)

    def describe(self, arn: str) -> Execution:
        name = arn.rsplit(":", 1)[-1]
        run = self.runs.get(name)
        if run is None:
            return Execution(arn, "ABSENT")
        return Execution(arn, run["status"], error=run.get("error"))

    def wait(self, arn: str, *, seconds: float, poll: float = 2.0) -> Execution:
        return self.describe(arn)

    def finish(self, name: str, status: str, error: str | None = None) -> None:
        self.runs[name]["status"] = status
        if error:
            self.runs[name]["error"] = error
