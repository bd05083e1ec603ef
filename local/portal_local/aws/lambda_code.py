"""Function code as the local Lambda runtime finds it: what a worker runs
(:class:`FunctionSpec`), and the deployment packages that point at a source directory."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CODE_MANIFEST = "portal-local-code.json"
"""Name of the file, inside a function or layer zip, that points at a source directory."""


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker needs to run a function; two equal specs share warm workers."""

    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    timeout_s: float = 3.0
    memory_mb: int = 128
    runtime: str = "python3.11"
    version: str = "$LATEST"
    access_key_id: str = ""
    """The key the workers sign with (the function's own: its role's credentials)."""

    @staticmethod
    def env(variables: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
        """Normalise ``Environment.Variables`` to the hashable form used by the spec."""
        return tuple(sorted((str(k), str(v)) for k, v in (variables or {}).items()))


def code_zip(source_dir: Path) -> bytes:
    """A small deployment package that points at ``source_dir`` instead of copying it.

    moto requires a zip for every function and layer version; the runtime reads the
    manifest back from the package and runs the code in place.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CODE_MANIFEST, json.dumps({"source_dir": str(source_dir.resolve())}))
    return buffer.getvalue()


def code_dir_from_zip(data: bytes, extract_root: Path) -> Path:
    """The directory to run a package from: its manifest's source dir, or the unpacked zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if CODE_MANIFEST in archive.namelist():
            manifest = json.loads(archive.read(CODE_MANIFEST))
            return Path(manifest["source_dir"])
        target = extract_root / hashlib.sha256(data).hexdigest()[:16]
        if not target.exists():
            partial = target.with_name(target.name + ".partial")
            archive.extractall(partial)
            with contextlib.suppress(OSError):
                partial.rename(target)
        return target


def layer_import_paths(layer_dir: Path) -> list[Path]:
    """Import paths a layer adds: ``python/`` (and its site-packages) if present, else itself."""
    paths = []
    python_dir = layer_dir / "python"
    if python_dir.is_dir():
        paths.append(python_dir)
        paths.extend(sorted(python_dir.glob("lib/python3*/site-packages")))
    paths.append(layer_dir)
    return paths
