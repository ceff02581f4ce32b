"""The component under Pulumi's mocks: the objects it registers and the outputs it reports."""

import pulumi
import pytest

from external_service import TYPE_TOKEN, ExternalService, ExternalServiceArgs, ValidationError
from external_service.render import RecordingMocks
from tests.conftest import PROJECT, Deploy, run_under_mocks

DEV: ExternalServiceArgs = {"addresses": ["10.5.10.109"], "ports": [{"port": 3306}]}


def test_dev_pair_is_a_selector_less_service_and_same_named_endpoints(deploy: Deploy) -> None:
    deployed = deploy(DEV)

    service = deployed.only("Service")
    endpoints = deployed.only("Endpoints")
    assert service == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "plat-dev",
            "namespace": "default",
            "labels": {"app.kubernetes.io/managed-by": "pulumi"},
        },
        "spec": {"ports": [{"port": 3306, "protocol": "TCP", "targetPort": 3306}]},
    }, "Service plat-dev differs from the reviewed dev Service"
    assert endpoints == {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "plat-dev",
            "namespace": "default",
            "labels": {"app.kubernetes.io/managed-by": "pulumi"},
        },
        "subsets": [{"addresses": [{"ip": "10.5.10.109"}], "ports": [{"port": 3306}]}],
    }, "Endpoints plat-dev differs from the reviewed dev Endpoints"


def test_outputs_name_the_service_and_its_ports(deploy: Deploy) -> None:
    deployed = deploy({**DEV, "namespace": "data", "cluster_domain": "corp.local."})

    assert deployed.outputs == {
        "service_name": "plat-dev",
        "namespace": "data",
        "cluster_ip": None,  # the mocks assign none
        "dns_name": "plat-dev.data.svc.corp.local",
        "ports": [
            {
                "name": None,
                "port": 3306,
                "target_port": 3306,
                "protocol": "TCP",
                "app_protocol": None,
            }
        ],
    }


def test_service_name_overrides_the_resource_name_on_both_objects(deploy: Deploy) -> None:
    deployed = deploy({**DEV, "service_name": "mysql-primary"}, name="plat-dev")

    names = {obj["kind"]: obj["metadata"]["name"] for obj in deployed.objects}
    assert names == {"Service": "mysql-primary", "Endpoints": "mysql-primary"}
    assert deployed.outputs["dns_name"] == "mysql-primary.default.svc.cluster.local"


def test_named_ports_match_between_service_and_endpoints(deploy: Deploy) -> None:
    deployed = deploy(
        {
            "addresses": ["10.12.28.52", "2001:DB8::0:1"],
            "endpoint_kind": "EndpointSlice",
            "ports": [
                {"name": "postgres", "port": 5432, "app_protocol": "postgresql"},
                {"name": "metrics", "port": 15460, "target_port": 15461, "protocol": "TCP"},
            ],
        }
    )

    service_ports = deployed.only("Service")["spec"]["ports"]
    slices = [obj for obj in deployed.objects if obj["kind"] == "EndpointSlice"]
    assert [(p["name"], p["targetPort"]) for p in service_ports] == [
        ("postgres", 5432),
        ("metrics", 15461),
    ]
    for endpoint_slice in slices:
        slice_ports = [(p["name"], p["port"]) for p in endpoint_slice["ports"]]
        assert slice_ports == [("postgres", 5432), ("metrics", 15461)], endpoint_slice["metadata"]
    assert [s["endpoints"] for s in slices] == [
        [{"addresses": ["10.12.28.52"], "conditions": {"ready": True}}],
        [{"addresses": ["2001:db8::1"], "conditions": {"ready": True}}],
    ], "slices hold one canonical address per endpoint, one slice per family"


def test_children_are_parented_to_the_component(mocks: RecordingMocks) -> None:
    urns: list[str] = []

    def program() -> pulumi.Output[None]:
        service = ExternalService("plat-dev", DEV)
        assert service.endpoints is not None
        children = pulumi.Output.all(service.service.urn, service.endpoints.urn)
        return children.apply(urns.extend)

    run_under_mocks(program)

    # A child's URN type carries its parent's type: that is how options reach children.
    assert sorted(urns) == [
        f"urn:pulumi:test::{PROJECT}::{TYPE_TOKEN}$kubernetes:core/v1:Endpoints::plat-dev",
        f"urn:pulumi:test::{PROJECT}::{TYPE_TOKEN}$kubernetes:core/v1:Service::plat-dev",
    ]
    registered = sorted((r.typ, r.name) for r in mocks.registrations)
    assert registered == [
        (TYPE_TOKEN, "plat-dev"),
        ("kubernetes:core/v1:Endpoints", "plat-dev"),
        ("kubernetes:core/v1:Service", "plat-dev"),
    ]


def test_invalid_known_inputs_register_nothing(mocks: RecordingMocks, deploy: Deploy) -> None:
    with pytest.raises(
        ValidationError, match=r"plat-dev: addresses\[0\] '127\.0\.0\.1' is a loopback"
    ):
        deploy({"addresses": ["127.0.0.1"], "ports": [{"port": 3306}]})

    assert mocks.registrations == [], "nothing may be registered for invalid inputs"


def test_inputs_from_outputs_are_validated_when_they_resolve(deploy: Deploy) -> None:
    address = pulumi.Output.from_input("10.5.10.109")
    deployed = deploy({"addresses": [address], "ports": [{"port": pulumi.Output.from_input(3306)}]})

    endpoints = deployed.only("Endpoints")
    assert endpoints["subsets"][0]["addresses"] == [{"ip": "10.5.10.109"}]
    assert deployed.outputs["ports"][0]["port"] == 3306


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            {"addresses": [pulumi.Output.from_input("169.254.6.1")], "ports": [{"port": 80}]},
            "plat-dev: addresses[0] '169.254.6.1' is a link-local address",
            id="address",
        ),
        pytest.param(
            {"addresses": ["10.5.10.109"], "ports": [{"port": pulumi.Output.from_input(0)}]},
            "plat-dev: ports[0].port 0 is outside the port range",
            id="port",
        ),
        pytest.param(
            {**DEV, "labels": pulumi.Output.from_input({"bad key!": "x"})},
            "plat-dev: labels.bad key! is not a valid key",
            id="labels",
        ),
    ],
)
def test_invalid_output_inputs_fail_the_deployment_with_our_message_alone(
    deploy: Deploy, args: ExternalServiceArgs, message: str
) -> None:
    # A ValueError raised there would reach the user rewritten by the SDK, naming another input.
    with pytest.raises(pulumi.RunError) as raised:
        deploy(args)

    assert not isinstance(raised.value, ValueError)
    assert str(raised.value).startswith(message), str(raised.value)


def test_structural_inputs_must_be_plain_values(deploy: Deploy) -> None:
    kind = pulumi.Output.from_input("EndpointSlice")

    with pytest.raises(ValidationError, match="endpoint_kind must be a plain value"):
        deploy({**DEV, "endpoint_kind": kind})


def test_hostname_gives_an_external_name_service_and_no_endpoints(deploy: Deploy) -> None:
    deployed = deploy(
        {"hostname": "DB.Example.COM.", "ports": [{"name": "postgres", "port": 5432}]}
    )

    assert deployed.kinds() == ["Service"]
    spec = deployed.only("Service")["spec"]
    assert spec["type"] == "ExternalName"
    assert spec["externalName"] == "db.example.com", (
        "hostnames are lower-cased, trailing dot dropped"
    )


def test_headless_service_has_no_cluster_ip(deploy: Deploy) -> None:
    deployed = deploy({**DEV, "headless": True})

    assert deployed.only("Service")["spec"]["clusterIP"] == "None"
    assert deployed.outputs["cluster_ip"] is None


def test_both_kinds_keep_the_mirroring_controller_away(deploy: Deploy) -> None:
    deployed = deploy({**DEV, "endpoint_kind": "Both"})

    assert deployed.kinds() == ["Service", "Endpoints", "EndpointSlice"]
    labels = deployed.only("Endpoints")["metadata"]["labels"]
    assert labels["endpointslice.kubernetes.io/skip-mirror"] == "true"
    slice_labels = deployed.only("EndpointSlice")["metadata"]["labels"]
    assert slice_labels["kubernetes.io/service-name"] == "plat-dev"
    assert slice_labels["endpointslice.kubernetes.io/managed-by"] == "external-services"


def test_dual_stack_service_states_its_families(deploy: Deploy) -> None:
    deployed = deploy(
        {
            "addresses": ["2001:db8::10", "10.1.1.10"],
            "endpoint_kind": "EndpointSlice",
            "ports": [{"port": 6379}],
        }
    )

    spec = deployed.only("Service")["spec"]
    assert spec["ipFamilies"] == ["IPv6", "IPv4"]
    assert spec["ipFamilyPolicy"] == "PreferDualStack"


def test_user_labels_and_annotations_reach_every_object(deploy: Deploy) -> None:
    deployed = deploy(
        {**DEV, "labels": {"team": "data"}, "annotations": {"example.com/owner": "dba"}}
    )

    for obj in deployed.objects:
        assert obj["metadata"]["labels"] == {
            "team": "data",
            "app.kubernetes.io/managed-by": "pulumi",
        }, obj["kind"]
        assert obj["metadata"]["annotations"] == {"example.com/owner": "dba"}, obj["kind"]


def test_adopt_imports_the_existing_service_and_endpoints(deploy: Deploy) -> None:
    deployed = deploy({**DEV, "namespace": "data", "adopt": True, "endpoint_kind": "Both"})

    import_ids = {r.typ: r.import_id for r in deployed.mocks.registrations}
    assert import_ids == {
        TYPE_TOKEN: None,
        "kubernetes:core/v1:Service": "data/plat-dev",
        "kubernetes:core/v1:Endpoints": "data/plat-dev",
        # Hand-made setups have no slices of ours: they are created, not taken over.
        "kubernetes:discovery.k8s.io/v1:EndpointSlice": None,
    }
    # Fields the hand-written objects' manager owns are taken over by a forced apply.
    forced = {
        obj["kind"]: obj["metadata"].get("annotations", {}).get("pulumi.com/patchForce")
        for obj in deployed.objects
    }
    assert forced == {"Service": "true", "Endpoints": "true", "EndpointSlice": None}


def test_without_adopt_nothing_is_imported(deploy: Deploy) -> None:
    deployed = deploy(DEV)

    assert {r.import_id for r in deployed.mocks.registrations} == {None}


def test_adopt_needs_a_known_name(deploy: Deploy) -> None:
    name = pulumi.Output.from_input("plat-dev")

    with pytest.raises(
        ValidationError, match=r"adopt needs service_name known when the program runs \(not from"
    ):
        deploy({**DEV, "service_name": name, "adopt": True})


def test_adopt_with_a_wrong_plain_name_gets_the_name_rule(deploy: Deploy) -> None:
    # A plain value is known when the program runs: it breaks the name rule, not adopt's.
    with pytest.raises(ValidationError) as refused:
        deploy({**DEV, "service_name": 5, "adopt": True})

    assert [problem.field for problem in refused.value.problems] == ["service_name"]


@pytest.mark.parametrize("args", [None, ["10.5.10.109"], "10.5.10.109"])
def test_args_that_are_not_a_mapping_are_refused_by_name(
    mocks: RecordingMocks, deploy: Deploy, args: object
) -> None:
    with pytest.raises(ValidationError, match=r"plat-dev: args .* is not a mapping of inputs"):
        deploy(args)

    assert mocks.registrations == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(5, id="a number"),
        pytest.param(None, id="None"),
        pytest.param("", id="empty"),
    ],
)
def test_a_resource_name_that_is_not_text_is_refused_by_name(
    mocks: RecordingMocks, deploy: Deploy, name: object
) -> None:
    with pytest.raises(ValidationError, match=r"ExternalService: resource_name .* is not a name"):
        deploy(DEV, name=name)

    assert mocks.registrations == []


@pytest.mark.parametrize("addresses", [b"10.5.10.109", bytearray(b"10.5.10.109")])
def test_bytes_are_not_taken_for_a_list_of_addresses(deploy: Deploy, addresses: object) -> None:
    with pytest.raises(ValidationError) as raised:
        deploy({**DEV, "addresses": addresses})

    assert [problem.field for problem in raised.value.problems] == ["addresses"]
    assert "is not a list" in raised.value.problems[0].message


def test_an_unhashable_endpoint_kind_is_refused_by_validation(deploy: Deploy) -> None:
    with pytest.raises(ValidationError, match=r'endpoint_kind \["Both"\] is not an endpoint kind'):
        deploy({**DEV, "endpoint_kind": ["Both"]})


def test_a_hostname_output_that_resolves_to_nothing_fails_the_deployment(
    deploy: Deploy,
) -> None:
    # Given at all, hostname makes an ExternalName Service with no endpoints; resolving to None
    # with addresses beside it would leave a Service that routes nowhere.
    hostname = pulumi.Output.from_input(None)

    with pytest.raises(pulumi.RunError, match=r"^plat-dev: hostname was given as an output th"):
        deploy({**DEV, "hostname": hostname})
