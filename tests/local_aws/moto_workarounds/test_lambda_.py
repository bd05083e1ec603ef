"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.lambda_` exists for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.local_aws.moto_workarounds._raw import (
    make_function,
    run_to_end,
)


def test_raw_moto_lambda_runs_no_code(aws: Any) -> None:
    make_function(aws)
    answer = aws("lambda").invoke(FunctionName="fn", Payload=b'{"asked": 1}')
    assert json.loads(answer["Payload"].read()) == {"asked": 1}  # the body, not the handler's


def test_raw_moto_invoke_ignores_qualifier(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: PLC0415

    seen: list[Any] = []
    monkeypatch.setattr(
        LambdaSimpleBackend, "invoke", lambda _b, _n, qualifier, *_a: seen.append(qualifier)
    )
    make_function(aws)
    aws("lambda").publish_version(FunctionName="fn")
    aws("lambda").invoke(FunctionName="fn", Qualifier="1", Payload=b"{}")
    assert seen == [None]  # AWS: version 1


def test_raw_moto_lambda_service_errors_unnamed(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda.exceptions import LambdaClientError  # noqa: PLC0415
    from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: PLC0415

    def throttled(*args: Any, **kwargs: Any) -> None:
        error = LambdaClientError("TooManyRequestsException", "Rate exceeded")
        error.code = 429
        raise error

    arn = make_function(aws)
    monkeypatch.setattr(LambdaSimpleBackend, "invoke", throttled)
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    output = json.loads(run_to_end(aws, definition)["output"])
    assert output["Error"] == "Exception"  # AWS: Lambda.TooManyRequestsException
