"""The dashboard an operator opens during an incident (issue 19 item 7), rendered from the
translated template: the alarms, runs by outcome, failed portals, the dead-letter queue,
the last run's duration, key age by portal; the last day by default. That every metric
and log field it shows is one the functions emit is checked on the deployed stack
(tests/workflow/test_fleets.py)."""

from __future__ import annotations

from typing import Any

from portal_local.tools.dashboard import Metric, overlaps, render, shown

from tests.template.test_deployed_template import deployed, of_type

NAMESPACE = "PortalSecurityAutomation"


def _placeholder(logical: str, attribute: str | None) -> str:
    return f"<{logical}{'.' + attribute if attribute else ''}>"


def _body(kind: str = "defaults") -> dict[str, Any]:
    return render(deployed(kind), "FleetDashboard", _placeholder, "eu-west-1", "stack")


def test_the_dashboard_opens_on_the_last_day_in_a_grid() -> None:
    body = _body()
    assert body["start"] == "-PT24H"
    assert body["periodOverride"] == "inherit"
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24, widget
        assert widget["properties"]["title"], widget
    assert not overlaps(body)
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["period"] <= 3600, widget["properties"]["title"]


def test_the_alarm_widget_shows_every_alarm_of_the_stack() -> None:
    for kind in ("defaults", "production"):
        alarms = of_type(deployed(kind), "AWS::CloudWatch::Alarm")
        assert sorted(shown(_body(kind)).alarms) == sorted(f"<{a}.Arn>" for a in alarms)


def test_the_incident_widgets_are_there() -> None:
    what = shown(_body())
    dead_letters = Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", frozenset({"QueueName"}))
    assert what.dimension_values[dead_letters] == {
        "QueueName": "<TriggerDeadLetterQueue.QueueName>"
    }
    assert {
        Metric(NAMESPACE, "Runs", frozenset({"service", "action", "outcome"})),
        Metric(NAMESPACE, "PortalFailures", frozenset({"service", "action", "error"})),
        Metric(NAMESPACE, "RunSeconds", frozenset({"service", "action", "outcome"})),
        Metric(NAMESPACE, "KeysOverMaxAge", frozenset({"service"})),
    } <= what.metrics
    assert what.log_groups == {"<FleetStatusLogs>"}
    assert {"keyAgeDays", "portal", "message"} <= what.log_fields
