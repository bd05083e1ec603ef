"""What the server client returns. Anything that holds a secret hides it in ``repr``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from ..errors import PortalBadResponse
from ..portal.models import register_sensitive
from ..sensitive import Secret

BUILTIN: Final = "BUILTIN"
_TYPE: Final = re.compile(r"[A-Za-z0-9_.\- ]{1,64}")
_ADMIN_SUFFIX: Final = "/admin"


@dataclass(frozen=True, repr=False)
class TokenManagerConfig:
    """A site's whole token manager configuration (``admin/security/tokens``), as read.

    Posted back by ``ServerClient.update_token_config`` with every property as it was
    and only ``sharedKey`` changed (Esri's DSC does the same: the update replaces the
    whole configuration). The key is a ``Secret``; every other string under a
    sensitive-sounding name is registered with the redactor; ``repr`` shows the type.
    """

    type: str
    properties: Mapping[str, Any] = field(default_factory=dict)  # without sharedKey
    shared_key: Secret | None = None

    @classmethod
    def from_answer(cls, body: Mapping[str, Any]) -> TokenManagerConfig:
        kind, properties = body.get("type"), body.get("properties", {})
        if not isinstance(kind, str) or not _TYPE.fullmatch(kind):
            raise PortalBadResponse("read token manager: answer has no recognisable type")
        if not isinstance(properties, dict):
            raise PortalBadResponse("read token manager: its properties are not an object")
        key = properties.get("sharedKey")
        shared_key = Secret(key) if isinstance(key, str) and key else None
        others = {name: value for name, value in properties.items() if name != "sharedKey"}
        register_sensitive(others)
        return cls(kind, others, shared_key)

    @property
    def is_builtin(self) -> bool:
        return self.type == BUILTIN

    def with_shared_key(self, key: Secret) -> TokenManagerConfig:
        return replace(self, shared_key=key)

    def to_form_value(self) -> str:
        """The ``tokenManagerConfig`` form field: the whole configuration, as JSON."""
        properties = dict(self.properties)
        if self.shared_key is not None:
            properties["sharedKey"] = self.shared_key.reveal()
        return json.dumps({"type": self.type, "properties": properties})

    def __repr__(self) -> str:
        return f"TokenManagerConfig(type={self.type!r}, properties hidden)"


def site_url_of(admin_url: str) -> str:
    """The base URL of a site's machine from the adminURL ``admin/machines`` lists it
    with (``https://M:6443/arcgis/admin`` -> ``https://M:6443/arcgis``)."""
    url = admin_url.rstrip("/")
    if not url.lower().endswith(_ADMIN_SUFFIX):
        raise PortalBadResponse("list machines: a machine's adminURL does not end in /admin")
    return url[: -len(_ADMIN_SUFFIX)]
