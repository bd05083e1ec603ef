"""Cold start: import time of each handler module in a fresh interpreter, against a bare
``import boto3`` in the same run, in the layout Lambda runs; and the size of what is
deployed.

The headline is the deployed layout: the layer built by its Makefile (what ``sam build``
runs: the lock, the package, and bytecode compiled by Python 3.12 in the unchecked-hash
mode), zipped and unzipped again as Lambda does (every file dated by the unzip); the
function's folder as ``sam build`` copies it (no bytecode); the runtime's boto3 with the
bytecode pip compiles when it installs it (the Lambda image installs the SDK so; an
assumption, said in the README); and nothing writable: the interpreter runs with ``-B``
(Lambda's /opt and /var/task are read-only, so a cold start can write no cache). No
site-packages (``python -S``); the environment template.yaml gives that function,
parameters at their defaults and other references as dummy values. Rounds alternate the
baseline and every handler, so load on the machine shifts them alike; the first round is
dropped (the files are then in the page cache, as they are for Lambda's mounts).

Beside it, the same layer without its bytecode, as ``sam build`` shipped it before the
layer was built by its Makefile: every cold start compiled every module it imported.

The layer is built for this machine to be imported here (the lock holds its wheels'
hashes); its size is measured as built for Lambda (arm64, CPython 3.12), unzipped, which
is what Lambda's 250 MB quota and the 25 MB goal count, with what the bytecode adds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from portal_local.aws.deploy import load_template
from portal_local.tools.layer_lock import LAMBDA_PLATFORM, PYTHON_VERSION

from benchmarks.common import save

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "shared"
LOCK = LAYER / "requirements.txt"
CONSTRAINTS = ROOT / "constraints.txt"
BASELINE = "boto3 (baseline)"
GOAL_RATIO = 1.5
GOAL_LAYER_BYTES = 25 * 1000 * 1000
# The template's one parameter without a default.
PARAMETERS = {"SecretArnPrefix": "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal/"}
# Prints: seconds to import the module, then seconds to import it and boto3.
SNIPPET = (
    "import time; t = time.perf_counter(); import {module}; a = time.perf_counter(); "
    "import boto3; print(a - t, time.perf_counter() - t)"
)


def _value(value: Any, parameters: Mapping[str, Any]) -> str:
    """An environment value at the default parameters; any other intrinsic a dummy."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        return str(parameters[name]) if name in parameters else f"dummy-{name}"
    return "dummy"


def function_environments(
    template_path: Path = ROOT / "template.yaml",
) -> dict[str, dict[str, str]]:
    """functions/<name> -> the environment template.yaml gives that function."""
    template = load_template(template_path)
    parameters = {
        name: PARAMETERS.get(name, spec.get("Default", ""))
        for name, spec in template.get("Parameters", {}).items()
    }
    common = template.get("Globals", {}).get("Function", {}).get("Environment", {})
    environments = {}
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource.get("Type") != "AWS::Serverless::Function" or "CodeUri" not in props:
            continue
        own = props.get("Environment", {}).get("Variables", {})
        variables = {**common.get("Variables", {}), **own}
        environments[Path(props["CodeUri"]).name] = {
            name: _value(value, parameters) for name, value in variables.items()
        }
    return environments


HOST_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}


def build_layer(artifacts: Path, platform: str = LAMBDA_PLATFORM) -> Path:
    """The layer as ``sam build`` builds it (layers/shared/Makefile) for ``platform``;
    returns its ``python`` folder."""
    if sys.version_info[:2] != (3, 12):
        raise SystemExit(f"run the benchmark with Python {PYTHON_VERSION} (the Lambda runtime)")
    argv = ["make", "-s", "-C", str(LAYER), "build-SharedLayer"]
    argv += [f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}", f"LAYER_PLATFORM={platform}"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"the layer's Makefile failed: {done.stderr.strip()[-800:]}")
    return artifacts / "python"


def as_lambda_unzips(built: Path, opt: Path, *, bytecode: bool) -> Path:
    """``built`` zipped and unzipped into ``opt`` (every file dated by the unzip, as
    after Lambda's); without ``bytecode``, as ``sam build`` shipped the layer before."""
    archive = opt.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(built.rglob("*")):
            if path.is_file() and (bytecode or "__pycache__" not in path.parts):
                zipped.write(path, path.relative_to(built.parent).as_posix())
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(opt)
    return opt / "python"


def install_runtime_boto3(runtime: Path) -> None:
    """The runtime's boto3 at the version the tests use, with the bytecode pip compiles."""
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    argv += ["--only-binary=:all:", "--target", str(runtime), "-c", str(CONSTRAINTS), "boto3"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"pip install boto3: {done.stderr.strip()[-800:]}")


def directory_bytes(path: Path, *, only_bytecode: bool = False) -> int:
    return sum(
        f.stat().st_size
        for f in path.rglob("*")
        if f.is_file() and (not only_bytecode or "__pycache__" in f.parts)
    )


def _sample(module: str, path: list[Path], env: Mapping[str, str]) -> tuple[float, float]:
    out = subprocess.run(  # noqa: S603 - fixed argv
        # -B: nothing can be written, as in Lambda's read-only /opt and /var/task.
        [sys.executable, "-S", "-B", "-c", SNIPPET.format(module=module)],
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(str(p) for p in path),
            "AWS_DEFAULT_REGION": "us-east-1",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"import {module} ({path[0]}) failed: {out.stderr.strip()[-800:]}")
    imported, with_boto3 = out.stdout.split()
    return float(imported), float(with_boto3)


def import_figures(
    repeat: int, functions_root: Path, layer: Path, runtime: Path
) -> dict[str, dict[str, float]]:
    """Per handler and for the baseline: the median cold import (ms), its ratio to the
    baseline's, and (handlers) the import then boto3's."""
    environments = function_environments()
    functions = sorted(p for p in functions_root.iterdir() if (p / "app.py").exists())
    cases: dict[str, tuple[str, list[Path], dict[str, str]]] = {
        BASELINE: ("boto3", [runtime], {})
    } | {f.name: ("app", [f, layer, runtime], environments.get(f.name, {})) for f in functions}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(repeat + 1):
        for name, (module, path, env) in cases.items():
            runs[name].append(_sample(module, path, env))
    baseline = statistics.median(s[0] for s in runs[BASELINE][1:])
    figures = {}
    for name, samples in runs.items():
        imported = statistics.median(s[0] for s in samples[1:])
        figures[name] = {"ms": round(imported * 1000, 1), "ratio": round(imported / baseline, 2)}
        if name != BASELINE:
            then_boto3 = statistics.median(s[1] for s in samples[1:])
            figures[name]["then_boto3_ms"] = round(then_boto3 * 1000, 1)
    return figures


def copy_functions(target: Path) -> Path:
    """The functions' folders as ``sam build`` copies them: sources, no bytecode."""
    for folder in (ROOT / "functions").iterdir():
        if (folder / "app.py").exists():
            shutil.copytree(
                folder, target / folder.name, ignore=shutil.ignore_patterns("__pycache__")
            )
    return target


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    layouts: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        built = build_layer(base / "build", HOST_PLATFORMS[platform.machine()])
        install_runtime_boto3(base / "runtime")
        functions = copy_functions(base / "task")
        for layout, bytecode in (("deployed", True), ("without_layer_bytecode", False)):
            layer = as_lambda_unzips(built, base / f"opt-{layout}", bytecode=bytecode)
            layouts[layout] = import_figures(args.repeat, functions, layer, base / "runtime")
        lambda_layer = build_layer(base / "lambda")
        layer_bytes = directory_bytes(lambda_layer)
        bytecode_bytes = directory_bytes(lambda_layer, only_bytecode=True)
        package = directory_bytes(lambda_layer / "portal_automation")
    deployed = layouts["deployed"]
    ratio = max(v["ratio"] for k, v in deployed.items() if k != BASELINE)
    figures: dict[str, object] = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "import_ms_median": deployed,
        "max_ratio_to_boto3": ratio,
        "without_layer_bytecode": {
            "import_ms_median": layouts["without_layer_bytecode"],
            "max_ratio_to_boto3": max(
                v["ratio"] for k, v in layouts["without_layer_bytecode"].items() if k != BASELINE
            ),
        },
        "package_bytes": {
            "layer_total_arm64": layer_bytes,
            "layer_bytecode_arm64": bytecode_bytes,
            "portal_automation_with_bytecode": package,
            "functions": sum(f.stat().st_size for f in (ROOT / "functions").glob("*/app.py")),
        },
        "goals_met": {
            f"every handler <= {GOAL_RATIO}x import boto3 (deployed layout)": ratio <= GOAL_RATIO,
            "layer <= 25 MB unzipped": layer_bytes <= GOAL_LAYER_BYTES,
        },
    }
    save("cold_start", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
