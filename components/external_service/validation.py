"""The input rules of an external service, applied before any resource is registered.

One function, `validate_service`, turns raw input (a Python dict of snake_case keys, or one entry
of the stack config with keys spelled as in Kubernetes manifests) into a `ServiceSpec`, or raises a
`ValidationError` that lists every problem at once. Each rule mirrors what the Kubernetes API
server would refuse, so that a mistake is caught on the reviewer's machine rather than halfway
through a deployment; the few rules that are stricter than Kubernetes say so in their message and
are listed in the README.
"""

import difflib
import ipaddress
import json
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard, TypeVar

from external_service.errors import Problem, ValidationError
from external_service.spec import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    SKIP_MIRROR_LABEL,
    SLICE_MANAGED_BY_LABEL,
    AddressFamily,
    EndpointKind,
    IPAddress,
    PortSpec,
    ServiceSpec,
)

DEFAULT_NAMESPACE = "default"
DEFAULT_CLUSTER_DOMAIN = "cluster.local"
PROTOCOLS = ("TCP", "UDP", "SCTP")

# An EndpointSlice holds at most 1000 endpoints, and the mirroring controller copies at most 1000
# addresses of an Endpoints object; past that, addresses are silently dropped.
MAX_ADDRESSES_PER_OBJECT = 1000
MAX_ANNOTATIONS_BYTES = 256 * 1024

# Labels this component sets itself; a user value would break the link between the objects.
RESERVED_LABELS = (MANAGED_BY_LABEL, SERVICE_NAME_LABEL, SLICE_MANAGED_BY_LABEL, SKIP_MIRROR_LABEL)

_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME_PART = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)")
_DOTTED_QUAD = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9]|-(?!-))*")

SERVICE_KEYS = (
    "service_name",
    "namespace",
    "addresses",
    "hostname",
    "ports",
    "labels",
    "annotations",
    "cluster_domain",
    "endpoint_kind",
    "headless",
    "adopt",
)
PORT_KEYS = ("name", "port", "target_port", "protocol", "app_protocol")

_T = TypeVar("_T")


@dataclass(frozen=True)
class Spelling:
    """How the keys of the input are written, so that messages use the user's own words.

    Attributes:
        service_keys: Python field name to the key the user writes, for service fields.
        port_keys: Python field name to the key the user writes, for port fields.
        from_text: Whether numbers and booleans may arrive as text, as `pulumi config set` writes
            them (`"3306"`, `"true"`).
    """

    service_keys: Mapping[str, str]
    port_keys: Mapping[str, str]
    from_text: bool = False

    def key(self, python_name: str) -> str:
        """The written form of a service field."""
        return self.service_keys[python_name]

    def port_key(self, python_name: str) -> str:
        """The written form of a port field."""
        return self.port_keys[python_name]


PYTHON_SPELLING = Spelling(
    service_keys={key: key for key in SERVICE_KEYS},
    port_keys={key: key for key in PORT_KEYS},
)
CONFIG_SPELLING = Spelling(
    service_keys={
        "service_name": "name",
        "namespace": "namespace",
        "addresses": "addresses",
        "hostname": "hostname",
        "ports": "ports",
        "labels": "labels",
        "annotations": "annotations",
        "cluster_domain": "clusterDomain",
        "endpoint_kind": "endpointKind",
        "headless": "headless",
        "adopt": "adopt",
    },
    port_keys={
        "name": "name",
        "port": "port",
        "target_port": "targetPort",
        "protocol": "protocol",
        "app_protocol": "appProtocol",
    },
    from_text=True,
)


# Longer values are cut in messages: a message must stay one readable line.
MAX_SHOWN_CHARACTERS = 80


def show(value: object) -> str:
    """Writes a value the way messages quote it: strings in quotes, the rest as JSON."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        # Python refuses to print integers of more than 4300 digits; none is a valid input.
        return f"<a {value.bit_length()}-bit number>"
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > MAX_SHOWN_CHARACTERS:
        return f"{text[:MAX_SHOWN_CHARACTERS]}... ({len(text)} characters)"
    return text


class _Report:
    """Collects the problems of one service, in the order the fields are read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(field=field_name, message=message))


def validate_service(
    values: Mapping[str, object],
    *,
    label: str,
    default_service_name: str | None,
    default_namespace: str = DEFAULT_NAMESPACE,
    default_cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    spelling: Spelling = PYTHON_SPELLING,
) -> ServiceSpec:
    """Checks every input of one external service and returns its normalised form.

    Args:
        values: The raw inputs, fully resolved, keyed as `spelling` writes them.
        label: How messages name the service (its name as the user wrote it).
        default_service_name: Service name to use when none is given; None makes it required.
        default_namespace: Namespace to use when none is given.
        default_cluster_domain: Cluster DNS domain to use when none is given.
        spelling: How keys are written in `values`.

    Returns:
        The validated service, with addresses and names in canonical form.

    Raises:
        ValidationError: One or more inputs break a rule; every problem is listed.
    """
    report = _Report()
    _check_unknown_keys(
        values.keys(),
        known=spelling.service_keys,
        other_spelling=_other(spelling).service_keys,
        field_prefix="",
        report=report,
    )

    # Names first: the service name and namespace are part of every object.
    service_name = _service_name(values, default_service_name, spelling, report)
    namespace = _dns_label(
        values.get(spelling.key("namespace"), default_namespace),
        field_name=spelling.key("namespace"),
        what="namespace",
        report=report,
    )
    cluster_domain = _cluster_domain(
        values.get(spelling.key("cluster_domain"), default_cluster_domain), spelling, report
    )

    # The shape of the service decides which rules apply to addresses and ports.
    endpoint_kind = _endpoint_kind(values, spelling, report)
    headless = _flag(values, "headless", spelling, report)
    adopt = _flag(values, "adopt", spelling, report)
    hostname, addresses = _target(values, endpoint_kind, spelling, report)
    names_dns_target = values.get(spelling.key("hostname")) is not None
    ports = _ports(
        values.get(spelling.key("ports")),
        required=not names_dns_target,
        fixed_ports=_fixed_ports_reason(names_dns_target=names_dns_target, headless=headless),
        spelling=spelling,
        report=report,
    )
    if hostname is not None and service_name is not None and namespace is not None:
        _not_itself(
            hostname,
            own_names=_own_dns_names(service_name, namespace, cluster_domain),
            field_name=spelling.key("hostname"),
            report=report,
        )
    if headless and names_dns_target:
        report.add(
            spelling.key("headless"),
            f"cannot be combined with {spelling.key('hostname')}: an ExternalName Service is "
            "a DNS alias and has no cluster IP to leave out; drop one of the two",
        )

    labels = _labels(values.get(spelling.key("labels")), spelling.key("labels"), report)
    annotations = _annotations(
        values.get(spelling.key("annotations")), spelling.key("annotations"), report
    )

    if report.problems:
        raise ValidationError(label, report.problems)
    return ServiceSpec(
        service_name=_known(service_name),
        namespace=_known(namespace),
        addresses=addresses,
        hostname=hostname,
        ports=ports,
        labels=labels,
        annotations=annotations,
        cluster_domain=_known(cluster_domain),
        endpoint_kind=_known(endpoint_kind),
        headless=headless,
        adopt=adopt,
    )


def default_problems(*, namespace: str, cluster_domain: str) -> list[Problem]:
    """Checks stack-wide defaults for the namespace and cluster domain.

    Args:
        namespace: The default namespace of a stack's services.
        cluster_domain: The cluster DNS domain of a stack's services.

    Returns:
        The problems found, with fields spelled as stack config keys.
    """
    report = _Report()
    _dns_label(namespace, field_name="namespace", what="namespace", report=report)
    _cluster_domain(cluster_domain, CONFIG_SPELLING, report)
    return report.problems


def _other(spelling: Spelling) -> Spelling:
    """The spelling the input is not in: stack config for Python input, and the reverse."""
    return CONFIG_SPELLING if spelling == PYTHON_SPELLING else PYTHON_SPELLING


def _known(value: _T | None) -> _T:
    """Narrows a value that is only None when a problem was reported."""
    if value is None:
        raise AssertionError("a field without a value was not reported as a problem")
    return value


def _check_unknown_keys(
    keys: Iterable[object],
    *,
    known: Mapping[str, str],
    other_spelling: Mapping[str, str],
    field_prefix: str,
    report: _Report,
) -> None:
    """Reports every key that is not a known field, with the key the user most likely meant.

    Args:
        keys: The keys given.
        known: Field name to key, in the spelling of the input.
        other_spelling: Field name to key, in the other spelling (stack config or Python), so
            that `targetPort` given to the Python API points at `target_port`, and back.
        field_prefix: What comes before the key in messages, e.g. `ports[0].`.
        report: Where problems go.
    """
    known_keys = sorted(known.values())
    meant = {other_spelling[name]: key for name, key in known.items()}
    for key in keys:
        if key in known_keys:
            continue
        close = difflib.get_close_matches(str(key), known_keys, n=1)
        guess = meant.get(str(key)) or (close[0] if close else None)
        hint = f"did you mean {guess!r}? " if guess else ""
        report.add(
            f"{field_prefix}{key}",
            f"is not a known key; {hint}known keys: {', '.join(known_keys)}",
        )


def _service_name(
    values: Mapping[str, object], default: str | None, spelling: Spelling, report: _Report
) -> str | None:
    key = spelling.key("service_name")
    value = values.get(key, default)
    if value is None:
        report.add(key, "is missing; give the Service name, e.g. 'plat-dev'")
        return None
    if not isinstance(value, str) or not _full_match(_DNS1035_LABEL, value, 63):
        report.add(
            key,
            f"{show(value)} is not a valid Service name; use at most 63 lowercase letters, "
            "digits and '-', starting with a letter and ending with a letter or digit "
            "(DNS-1035 label)",
        )
        return None
    return value


def _dns_label(value: object, *, field_name: str, what: str, report: _Report) -> str | None:
    if not isinstance(value, str) or not _full_match(_DNS1123_LABEL, value, 63):
        report.add(
            field_name,
            f"{show(value)} is not a valid {what}; use at most 63 lowercase letters, digits and "
            "'-', starting and ending with a letter or digit (DNS-1123 label)",
        )
        return None
    return value


def _cluster_domain(value: object, spelling: Spelling, report: _Report) -> str | None:
    key = spelling.key("cluster_domain")
    if isinstance(value, str):
        domain = value.lower().removesuffix(".")
        if _is_dns_subdomain(domain):
            return domain
    report.add(
        key,
        f"{show(value)} is not a valid cluster domain; give a DNS name such as 'cluster.local'",
    )
    return None


def _endpoint_kind(
    values: Mapping[str, object], spelling: Spelling, report: _Report
) -> EndpointKind | None:
    key = spelling.key("endpoint_kind")
    value = values.get(key, EndpointKind.ENDPOINTS.value)
    if isinstance(value, str) and value in set(EndpointKind):
        return EndpointKind(value)
    accepted = ", ".join(kind.value for kind in EndpointKind)
    report.add(key, f"{show(value)} is not an endpoint kind; use one of {accepted}")
    return None


def _flag(
    values: Mapping[str, object], python_name: str, spelling: Spelling, report: _Report
) -> bool:
    key = spelling.key(python_name)
    value = values.get(key, False)
    if isinstance(value, bool):
        return value
    if spelling.from_text and value in ("true", "false"):
        return value == "true"
    report.add(key, f"{show(value)} is not a boolean; use true or false")
    return False


def _fixed_ports_reason(*, names_dns_target: bool, headless: bool) -> str | None:
    """Why target ports must equal ports, for the kinds of Service that cannot remap ports."""
    if names_dns_target:
        return "an ExternalName Service is a DNS alias, so nothing translates the port"
    if headless:
        return "a headless Service only answers DNS, so nothing translates the port"
    return None


# Addresses and hostnames.


def _target(
    values: Mapping[str, object],
    endpoint_kind: EndpointKind | None,
    spelling: Spelling,
    report: _Report,
) -> tuple[str | None, tuple[IPAddress, ...]]:
    """Reads where traffic goes: a hostname (ExternalName) or a list of IP addresses."""
    addresses_key = spelling.key("addresses")
    hostname_key = spelling.key("hostname")
    raw_addresses = values.get(addresses_key)
    raw_hostname = values.get(hostname_key)

    if raw_hostname is not None and raw_addresses is not None:
        report.add(
            hostname_key,
            f"cannot be combined with {addresses_key}: a service either lists IP addresses "
            "(endpoints) or names one DNS target (ExternalName); drop one of the two",
        )
        return None, ()
    if raw_hostname is not None:
        if (
            endpoint_kind not in (None, EndpointKind.ENDPOINTS)
            and spelling.key("endpoint_kind") in values
        ):
            report.add(
                spelling.key("endpoint_kind"),
                f"{show(values[spelling.key('endpoint_kind')])} does not apply to a "
                f"{hostname_key} target: an ExternalName Service has no endpoints",
            )
        return _hostname(raw_hostname, hostname_key, report), ()
    if raw_addresses is None:
        report.add(
            addresses_key,
            f"is missing; give one or more IP addresses of the external server, or a "
            f"{hostname_key} for a DNS-named target",
        )
        return None, ()
    return None, _addresses(raw_addresses, addresses_key, endpoint_kind, report)


def _hostname(value: object, field_name: str, report: _Report) -> str | None:
    if not isinstance(value, str):
        report.add(
            field_name, f"{show(value)} is not a DNS name; give a name such as 'db.example.com'"
        )
        return None
    hostname = value.strip().lower().removesuffix(".")
    if _parse_ip(hostname) is not None:
        report.add(
            field_name,
            f"{show(value)} is an IP address, not a DNS name; an ExternalName Service answers "
            "with a DNS CNAME record, and a CNAME to an IP address never resolves; list the "
            "address under addresses instead",
        )
        return None
    if not _is_dns_subdomain(hostname):
        report.add(
            field_name,
            f"{show(value)} is not a valid DNS name; use lowercase letters, digits, '-' and '.', "
            "at most 253 characters and 63 per label",
        )
        return None
    not_a_server = _names_no_server(hostname)
    if not_a_server is not None:
        report.add(field_name, f"{show(value)} {not_a_server}")
        return None
    return hostname


def _names_no_server(hostname: str) -> str | None:
    """Why a well-formed DNS name cannot name an external server, or None when it can."""
    if hostname.rpartition(".")[2].isdigit():
        # No top-level domain is all digits (RFC 3696): '10.5.10', '167772165' or
        # '010.5.10.109' are addresses in disguise, which resolvers read as addresses or not at
        # all, never as names a CNAME can point to.
        return (
            "ends in an all-digit label, so it is an IP address written another way, not a DNS "
            "name; list the address under addresses instead"
        )
    if _reads_as_ipv4(hostname):
        # The resolver in a pod (inet_aton) reads '0x0a000001' or '10.0x5.10.109' as 10.5.10.109.
        address = socket.inet_ntoa(socket.inet_aton(hostname))
        return (
            f"is read by resolvers as the IPv4 address {address}, not as a DNS name; list the "
            "address under addresses instead"
        )
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return (
            "names the loopback address of whichever pod resolves it, not an external server; "
            "give the server's own DNS name"
        )
    return None


def _reads_as_ipv4(hostname: str) -> bool:
    """Whether the C library's address parser takes the name for an IPv4 address."""
    try:
        socket.inet_aton(hostname)
    except OSError:
        return False
    return True


def _own_dns_names(service_name: str, namespace: str, cluster_domain: str | None) -> set[str]:
    """The names by which pods reach this Service: short, with namespace, and fully qualified."""
    names = {service_name, f"{service_name}.{namespace}", f"{service_name}.{namespace}.svc"}
    if cluster_domain is not None:
        names.add(f"{service_name}.{namespace}.svc.{cluster_domain}")
    return names


def _not_itself(hostname: str, *, own_names: set[str], field_name: str, report: _Report) -> None:
    """Refuses an ExternalName that points at the Service's own name: a CNAME to itself."""
    if hostname in own_names:
        report.add(
            field_name,
            f"{show(hostname)} is this Service's own in-cluster name, so the CNAME would point at "
            "itself and never resolve; give the external server's DNS name",
        )


def _is_list(value: object) -> TypeGuard[Sequence[object]]:
    """Whether a value is a list of items; text and bytes are sequences too, of characters."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def _addresses(
    value: object, field_name: str, endpoint_kind: EndpointKind | None, report: _Report
) -> tuple[IPAddress, ...]:
    if not _is_list(value):
        report.add(field_name, f"{show(value)} is not a list; give a list of IP addresses")
        return ()
    if not value:
        report.add(
            field_name,
            "is empty; give at least one IP address of the external server, or the Service "
            "will resolve but send traffic nowhere",
        )
        return ()

    seen: dict[IPAddress, int] = {}
    for index, raw in enumerate(value):
        address = _address(raw, f"{field_name}[{index}]", report)
        if address is None:
            continue
        if address in seen:
            report.add(
                f"{field_name}[{index}]",
                f"{show(raw)} repeats {field_name}[{seen[address]}]; list each address once",
            )
            continue
        seen[address] = index

    addresses = tuple(seen)
    _check_address_counts(addresses, field_name, endpoint_kind, report)
    return addresses


def _address(raw: object, field_name: str, report: _Report) -> IPAddress | None:
    """Parses one endpoint address and applies the rules the API server applies to it."""
    if not isinstance(raw, str):
        report.add(field_name, f"{show(raw)} is not an IP address; write it as a string")
        return None
    if "%" in raw:
        report.add(
            field_name,
            f"{show(raw)} has a zone index ('%...'); Kubernetes takes plain IP addresses only",
        )
        return None
    address = _parse_ip(raw)
    if address is None and _DOTTED_QUAD.fullmatch(raw):
        report.add(field_name, f"{show(raw)} {_dotted_quad_problem(raw)}")
        return None
    if address is None:
        report.add(
            field_name,
            f"{show(raw)} is not an IP address; endpoints hold IPv4 or IPv6 addresses only "
            "(for a DNS-named target use hostname instead)",
        )
        return None
    reason = _unusable_address_reason(address)
    if reason is not None:
        report.add(field_name, f"{show(raw)} {reason}")
        return None
    return address


def _dotted_quad_problem(raw: str) -> str:
    """Why four dot-separated groups of digits that do not parse are not an IPv4 address."""
    octets = raw.split(".")
    too_large = [octet for octet in octets if int(octet) > 255]
    if too_large:
        return (
            f"is not an IPv4 address: octet {too_large[0]} is larger than 255; each of the four "
            "octets is a number from 0 to 255"
        )
    return (
        "has an octet with a leading zero, which some readers take as octal; write each octet "
        "without leading zeros"
    )


def _unusable_address_reason(address: IPAddress) -> str | None:
    """Why an address cannot be an endpoint, or None; the first reason that applies."""
    return _refused_by_kubernetes(address) or _refused_by_project(address)


def _refused_by_kubernetes(address: IPAddress) -> str | None:
    """Why the API server would refuse the address as an endpoint, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # The advice to write the IPv4 address only holds where that address is usable itself.
        inner_reason = _unusable_address_reason(address.ipv4_mapped)
        advice = (
            f"the IPv4 address inside it, '{address.ipv4_mapped}', {inner_reason}"
            if inner_reason is not None
            else f"write the IPv4 address '{address.ipv4_mapped}' instead"
        )
        return f"is an IPv4-mapped IPv6 address, which Kubernetes refuses; {advice}"
    if address.is_unspecified:
        return (
            "is the unspecified address, which is not a destination; give the server's own "
            "IP address"
        )
    if address.is_loopback:
        return "is a loopback address; Kubernetes rejects loopback endpoints"
    if address.is_link_local:
        return "is a link-local address; Kubernetes rejects link-local endpoints"
    return None


def _refused_by_project(address: IPAddress) -> str | None:
    """Why the address cannot be a server although the API server accepts it, or None.

    The API server only refuses link-local multicast; neither the broadcast address nor a
    multicast group can be the server end of a connection (README, "Stricter than Kubernetes").
    """
    if address == _BROADCAST:
        return (
            "is the broadcast address; a Service needs the server's unicast address "
            "(this project refuses it, Kubernetes does not)"
        )
    if address.is_multicast:
        return (
            "is a multicast address; a Service needs the server's unicast address "
            "(this project refuses all multicast, Kubernetes only link-local multicast)"
        )
    return None


_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _check_address_counts(
    addresses: tuple[IPAddress, ...],
    field_name: str,
    endpoint_kind: EndpointKind | None,
    report: _Report,
) -> None:
    families = {AddressFamily.of(address) for address in addresses}
    if endpoint_kind == EndpointKind.ENDPOINTS and len(families) > 1:
        # A v1 Endpoints object has no address family; a dual-stack service is written as one
        # EndpointSlice per family instead of relying on how a mixed object gets mirrored.
        report.add(
            field_name,
            "mixes IPv4 and IPv6 addresses; a dual-stack service needs one EndpointSlice per "
            f"family, so set endpointKind to {EndpointKind.ENDPOINT_SLICE.value} or "
            f"{EndpointKind.BOTH.value} (endpoint_kind in Python)",
        )
    for family in sorted(families):
        count = sum(1 for address in addresses if AddressFamily.of(address) == family)
        if count > MAX_ADDRESSES_PER_OBJECT:
            report.add(
                field_name,
                f"has {count} {family} addresses; at most {MAX_ADDRESSES_PER_OBJECT} per "
                "family fit in one Endpoints object or EndpointSlice",
            )


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


# Ports.


def _ports(
    value: object,
    *,
    required: bool,
    fixed_ports: str | None,
    spelling: Spelling,
    report: _Report,
) -> tuple[PortSpec, ...]:
    field_name = spelling.key("ports")
    if value is None:
        if required:
            report.add(field_name, "is missing; give at least one port, e.g. [{port: 3306}]")
        return ()
    if not _is_list(value):
        report.add(field_name, f"{show(value)} is not a list; give a list of ports")
        return ()
    if not value and required:
        report.add(field_name, "is empty; give at least one port, e.g. [{port: 3306}]")
        return ()

    ports: list[tuple[int, PortSpec]] = []
    for index, raw in enumerate(value):
        port = _port(
            raw,
            field_prefix=f"{field_name}[{index}]",
            named_required=len(value) > 1,
            fixed_ports=fixed_ports,
            spelling=spelling,
            report=report,
        )
        if port is not None:
            ports.append((index, port))
    _check_port_duplicates(ports, field_name, spelling, report)
    return tuple(port for _, port in ports)


def _port(
    raw: object,
    *,
    field_prefix: str,
    named_required: bool,
    fixed_ports: str | None,
    spelling: Spelling,
    report: _Report,
) -> PortSpec | None:
    if not isinstance(raw, Mapping):
        report.add(field_prefix, f"{show(raw)} is not a port; give a mapping such as {{port: 80}}")
        return None
    problems_before = len(report.problems)
    _check_unknown_keys(
        raw.keys(),
        known=spelling.port_keys,
        other_spelling=_other(spelling).port_keys,
        field_prefix=f"{field_prefix}.",
        report=report,
    )

    def key(python_name: str) -> str:
        return f"{field_prefix}.{spelling.port_key(python_name)}"

    number = _port_number(raw.get(spelling.port_key("port")), key("port"), spelling, report)
    raw_target = raw.get(spelling.port_key("target_port"))
    target = (
        number
        if raw_target is None
        else _port_number(raw_target, key("target_port"), spelling, report)
    )
    name = _port_name(raw.get(spelling.port_key("name")), key("name"), named_required, report)
    protocol = _protocol(raw.get(spelling.port_key("protocol"), "TCP"), key("protocol"), report)
    app_protocol = _app_protocol(
        raw.get(spelling.port_key("app_protocol")), key("app_protocol"), report
    )

    if fixed_ports is not None and number is not None and target is not None and number != target:
        report.add(
            key("target_port"),
            f"{target} differs from port {number}; {fixed_ports}: port and "
            f"{spelling.port_key('target_port')} must be equal",
        )
    if len(report.problems) > problems_before or number is None or target is None:
        return None
    return PortSpec(
        name=name,
        port=number,
        target_port=target,
        protocol=_known(protocol),
        app_protocol=app_protocol,
    )


def _port_number(value: object, field_name: str, spelling: Spelling, report: _Report) -> int | None:
    if value is None:
        report.add(field_name, "is missing; give a port number from 1 to 65535")
        return None
    number: object = value
    if spelling.from_text and isinstance(value, str) and value.isascii() and value.isdigit():
        # More than five digits (leading zeros aside) is out of range anyway; no need to convert
        # a huge number.
        significant = value.lstrip("0") or "0"
        number = int(significant) if len(significant) <= 5 else 65536
    if isinstance(number, bool) or not isinstance(number, int):
        report.add(field_name, f"{show(value)} is not a whole number; give a port from 1 to 65535")
        return None
    if not 1 <= number <= 65535:
        report.add(field_name, f"{show(value)} is outside the port range; give 1 to 65535")
        return None
    return number


def _port_name(value: object, field_name: str, required: bool, report: _Report) -> str | None:
    if value is None:
        if required:
            report.add(
                field_name,
                "is missing; Kubernetes requires every port to be named when a Service has "
                "more than one port",
            )
        return None
    if (
        not isinstance(value, str)
        or not _full_match(_PORT_NAME, value, 15)
        or value.endswith("-")
        or not any(char.isalpha() for char in value)
    ):
        report.add(
            field_name,
            f"{show(value)} is not a valid port name; use at most 15 lowercase letters, digits "
            "and '-', with at least one letter and no leading, trailing or double '-' "
            "(IANA service name)",
        )
        return None
    return value


def _protocol(value: object, field_name: str, report: _Report) -> str | None:
    if isinstance(value, str) and value in PROTOCOLS:
        return value
    report.add(field_name, f"{show(value)} is not a protocol; use one of {', '.join(PROTOCOLS)}")
    return None


def _app_protocol(value: object, field_name: str, report: _Report) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and _is_qualified_name(value):
        return value
    report.add(
        field_name,
        f"{show(value)} is not a valid application protocol; use a name such as 'mysql', "
        "'http' or 'kubernetes.io/h2c' (a Kubernetes qualified name)",
    )
    return None


def _check_port_duplicates(
    ports: Sequence[tuple[int, PortSpec]], field_name: str, spelling: Spelling, report: _Report
) -> None:
    """Reports repeated names and port/protocol pairs, by each port's place in the input."""
    names: dict[str, int] = {}
    numbers: dict[tuple[int, str], int] = {}
    for index, port in ports:
        where = f"{field_name}[{index}]"
        if port.name is not None:
            if port.name in names:
                report.add(
                    f"{where}.{spelling.port_key('name')}",
                    f"{show(port.name)} repeats {field_name}[{names[port.name]}]; give each "
                    "port its own name",
                )
            names.setdefault(port.name, index)
        number = (port.port, port.protocol)
        if number in numbers:
            report.add(
                where,
                f"repeats port {port.port}/{port.protocol} of {field_name}[{numbers[number]}]; "
                "each port and protocol pair may appear once",
            )
        numbers.setdefault(number, index)


# Labels and annotations.


def _labels(value: object, field_name: str, report: _Report) -> dict[str, str]:
    labels = _string_map(value, field_name, report)
    for key, label_value in labels.items():
        if key in RESERVED_LABELS:
            report.add(
                f"{field_name}.{key}",
                "is set by this component to link the Service and its endpoints; remove it",
            )
        if not (label_value == "" or _full_match(_QUALIFIED_NAME_PART, label_value, 63)):
            report.add(
                f"{field_name}.{key}",
                f"{show(label_value)} is not a valid label value; use at most 63 letters, "
                "digits, '-', '_' and '.', starting and ending with a letter or digit",
            )
    return labels


def _annotations(value: object, field_name: str, report: _Report) -> dict[str, str]:
    annotations = _string_map(value, field_name, report)
    size = sum(len(key.encode()) + len(text.encode()) for key, text in annotations.items())
    if size > MAX_ANNOTATIONS_BYTES:
        report.add(field_name, f"total {size} bytes; Kubernetes allows at most 256 KiB")
    return annotations


def _string_map(value: object, field_name: str, report: _Report) -> dict[str, str]:
    """Reads a mapping of qualified-name keys to string values (labels, annotations)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        report.add(field_name, f"{show(value)} is not a mapping; give key: value pairs")
        return {}
    result: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not _is_qualified_name(key):
            report.add(
                f"{field_name}.{key}",
                "is not a valid key; use an optional DNS prefix and '/', then at most 63 "
                "letters, digits, '-', '_' and '.' (e.g. 'team' or 'example.com/team')",
            )
            continue
        if not isinstance(text, str):
            report.add(f"{field_name}.{key}", f"{show(text)} is not a string; quote the value")
            continue
        result[key] = text
    return result


# Name syntax shared by several fields.


def _full_match(pattern: re.Pattern[str], text: str, max_length: int) -> bool:
    return len(text) <= max_length and pattern.fullmatch(text) is not None


def _is_dns_subdomain(text: str) -> bool:
    return _full_match(_DNS1123_SUBDOMAIN, text, 253) and all(
        len(part) <= 63 for part in text.split(".")
    )


def _is_qualified_name(text: str) -> bool:
    prefix, slash, name = text.rpartition("/")
    if slash and not _is_dns_subdomain(prefix):
        return False
    return _full_match(_QUALIFIED_NAME_PART, name, 63)
