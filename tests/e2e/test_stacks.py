"""Every stack of the project, deployed, updated and destroyed by the real Pulumi engine.

These check what mocks cannot: the project file, config keys in the right namespace, a provider
that does not wait forever on a selector-less Service, an update that patches the endpoints in
place (the Service keeps its cluster IP and UID), objects the API server accepts, and that
Kubernetes itself links the pair (the EndpointSlice mirroring controller mirrors the Endpoints of
the Service).
"""

import ipaddress
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from external_service.render import Project, read_stack_config, render_objects
from tests.e2e.conftest import REPO, Cluster, PulumiFactory, eventually, stack_services

pytestmark = pytest.mark.e2e

STACKS = sorted(path.name.split(".")[1] for path in (REPO / "stacks").glob("Pulumi.*.yaml"))
MIRRORED_BY = "endpointslicemirroring-controller.k8s.io"


def expected_objects(stack: str, stack_file: Path) -> list[dict[str, Any]]:
    """The objects the offline render gives for a stack file."""
    project = Project.find(REPO)
    config = read_stack_config(stack_file, project=project.name, stack=stack)
    return render_objects(project, stack=stack, config=config)


def assert_deployed(cluster: Cluster, objects: list[dict[str, Any]]) -> None:
    """The cluster holds each rendered Service and Endpoints as rendered, linked by Kubernetes."""
    for expected in objects:
        kind, name = expected["kind"], expected["metadata"]["name"]
        namespace = expected["metadata"]["namespace"]
        live = cluster.read(kind, name, namespace)
        assert live is not None, f"{kind} {namespace}/{name} was not created"
        if kind == "Service":
            assert "selector" not in live["spec"], f"Service {namespace}/{name} has a selector"
            assert live["spec"]["ports"] == expected["spec"]["ports"], f"{name} ports"
        elif kind == "Endpoints":
            assert endpoint_view(live) == endpoint_view(expected), f"Endpoints {namespace}/{name}"
            eventually(
                partial(assert_mirrored, cluster, expected),
                what=f"the mirrored EndpointSlice of {namespace}/{name}",
            )


def endpoint_view(endpoints: dict[str, Any]) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    """Addresses and ports of an Endpoints object, with the API server's defaults filled in."""
    return [
        (
            [address["ip"] for address in subset["addresses"]],
            [(p.get("name"), p["port"], p.get("protocol", "TCP")) for p in subset["ports"]],
        )
        for subset in endpoints["subsets"]
    ]


def assert_mirrored(cluster: Cluster, endpoints: dict[str, Any]) -> None:
    """The mirroring controller made a slice of the Endpoints: Kubernetes sees the pair linked."""
    metadata = endpoints["metadata"]
    slices = cluster.slices_of(metadata["name"], metadata["namespace"])
    mirrored = [s for s in slices if s["metadata"]["labels"].get(MANAGED_BY) == MIRRORED_BY]
    assert len(mirrored) == 1, f"mirrored slices of {metadata['name']}: {len(mirrored)}"
    # The controller keeps its own order of endpoints.
    addresses = sorted(a for e in mirrored[0].get("endpoints", []) for a in e["addresses"])
    assert addresses == sorted(a["ip"] for a in endpoints["subsets"][0]["addresses"])


MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


def service_identity(cluster: Cluster, name: str, namespace: str) -> tuple[str, str]:
    """The UID and cluster IP of a Service: both change when it is deleted and created again."""
    service = cluster.read("Service", name, namespace)
    assert service is not None, f"Service {namespace}/{name} is missing"
    return service["metadata"]["uid"], service["spec"]["clusterIP"]


def with_moved_address(stack_file: Path, target: Path) -> Path:
    """A copy of the stack file whose first service's first address moved to another host."""
    document = yaml.safe_load(stack_file.read_text())
    service = document["config"]["external-services:services"][0]
    service["addresses"][0] = str(ipaddress.ip_address(service["addresses"][0]) + 7)
    target.write_text(yaml.safe_dump(document))
    return target


def changed_resources(preview_json: str) -> list[tuple[str, str]]:
    """The (operation, resource type) of every step of a `preview --json` that changes something."""
    steps = json.loads(preview_json)["steps"]
    return sorted(
        (step["op"], step["urn"].split("::")[-2].split("$")[-1])
        for step in steps
        if step["op"] != "same"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_stack_deploys_updates_in_place_and_destroys(
    stack: str, cluster: Cluster, pulumi_stack: PulumiFactory, tmp_path: Path
) -> None:
    stack_file = REPO / "stacks" / f"Pulumi.{stack}.yaml"
    objects = expected_objects(stack, stack_file)
    for namespace in sorted({o["metadata"]["namespace"] for o in objects}):
        cluster.ensure_namespace(namespace)
    pulumi = pulumi_stack(stack, cluster)

    # Deploy: preview, then up; both must finish (a provider waiting on a selector-less Service
    # for pods would hang here until the timeout).
    pulumi.run("preview", "--non-interactive")
    pulumi.run("up", "--yes", "--skip-preview", "--non-interactive")
    assert_deployed(cluster, objects)
    first = stack_services(stack_file)[0]
    identity = partial(service_identity, cluster, first["name"], first.get("namespace", "default"))
    before = identity()

    # Move one address: only the endpoints change, in place, and the Service stays as it was.
    moved = with_moved_address(stack_file, tmp_path / f"Pulumi.{stack}.yaml")
    preview = pulumi.run("preview", "--diff", "--json", "--non-interactive", config_file=moved)
    assert changed_resources(preview.stdout) == [("update", "kubernetes:core/v1:Endpoints")]
    pulumi.run("up", "--yes", "--skip-preview", "--non-interactive", config_file=moved)
    assert_deployed(cluster, expected_objects(stack, moved))
    assert identity() == before, "the Service was replaced instead of its endpoints updated"

    # Destroy: nothing of the stack is left.
    pulumi.run("destroy", "--yes", "--skip-preview", "--non-interactive", config_file=moved)
    for expected in objects:
        metadata = expected["metadata"]
        live = cluster.read(expected["kind"], metadata["name"], metadata["namespace"])
        assert live is None, f"{expected['kind']} {metadata['name']} is left after destroy"


def test_a_config_mistake_stops_the_main_job_with_one_line_per_problem(
    cluster: Cluster, pulumi_stack: PulumiFactory, tmp_path: Path
) -> None:
    mistaken = tmp_path / "Pulumi.mistaken.yaml"
    mistaken.write_text(
        "config:\n"
        "  external-services:services:\n"
        "    - name: plat-dev\n"
        "      adresses: [10.5.10.109]\n"
        "      ports: [{port: 3306}]\n"
    )

    result = pulumi_stack("mistaken", cluster).run(
        "up", "--yes", "--non-interactive", config_file=mistaken, check=False
    )

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "stack mistaken: plat-dev: adresses is not a known key; did you mean 'addresses'?" in (
        output
    )
    assert "stack mistaken: plat-dev: addresses is missing;" in output
    assert "Traceback" not in output
    assert cluster.read("Service", "plat-dev", "default") is None
