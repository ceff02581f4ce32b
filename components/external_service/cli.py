"""Command line of the package: `python -m external_service render ...`.

Errors in the config or the inputs are printed to stderr, one line per problem, with exit code 1
and nothing on stdout, so that the command can sit in a review pipeline.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from external_service.errors import ConfigError, ExternalServiceError
from external_service.render import (
    Project,
    check_stack_name,
    close_event_loops,
    read_stack_config,
    render_objects,
    stack_name_of,
    to_yaml,
    write_files,
)

EXIT_INVALID = 1


def run() -> NoReturn:
    """Runs the command line as a process: exits with its code, leaving no event loop open."""
    code = main()
    close_event_loops()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line and returns its exit code."""
    arguments = _parser().parse_args(argv)
    try:
        return _render(arguments)
    except ExternalServiceError as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_INVALID


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m external_service",
        description="Review the Kubernetes objects of external services without a cluster.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser(
        "render",
        help="print the objects a stack would create, as multi-document YAML",
        description="Run the program under Pulumi's mock runtime and print the Kubernetes "
        "objects it registers, in a fixed order.",
    )
    source = render.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack whose file in the project's stack folder to render")
    source.add_argument(
        "--config-file",
        type=Path,
        help="render from this file in the stack config format (stack name from its file name)",
    )
    render.add_argument(
        "--stack-name",
        help="with --config-file: the stack name the program sees (default: from the file name)",
    )
    render.add_argument("--out", type=Path, help="write one YAML file per object into this folder")
    render.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="folder of Pulumi.yaml, or one below it (default: the current folder, or the "
        "nearest above it that holds a Pulumi.yaml)",
    )
    return parser


def _render(arguments: argparse.Namespace) -> int:
    project = Project.find(arguments.project_dir.resolve())
    if arguments.config_file is not None:
        config_file: Path = arguments.config_file
        if arguments.stack_name is not None:
            stack = check_stack_name(arguments.stack_name, given_by="--stack-name")
        else:
            stack = check_stack_name(
                stack_name_of(config_file),
                given_by=f"--config-file {config_file}: the stack name from its file name,",
                advice="; give one with --stack-name",
            )
    elif arguments.stack_name is not None:
        raise ConfigError(["--stack-name goes with --config-file; --stack names the stack already"])
    else:
        stack = check_stack_name(arguments.stack, given_by="--stack")
        config_file = project.stack_file(stack)

    config = read_stack_config(config_file, project=project.name, stack=stack)
    objects = render_objects(project, stack=stack, config=config)

    # Print only once everything has rendered, so a failure leaves stdout empty.
    try:
        if arguments.out is not None:
            for path in write_files(objects, arguments.out):
                print(path)
        else:
            sys.stdout.write(to_yaml(objects))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error of ours. Point stdout at /dev/null so
        # that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
