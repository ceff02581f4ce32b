"""Profiles one offline render with cProfile in every thread, and says where the time goes.

`python -m external_service render` spends its time in two places: the event loop of the Pulumi
SDK on the main thread, and the SDK's thread pool, where each resource registration is answered by
the mock monitor (and recorded by the render's mocks). Plain `python -m cProfile` sees only the
main thread, so this driver gives every thread its own profiler and adds them up.

The summary assigns each function's own time to who owns the code: this project (the component
and its validation, the program, the render driver), the Pulumi SDK, pulumi-kubernetes, PyYAML,
asyncio and so on. Time in built-in functions (`isinstance`, `len`, ...) goes to their callers'
owners in proportion to the calls each made.

Usage:
    python bench/profile_render.py --project-dir DIR --config-file FILE --out STATS [--top N]
"""

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeAlias, cast

from external_service import cli
from external_service.config import read_stack_settings, service_args
from external_service.manifests import endpoints_manifest, service_manifest
from external_service.render import read_stack_config
from external_service.validation import validate_service

# pstats keys a function as (file name, line, function name).
FunctionKey: TypeAlias = tuple[str, int, str]

# Owners in the order a path is checked; the first whose marker is in the file name wins.
REPO = Path(__file__).resolve().parents[1]
PACKAGE = f"{REPO}/components/external_service/"
OWNERS: tuple[tuple[str, str], ...] = (
    (f"{PACKAGE}render.py", "ours: render driver (render.py, cli.py)"),
    (f"{PACKAGE}cli.py", "ours: render driver (render.py, cli.py)"),
    (PACKAGE, "ours: component, validation, config"),
    (f"{REPO}/bench/baseline/__main__.py", "ours: program (__main__.py)"),
    (f"{REPO}/__main__.py", "ours: program (__main__.py)"),
    ("/site-packages/pulumi_kubernetes/", "pulumi-kubernetes SDK"),
    ("/site-packages/pulumi/", "Pulumi SDK"),
    ("/site-packages/yaml/", "PyYAML"),
    ("/site-packages/google/protobuf/", "protobuf"),
    ("/site-packages/grpc/", "grpc"),
    ("/asyncio/", "asyncio (driven by the SDK)"),
    ("/concurrent/futures/", "thread pool (driven by the SDK)"),
    ("/threading.py", "thread pool (driven by the SDK)"),
)
OTHER = "unattributed"


def main(argv: Sequence[str] | None = None) -> int:
    """Profiles one render and writes the stats file and a JSON summary next to it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--config-file", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the merged pstats file")
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time")
    arguments = parser.parse_args(argv)

    stats = profile_render(arguments.project_dir, arguments.config_file)
    stats.dump_stats(arguments.out)
    summary = {
        "total_seconds": total_time(stats),
        "by_owner": own_time_by_owner(stats),
        "top_functions": top_functions(stats, arguments.top),
        "calls": call_counts(stats),
        "our_code_seconds": time_our_code(arguments.config_file),
    }
    arguments.out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def profile_render(project_dir: Path, config_file: Path) -> pstats.Stats:
    """Runs the render command in this process with a profiler in every thread."""
    profiles: list[cProfile.Profile] = []
    original_run = threading.Thread.run

    def profiled_run(thread: threading.Thread, /) -> None:
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()
        try:
            original_run(thread)
        finally:
            profile.disable()

    # Every thread the SDK starts from here on (its thread pool) runs under its own profiler.
    threading.Thread.run = profiled_run  # type: ignore[method-assign,assignment]
    main_profile = cProfile.Profile(time.thread_time)
    rendered = io.StringIO()
    real_stdout = sys.stdout
    sys.stdout = rendered
    main_profile.enable()
    try:
        status = cli.main(
            ["render", "--project-dir", str(project_dir), "--config-file", str(config_file)]
        )
    finally:
        main_profile.disable()
        sys.stdout = real_stdout
        threading.Thread.run = original_run  # type: ignore[method-assign]
    if status != 0:
        raise SystemExit(f"render failed with status {status}")

    # The pool's threads end, and so stop their profilers, only when the pool is shut down.
    loop = asyncio.get_event_loop()
    loop.run_until_complete(loop.shutdown_default_executor())
    stats = pstats.Stats(main_profile)
    for profile in profiles:
        stats.add(profile)
    return stats


class _StackConfig:
    """The stack config as the program's `pulumi.Config("external-services")` reads it."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str) -> str | None:
        return self.values.get(f"external-services:{key}")

    def get_object(self, key: str) -> object:
        value = self.get(key)
        return None if value is None else json.loads(value)


def time_our_code(config_file: Path, repeat: int = 3) -> float:
    """Seconds our own code takes for a stack, without Pulumi: the best of a few runs.

    The same work the program and the component do per service: the stack config is read and
    validated, the component's inputs are validated again, and the two manifests are built.
    """
    config = _StackConfig(read_stack_config(config_file, project="external-services", stack="b"))
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for spec in read_stack_settings(config, stack="b").services:
            args = cast(dict[str, object], service_args(spec))
            checked = validate_service(
                args, label=spec.service_name, default_service_name=spec.service_name
            )
            service_manifest(checked)
            endpoints_manifest(checked)
        best = min(best, time.perf_counter() - started)
    return best


def owner_of(filename: str) -> str | None:
    """Who owns the code of a file; None for the standard library and built-ins.

    Standard-library code (traceback, typing, pathlib, ...) and built-ins run on behalf of their
    callers, so their time is charged to the callers' owners instead.
    """
    for marker, owner in OWNERS:
        if marker in filename:
            return owner
    return None


def _raw(stats: pstats.Stats) -> dict[FunctionKey, Any]:
    # pstats keeps its table in an attribute its stubs do not declare: for each function,
    # (primitive calls, calls, own time, cumulative time, {caller: (.., calls, own, ..)}).
    table: dict[FunctionKey, Any] = stats.stats  # type: ignore[attr-defined]
    return table


def total_time(stats: pstats.Stats) -> float:
    """The sum of every function's own CPU time, over all threads."""
    return float(sum(entry[2] for entry in _raw(stats).values()))


def own_time_by_owner(stats: pstats.Stats) -> dict[str, float]:
    """Own CPU time per owner, with unowned code charged to its callers' owners by call count."""
    table = _raw(stats)
    shares: dict[FunctionKey, dict[str, float]] = {}

    def share_of(key: FunctionKey, visiting: frozenset[FunctionKey]) -> dict[str, float]:
        if key in shares:
            return shares[key]
        owner = owner_of(key[0])
        callers = table.get(key, (0, 0, 0.0, 0.0, {}))[4]
        if owner is not None:
            result = {owner: 1.0}
        elif not callers or key in visiting:
            result = {OTHER: 1.0}
        else:
            result = defaultdict(float)
            made = sum(entry[1] for entry in callers.values()) or 1
            for caller, entry in callers.items():
                for caller_owner, part in share_of(caller, visiting | {key}).items():
                    result[caller_owner] += part * entry[1] / made
            result = dict(result)
        if not visiting:
            shares[key] = result
        return result

    totals: dict[str, float] = defaultdict(float)
    for key, entry in table.items():
        for owner, part in share_of(key, frozenset()).items():
            totals[owner] += entry[2] * part
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def top_functions(stats: pstats.Stats, count: int) -> list[dict[str, object]]:
    """The functions with the most own time, with their owner."""
    table = _raw(stats)
    ranked = sorted(table.items(), key=lambda item: -item[1][2])[:count]
    return [
        {
            "function": f"{_short(filename)}:{line}({name})",
            "owner": owner_of(filename) or "standard library or built-in",
            "calls": entry[1],
            "own_seconds": round(entry[2], 3),
            "cumulative_seconds": round(entry[3], 3),
        }
        for (filename, line, name), entry in ranked
    ]


def call_counts(stats: pstats.Stats) -> dict[str, int]:
    """How often the SDK calls that show the amount of work per resource were made."""
    wanted: dict[str, Callable[[FunctionKey], bool]] = {
        "register_resource": lambda key: (
            key[2] == "register_resource" and key[0].endswith("pulumi/runtime/resource.py")
        ),
        "register_resource_outputs": lambda key: (
            key[2] == "register_resource_outputs" and key[0].endswith("pulumi/runtime/resource.py")
        ),
        "Output.apply": lambda key: key[2] == "apply" and key[0].endswith("pulumi/output.py"),
        "Output.from_input": lambda key: (
            key[2] == "from_input" and key[0].endswith("pulumi/output.py")
        ),
        "validate_service": lambda key: key[2] == "validate_service",
        "mock new_resource": lambda key: key[2] == "new_resource",
    }
    table = _raw(stats)
    return {
        label: int(sum(entry[1] for key, entry in table.items() if matches(key)))
        for label, matches in wanted.items()
    }


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/components/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


if __name__ == "__main__":
    sys.exit(main())
