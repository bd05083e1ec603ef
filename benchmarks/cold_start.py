"""Cold start: import time of each handler module in a fresh interpreter, against a bare
``import boto3`` in the same run; and the size of what is deployed.

Each handler is imported in the layout Lambda gives it: its folder, then the layer (the
``portal_automation`` package and its dependencies installed from the lock,
layers/shared/requirements.txt), then the runtime's boto3 (constraints.txt's version in
a folder of its own); no site-packages (``python -S``). Its environment is the one
template.yaml gives that function, parameters at their defaults and other references as
dummy values. Rounds alternate the baseline and every handler, so load on the machine
shifts them alike; the first round writes the bytecode caches and is dropped.

Beside each handler's figure: what importing boto3 then adds (the clients are made on
first use, so the first invocation pays for boto3, not the cold import), and one import
with no bytecode cache at all, as in a layer that ships none (``sam build`` writes no
``.pyc`` and Lambda's /opt is read-only).

The layer's size is the lock installed for Lambda (arm64, CPython 3.12, hashes checked)
plus the package, unzipped, which is what Lambda's 250 MB quota and the 15 MB goal count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from portal_local.aws.deploy import load_template
from portal_local.tools.layer_lock import LAMBDA_PLATFORM, PYTHON_VERSION, pins

from benchmarks.common import save

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "shared"
LOCK = LAYER / "requirements.txt"
CONSTRAINTS = ROOT / "constraints.txt"
BASELINE = "boto3 (baseline)"
GOAL_RATIO = 1.5
GOAL_LAYER_BYTES = 15 * 1000 * 1000
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


def _pip_install(target: Path, *arguments: str) -> None:
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    argv += ["--no-compile", "--only-binary=:all:", "--target", str(target), *arguments]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(arguments)}: {done.stderr.strip()[-800:]}")


def install_for_lambda(target: Path) -> None:
    """The lock as ``sam build`` installs it for the functions: arm64, CPython 3.12."""
    platform = ["--platform", LAMBDA_PLATFORM, "--implementation", "cp"]
    _pip_install(
        target, *platform, "--python-version", PYTHON_VERSION, "--no-deps", "-r", str(LOCK)
    )


def install_for_this_machine(layer: Path, runtime: Path) -> None:
    """The lock's versions built for this interpreter (to import them here), and the
    runtime's boto3 at the version the tests use."""
    pinned = layer.parent / "layer-pins.txt"
    pinned.write_text("".join(f"{n}=={v}\n" for n, v in pins(LOCK.read_text()).items()))
    _pip_install(layer, "--no-deps", "-r", str(pinned))
    _pip_install(runtime, "-c", str(CONSTRAINTS), "boto3")


def directory_bytes(path: Path) -> int:
    return sum(
        f.stat().st_size for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts
    )


def dependency_bytes() -> int:
    """Size of the layer's locked requirements as installed for Lambda (arm64, 3.12)."""
    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / "python"
        install_for_lambda(target)
        return directory_bytes(target)


def _sample(
    module: str, path: list[Path], env: Mapping[str, str], *, no_cache: Path | None = None
) -> tuple[float, float]:
    cache = {"PYTHONPYCACHEPREFIX": str(no_cache), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-S", "-c", SNIPPET.format(module=module)],
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(str(p) for p in path),
            "AWS_DEFAULT_REGION": "us-east-1",
            **(cache if no_cache else {}),
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


def import_figures(repeat: int, layer: Path, runtime: Path) -> dict[str, dict[str, float]]:
    environments = function_environments()
    functions = sorted(p for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())
    cases: dict[str, tuple[str, list[Path], dict[str, str]]] = {
        BASELINE: ("boto3", [runtime], {})
    } | {
        f.name: ("app", [f, LAYER, layer, runtime], environments.get(f.name, {})) for f in functions
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(repeat + 1):
        for name, (module, path, env) in cases.items():
            runs[name].append(_sample(module, path, env))
    with tempfile.TemporaryDirectory() as empty:
        no_cache = {
            name: _sample(module, path, env, no_cache=Path(empty))[0]
            for name, (module, path, env) in cases.items()
        }
    baseline = statistics.median(s[0] for s in runs[BASELINE][1:])
    figures = {}
    for name, samples in runs.items():
        imported = statistics.median(s[0] for s in samples[1:])
        figures[name] = {"ms": round(imported * 1000, 1), "ratio": round(imported / baseline, 2)}
        if name != BASELINE:
            then_boto3 = statistics.median(s[1] for s in samples[1:])
            figures[name]["then_boto3_ms"] = round(then_boto3 * 1000, 1)
        figures[name]["no_bytecode_cache_ms"] = round(no_cache[name] * 1000, 1)
    return figures


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        layer, runtime = Path(work) / "layer", Path(work) / "runtime"
        install_for_this_machine(layer, runtime)
        imports = import_figures(args.repeat, layer, runtime)
    package = directory_bytes(LAYER / "portal_automation")
    deps = dependency_bytes()
    ratio = max(v["ratio"] for k, v in imports.items() if k != BASELINE)
    figures: dict[str, object] = {
        "python": sys.version.split()[0],
        "import_ms_median": imports,
        "max_ratio_to_boto3": ratio,
        "package_bytes": {
            "portal_automation": package,
            "functions": directory_bytes(ROOT / "functions"),
            "layer_dependencies_arm64": deps,
            "layer_total_arm64": deps + package,
        },
        "goals_met": {
            f"every handler <= {GOAL_RATIO}x import boto3": ratio <= GOAL_RATIO,
            "layer <= 15 MB unzipped": deps + package <= GOAL_LAYER_BYTES,
        },
    }
    save("cold_start", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
