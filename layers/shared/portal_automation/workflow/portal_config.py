"""The documents that hold a portal's managed security properties: read, snapshot, post.

Below 10.8 everything is in ``portaladmin/security/config``; from 10.8 the default role
and user type are in the user default settings (``domain.security_config``), which are
read only when the desired configuration needs them (``needs_user_defaults``). Each
document is read whole, merged and posted whole, and only when something in it differs
by meaning. The user default settings go first: a config that enables automatic
account creation needs the default user type in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from ..domain.security_config import (
    FIELD_PROPERTIES,
    keeps_user_defaults,
    managed_view,
    merge,
    needs_user_defaults,
    same,
    split,
)
from ..domain.version import PortalVersion
from ..portal import AdminSession, SecurityConfig, UpdateAccepted

Document = Literal["userDefaultSettings", "securityConfig"]
SECURITY_CONFIG: Final = "securityConfig"
USER_DEFAULTS: Final = "userDefaultSettings"


@dataclass(frozen=True)
class PortalConfig:
    security: SecurityConfig
    user_defaults: dict[str, Any] | None = None  # None: the portal has none (below 10.8)

    @classmethod
    def read(
        cls, session: AdminSession, version: PortalVersion, desired: dict[str, Any]
    ) -> PortalConfig:
        """The documents ``desired`` touches (the user default settings only if it needs
        them: 10.8+, a default role or user type, or automatic account creation)."""
        security = session.call(session.client.read_security_config)
        user_defaults = None
        if keeps_user_defaults(version) and needs_user_defaults(desired):
            user_defaults = session.call(session.client.read_user_default_settings)
        return cls(security, user_defaults)

    def view(self) -> dict[str, Any]:
        return managed_view(self.security.values, self.user_defaults)

    def snapshot(self) -> dict[str, Any]:
        """Both documents as read (the security config holds secrets: keep it encrypted)."""
        return {SECURITY_CONFIG: dict(self.security.values), USER_DEFAULTS: self.user_defaults}

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> PortalConfig:
        # SecurityConfig registers its LDAP password and trust key with the redactor.
        return cls(SecurityConfig(snapshot[SECURITY_CONFIG]), snapshot.get(USER_DEFAULTS))

    def updates(
        self, desired: dict[str, Any], version: PortalVersion
    ) -> dict[Document, dict[str, Any]]:
        """The documents to post (whole) for ``desired``; empty when nothing differs."""
        config_part, fields = split(desired, version)
        posts: dict[Document, dict[str, Any]] = {}
        current = self.user_defaults or {}
        if any(
            not same(FIELD_PROPERTIES[field], current.get(field, ""), value)
            for field, value in fields.items()
        ):
            posts[USER_DEFAULTS] = {**current, **fields}
        values = self.security.values
        if any(not same(name, values.get(name), value) for name, value in config_part.items()):
            posts[SECURITY_CONFIG] = merge(values, config_part)
        return posts

    def documents(self, which: list[Document] | None = None) -> dict[Document, dict[str, Any]]:
        """The documents named (None: all), to post back as they were (a rollback)."""
        posts: dict[Document, dict[str, Any]] = {}
        if self.user_defaults is not None and (which is None or USER_DEFAULTS in which):
            posts[USER_DEFAULTS] = self.user_defaults
        if which is None or SECURITY_CONFIG in which:
            posts[SECURITY_CONFIG] = dict(self.security.values)
        return posts


def post(session: AdminSession, documents: dict[Document, dict[str, Any]]) -> UpdateAccepted | None:
    """Post each document (user defaults first); the config update's answer, if posted."""
    if USER_DEFAULTS in documents:
        settings = documents[USER_DEFAULTS]
        session.call(lambda t: session.client.update_user_default_settings(t, settings))
    if SECURITY_CONFIG not in documents:
        return None
    config = documents[SECURITY_CONFIG]
    return session.call(lambda t: session.client.update_security_config(t, config))
