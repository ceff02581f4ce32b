"""The one exception family of the package.

Every mistake a user can make (a bad address, a misspelled config key, an invalid port) ends in an
`ExternalServiceError` whose lines each name the service, the field and the value, and say what
would be accepted. The base class is `pulumi.RunError`, which the Pulumi engine reports as a plain
message instead of a Python traceback; it is also a `ValueError`, so library users can catch it
without knowing about Pulumi.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import pulumi


class ExternalServiceError(pulumi.RunError, ValueError):
    """Base error: one or more lines, each describing one problem."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines: tuple[str, ...] = tuple(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Problem:
    """One rule broken by one field.

    Attributes:
        field: Where the problem is, e.g. `addresses[0]` or `ports[1].targetPort`.
        message: What is wrong and what would be accepted, starting with the bad value.
    """

    field: str
    message: str


class ValidationError(ExternalServiceError):
    """The inputs of one external service break one or more rules."""

    def __init__(self, service: str, problems: Iterable[Problem]) -> None:
        self.service = service
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(
            f"{printable(service)}: {printable(problem.field)} {problem.message}"
            for problem in self.problems
        )


# Names and keys longer than this are cut in messages, which must stay one readable line each.
MAX_NAME_IN_MESSAGE = 80


def printable(text: str) -> str:
    """A name or key as messages show it: control characters escaped, at most 80 characters.

    Names and keys come from the user; a newline in one must not start a line of its own that
    reads like another message, nor an escape sequence reach the terminal.
    """
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if len(escaped) > MAX_NAME_IN_MESSAGE:
        return f"{escaped[:MAX_NAME_IN_MESSAGE]}... ({len(text)} characters)"
    return escaped


class ConfigError(ExternalServiceError):
    """The stack configuration cannot be read into services."""
