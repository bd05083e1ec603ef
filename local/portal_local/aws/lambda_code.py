"""Function code as the local Lambda runtime finds it: what a worker runs
(:class:`FunctionSpec`), and the deployment packages that point at a source directory."""

from __future__ import annotations

import compileall
import contextlib
import hashlib
import io
import json
import py_compile
import shutil
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
    manifest back from the package and runs the code in place. The same directory always
    gives the same bytes (a fixed date in the zip).
    """
    buffer = io.BytesIO()
    manifest = zipfile.ZipInfo(CODE_MANIFEST, date_time=(1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(manifest, json.dumps({"source_dir": str(source_dir.resolve())}))
    return buffer.getvalue()


# What ``sam build`` leaves out of a package (aws-lambda-builders' python workflow).
_NOT_PACKAGED = ("__pycache__", ".aws-sam", ".git")
_NOT_PACKAGED_SUFFIXES = (".pyc", ".egg-info")


def _packaged_files(source_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in source_dir.rglob("*")
        if path.is_file()
        and not any(part in _NOT_PACKAGED for part in path.relative_to(source_dir).parts)
        and not any(
            part.endswith(_NOT_PACKAGED_SUFFIXES) for part in path.relative_to(source_dir).parts
        )
    )


def content_digest(source_dir: Path) -> str:
    """sha256 of what a package of ``source_dir`` holds (paths and bytes): the same code
    gives the same digest, as ``sam package`` names an upload by its content."""
    digest = hashlib.sha256()
    for path in _packaged_files(source_dir):
        digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def snapshot(source_dir: Path, root: Path) -> Path:
    """An immutable copy of what a package of ``source_dir`` holds, under ``root`` by its
    content digest: a deployed version keeps running the code it was deployed with, as
    on AWS, whatever later happens to the working tree."""
    target = root / content_digest(source_dir)
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for path in _packaged_files(source_dir):
            copied = partial / path.relative_to(source_dir)
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copied)
        partial.mkdir(parents=True, exist_ok=True)  # an empty directory packages too
        # With its bytecode, as the layer's Makefile builds it for Lambda: workers need
        # not compile it at their cold start.
        compileall.compile_dir(
            partial, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        with contextlib.suppress(OSError):
            partial.rename(target)
    return target


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
