"""Nothing fails silently (issue 19 item 4): every function that nobody waits for has
somewhere its failures go, and that place is alarmed; the key-age alarm treats "no
figures" as an alarm.

On the translated template (the real SAM transform, offline), its conditions decided at
the default parameters and at the production-like set.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.template.test_deployed_template import deployed, of_type

RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def _function_of(resources: dict[str, Any], ref: dict[str, Any]) -> tuple[str, str | None]:
    """(function logical id, qualifier) that a Ref or GetAtt to a function, its alias or
    its version names."""
    logical = ref["Ref"] if "Ref" in ref else ref["Fn::GetAtt"][0]
    resource = resources[logical]
    if resource["Type"] == "AWS::Lambda::Alias":
        return resource["Properties"]["FunctionName"]["Ref"], resource["Properties"]["Name"]
    assert resource["Type"] == "AWS::Lambda::Function", logical
    return logical, None


def asynchronous_callers(resources: dict[str, Any]) -> dict[str, list[str]]:
    """Function logical id -> the rules that invoke it (EventBridge invokes Lambda
    asynchronously: nobody receives the function's error)."""
    callers: dict[str, list[str]] = {}
    for name, rule in resources.items():
        if rule["Type"] != "AWS::Events::Rule":
            continue
        for target in rule["Properties"]["Targets"]:
            arn = target["Arn"]
            if isinstance(arn, dict) and _is_function(resources, arn):
                callers.setdefault(_function_of(resources, arn)[0], []).append(name)
    return callers


def _is_function(resources: dict[str, Any], ref: dict[str, Any]) -> bool:
    logical = ref["Ref"] if "Ref" in ref else ref["Fn::GetAtt"][0]
    return resources[logical]["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::Alias")


def alarmed_queues(resources: dict[str, Any]) -> set[str]:
    """Queues whose depth raises an alarm to the outcome topic."""
    queues = set()
    for alarm in of_type({"Resources": resources}, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if (props.get("Namespace"), props.get("MetricName")) != (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        ):
            continue
        assert props["AlarmActions"] == [{"Ref": "OutcomeTopic"}]
        (dimension,) = props["Dimensions"]
        queues.add(dimension["Value"]["Fn::GetAtt"][0])
    return queues


def error_alarms(resources: dict[str, Any]) -> set[str]:
    """Functions whose Errors metric raises an alarm to the outcome topic."""
    alarmed = set()
    for alarm in of_type({"Resources": resources}, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if (props.get("Namespace"), props.get("MetricName")) == ("AWS/Lambda", "Errors"):
            assert props["AlarmActions"] == [{"Ref": "OutcomeTopic"}]
            (dimension,) = props["Dimensions"]
            alarmed.add(dimension["Value"]["Ref"])
    return alarmed


@pytest.mark.parametrize("kind", ["defaults", "production"])
def test_every_asynchronously_invoked_function_fails_into_an_alarmed_place(kind: str) -> None:
    """A scheduled or event-driven invocation that fails is retried by Lambda, then goes to
    the function's on-failure destination (an alarmed queue), or at least raises the
    function's Errors alarm; an event EventBridge cannot deliver goes to the rule
    target's dead-letter queue, alarmed too."""
    resources = deployed(kind)["Resources"]
    callers = asynchronous_callers(resources)
    queues, alarmed_functions = alarmed_queues(resources), error_alarms(resources)
    configs = {
        (c["Properties"]["FunctionName"]["Ref"], c["Properties"]["Qualifier"]): c["Properties"]
        for c in of_type(deployed(kind), "AWS::Lambda::EventInvokeConfig").values()
    }
    assert {"StartFromEventFunction", "FleetStatusFunction"} <= set(callers)
    for function, rules in callers.items():
        for rule in rules:
            for target in resources[rule]["Properties"]["Targets"]:
                _, qualifier = _function_of(resources, target["Arn"])
                dead_letters = target.get("DeadLetterConfig", {}).get("Arn", {})
                assert dead_letters.get("Fn::GetAtt", [None])[0] in queues, (rule, target)
                config = configs.get((function, qualifier))
                destination = (
                    (config or {}).get("DestinationConfig", {}).get("OnFailure", {})
                ).get("Destination", {})
                assert (
                    destination.get("Fn::GetAtt", [None])[0] in queues
                    or function in alarmed_functions
                ), (function, qualifier)


def _interval_seconds(expression: str) -> int:
    match = RATE.match(expression)
    assert match, f"{expression}: expected rate(N unit)"
    return int(match.group(1)) * SECONDS[match.group(2)]


def test_the_key_age_alarm_fires_when_the_figures_stop_coming() -> None:
    """No KeysOverMaxAge figure (the fleet status function failing, or not running) is an
    alarm, not OK; the alarm's window spans two runs of the schedule, so a run a few
    seconds late never leaves a window empty."""
    resources = deployed("defaults")["Resources"]
    alarm = resources["KeysOverMaxAgeAlarm"]["Properties"]
    assert alarm["MetricName"] == "KeysOverMaxAge"
    assert alarm["TreatMissingData"] == "breaching"
    (rule,) = asynchronous_callers(resources)["FleetStatusFunction"]
    interval = _interval_seconds(resources[rule]["Properties"]["ScheduleExpression"])
    window = alarm["Period"] * alarm["EvaluationPeriods"]
    assert window >= 2 * interval, (window, interval)
    assert window <= 86400  # CloudWatch: Period x EvaluationPeriods at most a day
