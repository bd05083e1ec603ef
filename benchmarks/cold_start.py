"""Cold start: import time of each handler module in a fresh interpreter, against a
bare ``import boto3`` in the same run; and the size of what is deployed."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import save

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "shared"
SNIPPET = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, path: list[Path], repeat: int) -> float:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(str(p) for p in path),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }
    samples = []
    for _ in range(repeat):
        out = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", SNIPPET.format(module=module)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return round(statistics.median(samples) * 1000, 1)


def directory_bytes(path: Path) -> int:
    return sum(
        f.stat().st_size for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts
    )


def dependency_bytes() -> int | None:
    """Size of the layer's requirements as installed for Lambda (arm64, Python 3.12)."""
    with tempfile.TemporaryDirectory() as target:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                target,
                "--platform",
                "manylinux2014_aarch64",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                "-r",
                str(LAYER / "requirements.txt"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return directory_bytes(Path(target)) if result.returncode == 0 else None


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    site = [Path(p) for p in sys.path if p.endswith("site-packages")]
    imports = {"boto3 (baseline)": import_seconds("boto3", site, args.repeat)}
    for function in sorted(p for p in (ROOT / "functions").iterdir() if p.is_dir()):
        imports[function.name] = import_seconds("app", [function, LAYER, *site], args.repeat)
    deps = dependency_bytes()
    figures: dict[str, object] = {
        "python": sys.version.split()[0],
        "import_ms_median": imports,
        "package_bytes": {
            "portal_automation": directory_bytes(LAYER / "portal_automation"),
            "functions": directory_bytes(ROOT / "functions"),
            "layer_dependencies_arm64": deps,
        },
    }
    save("cold_start", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
