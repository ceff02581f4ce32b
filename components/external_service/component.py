"""`ExternalService`: a stable in-cluster name for a server that lives outside Kubernetes.

The component owns a selector-less Service and the same-named endpoints that point at the
external server (a v1 Endpoints object, EndpointSlices, or both), or an ExternalName Service for a
DNS-named target. Inputs are validated before anything is registered when they are known while the
program runs; inputs that come from other resources' outputs are validated when they resolve, and
a failure then stops the deployment before these objects are sent to the cluster.
"""

import inspect
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, Required, TypedDict, TypeVar, cast

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.core.v1 import outputs as core_outputs

from external_service.errors import Problem, ValidationError
from external_service.manifests import (
    ENDPOINTS_FIELDS,
    SERVICE_FIELDS,
    SLICE_FIELDS,
    Manifest,
    endpoint_slice_manifest,
    endpoints_manifest,
    service_manifest,
)
from external_service.spec import AddressFamily, EndpointKind, ServiceSpec
from external_service.validation import DEFAULT_NAMESPACE, show, validate_service

# Chosen once for good: the type token is part of every child's URN, so changing it would replace
# every deployed Service (and change its cluster IP) unless each user adds an alias.
TYPE_TOKEN = "external-services:index:ExternalService"

_T = TypeVar("_T")

# Fields of an adopted Service that the API server filled in and the inputs leave out.
ASSIGNED_CLUSTER_IP_FIELDS = ["spec.clusterIP", "spec.clusterIPs"]


class PortArgs(TypedDict, total=False):
    """One port of an external service.

    Attributes:
        name: Port name, required when there is more than one port.
        port: The port clients in the cluster connect to.
        target_port: The port the external server listens on; defaults to `port`.
        protocol: TCP (default), UDP or SCTP.
        app_protocol: Optional application protocol hint, e.g. `mysql`.
    """

    name: pulumi.Input[str]
    port: Required[pulumi.Input[int]]
    target_port: pulumi.Input[int]
    protocol: pulumi.Input[str]
    app_protocol: pulumi.Input[str]


class ExternalServiceArgs(TypedDict, total=False):
    """Inputs of `ExternalService`. Give either `addresses` or `hostname`.

    Attributes:
        addresses: IPv4 and/or IPv6 addresses of the external server(s).
        hostname: A DNS name to alias instead (ExternalName Service, no endpoints).
        ports: The ports to expose; optional with `hostname`.
        namespace: Namespace of every object; defaults to `default`.
        labels: Labels for every object, besides `app.kubernetes.io/managed-by: pulumi`.
        annotations: Annotations for every object.
        service_name: Kubernetes name of the Service and endpoints; defaults to the resource name.
        cluster_domain: Cluster DNS domain for `dns_name`; defaults to `cluster.local`.
        endpoint_kind: `Endpoints` (default), `EndpointSlice` or `Both`. A plain value, since it
            decides which objects exist.
        headless: Whether the Service has no cluster IP, so that DNS answers with the addresses.
            A plain value.
        adopt: Whether to take over a Service and Endpoints of the same name that already exist
            (made by hand, say) instead of failing because they exist; they keep their cluster
            IP and UID. A plain value; needs `service_name` and `namespace` known when the
            program runs.
    """

    addresses: pulumi.Input[Sequence[pulumi.Input[str]]]
    hostname: pulumi.Input[str]
    ports: pulumi.Input[Sequence[pulumi.Input[PortArgs]]]
    namespace: pulumi.Input[str]
    labels: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    annotations: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    service_name: pulumi.Input[str]
    cluster_domain: pulumi.Input[str]
    endpoint_kind: EndpointKind | str
    headless: bool
    adopt: bool


class PortOutput(TypedDict):
    """A port as the component reports it in its `ports` output."""

    name: str | None
    port: int
    target_port: int
    protocol: str
    app_protocol: str | None


class ExternalService(pulumi.ComponentResource):
    """A Service with no selector plus same-named endpoints for an external server.

    Attributes:
        service_name: Kubernetes name of the Service.
        namespace: Namespace of the Service and its endpoints.
        cluster_ip: The Service's cluster IP once assigned; `None` for headless or ExternalName.
        dns_name: Fully qualified in-cluster name, e.g. `plat-dev.default.svc.cluster.local`.
        ports: The Service ports with their target ports.
        service: The Service resource.
        endpoints: The v1 Endpoints resource, when the endpoint kind writes one.
        endpoint_slices: The EndpointSlice resources, one per address family.
    """

    service_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    cluster_ip: pulumi.Output[str | None]
    dns_name: pulumi.Output[str]
    ports: pulumi.Output[list[PortOutput]]

    def __init__(
        self,
        resource_name: str,
        args: ExternalServiceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Validates the inputs, then registers the Service and its endpoints.

        Args:
            resource_name: Pulumi name of the component; also the default Service name.
            args: The inputs; see `ExternalServiceArgs`.
            opts: Resource options, passed on to every child through `parent`.

        Raises:
            ValidationError: An input known now breaks a rule; nothing has been registered.
        """
        # Validate before registering anything, so that a mistake leaves nothing half-made.
        layout = _Layout.read(resource_name, args)
        spec = _resolve_spec(resource_name, args, layout=layout)
        super().__init__(t=TYPE_TOKEN, name=resource_name, props=None, opts=opts)
        child_opts = pulumi.ResourceOptions(parent=self)
        # Taking over: the engine imports the existing Service and Endpoints, then updates them
        # to the declared state, so their cluster IP and UID stay the same. The imported Service
        # carries the cluster IP the API server assigned, which these inputs never state; the
        # provider would take its absence for a change that needs a new Service, so it is kept.
        adopt_opts = pulumi.ResourceOptions(parent=self, import_=layout.adopt_id)
        service_opts = adopt_opts
        if layout.adopt_id is not None and not layout.headless:
            service_opts = pulumi.ResourceOptions.merge(
                adopt_opts, pulumi.ResourceOptions(ignore_changes=ASSIGNED_CLUSTER_IP_FIELDS)
            )

        self.service = k8s.core.v1.Service(
            resource_name=resource_name,
            opts=service_opts,
            **_resource_args(spec, service_manifest, SERVICE_FIELDS),
        )

        # Endpoints and slices carry only the external addresses; an ExternalName has none.
        self.endpoints: k8s.core.v1.Endpoints | None = None
        self.endpoint_slices: list[k8s.discovery.v1.EndpointSlice] = []
        if layout.has_endpoints and layout.endpoint_kind.writes_endpoints:
            self.endpoints = k8s.core.v1.Endpoints(
                resource_name=resource_name,
                opts=adopt_opts,
                **_resource_args(spec, endpoints_manifest, ENDPOINTS_FIELDS),
            )
        if layout.has_endpoints and layout.endpoint_kind.writes_slices:
            for family in layout.slice_families(spec):
                self.endpoint_slices.append(
                    k8s.discovery.v1.EndpointSlice(
                        resource_name=f"{resource_name}-{family.value.lower()}",
                        opts=child_opts,
                        **_resource_args(
                            spec, partial(endpoint_slice_manifest, family=family), SLICE_FIELDS
                        ),
                    )
                )

        self.service_name = _output(spec, lambda s: s.service_name)
        self.namespace = _output(spec, lambda s: s.namespace)
        self.dns_name = _output(spec, lambda s: s.dns_name)
        self.ports = _output(spec, _port_outputs)
        self.cluster_ip = self.service.spec.apply(_cluster_ip)
        self.register_outputs(
            {
                "service_name": self.service_name,
                "namespace": self.namespace,
                "cluster_ip": self.cluster_ip,
                "dns_name": self.dns_name,
                "ports": self.ports,
            }
        )


class _Layout:
    """The plain choices that decide which child resources exist.

    Pulumi needs the set of resources while the program runs, so these inputs cannot wait for
    other resources' outputs.
    """

    def __init__(
        self,
        *,
        endpoint_kind: EndpointKind,
        has_endpoints: bool,
        headless: bool,
        adopt_id: str | None,
    ) -> None:
        self.endpoint_kind = endpoint_kind
        self.has_endpoints = has_endpoints
        self.headless = headless
        self.adopt_id = adopt_id

    @classmethod
    def read(cls, resource_name: str, args: ExternalServiceArgs) -> "_Layout":
        """Reads the layout, refusing structural inputs that are not plain values."""
        if not isinstance(resource_name, str) or not resource_name:
            raise ValidationError(
                "ExternalService",
                [
                    Problem(
                        field="resource_name",
                        message=f"{show(resource_name)} is not a name; give a non-empty string, "
                        "the Pulumi name of the component (also the default Service name)",
                    )
                ],
            )
        if not isinstance(args, Mapping):
            raise ValidationError(
                resource_name,
                [
                    Problem(
                        field="args",
                        message=f"{show(args)} is not a mapping of inputs; give a dict such as "
                        "ExternalServiceArgs(addresses=[...], ports=[...])",
                    )
                ],
            )
        problems = [
            Problem(
                field=key,
                message="must be a plain value known when the program runs, since it decides "
                "which Kubernetes objects exist; it cannot come from another resource's output",
            )
            for key in ("endpoint_kind", "headless", "adopt")
            if key in args and not _is_known(args.get(key))
        ]
        if problems:
            raise ValidationError(resource_name, problems)
        # An unknown kind is reported by validation, which runs before anything is registered.
        kind = args.get("endpoint_kind", EndpointKind.ENDPOINTS)
        known_kind = isinstance(kind, str) and kind in set(EndpointKind)
        endpoint_kind = EndpointKind(kind) if known_kind else EndpointKind.ENDPOINTS
        return cls(
            endpoint_kind=endpoint_kind,
            has_endpoints=args.get("hostname") is None,
            headless=args.get("headless") is True,
            adopt_id=_adopt_id(resource_name, args) if args.get("adopt") is True else None,
        )

    def slice_families(self, spec: ServiceSpec | pulumi.Output[ServiceSpec]) -> list[AddressFamily]:
        """The families to write slices for: those present, or both while addresses are unknown.

        A slice for a family that turns out absent is written with no endpoints, which consumers
        ignore.
        """
        if isinstance(spec, ServiceSpec):
            return list(spec.address_families)
        return list(AddressFamily)


def _adopt_id(resource_name: str, args: ExternalServiceArgs) -> str:
    """The `namespace/name` ID of the existing objects to take over.

    Resource options cannot wait for outputs, so the name and namespace must be plain values.
    """
    name = args.get("service_name", resource_name)
    namespace = args.get("namespace", DEFAULT_NAMESPACE)
    unknown = [
        key
        for key, value in (("service_name", name), ("namespace", namespace))
        if not _is_known(value)
    ]
    if unknown:
        raise ValidationError(
            resource_name,
            [
                Problem(
                    field="adopt",
                    message=f"needs {' and '.join(unknown)} known when the program runs (not "
                    "from another resource's output), to name the existing objects to take over",
                )
            ],
        )
    return f"{namespace}/{name}"


def _resolve_spec(
    resource_name: str, args: ExternalServiceArgs, *, layout: _Layout
) -> ServiceSpec | pulumi.Output[ServiceSpec]:
    """Validates the inputs now when all are known, or once they resolve otherwise."""
    values = cast(Mapping[str, object], args)
    if _is_known(values):
        return validate_service(values, label=resource_name, default_service_name=resource_name)
    resolved = pulumi.Output.from_input(cast(dict[str, Any], dict(values)))
    return resolved.apply(partial(_validate_resolved, label=resource_name, layout=layout))


def _validate_resolved(
    known: Mapping[str, object], *, label: str, layout: "_Layout"
) -> ServiceSpec:
    """Validates inputs that came from outputs, once they resolve.

    The error is raised while the SDK serializes a child's inputs, where the SDK rewrites any
    `ValueError` into a message about whichever input it was serializing, with object reprs; a
    plain `pulumi.RunError` passes through, and the engine prints its message alone.
    """
    try:
        spec = validate_service(known, label=label, default_service_name=label)
        return _check_layout(spec, label=label, layout=layout)
    except ValidationError as error:
        raise pulumi.RunError(str(error)) from error


def _check_layout(spec: ServiceSpec, *, label: str, layout: _Layout) -> ServiceSpec:
    """Refuses resolved inputs that contradict the objects chosen while the program ran.

    Whether endpoints exist is decided by whether `hostname` was given at all; a hostname that
    was given as an output and resolves to nothing would leave the Service without endpoints.
    """
    if layout.has_endpoints or spec.hostname is not None:
        return spec
    raise ValidationError(
        label,
        [
            Problem(
                field="hostname",
                message="was given as an output that resolved to nothing, after the objects "
                "were chosen for a DNS-named target; pass hostname only when there is one",
            )
        ],
    )


def _resource_args(
    spec: ServiceSpec | pulumi.Output[ServiceSpec],
    build: Callable[[ServiceSpec], Manifest],
    fields: Mapping[str, str],
) -> dict[str, Any]:
    """Turns a manifest into keyword arguments of a pulumi-kubernetes resource.

    Below the top level, the manifest's values are passed as they are, camelCase keys included:
    the SDK sends key spellings it does not know through untouched, so what is registered is
    exactly the manifest. `fields` maps each top-level field (all but `apiVersion` and `kind`,
    which the SDK sets) to its keyword argument, since a manifest that is still an Output cannot
    be asked for its keys.
    """
    if isinstance(spec, ServiceSpec):
        manifest = build(spec)
        return {argument: manifest[field] for field, argument in fields.items()}
    manifest_output = spec.apply(build)
    return {
        argument: manifest_output.apply(itemgetter(field)) for field, argument in fields.items()
    }


def _output(
    spec: ServiceSpec | pulumi.Output[ServiceSpec], read: Callable[[ServiceSpec], _T]
) -> pulumi.Output[_T]:
    """One output of the component, read from the validated inputs."""
    if isinstance(spec, ServiceSpec):
        return pulumi.Output.from_input(read(spec))
    return spec.apply(read)


def _port_outputs(spec: ServiceSpec) -> list[PortOutput]:
    return [
        PortOutput(
            name=port.name,
            port=port.port,
            target_port=port.target_port,
            protocol=port.protocol,
            app_protocol=port.app_protocol,
        )
        for port in spec.ports
    ]


def _cluster_ip(service_spec: core_outputs.ServiceSpec) -> str | None:
    """The assigned cluster IP; None for a headless or ExternalName Service."""
    cluster_ip = service_spec.cluster_ip
    return cluster_ip if cluster_ip not in (None, "", "None") else None


def _is_known(value: object) -> bool:
    """Whether a value holds no Output or awaitable anywhere inside it."""
    if isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return False
    if isinstance(value, Mapping):
        return all(_is_known(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_known(item) for item in value)
    return True
