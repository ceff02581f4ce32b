"""Reads Pulumi stack files as the Pulumi CLI reads them, and refuses what it would refuse.

PyYAML implements YAML 1.1, where `yes` is a boolean, `2024-01-01` a date, `017` an octal number
and `1:20` a sexagesimal one; the Pulumi CLI reads YAML 1.2, where the first three are a string,
a string and seventeen, and the fourth a string. A render that read the file differently from
`pulumi up` would show reviewers something other than what gets deployed. The CLI also refuses a
mapping with the same key twice, which PyYAML silently resolves to the last value: for a stack
file, that can drop a whole list of services.
"""

import re
from pathlib import Path

import yaml

from external_service.errors import ConfigError

# A stack file is a few kilobytes; reading far more (a device, a log by mistake) is refused.
MAX_STACK_FILE_BYTES = 10 * 1024 * 1024

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class _StackFileLoader(yaml.SafeLoader):
    """A safe loader with YAML 1.2 core-schema scalars and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        """Builds a mapping, refusing a key that appears twice."""
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {first}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """YAML 1.2 integers: decimal (leading zeros allowed), 0o octal, 0x hexadecimal."""
        text = str(self.construct_scalar(node)).replace("_", "")
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)


# Start from no implicit types at all, then add back exactly YAML 1.2's core schema. Timestamps,
# sexagesimal numbers, `yes`/`no`/`on`/`off` and `=` stay plain strings.
_StackFileLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), "<"),
):
    _StackFileLoader.add_implicit_resolver(_tag, _pattern, list(_first))
_StackFileLoader.add_constructor("tag:yaml.org,2002:int", _StackFileLoader.construct_yaml_int)


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
