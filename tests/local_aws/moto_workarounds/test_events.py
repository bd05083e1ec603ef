"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.events` exists for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.local_aws.moto_workarounds._raw import make_function


def test_raw_moto_put_events_to_a_lambda_target_is_a_500(aws: Any) -> None:
    function = make_function(aws)
    events = aws("events")
    rule = events.put_rule(Name="to-lambda", EventPattern=json.dumps({"source": ["fixture"]}))
    aws("lambda").add_permission(
        FunctionName=function,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule["RuleArn"],
    )
    events.put_targets(Rule="to-lambda", Targets=[{"Id": "fn", "Arn": function}])

    with pytest.raises(NotImplementedError):  # AWS: accepted, the function invoked
        events.put_events(Entries=[{"Source": "fixture", "DetailType": "x", "Detail": "{}"}])
