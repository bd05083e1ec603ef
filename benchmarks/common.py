"""Shared pieces of the benchmarks: a deployment with N emulated portals, history reading,
the sizes of every history and payload of a run, and the CPU and memory of the local run."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal_local.aws.lambda_runtime import DEFAULT_MAX_WORKERS
from portal_local.deployment import LocalDeployment, PortalLogin
from portal_local.emulator import PortalEmulator, PortalSettings

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Bench:
    emulator: PortalEmulator
    aws: LocalDeployment
    arns: dict[str, str]


@contextmanager
def bench_stack(
    portals: int,
    *,
    restart: float,
    lag: float,
    version: str = "11.3",
    restart_spread: float = 0.0,
    parameters: Mapping[str, str] | None = None,
    max_workers: int | None = None,
    extra_restarts: Sequence[float] = (),
    **settings: Any,
) -> Iterator[Bench]:
    """``restart_spread``: portal i restarts for ``restart + spread * i / portals`` seconds,
    so restarts end at every phase of the health poll instead of one fixed phase.
    ``parameters``: template parameters over the benchmarks' (MaxRestartSeconds 3600).
    ``max_workers``: warm workers per function (None: the local endpoint's default).
    ``extra_restarts``: one more portal per value (``x000``...), restarting that long."""
    password = secrets.token_urlsafe(16)
    restarts = {f"p{i:03d}": restart + restart_spread * i / portals for i in range(portals)}
    restarts.update({f"x{i:03d}": seconds for i, seconds in enumerate(extra_restarts)})
    contexts = list(restarts)
    portal_settings = [
        PortalSettings(
            version=version,
            context=ctx,
            admin_password=password,
            restart_seconds=seconds,
            restart_lag_seconds=lag,
            **settings,
        )
        for ctx, seconds in restarts.items()
    ]
    with (
        PortalEmulator(portal_settings, port=0) as emulator,
        _deployment(
            ca_bundle=emulator.ca_bundle,
            parameters={"MaxRestartSeconds": "3600", **(parameters or {})},
            max_workers=max_workers,
        ) as aws,
    ):
        arns = {
            ctx: aws.create_portal_secret(
                f"bench-{ctx}",
                PortalLogin(emulator.url(ctx), "portaladmin", password),
                **_pins(emulator, ctx),
            )
            for ctx in contexts
        }
        yield Bench(emulator, aws, arns)


def _pins(emulator: PortalEmulator, context: str) -> dict[str, Any]:
    """A portal of two machines has them pinned, so that each is checked directly."""
    portal = emulator.portal(context)
    return {"machines": emulator.machine_urls(context)} if portal.is_highly_available else {}


def _deployment(
    *, ca_bundle: str | None, parameters: dict[str, str], max_workers: int | None
) -> LocalDeployment:
    workers = DEFAULT_MAX_WORKERS if max_workers is None else max_workers
    return LocalDeployment(
        ca_bundle=ca_bundle, parameters=parameters, max_workers_per_function=workers
    )


def _pages(sfn: Any, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    yield from sfn.get_paginator(operation).paginate(**kwargs)


def history(aws: LocalDeployment, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of one execution (GetExecutionHistory is paged: 1,000 at most a page)."""
    sfn = aws.client("stepfunctions")
    pages = _pages(sfn, "get_execution_history", executionArn=execution_arn, maxResults=1000)
    return [event for page in pages for event in page["events"]]


def children(aws: LocalDeployment, execution_arn: str) -> list[str]:
    """The child executions of every map run of an execution (a Distributed Map's children
    are listed under their map run, not under the state machine)."""
    sfn = aws.client("stepfunctions")
    found: list[str] = []
    for runs in _pages(sfn, "list_map_runs", executionArn=execution_arn):
        for run in runs["mapRuns"]:
            for page in _pages(sfn, "list_executions", mapRunArn=run["mapRunArn"]):
                found.extend(c["executionArn"] for c in page["executions"])
    return found


_PAYLOAD_FIELDS = ("input", "output", "parameters", "result")


def payload_bytes(event: dict[str, Any]) -> tuple[int, str]:
    """The largest payload one history event carries, in bytes of UTF-8 (as Step Functions
    counts its 256 KiB quota), and where: ``<event type>.<field>``. Counted: every
    ``input``, ``output``, ``parameters`` and ``result`` string of the event's details
    (state input and output, task and Lambda parameters and results, execution input
    and output)."""
    largest, where = 0, ""
    for key, details in event.items():
        if not key.endswith("EventDetails") or not isinstance(details, dict):
            continue
        for name in _PAYLOAD_FIELDS:
            value = details.get(name)
            if isinstance(value, str) and (size := len(value.encode())) > largest:
                largest, where = size, f"{event['type']}.{name}"
    return largest, where


@dataclass
class ExecutionSize:
    arn: str
    events: int
    largest_payload: int
    largest_payload_at: str
    states: dict[str, int]
    seconds: float
    """From the first event of the history to the last."""
    work_seconds: float
    """``seconds`` less the restart wait (from WaitRecheck entered to the last Verify
    entered): the portal's own work, Lambda tasks and transitions."""

    def brief(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "largest_payload_bytes": self.largest_payload,
            "largest_payload_at": self.largest_payload_at,
            "state_entries": self.states,
            "seconds": round(self.seconds, 2),
            "work_seconds": round(self.work_seconds, 2),
        }


def execution_size(aws: LocalDeployment, execution_arn: str) -> ExecutionSize:
    events = history(aws, execution_arn)
    sizes = [payload_bytes(e) for e in events]
    largest, where = max(sizes, default=(0, ""))
    states: dict[str, int] = {}
    for name, _ in state_entries(events):
        states[name] = states.get(name, 0) + 1
    entries = state_entries(events)
    seconds = (events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds() if events else 0
    waited = [t for name, t in entries if name == "WaitRecheck"][:1]
    verified = [t for name, t in entries if name == "Verify"][-1:]
    wait = verified[0] - waited[0] if waited and verified else 0.0
    return ExecutionSize(
        execution_arn, len(events), largest, where, states, float(seconds), float(seconds) - wait
    )


@dataclass
class RunSizes:
    """The history length and largest payload of a run's own execution and of each of
    its child executions."""

    parent: ExecutionSize
    children: list[ExecutionSize]

    def summary(self) -> dict[str, Any]:
        kids = self.children
        largest_child = max(kids, key=lambda c: c.events, default=None)
        return {
            "parent": self.parent.brief(),
            "children": len(kids),
            "child_events": _spread([c.events for c in kids]),
            "child_largest_payload_bytes": _spread([c.largest_payload for c in kids]),
            "largest_child": largest_child.brief() if largest_child else None,
            "largest_history_events": max([self.parent.events, *(c.events for c in kids)]),
            "largest_payload_bytes": max(
                [self.parent.largest_payload, *(c.largest_payload for c in kids)]
            ),
        }


def _spread(values: list[int]) -> dict[str, int]:
    return {"min": min(values), "max": max(values)} if values else {}


def run_sizes(aws: LocalDeployment, execution_arn: str) -> RunSizes:
    return RunSizes(
        execution_size(aws, execution_arn),
        [execution_size(aws, arn) for arn in children(aws, execution_arn)],
    )


# --- CPU and memory of the local run ---------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _proc_stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds user+system, RSS bytes) of a live process, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    ppid, utime, stime, rss = int(fields[1]), int(fields[11]), int(fields[12]), int(fields[21])
    return ppid, (utime + stime) / _TICKS, rss * _PAGE


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (/proc/stat: user,
    nice, system, irq, softirq, steal), whatever process it ran."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def process_tree(root: int) -> dict[int, tuple[float, int]]:
    """pid -> (CPU seconds, RSS bytes) of ``root`` and every live descendant."""
    stats: dict[int, tuple[int, float, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))) is not None:
            stats[int(entry)] = stat
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, _) in stats.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return {pid: stats[pid][1:] for pid in tree if pid in stats}


@dataclass
class TreeUsage:
    """CPU and memory of this process and all its descendants over a stretch of time,
    sampled from /proc every ``interval`` seconds.

    CPU: user+system seconds of every process of the tree (this one: moto's server and
    its ASL interpreter threads, the emulator, the benchmark; and every Lambda worker
    process), counted from :meth:`start` to :meth:`stop`: a process alive at the start
    counts from its value then, one started later from zero; a process gone between two
    samples counts up to its last sample. Memory: the largest sum of RSS over the tree
    in any sample (shared pages are counted once per process, so it overstates). The
    machine's busy CPU over the same stretch, less the tree's, is what other processes
    took from the same cores."""

    interval: float = 0.5
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    peak_processes: int = 0
    samples: int = 0
    _base: dict[int, float] = field(default_factory=dict)
    _last: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _machine: float = 0.0
    _started: float = 0.0

    def start(self) -> TreeUsage:
        self._machine, self._started = machine_busy_seconds(), time.monotonic()
        self._base = {pid: cpu for pid, (cpu, _) in process_tree(os.getpid()).items()}
        self._last = dict(self._base)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="tree-usage", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        tree = process_tree(os.getpid())
        for pid, (cpu, _) in tree.items():
            self._last[pid] = cpu
        self.samples += 1
        self.peak_rss_bytes = max(self.peak_rss_bytes, sum(rss for _, rss in tree.values()))
        self.peak_processes = max(self.peak_processes, len(tree))

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        self.cpu_seconds = sum(cpu - self._base.get(pid, 0.0) for pid, cpu in self._last.items())
        own = self._last.get(os.getpid(), 0.0) - self._base.get(os.getpid(), 0.0)
        machine = machine_busy_seconds() - self._machine
        elapsed = time.monotonic() - self._started
        return {
            "cores": os.cpu_count(),
            "machine_busy_cpu_seconds": round(machine, 1),
            "cpu_seconds_other_processes": round(max(0.0, machine - self.cpu_seconds), 1),
            "machine_busy_fraction": round(machine / (elapsed * (os.cpu_count() or 1)), 2),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "cpu_seconds_this_process": round(own, 1),
            "cpu_seconds_lambda_workers": round(self.cpu_seconds - own, 1),
            "peak_rss_mib": round(self.peak_rss_bytes / 2**20),
            "peak_processes": self.peak_processes,
        }


def wait_for(
    aws: LocalDeployment, execution_arn: str, *, timeout_seconds: float, poll_seconds: float = 2.0
) -> dict[str, Any]:
    """DescribeExecution every ``poll_seconds`` until the execution ends. Cheaper than
    following it (the follower reads every running child's history twice a second, which
    on a 200-portal fleet is CPU the benchmark would take from the run it measures)."""
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout_seconds
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            sfn.stop_execution(executionArn=execution_arn, cause="benchmark timeout")
            raise TimeoutError(f"{execution_arn} still running after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)


def wall_seconds(described: dict[str, Any]) -> float:
    return round(float((described["stopDate"] - described["startDate"]).total_seconds()), 2)


def state_entries(events: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [
        (e["stateEnteredEventDetails"]["name"], e["timestamp"].timestamp())
        for e in events
        if e["type"].endswith("StateEntered")
    ]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p90": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
