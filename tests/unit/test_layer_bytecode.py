"""The layer ships bytecode a read-only /opt can use (issue 19 item 2).

Lambda mounts a layer read-only at /opt, so a cold start cannot write the bytecode it
compiles, and the files' times after Lambda unzips the layer are not those a timestamp
.pyc records. layers/shared/Makefile (what ``sam build`` runs for the layer) compiles every
module with the runtime's Python in the unchecked-hash mode. These tests run its package
and bytecode steps (no package index needed; ``make sam-build`` runs them all).
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked
MODULES = ("portal_automation.errors", "portal_automation.domain.version")


def _python312() -> str:
    done = subprocess.run(
        ["make", "-s", "python312"],  # noqa: S607 - the project's own Makefile
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the layer is compiled by Python 3.12 and there is none: {done.stderr}")
    return done.stdout.strip()


@pytest.fixture(scope="module")
def python312() -> str:
    return _python312()


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory, python312: str) -> Path:
    artifacts = tmp_path_factory.mktemp("layer")
    subprocess.run(  # noqa: S603 - the project's own Makefile
        [  # noqa: S607 - make from PATH, as the README's commands run it
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / "shared"),
            "layer-package",
            "layer-bytecode",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={python312}",
        ],
        check=True,
        capture_output=True,
    )
    return artifacts / "python"


def test_every_module_has_unchecked_bytecode_for_the_runtime(layer: Path, python312: str) -> None:
    magic = subprocess.run(  # noqa: S603 - fixed argv
        [
            python312,
            "-c",
            "import importlib.util,sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sources = sorted(layer.rglob("*.py"))
    assert len(sources) > 50
    for source in sources:
        cached = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        header = cached.read_bytes()[:16]
        assert header[:4].hex() == magic, source
        assert struct.unpack("<I", header[4:8])[0] == UNCHECKED_HASH, source
        if sys.version_info[:2] != (3, 12):
            continue  # another Python cannot read 3.12's code objects
        code = marshal.loads(cached.read_bytes()[16:])  # noqa: S302 - built by this test
        relative = source.relative_to(layer).as_posix()
        assert code.co_filename == f"/opt/python/{relative}"  # tracebacks name /opt


def test_a_cold_import_uses_the_bytecode_without_reading_or_writing(
    layer: Path, python312: str
) -> None:
    """As in Lambda: nothing may be written, and every file is newer than the .pyc says
    (after unzipping). The sources are broken on purpose: an import that compiled them
    again would fail; one that uses the shipped bytecode does not read them."""
    for source in (layer / "portal_automation").rglob("*.py"):
        source.write_text("raise SystemExit('the source was compiled again')\n")
        os.utime(source, (2_000_000_000, 2_000_000_000))
    before = sorted(layer.rglob("*"))

    done = subprocess.run(  # noqa: S603 - fixed argv
        [python312, "-S", "-B", "-c", "; ".join(f"import {m}" for m in MODULES)],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(layer)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert sorted(layer.rglob("*")) == before  # nothing written


def test_the_template_builds_the_layer_with_its_makefile() -> None:
    from portal_local.aws.deploy import load_template  # noqa: PLC0415

    layer = load_template(ROOT / "template.yaml")["Resources"]["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/shared"
    assert "build-SharedLayer:" in (ROOT / "layers" / "shared" / "Makefile").read_text()
    assert importlib.util.find_spec("portal_automation") is not None
