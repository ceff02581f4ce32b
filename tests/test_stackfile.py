"""Stack files read as the Pulumi CLI (Go's yaml.v3) reads them, or refused with the line."""

from pathlib import Path

import pytest

from external_service.errors import ConfigError
from external_service.stackfile import load_yaml


def read(tmp_path: Path, text: str) -> object:
    """Writes `text` to a stack file and reads it back."""
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(text)
    return load_yaml(path)


def refusal(tmp_path: Path, text: str) -> str:
    """The one message a stack file is refused with, without the file's path."""
    with pytest.raises(ConfigError) as raised:
        read(tmp_path, text)
    (line,) = raised.value.lines
    return line.split(": ", 1)[1]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # YAML 1.1 (PyYAML's default) reads these four as a boolean, a boolean, a date and 80;
        # yaml.v3 keeps them as text, and so must the render.
        pytest.param("yes", "yes", id="yes is text"),
        pytest.param("off", "off", id="off is text"),
        pytest.param("1:20", "1:20", id="sexagesimal is text"),
        pytest.param("2024-13-45", "2024-13-45", id="no real date is text"),
        # Go's time.Parse, as yaml.v3 calls it, takes a 'T' only with a zone, a space only
        # without one.
        pytest.param("2024-01-01T10:00:00", "2024-01-01T10:00:00", id="T time with no zone"),
        pytest.param(
            "2024-01-01 10:00:00 +01:00", "2024-01-01 10:00:00 +01:00", id="spaced time with zone"
        ),
        # Spellings whose value a reader sees: yaml.v3 agrees on each.
        pytest.param("3306", 3306, id="decimal"),
        pytest.param("+5", 5, id="signed decimal"),
        pytest.param("0", 0, id="zero"),
        pytest.param("0o17", 15, id="0o octal"),
        pytest.param("0x1F", 31, id="hexadecimal"),
        pytest.param("true", True, id="boolean"),
        pytest.param("~", None, id="null"),
        pytest.param("1.5", 1.5, id="float"),
    ],
)
def test_plain_scalars_read_as_the_pulumi_cli_reads_them(
    tmp_path: Path, text: str, value: object
) -> None:
    assert read(tmp_path, f"value: {text}\n") == {"value": value}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # yaml.v3 reads a leading zero as octal, as Go does: `port: 03306` would deploy 1734.
        pytest.param(
            "03306",
            "03306 has a leading zero, so the Pulumi CLI reads it as 1734 (an octal number); "
            "write 3306 without the zero",
            id="leading zero, octal",
        ),
        pytest.param(
            "089",
            "089 has a leading zero, so the Pulumi CLI reads it as 89; write 89 without the zero",
            id="leading zero, not octal",
        ),
        pytest.param(
            "3_306",
            "3_306 is read by the Pulumi CLI as the number 3306; write 3306",
            id="underscore",
        ),
        pytest.param(
            "0b101", "0b101 is read by the Pulumi CLI as the number 5; write 5", id="binary"
        ),
        pytest.param(
            "2024-01-01",
            "2024-01-01 is read by the Pulumi CLI as a timestamp, and reaches the program as "
            "other text",
            id="date",
        ),
        pytest.param(
            "2024-1-2 3:04:05",
            "2024-1-2 3:04:05 is read by the Pulumi CLI as a timestamp",
            id="date and time",
        ),
        pytest.param(
            "2024-01-01T10:00:00.5+01:00",
            "2024-01-01T10:00:00.5+01:00 is read by the Pulumi CLI as a timestamp",
            id="T time with zone",
        ),
        pytest.param(
            "0x" + "f" * 40,
            "is a number of more than 64 bits, which the Pulumi CLI does not read as a number",
            id="too long a number",
        ),
    ],
)
def test_spellings_the_pulumi_cli_reads_otherwise_are_refused_with_their_line(
    tmp_path: Path, text: str, message: str
) -> None:
    line = refusal(tmp_path, f"config:\n  value: {text}\n")

    assert line.startswith("is not a valid stack file: line 2, column 10: "), line
    assert message in line
    assert "quote" in line


def test_quoting_keeps_a_refused_spelling_as_text(tmp_path: Path) -> None:
    assert read(tmp_path, "a: '03306'\nb: '2024-01-01'\n") == {"a": "03306", "b": "2024-01-01"}


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    line = refusal(tmp_path, "config:\n  a: 1\n  a: 2\n")

    assert line == (
        "is not a valid stack file: line 3, column 3: key 'a' appears twice (first on line 2); "
        "keep one"
    )


@pytest.mark.parametrize("key", ["~", "null", "Null"])
def test_a_null_key_is_refused(tmp_path: Path, key: str) -> None:
    line = refusal(tmp_path, f"config:\n  {key}: x\n")

    assert "a key is null (empty, ~ or null); write the key as text, in quotes" in line


def test_merge_keys_are_read_as_yaml_v3_reads_them(tmp_path: Path) -> None:
    document = read(
        tmp_path,
        "base: &base {addresses: [10.0.0.1], ports: [{port: 80}], name: base}\n"
        "services:\n"
        "  - <<: *base\n"
        "    name: web\n",
    )

    assert document == {
        "base": {"addresses": ["10.0.0.1"], "ports": [{"port": 80}], "name": "base"},
        "services": [{"addresses": ["10.0.0.1"], "ports": [{"port": 80}], "name": "web"}],
    }, "the key written beside the merge key must win over the merged one"


@pytest.mark.parametrize(("key", "kind"), [("[a, b]", "list"), ("{a: 1}", "mapping")])
def test_a_key_that_is_a_list_or_a_mapping_is_refused(tmp_path: Path, key: str, kind: str) -> None:
    line = refusal(tmp_path, f"config:\n  ? {key}\n  : x\n")

    assert (
        line
        == f"is not a valid stack file: line 2, column 5: a key is a {kind}; write the key as text"
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x: &a [*a]\n", id="list"),
        pytest.param("x: &a {b: *a}\n", id="mapping"),
        pytest.param("x: &a {b: [c, {d: *a}]}\n", id="deeper"),
    ],
)
def test_an_anchor_that_holds_an_alias_of_itself_is_refused(tmp_path: Path, text: str) -> None:
    line = refusal(tmp_path, text)

    assert line == (
        "line 1: an anchor's value holds an alias of itself, which never ends; the Pulumi CLI "
        "refuses it"
    )


def nested_aliases(levels: int) -> str:
    """A document of `levels` lists, each holding nine aliases of the one before."""
    lines = ["x:", '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [
        f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]" for level in range(1, levels)
    ]
    return "\n".join([*lines, "config: {}", ""])


def test_aliases_that_expand_a_small_file_enormously_are_refused_at_once(tmp_path: Path) -> None:
    # Nine levels stand for 387 million values; read out, they would hang the render.
    line = refusal(tmp_path, nested_aliases(levels=9))

    assert "its aliases (*name) expand it to more than" in line
    assert "which the Pulumi CLI refuses as excessive aliasing; write the values out" in line


def test_aliases_within_what_the_pulumi_cli_allows_are_read(tmp_path: Path) -> None:
    # Three levels: 729 values from a few lines, under the CLI's thresholds.
    document = read(tmp_path, nested_aliases(levels=3))

    assert isinstance(document, dict)
    assert len(document["x"]["l2"]) == 9
    assert document["x"]["l2"][8][8][8] == "lol"
