"""A CloudWatch dashboard of a template as CloudFormation would write it, and what it shows.

:func:`render` resolves the ``DashboardBody`` (a ``Fn::Sub``, with its variables given as
``Ref`` / ``Fn::GetAtt`` or plain strings) with the names a deployment gives its
resources, and parses it. :func:`shown` lists what the widgets display: metrics (by
namespace, name and dimensions, with SEARCH expressions read too), the alarms of an
alarm widget, and each log widget's log group and the fields its query uses. The tests
compare that with what the functions emit and the stack holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Resolver = Callable[[str, str | None], str]
"""(logical id, attribute or None for ``Ref``) -> the deployed value."""

_SUB = re.compile(r"\$\{([^}!]+)\}")
_SEARCH = re.compile(r"SEARCH\('\{([^}]*)\}\s*MetricName=\"(\w+)\"")
_SOURCE = re.compile(r"SOURCE\s+'([^']+)'")
_QUERY_FIELD = re.compile(
    r"\b(?:latest|max|min|avg|sum|count)\((\w+)\)|\bby\s+(\w+)|\bfilter\s+(\w+)"
)


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: frozenset[str]


@dataclass
class Shown:
    metrics: set[Metric] = field(default_factory=set)
    dimension_values: dict[Metric, dict[str, str]] = field(default_factory=dict)
    alarms: list[str] = field(default_factory=list)
    log_groups: set[str] = field(default_factory=set)
    log_fields: set[str] = field(default_factory=set)


def render(
    template: Mapping[str, Any], logical_id: str, resolve: Resolver, region: str, stack_name: str
) -> dict[str, Any]:
    """The dashboard ``logical_id`` of ``template`` as deployed: its body parsed."""
    body = template["Resources"][logical_id]["Properties"]["DashboardBody"]
    text, variables = (body["Fn::Sub"], {}) if isinstance(body["Fn::Sub"], str) else body["Fn::Sub"]
    pseudo = {"AWS::Region": region, "AWS::StackName": stack_name}

    def value(name: str) -> str:
        if name in pseudo:
            return pseudo[name]
        if name in variables:
            given = variables[name]
            if isinstance(given, str):
                return given
            if "Ref" in given:
                return resolve(given["Ref"], None)
            logical, attribute = given["Fn::GetAtt"]
            return resolve(logical, attribute)
        logical, _, attribute = name.partition(".")
        return resolve(logical, attribute or None)

    return dict(json.loads(_SUB.sub(lambda m: value(m.group(1)), text)))


def shown(body: Mapping[str, Any]) -> Shown:
    what = Shown()
    for widget in body["widgets"]:
        props = widget["properties"]
        if widget["type"] == "alarm":
            what.alarms.extend(props["alarms"])
        elif widget["type"] == "log":
            what.log_groups.update(_SOURCE.findall(props["query"]))
            for groups in _QUERY_FIELD.findall(props["query"]):
                what.log_fields.update(g for g in groups if g)
        for line in props.get("metrics", []):
            if isinstance(line[0], dict):
                for dims, name in _SEARCH.findall(line[0]["expression"]):
                    namespace, *names = [d.strip() for d in dims.split(",")]
                    what.metrics.add(Metric(namespace, name, frozenset(names)))
                continue
            namespace, name, *rest = line
            pairs = [x for x in rest if isinstance(x, str)]
            metric = Metric(namespace, name, frozenset(pairs[0::2]))
            what.metrics.add(metric)
            what.dimension_values[metric] = dict(zip(pairs[0::2], pairs[1::2], strict=True))
    return what


def overlaps(body: Mapping[str, Any]) -> list[tuple[int, int]]:
    """Pairs of widgets (by index) that cover the same cell of the 24-column grid."""
    cells: dict[tuple[int, int], int] = {}
    clashes = []
    for index, widget in enumerate(body["widgets"]):
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                if (x, y) in cells:
                    clashes.append((cells[(x, y)], index))
                cells[(x, y)] = index
    return clashes
