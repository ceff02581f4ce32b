"""Every input rule, each with a failing input whose message is pinned.

Messages are part of the interface: a reviewer reads them in CI logs, so each one must name the
service, the field with its index, the bad value, and what would be accepted.
"""

import ipaddress
import re
from typing import Any

import pytest

from external_service import EndpointKind, ValidationError
from external_service.spec import ServiceSpec
from external_service.validation import CONFIG_SPELLING, validate_service

VALID: dict[str, Any] = {"addresses": ["10.5.10.109"], "ports": [{"port": 3306}]}


def validate(values: dict[str, Any], *, config: bool = False) -> ServiceSpec:
    """Validates inputs for a service labelled `plat-dev`, in Python or config spelling."""
    if config:
        return validate_service(
            {"name": "plat-dev", **values},
            label="plat-dev",
            default_service_name=None,
            spelling=CONFIG_SPELLING,
        )
    return validate_service(values, label="plat-dev", default_service_name="plat-dev")


def with_address(*addresses: object) -> dict[str, Any]:
    return {**VALID, "addresses": list(addresses)}


def with_port(**port: object) -> dict[str, Any]:
    return {**VALID, "ports": [port]}


# Each case: the inputs, then a pattern the message must contain (after "plat-dev: ").
REFUSED = [
    # Addresses: what the API server refuses, caught before anything is deployed.
    pytest.param(
        with_address("db.example.internal"),
        r"addresses\[0\] 'db\.example\.internal' is not an IP address; endpoints hold IPv4 or "
        r"IPv6 addresses only \(for a DNS-named target use hostname instead\)",
        id="dns-name-as-address",
    ),
    pytest.param(
        with_address("127.0.0.1"),
        r"addresses\[0\] '127\.0\.0\.1' is a loopback address; Kubernetes rejects loopback",
        id="ipv4-loopback",
    ),
    pytest.param(with_address("::1"), r"addresses\[0\] '::1' is a loopback", id="ipv6-loopback"),
    pytest.param(
        with_address("169.254.6.1"),
        r"addresses\[0\] '169\.254\.6\.1' is a link-local address; Kubernetes rejects link-local",
        id="ipv4-link-local",
    ),
    pytest.param(
        with_address("fe80::1"), r"addresses\[0\] 'fe80::1' is a link-local", id="ipv6-link-local"
    ),
    pytest.param(
        with_address("10.5.10.109", "0.0.0.0"),
        r"addresses\[1\] '0\.0\.0\.0' is the unspecified address, which is not a destination",
        id="ipv4-unspecified",
    ),
    pytest.param(with_address("::"), r"addresses\[0\] '::' is the unspecified", id="ipv6-any"),
    # Stricter than the API server, which only refuses link-local multicast (README lists it).
    pytest.param(
        with_address("239.1.1.1"),
        r"addresses\[0\] '239\.1\.1\.1' is a multicast address; a Service needs the server's "
        r"unicast address",
        id="ipv4-multicast",
    ),
    pytest.param(
        with_address("ff05::2"), r"addresses\[0\] 'ff05::2' is a multicast", id="ipv6-multicast"
    ),
    pytest.param(
        with_address("255.255.255.255"),
        r"addresses\[0\] '255\.255\.255\.255' is the broadcast address; a Service needs the "
        r"server's unicast address \(this project refuses it, Kubernetes does not\)",
        id="ipv4-broadcast",
    ),
    pytest.param(
        with_address("::ffff:10.0.0.1"),
        r"addresses\[0\] '::ffff:10\.0\.0\.1' is an IPv4-mapped IPv6 address, which Kubernetes "
        r"refuses; write the IPv4 address '10\.0\.0\.1' instead",
        id="ipv4-mapped",
    ),
    pytest.param(
        with_address("fd00::1%eth0"),
        r"addresses\[0\] 'fd00::1%eth0' has a zone index",
        id="zone-index",
    ),
    pytest.param(
        with_address("010.5.10.109"),
        r"addresses\[0\] '010\.5\.10\.109' has an octet with a leading zero, which some readers "
        r"take as octal",
        id="ipv4-leading-zero-is-ambiguous",
    ),
    # Four groups of digits that are no address: the octet out of range is named, not zeros.
    pytest.param(
        with_address("10.0.0.256"),
        r"addresses\[0\] '10\.0\.0\.256' is not an IPv4 address: octet 256 is larger than "
        r"255; each of the four octets is a number from 0 to 255",
        id="ipv4-octet-out-of-range",
    ),
    pytest.param(
        with_address("999.1.1.1"),
        r"addresses\[0\] '999\.1\.1\.1' is not an IPv4 address: octet 999 is larger than 255",
        id="ipv4-first-octet-out-of-range",
    ),
    # The advice to write the IPv4 address instead must not point at an address refused itself.
    pytest.param(
        with_address("::ffff:127.0.0.1"),
        r"addresses\[0\] '::ffff:127\.0\.0\.1' is an IPv4-mapped IPv6 address, which "
        r"Kubernetes refuses; the IPv4 address inside it, '127\.0\.0\.1', is a loopback "
        r"address; Kubernetes rejects loopback endpoints$",
        id="ipv4-mapped-loopback",
    ),
    pytest.param(
        with_address(" 10.5.10.109"),
        r"addresses\[0\] ' 10\.5\.10\.109' is not an IP address",
        id="surrounding-space",
    ),
    pytest.param(
        with_address(3306),
        r"addresses\[0\] 3306 is not an IP address; write it as a string",
        id="number-as-address",
    ),
    pytest.param(
        with_address("10.0.0.5", "10.0.0.6", "10.0.0.5"),
        r"addresses\[2\] '10\.0\.0\.5' repeats addresses\[0\]; list each address once",
        id="duplicate-address",
    ),
    pytest.param(
        with_address("2001:db8::1", "2001:DB8:0::1"),
        r"addresses\[1\] '2001:DB8:0::1' repeats addresses\[0\]",
        id="duplicate-address-in-another-spelling",
    ),
    pytest.param(
        with_address(),
        r"addresses is empty; give at least one IP address of the external server",
        id="no-address",
    ),
    pytest.param(
        {"ports": [{"port": 3306}]},
        r"addresses is missing; give one or more IP addresses of the external server, or a "
        r"hostname",
        id="addresses-missing",
    ),
    pytest.param(
        {**VALID, "addresses": "10.5.10.109"},
        r"addresses '10\.5\.10\.109' is not a list; give a list of IP addresses",
        id="address-not-in-a-list",
    ),
    pytest.param(
        with_address(*(str(ipaddress.IPv4Address("10.0.0.1") + n) for n in range(1001))),
        r"addresses has 1001 IPv4 addresses; at most 1000 per family",
        id="more-addresses-than-one-object-holds",
    ),
    pytest.param(
        with_address("10.0.0.1", "2001:db8::1"),
        r"addresses mixes IPv4 and IPv6 addresses; a dual-stack service needs one EndpointSlice "
        r"per family, so set endpointKind to EndpointSlice or Both",
        id="dual-stack-needs-slices",
    ),
    # Ports.
    pytest.param(
        with_port(port=0),
        r"ports\[0\]\.port 0 is outside the port range; give 1 to 65535",
        id="port-zero",
    ),
    pytest.param(with_port(port=65536), r"ports\[0\]\.port 65536 is outside", id="port-too-big"),
    pytest.param(
        with_port(port=3306, target_port=-1),
        r"ports\[0\]\.target_port -1 is outside the port range",
        id="target-port-negative",
    ),
    pytest.param(
        with_port(port="3306"),
        r"ports\[0\]\.port '3306' is not a whole number; give a port from 1 to 65535",
        id="python-api-takes-numbers-only",
    ),
    pytest.param(
        with_port(port=3306.0), r"ports\[0\]\.port 3306\.0 is not a whole number", id="float-port"
    ),
    pytest.param(with_port(port=True), r"ports\[0\]\.port true is not a whole", id="bool-port"),
    pytest.param(
        with_port(name="mysql"),
        r"ports\[0\]\.port is missing; give a port number from 1 to 65535",
        id="port-missing",
    ),
    pytest.param(
        {**VALID, "ports": []},
        r"ports is empty; give at least one port",
        id="no-ports",
    ),
    pytest.param(
        {"addresses": ["10.5.10.109"]},
        r"ports is missing; give at least one port",
        id="no-ports-key",
    ),
    pytest.param(
        {**VALID, "ports": [{"name": "mysql", "port": 3306}, {"name": "mysql", "port": 33060}]},
        r"ports\[1\]\.name 'mysql' repeats ports\[0\]; give each port its own name",
        id="duplicate-port-name",
    ),
    pytest.param(
        {**VALID, "ports": [{"name": "mysql", "port": 3306}, {"name": "admin", "port": 3306}]},
        r"ports\[1\] repeats port 3306/TCP of ports\[0\]; each port and protocol pair may appear "
        r"once",
        id="duplicate-port-and-protocol",
    ),
    pytest.param(
        {**VALID, "ports": [{"port": 3306}, {"port": 33060}]},
        r"ports\[0\]\.name is missing; Kubernetes requires every port to be named when a "
        r"Service has more than one port",
        id="several-ports-need-names",
    ),
    pytest.param(
        with_port(name="mysql-replication", port=3306),
        r"ports\[0\]\.name 'mysql-replication' is not a valid port name; use at most 15 "
        r"lowercase letters, digits and '-', with at least one letter and no leading, trailing "
        r"or double '-' \(IANA service name\)",
        id="port-name-too-long",
    ),
    pytest.param(
        with_port(name="MySQL", port=3306), r"ports\[0\]\.name 'MySQL' is not", id="upper"
    ),
    pytest.param(
        with_port(name="3306", port=3306), r"ports\[0\]\.name '3306' is not", id="no-letter"
    ),
    pytest.param(
        with_port(name="-sql", port=3306), r"ports\[0\]\.name '-sql' is not", id="leading"
    ),
    pytest.param(
        with_port(name="sql-", port=3306), r"ports\[0\]\.name 'sql-' is not", id="trailing"
    ),
    pytest.param(
        with_port(name="my--sql", port=3306), r"ports\[0\]\.name 'my--sql' is not", id="double"
    ),
    pytest.param(
        with_port(port=53, protocol="udp"),
        r"ports\[0\]\.protocol 'udp' is not a protocol; use one of TCP, UDP, SCTP",
        id="protocol-lowercase",
    ),
    pytest.param(
        with_port(port=80, protocol="HTTP"),
        r"ports\[0\]\.protocol 'HTTP' is not a protocol",
        id="protocol-unknown",
    ),
    pytest.param(
        with_port(port=3306, app_protocol="my sql"),
        r"ports\[0\]\.app_protocol 'my sql' is not a valid application protocol",
        id="app-protocol-with-space",
    ),
    pytest.param(
        with_port(port=3306, targetport=3307),
        r"ports\[0\]\.targetport is not a known key; did you mean 'target_port'\?",
        id="unknown-port-key",
    ),
    # Names.
    pytest.param(
        {**VALID, "service_name": "Plat-Dev"},
        r"service_name 'Plat-Dev' is not a valid Service name; use at most 63 lowercase "
        r"letters, digits and '-', starting with a letter",
        id="service-name-uppercase",
    ),
    pytest.param(
        {**VALID, "service_name": "1plat"}, r"service_name '1plat' is not a valid", id="digit-first"
    ),
    pytest.param(
        {**VALID, "service_name": "p" * 64}, r"service_name 'p{64}' is not a valid", id="too-long"
    ),
    pytest.param(
        {**VALID, "namespace": "Data_Team"},
        r"namespace 'Data_Team' is not a valid namespace; use at most 63 lowercase letters, "
        r"digits and '-', starting and ending with a letter or digit \(DNS-1123 label\)",
        id="namespace-invalid",
    ),
    pytest.param(
        {**VALID, "cluster_domain": "cluster_local"},
        r"cluster_domain 'cluster_local' is not a valid cluster domain",
        id="cluster-domain-invalid",
    ),
    pytest.param(
        {**VALID, "adresses": ["10.5.10.109"]},
        r"adresses is not a known key; did you mean 'addresses'\? known keys: addresses,",
        id="misspelled-key",
    ),
    # Kinds of Service.
    pytest.param(
        {**VALID, "endpoint_kind": "EndpointSlices"},
        r"endpoint_kind 'EndpointSlices' is not an endpoint kind; use one of Endpoints, "
        r"EndpointSlice, Both",
        id="endpoint-kind-unknown",
    ),
    pytest.param(
        {**VALID, "headless": "yes"},
        r"headless 'yes' is not a boolean; use true or false",
        id="headless-not-boolean",
    ),
    pytest.param(
        {
            "addresses": ["10.20.0.15"],
            "headless": True,
            "ports": [{"name": "https", "port": 8200, "target_port": 32001}],
        },
        r"ports\[0\]\.target_port 32001 differs from port 8200; a headless Service only "
        r"answers DNS, so nothing translates the port",
        id="headless-cannot-remap",
    ),
    pytest.param(
        {"hostname": "10.132.32.158", "ports": [{"port": 8080}]},
        r"hostname '10\.132\.32\.158' is an IP address, not a DNS name; an ExternalName "
        r"Service answers with a DNS CNAME record, and a CNAME to an IP address never resolves",
        id="ip-as-hostname",
    ),
    pytest.param(
        {"hostname": "2001:db8::5"}, r"hostname '2001:db8::5' is an IP address", id="ipv6-hostname"
    ),
    pytest.param(
        {"hostname": "10.5.10"},
        r"hostname '10\.5\.10' ends in an all-digit label, so it is an IP address written "
        r"another way, not a DNS name; list the address under addresses instead",
        id="hostname-short-ipv4",
    ),
    pytest.param(
        {"hostname": "167772165"}, r"hostname '167772165' ends in an all-digit label", id="int-ip"
    ),
    pytest.param(
        {"hostname": "0x0a050a6d"},
        r"hostname '0x0a050a6d' is read by resolvers as the IPv4 address 10\.5\.10\.109, not as "
        r"a DNS name; list the address under addresses instead",
        id="hostname-hex-ipv4",
    ),
    pytest.param(
        {"hostname": "plat-dev.default.svc.cluster.local"},
        r"hostname 'plat-dev\.default\.svc\.cluster\.local' is this Service's own in-cluster "
        r"name, so the CNAME would point at itself and never resolve",
        id="hostname-itself",
    ),
    pytest.param(
        {"hostname": "plat-dev"},
        r"hostname 'plat-dev' is this Service's own in-cluster name",
        id="hostname-itself-short",
    ),
    pytest.param(
        {"hostname": "db.localhost"},
        r"hostname 'db\.localhost' names the loopback address of whichever pod resolves it, not "
        r"an external server",
        id="hostname-localhost",
    ),
    pytest.param(
        {"hostname": "db_primary.example.com"},
        r"hostname 'db_primary\.example\.com' is not a valid DNS name",
        id="hostname-underscore",
    ),
    pytest.param(
        {**VALID, "hostname": "db.example.com"},
        r"hostname cannot be combined with addresses",
        id="hostname-and-addresses",
    ),
    pytest.param(
        {"hostname": "db.example.com", "headless": True},
        r"headless cannot be combined with hostname",
        id="headless-external-name",
    ),
    pytest.param(
        {"hostname": "db.example.com", "endpoint_kind": "EndpointSlice"},
        r"endpoint_kind 'EndpointSlice' does not apply to a hostname target",
        id="external-name-has-no-endpoints",
    ),
    pytest.param(
        {"hostname": "db.example.com", "ports": [{"port": 443, "target_port": 8443}]},
        r"ports\[0\]\.target_port 8443 differs from port 443; an ExternalName Service is a DNS "
        r"alias",
        id="external-name-cannot-remap",
    ),
    # Labels and annotations.
    pytest.param(
        {**VALID, "labels": {"app.kubernetes.io/managed-by": "helm"}},
        r"labels\.app\.kubernetes\.io/managed-by is set by this component",
        id="reserved-label",
    ),
    pytest.param(
        {**VALID, "labels": {"team": "data platform"}},
        r"labels\.team 'data platform' is not a valid label value",
        id="label-value-with-space",
    ),
    pytest.param(
        {**VALID, "labels": {"team/": "data"}},
        r"labels\.team/ is not a valid key",
        id="label-key-empty-name",
    ),
    pytest.param(
        {**VALID, "annotations": {"example.com/owner": 7}},
        r"annotations\.example\.com/owner 7 is not a string; quote the value",
        id="annotation-not-string",
    ),
    pytest.param(
        {**VALID, "annotations": {"note": "x" * (256 * 1024)}},
        r"annotations total 262148 bytes; Kubernetes allows at most 256 KiB",
        id="annotations-too-large",
    ),
]


@pytest.mark.parametrize(("values", "message"), REFUSED)
def test_each_rule_refuses_its_input_with_a_pinned_message(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        validate(values)

    assert refused.value.service == "plat-dev"
    assert any(re.search(f"^plat-dev: {message}", line) for line in refused.value.lines), (
        refused.value.lines
    )


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        validate({"addresses": ["127.0.0.1", "db"], "ports": [{"port": 0}], "namespace": "X"})

    fields = [problem.field for problem in refused.value.problems]
    assert fields == ["namespace", "addresses[0]", "addresses[1]", "ports[0].port"]


def test_config_spelling_names_fields_as_the_stack_file_does() -> None:
    with pytest.raises(ValidationError) as refused:
        validate(
            {
                "addresses": ["10.20.0.15"],
                "headless": True,
                "ports": [{"name": "https", "port": 8200, "targetPort": 32001}],
                "endpointKind": "Slices",
            },
            config=True,
        )

    assert refused.value.lines == (
        "plat-dev: endpointKind 'Slices' is not an endpoint kind; use one of Endpoints, "
        "EndpointSlice, Both",
        "plat-dev: ports[0].targetPort 32001 differs from port 8200; a headless Service only "
        "answers DNS, so nothing translates the port: port and targetPort must be equal",
    )


def test_python_api_points_a_config_key_at_its_python_name() -> None:
    with pytest.raises(ValidationError, match=r"name is not a known key; did you mean 'service_na"):
        validate({**VALID, "name": "orders-db"})


def test_config_spelling_refuses_python_keys() -> None:
    with pytest.raises(ValidationError, match=r"target_port is not a known key; did you mean"):
        validate({**VALID, "ports": [{"port": 3306, "target_port": 3306}]}, config=True)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        # `pulumi config set` writes numbers as text; digits alone are a number.
        pytest.param("3306", 3306, id="digits"),
        pytest.param(3306, 3306, id="number"),
    ],
)
def test_config_ports_may_be_written_as_digits(raw: object, number: int) -> None:
    spec = validate({**VALID, "ports": [{"port": raw, "targetPort": raw}]}, config=True)

    assert (spec.ports[0].port, spec.ports[0].target_port) == (number, number)


@pytest.mark.parametrize("raw", ["3306 ", "+3306", "3_306", "٣٣٠٦", "0x10", ""])
def test_config_ports_refuse_text_that_is_not_plain_digits(raw: str) -> None:
    with pytest.raises(ValidationError, match=r"ports\[0\]\.port .* is not a whole number"):
        validate({**VALID, "ports": [{"port": raw}]}, config=True)


def test_config_flags_may_be_written_as_text() -> None:
    spec = validate({**VALID, "headless": "true"}, config=True)

    assert spec.headless is True


def test_addresses_are_written_in_canonical_form() -> None:
    spec = validate({**with_address("2001:DB8:0:0::A", "10.5.10.109"), "endpoint_kind": "Both"})

    assert [str(address) for address in spec.addresses] == ["2001:db8::a", "10.5.10.109"]


def test_defaults_fill_every_optional_field() -> None:
    spec = validate(VALID)

    assert spec.service_name == "plat-dev"
    assert spec.namespace == "default"
    assert spec.cluster_domain == "cluster.local"
    assert spec.endpoint_kind is EndpointKind.ENDPOINTS
    assert spec.headless is False
    port = spec.ports[0]
    assert (port.name, port.port, port.target_port, port.protocol) == (None, 3306, 3306, "TCP")


def test_same_port_number_on_two_protocols_is_allowed() -> None:
    spec = validate(
        {
            **VALID,
            "ports": [
                {"name": "dns", "port": 53},
                {"name": "dns-udp", "port": 53, "protocol": "UDP"},
            ],
        }
    )

    assert [(p.port, p.protocol) for p in spec.ports] == [(53, "TCP"), (53, "UDP")]


def test_dual_stack_is_accepted_with_endpoint_slices() -> None:
    spec = validate({**with_address("10.0.0.1", "2001:db8::1"), "endpoint_kind": "EndpointSlice"})

    assert [family.value for family in spec.address_families] == ["IPv4", "IPv6"]


def test_a_key_with_control_characters_stays_on_one_line_of_the_message() -> None:
    with pytest.raises(ValidationError) as refused:
        validate({**VALID, "ports\n\x1b[31m": []})

    [line] = refused.value.lines
    assert line.startswith(r"plat-dev: ports\n\x1b[31m is not a known key;"), line
    assert "\n" not in str(refused.value)


def test_a_very_long_name_is_cut_in_the_message() -> None:
    with pytest.raises(ValidationError) as refused:
        validate({**VALID, "x" * 5000: 1})

    [line] = refused.value.lines
    assert line.startswith(f"plat-dev: {'x' * 80}... (5000 characters) is not a known key;"), line
