"""The main job with no cluster: `pulumi up` renders manifests, and they match the offline render.

`scripts/pulumi-stack STACK -- up` gives the Kubernetes provider `renderYamlToDirectory`, so the
real engine and provider write every object they would send to a cluster as YAML. Those files and
`python -m external_service render` must agree object for object; otherwise a reviewer would be
shown something other than what gets deployed.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from external_service.render import Project, read_stack_config, render_objects
from tests.e2e.conftest import REPO, PulumiFactory

pytestmark = pytest.mark.e2e

STACKS = sorted(path.name.split(".")[1] for path in (REPO / "stacks").glob("Pulumi.*.yaml"))


def key(manifest: dict[str, Any]) -> tuple[str, str, str]:
    metadata = manifest["metadata"]
    return manifest["kind"], metadata.get("namespace", ""), metadata["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_provider_rendered_manifests_match_the_offline_render(
    stack: str, pulumi_stack: PulumiFactory, tmp_path: Path
) -> None:
    out = tmp_path / "manifests"

    pulumi_stack(stack).run("up", "--yes", "--skip-preview", "--non-interactive", render_to=out)

    rendered = [yaml.safe_load(path.read_text()) for path in sorted(out.rglob("*.yaml"))]
    project = Project.find(REPO)
    config = read_stack_config(
        REPO / "stacks" / f"Pulumi.{stack}.yaml", project=project.name, stack=stack
    )
    offline = render_objects(project, stack=stack, config=config)
    assert sorted(rendered, key=key) == sorted(offline, key=key)
