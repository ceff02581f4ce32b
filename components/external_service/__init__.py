"""Stable in-cluster names for servers that live outside Kubernetes.

Import `ExternalService` to add one to a Pulumi program; `python -m external_service render`
prints the objects a stack would create, without a cluster.
"""

from external_service.component import (
    TYPE_TOKEN,
    ExternalService,
    ExternalServiceArgs,
    PortArgs,
    PortOutput,
)
from external_service.errors import ConfigError, ExternalServiceError, Problem, ValidationError
from external_service.spec import EndpointKind

__all__ = [
    "TYPE_TOKEN",
    "ConfigError",
    "EndpointKind",
    "ExternalService",
    "ExternalServiceArgs",
    "ExternalServiceError",
    "PortArgs",
    "PortOutput",
    "Problem",
    "ValidationError",
]
