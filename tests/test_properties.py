"""Property tests of the input rules, in both spellings, and of the manifests they lead to.

Valid inputs are generated field by field from the rules the Kubernetes API server applies; each
must validate to the expected normalised `ServiceSpec`, and every object the component would
register for it must pass the official Kubernetes JSON schemas (strict: no unknown fields) of the
oldest and the newest Kubernetes version that kubernetes-validate ships. Invalid inputs are a valid
input with exactly one field broken; each must be refused with one problem that names that field
in the user's spelling and quotes the bad value.
"""

import copy
import functools
import ipaddress
import json
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import kubernetes_validate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from external_service.errors import ValidationError, printable
from external_service.manifests import (
    Manifest,
    endpoint_slice_manifests,
    endpoints_manifest,
    service_manifest,
)
from external_service.spec import (
    SERVICE_NAME_LABEL,
    AddressFamily,
    EndpointKind,
    IPAddress,
    PortSpec,
    ServiceSpec,
)
from external_service.validation import (
    CONFIG_SPELLING,
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_NAMESPACE,
    PROTOCOLS,
    PYTHON_SPELLING,
    Spelling,
    validate_service,
)
from tests.strategies import (
    LOWER,
    LOWER_ALNUM,
    annotation_values,
    app_protocols,
    dns_labels,
    dns_subdomains,
    endpoint_addresses,
    hostnames,
    label_keys,
    label_values,
    names_other_than,
    parses_as_ip,
    port_names,
    qualified_names,
    service_names,
)

# How messages name the service under test.
LABEL = "generated"

# 1.25 is the oldest version kubernetes-validate 1.37 ships; discovery.k8s.io/v1 (EndpointSlice)
# is GA since 1.21, so every object we write has a schema in both.
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")

each_spelling = pytest.mark.parametrize(
    "spelling", [PYTHON_SPELLING, CONFIG_SPELLING], ids=["python-spelling", "config-spelling"]
)

spellings = st.sampled_from([PYTHON_SPELLING, CONFIG_SPELLING])

MAX_PORTS = 5
MAX_ADDRESSES = 6


@pytest.fixture(scope="module", autouse=True)
def _parse_each_schema_once() -> Iterator[None]:
    """Keeps kubernetes-validate from parsing its 1.8 MB schema file on every call.

    `validate` re-reads and re-parses the definitions file each time, three quarters of its run
    time; caching the parsed files leaves the validation itself untouched and lets the schema
    test try several times as many inputs in the same time. If the library renames the function,
    `setattr` fails loudly rather than silently testing nothing.
    """
    utils = kubernetes_validate.utils
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, "schema_contents", functools.cache(utils.schema_contents))
        patch.setattr(utils, "all_versions", functools.cache(utils.all_versions))
        yield


address_lists = {
    family: st.lists(addresses, min_size=1, max_size=MAX_ADDRESSES, unique=True)
    for family, addresses in endpoint_addresses.items()
}
# EndpointSlice and Both write one slice per family, so they take both families in one service.
mixed_address_lists = st.lists(
    endpoint_addresses[AddressFamily.IPV4] | endpoint_addresses[AddressFamily.IPV6],
    min_size=1,
    max_size=MAX_ADDRESSES,
    unique=True,
)

# The ways a user may write an IPv6 address; validation must canonicalise each one.
IPV6_SPELLINGS: tuple[Callable[[ipaddress.IPv6Address], str], ...] = (
    str,
    lambda address: address.exploded,
    lambda address: str(address).upper(),
)
ipv6_spellings = st.sampled_from(IPV6_SPELLINGS)


def spelled_address(draw: st.DrawFn, address: IPAddress) -> str:
    """One way a user may write an address: IPv4 has one, IPv6 several."""
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return draw(ipv6_spellings)(address)


# Generated valid inputs.


@dataclass(frozen=True)
class ValidService:
    """A generated valid input and the spec it must validate to.

    Attributes:
        spelling: How the keys of `values` are written.
        values: The raw input, as a user would give it.
        default_service_name: What the caller passes for a missing name (None for config).
        expected: The normalised spec `validate_service` must return.
    """

    spelling: Spelling
    values: dict[str, object]
    default_service_name: str | None
    expected: ServiceSpec

    def validate(self, values: dict[str, object] | None = None) -> ServiceSpec:
        """Validates `values`, or else this input's own values, as the callers do."""
        return validate_service(
            self.values if values is None else values,
            label=LABEL,
            default_service_name=self.default_service_name,
            spelling=self.spelling,
        )

    def field(self, python_name: str) -> str:
        """A service field as messages spell it."""
        return self.spelling.key(python_name)

    def port_field(self, index: int, python_name: str | None = None) -> str:
        """A port, or one field of it, as messages spell it, e.g. `ports[1].targetPort`."""
        where = f"{self.spelling.key('ports')}[{index}]"
        return where if python_name is None else f"{where}.{self.spelling.port_key(python_name)}"


def spelled_number(draw: st.DrawFn, spelling: Spelling, number: int) -> object:
    """A port number as written: config may carry it as text, as `pulumi config set` does."""
    return str(number) if spelling.from_text and draw(st.booleans()) else number


def write_flag(
    draw: st.DrawFn, values: dict[str, object], spelling: Spelling, python_name: str, flag: bool
) -> None:
    """Writes a flag if set, and sometimes if not; config may carry it as text."""
    if flag or draw(st.booleans()):
        text = "true" if flag else "false"
        written = text if spelling.from_text and draw(st.booleans()) else flag
        values[spelling.key(python_name)] = written


port_numbers = st.integers(min_value=1, max_value=65535)
optional_port_numbers = st.none() | port_numbers
optional_app_protocols = st.none() | app_protocols
# Port names unique, and port/protocol pairs unique: the two rules Kubernetes applies to a list.
bare_port_lists = {
    min_size: st.lists(
        st.tuples(port_names, port_numbers, st.sampled_from(PROTOCOLS)),
        min_size=min_size,
        max_size=MAX_PORTS,
        unique_by=(lambda port: port[0], lambda port: (port[1], port[2])),
    )
    for min_size in (0, 1)
}


def spelled_port(draw: st.DrawFn, spelling: Spelling, port: PortSpec) -> dict[str, object]:
    """A port as written: defaults (no target port, TCP) sometimes written, sometimes implied."""
    raw: dict[str, object] = {}
    if port.name is not None:
        raw[spelling.port_key("name")] = port.name
    raw[spelling.port_key("port")] = spelled_number(draw, spelling, port.port)
    if port.target_port != port.port or draw(st.booleans()):
        raw[spelling.port_key("target_port")] = spelled_number(draw, spelling, port.target_port)
    if port.protocol != "TCP" or draw(st.booleans()):
        raw[spelling.port_key("protocol")] = port.protocol
    if port.app_protocol is not None:
        raw[spelling.port_key("app_protocol")] = port.app_protocol
    return raw


@st.composite
def port_lists(
    draw: st.DrawFn, spelling: Spelling, *, min_size: int, fixed_ports: bool
) -> list[tuple[PortSpec, dict[str, object]]]:
    """Ports with unique names and unique port/protocol pairs, each with its written form.

    With `fixed_ports` (headless or ExternalName, where nothing translates ports) a target port
    always equals its port; otherwise it may differ.
    """
    bare_ports = draw(bare_port_lists[min_size])
    # A single port may go unnamed; with several, Kubernetes needs every one named.
    named = len(bare_ports) > 1 or draw(st.booleans())

    ports: list[tuple[PortSpec, dict[str, object]]] = []
    for name, number, protocol in bare_ports:
        target = None if fixed_ports else draw(optional_port_numbers)
        port = PortSpec(
            name=name if named else None,
            port=number,
            target_port=number if target is None else target,
            protocol=protocol,
            app_protocol=draw(optional_app_protocols),
        )
        ports.append((port, spelled_port(draw, spelling, port)))
    return ports


optional_endpoint_kinds = st.none() | st.sampled_from(EndpointKind)
address_families = st.sampled_from(AddressFamily)


@st.composite
def address_targets(
    draw: st.DrawFn, spelling: Spelling
) -> tuple[dict[str, object], EndpointKind, tuple[IPAddress, ...]]:
    """The endpoint kind and the addresses, as written, of a service with IP endpoints."""
    values: dict[str, object] = {}
    kind_written = draw(optional_endpoint_kinds)
    kind = EndpointKind.ENDPOINTS if kind_written is None else kind_written
    if kind_written is not None:
        values[spelling.key("endpoint_kind")] = kind_written.value

    # A dual-stack service needs one EndpointSlice per family, so an Endpoints-only service takes
    # one family; EndpointSlice and Both take a mix.
    if kind == EndpointKind.ENDPOINTS:
        addresses = draw(address_lists[draw(address_families)])
    else:
        addresses = draw(mixed_address_lists)
    values[spelling.key("addresses")] = [spelled_address(draw, a) for a in addresses]
    return values, kind, tuple(addresses)


optional_dns_labels = st.none() | dns_labels
optional_dns_subdomains = st.none() | dns_subdomains
root_dots = st.sampled_from(["", "."])
# One service in four aliases a DNS name rather than listing addresses.
names_dns_targets = st.sampled_from([False, False, False, True])
label_maps = st.dictionaries(label_keys, label_values, max_size=3)
annotation_maps = st.dictionaries(qualified_names, annotation_values, max_size=3)


@st.composite
def valid_services(
    draw: st.DrawFn,
    spelling: Spelling,
    *,
    min_ports: int = 0,
    addresses_only: bool = False,
    metadata: bool = True,
) -> ValidService:
    """A valid input in `spelling`: IP endpoints or an ExternalName, with optional fields.

    Args:
        draw: Draws from other strategies.
        spelling: How the keys are written.
        min_ports: The fewest ports to give (an ExternalName may have none).
        addresses_only: Whether to leave out ExternalName inputs.
        metadata: Whether to give labels and annotations.
    """
    values: dict[str, object] = {}

    # Config entries must name themselves; the Python caller passes the resource name instead.
    service_name = draw(service_names)
    written_name = spelling.from_text or draw(st.booleans())
    if written_name:
        values[spelling.key("service_name")] = service_name
    namespace = draw(optional_dns_labels)
    if namespace is not None:
        values[spelling.key("namespace")] = namespace
    cluster_domain = draw(optional_dns_subdomains)
    if cluster_domain is not None:
        # The domain is read case-insensitively and with or without the root dot.
        written = cluster_domain.upper() if draw(st.booleans()) else cluster_domain
        values[spelling.key("cluster_domain")] = written + draw(root_dots)

    # An ExternalName takes no endpoint kind but the default, cannot be headless, needs no ports.
    hostname: str | None = None
    addresses: tuple[IPAddress, ...] = ()
    headless = False
    if not addresses_only and draw(names_dns_targets):
        hostname = draw(hostnames.filter(names_other_than(service_name)))
        values[spelling.key("hostname")] = hostname.upper() if draw(st.booleans()) else hostname
        kind = EndpointKind.ENDPOINTS
        if draw(st.booleans()):
            values[spelling.key("endpoint_kind")] = kind.value
    else:
        target_values, kind, addresses = draw(address_targets(spelling))
        values.update(target_values)
        headless = draw(st.booleans())
    write_flag(draw, values, spelling, "headless", headless)
    adopt = draw(st.booleans())
    write_flag(draw, values, spelling, "adopt", adopt)

    ports = draw(
        port_lists(
            spelling,
            min_size=max(min_ports, 1 if hostname is None else 0),
            fixed_ports=headless or hostname is not None,
        )
    )
    # An empty list or mapping may be written out or left out.
    if len(ports) > 0 or draw(st.booleans()):
        values[spelling.key("ports")] = [raw for _, raw in ports]
    labels = draw(label_maps) if metadata else {}
    if len(labels) > 0 or draw(st.booleans()):
        values[spelling.key("labels")] = labels
    annotations = draw(annotation_maps) if metadata else {}
    if len(annotations) > 0 or draw(st.booleans()):
        values[spelling.key("annotations")] = annotations

    expected = ServiceSpec(
        service_name=service_name,
        namespace=DEFAULT_NAMESPACE if namespace is None else namespace,
        addresses=addresses,
        hostname=hostname,
        ports=tuple(port for port, _ in ports),
        labels=labels,
        annotations=annotations,
        cluster_domain=DEFAULT_CLUSTER_DOMAIN if cluster_domain is None else cluster_domain,
        endpoint_kind=kind,
        headless=headless,
        adopt=adopt,
    )
    return ValidService(
        spelling=spelling,
        values=values,
        default_service_name=None if written_name else service_name,
        expected=expected,
    )


def registered_manifests(spec: ServiceSpec) -> list[Manifest]:
    """The objects the component registers for a spec: the same choices as `ExternalService`."""
    manifests = [service_manifest(spec)]
    if spec.hostname is None:
        if spec.endpoint_kind.writes_endpoints:
            manifests.append(endpoints_manifest(spec))
        if spec.endpoint_kind.writes_slices:
            manifests.extend(endpoint_slice_manifests(spec))
    return manifests


def describe(manifest: Manifest) -> str:
    """Names an object in assertion messages, e.g. `EndpointSlice db-ipv6`."""
    return f"{manifest['kind']} {manifest['metadata']['name']}"


def schema_problem(manifest: Manifest, version: str) -> str | None:
    """Why the Kubernetes JSON schema of `version` refuses the manifest, or None if it takes it."""
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        return f"{describe(manifest)} fails the {version} schema at {path}: {error.message}"
    return None


# Generated invalid inputs: a valid input with one field broken.


@dataclass(frozen=True)
class Broken:
    """A valid input with one field broken, and how the one problem must read.

    Attributes:
        values: The input with the broken field.
        field: The field the problem must name, in the input's spelling.
        fragments: Text the problem's message must contain: the bad value, quoted as messages
            quote it, or what an unknown key or a repeat is reported as.
    """

    values: dict[str, object]
    field: str
    fragments: tuple[str, ...]


Breaker = Callable[[st.DrawFn, ValidService], Broken]


def with_bad_value(values: dict[str, object], field: str, bad: object) -> Broken:
    """An input whose `field` holds `bad`, which the problem's message must quote."""
    return Broken(values=values, field=field, fragments=(quoted(bad),))


def quoted(value: object) -> str:
    """A value as messages quote it: strings in Python quotes, everything else as JSON."""
    return repr(value) if isinstance(value, str) else json.dumps(value)


def raw_ports(values: dict[str, object], spelling: Spelling) -> list[dict[str, object]]:
    """The port mappings of an input (which the broken inputs always have)."""
    ports = values[spelling.key("ports")]
    assert isinstance(ports, list), "broken inputs are drawn with at least one port"
    return ports


def a_port(draw: st.DrawFn, service: ValidService) -> tuple[dict[str, object], int]:
    """A copy of the input and the index of one of its ports, to break that port."""
    values = copy.deepcopy(service.values)
    index = draw(st.integers(min_value=0, max_value=len(raw_ports(values, service.spelling)) - 1))
    return values, index


# Addresses of every kind the rules refuse. Each class is a mistake a user makes: a name or a
# CIDR where an address belongs, a zone index copied from `ip addr`, or an address the API server
# refuses as an endpoint.
REFUSED_NETWORKS = (
    "0.0.0.0/32",  # unspecified
    "::/128",
    "127.0.0.0/8",  # loopback
    "::1/128",
    "169.254.0.0/16",  # link-local
    "fe80::/10",
    "224.0.0.0/4",  # multicast: this project refuses all of it, Kubernetes link-local only
    "ff00::/8",
    "::ffff:0:0/96",  # IPv4-mapped
)
refused_addresses = st.sampled_from(REFUSED_NETWORKS).flatmap(
    lambda network: st.ip_addresses(network=network)
)
ipv4_addresses = st.ip_addresses(v=4)
not_addresses = (
    st.text(max_size=20)
    | hostnames
    | st.builds("{}/{}".format, ipv4_addresses, st.integers(min_value=0, max_value=32))
    | st.builds("{}:{}".format, ipv4_addresses, port_numbers)
    | st.builds(" {} ".format, ipv4_addresses)
    | ipv4_addresses.map(lambda address: "0" + str(address))  # a leading zero
).filter(lambda text: "%" not in text and not parses_as_ip(text))
zone_index_addresses = st.builds(
    "{}%{}".format, st.ip_addresses(v=6), st.text(alphabet=LOWER_ALNUM, min_size=1, max_size=8)
)
non_text_values = st.integers() | st.floats() | st.booleans() | st.none()
bad_addresses = refused_addresses.map(str) | not_addresses | zone_index_addresses | non_text_values


def bad_address(draw: st.DrawFn, service: ValidService) -> Broken:
    values = copy.deepcopy(service.values)
    addresses = values[service.field("addresses")]
    assert isinstance(addresses, list)
    index = draw(st.integers(min_value=0, max_value=len(addresses)), label="at")
    bad = draw(bad_addresses, label="bad address")
    addresses.insert(index, bad)
    return with_bad_value(values, f"{service.field('addresses')}[{index}]", bad)


def repeated_address(draw: st.DrawFn, service: ValidService) -> Broken:
    values = copy.deepcopy(service.values)
    addresses = values[service.field("addresses")]
    assert isinstance(addresses, list)
    first = draw(st.integers(min_value=0, max_value=len(addresses) - 1), label="first")
    # The repeat may be spelled differently; it is the same address all the same.
    repeat = spelled_address(draw, service.expected.addresses[first])
    index = draw(st.integers(min_value=first + 1, max_value=len(addresses)), label="at")
    addresses.insert(index, repeat)
    key = service.field("addresses")
    return Broken(
        values=values,
        field=f"{key}[{index}]",
        fragments=(quoted(repeat), f"repeats {key}[{first}]"),
    )


# Port numbers: out of range, or not whole numbers. None is left out: a missing port is reported
# without a value, and a missing target port means "the same as port".
out_of_range_numbers = st.integers(max_value=0) | st.integers(min_value=65536)
non_numbers = (
    st.floats()
    | st.booleans()
    | st.text(max_size=8).filter(lambda text: not (text.isascii() and text.isdigit()))
)
# Keyed by whether numbers may arrive as text. Python callers pass ints, so any text is refused;
# config text that spells a whole number is read as one, so only its out-of-range values are bad.
bad_port_numbers = {
    False: out_of_range_numbers | non_numbers | port_numbers.map(str),
    True: out_of_range_numbers | non_numbers | st.integers(min_value=65536).map(str) | st.just("0"),
}
number_fields = st.sampled_from(["port", "target_port"])


def bad_port_number(draw: st.DrawFn, service: ValidService) -> Broken:
    values, index = a_port(draw, service)
    python_name = draw(number_fields, label="field")
    bad = draw(bad_port_numbers[service.spelling.from_text], label="bad number")
    raw_ports(values, service.spelling)[index][service.spelling.port_key(python_name)] = bad
    return with_bad_value(values, service.port_field(index, python_name), bad)


# Port names that break one IANA rule each. None is left out: a single port may be unnamed.
bad_port_names = (
    port_names.map(str.upper)
    | st.text(alphabet=LOWER, min_size=16, max_size=24)  # too long
    | port_names.map(lambda name: f"-{name}")
    | port_names.map(lambda name: f"{name}-")
    | st.builds("{}--{}".format, port_names, port_names)
    | st.text(alphabet=string.digits, min_size=1, max_size=15)  # no letter: reads as a number
    | st.builds("{}{}{}".format, port_names, st.sampled_from("_. /"), port_names)
    | st.just("")
    | st.integers()
)


def bad_port_name(draw: st.DrawFn, service: ValidService) -> Broken:
    values, index = a_port(draw, service)
    bad = draw(bad_port_names, label="bad name")
    raw_ports(values, service.spelling)[index][service.spelling.port_key("name")] = bad
    return with_bad_value(values, service.port_field(index, "name"), bad)


# Names that break the DNS-1123 label rule, and so the DNS-1035 rule too. None is left out: a
# missing name or namespace takes its default.
bad_dns_labels = (
    service_names.map(str.upper)
    | st.text(alphabet=LOWER, min_size=64, max_size=70)  # too long
    | service_names.map(lambda name: f"-{name}")
    | service_names.map(lambda name: f"{name}-")
    | st.builds("{}{}{}".format, service_names, st.sampled_from("_./ "), dns_labels)
    | st.just("")
    | st.integers()
    | st.lists(service_names, min_size=1, max_size=2)
)
# A Service name is a DNS-1035 label: also refused when it starts with a digit.
bad_service_names = bad_dns_labels | st.builds(
    "{}{}".format, st.sampled_from(string.digits), service_names
)


def bad_service_name(draw: st.DrawFn, service: ValidService) -> Broken:
    values = copy.deepcopy(service.values)
    bad = draw(bad_service_names, label="bad name")
    values[service.field("service_name")] = bad
    return with_bad_value(values, service.field("service_name"), bad)


def bad_namespace(draw: st.DrawFn, service: ValidService) -> Broken:
    values = copy.deepcopy(service.values)
    bad = draw(bad_dns_labels, label="bad namespace")
    values[service.field("namespace")] = bad
    return with_bad_value(values, service.field("namespace"), bad)


# Protocols in the wrong case, protocols Kubernetes has no such field value for, and non-text.
bad_protocols = (
    st.sampled_from(PROTOCOLS).map(str.lower)
    | st.sampled_from(["Tcp", "HTTP", "ICMP", "TCP/UDP", "tcp "])
    | st.text(max_size=8).filter(lambda text: text not in PROTOCOLS)
    | st.integers()
)


def unknown_protocol(draw: st.DrawFn, service: ValidService) -> Broken:
    values, index = a_port(draw, service)
    bad = draw(bad_protocols, label="bad protocol")
    raw_ports(values, service.spelling)[index][service.spelling.port_key("protocol")] = bad
    return with_bad_value(values, service.port_field(index, "protocol"), bad)


def dropped_letter(key: str, index: int) -> str:
    """A key with one letter left out, the commonest typo."""
    index %= len(key)
    return key[:index] + key[index + 1 :]


def unknown_keys(known: list[str], other_spelling: list[str]) -> st.SearchStrategy[str]:
    """Keys that are not in `known`: typos, the other spelling's keys, and anything at all."""
    typos = st.builds(
        dropped_letter, st.sampled_from(known), st.integers(min_value=0, max_value=20)
    )
    return (typos | st.sampled_from(other_spelling) | st.text(min_size=1, max_size=12)).filter(
        lambda key: key not in known
    )


def known_keys(spelling: Spelling, *, in_port: bool) -> list[str]:
    """The keys a spelling knows, of a service or of one of its ports."""
    return sorted((spelling.port_keys if in_port else spelling.service_keys).values())


def other(spelling: Spelling) -> Spelling:
    """The spelling the input is not written in."""
    return CONFIG_SPELLING if spelling is PYTHON_SPELLING else PYTHON_SPELLING


unknown_key_values = st.integers() | st.text(max_size=5)


def unknown_key(draw: st.DrawFn, service: ValidService) -> Broken:
    values, index = a_port(draw, service)
    in_port = draw(st.booleans(), label="in a port")
    keys = unknown_keys(
        known_keys(service.spelling, in_port=in_port),
        known_keys(other(service.spelling), in_port=in_port),
    )
    key = draw(keys, label="unknown key")
    if in_port:
        raw_ports(values, service.spelling)[index][key] = draw(unknown_key_values)
        field = f"{service.port_field(index)}.{key}"
    else:
        values[key] = draw(unknown_key_values)
        field = key
    return Broken(values=values, field=field, fragments=("is not a known key",))


def named_ports(draw: st.DrawFn, service: ValidService) -> tuple[dict[str, object], int]:
    """A copy of the input with one port chosen to repeat, named if it was the only one.

    A second port makes names required, so a lone unnamed port is named first; that keeps the
    repeat the only mistake.
    """
    values, index = a_port(draw, service)
    name_key = service.spelling.port_key("name")
    port = raw_ports(values, service.spelling)[index]
    if name_key not in port:
        port[name_key] = draw(port_names, label="name")
    return values, index


def repeated_port_and_protocol(draw: st.DrawFn, service: ValidService) -> Broken:
    values, first = named_ports(draw, service)
    ports = raw_ports(values, service.spelling)
    name_key = service.spelling.port_key("name")
    taken = {port[name_key] for port in ports}
    name = draw(port_names.filter(lambda name: name not in taken), label="name")
    index = draw(st.integers(min_value=first + 1, max_value=len(ports)), label="at")
    ports.insert(index, {**ports[first], name_key: name})
    repeated = service.expected.ports[first]
    return Broken(
        values=values,
        field=service.port_field(index),
        fragments=(
            f"repeats port {repeated.port}/{repeated.protocol} of {service.port_field(first)}",
        ),
    )


def repeated_port_name(draw: st.DrawFn, service: ValidService) -> Broken:
    values, first = named_ports(draw, service)
    ports = raw_ports(values, service.spelling)
    name = ports[first][service.spelling.port_key("name")]
    # A port of its own, with TCP implied and no target port, so that only the name repeats.
    taken = {(port.port, port.protocol) for port in service.expected.ports}
    number = draw(port_numbers.filter(lambda number: (number, "TCP") not in taken), label="port")
    index = draw(st.integers(min_value=first + 1, max_value=len(ports)), label="at")
    port_key, name_key = service.spelling.port_key("port"), service.spelling.port_key("name")
    ports.insert(index, {name_key: name, port_key: number})
    return Broken(
        values=values,
        field=service.port_field(index, "name"),
        fragments=(quoted(name), f"repeats {service.port_field(first)}"),
    )


# Flags that are not booleans. Config may write a flag as the text 'true' or 'false', as
# `pulumi config set` does, but no other text; Python callers pass booleans only.
bad_flags = {
    False: st.integers() | st.text(max_size=6) | st.sampled_from(["True", "yes", "on"]),
    True: st.integers()
    | st.text(max_size=6).filter(lambda text: text not in ("true", "false"))
    | st.sampled_from(["True", "yes", "on"]),
}
flag_fields = st.sampled_from(["headless", "adopt"])


def bad_flag(draw: st.DrawFn, service: ValidService) -> Broken:
    values = copy.deepcopy(service.values)
    python_name = draw(flag_fields, label="field")
    bad = draw(bad_flags[service.spelling.from_text], label="bad flag")
    values[service.field(python_name)] = bad
    return with_bad_value(values, service.field(python_name), bad)


def mixed_families(draw: st.DrawFn, service: ValidService) -> Broken:
    # An Endpoints-only service given an address of the other family, or a dual-stack one turned
    # Endpoints-only.
    values = copy.deepcopy(service.values)
    values[service.field("endpoint_kind")] = EndpointKind.ENDPOINTS.value
    addresses = values[service.field("addresses")]
    assert isinstance(addresses, list)
    present = {AddressFamily.of(address) for address in service.expected.addresses}
    if len(present) == 1:
        [family] = present
        absent = AddressFamily.IPV6 if family == AddressFamily.IPV4 else AddressFamily.IPV4
        added = draw(endpoint_addresses[absent], label="other family")
        index = draw(st.integers(min_value=0, max_value=len(addresses)), label="at")
        addresses.insert(index, spelled_address(draw, added))
    return Broken(
        values=values, field=service.field("addresses"), fragments=("mixes IPv4 and IPv6",)
    )


ADDRESS_BREAKERS = (bad_address, repeated_address, mixed_families)
BREAKERS = [
    pytest.param(bad_address, id="bad-address"),
    pytest.param(repeated_address, id="repeated-address"),
    pytest.param(bad_port_number, id="bad-port-number"),
    pytest.param(bad_port_name, id="bad-port-name"),
    pytest.param(bad_service_name, id="bad-service-name"),
    pytest.param(bad_namespace, id="bad-namespace"),
    pytest.param(unknown_key, id="unknown-key"),
    pytest.param(unknown_protocol, id="unknown-protocol"),
    pytest.param(repeated_port_and_protocol, id="repeated-port-and-protocol"),
    pytest.param(repeated_port_name, id="repeated-port-name"),
    pytest.param(bad_flag, id="bad-flag"),
    pytest.param(mixed_families, id="mixed-families-in-endpoints"),
]


@st.composite
def broken_services(draw: st.DrawFn, breaker: Breaker) -> tuple[ValidService, Broken]:
    """A valid input, in either spelling, and the same input with one field broken.

    The input has no labels or annotations: the valid-input tests show that they add no problem,
    and drawing them takes about half the time of drawing an input.
    """
    valid_inputs = valid_services(
        draw(spellings),
        min_ports=1,
        addresses_only=breaker in ADDRESS_BREAKERS,
        metadata=False,
    )
    service = draw(valid_inputs, label="valid input")
    return service, breaker(draw, service)


# Valid inputs.


@each_spelling
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_valid_inputs_validate_to_their_normalised_form(
    spelling: Spelling, data: st.DataObject
) -> None:
    service = data.draw(valid_services(spelling), label="valid input")

    assert service.validate() == service.expected


@each_spelling
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_object_of_a_valid_input_passes_the_strict_kubernetes_schemas(
    spelling: Spelling, data: st.DataObject
) -> None:
    service = data.draw(valid_services(spelling), label="valid input")

    manifests = registered_manifests(service.validate())

    problems = [
        problem
        for manifest in manifests
        for version in KUBERNETES_VERSIONS
        if (problem := schema_problem(manifest, version)) is not None
    ]
    assert problems == []


def test_the_strict_schemas_refuse_a_misspelled_field() -> None:
    # The schema test above is only as good as the schemas' strictness: one unknown field must be
    # enough to fail it, in both versions, with the parsed schemas cached.
    spec = validate_service(
        {"addresses": ["10.0.0.1"], "ports": [{"port": 80}]}, label=LABEL, default_service_name="db"
    )
    manifest = service_manifest(spec)
    manifest["spec"]["ports"][0]["target_port"] = 80

    for version in KUBERNETES_VERSIONS:
        problem = schema_problem(manifest, version)
        assert problem is not None, f"the {version} schema took an unknown field"
        assert "target_port" in problem


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_objects_of_a_valid_input_agree_on_names_ports_and_addresses(data: st.DataObject) -> None:
    service = data.draw(valid_services(data.draw(spellings)), label="valid input")
    expected = service.expected
    raw_addresses = service.values.get(service.field("addresses"), [])
    assert isinstance(raw_addresses, list)
    # Each address once, in the order given, in canonical form whatever its spelling.
    canonical = [str(ipaddress.ip_address(address)) for address in raw_addresses]

    manifests = registered_manifests(service.validate())

    kinds = [manifest["kind"] for manifest in manifests]
    service_object = manifests[0]
    assert kinds[0] == "Service"
    assert service_object["metadata"]["name"] == expected.service_name
    assert "selector" not in service_object["spec"], "the endpoints are ours, not a selector's"
    for manifest in manifests:
        assert manifest["metadata"]["namespace"] == expected.namespace, describe(manifest)

    # Endpoints mirror the Service's ports by name, at the port the server listens on.
    service_ports = service_object["spec"].get("ports", [])
    names = [port.get("name") for port in service_ports]
    targets = [port["targetPort"] for port in service_ports]
    assert [port["port"] for port in service_ports] == [port.port for port in expected.ports]
    assert targets == [port.target_port for port in expected.ports]

    if expected.hostname is not None:
        assert kinds == ["Service"], "an ExternalName Service has no endpoints"
        assert service_object["spec"]["externalName"] == expected.hostname
        return

    endpoints = [manifest for manifest in manifests if manifest["kind"] == "Endpoints"]
    assert len(endpoints) == int(expected.endpoint_kind.writes_endpoints)
    for endpoints_object in endpoints:
        assert endpoints_object["metadata"]["name"] == expected.service_name
        [subset] = endpoints_object["subsets"]
        assert [address["ip"] for address in subset["addresses"]] == canonical
        assert [port.get("name") for port in subset["ports"]] == names
        assert [port["port"] for port in subset["ports"]] == targets

    slices = [manifest for manifest in manifests if manifest["kind"] == "EndpointSlice"]
    if not expected.endpoint_kind.writes_slices:
        assert slices == []
        return
    families = {AddressFamily.of(ipaddress.ip_address(address)).value for address in canonical}
    assert sorted(s["addressType"] for s in slices) == sorted(families), "one slice per family"
    in_slices: list[str] = []
    for endpoint_slice in slices:
        where = describe(endpoint_slice)
        assert endpoint_slice["metadata"]["labels"][SERVICE_NAME_LABEL] == expected.service_name
        assert [port.get("name") for port in endpoint_slice["ports"]] == names, where
        assert [port["port"] for port in endpoint_slice["ports"]] == targets, where
        for endpoint in endpoint_slice["endpoints"]:
            [address] = endpoint["addresses"]  # consumers such as kube-proxy read only the first
            family = AddressFamily.of(ipaddress.ip_address(address)).value
            assert family == endpoint_slice["addressType"], where
            in_slices.append(address)
    assert sorted(in_slices) == sorted(canonical), "every address in exactly one slice"


# Invalid inputs.


@pytest.mark.parametrize("breaker", BREAKERS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_an_input_with_one_broken_field_is_refused_naming_that_field_and_value(
    breaker: Breaker, data: st.DataObject
) -> None:
    service, broken = data.draw(broken_services(breaker), label="input")

    with pytest.raises(ValidationError) as refused:
        service.validate(broken.values)

    problems = refused.value.problems
    assert [problem.field for problem in problems] == [broken.field], refused.value.lines
    message = problems[0].message
    for fragment in broken.fragments:
        assert fragment in message, f"{broken.field}: {message!r} lacks {fragment!r}"
    # Messages show names and keys with control characters escaped, as `printable` does.
    assert f"{LABEL}: {printable(broken.field)} {message}" in refused.value.lines


def test_a_repeated_port_is_named_by_its_own_index_after_a_broken_port() -> None:
    # The generated inputs above break one field at a time; this pins the one interaction found
    # between two problems: a broken port before a repeat once shifted the index of the repeat.
    values: dict[str, object] = {
        "addresses": ["10.0.0.1"],
        "ports": [
            {"name": "admin", "port": 0},
            {"name": "db", "port": 5432},
            {"name": "db-again", "port": 5432},
        ],
    }

    with pytest.raises(ValidationError) as refused:
        validate_service(values, label=LABEL, default_service_name="db")

    assert [problem.field for problem in refused.value.problems] == [
        "ports[0].port",
        "ports[2]",
    ]
    assert "of ports[1]" in refused.value.problems[1].message


# Numbers beyond Python's 4300-digit limit for int/str conversion: the generated integers above
# never reach it, so these are spelled out.
HUGE_NUMBERS = [
    pytest.param(
        {"name": "db", "addresses": ["10.0.0.1"], "ports": [{"port": "9" * 4301}]},
        CONFIG_SPELLING,
        "ports[0].port",
        id="config-port-as-digits",
    ),
    pytest.param(
        {"addresses": ["10.0.0.1"], "ports": [{"port": 10**4301}]},
        PYTHON_SPELLING,
        "ports[0].port",
        id="python-port",
    ),
    pytest.param(
        {"addresses": [10**4301], "ports": [{"port": 80}]},
        PYTHON_SPELLING,
        "addresses[0]",
        id="python-address",
    ),
]


@pytest.mark.parametrize(("values", "spelling", "field"), HUGE_NUMBERS)
def test_a_number_too_long_to_print_is_refused_as_a_problem(
    values: dict[str, object], spelling: Spelling, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_service(values, label=LABEL, default_service_name="db", spelling=spelling)

    assert [problem.field for problem in refused.value.problems] == [field]
