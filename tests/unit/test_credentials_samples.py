"""events/credentials-secret.schema.json and its samples say what the code accepts: every
sample validates and parses, and the schema's choices are the code's (kind, tokenClient,
the pins' bound)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from portal_automation.domain.credentials import PortalCredentials
from portal_automation.domain.kinds import KIND_NAMES, KINDS, SERVER
from portal_automation.errors import InvalidCredentialsSecret

EVENTS = Path(__file__).resolve().parents[2] / "events"
SCHEMA = json.loads((EVENTS / "credentials-secret.schema.json").read_text())
SAMPLES = sorted(EVENTS.glob("credentials-secret-*.json"))


def test_the_schema_is_valid_and_its_choices_are_the_codes() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    properties = SCHEMA["properties"]
    assert tuple(properties["kind"]["enum"]) == KIND_NAMES
    assert properties["tokenClient"]["enum"] == ["referer", "requestip", "ip"]
    assert properties["machines"]["maxItems"] == max(k.max_machines for k in KINDS.values())


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_validates_and_parses(sample: Path) -> None:
    body = json.loads(sample.read_text())
    Draft202012Validator(SCHEMA).validate(body)
    creds = PortalCredentials.from_secret_string(json.dumps(body))
    assert creds.kind.name == body.get("kind", "portal")
    assert len(creds.pinned_machines) == len(body.get("machines", []))


def test_there_is_a_sample_of_each_kind() -> None:
    kinds = {json.loads(p.read_text()).get("kind", "portal") for p in SAMPLES}
    assert kinds == set(KIND_NAMES)


def base() -> dict[str, Any]:
    return json.loads((EVENTS / "credentials-secret-server.json").read_text())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "notebook"}, "kind"),
        ({"kind": 1}, "kind"),
        ({"tokenClient": "cookie"}, "tokenClient"),
        ({"tokenClient": "ip"}, "tokenIp"),
        ({"tokenIp": "10.0.0.1"}, "tokenIp"),
        ({"tokenClient": "ip", "tokenIp": "not-an-address"}, "tokenIp"),
        ({"machines": [f"https://m{i}.example.com:6443/arcgis" for i in range(17)]}, "machines"),
    ],
)
def test_what_the_code_refuses_is_named_by_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCredentialsSecret) as raised:
        PortalCredentials.from_secret_string(json.dumps({**base(), **change}))
    assert raised.value.field == field


def test_a_site_may_pin_more_machines_than_a_portal() -> None:
    pins = [f"https://m{i}.example.com:6443/arcgis" for i in range(SERVER.max_machines)]
    creds = PortalCredentials.from_secret_string(json.dumps({**base(), "machines": pins}))
    assert len(creds.pinned_machines) == SERVER.max_machines
    portal = {**base(), "kind": "portal", "machines": pins}
    with pytest.raises(InvalidCredentialsSecret):
        PortalCredentials.from_secret_string(json.dumps(portal))


def test_token_binding_reaches_the_credentials() -> None:
    creds = PortalCredentials.from_secret_string(
        json.dumps({**base(), "tokenClient": "ip", "tokenIp": "10.1.2.3"})
    )
    assert (creds.token_client, creds.token_ip) == ("ip", "10.1.2.3")
    assert json.loads(creds.to_secret_string())["tokenClient"] == "ip"  # written back
