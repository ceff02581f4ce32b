"""Offline review: the Kubernetes objects a stack would create, without a cluster.

The real program (`__main__.py` of the project) runs under Pulumi's mock runtime with the stack's
config, and every Kubernetes resource it registers is recorded exactly as the SDK sent it. Those
records, in a fixed order and with keys sorted, are the rendered objects: there is no second YAML
generator that could disagree with what `pulumi up` would send.
"""

import asyncio
import contextlib
import json
import os
import re
import runpy
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml

from external_service.config import CONFIG_NAMESPACE, PROJECT_KEYS
from external_service.errors import ConfigError
from external_service.manifests import Manifest
from external_service.spec import SERVICE_NAME_LABEL
from external_service.stackfile import load_yaml
from external_service.validation import show

PROJECT_FILE = "Pulumi.yaml"
PROGRAM_FILE = "__main__.py"

# Objects of one service are listed in this order; anything else comes last.
_KIND_ORDER = {"Service": 0, "Endpoints": 1, "EndpointSlice": 2}
_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name", "namespace")


@dataclass(frozen=True)
class Project:
    """A Pulumi project folder holding the external-services program.

    Attributes:
        directory: The folder that holds `Pulumi.yaml` and the program.
        name: The project name, which is also the config namespace.
        stack_config_dir: The folder of the `Pulumi.<stack>.yaml` files.
    """

    directory: Path
    name: str
    stack_config_dir: Path

    @classmethod
    def find(cls, start: Path) -> "Project":
        """Finds the project in `start` or the nearest folder above it.

        Raises:
            ConfigError: No `Pulumi.yaml` is found, or it cannot be read.
        """
        for directory in (start, *start.parents):
            project_file = directory / PROJECT_FILE
            if project_file.is_file():
                settings = load_yaml(project_file)
                if not isinstance(settings, Mapping) or not isinstance(settings.get("name"), str):
                    raise ConfigError([f"{project_file}: has no project name"])
                config_dir = settings.get("stackConfigDir", ".")
                return cls(
                    directory=directory,
                    name=settings["name"],
                    stack_config_dir=directory / str(config_dir),
                )
        raise ConfigError([f"{start}: no {PROJECT_FILE} here or in any folder above"])

    def stack_file(self, stack: str) -> Path:
        """The stack file of one stack.

        Raises:
            ConfigError: The stack has no file.
        """
        path = self.stack_config_dir / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            known = ", ".join(self.stacks()) or "none"
            raise ConfigError([f"stack {stack}: no stack file at {path}; known stacks: {known}"])
        return path

    def stacks(self) -> list[str]:
        """The names of the stacks that have a stack file, sorted."""
        return sorted(
            path.name.removeprefix("Pulumi.").removesuffix(".yaml")
            for path in self.stack_config_dir.glob("Pulumi.*.yaml")
        )


# What Pulumi takes as a stack name (without an organization and project in front).
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def check_stack_name(stack: str, *, given_by: str, advice: str = "") -> str:
    """Returns the stack name when Pulumi would take it; it also names the stack's file.

    Args:
        stack: The name.
        given_by: Where it came from, for the message: `--stack`, say.
        advice: What to do instead, added to the message.

    Raises:
        ConfigError: Pulumi would refuse the name, or it would name a file outside the stack
            folder (`../x`).
    """
    if _STACK_NAME.fullmatch(stack) and stack not in (".", ".."):
        return stack
    raise ConfigError(
        [
            f"{given_by} {show(stack)}: is not a stack name; Pulumi takes 1 to 100 letters, "
            f"digits, '-', '_' and '.'{advice}"
        ]
    )


def stack_name_of(config_file: Path) -> str:
    """The stack a config file is for: `x` for `Pulumi.x.yaml`, else the file's stem."""
    name = config_file.name
    if name.startswith("Pulumi.") and name.endswith(".yaml"):
        return name.removeprefix("Pulumi.").removesuffix(".yaml")
    return config_file.stem


def read_stack_config(path: Path, *, project: str, stack: str) -> dict[str, str]:
    """Reads a stack file into the string map the Pulumi runtime hands to programs.

    Keys without a namespace belong to the project, as in Pulumi itself. Objects and lists are
    passed as JSON text, which is how the engine passes them too.

    Raises:
        ConfigError: The file is not a stack file, has an unknown project key, or a project key
            holds an encrypted value that cannot be read offline.
    """
    document = load_yaml(path)
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise ConfigError([f"stack {stack}: {path} is not a stack file (a mapping with config:)"])
    entries = document.get("config") or {}
    if not isinstance(entries, Mapping):
        raise ConfigError([f"stack {stack}: {path}: config is not a mapping of keys to values"])

    config: dict[str, str] = {}
    lines: list[str] = []
    for raw_key, value in entries.items():
        key = str(raw_key) if ":" in str(raw_key) else f"{project}:{raw_key}"
        if key in config:
            # `services:` and `external-services:services:` are the same key to Pulumi.
            lines.append(f"stack {stack}: {key} is given twice (once without its namespace)")
            continue
        namespace, _, name = key.partition(":")
        is_ours = namespace == project == CONFIG_NAMESPACE
        if is_ours and name not in PROJECT_KEYS:
            lines.append(
                f"stack {stack}: {key} is not a known key; known keys: "
                + ", ".join(f"{project}:{known}" for known in PROJECT_KEYS)
            )
            continue
        if isinstance(value, Mapping) and "secure" in value:
            if is_ours:
                lines.append(
                    f"stack {stack}: {key} is encrypted, and an offline render cannot decrypt "
                    "it; keep service definitions in plain config"
                )
            continue
        # The CLI hands a key given with no value to the program as empty text.
        config[key] = "" if value is None else value if isinstance(value, str) else _as_cli(value)
    if lines:
        raise ConfigError(lines)
    return config


def _as_cli(value: object) -> str:
    """A value as the Pulumi CLI writes it for the program: JSON, as Go's encoder writes it.

    Go writes a float with no fraction as a whole number (`3306.0` and `1e3` reach the program
    as 3306 and 1000), up to the size where it switches to exponent notation.
    """

    def go_json(item: object) -> object:
        if isinstance(item, float) and item.is_integer() and abs(item) < 1e21:
            return int(item)
        if isinstance(item, dict):
            return {name: go_json(inner) for name, inner in item.items()}
        if isinstance(item, list):
            return [go_json(inner) for inner in item]
        return item

    return json.dumps(go_json(value), separators=(",", ":"))


@dataclass(frozen=True)
class Registration:
    """One resource registration as the mock runtime received it.

    Attributes:
        typ: The Pulumi type token, e.g. `kubernetes:core/v1:Service`.
        name: The Pulumi resource name.
        inputs: The inputs, with keys sorted and whole numbers as integers.
        import_id: The ID of an existing object to take over, if the resource asked for one.
    """

    typ: str
    name: str
    inputs: Manifest
    import_id: str | None


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that record every registration and echo the inputs back as the resource's state."""

    def __init__(self) -> None:
        self.registrations: list[Registration] = []

    @property
    def objects(self) -> list[Manifest]:
        """The Kubernetes objects registered so far, in registration order."""
        return [r.inputs for r in self.registrations if r.typ.startswith("kubernetes:")]

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        """Records one registration and answers with an ID and the inputs as state."""
        _note_thread_loop()
        self.registrations.append(
            Registration(
                typ=args.typ,
                name=args.name,
                inputs=_plain(args.inputs),
                import_id=args.resource_id or None,
            )
        )
        metadata = args.inputs.get("metadata") or {}
        resource_id = f"{metadata.get('namespace', '')}/{metadata.get('name', args.name)}"
        return resource_id, dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Answers function calls with nothing; the program makes none."""
        _note_thread_loop()
        return {}, None


def render_objects(project: Project, *, stack: str, config: Mapping[str, str]) -> list[Manifest]:
    """Runs the project's program under mocks and returns the objects it registered, in order.

    Args:
        project: The project whose program runs.
        stack: The stack name the program sees.
        config: The stack config, as `read_stack_config` returns it.

    Returns:
        The Kubernetes objects, sorted by namespace, service, kind and name.

    Raises:
        ExternalServiceError: The program refused the config.
    """
    # Checked before the mock runtime starts, which would otherwise be left with a pending task.
    program = project.directory / PROGRAM_FILE
    if not program.is_file():
        raise ConfigError([f"{project.directory}: has no {PROGRAM_FILE}, the program to render"])
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=project.name, stack=stack, preview=False)
    pulumi.runtime.set_all_config(dict(config))

    def run_program() -> None:
        runpy.run_path(str(program), run_name="__main__")

    # `pulumi.runtime.test` runs a function inside the mock runtime and waits for every resource
    # registration and output it started; it carries no type hints of its own.
    run_under_mocks = cast(Callable[[Callable[[], None]], Callable[[], None]], pulumi.runtime.test)
    run_under_mocks(run_program)()
    return sorted(mocks.objects, key=object_order)


# The mock runtime answers registrations in a pool of threads and gives each thread an event loop
# of its own, which it reuses for every later render in the same process and never closes. Left
# open, such a loop is collected while the interpreter shuts down, after the files it holds, and
# prints a traceback after a render that succeeded; `close_event_loops` closes them before that.
_thread_loops: set[asyncio.AbstractEventLoop] = set()


def _note_thread_loop() -> None:
    if threading.current_thread() is not threading.main_thread():
        _thread_loops.add(asyncio.get_event_loop())


def close_event_loops() -> None:
    """Closes the event loops the mock runtime opened; call it once no render is left to run."""
    loops = {*_thread_loops}
    with contextlib.suppress(RuntimeError):
        loops.add(asyncio.get_event_loop())
    for loop in loops:
        if not loop.is_running():
            loop.close()
    _thread_loops.clear()


def to_yaml(objects: list[Manifest]) -> str:
    """Writes objects as one multi-document YAML text."""
    return yaml.safe_dump_all(
        objects, sort_keys=False, default_flow_style=False, explicit_start=True
    )


def write_files(objects: list[Manifest], out_dir: Path) -> list[Path]:
    """Writes one YAML file per object, `<namespace>/<kind>-<name>.yaml`, into a new folder.

    Kinds hold no '-', so the first one in a file name ends the kind: no two objects can share a
    file. The files are written into a folder beside `out_dir`, which is renamed to `out_dir` once
    all are written: a failure halfway (a full disk, say) leaves no partial set behind.

    Raises:
        ConfigError: The folder exists and is not empty, so stale files could mislead a reviewer,
            or it cannot be written.
    """
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConfigError([f"--out {out_dir}: is not a new or empty folder; give one"])
    relative_paths = [
        Path(manifest["metadata"]["namespace"])
        / f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"
        for manifest in objects
    ]
    partial: Path | None = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
        for manifest, relative in zip(objects, relative_paths, strict=True):
            path = partial / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False))
        # mkdtemp makes a folder only its owner may read; the result gets the usual mode.
        partial.chmod(_FOLDER_MODE & ~_current_umask())
        # rename(2) replaces an empty folder in one step.
        partial.rename(out_dir)
    except OSError as error:
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
        raise ConfigError([f"--out {out_dir}: cannot be written: {error.strerror}"]) from error
    return [out_dir / relative for relative in relative_paths]


_FOLDER_MODE = 0o777


def _current_umask() -> int:
    """The process's umask, which can only be read by setting it."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def object_order(manifest: Manifest) -> tuple[str, str, int, str]:
    """Sort key of an object: namespace, service, kind (Service, Endpoints, slices), name."""
    metadata = manifest["metadata"]
    service = metadata.get("labels", {}).get(SERVICE_NAME_LABEL, metadata["name"])
    kind_rank = _KIND_ORDER.get(manifest["kind"], len(_KIND_ORDER))
    return metadata.get("namespace", ""), service, kind_rank, metadata["name"]


def _plain(value: Any) -> Any:
    """A recorded value with sorted keys and whole numbers as integers.

    The runtime sends numbers as floats and maps in no set order; a review diff needs neither.
    """
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda key: (key not in _FIRST_KEYS, _rank(key), key))
        return {key: _plain(value[key]) for key in keys}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rank(key: str) -> int:
    return _FIRST_KEYS.index(key) if key in _FIRST_KEYS else 0
