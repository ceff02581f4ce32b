"""Benchmark: what the external-services program costs at 1 to 1000 services, and against what.

For each size N, a stack file with N generated services is written, and whole processes are
timed (wall clock) and measured (peak resident memory), several runs each, medians reported:

1. the offline render, `python -m external_service render`: the real program under Pulumi's mocks;
2. the baseline: the same objects declared directly with pulumi-kubernetes (`bench/baseline/`),
   rendered by the same command, so that 1/2 is what the component costs;
3. the real engine against a local control plane (`scripts/cluster`): `pulumi preview` and
   `pulumi up` from empty, a no-change `pulumi up` and an update that moves one address, each
   through `scripts/pulumi-stack`, the command the README gives;
4. the physical reference: `kubectl apply --server-side` of the rendered objects, and the rate at
   which the API server takes the same objects created one by one with the official client.

Then the render of the largest size is profiled (`bench/profile_render.py`), and the results are
written to `bench/results.md` and `bench/results.png`. See `bench/README.md`.
"""

import argparse
import contextlib
import itertools
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import matplotlib
import yaml

# No display here: the file back end, chosen before pyplot loads.
matplotlib.use("Agg")
from matplotlib import pyplot

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
SCRIPTS = REPO / "scripts"
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Process names in /proc (cut to 15 characters) of the engine's process tree.
PROCESS_ROLES = {
    "pulumi": "pulumi CLI (engine, state)",
    "python": "Python program",
    "python3": "Python program",
    "pulumi-resource": "Kubernetes provider",
    "pulumi-language": "language host",
}

# The measures, in the order of the tables and the plot's legend.
RENDER = "render"
BASELINE = "baseline"
BARE_COMPONENT = "baseline_bare_component"
PREVIEW = "preview"
UP = "up"
NOOP = "up_noop"
UPDATE = "up_update"
UP_UNSAVED = "up_skip_checkpoints"
KUBECTL = "kubectl_apply"
CLIENT = "client_writes"
ENGINE_MEASURES = (PREVIEW, UP, NOOP, UPDATE, UP_UNSAVED)
# The engine saves the whole stack state after every step (the per-step checkpoint); with this
# set it saves once, at the end. Measured beside `pulumi up` to show what the checkpoints cost.
SKIP_CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "true"}
TITLES = {
    RENDER: "render (component, mocks)",
    BASELINE: "baseline (plain pulumi-kubernetes, mocks)",
    BARE_COMPONENT: "baseline in a bare ComponentResource (mocks)",
    PREVIEW: "pulumi preview, from empty",
    UP: "pulumi up, from empty",
    NOOP: "pulumi up, no change",
    UPDATE: "pulumi up, one address moved",
    UP_UNSAVED: "pulumi up, from empty, PULUMI_SKIP_CHECKPOINTS",
    KUBECTL: "kubectl apply --server-side",
    CLIENT: "official client, one create per object",
}


@dataclass
class Sample:
    """One measured process.

    Attributes:
        seconds: Wall-clock time from start to exit.
        max_rss_kib: `ru_maxrss` from `wait4`: the peak resident memory of the largest single
            process of the tree (the kernel folds in every descendant the child waited for).
        tree_rss_kib: The peak of the summed resident memory of the whole process tree, sampled
            every 0.2 s; only for the engine measures, whose tree has several processes.
        note: Anything read from the process's output (the client's own timing, say).
    """

    seconds: float
    max_rss_kib: int
    tree_rss_kib: int | None = None
    note: dict[str, Any] = field(default_factory=dict)


@dataclass
class Results:
    """Everything one benchmark run measured, as written to results.json."""

    sizes: list[int]
    machine: dict[str, str]
    samples: dict[str, dict[int, list[Sample]]] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    probe: dict[str, Any] = field(default_factory=dict)
    probe_unsaved: dict[str, Any] = field(default_factory=dict)
    engine_sizes: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, size: int, sample: Sample) -> None:
        """Records one sample of a measure at a size."""
        self.samples.setdefault(measure, {}).setdefault(size, []).append(sample)

    def median(self, measure: str, size: int, attribute: str = "seconds") -> float | None:
        """The median of one attribute of a measure's samples at a size; None if not measured."""
        values = [
            getattr(sample, attribute)
            for sample in self.samples.get(measure, {}).get(size, [])
            if getattr(sample, attribute) is not None
        ]
        return statistics.median(values) if values else None

    def runs(self, measure: str, size: int) -> int:
        """How many samples a measure has at a size."""
        return len(self.samples.get(measure, {}).get(size, []))


class MeasuredCommandError(RuntimeError):
    """A measured command failed; the message names it and ends with its output's last lines."""


# ---------------------------------------------------------------- measuring processes


@dataclass(frozen=True)
class TreeSnapshot:
    """One look at a process tree in /proc.

    Attributes:
        rss_kib: The summed resident memory of the tree.
        cpu_seconds: CPU time (user + system) so far of each process, by pid, with its name.
    """

    rss_kib: int
    cpu_seconds: dict[int, tuple[str, float]]


def tree_snapshot(root: int) -> TreeSnapshot:
    """The memory and CPU time of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    seen: dict[int, tuple[str, int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The name is in parentheses and may hold spaces; after it come the state, the ppid, ...:
        # utime and stime are 11 and 12 places after the state, rss (in pages) 21.
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 1 :].split()
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        seen[pid] = (name, int(fields[21]) * PAGE_KIB, cpu)
    rss, cpu_seconds, pending = 0, {}, [root]
    while pending:
        pid = pending.pop()
        if pid in seen:
            name, resident, cpu = seen[pid]
            rss += resident
            cpu_seconds[pid] = (name, cpu)
        pending.extend(children.get(pid, []))
    return TreeSnapshot(rss_kib=rss, cpu_seconds=cpu_seconds)


def kill_tree(root: int) -> None:
    """Kills a process, its process group and every descendant.

    The Pulumi CLI starts its plugins (language host, provider) in process groups of their own,
    so killing the command's group alone would leave them running. The tree is read before
    anything is killed: an orphan's parent becomes init, and it could no longer be found.
    """
    descendants = tree_snapshot(root).cpu_seconds
    with contextlib.suppress(ProcessLookupError):
        os.killpg(root, signal.SIGKILL)
    for pid in descendants:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class TreeSampler(threading.Thread):
    """Samples a process tree until stopped: peak summed memory, CPU time per process."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self.cpu_seconds: dict[int, tuple[str, float]] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Samples until `stop` is called."""
        while not self._stop_event.is_set():
            snapshot = tree_snapshot(self.root)
            self.peak_kib = max(self.peak_kib, snapshot.rss_kib)
            self.cpu_seconds.update(snapshot.cpu_seconds)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        """Stops sampling."""
        self._stop_event.set()
        self.join()

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds of the tree by role (engine, program, provider, ...), as last seen."""
        roles: dict[str, float] = {}
        for name, cpu in self.cpu_seconds.values():
            role = PROCESS_ROLES.get(name, "other (wrapper script, ...)")
            roles[role] = roles.get(role, 0.0) + cpu
        return dict(sorted(roles.items(), key=lambda item: -item[1]))


class PySpy:
    """py-spy, attached to the Python program of a pulumi command once that program starts.

    The program runs under the language host, a few processes below the command; py-spy samples
    it without stopping it (`--nonblocking`), at a low rate, until it exits.
    """

    def __init__(self, executable: Path, out: Path, rate: int = 20) -> None:
        self.executable = executable
        self.out = out
        self.rate = rate
        self._thread: threading.Thread | None = None
        self._spy: subprocess.Popen[bytes] | None = None

    def start(self, root: int) -> None:
        """Starts looking for the program below `root`, in the background."""
        self._thread = threading.Thread(target=self._attach, args=(root,), daemon=True)
        self._thread.start()

    def _attach(self, root: int) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for pid in tree_snapshot(root).cpu_seconds:
                try:
                    command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"pulumi-language-python-exec" in command_line:
                    self._spy = subprocess.Popen(
                        [
                            *(str(self.executable), "record", "--pid", str(pid), "--nonblocking"),
                            *("--rate", str(self.rate), "--format", "raw", "-o", str(self.out)),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    return
            time.sleep(0.2)

    def finish(self) -> None:
        """Waits until py-spy has written its samples (it stops when the program exits)."""
        if self._thread is not None:
            self._thread.join()
        if self._spy is not None:
            try:
                self._spy.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self._spy.kill()
                self._spy.wait()


def summarize_py_spy(raw: Path, count: int = 12) -> dict[str, Any]:
    """The frames py-spy saw most often: on top of the stack (own) and anywhere (cumulative)."""
    own: dict[str, int] = {}
    anywhere: dict[str, int] = {}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        frames = stack.split(";")
        total += int(samples)
        own[frames[-1]] = own.get(frames[-1], 0) + int(samples)
        for frame in set(frames):
            anywhere[frame] = anywhere.get(frame, 0) + int(samples)

    def top(table: dict[str, int]) -> list[tuple[str, float]]:
        ranked = sorted(table.items(), key=lambda item: -item[1])[:count]
        return [(frame, samples / total) for frame, samples in ranked]

    return {"samples": total, "own": top(own), "cumulative": top(anywhere)} if total else {}


def measure(
    command: Sequence[str | Path],
    *,
    log: Path,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
    sample_tree: bool = False,
    timeout: float | None = None,
    timeout_is_result: bool = False,
    attach: "PySpy | None" = None,
) -> Sample:
    """Runs one command as a child process and measures it with `wait4`.

    Args:
        command: The command and its arguments.
        log: Where its standard error (and standard output, unless `stdout` is given) goes.
        env: Its environment; this process's by default.
        stdout: Where its standard output goes, when it is kept apart from the log.
        sample_tree: Whether to sample the summed memory of its process tree as well.
        timeout: Seconds after which the child's process group is killed.
        timeout_is_result: Whether being stopped at the time limit is an expected outcome, noted
            as `stopped_at_limit` in the sample, rather than an error.
        attach: A sampling profiler to attach to the Python program the command starts.

    Raises:
        MeasuredCommandError: The command exited with a non-zero status or timed out.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    if stdout is not None:
        stdout.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_file, (stdout or log).open("a" if stdout is None else "w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command],
            stdout=out,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        sampler = TreeSampler(process.pid) if sample_tree else None
        if sampler is not None:
            sampler.start()
        if attach is not None:
            attach.start(process.pid)
        timer = threading.Timer(timeout, kill_tree, (process.pid,)) if timeout else None
        if timer is not None:
            timer.start()
        try:
            # wait4 reaps the child itself, so Popen must not: its status is set from ours.
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if sampler is not None:
            sampler.stop()
        if attach is not None:
            attach.finish()

    stopped = timeout_is_result and process.returncode == -signal.SIGKILL
    if process.returncode != 0 and not stopped:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        why = "was killed after the time limit" if process.returncode < 0 else "failed"
        raise MeasuredCommandError(
            f"{' '.join(map(str, command))} {why} (status {process.returncode}); "
            f"last lines of {log}:\n{tail}"
        )
    sample = Sample(seconds=seconds, max_rss_kib=usage.ru_maxrss)
    if stopped:
        sample.note["stopped_at_limit"] = True
    if sampler is not None:
        sample.tree_rss_kib = sampler.peak_kib
        sample.note["cpu_seconds"] = sampler.cpu_by_role()
    return sample


def wait_for_quiet_machine(limit: float, longest: float) -> float:
    """Waits until the 1-minute load average is at most `limit`, for `longest` seconds at most.

    Other work on this machine (CI, tests) would slow every measure down; returns the load when
    the wait ended.
    """
    deadline = time.monotonic() + longest
    load = os.getloadavg()[0]
    while load > limit and time.monotonic() < deadline:
        print(f"bench: load average {load:.2f} > {limit}; waiting for it to drop", file=sys.stderr)
        time.sleep(20)
        load = os.getloadavg()[0]
    return load


# ---------------------------------------------------------------- inputs


def service_entries(size: int, *, moved: bool = False) -> list[dict[str, Any]]:
    """N services named svc-0001.., each at its own private address, with one or two ports.

    Odd services have one unnamed port (PostgreSQL), even ones two named ports (MySQL and its
    metrics exporter). With `moved`, the first service's address is another one: the update.
    """
    entries: list[dict[str, Any]] = []
    for index in range(1, size + 1):
        address = f"10.20.{index // 200}.{index % 200 + 10}"
        if moved and index == 1:
            address = "10.21.0.10"
        ports: list[dict[str, Any]] = (
            [{"port": 5432}]
            if index % 2
            else [{"name": "mysql", "port": 3306}, {"name": "metrics", "port": 9104}]
        )
        entries.append({"name": f"svc-{index:04d}", "addresses": [address], "ports": ports})
    return entries


def write_stack_file(path: Path, size: int, *, namespace: str, moved: bool = False) -> Path:
    """Writes a stack file of N services in one namespace."""
    document = {
        "config": {
            "external-services:namespace": namespace,
            "external-services:services": service_entries(size, moved=moved),
        }
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False))
    return path


def with_namespace(rendered: Path, namespace: str, target: Path) -> Path:
    """Copies rendered manifests into another namespace, for kubectl and the client."""
    manifests = [doc for doc in yaml.load_all(rendered.read_text(), Loader=yaml.CSafeLoader) if doc]
    for manifest in manifests:
        manifest["metadata"]["namespace"] = namespace
    target.write_text(
        yaml.dump_all(manifests, Dumper=yaml.CSafeDumper, sort_keys=False, explicit_start=True)
    )
    return target


# ---------------------------------------------------------------- the measures


def render_command(config_file: Path, project_dir: Path) -> list[str | Path]:
    """The offline render of a stack file with the program of `project_dir`."""
    return [
        sys.executable,
        "-m",
        "external_service",
        "render",
        "--project-dir",
        project_dir,
        "--config-file",
        config_file,
    ]


def run_renders(results: Results, work: Path, runs: int) -> dict[int, Path]:
    """Measures the component's render and the two baselines', interleaved; returns the outputs.

    The second baseline is the first with a bare ComponentResource around each pair, which
    splits the component's cost into what Pulumi charges for any component and the rest.
    """
    variants: tuple[tuple[str, Path, dict[str, str]], ...] = (
        (RENDER, REPO, {}),
        (BASELINE, BENCH / "baseline", {}),
        (BARE_COMPONENT, BENCH / "baseline", {"BENCH_BASELINE_PARENT": "component"}),
    )
    rendered: dict[int, Path] = {}
    for size in results.sizes:
        config_file = write_stack_file(
            work / "stacks" / f"Pulumi.n{size}.yaml", size, namespace="bench"
        )
        for run in range(1, runs + 1):
            for measure_name, project, extra_env in variants:
                out = work / "render" / f"{measure_name}-n{size}-r{run}.yaml"
                sample = measure(
                    render_command(config_file, project),
                    log=work / "logs" / f"{measure_name}-n{size}-r{run}.log",
                    stdout=out,
                    env={**os.environ, **extra_env},
                )
                results.add(measure_name, size, sample)
                print(f"bench: {measure_name} N={size} run {run}: {sample.seconds:.2f} s")
        # The comparison is fair only if all declare exactly the same objects.
        component_yaml = (work / "render" / f"{RENDER}-n{size}-r1.yaml").read_text()
        for measure_name, _project, _env in variants[1:]:
            other_yaml = (work / "render" / f"{measure_name}-n{size}-r1.yaml").read_text()
            if other_yaml != component_yaml:
                raise SystemExit(f"bench: at N={size} {measure_name} renders other objects; fix it")
        rendered[size] = work / "render" / f"{RENDER}-n{size}-r1.yaml"
    return rendered


def run_profiles(results: Results, work: Path, size: int) -> None:
    """Profiles the render of one size, component and baseline (`bench/profile_render.py`)."""
    config_file = work / "stacks" / f"Pulumi.n{size}.yaml"
    for name, project in (("component", REPO), ("baseline", BENCH / "baseline")):
        out = work / "profile" / f"{name}-n{size}.prof"
        out.parent.mkdir(parents=True, exist_ok=True)
        measure(
            [
                sys.executable,
                BENCH / "profile_render.py",
                "--project-dir",
                project,
                "--config-file",
                config_file,
                "--out",
                out,
            ],
            log=work / "logs" / f"profile-{name}-n{size}.log",
        )
        results.profile[name] = json.loads(out.with_suffix(".json").read_text())
    results.profile["size"] = size


@dataclass(frozen=True)
class Cluster:
    """The local control plane: its kubeconfig and the kubectl built with it."""

    kubeconfig: Path
    kubectl: Path

    def run(self, *arguments: str) -> str:
        """Runs kubectl (not measured) and returns its output."""
        return subprocess.run(
            [str(self.kubectl), "--kubeconfig", str(self.kubeconfig), *arguments],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout


@contextmanager
def local_cluster(state: Path) -> Iterator[Cluster]:
    """Starts `scripts/cluster up STATE`, and always runs `down` at the end."""
    try:
        subprocess.run([SCRIPTS / "cluster", "up", state], check=True, timeout=1800)
        shown = subprocess.run(
            ["bash", "-c", f'eval "$({SCRIPTS}/cluster env {state})" && command -v kubectl'],
            check=True,
            capture_output=True,
            text=True,
        )
        yield Cluster(kubeconfig=state / "kubeconfig", kubectl=Path(shown.stdout.strip()))
    finally:
        subprocess.run([SCRIPTS / "cluster", "down", state], check=False, timeout=300)


def pulumi_command(stack: str, config_file: Path, *pulumi_args: str) -> list[str | Path]:
    """`scripts/pulumi-stack` on the cluster, with a generated stack file."""
    return [
        SCRIPTS / "pulumi-stack",
        stack,
        "--cluster",
        "--config-file",
        config_file,
        "--",
        *pulumi_args,
    ]


def resource_summary(output: Path) -> str:
    """The `Resources:` lines at the end of a pulumi command's output, on one line."""
    text = output.read_text(errors="replace")
    found = re.search(r"\nResources:\n((?:    .*\n)+)", text)
    return " ".join(found.group(1).split()) if found else ""


@dataclass
class BenchStack:
    """A new stack of N generated services, deployed into a namespace of its own."""

    name: str
    config_file: Path
    moved_file: Path
    env: dict[str, str]


def new_stack(
    work: Path, cluster: Cluster, size: int, namespace: str, *, extra_env: dict[str, str]
) -> BenchStack:
    """Writes the stack files, creates the namespace and the stack (not part of any measure)."""
    cluster.run("create", "namespace", namespace)
    name = f"bench-n{size}"
    stacks = work / "stacks" / namespace
    stack = BenchStack(
        name=name,
        config_file=write_stack_file(stacks / f"Pulumi.{name}.yaml", size, namespace=namespace),
        moved_file=write_stack_file(
            stacks / "moved" / f"Pulumi.{name}.yaml", size, namespace=namespace, moved=True
        ),
        env={
            **os.environ,
            "KUBECONFIG": str(cluster.kubeconfig),
            "EXTERNAL_SERVICES_STATE": str(work / "state" / namespace),
            **extra_env,
        },
    )
    subprocess.run(
        [str(part) for part in pulumi_command(stack.name, stack.config_file, "config")],
        env=stack.env,
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return stack


def run_engine(
    results: Results,
    work: Path,
    cluster: Cluster,
    size: int,
    *,
    runs: int,
    measures: Sequence[str],
    timeout: float,
) -> None:
    """Measures the real engine at one size: each run deploys new stacks into new namespaces.

    The first stack goes through preview, up from empty, a no-change up and an update; a second
    one is deployed from empty without the per-step checkpoints, to show what they cost.
    """
    up = ("up", "--yes", "--skip-preview")
    for run in range(1, runs + 1):
        namespace = f"pulumi-n{size}-r{run}"
        stack = new_stack(work, cluster, size, namespace, extra_env={})
        steps: list[tuple[str, BenchStack, Path, tuple[str, ...]]] = [
            (PREVIEW, stack, stack.config_file, ("preview",)),
            (UP, stack, stack.config_file, up),
            (NOOP, stack, stack.config_file, up),
            (UPDATE, stack, stack.moved_file, up),
        ]
        if UP_UNSAVED in measures:
            unsaved = new_stack(
                work, cluster, size, f"{namespace}-unsaved", extra_env=SKIP_CHECKPOINTS
            )
            steps.append((UP_UNSAVED, unsaved, unsaved.config_file, up))
        for measure_name, target, stack_file, pulumi_args in steps:
            if measure_name not in measures:
                continue
            name = f"{measure_name}-n{size}-r{run}"
            output = work / "logs" / f"{name}.out"
            sample = measure(
                pulumi_command(target.name, stack_file, *pulumi_args),
                log=work / "logs" / f"{name}.log",
                stdout=output,
                env=target.env,
                sample_tree=True,
                timeout=timeout,
            )
            sample.note["resources"] = resource_summary(output)
            results.add(measure_name, size, sample)
            print(
                f"bench: {measure_name} N={size} run {run}: {sample.seconds:.2f} s "
                f"({sample.note['resources']})"
            )


def run_probe(
    results: Results,
    work: Path,
    cluster: Cluster,
    size: int,
    *,
    limit: float,
    skip_checkpoints: bool = False,
) -> None:
    """One `pulumi up` from empty that is stopped at a time limit: a lower bound, and a profile.

    Used for a size whose full deployment would not fit in the benchmark's time: it reports how
    many resources were created by then, and py-spy (when installed) samples the Python program.
    With `skip_checkpoints`, the same deployment without the per-step checkpoints. A probe that
    ends within the limit is also recorded as a sample of its measure at this size.
    """
    kind = "probe-unsaved" if skip_checkpoints else "probe"
    stack = new_stack(
        work,
        cluster,
        size,
        f"{kind}-n{size}",
        extra_env=SKIP_CHECKPOINTS if skip_checkpoints else {},
    )
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    spy_out = work / "profile" / f"py-spy-{kind}-n{size}.txt"
    spy = PySpy(Path(py_spy), spy_out) if py_spy and not skip_checkpoints else None
    if spy is not None:
        spy.out.parent.mkdir(parents=True, exist_ok=True)
    output = work / "logs" / f"{kind}-n{size}.out"
    sample = measure(
        pulumi_command(stack.name, stack.config_file, "up", "--yes", "--skip-preview"),
        log=work / "logs" / f"{kind}-n{size}.log",
        stdout=output,
        env=stack.env,
        sample_tree=True,
        timeout=limit,
        timeout_is_result=True,
        attach=spy,
    )
    text = output.read_text(errors="replace")
    sample.note["created"] = len(re.findall(r"kubernetes:\S+ \S+ created \(", text))
    sample.note["expected"] = 2 * size
    sample.note["resources"] = resource_summary(output)
    print(f"bench: {kind} N={size}: {sample.seconds:.0f} s, {sample.note['created']} created")
    probe = {"size": size, "limit": limit, **asdict(sample)}
    if skip_checkpoints:
        results.probe_unsaved = probe
    else:
        results.probe = probe
    if not sample.note.get("stopped_at_limit"):
        results.add(UP_UNSAVED if skip_checkpoints else UP, size, sample)
    if spy is not None and spy.out.exists():
        results.profile["py_spy_up"] = {"size": size, **summarize_py_spy(spy.out)}


def run_engine_pprof(results: Results, work: Path, cluster: Cluster, size: int) -> None:
    """One extra, untimed `pulumi up --profiling` from empty; keeps the CLI's top functions."""
    stack = new_stack(work, cluster, size, f"pprof-n{size}", extra_env={})
    prefix = work / "profile" / f"pulumi-up-n{size}"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    measure(
        pulumi_command(
            stack.name,
            stack.config_file,
            "up",
            "--yes",
            "--skip-preview",
            "--profiling",
            str(prefix),
        ),
        log=work / "logs" / f"pprof-n{size}.log",
        env=stack.env,
    )
    cpu_profile = next(prefix.parent.glob(f"{prefix.name}.*.cpu"))
    shown = subprocess.run(
        ["go", "tool", "pprof", "-top", "-cum", "-nodecount=400", str(cpu_profile)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    # Lines: flat flat% sum% cum cum% function.
    total = re.search(r"Total samples = ([0-9.]+)(m?s)", shown.stdout)
    functions: list[tuple[str, float]] = []
    for line in shown.stdout.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[4].endswith("%") and parts[4][:-1].replace(".", "").isdigit():
            functions.append((parts[5], float(parts[4][:-1])))
    results.profile["engine_pprof"] = {
        "size": size,
        "total": total.group(0) if total else "",
        "cumulative_percent": functions,
    }
    for leftover in prefix.parent.glob(f"{prefix.name}.*.trace"):
        leftover.unlink()


def run_physical(
    results: Results, work: Path, cluster: Cluster, size: int, rendered: Path, *, runs: int
) -> None:
    """Measures kubectl apply --server-side and the client's creates of the same objects."""
    for run in range(1, runs + 1):
        for measure_name in (KUBECTL, CLIENT):
            namespace = f"{measure_name.split('_')[0]}-n{size}-r{run}"
            cluster.run("create", "namespace", namespace)
            manifests = with_namespace(rendered, namespace, work / "render" / f"{namespace}.yaml")
            name = f"{measure_name}-n{size}-r{run}"
            output = work / "logs" / f"{name}.out"
            command: list[str | Path] = (
                [cluster.kubectl, "--kubeconfig", cluster.kubeconfig, "apply"]
                if measure_name == KUBECTL
                else [
                    sys.executable,
                    BENCH / "client_writes.py",
                    "--kubeconfig",
                    cluster.kubeconfig,
                ]
            )
            command += (
                ["--server-side", "-f", manifests]
                if measure_name == KUBECTL
                else ["--manifests", manifests]
            )
            sample = measure(command, log=work / "logs" / f"{name}.log", stdout=output)
            if measure_name == CLIENT:
                sample.note = json.loads(output.read_text())
            results.add(measure_name, size, sample)
            print(f"bench: {measure_name} N={size} run {run}: {sample.seconds:.2f} s")


# ---------------------------------------------------------------- the machine


def describe_machine(cluster: Cluster | None) -> dict[str, str]:
    """What the numbers were measured on."""
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    toolchain = subprocess.run(
        ["bash", "-c", f'eval "$({SCRIPTS}/toolchain env)" && pulumi version'],
        capture_output=True,
        text=True,
        check=False,
    )
    machine = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": cpu_model,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pulumi CLI": toolchain.stdout.strip() or "unknown",
        "pulumi (Python SDK)": metadata.version("pulumi"),
        "pulumi-kubernetes (Python SDK; provider built as the same version)": metadata.version(
            "pulumi-kubernetes"
        ),
        "kubernetes (Python client)": metadata.version("kubernetes"),
        "PyYAML": metadata.version("PyYAML"),
    }
    if cluster is not None:
        versions = json.loads(cluster.run("version", "-o", "json"))
        machine["kube-apiserver"] = versions["serverVersion"]["gitVersion"]
        machine["kubectl"] = versions["clientVersion"]["gitVersion"]
    return machine


# ---------------------------------------------------------------- the report


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    return "-" if top is None or not bottom else f"{top / bottom:.2f}x"


def _runs_note(results: Results, measure_name: str) -> str:
    counts = sorted({results.runs(measure_name, size) for size in results.sizes} - {0})
    return "/".join(str(count) for count in counts) or "0"


def marginal_ms(results: Results, measure_name: str, low: int, high: int) -> float | None:
    """The median time one more service costs between two sizes, in milliseconds."""
    top, bottom = results.median(measure_name, high), results.median(measure_name, low)
    if top is None or bottom is None or high == low:
        return None
    return (top - bottom) / (high - low) * 1000


FINDINGS_START = "<!-- findings: kept when the report is written again -->"
FINDINGS_END = "<!-- /findings -->"


def kept_findings(path: Path) -> list[str]:
    """The hand-written findings of an earlier report, to keep above the new numbers."""
    if not path.exists():
        return []
    text = path.read_text()
    if FINDINGS_START not in text or FINDINGS_END not in text:
        return []
    kept = text[text.index(FINDINGS_START) : text.index(FINDINGS_END) + len(FINDINGS_END)]
    return ["", *kept.splitlines()]


def write_report(results: Results, path: Path, plot: Path) -> None:
    """Writes results.md: machine, tables, ratios, scaling and the profile.

    A section between the findings markers of an existing report (what a person concluded from
    the numbers) is kept, just after the introduction; check it against the new numbers.
    """
    sizes = results.sizes
    measures = [m for m in TITLES if m in results.samples]
    lines = [
        "# Benchmark results",
        "",
        "Produced by `python bench/run.py` (see `bench/README.md`): wall time and peak resident",
        "memory of whole processes, medians of several runs; the number of runs per size is in",
        "the last table. Times in seconds, memory in MiB.",
        *kept_findings(path),
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in results.machine.items()),
        "",
        "## Time (s, median)",
        "",
        "| N | " + " | ".join(TITLES[m] for m in measures) + " |",
        "|---:|" + "---:|" * len(measures),
    ]
    for size in sizes:
        cells = [_seconds(results.median(m, size)) for m in measures]
        for probe, measure_name in ((results.probe, UP), (results.probe_unsaved, UP_UNSAVED)):
            stopped = probe.get("note", {}).get("stopped_at_limit")
            if probe.get("size") == size and measure_name in measures and stopped:
                cells[measures.index(measure_name)] = (
                    f"> {probe['seconds']:.0f} (stopped, see below)"
                )
        lines.append(f"| {size} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "## Ratios",
        "",
        "| N | render / baseline (component overhead) | bare component / baseline (Pulumi's "
        "cost of a component) | render / bare component (the rest) | pulumi up / kubectl apply "
        "| pulumi up / client creates | pulumi up / up without checkpoints "
        "| no-change up / kubectl apply | client write rate (objects/s) | pulumi up (objects/s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        client_loop = [
            sample.note["objects"] / sample.note["seconds"]
            for sample in results.samples.get(CLIENT, {}).get(size, [])
            if sample.note.get("seconds")
        ]
        rate = statistics.median(client_loop) if client_loop else None
        up = results.median(UP, size)
        client = results.median(CLIENT, size)
        lines.append(
            f"| {size} | {_ratio(results.median(RENDER, size), results.median(BASELINE, size))} "
            f"| {_ratio(results.median(BARE_COMPONENT, size), results.median(BASELINE, size))} "
            f"| {_ratio(results.median(RENDER, size), results.median(BARE_COMPONENT, size))} "
            f"| {_ratio(up, results.median(KUBECTL, size))} | {_ratio(up, client)} "
            f"| {_ratio(up, results.median(UP_UNSAVED, size))} "
            f"| {_ratio(results.median(NOOP, size), results.median(KUBECTL, size))} "
            f"| {'-' if rate is None else f'{rate:.0f}'} "
            f"| {'-' if up is None else f'{2 * size / up:.1f}'} |"
        )

    lines += [
        "",
        "## Peak memory (MiB, median)",
        "",
        "`wait4` gives the peak of the largest single process of a command's tree (ru_maxrss);",
        "for the engine measures the second figure is the sampled peak of the whole tree's sum",
        "(pulumi CLI + language host + Python program + Kubernetes provider).",
        "",
        "| N | " + " | ".join(TITLES[m] for m in measures) + " |",
        "|---:|" + "---:|" * len(measures),
    ]
    for size in sizes:
        cells = []
        for m in measures:
            largest = _mib(results.median(m, size, "max_rss_kib"))
            tree = results.median(m, size, "tree_rss_kib")
            cells.append(largest if tree is None else f"{largest} / {_mib(tree)}")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "## Scaling: what one more service costs (ms, from the medians)",
        "",
        "A measure that grows linearly costs the same per service on every step; a growing cost",
        "per service means it grows faster than N.",
        "",
        "| measure | "
        + " | ".join(f"{a}→{b}" for a, b in itertools.pairwise(sizes))
        + " | growth of the last step over the one before |",
        "|---|" + "---:|" * len(sizes),
    ]
    for m in measures:
        steps = [marginal_ms(results, m, a, b) for a, b in itertools.pairwise(sizes)]
        known = [step for step in steps if step is not None]
        growth = f"{known[-1] / known[-2]:.2f}x" if len(known) >= 2 and known[-2] > 0 else "-"
        cells = ["-" if step is None else f"{step:.1f}" for step in steps]
        lines.append(f"| {TITLES[m]} | " + " | ".join(cells) + f" | {growth} |")

    lines += _engine_section(results)
    lines += _profile_section(results)
    lines += ["", "## Runs per size", ""]
    lines += [
        f"- {TITLES[m]}: "
        + ", ".join(f"N={size}: {results.runs(m, size)}" for size in sizes if results.runs(m, size))
        for m in measures
    ]
    if results.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in results.notes)]
    lines += ["", f"![time against N]({plot.name})", ""]
    path.write_text("\n".join(lines))


def _engine_section(results: Results) -> list[str]:
    lines = [
        "",
        "## Where the engine measures spend CPU",
        "",
        "CPU seconds (user + system) of each process of the `pulumi up` tree, as last sampled",
        "from /proc (median over runs), against the wall time of the run.",
        "",
    ]
    roles = list(
        dict.fromkeys(
            role
            for measure_name in (UP, UP_UNSAVED, NOOP)
            for by_size in results.samples.get(measure_name, {}).values()
            for sample in by_size
            for role in sample.note.get("cpu_seconds", {})
        )
    )
    lines += [
        "| measure | N | wall (s) | " + " | ".join(roles) + " |",
        "|---|---:|---:|" + "---:|" * len(roles),
    ]
    for measure_name in (UP, UP_UNSAVED, NOOP):
        for size in results.engine_sizes:
            samples = results.samples.get(measure_name, {}).get(size, [])
            if not samples:
                continue
            cells = [
                f"{statistics.median(x.note['cpu_seconds'].get(role, 0.0) for x in samples):.1f}"
                for role in roles
            ]
            wall = _seconds(results.median(measure_name, size))
            lines.append(
                f"| {TITLES[measure_name]} | {size} | {wall} | " + " | ".join(cells) + " |"
            )

    for probe, how in (
        (results.probe, "`pulumi up` from empty"),
        (results.probe_unsaved, "`pulumi up` from empty with `PULUMI_SKIP_CHECKPOINTS`"),
    ):
        if not probe:
            continue
        note = probe["note"]
        cpu = ", ".join(
            f"{role} {seconds:.0f} s" for role, seconds in note.get("cpu_seconds", {}).items()
        )
        ended = "stopped after" if note.get("stopped_at_limit") else "finished in"
        lines += [
            "",
            f"**N={probe['size']}, {how}, once, {ended} {probe['seconds']:.0f} s** (the limit "
            f"was {probe['limit']:.0f} s): {note['created']} of its {note['expected']} "
            f"Kubernetes objects had been created. CPU: {cpu}.",
        ]
    spy = results.profile.get("py_spy_up")
    if spy:
        lines += [
            "",
            f"py-spy on the Python program during that `pulumi up` (N={spy['size']}, "
            f"{spy['samples']} samples at 20 Hz, active threads only):",
            "",
            "| frame | share on top of the stack | | frame | share anywhere in the stack |",
            "|---|---:|---|---|---:|",
        ]
        for (own_frame, own_share), (any_frame, any_share) in zip(
            spy["own"], spy["cumulative"], strict=False
        ):
            lines.append(f"| `{own_frame}` | {own_share:.0%} | | `{any_frame}` | {any_share:.0%} |")
    pprof = results.profile.get("engine_pprof")
    if pprof:
        wanted = [
            (name, percent)
            for name, percent in pprof["cumulative_percent"]
            if any(
                marker in name
                for marker in (
                    "SnapshotManager",
                    "diy.",
                    "json.(*Encoder).Encode",
                    "crypto/md5.(*digest).Write",
                    "SerializeDeployment",
                    "gcBgMarkWorker",
                    "deploy.(*deploymentExecutor).Execute",
                    "deploy.(*stepExecutor)",
                )
            )
        ][:14]
        lines += [
            "",
            f"The pulumi CLI's own CPU profile (`pulumi up --profiling`, Go pprof) of one extra "
            f"`pulumi up` from empty at N={pprof['size']} ({pprof['total']}):",
            "",
            "| function (cumulative) | share of the CLI's CPU |",
            "|---|---:|",
            *(f"| `{name}` | {percent:.0f}% |" for name, percent in wanted),
        ]
    return lines


def _profile_section(results: Results) -> list[str]:
    profile = results.profile
    if "component" not in profile:
        return []
    component, baseline = profile["component"], profile["baseline"]
    owners = list(dict.fromkeys([*component["by_owner"], *baseline["by_owner"]]))
    lines = [
        "",
        f"## Profile of the render at N={profile['size']}",
        "",
        "`bench/profile_render.py`: cProfile in every thread (the SDK answers registrations in",
        "a thread pool), CPU time per thread; the standard library's and built-ins' time is",
        "charged to whoever called them. Profiling slows the run down several times, so the",
        "shares matter, not the seconds.",
        "",
        "| owner of the code | component (s) | baseline (s) | difference (s) |",
        "|---|---:|---:|---:|",
    ]
    for owner in owners:
        ours = component["by_owner"].get(owner, 0.0)
        theirs = baseline["by_owner"].get(owner, 0.0)
        lines.append(f"| {owner} | {ours:.2f} | {theirs:.2f} | {ours - theirs:+.2f} |")
    lines.append(
        f"| **total** | {component['total_seconds']:.2f} | {baseline['total_seconds']:.2f} "
        f"| {component['total_seconds'] - baseline['total_seconds']:+.2f} |"
    )
    lines += [
        "",
        "Work per run (calls counted by the profiler):",
        "",
        "| call | component | baseline |",
        "|---|---:|---:|",
        *(
            f"| {name} | {count} | {baseline['calls'].get(name, 0)} |"
            for name, count in component["calls"].items()
        ),
    ]
    if "our_code_seconds" in component:
        lines += [
            "",
            f"Our validation and manifest code alone, timed without a profiler on the same "
            f"{profile['size']} services (config validation, the component's validation and the "
            f"two manifests per service): {component['our_code_seconds']:.3f} s.",
        ]
    lines += [
        "",
        "Functions with the most own time (component):",
        "",
        "| function | owner | calls | own (s) | cumulative (s) |",
        "|---|---|---:|---:|---:|",
        *(
            f"| `{entry['function']}` | {entry['owner']} | {entry['calls']} "
            f"| {entry['own_seconds']:.2f} | {entry['cumulative_seconds']:.2f} |"
            for entry in component["top_functions"][:15]
        ),
    ]
    return lines


def write_plot(results: Results, path: Path) -> None:
    """Plots median time against N on log-log axes, one line per measure."""
    figure, axes = pyplot.subplots(figsize=(9, 6))
    for measure_name, title in TITLES.items():
        points = [
            (size, value)
            for size in results.sizes
            if (value := results.median(measure_name, size)) is not None
        ]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=title)
    # A line of slope one through the baseline's largest point: linear growth for reference.
    largest = max(results.sizes)
    anchor = results.median(BASELINE, largest)
    if anchor is not None:
        axes.plot(
            [min(results.sizes), largest],
            [anchor * min(results.sizes) / largest, anchor],
            linestyle=":",
            color="grey",
            label="linear in N (reference)",
        )
    for probe, measure_name in ((results.probe, UP), (results.probe_unsaved, UP_UNSAVED)):
        if probe.get("note", {}).get("stopped_at_limit"):
            axes.plot(
                [probe["size"]],
                [probe["seconds"]],
                marker="^",
                linestyle="none",
                label=f"{TITLES[measure_name]}, N={probe['size']}: stopped at the limit "
                "(lower bound)",
            )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("external services in the stack (N)")
    axes.set_ylabel("wall time, median (s)")
    axes.set_title("external-services: time against stack size")
    axes.grid(True, which="both", linewidth=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


# ---------------------------------------------------------------- main


def _sizes(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def _measures(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(chosen) - set(ENGINE_MEASURES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown engine measures {sorted(unknown)}")
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=[1, 10, 100, 300, 1000])
    parser.add_argument(
        "--engine-sizes", type=_sizes, default=[1, 10, 100, 300], help="sizes for pulumi"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measure and size")
    parser.add_argument(
        "--large", type=int, default=300, help="from this N on, engine measures use --large-runs"
    )
    parser.add_argument("--large-runs", type=int, default=1)
    parser.add_argument(
        "--large-measures",
        type=_measures,
        default=list(ENGINE_MEASURES),
        help="engine measures taken at the large sizes (comma-separated: preview,up,...)",
    )
    parser.add_argument(
        "--engine-timeout", type=float, default=1200, help="seconds one pulumi command may take"
    )
    parser.add_argument(
        "--probe-size", type=int, default=1000, help="a size deployed once with a time limit"
    )
    parser.add_argument("--probe-limit", type=float, default=420, help="its limit in seconds")
    parser.add_argument(
        "--pprof-size", type=int, default=100, help="a size deployed once with Go profiling"
    )
    parser.add_argument("--no-cluster", action="store_true", help="only the offline measures")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a load below this")
    parser.add_argument("--max-wait", type=float, default=300, help="for this long at most")
    parser.add_argument("--work-dir", type=Path, help="keep logs and state here (default: temp)")
    parser.add_argument("--report", type=Path, default=BENCH / "results.md")
    parser.add_argument("--plot", type=Path, default=BENCH / "results.png")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and writes the report; returns the exit code."""
    arguments = _parser().parse_args(argv)

    # A TERM (from a CI timeout, say) unwinds like Ctrl-C, so the cluster still goes down.
    def stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    work = arguments.work_dir or Path(tempfile.mkdtemp(prefix="external-services-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"bench: logs and state in {work}", file=sys.stderr)

    load = wait_for_quiet_machine(arguments.max_load, longest=arguments.max_wait)
    results = Results(sizes=arguments.sizes, machine={}, engine_sizes=arguments.engine_sizes)
    results.notes.append(f"1-minute load average when the run started: {load:.2f}.")
    started = time.monotonic()

    rendered = run_renders(results, work, arguments.runs)
    if not arguments.no_profile:
        run_profiles(results, work, max(arguments.sizes))

    cluster: Cluster | None = None
    if not arguments.no_cluster:
        # Built (or found in the cache) before anything is timed, so no measure includes a build.
        subprocess.run([SCRIPTS / "toolchain"], check=True, stdout=subprocess.DEVNULL)
        with local_cluster(work / "cluster") as cluster:
            results.machine = describe_machine(cluster)
            for size in arguments.sizes:
                if size in arguments.engine_sizes:
                    large = size >= arguments.large
                    run_engine(
                        results,
                        work,
                        cluster,
                        size,
                        runs=arguments.large_runs if large else arguments.runs,
                        measures=arguments.large_measures if large else ENGINE_MEASURES,
                        timeout=arguments.engine_timeout,
                    )
                run_physical(results, work, cluster, size, rendered[size], runs=arguments.runs)
            if arguments.pprof_size and not arguments.no_profile:
                run_engine_pprof(results, work, cluster, arguments.pprof_size)
            if arguments.probe_size:
                run_probe(results, work, cluster, arguments.probe_size, limit=arguments.probe_limit)
                run_probe(
                    results,
                    work,
                    cluster,
                    arguments.probe_size,
                    limit=arguments.probe_limit,
                    skip_checkpoints=True,
                )
    else:
        results.machine = describe_machine(None)

    results.notes.append(f"The whole run took {(time.monotonic() - started) / 60:.1f} minutes.")
    (work / "results.json").write_text(json.dumps(asdict(results), indent=1, default=str) + "\n")
    write_plot(results, arguments.plot)
    write_report(results, arguments.report, arguments.plot)
    print(f"bench: wrote {arguments.report} and {arguments.plot}; raw data in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
