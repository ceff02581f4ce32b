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
from collections.abc import Hashable
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
# takes it when Go's time.Parse accepts one of its formats: a date alone; a date, 'T' or 't', a
# time and a zone ('Z' or '+01:00'); or a date, one space and a time with no zone. Other text of
# that look, `2024-01-01T10:00:00` with no zone say, stays text.
_TIMESTAMP = re.compile(
    r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"(?:(?:[Tt](?P<time>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)(?:Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|(?: (?P<local_time>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)))?$"
)
# Whole numbers written so that a reader sees the number yaml.v3 reads: decimal digits with no
# leading zero, or a 0o or 0x prefix.
_PLAIN_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_PREFIXED = re.compile(r"^[-+]?(?:0o[0-7]+|0x[0-9a-fA-F]+)$")
# yaml.v3 reads a number into 64 bits; a longer one is neither a port nor anything else here.
_LARGEST_NUMBER = 2**64 - 1
# yaml.v3 refuses a document whose aliases make up too large a share of the values it decodes
# (a few hundred bytes of nested aliases can stand for billions of values); the share allowed
# falls from 99% up to 400,000 decoded values to 10% from 4,000,000 on.
_ALIAS_RATIO_LOW_COUNT = 400_000
_ALIAS_RATIO_HIGH_COUNT = 4_000_000


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
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"a key is a {'list' if isinstance(key, list) else 'mapping'}; "
                    "write the key as text",
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
    time = found["time"] or found["local_time"]
    if time is None:
        return True
    hour, minute, second = (int(float(part)) for part in time.split(":"))
    return hour < 24 and minute < 60 and second < 60


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

    loader = _StackFileLoader(text)
    try:
        root = loader.get_single_node()
        # Aliases are checked on the node graph, before they are expanded into values.
        if root is not None:
            _check_aliases(root, path=path)
        document = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: is not a valid stack file: {_one_line(error)}"]) from None
    except ConfigError:
        raise
    except (ValueError, RecursionError) as error:
        raise ConfigError([f"{path}: holds a value that cannot be read: {error}"]) from None
    finally:
        loader.dispose()
    _check_plain_data(document, path=path, where="")
    return document


def _check_aliases(root: yaml.Node, *, path: Path) -> None:
    """Refuses an anchor inside its own value, and aliases that expand a file enormously.

    yaml.v3 refuses both; the second is the "billion laughs" file, a few hundred bytes of nested
    aliases that stand for billions of values. PyYAML shares one node between an anchor and its
    aliases, so a node met again is met through an alias, and so is everything below it.
    Counting as yaml.v3 does keeps the two readers in step, and this walk stops as soon as the
    aliased share passes what yaml.v3 allows.
    """
    met: set[int] = set()
    inside: set[int] = set()
    decoded = aliased = 0
    # Each entry is a node to visit (with whether it is reached through an alias), or the id of
    # a node whose children are all visited, to leave it.
    pending: list[tuple[yaml.Node, bool] | int] = [(root, False)]
    while pending:
        entry = pending.pop()
        if isinstance(entry, int):
            inside.discard(entry)
            continue
        node, through_alias = entry
        if id(node) in inside:
            raise ConfigError(
                [
                    f"{path}: line {node.start_mark.line + 1}: an anchor's value holds an alias "
                    "of itself, which never ends; the Pulumi CLI refuses it"
                ]
            )
        again = id(node) in met
        if again:
            # The alias itself, which yaml.v3 counts apart from the value it stands for.
            decoded += 1
            aliased += through_alias
        through_alias = through_alias or again
        met.add(id(node))
        decoded += 1
        aliased += through_alias
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            raise ConfigError(
                [
                    f"{path}: its aliases (*name) expand it to more than {decoded:,} values, "
                    "nearly all of them copies, which the Pulumi CLI refuses as excessive "
                    "aliasing; write the values out instead"
                ]
            )
        inside.add(id(node))
        pending.append(id(node))
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        pending.extend((child, through_alias) for child in reversed(children))


def _allowed_alias_ratio(decoded: int) -> float:
    """The share of aliased values yaml.v3 allows after decoding this many values."""
    if decoded <= _ALIAS_RATIO_LOW_COUNT:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH_COUNT:
        return 0.10
    span = _ALIAS_RATIO_HIGH_COUNT - _ALIAS_RATIO_LOW_COUNT
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW_COUNT) / span


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
