"""An administrator's session with one portal: a short-lived token, renewed at most once.

FAULTS row 2: an answer of 498/499 means the token is no longer good (expired, or the
key changed). The session makes one fresh token and repeats the call once; a second
refusal is an authentication failure. A 403 is never retried: a fresh token for the
same user would be refused too.

The password goes only to the address the session was opened with: the portal's URL,
as the credentials secret names it. A session with one machine of that portal
(``borrowing``) uses the tokens the portal's session issues and never holds the
password (FAULTS row 43).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..errors import PortalAuthFailed
from ..sensitive import Secret
from .models import DEFAULT_TOKEN_MINUTES, PortalToken

if TYPE_CHECKING:
    from ..ports import PortalApi

T = TypeVar("T")
_RENEWABLE = frozenset({498, 499})
_RENEW_MARGIN_SECONDS = 30


class AdminSession:
    def __init__(
        self,
        client: PortalApi,
        username: str,
        password: Secret,
        *,
        token_minutes: int = DEFAULT_TOKEN_MINUTES,
    ) -> None:
        self.client = client
        self.username = username
        self._password = password
        self._minutes = token_minutes
        self._token: PortalToken | None = None

    def __repr__(self) -> str:
        return f"AdminSession({self.client.base_url!r}, user={self.username!r})"

    def token(self) -> PortalToken:
        if self._token is None or self._token.expires_within(_RENEW_MARGIN_SECONDS):
            self._token = self.fresh_token()
        return self._token

    def fresh_token(self) -> PortalToken:
        """A new token, never a cached one (verification needs proof the key works now)."""
        return self.issue_token(self._minutes)

    def issue_token(self, minutes: int) -> PortalToken:
        """A new token that lasts ``minutes`` (the probe of a key change lasts longer)."""
        return self.client.generate_token(self.username, self._password, expiration_minutes=minutes)

    def forget_token(self) -> None:
        self._token = None

    def call(self, operation: Callable[[PortalToken], T]) -> T:
        try:
            return operation(self.token())
        except PortalAuthFailed as exc:
            if exc.code not in _RENEWABLE:
                raise
            self.forget_token()
        return operation(self.token())

    def borrowing(self, client: PortalApi) -> AdminSession:
        """A session with another address of this portal (one of its machines, at the
        adminURL the operator pinned) that uses this session's tokens."""
        return _BorrowingSession(client, self)


class _BorrowingSession(AdminSession):
    """Its tokens are the portal session's: made at the portal's URL, sent to the
    machine. It holds no password, so it can send none."""

    def __init__(self, client: PortalApi, issuer: AdminSession) -> None:
        self.client = client
        self.username = issuer.username
        self._issuer = issuer

    def __repr__(self) -> str:
        return f"AdminSession({self.client.base_url!r}, tokens of {self._issuer!r})"

    def token(self) -> PortalToken:
        return self._issuer.token()

    def fresh_token(self) -> PortalToken:
        return self._issuer.fresh_token()

    def issue_token(self, minutes: int) -> PortalToken:
        return self._issuer.issue_token(minutes)

    def forget_token(self) -> None:
        self._issuer.forget_token()
