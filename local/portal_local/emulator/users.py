"""A portal's users: the emulator's administrator and viewer (``PortalSettings``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    username: str
    password: str
    is_admin: bool
    # The default administrator role (False: a custom role with administrative privileges
    # such as "Security and Infrastructure", which may not list the machines).
    default_administrator: bool = True
