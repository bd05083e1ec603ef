"""What a portal answers about its licenses and federated servers is input: bounded and
vetted before it reaches a report (PORTAL_API.md 6c, 7d)."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import PortalBadResponse
from portal_automation.portal.vetted import (
    MAX_MESSAGE,
    MAX_MESSAGES,
    MAX_SERVERS,
    admin_url,
    federation,
    plain,
    user_types,
)
from portal_automation.sensitive import MASK, Secret


def test_the_license_gives_well_formed_user_type_ids_once_each() -> None:
    body = {
        "userTypes": [
            {"id": "creatorUT"},
            {"id": "creatorUT"},
            {"id": "viewerUT", "maximumRegisteredMembers": 5},
            {"id": "bad id UT"},
            {"id": "\u001b[31mredUT"},
            {"id": 7},
            "creatorUT",
            {},
        ]
    }
    assert user_types(body) == ["creatorUT", "viewerUT"]


def test_the_license_list_is_bounded() -> None:
    body = {"userTypes": [{"id": f"type{n}UT"} for n in range(500)]}
    assert len(user_types(body)) == 100


@pytest.mark.parametrize("body", [{}, {"userTypes": "creatorUT"}, {"userTypes": None}])
def test_a_license_answer_without_a_list_is_a_bad_response(body: dict[str, Any]) -> None:
    with pytest.raises(PortalBadResponse):
        user_types(body)


def server(**fields: Any) -> dict[str, Any]:
    return {"serverId": "kt3o60bzVzLRNugQ", "status": "success", "messages": ["ok"], **fields}


def test_each_server_is_reported_with_its_documented_fields() -> None:
    body = {
        "status": "success",
        "serversStatus": [
            server(adminUrl="https://gis.example.com:6443/arcgis"),
            server(serverId="second", status="failure", messages=["not accessible"]),
        ],
    }
    found = federation(body)
    assert found.listed == 2
    assert [s.report() for s in found.servers] == [
        {
            "serverId": "kt3o60bzVzLRNugQ",
            "status": "success",
            "adminUrl": "https://gis.example.com:6443/arcgis",
            "messages": ["ok"],
        },
        {"serverId": "second", "status": "failure", "messages": ["not accessible"]},
    ]


def test_a_huge_answer_is_cut_and_says_how_many_there_were() -> None:
    many = [server(messages=["m" * 5000] * 50) for _ in range(1000)]
    found = federation({"serversStatus": many})
    assert (found.listed, len(found.servers)) == (1000, MAX_SERVERS)
    messages = found.servers[0].messages
    assert len(messages) == MAX_MESSAGES
    assert all(len(m) <= MAX_MESSAGE + 3 for m in messages)


def test_unknown_statuses_ids_and_entries_are_named_not_passed_on() -> None:
    found = federation(
        {
            "serversStatus": [
                server(status="all good <script>"),
                server(serverId="../../etc/passwd"),
                "not a server",
            ]
        }
    )
    first, second, third = found.servers
    assert first.status == "undetermined"
    assert "no status this project knows" in first.messages[0]
    assert second.server_id == "(unnamed)"
    assert (third.server_id, third.status) == ("(unnamed)", "undetermined")


def test_control_characters_and_secrets_in_messages_are_neutralised() -> None:
    secret = Secret("federation-trust-key-" + "k" * 24)
    text = f"\u001b]0;owned\u0007fine\u202eevil\r\nkey {secret.reveal()}"
    (found,) = federation({"serversStatus": [server(messages=[text])]}).servers
    (message,) = found.messages
    assert "\u001b" not in message
    assert "\u202e" not in message
    assert "\n" not in message
    assert secret.reveal() not in message
    assert MASK in message
    assert plain("plain text") == "plain text"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://gis.example.com:6443/arcgis", True),
        ("http://10.0.0.5:6080/arcgis", True),
        ("https://user:pw@gis.example.com/arcgis", False),
        ("javascript:alert(1)", False),
        ("https://gis.example.com/arcgis?token=abc", False),
        ("https://gis.example.com:99999/arcgis", False),
        ("https://gis.exa\u202emple.com/arcgis", False),
        ("https://" + "a" * 400 + ".com", False),
        (42, False),
    ],
)
def test_an_admin_url_is_reported_only_when_it_is_a_plain_url(url: object, kept: bool) -> None:
    assert (admin_url(url) == url) is kept
    (found,) = federation({"serversStatus": [server(adminUrl=url)]}).servers
    assert ("adminUrl" in found.report()) is kept


def test_an_answer_without_servers_is_a_bad_response() -> None:
    with pytest.raises(PortalBadResponse):
        federation({"status": "success"})
