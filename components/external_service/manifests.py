"""The Kubernetes objects of one validated external service, as plain manifest dictionaries.

These functions are the single place where the shape of the objects is decided. The component
hands their output to pulumi-kubernetes unchanged, the render command prints what the component
registered, and the property tests check the same dictionaries against the Kubernetes JSON
schemas, so there is no second generator that could drift.
"""

from typing import Any

from external_service.spec import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    SERVICE_NAME_LABEL,
    SKIP_MIRROR_LABEL,
    SLICE_MANAGED_BY_LABEL,
    SLICE_MANAGED_BY_VALUE,
    AddressFamily,
    EndpointKind,
    PortSpec,
    ServiceSpec,
)

Manifest = dict[str, Any]

# Makes pulumi-kubernetes apply with force, taking over fields another field manager owns.
PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce"

# The top-level fields of each object besides apiVersion and kind, mapped to the keyword argument
# of the pulumi-kubernetes constructor that takes each one.
SERVICE_FIELDS = {"metadata": "metadata", "spec": "spec"}
ENDPOINTS_FIELDS = {"metadata": "metadata", "subsets": "subsets"}
SLICE_FIELDS = {
    "metadata": "metadata",
    "addressType": "address_type",
    "endpoints": "endpoints",
    "ports": "ports",
}


def service_manifest(spec: ServiceSpec) -> Manifest:
    """The selector-less Service (or ExternalName Service) that gives the target its name."""
    service_spec: Manifest = {}
    if spec.ports:
        service_spec["ports"] = [_service_port(port) for port in spec.ports]

    # ExternalName: DNS answers with a CNAME to the target, and there are no endpoints at all.
    if spec.hostname is not None:
        service_spec["type"] = "ExternalName"
        service_spec["externalName"] = spec.hostname
    if spec.headless:
        service_spec["clusterIP"] = "None"

    # IPv4-only services keep the cluster's default family, as a hand-written Service would; an
    # IPv6 or mixed address list needs the families stated, or the cluster IP may be of a family
    # the endpoints cannot serve.
    families = spec.address_families
    if AddressFamily.IPV6 in families:
        service_spec["ipFamilies"] = [family.value for family in families]
        service_spec["ipFamilyPolicy"] = "PreferDualStack" if len(families) > 1 else "SingleStack"

    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            spec, name=spec.service_name, labels=_labels(spec), taken_over=spec.adopt
        ),
        "spec": service_spec,
    }


def endpoints_manifest(spec: ServiceSpec) -> Manifest:
    """The v1 Endpoints object of the same name and namespace, listing every address."""
    labels = _labels(spec)
    if spec.endpoint_kind == EndpointKind.BOTH:
        # Our own slices already exist: keep the mirroring controller from adding duplicates.
        labels[SKIP_MIRROR_LABEL] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": metadata(spec, name=spec.service_name, labels=labels, taken_over=spec.adopt),
        "subsets": [
            {
                "addresses": [{"ip": str(address)} for address in spec.addresses],
                "ports": [
                    _endpoint_port(port, protocol_default_omitted=True) for port in spec.ports
                ],
            }
        ],
    }


def endpoint_slice_manifests(spec: ServiceSpec) -> list[Manifest]:
    """One discovery.k8s.io/v1 EndpointSlice per address family present in the addresses."""
    return [endpoint_slice_manifest(spec, family=family) for family in spec.address_families]


def endpoint_slice_manifest(spec: ServiceSpec, *, family: AddressFamily) -> Manifest:
    """The EndpointSlice of one address family, linked to the Service by its name label."""
    labels = _labels(spec)
    labels[SERVICE_NAME_LABEL] = spec.service_name
    labels[SLICE_MANAGED_BY_LABEL] = SLICE_MANAGED_BY_VALUE
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": metadata(spec, name=slice_name(spec.service_name, family), labels=labels),
        "addressType": family.value,
        # One address per endpoint: consumers such as kube-proxy use only an endpoint's first.
        "endpoints": [
            {"addresses": [str(address)], "conditions": {"ready": True}}
            for address in spec.addresses_of(family)
        ],
        "ports": [_endpoint_port(port, protocol_default_omitted=False) for port in spec.ports],
    }


def slice_name(service_name: str, family: AddressFamily) -> str:
    """The name of the EndpointSlice of one family, e.g. `plat-dev-ipv4`."""
    return f"{service_name}-{family.value.lower()}"


def metadata(
    spec: ServiceSpec, *, name: str, labels: dict[str, str], taken_over: bool = False
) -> Manifest:
    """Object metadata shared by every object of the service.

    Args:
        spec: The validated service.
        name: The object's name.
        labels: The object's labels.
        taken_over: Whether the object already exists and is being adopted: its fields are then
            owned by whoever wrote it, and the server-side apply must take them over by force.
    """
    result: Manifest = {"name": name, "namespace": spec.namespace, "labels": labels}
    annotations = dict(spec.annotations)
    if taken_over:
        annotations[PATCH_FORCE_ANNOTATION] = "true"
    if annotations:
        result["annotations"] = annotations
    return result


def _labels(spec: ServiceSpec) -> dict[str, str]:
    return {**spec.labels, MANAGED_BY_LABEL: MANAGED_BY_VALUE}


def _service_port(port: PortSpec) -> Manifest:
    result: Manifest = {}
    if port.name is not None:
        result["name"] = port.name
    result["port"] = port.port
    result["protocol"] = port.protocol
    result["targetPort"] = port.target_port
    if port.app_protocol is not None:
        result["appProtocol"] = port.app_protocol
    return result


def _endpoint_port(port: PortSpec, *, protocol_default_omitted: bool) -> Manifest:
    """An endpoint port: the name of the Service port, the number the server listens on."""
    result: Manifest = {}
    if port.name is not None:
        result["name"] = port.name
    result["port"] = port.target_port
    if not (protocol_default_omitted and port.protocol == "TCP"):
        result["protocol"] = port.protocol
    if port.app_protocol is not None:
        result["appProtocol"] = port.app_protocol
    return result
