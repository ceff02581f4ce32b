"""The raw write rate of the API server: create objects one by one with the official client.

This is the physical floor of a deployment: one create request per object, in order, over one
kept-alive connection, with nothing computed in between. `bench/run.py` runs it as a process of its
own on the same rendered manifests that `kubectl apply` and `pulumi up` write, and reads the one
line of JSON it prints: how many objects were created, and how long the creates alone took.

Usage:
    python bench/client_writes.py --kubeconfig FILE --manifests FILE
"""

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config


def main(argv: Sequence[str] | None = None) -> int:
    """Creates every object of a multi-document YAML file and prints the timing as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", type=Path, required=True)
    parser.add_argument("--manifests", type=Path, required=True)
    arguments = parser.parse_args(argv)

    manifests = [
        manifest
        for manifest in yaml.load_all(arguments.manifests.read_text(), Loader=yaml.CSafeLoader)
        if manifest
    ]
    # The helpers that read a kubeconfig carry no type hints; the API classes do.
    api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(arguments.kubeconfig)
    )
    core = client.CoreV1Api(api_client)
    creators: dict[str, Callable[..., Any]] = {
        "Service": core.create_namespaced_service,
        "Endpoints": core.create_namespaced_endpoints,
    }

    started = time.perf_counter()
    for manifest in manifests:
        creators[manifest["kind"]](namespace=manifest["metadata"]["namespace"], body=manifest)
    seconds = time.perf_counter() - started

    print(json.dumps({"objects": len(manifests), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
