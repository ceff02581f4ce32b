"""Validated, normalised description of one external service.

`validation.validate_service` is the only producer of these values, so everything downstream (the
manifests, the component, the render command) can rely on them being correct and canonical.
"""

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "pulumi"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SLICE_MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_MANAGED_BY_VALUE = "external-services"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


class EndpointKind(enum.StrEnum):
    """Which API objects list the external addresses."""

    ENDPOINTS = "Endpoints"
    ENDPOINT_SLICE = "EndpointSlice"
    BOTH = "Both"

    @property
    def writes_endpoints(self) -> bool:
        """Whether a v1 Endpoints object is written."""
        return self in (EndpointKind.ENDPOINTS, EndpointKind.BOTH)

    @property
    def writes_slices(self) -> bool:
        """Whether discovery.k8s.io/v1 EndpointSlices are written."""
        return self in (EndpointKind.ENDPOINT_SLICE, EndpointKind.BOTH)


class AddressFamily(enum.StrEnum):
    """IP families, spelled as Kubernetes spells them in `ipFamilies` and `addressType`."""

    IPV4 = "IPv4"
    IPV6 = "IPv6"

    @classmethod
    def of(cls, address: IPAddress) -> "AddressFamily":
        """Returns the family of one address."""
        return cls.IPV4 if address.version == 4 else cls.IPV6


@dataclass(frozen=True)
class PortSpec:
    """One port of the Service and its matching endpoint port.

    Attributes:
        name: Port name, shared by the Service port and the endpoint port; None when unnamed.
        port: The port clients in the cluster connect to.
        target_port: The port the external server really listens on.
        protocol: TCP, UDP or SCTP.
        app_protocol: Optional application protocol hint, e.g. `mysql`.
    """

    name: str | None
    port: int
    target_port: int
    protocol: str
    app_protocol: str | None


@dataclass(frozen=True)
class ServiceSpec:
    """Everything needed to write the Kubernetes objects of one external service.

    Exactly one of `addresses` (endpoints mode) and `hostname` (ExternalName mode) is set.
    `adopt` asks to take over a same-named Service and Endpoints that already exist.
    """

    service_name: str
    namespace: str
    addresses: tuple[IPAddress, ...]
    hostname: str | None
    ports: tuple[PortSpec, ...]
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    cluster_domain: str
    endpoint_kind: EndpointKind
    headless: bool
    adopt: bool = False

    @property
    def dns_name(self) -> str:
        """The fully qualified in-cluster name, e.g. `plat-dev.default.svc.cluster.local`."""
        return f"{self.service_name}.{self.namespace}.svc.{self.cluster_domain}"

    @property
    def address_families(self) -> tuple[AddressFamily, ...]:
        """The families present in `addresses`, in the order they first appear."""
        families = dict.fromkeys(AddressFamily.of(address) for address in self.addresses)
        return tuple(families)

    def addresses_of(self, family: AddressFamily) -> tuple[IPAddress, ...]:
        """The addresses of one family, in the order given."""
        return tuple(address for address in self.addresses if AddressFamily.of(address) == family)
