"""Session fixtures of the end-to-end tests: the built toolchain, a local control plane, clients.

The control plane (etcd, kube-apiserver, kube-controller-manager on 127.0.0.1) is started once per
session by `scripts/cluster` and stopped at the end, even when tests fail. Pulumi runs through
`scripts/pulumi-stack`, the same command the README gives users, with a local file backend in a
temporary folder. Every test module here carries `pytestmark = pytest.mark.e2e`, so that the
unit run (`-m "not e2e"`, the default in pyproject.toml) leaves them out.
"""

import functools
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client, config

REPO = Path(__file__).resolve().parents[2]
PULUMI_TIMEOUT = 600

_T = TypeVar("_T")


@functools.cache
def toolchain_environment() -> dict[str, str]:
    """This process's environment with the built Pulumi tools on PATH (`scripts/toolchain`)."""
    shown = subprocess.run(
        ["bash", "-c", 'eval "$(scripts/toolchain)" && env -0'],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=3600,
    )
    pairs = (entry.split("=", 1) for entry in shown.stdout.decode().split("\0") if "=" in entry)
    return dict(pairs)


@dataclass(frozen=True)
class Cluster:
    """A running local control plane.

    Attributes:
        kubeconfig: Path of its admin kubeconfig.
        api: A client of the official Kubernetes Python library, configured for it.
    """

    kubeconfig: Path
    api: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        """The core/v1 API (Services, Endpoints, Namespaces)."""
        return client.CoreV1Api(self.api)

    @property
    def discovery(self) -> client.DiscoveryV1Api:
        """The discovery.k8s.io/v1 API (EndpointSlices)."""
        return client.DiscoveryV1Api(self.api)

    def read(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        """An object as the API server returns it, as a plain manifest; None when absent."""
        readers = {
            "Service": self.core.read_namespaced_service,
            "Endpoints": self.core.read_namespaced_endpoints,
        }
        try:
            found = readers[kind](name, namespace)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise
        manifest: dict[str, Any] = self.api.sanitize_for_serialization(found)
        return manifest

    def slices_of(self, service: str, namespace: str) -> list[dict[str, Any]]:
        """The EndpointSlices linked to a Service by the `kubernetes.io/service-name` label."""
        found = self.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service}"
        )
        slices: list[dict[str, Any]] = self.api.sanitize_for_serialization(found)["items"]
        return slices

    def ensure_namespace(self, name: str) -> None:
        """Creates a namespace unless it exists."""
        try:
            self.core.read_namespace(name)
        except client.ApiException as error:
            if error.status != 404:
                raise
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A local control plane for the whole session, stopped and removed afterwards.

    `EXTERNAL_SERVICES_E2E_CLUSTER_STATE` names its state folder, so that a caller (CI) can stop
    it even if this process dies; by default it is a temporary folder.
    """
    chosen = os.environ.get("EXTERNAL_SERVICES_E2E_CLUSTER_STATE")
    state = Path(chosen) if chosen else tmp_path_factory.mktemp("cluster") / "state"
    subprocess.run([REPO / "scripts" / "cluster", "up", state], check=True, timeout=1800)
    try:
        kubeconfig = state / "kubeconfig"
        api = config.new_client_from_config(config_file=str(kubeconfig))
        yield Cluster(kubeconfig=kubeconfig, api=api)
    finally:
        subprocess.run([REPO / "scripts" / "cluster", "down", state], check=False, timeout=120)


@dataclass(frozen=True)
class PulumiStack:
    """Runs `scripts/pulumi-stack` for one stack with a backend of this session.

    Attributes:
        stack: The stack name.
        state: The folder of the local backends.
        kubeconfig: The cluster to deploy to; None renders instead.
    """

    stack: str
    state: Path
    kubeconfig: Path | None

    def run(
        self,
        *pulumi_args: str,
        config_file: Path | None = None,
        render_to: Path | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Runs one pulumi command; fails the test with its output when it fails."""
        command: list[str | Path] = [REPO / "scripts" / "pulumi-stack", self.stack]
        if self.kubeconfig is not None:
            command.append("--cluster")
        elif render_to is not None:
            command += ["--render", render_to]
        if config_file is not None:
            command += ["--config-file", config_file]
        command += ["--", *pulumi_args]

        environment = {**os.environ, "EXTERNAL_SERVICES_STATE": str(self.state)}
        if self.kubeconfig is not None:
            environment["KUBECONFIG"] = str(self.kubeconfig)
        result = subprocess.run(
            command,
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"pulumi {' '.join(pulumi_args)} on stack {self.stack} failed "
                f"({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result


PulumiFactory = Callable[..., PulumiStack]


@pytest.fixture
def pulumi_stack(tmp_path: Path) -> PulumiFactory:
    """Makes `PulumiStack` runners whose state lives in this test's temporary folder."""

    def make(stack: str, cluster: Cluster | None = None) -> PulumiStack:
        kubeconfig = cluster.kubeconfig if cluster is not None else None
        return PulumiStack(stack=stack, state=tmp_path / "state", kubeconfig=kubeconfig)

    return make


def stack_services(stack_file: Path) -> list[dict[str, Any]]:
    """The service entries of a stack file, as written."""
    document = yaml.safe_load(stack_file.read_text())
    services: list[dict[str, Any]] = document["config"]["external-services:services"]
    return services


def eventually(check: Callable[[], _T], *, timeout: float = 60, what: str) -> _T:
    """Polls `check` until it returns without an AssertionError, for controllers to catch up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None
            time.sleep(0.5)
