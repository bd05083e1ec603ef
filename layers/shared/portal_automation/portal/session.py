"""An administrator's session with one portal: a short-lived token, renewed at most once.

FAULTS row 2: an answer of 498/499 means the token is no longer good (expired, or the
key changed). The session makes one fresh token and repeats the call once; a second
refusal is an authentication failure. A 403 is never retried: a fresh token for the
same user would be refused too.
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
        self.password = password
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
        return self.client.generate_token(
            self.username, self.password, expiration_minutes=self._minutes
        )

    def call(self, operation: Callable[[PortalToken], T]) -> T:
        try:
            return operation(self.token())
        except PortalAuthFailed as exc:
            if exc.code not in _RENEWABLE:
                raise
            self._token = None
        return operation(self.token())
