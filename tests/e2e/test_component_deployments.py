"""The component as other teams use it, deployed by the real engine through the Automation API.

Each test runs small inline programs (the Automation API serves them to the real Pulumi CLI, which
drives the real Kubernetes provider against the local API server) and watches the cluster with
the official Kubernetes client: renames with aliases, switching endpoint kinds on a live service,
taking over hand-made objects, ExternalName and headless services, and refusing bad input before
anything is created.
"""

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from kubernetes import client, utils
from pulumi import automation as auto

from external_service import ExternalService, ExternalServiceArgs
from tests.e2e.conftest import Cluster, eventually, toolchain_environment

pytestmark = pytest.mark.e2e

Program = Callable[[], None]


@pytest.fixture
def stack(cluster: Cluster, tmp_path: Path) -> Iterator[auto.Stack]:
    """A fresh stack of an inline project with a local file backend, destroyed afterwards."""
    backend = tmp_path / "backend"
    backend.mkdir()
    settings = auto.ProjectSettings(
        name="external-services-e2e",
        runtime="python",
        backend=auto.ProjectBackend(url=f"file://{backend}"),
    )
    environment = {
        **toolchain_environment(),
        "KUBECONFIG": str(cluster.kubeconfig),
        "PULUMI_CONFIG_PASSPHRASE": "",
    }
    # The CLI built by scripts/toolchain, found in its bin folder rather than on this PATH.
    pulumi_binary = shutil.which("pulumi", path=environment["PATH"])
    assert pulumi_binary is not None, "scripts/toolchain put no pulumi on PATH"
    created = auto.create_stack(
        stack_name="e2e",
        project_name=settings.name,
        program=lambda: None,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(tmp_path),
            project_settings=settings,
            secrets_provider="passphrase",
            env_vars=environment,
            pulumi_home=environment["PULUMI_HOME"],
            pulumi_command=auto.PulumiCommand(root=str(Path(pulumi_binary).parents[1])),
        ),
    )
    try:
        yield created
    finally:
        created.destroy(on_output=lambda _: None)


def up(stack: auto.Stack, program: Program) -> auto.UpResult:
    return stack.up(program=program, on_output=lambda _: None)


def preview_changes(stack: auto.Stack, program: Program) -> dict[str, int]:
    """The operations a preview plans, other than leaving resources as they are."""
    summary = stack.preview(program=program, on_output=lambda _: None).change_summary
    return {op: count for op, count in summary.items() if op != "same" and count}


def service_program(name: str, args: ExternalServiceArgs, **options: Any) -> Program:
    def program() -> None:
        ExternalService(name, args, pulumi.ResourceOptions(**options))

    return program


def ready_addresses(cluster: Cluster, service: str, namespace: str) -> list[str]:
    """The ready endpoint addresses of a Service across all its slices, ours or mirrored."""
    return sorted(
        address
        for endpoint_slice in cluster.slices_of(service, namespace)
        for endpoint in endpoint_slice.get("endpoints") or []
        if (endpoint.get("conditions") or {}).get("ready", True)
        for address in endpoint["addresses"]
    )


ORDERS_DB: ExternalServiceArgs = {
    "service_name": "orders-db",
    "addresses": ["10.12.28.52", "10.12.28.53"],
    "ports": [{"name": "postgres", "port": 5432}],
}


def test_renaming_the_component_with_an_alias_replaces_nothing(
    stack: auto.Stack, cluster: Cluster
) -> None:
    up(stack, service_program("orders-db-old", ORDERS_DB))
    before = cluster.read("Service", "orders-db", "default")

    renamed = service_program(
        "orders-db-new", ORDERS_DB, aliases=[pulumi.Alias(name="orders-db-old")]
    )
    assert preview_changes(stack, renamed) == {}
    up(stack, renamed)

    after = cluster.read("Service", "orders-db", "default")
    assert before is not None
    assert after is not None
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["spec"]["clusterIP"] == before["spec"]["clusterIP"]


def test_renaming_without_an_alias_would_replace(stack: auto.Stack) -> None:
    up(stack, service_program("orders-db-old", ORDERS_DB))

    # The reason aliases matter: the engine plans a create and a delete of every object.
    changes = preview_changes(stack, service_program("orders-db-new", ORDERS_DB))
    assert changes.get("create") == changes.get("delete") == 3


@pytest.mark.parametrize(
    ("start", "switch_to"),
    [
        pytest.param("Endpoints", "EndpointSlice", id="endpoints-to-slices"),
        pytest.param("EndpointSlice", "Endpoints", id="slices-to-endpoints"),
        pytest.param("Endpoints", "Both", id="endpoints-to-both"),
    ],
)
def test_switching_endpoint_kind_never_leaves_the_service_without_endpoints(
    stack: auto.Stack, cluster: Cluster, start: str, switch_to: str
) -> None:
    up(stack, service_program("orders-db", {**ORDERS_DB, "endpoint_kind": start}))
    addresses = sorted(ORDERS_DB["addresses"])  # type: ignore[arg-type]
    eventually(
        lambda: _assert_equal(ready_addresses(cluster, "orders-db", "default"), addresses),
        what="the first endpoints",
    )

    # Watch the Service's endpoints the whole time the switch is deployed.
    seen: list[list[str]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.append(ready_addresses(cluster, "orders-db", "default"))
            done.wait(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        up(stack, service_program("orders-db", {**ORDERS_DB, "endpoint_kind": switch_to}))
    finally:
        done.set()
        watcher.join()

    assert len(seen) > 10, "the watch did not run during the switch"
    assert all(observed for observed in seen), "a moment without any ready endpoint"
    eventually(
        lambda: _assert_equal(ready_addresses(cluster, "orders-db", "default"), addresses),
        what="the endpoints after the switch",
    )


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected, f"{actual} != {expected}"


def test_adopting_hand_made_objects_keeps_their_cluster_ip_and_uid(
    stack: auto.Stack, cluster: Cluster
) -> None:
    # The pair as teams write it by hand today.
    for manifest in (
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "plat-dev", "namespace": "default"},
            "spec": {"ports": [{"port": 3306, "protocol": "TCP", "targetPort": 3306}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "plat-dev", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": "10.5.10.109"}], "ports": [{"port": 3306}]}],
        },
    ):
        utils.create_from_dict(cluster.api, manifest)
    hand_made = cluster.read("Service", "plat-dev", "default")
    assert hand_made is not None
    dev: ExternalServiceArgs = {"addresses": ["10.5.10.109"], "ports": [{"port": 3306}]}

    up(stack, service_program("plat-dev", {**dev, "adopt": True}))

    adopted = cluster.read("Service", "plat-dev", "default")
    assert adopted is not None
    assert adopted["metadata"]["uid"] == hand_made["metadata"]["uid"]
    assert adopted["spec"]["clusterIP"] == hand_made["spec"]["clusterIP"]
    assert adopted["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "pulumi"}
    assert preview_changes(stack, service_program("plat-dev", {**dev, "adopt": True})) == {}


def test_hostname_target_is_stored_as_an_external_name(stack: auto.Stack, cluster: Cluster) -> None:
    up(
        stack,
        service_program(
            "orders-db", {"hostname": "Orders.DB.example.com.", "ports": [{"port": 5432}]}
        ),
    )

    service = cluster.read("Service", "orders-db", "default")
    assert service is not None
    assert (service["spec"]["type"], service["spec"]["externalName"]) == (
        "ExternalName",
        "orders.db.example.com",
    )
    assert cluster.read("Endpoints", "orders-db", "default") is None


def test_headless_service_has_no_cluster_ip(stack: auto.Stack, cluster: Cluster) -> None:
    result = up(stack, service_program("orders-db", {**ORDERS_DB, "headless": True}))

    service = cluster.read("Service", "orders-db", "default")
    assert service is not None
    assert service["spec"]["clusterIP"] == "None"
    assert result.summary.result == "succeeded"


def test_bad_input_stops_the_deployment_before_anything_is_created(
    stack: auto.Stack, cluster: Cluster
) -> None:
    bad: ExternalServiceArgs = {"addresses": ["127.0.0.1"], "ports": [{"port": 3306}]}

    with pytest.raises(auto.CommandError) as failed:
        up(stack, service_program("orders-db", bad))

    message = str(failed.value)
    assert "orders-db: addresses[0] '127.0.0.1' is a loopback address" in message
    assert "Traceback" not in message
    assert cluster.read("Service", "orders-db", "default") is None
    with pytest.raises(client.ApiException):
        cluster.core.read_namespaced_endpoints("orders-db", "default")


def test_dual_stack_service_gets_both_families_and_a_slice_each(
    stack: auto.Stack, cluster: Cluster
) -> None:
    # scripts/cluster gives the API server an IPv4 and an IPv6 service range.
    dual: ExternalServiceArgs = {
        "addresses": ["10.1.1.10", "2001:db8::10", "10.1.1.12"],
        "endpoint_kind": "EndpointSlice",
        "ports": [{"name": "redis", "port": 6379}],
    }

    up(stack, service_program("cache", dual))

    service = cluster.read("Service", "cache", "default")
    assert service is not None
    assert service["spec"]["ipFamilies"] == ["IPv4", "IPv6"]
    assert len(service["spec"]["clusterIPs"]) == 2, service["spec"]["clusterIPs"]
    slices = {s["addressType"]: s for s in cluster.slices_of("cache", "default")}
    assert sorted(slices) == ["IPv4", "IPv6"]
    assert [e["addresses"] for e in slices["IPv4"]["endpoints"]] == [["10.1.1.10"], ["10.1.1.12"]]
    assert [e["addresses"] for e in slices["IPv6"]["endpoints"]] == [["2001:db8::10"]]
