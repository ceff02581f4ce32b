"""The component's input rules against the real API server: nothing it accepts is refused there.

`validate_service` exists so that a mistake is caught before anything is deployed. That only holds
if every input the Kubernetes API server would refuse is refused by the component first. Each case
below is judged twice: by `validate_service`, and by a server-side dry run (`dryRun=All`, nothing
is stored) of what would reach the cluster. For an input the component accepts, that is the
component's own objects; for one it refuses, the objects a person would write by hand from the
same raw values. The table records the outcome of every case, including the rules on which the
component is deliberately stricter than Kubernetes, so that a change on either side shows up here.

Objects are posted as plain JSON through the client's low-level `call_api`: the typed client
methods rebuild a body as their model classes first, and the API server must judge the exact
dictionaries. `fieldValidation=Strict` makes an unknown field a refusal instead of a silent drop.
"""

import enum
import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from external_service.errors import Problem, ValidationError
from external_service.manifests import (
    Manifest,
    endpoint_slice_manifest,
    endpoint_slice_manifests,
    endpoints_manifest,
    service_manifest,
)
from external_service.spec import AddressFamily, EndpointKind, IPAddress, ServiceSpec
from external_service.validation import PROTOCOLS, validate_service
from tests.e2e.conftest import Cluster
from tests.strategies import (
    annotation_values,
    endpoint_addresses,
    hostnames,
    label_keys,
    label_values,
    names_other_than,
    port_names,
    qualified_names,
    service_names,
)

pytestmark = pytest.mark.e2e

NAMESPACE = "api-agreement"
NAME = "agreement"
REQUEST_TIMEOUT = 30

VALID: dict[str, Any] = {
    "service_name": NAME,
    "namespace": NAMESPACE,
    "addresses": ["10.5.10.109"],
    "ports": [{"port": 3306}],
}

# Where each kind of object is created; `{namespace}` is filled from the object's metadata.
CREATE_PATHS = {
    "Namespace": "/api/v1/namespaces",
    "Service": "/api/v1/namespaces/{namespace}/services",
    "Endpoints": "/api/v1/namespaces/{namespace}/endpoints",
    "EndpointSlice": "/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
}

# The API server's answer to an IP family that the cluster has no service range for.
FAMILY_NOT_CONFIGURED = "not configured on this cluster"


@pytest.fixture(scope="module")
def agreement_namespace(cluster: Cluster) -> str:
    """The namespace the cases are judged in; dry runs leave it empty."""
    cluster.ensure_namespace(NAMESPACE)
    return NAMESPACE


# Asking the API server.


@dataclass(frozen=True)
class Refusal:
    """The API server's refusal of one object.

    Attributes:
        kind: The kind of the refused object.
        name: Its name.
        message: The API server's message.
        causes: Each cause as (field, message), from the Status details.
    """

    kind: str
    name: str
    message: str
    causes: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}: {self.message}"

    @property
    def only_for_unconfigured_family(self) -> bool:
        """Whether the only objection is an IP family the cluster has no range for."""
        return (
            self.kind == "Service"
            and bool(self.causes)
            and all(
                field.startswith("spec.ipFamilies") and FAMILY_NOT_CONFIGURED in message
                for field, message in self.causes
            )
        )


def dry_run_create(cluster: Cluster, manifest: Manifest) -> Refusal | None:
    """Posts one object with `dryRun=All`; returns the refusal, or None when it is accepted.

    Raises:
        AssertionError: The API server answered neither yes nor no (e.g. a missing namespace).
    """
    kind = manifest["kind"]
    metadata = manifest["metadata"]
    path_params = {"namespace": metadata["namespace"]} if kind != "Namespace" else {}
    method, url, headers, body, _post_params = cluster.api.param_serialize(
        method="POST",
        resource_path=CREATE_PATHS[kind],
        path_params=path_params,
        query_params=[("dryRun", "All"), ("fieldValidation", "Strict")],
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        body=manifest,
        auth_settings=["BearerToken"],
    )
    response = cluster.api.call_api(
        method, url, header_params=headers, body=body, _request_timeout=REQUEST_TIMEOUT
    )
    data: bytes = response.read()
    if 200 <= response.status < 300:
        return None
    status = json.loads(data)
    message = status.get("message", data.decode())
    # A namespace that exists already (made for an earlier accepted case) has a valid name.
    if kind == "Namespace" and status.get("reason") == "AlreadyExists":
        return None
    # 422 is a validation failure, 400 an object that does not decode (strict field checks).
    if response.status not in (400, 422):
        raise AssertionError(
            f"the API server did not judge {kind} {metadata['name']!r}: "
            f"HTTP {response.status}: {message}"
        )
    causes = tuple(
        (cause.get("field", ""), cause.get("message", ""))
        for cause in status.get("details", {}).get("causes", [])
    )
    return Refusal(kind=kind, name=metadata["name"], message=message, causes=causes)


def without_family_request(service: Manifest) -> Manifest:
    """The Service with its IP family fields left out, so that the cluster's default applies."""
    spec = {
        key: value
        for key, value in service["spec"].items()
        if key not in ("ipFamilies", "ipFamilyPolicy")
    }
    return {**service, "spec": spec}


def refusals_of(cluster: Cluster, manifests: Sequence[Manifest]) -> tuple[Refusal, ...]:
    """Dry-runs every object; returns the refusals, in the order the objects were given."""
    refusals: list[Refusal] = []
    for manifest in manifests:
        refusal = dry_run_create(cluster, manifest)
        if refusal is not None and refusal.only_for_unconfigured_family:
            # Environment limit: the local cluster is single-stack IPv4 (service range
            # 10.96.0.0/16), so it refuses a Service that asks for an IPv6 family, and it does so
            # before any other check. A dual-stack cluster takes it. The rest of the Service
            # (name, ports, labels, annotations) is still judged, sent without the family
            # request; the endpoints and slices are sent as they are.
            refusal = dry_run_create(cluster, without_family_request(manifest))
        if refusal is not None:
            refusals.append(refusal)
    return tuple(refusals)


# The two sides: the component's objects, and the objects a person would write by hand.


def component_objects(spec: ServiceSpec) -> list[Manifest]:
    """Every object the component registers for a validated service, as it registers it."""
    objects = [service_manifest(spec)]
    if spec.hostname is None:
        if spec.endpoint_kind.writes_endpoints:
            objects.append(endpoints_manifest(spec))
        if spec.endpoint_kind.writes_slices:
            objects.extend(endpoint_slice_manifests(spec))
    return objects


# Python port keys and the manifest keys a person writes for them.
SERVICE_PORT_KEYS = {
    "name": "name",
    "port": "port",
    "target_port": "targetPort",
    "protocol": "protocol",
    "app_protocol": "appProtocol",
}
ENDPOINT_PORT_KEYS = {"name": "name", "protocol": "protocol", "app_protocol": "appProtocol"}


def hand_written(values: Mapping[str, Any]) -> list[Manifest]:
    """The objects a person would write for the raw values, each value copied as given.

    A service in another namespace than the test's is judged by creating that namespace: nothing
    can be created inside a namespace that does not exist, and its name is what such a case is
    about. The Service leaves its IP family to the cluster, as most hand-written ones do.
    """
    namespace = values.get("namespace", "default")
    if namespace != NAMESPACE:
        return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]

    name = values["service_name"]
    metadata: Manifest = {"name": name, "namespace": namespace}
    for key in ("labels", "annotations"):
        if key in values:
            metadata[key] = values[key]

    raw_ports = values.get("ports", [])
    service_spec: Manifest = {}
    if raw_ports:
        service_spec["ports"] = [
            {SERVICE_PORT_KEYS[key]: value for key, value in port.items()} for port in raw_ports
        ]
    if "hostname" in values:
        service_spec["type"] = "ExternalName"
        service_spec["externalName"] = values["hostname"]
    if values.get("headless"):
        service_spec["clusterIP"] = "None"
    objects: list[Manifest] = [
        {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": service_spec}
    ]

    addresses: list[str] = values.get("addresses", [])
    if not addresses:
        return objects
    endpoint_ports = [
        {
            **{ENDPOINT_PORT_KEYS[key]: port[key] for key in ENDPOINT_PORT_KEYS if key in port},
            "port": port.get("target_port", port.get("port")),
        }
        for port in raw_ports
    ]
    kind = EndpointKind(values.get("endpoint_kind", EndpointKind.ENDPOINTS.value))
    if kind.writes_endpoints:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": metadata,
                "subsets": [
                    {"addresses": [{"ip": ip} for ip in addresses], "ports": endpoint_ports}
                ],
            }
        )
    if kind.writes_slices:
        # By hand, an address goes to the slice of the family it looks like.
        for family in AddressFamily:
            of_family = [ip for ip in addresses if (":" in ip) == (family == AddressFamily.IPV6)]
            if of_family:
                objects.append(
                    {
                        "apiVersion": "discovery.k8s.io/v1",
                        "kind": "EndpointSlice",
                        "metadata": {
                            **metadata,
                            "name": f"{name}-{family.value.lower()}",
                            "labels": {
                                **metadata.get("labels", {}),
                                "kubernetes.io/service-name": name,
                            },
                        },
                        "addressType": family.value,
                        "endpoints": [{"addresses": [ip]} for ip in of_family],
                        "ports": endpoint_ports,
                    }
                )
    return objects


# Verdicts.


class Verdict(enum.Enum):
    """How the component and the API server judge one raw input."""

    ACCEPTED = "both accept it"
    REFUSED = "both refuse it"
    STRICTER = "only the component refuses it"
    NORMALISED = (
        "the component accepts it and writes it in the form the API server takes; the API "
        "server refuses it as written"
    )
    UNSAFE = "the component accepts it, and the API server refuses the component's objects"


@dataclass(frozen=True)
class Expected:
    """One row of the table: the verdict, and why.

    Attributes:
        verdict: How both sides judge the input.
        why: The reason, in a few words.
        field: For a refused input, the one field the component names.
        stricter: For an input only the component refuses, the deliberate rule (README).
    """

    verdict: Verdict
    why: str
    field: str | None = None
    stricter: str | None = None


def accepted(why: str) -> Expected:
    return Expected(Verdict.ACCEPTED, why)


def refused(field: str, why: str) -> Expected:
    return Expected(Verdict.REFUSED, why, field=field)


def stricter(rule: str, *, field: str, why: str) -> Expected:
    return Expected(Verdict.STRICTER, why, field=field, stricter=rule)


def normalised(why: str) -> Expected:
    return Expected(Verdict.NORMALISED, why)


@dataclass(frozen=True)
class Observed:
    """What both sides said about one raw input.

    Attributes:
        problems: The component's problems; empty when it accepts the input.
        component_refusals: The API server's refusals of the component's objects (accepted input).
        as_written_refusals: The API server's refusals of the hand-written objects.
    """

    problems: tuple[Problem, ...]
    component_refusals: tuple[Refusal, ...]
    as_written_refusals: tuple[Refusal, ...]

    @property
    def verdict(self) -> Verdict:
        if self.problems:
            return Verdict.REFUSED if self.as_written_refusals else Verdict.STRICTER
        if self.component_refusals:
            return Verdict.UNSAFE
        return Verdict.NORMALISED if self.as_written_refusals else Verdict.ACCEPTED

    def describe(self) -> str:
        component = "; ".join(f"{p.field} {p.message}" for p in self.problems) or "accepts"
        as_written = "; ".join(map(str, self.as_written_refusals)) or "accepts"
        return f"component: {component}\nAPI server, objects as written: {as_written}"


def observe(cluster: Cluster, values: Mapping[str, Any]) -> Observed:
    """Judges raw values by the component, then by the API server."""
    as_written = refusals_of(cluster, hand_written(values))
    try:
        spec = validate_service(values, label=NAME, default_service_name=None)
    except ValidationError as refusal:
        return Observed(
            problems=refusal.problems, component_refusals=(), as_written_refusals=as_written
        )
    # The component expects its namespace to exist, as it would in a user's cluster.
    cluster.ensure_namespace(spec.namespace)
    return Observed(
        problems=(),
        component_refusals=refusals_of(cluster, component_objects(spec)),
        as_written_refusals=as_written,
    )


# The table.


def with_address(*addresses: str, **values: object) -> dict[str, Any]:
    return {**VALID, "addresses": list(addresses), **values}


def with_port(**port: object) -> dict[str, Any]:
    return {**VALID, "ports": [port]}


def with_ports(*ports: dict[str, object]) -> dict[str, Any]:
    return {**VALID, "ports": list(ports)}


def external_name(hostname: str, **values: object) -> dict[str, Any]:
    return {"service_name": NAME, "namespace": NAMESPACE, "hostname": hostname, **values}


ONE_THOUSAND_AND_ONE = [str(ipaddress.IPv4Address("10.0.0.1") + n) for n in range(1001)]
MAX_ANNOTATIONS = 256 * 1024

CASES = [
    # Addresses.
    pytest.param(with_address("10.5.10.109"), accepted("private IPv4"), id="ipv4"),
    pytest.param(with_address("2001:db8::1"), accepted("IPv6"), id="ipv6"),
    pytest.param(
        with_address("2001:DB8::1"),
        accepted("an Endpoints object takes any IPv6 spelling"),
        id="ipv6-non-canonical-in-endpoints",
    ),
    pytest.param(
        with_address("2001:DB8::1", endpoint_kind="EndpointSlice"),
        normalised("an EndpointSlice takes the canonical form only; the component writes it"),
        id="ipv6-non-canonical-in-slice",
    ),
    pytest.param(
        with_address("127.0.0.1"), refused("addresses[0]", "loopback"), id="ipv4-loopback"
    ),
    pytest.param(with_address("::1"), refused("addresses[0]", "loopback"), id="ipv6-loopback"),
    pytest.param(
        with_address("169.254.6.1"), refused("addresses[0]", "link-local"), id="ipv4-link-local"
    ),
    pytest.param(
        with_address("fe80::1"), refused("addresses[0]", "link-local"), id="ipv6-link-local"
    ),
    pytest.param(
        with_address("0.0.0.0"), refused("addresses[0]", "unspecified"), id="ipv4-unspecified"
    ),
    pytest.param(with_address("::"), refused("addresses[0]", "unspecified"), id="ipv6-unspecified"),
    pytest.param(
        with_address("224.0.0.5"),
        refused("addresses[0]", "link-local multicast"),
        id="ipv4-link-local-multicast",
    ),
    pytest.param(
        with_address("ff02::1"),
        refused("addresses[0]", "link-local multicast"),
        id="ipv6-link-local-multicast",
    ),
    pytest.param(
        with_address("239.1.1.1"),
        stricter("multicast", field="addresses[0]", why="a group is never a server"),
        id="ipv4-multicast",
    ),
    pytest.param(
        with_address("ff05::2"),
        stricter("multicast", field="addresses[0]", why="a group is never a server"),
        id="ipv6-multicast",
    ),
    pytest.param(
        with_address("255.255.255.255"),
        stricter("broadcast", field="addresses[0]", why="broadcast is never a server"),
        id="ipv4-broadcast",
    ),
    pytest.param(
        with_address("::ffff:10.0.0.1"),
        refused("addresses[0]", "IPv4-mapped IPv6"),
        id="ipv4-mapped",
    ),
    pytest.param(
        with_address("010.5.10.109"),
        refused("addresses[0]", "leading zero: octal or decimal"),
        id="ipv4-leading-zero",
    ),
    pytest.param(
        with_address(" 10.5.10.109"),
        refused("addresses[0]", "not an IP address as written"),
        id="surrounding-space",
    ),
    pytest.param(
        with_address("db.example.com"), refused("addresses[0]", "a DNS name"), id="dns-name"
    ),
    pytest.param(
        with_address("fd00::1%eth0"), refused("addresses[0]", "zone index"), id="zone-index"
    ),
    pytest.param(
        with_address("10.0.0.5", "10.0.0.5"),
        stricter("duplicate addresses", field="addresses[1]", why="a listing mistake"),
        id="duplicate-address",
    ),
    pytest.param(
        with_address("2001:db8::1", "2001:DB8:0::1"),
        stricter("duplicate addresses", field="addresses[1]", why="the same address twice"),
        id="duplicate-address-in-another-spelling",
    ),
    pytest.param(
        with_address("10.0.0.1", "2001:db8::1"),
        stricter("mixed families need slices", field="addresses", why="Endpoints has no family"),
        id="mixed-families-in-endpoints",
    ),
    pytest.param(
        with_address("10.0.0.1", "2001:db8::1", endpoint_kind="Both"),
        accepted("one slice per family"),
        id="mixed-families-in-slices",
    ),
    pytest.param(
        with_address(*ONE_THOUSAND_AND_ONE),
        stricter("1000 addresses per family", field="addresses", why="mirroring truncates"),
        id="1001-addresses-in-endpoints",
    ),
    pytest.param(
        with_address(*ONE_THOUSAND_AND_ONE, endpoint_kind="EndpointSlice"),
        refused("addresses", "a slice holds 1000"),
        id="1001-addresses-in-slice",
    ),
    # Port numbers.
    pytest.param(with_port(port=0), refused("ports[0].port", "below range"), id="port-0"),
    pytest.param(with_port(port=1), accepted("lowest port"), id="port-1"),
    pytest.param(with_port(port=65535), accepted("highest port"), id="port-65535"),
    pytest.param(with_port(port=65536), refused("ports[0].port", "above range"), id="port-65536"),
    pytest.param(with_port(port=-1), refused("ports[0].port", "negative"), id="port-negative"),
    pytest.param(
        with_port(port=3306, target_port=0),
        refused("ports[0].target_port", "below range"),
        id="target-port-0",
    ),
    # Port names: the component takes IANA service names, Kubernetes DNS-1123 labels.
    pytest.param(
        with_port(name="replication-mgt", port=3306), accepted("15 characters"), id="port-name-15"
    ),
    pytest.param(
        with_port(name="replication-mgmt", port=3306),
        stricter("IANA port names", field="ports[0].name", why="16 characters"),
        id="port-name-16",
    ),
    pytest.param(
        with_port(name="MySQL", port=3306),
        refused("ports[0].name", "uppercase"),
        id="port-name-uppercase",
    ),
    pytest.param(
        with_port(name="3306", port=3306),
        stricter("IANA port names", field="ports[0].name", why="reads as a port number"),
        id="port-name-digits-only",
    ),
    pytest.param(
        with_port(name="-sql", port=3306),
        refused("ports[0].name", "leading '-'"),
        id="port-name-leading-dash",
    ),
    pytest.param(
        with_port(name="sql-", port=3306),
        refused("ports[0].name", "trailing '-'"),
        id="port-name-trailing-dash",
    ),
    pytest.param(
        with_port(name="my--sql", port=3306),
        stricter("IANA port names", field="ports[0].name", why="double '-'"),
        id="port-name-double-dash",
    ),
    pytest.param(with_port(name="mysql", port=3306), accepted("a plain name"), id="port-name"),
    # Several ports.
    pytest.param(
        with_ports({"port": 3306}, {"name": "x", "port": 33060}),
        refused("ports[0].name", "several ports are all named"),
        id="two-ports-one-unnamed",
    ),
    pytest.param(
        with_ports({"name": "mysql", "port": 3306}, {"name": "mysql", "port": 33060}),
        refused("ports[1].name", "names are unique"),
        id="duplicate-port-name",
    ),
    pytest.param(
        with_ports({"name": "mysql", "port": 3306}, {"name": "admin", "port": 3306}),
        refused("ports[1]", "port and protocol pairs are unique"),
        id="duplicate-port-and-protocol",
    ),
    pytest.param(
        with_ports({"name": "dns", "port": 53}, {"name": "dns-udp", "port": 53, "protocol": "UDP"}),
        accepted("the same port on two protocols"),
        id="same-port-two-protocols",
    ),
    # Protocols.
    pytest.param(
        with_port(port=3306, protocol="tcp"),
        refused("ports[0].protocol", "case matters"),
        id="protocol-lowercase",
    ),
    pytest.param(
        with_port(port=80, protocol="HTTP"),
        refused("ports[0].protocol", "not a transport"),
        id="protocol-http",
    ),
    pytest.param(with_port(port=3868, protocol="SCTP"), accepted("SCTP"), id="protocol-sctp"),
    pytest.param(
        with_port(port=3306, app_protocol="my sql"),
        refused("ports[0].app_protocol", "space"),
        id="app-protocol-with-space",
    ),
    pytest.param(
        with_port(port=8080, app_protocol="kubernetes.io/h2c"),
        accepted("a prefixed protocol"),
        id="app-protocol",
    ),
    # Service names.
    pytest.param(
        {**VALID, "service_name": "Plat-Dev"},
        refused("service_name", "uppercase"),
        id="service-name-uppercase",
    ),
    pytest.param(
        {**VALID, "service_name": "1plat"},
        stricter(
            "Service names start with a letter",
            field="service_name",
            why="DNS-1035; older API servers require it",
        ),
        id="service-name-digit-first",
    ),
    pytest.param(
        {**VALID, "service_name": "p" * 64},
        refused("service_name", "64 characters"),
        id="service-name-64",
    ),
    pytest.param(
        {**VALID, "service_name": "p" * 63}, accepted("63 characters"), id="service-name-63"
    ),
    # Namespaces, judged by creating the namespace.
    pytest.param(
        {**VALID, "namespace": "Data-Team"},
        refused("namespace", "uppercase"),
        id="namespace-uppercase",
    ),
    pytest.param(
        {**VALID, "namespace": "data_team"},
        refused("namespace", "underscore"),
        id="namespace-underscore",
    ),
    pytest.param(
        {**VALID, "namespace": "n" * 64}, refused("namespace", "64 characters"), id="namespace-64"
    ),
    pytest.param({**VALID, "namespace": "n" * 63}, accepted("63 characters"), id="namespace-63"),
    # ExternalName targets.
    pytest.param(
        external_name("10.132.32.158"),
        stricter(
            "ExternalName is a DNS name", field="hostname", why="a CNAME to an IP never resolves"
        ),
        id="hostname-ip-address",
    ),
    pytest.param(
        external_name("10.5.10"),
        stricter("ExternalName is a DNS name", field="hostname", why="an address written short"),
        id="hostname-all-digit-label",
    ),
    pytest.param(
        external_name("0x0a050a6d"),
        stricter("ExternalName is a DNS name", field="hostname", why="inet_aton reads an address"),
        id="hostname-hex-address",
    ),
    pytest.param(
        external_name(f"{NAME}.{NAMESPACE}.svc.cluster.local"),
        stricter("ExternalName is not itself", field="hostname", why="a CNAME to itself"),
        id="hostname-itself",
    ),
    pytest.param(
        external_name("db.localhost"),
        stricter("ExternalName is not localhost", field="hostname", why="the pod's own loopback"),
        id="hostname-localhost",
    ),
    pytest.param(
        external_name("db_primary.example.com"),
        refused("hostname", "underscore"),
        id="hostname-underscore",
    ),
    pytest.param(external_name("db.example.com"), accepted("a DNS name"), id="hostname"),
    pytest.param(
        external_name("DB.Example.com"),
        normalised("DNS names are case-insensitive; the component lowercases"),
        id="hostname-uppercase",
    ),
    pytest.param(
        external_name("db.example.com", ports=[{"port": 443, "target_port": 8443}]),
        stricter("fixed ports", field="ports[0].target_port", why="nothing translates a CNAME"),
        id="external-name-remapped-port",
    ),
    pytest.param(
        external_name("db.example.com", headless=True),
        refused("headless", "an ExternalName has no cluster IP"),
        id="external-name-headless",
    ),
    # Headless.
    pytest.param(
        {**VALID, "headless": True, "ports": [{"name": "https", "port": 8200}]},
        accepted("DNS only, same port"),
        id="headless",
    ),
    pytest.param(
        {**VALID, "headless": True, "ports": [{"port": 8200, "target_port": 32001}]},
        stricter("fixed ports", field="ports[0].target_port", why="nothing translates DNS"),
        id="headless-remapped-port",
    ),
    # Labels and annotations.
    pytest.param(
        {**VALID, "labels": {"team": "data", "example.com/tier": ""}},
        accepted("plain and prefixed keys, empty value"),
        id="labels",
    ),
    pytest.param(
        {**VALID, "labels": {"app.kubernetes.io/managed-by": "helm"}},
        stricter("reserved labels", field="labels.app.kubernetes.io/managed-by", why="set by us"),
        id="label-reserved",
    ),
    pytest.param(
        {**VALID, "labels": {"team": "data platform"}},
        refused("labels.team", "space"),
        id="label-value-with-space",
    ),
    pytest.param(
        {**VALID, "labels": {"team/": "data"}},
        refused("labels.team/", "empty name part"),
        id="label-key-empty-name",
    ),
    pytest.param(
        {**VALID, "annotations": {"example.com/owner": "Data Platform <dp@example.com>"}},
        accepted("free text"),
        id="annotation",
    ),
    pytest.param(
        {**VALID, "annotations": {"example.com/": "x"}},
        refused("annotations.example.com/", "empty name part"),
        id="annotation-key-empty-name",
    ),
    pytest.param(
        {**VALID, "annotations": {"note": "x" * (MAX_ANNOTATIONS - len("note"))}},
        accepted("exactly 256 KiB"),
        id="annotations-256-kib",
    ),
    pytest.param(
        {**VALID, "annotations": {"note": "x" * (MAX_ANNOTATIONS - len("note") + 1)}},
        refused("annotations", "one byte over 256 KiB"),
        id="annotations-over-256-kib",
    ),
]


@pytest.mark.parametrize(("values", "expected"), CASES)
def test_the_component_refuses_first_whatever_the_api_server_refuses(
    cluster: Cluster, agreement_namespace: str, values: dict[str, Any], expected: Expected
) -> None:
    observed = observe(cluster, values)

    # The safety property: an input the component accepts never reaches the cluster only to be
    # refused there.
    assert observed.verdict is not Verdict.UNSAFE, (
        "the component accepts the input, but the API server refuses its objects: "
        + "; ".join(map(str, observed.component_refusals))
    )
    # The table says what both sides do; a stricter rule that the API server now shares, or a
    # refusal the table does not list as deliberate, shows up here.
    assert observed.verdict is expected.verdict, (
        f"expected: {expected.verdict.value} ({expected.why}); observed: "
        f"{observed.verdict.value}\n{observed.describe()}"
    )
    # A refused input is refused for the reason the row is about, not for another mistake in it.
    assert [problem.field for problem in observed.problems] == (
        [expected.field] if expected.field is not None else []
    ), observed.describe()


def test_a_slice_written_before_the_addresses_are_known_is_accepted_without_endpoints(
    cluster: Cluster, agreement_namespace: str
) -> None:
    # While the addresses are still unknown the component writes a slice for each family; the one
    # for the family that turns out absent has no endpoints at all.
    spec = validate_service(VALID, label=NAME, default_service_name=None)
    empty = endpoint_slice_manifest(spec, family=AddressFamily.IPV6)

    assert empty["endpoints"] == []
    assert dry_run_create(cluster, empty) is None


# Generated valid inputs, from the strategies the property tests use.

# An ExternalName target as people write it: sometimes with a trailing dot or in capitals, which
# the component normalises.
spelled_hostnames = st.builds(
    lambda name, spell: spell(name),
    hostnames,
    st.sampled_from([str, str.upper, lambda name: f"{name}."]),
)
# IPv6 as people write it: compressed, in full, or in capitals; the component canonicalises.
SPELLINGS: list[Callable[[IPAddress], str]] = [
    str,
    lambda address: address.exploded,
    lambda address: address.exploded.upper(),
]


@st.composite
def port_lists(draw: st.DrawFn, *, min_size: int, fixed_ports: bool) -> list[dict[str, Any]]:
    """Valid ports: unique names (all named when several), unique port and protocol pairs."""
    count = draw(st.integers(min_value=min_size, max_value=3))
    names = draw(st.lists(port_names, min_size=count, max_size=count, unique=True))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(min_value=1, max_value=65535), st.sampled_from(PROTOCOLS)),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    ports: list[dict[str, Any]] = []
    for name, (number, protocol) in zip(names, pairs, strict=True):
        port: dict[str, Any] = {"port": number}
        if count > 1 or draw(st.booleans()):
            port["name"] = name
        if protocol != "TCP" or draw(st.booleans()):
            port["protocol"] = protocol
        if draw(st.booleans()):
            port["target_port"] = (
                number if fixed_ports else draw(st.integers(min_value=1, max_value=65535))
            )
        if draw(st.booleans()):
            port["app_protocol"] = draw(st.sampled_from(["mysql", "http", "kubernetes.io/h2c"]))
        ports.append(port)
    return ports


@st.composite
def valid_services(draw: st.DrawFn) -> dict[str, Any]:
    """The raw inputs of a valid service: endpoints of either family or both, or a DNS name."""
    values: dict[str, Any] = {"service_name": draw(service_names), "namespace": NAMESPACE}
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        other_name = names_other_than(values["service_name"])
        values["hostname"] = draw(spelled_hostnames.filter(lambda name: other_name(name.lower())))
        values["ports"] = draw(port_lists(min_size=0, fixed_ports=True))
    else:
        kind = draw(st.sampled_from(list(EndpointKind)))
        # A v1 Endpoints object has no family, so the component takes one family there.
        if kind == EndpointKind.ENDPOINTS:
            families = [draw(st.sampled_from(list(AddressFamily)))]
        else:
            families = draw(
                st.lists(st.sampled_from(list(AddressFamily)), min_size=1, max_size=2, unique=True)
            )
        addresses = [
            address
            for family in families
            for address in draw(
                st.lists(endpoint_addresses[family], min_size=1, max_size=3, unique=True)
            )
        ]
        headless = draw(st.booleans())
        values["addresses"] = [draw(st.sampled_from(SPELLINGS))(a) for a in addresses]
        values["endpoint_kind"] = kind.value
        values["headless"] = headless
        values["ports"] = draw(port_lists(min_size=1, fixed_ports=headless))
    values["labels"] = draw(st.dictionaries(label_keys, label_values, max_size=3))
    values["annotations"] = draw(st.dictionaries(qualified_names, annotation_values, max_size=3))
    return values


@settings(max_examples=50, deadline=None)
@given(values=valid_services())
def test_the_api_server_accepts_the_objects_of_generated_valid_services(
    cluster: Cluster, agreement_namespace: str, values: dict[str, Any]
) -> None:
    spec = validate_service(values, label=NAME, default_service_name=None)

    refusals = refusals_of(cluster, component_objects(spec))

    assert not refusals, "; ".join(map(str, refusals))
