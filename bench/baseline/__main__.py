"""Benchmark baseline: the same Service and Endpoints objects, declared directly.

The project's program (`__main__.py` at the top of the repository) creates one `ExternalService`
component per stack entry, which validates every input before it registers its children. This
program reads the same stack config and registers the same two pulumi-kubernetes resources per
entry with the same manifests, but with no component, no validation and no stack outputs, so that
running both under the same mock runtime shows what the component costs. It understands only what
`bench/run.py` generates: addresses, ports with an optional name and a `namespace`; anything else
in a stack file is ignored.

With `BENCH_BASELINE_PARENT=component` in the environment, each Service and Endpoints pair gets a
bare `pulumi.ComponentResource` as its parent (no inputs, no validation, no outputs of its own):
beside the two other renders, that shows what Pulumi itself charges for a component.
"""

import os
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.core.v1 import (
    EndpointPortArgsDict,
    EndpointSubsetArgsDict,
    ServicePortArgsDict,
    ServiceSpecArgsDict,
)
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict

MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi"}

config = pulumi.Config("external-services")
namespace = config.get("namespace") or "default"
entries: list[dict[str, Any]] = config.require_object("services")
with_parent = os.environ.get("BENCH_BASELINE_PARENT") == "component"

for entry in entries:
    name: str = entry["name"]
    metadata = ObjectMetaArgsDict(name=name, namespace=namespace, labels=dict(MANAGED_BY))
    service_ports: list[ServicePortArgsDict] = []
    endpoint_ports: list[EndpointPortArgsDict] = []
    for port in entry["ports"]:
        service_port = ServicePortArgsDict(
            port=port["port"], protocol="TCP", target_port=port["port"]
        )
        endpoint_port = EndpointPortArgsDict(port=port["port"])
        if "name" in port:
            service_port["name"] = endpoint_port["name"] = port["name"]
        service_ports.append(service_port)
        endpoint_ports.append(endpoint_port)

    opts = None
    if with_parent:
        parent = pulumi.ComponentResource(t="bench:index:Pair", name=name, props=None, opts=None)
        parent.register_outputs({})
        opts = pulumi.ResourceOptions(parent=parent)
    k8s.core.v1.Service(
        resource_name=name,
        metadata=metadata,
        spec=ServiceSpecArgsDict(ports=service_ports),
        opts=opts,
    )
    k8s.core.v1.Endpoints(
        resource_name=name,
        opts=opts,
        metadata=metadata,
        subsets=[
            EndpointSubsetArgsDict(
                addresses=[{"ip": address} for address in entry["addresses"]],
                ports=endpoint_ports,
            )
        ],
    )
