"""The external-services program: one ExternalService per entry of the stack's config.

Stack files live in `stacks/`; `external-services:services` lists the external servers of that
environment. All configuration is read and validated here, once, before any resource is created.
"""

import pulumi

from external_service import ExternalService, ExternalServiceArgs, PortOutput
from external_service.config import read_stack_settings, service_args
from external_service.spec import ServiceSpec

settings = read_stack_settings(pulumi.Config("external-services"), stack=pulumi.get_stack())
# Set when the default Kubernetes provider writes YAML instead of talking to a cluster.
render_directory = pulumi.Config("kubernetes").get("renderYamlToDirectory")


def _args(spec: ServiceSpec) -> ExternalServiceArgs:
    """The component inputs of one service; a render has no cluster to take objects over from."""
    args = service_args(spec)
    if spec.adopt and render_directory is not None:
        pulumi.log.warn(
            f"{spec.service_name}: adopt has no effect while rendering to {render_directory}: "
            "there is no cluster to take objects over from"
        )
        args["adopt"] = False
    return args


services = {
    spec.service_name: ExternalService(spec.service_name, _args(spec)) for spec in settings.services
}


def _stack_output_ports(ports: list[PortOutput]) -> list[dict[str, object]]:
    """Ports as the stack outputs spell them, like the stack file (`targetPort`)."""
    return [
        {
            "name": port["name"],
            "port": port["port"],
            "targetPort": port["target_port"],
            "protocol": port["protocol"],
            "appProtocol": port["app_protocol"],
        }
        for port in ports
    ]


pulumi.export(
    "services",
    {
        name: {
            "dnsName": service.dns_name,
            "clusterIP": service.cluster_ip,
            "ports": service.ports.apply(_stack_output_ports),
        }
        for name, service in services.items()
    },
)
