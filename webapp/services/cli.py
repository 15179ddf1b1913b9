"""The command line, one verb per service: ``python -m webapp VERB ...``.

    python -m webapp faceshape IMAGE [IMAGE...] [--mode 0|1] [--format json|ibug68|tencent90]
    python -m webapp dense IMAGE [IMAGE...] [--parts all|left_eyebrow,mouth,...]
    python -m webapp idcheck IMAGE [IMAGE...] [--spec NAME]
    python -m webapp fuse TEMPLATE USER [--shape 0-100] [--features 0-100] -o OUT

Each verb runs the engine in this process (never a remote backend) and prints
what the service's API would answer, one JSON object per line and image. The
exit status is 0 when every image succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import SERVICES


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m webapp")
    verbs = parser.add_subparsers(dest="verb", required=True)
    commands = {}
    for service in SERVICES.values():
        command = service.command
        command.arguments(verbs.add_parser(command.verb, help=command.help))
        commands[command.verb] = command
    args = parser.parse_args(argv)
    return commands[args.verb].run(args)
