"""Shared fixtures: a recording mock runtime and a way to run the component under it."""

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pytest
from pulumi.runtime.settings import SETTINGS

from external_service import ExternalService, ExternalServiceArgs
from external_service.manifests import Manifest
from external_service.render import RecordingMocks, object_order

PROJECT = "external-services"


@dataclass(frozen=True)
class Deployed:
    """What one run of the component under mocks produced.

    Attributes:
        outputs: The component's outputs, resolved.
        objects: The Kubernetes objects registered, in the render command's order.
        mocks: The mocks, for the full registrations (types, names, import IDs).
    """

    outputs: dict[str, Any]
    objects: list[Manifest]
    mocks: RecordingMocks

    def only(self, kind: str) -> Manifest:
        """The single registered object of a kind."""
        found = [obj for obj in self.objects if obj["kind"] == kind]
        assert len(found) == 1, f"expected one {kind}, registered: {self.kinds()}"
        return found[0]

    def kinds(self) -> list[str]:
        """The kinds registered: Service, then Endpoints, then slices."""
        return [obj["kind"] for obj in self.objects]


Deploy = Callable[..., Deployed]


def run_under_mocks(program: Callable[[], Any]) -> None:
    """Runs `program` in the mock runtime and waits for everything it started.

    `pulumi.runtime.test` awaits the Output the program returns and every registration; it
    carries no type hints of its own.
    """
    test = cast(Callable[[Callable[[], Any]], Callable[[], None]], pulumi.runtime.test)
    test(program)()


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    """A fresh recording mock runtime; the stack config is emptied again afterwards."""
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project=PROJECT, stack="test", preview=False)
    pulumi.runtime.set_all_config({})
    yield recording
    pulumi.runtime.set_all_config({})
    # A failed registration keeps its error in futures the runtime holds on to after raising it
    # once; asyncio reports such futures when they are collected. Drop and collect them now, so
    # that the report goes to this test's captured log instead of the end of the run.
    SETTINGS.outputs.clear()
    gc.collect()


@pytest.fixture
def deploy(mocks: RecordingMocks) -> Deploy:
    """Creates one `ExternalService` under the mocks and returns what it registered."""

    def run(
        args: ExternalServiceArgs,
        name: str = "plat-dev",
        opts: pulumi.ResourceOptions | None = None,
    ) -> Deployed:
        outputs: dict[str, Any] = {}

        def program() -> pulumi.Output[None]:
            service = ExternalService(name, args, opts)
            resolved = pulumi.Output.all(
                service_name=service.service_name,
                namespace=service.namespace,
                cluster_ip=service.cluster_ip,
                dns_name=service.dns_name,
                ports=service.ports,
            )
            return resolved.apply(outputs.update)

        run_under_mocks(program)
        objects = sorted(mocks.objects, key=object_order)
        return Deployed(outputs=outputs, objects=objects, mocks=mocks)

    return run
