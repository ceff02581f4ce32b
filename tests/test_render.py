"""The render command: reviewed snapshots of every stack, and its behaviour as a program.

Snapshots live in `tests/__snapshots__/` as plain YAML, exactly as `render` prints them, so a
change to what a stack would create shows up in review as a diff of Kubernetes objects. Update
them with `pytest --snapshot-update` after checking the diff.
"""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from external_service.cli import main

REPO = Path(__file__).resolve().parents[1]
STACKS = sorted(path.name.split(".")[1] for path in (REPO / "stacks").glob("Pulumi.*.yaml"))


class YamlSnapshot(SingleFileSnapshotExtension):
    """One reviewed YAML file per snapshot."""

    _write_mode = WriteMode.TEXT
    file_extension = "yaml"


def render(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m external_service render` as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "external_service", "render", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_stack_has_a_snapshot() -> None:
    assert STACKS == ["dev", "prod", "staging"]


@pytest.mark.parametrize("stack", STACKS)
def test_stack_renders_as_reviewed(
    stack: str, snapshot: SnapshotAssertion, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["render", "--stack", stack, "--project-dir", str(REPO)])
    out, err = capsys.readouterr()

    assert (code, err) == (0, "")
    assert out == snapshot(extension_class=YamlSnapshot)


def test_every_kind_and_mode_renders_as_reviewed(
    snapshot: SnapshotAssertion, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = Path(__file__).parent / "stacks" / "Pulumi.every-kind.yaml"

    code = main(["render", "--config-file", str(stack_file), "--project-dir", str(REPO)])
    out, err = capsys.readouterr()

    assert (code, err) == (0, "")
    assert out == snapshot(extension_class=YamlSnapshot)


def test_dev_renders_the_plat_dev_pair_from_the_command_line() -> None:
    result = render("--stack", "dev")

    assert result.returncode == 0, result.stderr
    objects = list(yaml.safe_load_all(result.stdout))
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Service", "plat-dev"),
        ("Endpoints", "plat-dev"),
    ]
    service, endpoints = objects
    assert "selector" not in service["spec"]
    assert endpoints["subsets"] == [
        {"addresses": [{"ip": "10.5.10.109"}], "ports": [{"port": 3306}]}
    ]


def test_bad_input_exits_non_zero_with_one_line_per_problem(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.review.yaml"
    stack_file.write_text(
        "config:\n"
        "  external-services:services:\n"
        "    - name: plat-dev\n"
        "      addresses: [127.0.0.1]\n"
        "      ports: [{port: 70000}]\n"
    )

    result = render("--config-file", str(stack_file))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: stack review: plat-dev: addresses[0] '127.0.0.1' is a loopback address; "
        "Kubernetes rejects loopback endpoints",
        "error: stack review: plat-dev: ports[0].port 70000 is outside the port range; give 1 "
        "to 65535",
    ]


def test_a_key_given_with_no_value_is_refused_as_the_program_sees_it(tmp_path: Path) -> None:
    # The Pulumi CLI passes an empty value for `namespace:` with nothing after it; the render
    # must read it the same way, not as a namespace called 'null'.
    stack_file = tmp_path / "Pulumi.review.yaml"
    stack_file.write_text(
        "config:\n"
        "  external-services:namespace:\n"
        "  external-services:services:\n"
        "    - {name: plat-dev, addresses: [10.5.10.109], ports: [{port: 3306}]}\n"
    )

    result = render("--config-file", str(stack_file))

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "error: stack review: external-services:namespace is empty; give a value, or leave the "
        "key out for the default 'default'"
    ]


def test_a_project_without_a_program_is_one_clean_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: external-services\nruntime: python\n")
    stack_file = tmp_path / "Pulumi.review.yaml"
    stack_file.write_text(
        "config:\n"
        "  external-services:services:\n"
        "    - {name: plat-dev, addresses: [10.5.10.109], ports: [{port: 3306}]}\n"
    )

    result = render("--config-file", str(stack_file), "--project-dir", str(tmp_path))

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"error: {tmp_path}: has no __main__.py, the program to render"
    ]


def test_unknown_stack_names_the_known_ones() -> None:
    result = render("--stack", "no-such-stack")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "stack no-such-stack: no stack file at" in result.stderr
    assert f"known stacks: {', '.join(STACKS)}" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        # A stack name also names a file: `../x` would read a file outside the stack folder.
        pytest.param(
            ["--stack", "../prod"],
            "error: --stack '../prod': is not a stack name; Pulumi takes 1 to 100 letters, "
            "digits, '-', '_' and '.'",
            id="stack outside the stack folder",
        ),
        pytest.param(
            ["--config-file", "stacks/Pulumi.dev.yaml", "--stack-name", "dev stack"],
            "error: --stack-name 'dev stack': is not a stack name",
            id="stack name with a space",
        ),
    ],
)
def test_a_stack_name_pulumi_would_refuse_is_refused(arguments: list[str], message: str) -> None:
    result = render(*arguments)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message), result.stderr


def test_a_config_file_whose_name_is_no_stack_name_asks_for_one(tmp_path: Path) -> None:
    proposed = tmp_path / "my proposal.yaml"
    proposed.write_text((REPO / "stacks" / "Pulumi.dev.yaml").read_text())

    refused = render("--config-file", str(proposed))
    named = render("--config-file", str(proposed), "--stack-name", "dev")

    assert refused.returncode == 1
    assert refused.stderr == (
        f"error: --config-file {proposed}: the stack name from its file name, 'my proposal': is "
        "not a stack name; Pulumi takes 1 to 100 letters, digits, '-', '_' and '.'; give one "
        "with --stack-name\n"
    )
    assert named.returncode == 0
    assert "name: plat-dev" in named.stdout


def test_out_writes_one_file_per_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "manifests"

    code = main(["render", "--stack", "prod", "--project-dir", str(REPO), "--out", str(out_dir)])

    assert code == 0
    files = sorted(str(path.relative_to(out_dir)) for path in out_dir.rglob("*.yaml"))
    assert files == ["default/endpoints-plat-prod.yaml", "default/service-plat-prod.yaml"]
    endpoints = yaml.safe_load((out_dir / "default" / "endpoints-plat-prod.yaml").read_text())
    assert [a["ip"] for a in endpoints["subsets"][0]["addresses"]] == ["10.5.30.109", "10.5.30.110"]
    assert capsys.readouterr().out.splitlines() == [str(out_dir / name) for name in reversed(files)]


def test_out_refuses_a_folder_with_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stale.yaml").write_text("kind: Service\n")

    code = main(["render", "--stack", "dev", "--project-dir", str(REPO), "--out", str(tmp_path)])

    assert code == 1
    assert "is not a new or empty folder" in capsys.readouterr().err


def test_out_leaves_nothing_behind_when_writing_fails_halfway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "manifests"
    written: list[Path] = []
    write_text = Path.write_text

    def fill_the_disk_after_one_file(path: Path, text: str) -> int:
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(path)
        return write_text(path, text)

    monkeypatch.setattr(Path, "write_text", fill_the_disk_after_one_file)
    code = main(["render", "--stack", "prod", "--project-dir", str(REPO), "--out", str(out_dir)])

    assert code == 1
    assert capsys.readouterr().err == (
        f"error: --out {out_dir}: cannot be written: No space left on device\n"
    )
    assert written, "the first file should have been written before the failure"
    assert list(tmp_path.iterdir()) == [], "no file and no partial folder may be left behind"


def test_config_file_renders_a_proposed_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proposed = tmp_path / "Pulumi.dev.yaml"
    proposed.write_text(
        (REPO / "stacks" / "Pulumi.dev.yaml").read_text().replace("10.5.10.109", "10.5.10.110")
    )

    code = main(["render", "--config-file", str(proposed), "--project-dir", str(REPO)])

    assert code == 0
    endpoints = list(yaml.safe_load_all(capsys.readouterr().out))[1]
    assert endpoints["subsets"][0]["addresses"] == [{"ip": "10.5.10.110"}]


def test_render_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for _ in range(3):
        main(["render", "--stack", "prod", "--project-dir", str(REPO)])
        outputs.append(capsys.readouterr().out)

    assert outputs[0] == outputs[1] == outputs[2]


# Renders many services, then counts the event loops still open before and after the command
# line's clean-up.
OPEN_LOOPS = """
import asyncio, gc, sys
from external_service import cli, render

def open_loops():
    gc.collect()
    return sum(
        isinstance(o, asyncio.AbstractEventLoop) and not o.is_closed() for o in gc.get_objects()
    )

assert cli.main(["render", "--config-file", sys.argv[1]]) == 0
before = open_loops()
render.close_event_loops()
print(before, open_loops())
"""


def test_the_command_line_leaves_no_event_loop_open(tmp_path: Path) -> None:
    # An open loop of the mock runtime's worker threads, collected at interpreter exit, prints a
    # traceback now and then after a render that succeeded; more services, more threads.
    services = [
        {"name": f"db-{index}", "addresses": [f"10.5.10.{index}"], "ports": [{"port": 3306}]}
        for index in range(1, 25)
    ]
    config_file = tmp_path / "Pulumi.many.yaml"
    config_file.write_text(yaml.safe_dump({"config": {"external-services:services": services}}))

    finished = subprocess.run(
        [sys.executable, "-c", OPEN_LOOPS, str(config_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )

    before, after = (int(count) for count in finished.stdout.split()[-2:])
    assert before > 1, "the render should have opened loops in the runtime's worker threads"
    assert after == 0, finished.stderr
