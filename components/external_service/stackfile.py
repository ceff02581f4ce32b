"""Reads Pulumi stack files as the Pulumi CLI reads them, and refuses what it would refuse.

The Pulumi CLI reads stack files with Go's yaml.v3, and a render that read them differently would
show reviewers something other than what `pulumi up` deploys. PyYAML implements YAML 1.1, where
`yes` is a boolean and `1:20` a sexagesimal number; for yaml.v3 both are text, and so they are
here. Where yaml.v3 gives a plain-looking value a meaning that a reader of the file would not
expect, the file is refused with a pointer to the line instead: `03306` is the octal number 1734
to yaml.v3, and an unquoted `2024-01-01` a timestamp that reaches the program as
`2024-01-01 00:00:00 +0000 UTC`. The CLI also refuses a mapping with the same key twice, which
PyYAML silently resolves to the last value: for a stack file, that can drop a whole list of
services. Merge keys (`<<: *base`) are read as yaml.v3 reads them: keys written beside the merge
win over merged ones.
"""

import datetime
import re
from pathlib import Path

import yaml

from external_service.errors import ConfigError

# A stack file is a few kilobytes; reading far more (a device, a log by mistake) is refused.
MAX_STACK_FILE_BYTES = 10 * 1024 * 1024

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
# What yaml.v3 reads as an integer: decimal (where a leading zero means octal), 0o, 0x and 0b
# prefixes, with '_' anywhere.
_INT = re.compile(r"^[-+]?(?:[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
# yaml.v3 tries a timestamp first for any plain scalar that starts with four digits and '-', and
# takes it when Go's time.Parse accepts a date, or a date and time, in one of these forms.
_TIMESTAMP = re.compile(
    r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2}):(?P<second>[0-9]{1,2})"
    r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?$"
)
# Whole numbers written so that a reader sees the number yaml.v3 reads: decimal digits with no
# leading zero, or a 0o or 0x prefix.
_PLAIN_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_PREFIXED = re.compile(r"^[-+]?(?:0o[0-7]+|0x[0-9a-fA-F]+)$")
# yaml.v3 reads a number into 64 bits; a longer one is neither a port nor anything else here.
_LARGEST_NUMBER = 2**64 - 1


class _StackFileLoader(yaml.SafeLoader):
    """A safe loader with yaml.v3's plain scalars, merge keys and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        """Builds a mapping, refusing a key written twice and a key that is null."""
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key is None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key is null (empty, ~ or null); write the key as text, in quotes",
                    key_node.start_mark,
                )
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {first}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        # Merged keys go first, so that the keys written beside `<<` win, as in yaml.v3.
        self.flatten_mapping(node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """Integers as yaml.v3 reads them; spellings that hide their value are refused."""
        written = str(self.construct_scalar(node))
        value = _cli_integer(written)
        if not (_PLAIN_DECIMAL.match(written) or _PREFIXED.match(written)):
            digits = written.replace("_", "").lstrip("+-")
            if len(digits) > 1 and digits[0] == "0" and digits.isdigit():
                sign = "-" if written.startswith("-") else ""
                why = (
                    f"has a leading zero, so the Pulumi CLI reads it as {value}"
                    f"{' (an octal number)' if abs(value) != int(digits) else ''}; write "
                    f"{sign}{int(digits)} without the zero"
                )
            else:
                why = f"is read by the Pulumi CLI as the number {value}; write {value}"
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{written} {why}, or quote the value if it is text",
                node.start_mark,
            )
        if abs(value) > _LARGEST_NUMBER:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{written[:20]}... is a number of more than 64 bits, which the Pulumi CLI does "
                "not read as a number; quote it if it is text",
                node.start_mark,
            )
        return value

    # Gives text where the PyYAML method it replaces gives a datetime, hence the ignore.
    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:  # type: ignore[override]
        """Refuses an unquoted timestamp, which yaml.v3 turns into other text than written.

        A value of that shape that is no real date or time stays text for yaml.v3, as here.
        """
        written = str(self.construct_scalar(node))
        if not _is_timestamp(written):
            return written
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{written} is read by the Pulumi CLI as a timestamp, and reaches the program as "
            "other text (such as '2024-01-01 00:00:00 +0000 UTC'); quote it to keep it as written",
            node.start_mark,
        )


def _cli_integer(written: str) -> int:
    """The integer yaml.v3 reads from a plain scalar that `_INT` matched."""
    text = written.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    bases = {"0o": 8, "0x": 16, "0b": 2}
    if digits[:2] in bases:
        return sign * int(digits[2:], bases[digits[:2]])
    # A leading zero means octal, as in Go; with an 8 or a 9 in it, yaml.v3 falls back to a
    # float of the same decimal digits.
    octal = len(digits) > 1 and digits[0] == "0" and set(digits) <= set("01234567")
    return sign * int(digits, 8 if octal else 10)


def _is_timestamp(written: str) -> bool:
    """Whether Go's time.Parse, as yaml.v3 calls it, accepts the text as a date or a time."""
    found = _TIMESTAMP.match(written)
    if found is None:
        return False
    try:
        datetime.date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:
        return False
    if found["hour"] is None:
        return True
    return int(found["hour"]) < 24 and int(found["minute"]) < 60 and int(found["second"]) < 60


# Start from no implicit types at all, then add back exactly YAML 1.2's core schema. Timestamps,
# sexagesimal numbers, `yes`/`no`/`on`/`off` and `=` stay plain strings.
_StackFileLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:timestamp", _TIMESTAMP, "0123456789"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), "<"),
):
    _StackFileLoader.add_implicit_resolver(_tag, _pattern, list(_first))
_StackFileLoader.add_constructor("tag:yaml.org,2002:int", _StackFileLoader.construct_yaml_int)
_StackFileLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _StackFileLoader.construct_yaml_timestamp
)


def load_yaml(path: Path) -> object:
    """Reads one YAML document the way the Pulumi CLI would.

    Raises:
        ConfigError: The file cannot be read, is too large, is not UTF-8, is not valid YAML, has a
            key twice, or holds a value that is not plain data (binary, a set, a number too long).
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_STACK_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError([f"{path}: cannot be read: {error.strerror}"]) from error
    if len(data) > MAX_STACK_FILE_BYTES:
        raise ConfigError(
            [f"{path}: is larger than {MAX_STACK_FILE_BYTES} bytes; not a stack file"]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [f"{path}: is not UTF-8 text (byte {error.start}); save it as UTF-8"]
        ) from None

    try:
        document = yaml.load(text, Loader=_StackFileLoader)
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: is not a valid stack file: {_one_line(error)}"]) from None
    except (ValueError, RecursionError) as error:
        raise ConfigError([f"{path}: holds a value that cannot be read: {error}"]) from None
    _check_plain_data(document, path=path, where="")
    return document


def _check_plain_data(value: object, *, path: Path, where: str) -> None:
    """Refuses values that are not JSON data, which the Pulumi CLI would not pass on either."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise ConfigError([f"{path}: {where or 'top level'}: key {key!r} is not text"])
            _check_plain_data(item, path=path, where=f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain_data(item, path=path, where=f"{where}[{index}]")
    elif not isinstance(value, (str, int, float, bool)) and value is not None:
        kind = type(value).__name__
        raise ConfigError([f"{path}: {where}: a {kind} value; write it as plain text or a number"])


def _one_line(error: yaml.YAMLError) -> str:
    """A YAML error as one line, with the line and column where it was found."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    place = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{place}{' '.join(str(problem).split())}"
