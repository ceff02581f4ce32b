"""Hypothesis strategies for valid inputs, shared by the property tests and the API server check.

Each strategy builds exactly the syntax its Kubernetes rule allows, up to the length limit, so
that the longest legal names are tried too. They are built from character sets rather than with
`from_regex`, which is several times slower per example.
"""

import ipaddress
import socket
import string
from collections.abc import Callable

from hypothesis import strategies as st

from external_service.spec import AddressFamily, IPAddress
from external_service.validation import RESERVED_LABELS

# Names.

LOWER = string.ascii_lowercase
LOWER_ALNUM = LOWER + string.digits
ALNUM = string.ascii_letters + string.digits


def edged_text(*, edge: str, inner: str, last: str, max_size: int) -> st.SearchStrategy[str]:
    """One `edge` character, or `edge` + up to max_size - 2 `inner` characters + one `last`."""
    ends_with_last = st.tuples(
        st.sampled_from(edge), st.text(alphabet=inner, max_size=max_size - 2), st.sampled_from(last)
    ).map("".join)
    return st.sampled_from(edge) | ends_with_last


# DNS-1035 label: a Service name must start with a letter, since it becomes a DNS label that must
# not read as a number.
service_names = edged_text(edge=LOWER, inner=LOWER_ALNUM + "-", last=LOWER_ALNUM, max_size=63)

# DNS-1123 label: a namespace may start with a digit, unlike a Service name.
dns_labels = edged_text(edge=LOWER_ALNUM, inner=LOWER_ALNUM + "-", last=LOWER_ALNUM, max_size=63)

# Short labels keep subdomains (DNS prefixes, cluster domains) well under 253 characters; the
# length limit of a label is exercised by `dns_labels`.
short_dns_labels = edged_text(
    edge=LOWER_ALNUM, inner=LOWER_ALNUM + "-", last=LOWER_ALNUM, max_size=10
)
dns_subdomains = st.lists(short_dns_labels, min_size=1, max_size=3).map(".".join)


def has_letter(name: str) -> bool:
    """Whether a name has a letter, so that it cannot read as a number."""
    return any(char.isalpha() for char in name)


def with_a_letter(name: str, letter: str) -> str:
    """The name if it has a letter; else the name with its last digit replaced by `letter`."""
    return name if has_letter(name) else name[:-1] + letter


# IANA service name: words of lowercase letters and digits joined by single '-', so no leading,
# trailing or double '-'; four words of up to three characters reach the 15-character limit
# exactly. A name of digits only would read as a port number, so it gets a letter at the end
# (rather than being filtered out, which Hypothesis would often give up on).
hyphenated_words = st.lists(
    st.text(alphabet=LOWER_ALNUM, min_size=1, max_size=3), min_size=1, max_size=4
).map("-".join)
port_names = st.builds(with_a_letter, hyphenated_words, st.sampled_from(LOWER))

# The name part of a qualified name (label and annotation keys, app protocols): mixed case, and
# '-', '_' and '.' inside, but alphanumeric at both ends.
qualified_name_parts = edged_text(edge=ALNUM, inner=ALNUM + "-_.", last=ALNUM, max_size=63)


def with_prefix(prefix: str | None, name: str) -> str:
    """A qualified name: an optional DNS prefix and '/', then the name part."""
    return name if prefix is None else f"{prefix}/{name}"


qualified_names = st.builds(with_prefix, st.none() | dns_subdomains, qualified_name_parts)

# The component sets these labels itself, to link the objects, and refuses them as input.
label_keys = qualified_names.filter(lambda key: key not in RESERVED_LABELS)
label_values = st.just("") | qualified_name_parts
# Annotation values are free text: the API server only limits their total size.
annotation_values = st.text(max_size=30)

app_protocols = st.sampled_from(["mysql", "http", "kubernetes.io/h2c"]) | qualified_names


def parses_as_ip(text: str) -> bool:
    """Whether `ipaddress` reads the text as an IP address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_server_name(name: str) -> bool:
    """Whether a DNS subdomain may be an ExternalName target under the project's rules.

    Refused: names over 253 characters, IP addresses, names whose last label is all digits (an
    address written another way, such as '10.5.10'), names the C library reads as an IPv4
    address (such as '0x1') and localhost.
    """
    last_label = name.rpartition(".")[2]
    return (
        len(name) <= 253
        and not parses_as_ip(name)
        and not last_label.isdigit()
        and not reads_as_ipv4(name)
        and last_label != "localhost"
    )


def reads_as_ipv4(name: str) -> bool:
    """Whether `inet_aton`, as a pod's resolver calls it, reads the name as an IPv4 address."""
    try:
        socket.inet_aton(name)
    except OSError:
        return False
    return True


def names_other_than(service_name: str) -> Callable[[str], bool]:
    """A filter for ExternalName targets that are not one of the Service's own names.

    Every in-cluster name of a Service starts with the Service name as its first label.
    """
    return lambda hostname: hostname.split(".")[0] != service_name


hostnames = st.lists(dns_labels, min_size=1, max_size=4).map(".".join).filter(is_server_name)


# Addresses.


def is_endpoint_address(address: IPAddress) -> bool:
    """Whether the address may be an endpoint, by the same `ipaddress` properties the rules use."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False
    return not (
        address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address == ipaddress.IPv4Address("255.255.255.255")
    )


# Hypothesis favours special-purpose ranges. The ones an endpoint may not use (unspecified,
# loopback, link-local, multicast, broadcast, IPv4-mapped) are filtered out; the rest (private,
# reserved, documentation, site-local) are legal endpoints and stay in.
endpoint_addresses: dict[AddressFamily, st.SearchStrategy[IPAddress]] = {
    AddressFamily.IPV4: st.ip_addresses(v=4).filter(is_endpoint_address),
    AddressFamily.IPV6: st.ip_addresses(v=6).filter(is_endpoint_address),
}
