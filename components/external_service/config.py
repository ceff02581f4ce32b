"""Reads a stack's configuration once into validated services.

The stack files spell keys as Kubernetes manifests do (`targetPort`, `endpointKind`); the
validation messages use the same spelling, prefixed with the stack name, so that a mistake reads
as a pointer into the file the user edits. Every problem of every service is reported at once,
one line each.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi

from external_service.component import ExternalServiceArgs, PortArgs
from external_service.errors import ConfigError, ValidationError, printable
from external_service.spec import PortSpec, ServiceSpec
from external_service.validation import (
    CONFIG_SPELLING,
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_NAMESPACE,
    default_problems,
    show,
    validate_service,
)

CONFIG_NAMESPACE = "external-services"
SERVICES_KEY = "services"
NAMESPACE_KEY = "namespace"
CLUSTER_DOMAIN_KEY = "clusterDomain"
PROJECT_KEYS = (SERVICES_KEY, NAMESPACE_KEY, CLUSTER_DOMAIN_KEY)


class ConfigSource(Protocol):
    """The part of `pulumi.Config` this module reads."""

    def get(self, key: str) -> str | None:
        """Returns a string value, or None when the key is not set."""
        ...

    def get_object(self, key: str) -> object:
        """Returns a value parsed from JSON, or None when the key is not set."""
        ...


@dataclass(frozen=True)
class StackSettings:
    """The validated configuration of one stack.

    Attributes:
        stack: The stack's name, as used in messages.
        services: The external services, in the order the stack file lists them.
    """

    stack: str
    services: tuple[ServiceSpec, ...]


def read_stack_settings(config: ConfigSource, *, stack: str) -> StackSettings:
    """Reads and validates `external-services:services` and its defaults.

    Args:
        config: The `external-services` configuration of the stack.
        stack: The stack's name, for messages.

    Returns:
        The validated settings.

    Raises:
        ConfigError: Any key is missing, misspelled or invalid; every problem is listed.
    """
    lines: list[str] = []

    def fail(where: str, message: str) -> None:
        lines.append(f"stack {printable(stack)}: {printable(where)} {message}")

    # Stack-wide defaults are checked on their own, so that a bad one is reported once. A key
    # given with no value reaches the program as empty text, which is refused, not defaulted.
    namespace = _stack_default(config, NAMESPACE_KEY, DEFAULT_NAMESPACE, fail)
    cluster_domain = _stack_default(config, CLUSTER_DOMAIN_KEY, DEFAULT_CLUSTER_DOMAIN, fail)
    if lines:
        raise ConfigError(lines)
    for problem in default_problems(namespace=namespace, cluster_domain=cluster_domain):
        fail(f"{CONFIG_NAMESPACE}:{problem.field}", problem.message)
    if lines:
        raise ConfigError(lines)
    entries = _service_entries(config, fail)

    services: list[ServiceSpec] = []
    # The name is the Pulumi resource name too, so it must be unique in the stack.
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        label = _entry_label(entry, index)
        if not isinstance(entry, Mapping):
            fail(
                label, f"{show(entry)} is not a service; give a mapping with name, addresses, ports"
            )
            continue
        try:
            service = validate_service(
                entry,
                label=label,
                default_service_name=None,
                default_namespace=namespace,
                default_cluster_domain=cluster_domain,
                spelling=CONFIG_SPELLING,
            )
        except ValidationError as error:
            lines.extend(f"stack {printable(stack)}: {line}" for line in error.lines)
            continue

        earlier = first_index.setdefault(service.service_name, index)
        if earlier != index:
            fail(
                f"{label}:",
                f"name {show(service.service_name)} repeats services[{earlier}]; each service "
                "of a stack needs its own name, even in another namespace",
            )
            continue
        services.append(service)

    if lines:
        raise ConfigError(lines)
    return StackSettings(stack=stack, services=tuple(services))


def service_args(service: ServiceSpec) -> ExternalServiceArgs:
    """The component inputs that describe an already validated service."""
    args = ExternalServiceArgs(
        service_name=service.service_name,
        namespace=service.namespace,
        ports=[_port_args(port) for port in service.ports],
        labels=dict(service.labels),
        annotations=dict(service.annotations),
        cluster_domain=service.cluster_domain,
        endpoint_kind=service.endpoint_kind,
        headless=service.headless,
        adopt=service.adopt,
    )
    if service.hostname is not None:
        args["hostname"] = service.hostname
    else:
        args["addresses"] = [str(address) for address in service.addresses]
    return args


def _port_args(port: PortSpec) -> PortArgs:
    args = PortArgs(port=port.port, target_port=port.target_port, protocol=port.protocol)
    if port.name is not None:
        args["name"] = port.name
    if port.app_protocol is not None:
        args["app_protocol"] = port.app_protocol
    return args


def _stack_default(
    config: ConfigSource, key: str, default: str, fail: Callable[[str, str], None]
) -> str:
    """A stack-wide default: its value, the built-in default when unset, refused when empty."""
    value = config.get(key)
    if value is None:
        return default
    if not value.strip():
        fail(
            f"{CONFIG_NAMESPACE}:{key}",
            f"is empty; give a value, or leave the key out for the default {show(default)}",
        )
    return value


def _service_entries(config: ConfigSource, fail: Callable[[str, str], None]) -> list[object]:
    key = f"{CONFIG_NAMESPACE}:{SERVICES_KEY}"
    if config.get(SERVICES_KEY) == "":
        fail(key, "is empty; list the external services of this stack under it")
        return []
    try:
        entries = config.get_object(SERVICES_KEY)
    except pulumi.ConfigTypeError as error:
        fail(key, f"is not valid JSON ({error.__cause__}); give a list of services")
        return []
    if entries is None:
        fail(key, "is missing; list the external services of this stack under it")
        return []
    if not isinstance(entries, list):
        fail(key, f"{show(entries)} is not a list; give a list of services")
        return []
    if not entries:
        # An empty list would have `pulumi up` delete every service of the stack: more likely a
        # file with its entries commented out than a wish, and `pulumi destroy` says it plainly.
        fail(
            key,
            "is an empty list; list the external services of this stack under it (to remove "
            "every service of the stack, run pulumi destroy)",
        )
    return entries


def _entry_label(entry: object, index: int) -> str:
    """How messages name one entry: its name when it has a usable one, else its position."""
    if isinstance(entry, Mapping):
        name = entry.get(CONFIG_SPELLING.key("service_name"))
        if isinstance(name, str) and name:
            return name
    return f"services[{index}]"
