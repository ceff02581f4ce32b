"""The shared real-world failure cases, each rendered through the command line.

Cases live outside this repository (`../shared/cases/` beside the checkout, or the folder named by
`EXTERNAL_SERVICES_CASES_DIR`), so that they can grow without a change here. Each one is a stack
config that a correct product must either refuse with a clear message or render into objects with
given values. CI sets `EXTERNAL_SERVICES_REQUIRE_CASES=1`, so that a missing folder fails there
instead of skipping.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from external_service.cli import main

REPO = Path(__file__).resolve().parents[1]
CASES_DIR = Path(os.environ.get("EXTERNAL_SERVICES_CASES_DIR", REPO.parent / "shared" / "cases"))
_MISSING = object()


def load_cases() -> list[Any]:
    if not CASES_DIR.is_dir():
        if os.environ.get("EXTERNAL_SERVICES_REQUIRE_CASES") == "1":
            raise FileNotFoundError(f"the shared cases folder {CASES_DIR} is missing")
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no {CASES_DIR}"), id="none")]
    cases = [
        case
        for path in sorted(CASES_DIR.glob("*.yaml"))
        for case in yaml.safe_load(path.read_text()) or []
    ]
    return [pytest.param(case, id=case["id"]) for case in cases]


@pytest.mark.parametrize("case", load_cases())
def test_shared_case(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = tmp_path / f"Pulumi.{case['id']}.yaml"
    stack_file.write_text(
        yaml.safe_dump({"config": {"external-services:services": case["config"]}})
    )

    code = main(["render", "--config-file", str(stack_file), "--project-dir", str(REPO)])
    out, err = capsys.readouterr()

    expect = case["expect"]
    if "error" in expect:
        assert code != 0, f"{case['id']}: the input was accepted:\n{out}"
        assert out == "", f"{case['id']}: objects printed for refused input"
        assert "Traceback" not in err
        for mention in expect["error"]["mentions"]:
            assert str(mention).lower() in err.lower(), f"{case['id']}: {mention!r} not in {err}"
        return

    assert code == 0, f"{case['id']}: refused: {err}"
    objects = list(yaml.safe_load_all(out))
    for check in expect["objects"]:
        found = find_object(objects, check)
        value = lookup(found, check["path"])
        if check.get("absent"):
            assert value is _MISSING, f"{case['id']}: {check} present as {value!r}"
        else:
            assert value == check["equals"], f"{case['id']}: {check} is {value!r}"


def find_object(objects: list[dict[str, Any]], check: Mapping[str, Any]) -> dict[str, Any]:
    """The one object of the check's kind with its name, or carrying all its labels."""
    of_kind = [obj for obj in objects if obj["kind"] == check["kind"]]
    if "name" in check:
        matches = [obj for obj in of_kind if obj["metadata"]["name"] == check["name"]]
    else:
        matches = [
            obj
            for obj in of_kind
            if check["labels"].items() <= obj["metadata"].get("labels", {}).items()
        ]
    assert len(matches) == 1, f"expected one {check['kind']} for {check}, found {len(matches)}"
    return matches[0]


def lookup(document: object, path: str) -> object:
    """Follows a dotted path (list indexes as numbers); `_MISSING` where it leads nowhere."""
    value = document
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value
