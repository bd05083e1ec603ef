"""Server-side token store: opaque tokens bound to the shared key they were issued under
(by its id: a machine accepts a token only while it runs that key, as a shared-key portal
does), and to a referer or an IP."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Literal

ClientType = Literal["referer", "ip", "requestip"]
CLIENT_TYPES: tuple[str, ...] = ("referer", "ip", "requestip")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Token:
    value: str
    username: str
    client: ClientType
    referer: str | None
    ip: str | None
    expires_ms: int
    key_id: int

    def accepts(self, *, referer: str | None, ip: str, key_id: int) -> bool:
        """Whether a request carrying this token is authenticated by it."""
        if self.key_id != key_id or self.expires_ms <= now_ms():
            return False
        if self.client == "referer":
            return referer is not None and referer == self.referer
        return ip == self.ip


class TokenStore:
    """Not thread-safe by itself: the owning Portal's lock is held around every call."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        # Every value ever issued, for tests that search outputs for leaked tokens.
        self.issued: list[str] = []

    def issue(
        self,
        *,
        username: str,
        client: ClientType,
        referer: str | None,
        ip: str | None,
        minutes: int,
        key_id: int,
        live_key_ids: set[int],
    ) -> Token:
        self._prune(live_key_ids)
        token = Token(
            value=secrets.token_urlsafe(96),
            username=username,
            client=client,
            referer=referer,
            ip=ip,
            expires_ms=now_ms() + minutes * 60_000,
            key_id=key_id,
        )
        self._tokens[token.value] = token
        self.issued.append(token.value)
        return token

    def lookup(self, value: str) -> Token | None:
        return self._tokens.get(value)

    def expire_all(self) -> None:
        past = now_ms() - 1
        self._tokens = {v: replace(t, expires_ms=past) for v, t in self._tokens.items()}

    def __len__(self) -> int:
        return len(self._tokens)

    def _prune(self, live_key_ids: set[int]) -> None:
        # Forget tokens that no machine can accept any more (their key neither runs nor
        # is stored, or they expired an hour ago), so a long demo stays small. A forgotten
        # token answers 498 like any unknown one.
        horizon = now_ms() - 3_600_000
        self._tokens = {
            v: t
            for v, t in self._tokens.items()
            if t.key_id in live_key_ids and t.expires_ms > horizon
        }
