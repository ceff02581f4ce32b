"""Reading stack config: typed once at the top of the program, every mistake on its own line."""

import json

import pulumi
import pytest

from external_service import ConfigError
from external_service.config import read_stack_settings, service_args
from external_service.render import RecordingMocks
from external_service.validation import validate_service


@pytest.fixture(autouse=True)
def _runtime(mocks: RecordingMocks) -> None:
    """Every test sets the stack config of a fresh mock runtime; the fixture empties it after."""


def stack_config(**values: object) -> pulumi.Config:
    """The real `pulumi.Config` of the project, over these values as the engine passes them."""
    pulumi.runtime.set_all_config(
        {
            f"external-services:{key}": value if isinstance(value, str) else json.dumps(value)
            for key, value in values.items()
        }
    )
    return pulumi.Config("external-services")


PLAT_DEV = {"name": "plat-dev", "addresses": ["10.5.10.109"], "ports": [{"port": 3306}]}


def refused_lines(config: pulumi.Config) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as refused:
        read_stack_settings(config, stack="dev")
    return refused.value.lines


def test_services_are_read_in_order_with_stack_defaults() -> None:
    second = {"name": "redis-dev", "addresses": ["10.5.10.110"], "ports": [{"port": 6379}]}
    config = stack_config(services=[PLAT_DEV, second], namespace="data", clusterDomain="corp.local")

    settings = read_stack_settings(config, stack="dev")

    assert [s.service_name for s in settings.services] == ["plat-dev", "redis-dev"]
    assert {s.namespace for s in settings.services} == {"data"}
    assert settings.services[0].dns_name == "plat-dev.data.svc.corp.local"


def test_a_service_namespace_overrides_the_stack_default() -> None:
    config = stack_config(services=[{**PLAT_DEV, "namespace": "mysql"}], namespace="data")

    assert read_stack_settings(config, stack="dev").services[0].namespace == "mysql"


def test_missing_services_key_is_an_error() -> None:
    assert refused_lines(stack_config()) == (
        "stack dev: external-services:services is missing; list the external services of this "
        "stack under it",
    )


def test_an_empty_list_of_services_is_an_error() -> None:
    # `pulumi up` with no services deletes every service of the stack; destroy says so plainly.
    assert refused_lines(stack_config(services=[])) == (
        "stack dev: external-services:services is an empty list; list the external services of "
        "this stack under it (to remove every service of the stack, run pulumi destroy)",
    )


def test_services_must_be_a_list() -> None:
    assert refused_lines(stack_config(services={"plat-dev": PLAT_DEV}))[0].startswith(
        'stack dev: external-services:services {"plat-dev": '
    )


def test_services_that_are_not_json_are_an_error() -> None:
    lines = refused_lines(stack_config(services="[{name: plat-dev"))

    assert lines[0].startswith("stack dev: external-services:services is not valid JSON")


def test_every_problem_of_every_service_is_listed_with_the_stack() -> None:
    broken = [
        {**PLAT_DEV, "adresses": PLAT_DEV["addresses"]},
        "plat-staging",
        {"addresses": ["10.0.0.1"], "ports": [{"port": 80}]},
    ]

    lines = refused_lines(stack_config(services=broken))

    assert lines == (
        "stack dev: plat-dev: adresses is not a known key; did you mean 'addresses'? known "
        "keys: addresses, adopt, annotations, clusterDomain, endpointKind, headless, hostname, "
        "labels, name, namespace, ports",
        "stack dev: services[1] 'plat-staging' is not a service; give a mapping with name, "
        "addresses, ports",
        "stack dev: services[2]: name is missing; give the Service name, e.g. 'plat-dev'",
    )


def test_duplicate_names_are_refused_even_across_namespaces() -> None:
    config = stack_config(services=[PLAT_DEV, {**PLAT_DEV, "namespace": "other"}])

    assert refused_lines(config) == (
        "stack dev: plat-dev: name 'plat-dev' repeats services[0]; each service of a stack needs "
        "its own name, even in another namespace",
    )


@pytest.mark.parametrize(
    ("defaults", "line"),
    [
        pytest.param(
            {"namespace": "Data"},
            "stack dev: external-services:namespace 'Data' is not a valid namespace;",
            id="namespace",
        ),
        pytest.param(
            {"clusterDomain": "corp_local"},
            "stack dev: external-services:clusterDomain 'corp_local' is not a valid cluster",
            id="cluster-domain",
        ),
    ],
)
def test_bad_stack_defaults_are_reported_once(defaults: dict[str, str], line: str) -> None:
    lines = refused_lines(stack_config(services=[PLAT_DEV, {**PLAT_DEV, "name": "b"}], **defaults))

    assert len(lines) == 1
    assert lines[0].startswith(line)


@pytest.mark.parametrize("key", ["namespace", "clusterDomain"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_stack_default_is_refused_rather_than_defaulted(key: str, value: str) -> None:
    # A key written with no value reaches the program as empty text; falling back to the
    # default would hide that the file says something else.
    lines = refused_lines(stack_config(services=[PLAT_DEV], **{key: value}))

    assert lines == (
        f"stack dev: external-services:{key} is empty; give a value, or leave the key out for "
        f"the default {'default' if key == 'namespace' else 'cluster.local'!r}",
    )


def test_an_empty_services_key_is_refused() -> None:
    assert refused_lines(stack_config(services="")) == (
        "stack dev: external-services:services is empty; list the external services of this "
        "stack under it",
    )


def test_service_args_describe_the_validated_service_again() -> None:
    spec = read_stack_settings(
        stack_config(
            services=[
                {
                    **PLAT_DEV,
                    "endpointKind": "Both",
                    "ports": [{"name": "mysql", "port": "3306", "appProtocol": "mysql"}],
                    "labels": {"team": "data"},
                }
            ]
        ),
        stack="dev",
    ).services[0]

    again = validate_service(service_args(spec), label="plat-dev", default_service_name=None)

    assert again == spec
