"""The offline render reads a stack file exactly as the real Pulumi CLI does, or refuses it.

`pulumi config --json` prints what the CLI makes of a stack file, which is what `pulumi up` hands
the program. For spellings the render accepts, both readings must agree value for value; for the
spellings it refuses, the CLI's reading must differ from what the file seems to say, which is
the reason they are refused.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from external_service.errors import ConfigError
from external_service.render import read_stack_config
from tests.e2e.conftest import PULUMI_TIMEOUT, toolchain_environment
from tests.test_stackfile import nested_aliases

pytestmark = pytest.mark.e2e

PROJECT = "external-services"

# Values in one service entry, beside the keys a service needs; each is read by both.
ACCEPTED_VALUES = {
    "yes_is_text": "yes",
    "sexagesimal_is_text": "1:20",
    "no_real_date_is_text": "2024-13-45",
    "decimal": "3306",
    "signed": "+5",
    "octal_0o": "0o17",
    "hexadecimal": "0x1F",
    "float_without_fraction": "3306.0",
    "exponent": "1e3",
    "float": "1.5",
    "boolean": "true",
    "null_value": "~",
    "quoted_leading_zero": "'03306'",
    "quoted_date": "'2024-01-01'",
    "t_time_without_zone": "2024-01-01T10:00:00",
    "spaced_time_with_zone": "2024-01-01 10:00:00 +01:00",
}

# Spellings the render refuses, with what the CLI reads instead.
REFUSED_VALUES = [
    pytest.param("03306", 1734, id="leading zero, octal"),
    pytest.param("-017", -15, id="negative leading zero"),
    pytest.param("3_306", 3306, id="underscore"),
    pytest.param("0b101", 5, id="binary"),
    pytest.param("2024-01-01", "2024-01-01 00:00:00 +0000 UTC", id="date"),
    pytest.param("2024-01-01T10:00:00Z", "2024-01-01 10:00:00 +0000 UTC", id="T time with zone"),
]


def cli_config(stack_file: Path, work: Path) -> dict[str, Any]:
    """What the real Pulumi CLI reads from a stack file: key to text, or to an object value."""
    backend, project = work / "backend", work / "project"
    backend.mkdir()
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    environment = {
        **toolchain_environment(),
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "",
    }

    def pulumi(*arguments: str) -> str:
        return subprocess.run(
            ["pulumi", *arguments, "--non-interactive"],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=PULUMI_TIMEOUT,
        ).stdout

    pulumi("stack", "init", "reading")
    shown = json.loads(
        pulumi("config", "--json", "--stack", "reading", "--config-file", str(stack_file))
    )
    return {
        key: entry["objectValue"] if "objectValue" in entry else entry["value"]
        for key, entry in shown.items()
    }


def stack_file_with(path: Path, values: dict[str, str], *, namespace: str = "data") -> Path:
    """A stack file with one service whose extra keys hold `values` exactly as written."""
    lines = [
        "config:",
        f"  {PROJECT}:namespace: {namespace}",
        f"  {PROJECT}:services:",
        "    - name: plat-dev",
        "      addresses: [10.5.10.109]",
        *(f"      {key}: {text}" for key, text in values.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_render_reads_what_the_cli_reads(tmp_path: Path) -> None:
    stack_file = stack_file_with(tmp_path / "Pulumi.reading.yaml", ACCEPTED_VALUES)

    ours = read_stack_config(stack_file, project=PROJECT, stack="reading")
    theirs = cli_config(stack_file, tmp_path)

    assert sorted(ours) == sorted(theirs)
    assert ours[f"{PROJECT}:namespace"] == theirs[f"{PROJECT}:namespace"]
    (our_service,) = json.loads(ours[f"{PROJECT}:services"])
    (their_service,) = theirs[f"{PROJECT}:services"]
    for key, text in ACCEPTED_VALUES.items():
        # As JSON, so that 3306.0 and 3306, equal in Python, count as the different values the
        # program would see.
        ours_json, theirs_json = (
            json.dumps(our_service.get(key)),
            json.dumps(their_service.get(key)),
        )
        assert ours_json == theirs_json, f"{key}: {text}"


def test_a_key_with_no_value_is_empty_text_for_both(tmp_path: Path) -> None:
    stack_file = stack_file_with(tmp_path / "Pulumi.reading.yaml", {}, namespace="")

    ours = read_stack_config(stack_file, project=PROJECT, stack="reading")

    assert ours[f"{PROJECT}:namespace"] == cli_config(stack_file, tmp_path)[f"{PROJECT}:namespace"]
    assert ours[f"{PROJECT}:namespace"] == ""


@pytest.mark.parametrize(("text", "cli_reading"), REFUSED_VALUES)
def test_a_refused_spelling_is_one_the_cli_reads_otherwise(
    tmp_path: Path, text: str, cli_reading: object
) -> None:
    stack_file = stack_file_with(tmp_path / "Pulumi.reading.yaml", {"value": text})

    with pytest.raises(ConfigError, match=r"quote"):
        read_stack_config(stack_file, project=PROJECT, stack="reading")
    (their_service,) = cli_config(stack_file, tmp_path)[f"{PROJECT}:services"]
    assert their_service["value"] == cli_reading


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(nested_aliases(levels=9), id="excessive aliasing"),
        pytest.param("x: &a [*a]\nconfig: {}\n", id="anchor that holds itself"),
    ],
)
def test_alias_files_the_render_refuses_the_cli_refuses(tmp_path: Path, text: str) -> None:
    stack_file = tmp_path / "Pulumi.reading.yaml"
    stack_file.write_text(text)

    with pytest.raises(ConfigError):
        read_stack_config(stack_file, project=PROJECT, stack="reading")
    with pytest.raises(subprocess.CalledProcessError) as refused:
        cli_config(stack_file, tmp_path)
    assert "alias" in refused.value.stderr or "contains itself" in refused.value.stderr, (
        refused.value.stderr
    )
