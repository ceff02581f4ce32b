"""The external-services program: one ExternalService per entry of the stack's config.

Stack files live in `stacks/`; `external-services:services` lists the external servers of that
environment. All configuration is read and validated here, once, before any resource is created.
"""

import pulumi

from external_service import ExternalService, PortOutput
from external_service.config import read_stack_settings, service_args

settings = read_stack_settings(pulumi.Config("external-services"), stack=pulumi.get_stack())

services = {
    spec.service_name: ExternalService(spec.service_name, service_args(spec))
    for spec in settings.services
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
