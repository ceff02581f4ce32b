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

# Every stack of the project, and a file with one service of every endpoint kind and mode.
STACK_FILES = [
    *sorted((REPO / "stacks").glob("Pulumi.*.yaml")),
    REPO / "tests" / "stacks" / "Pulumi.every-kind.yaml",
]


def key(manifest: dict[str, Any]) -> tuple[str, str, str]:
    metadata = manifest["metadata"]
    return manifest["kind"], metadata.get("namespace", ""), metadata["name"]


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name.split(".")[1])
def test_provider_rendered_manifests_match_the_offline_render(
    stack_file: Path, pulumi_stack: PulumiFactory, tmp_path: Path
) -> None:
    stack = stack_file.name.split(".")[1]
    out = tmp_path / "manifests"

    pulumi_stack(stack).run(
        "up", "--yes", "--skip-preview", "--non-interactive", config_file=stack_file, render_to=out
    )

    rendered = [yaml.safe_load(path.read_text()) for path in sorted(out.rglob("*.yaml"))]
    project = Project.find(REPO)
    config = read_stack_config(stack_file, project=project.name, stack=stack)
    # The program sees the same render setting as the provider (it drops adopt in a render).
    config["kubernetes:renderYamlToDirectory"] = str(out)
    offline = render_objects(project, stack=stack, config=config)
    assert sorted(rendered, key=key) == sorted(offline, key=key)


@pytest.mark.parametrize(
    "removal",
    [
        pytest.param([("destroy", "--yes", "--remove")], id="destroy-remove"),
        pytest.param([("destroy", "--yes"), ("stack", "rm", "--yes")], id="stack-rm"),
    ],
)
def test_removing_a_stack_leaves_its_file_in_stacks_alone(
    pulumi_stack: PulumiFactory, removal: list[tuple[str, ...]]
) -> None:
    # Pulumi deletes the project's stack file when a stack is removed; the wrapper runs Pulumi
    # in a project of its own under the state folder, so the reviewed file must survive.
    stack_file = REPO / "stacks" / "Pulumi.dev.yaml"
    before = stack_file.read_bytes()
    dev = pulumi_stack("dev")

    dev.run("up", "--yes", "--skip-preview", "--non-interactive")
    for step in removal:
        dev.run(*step, "--non-interactive")

    assert stack_file.read_bytes() == before
