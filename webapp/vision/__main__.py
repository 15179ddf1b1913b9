"""Command line for scripts and tuning.

    python -m webapp.vision faceshape IMAGE [IMAGE...] [--mode 0|1]
    python -m webapp.vision dense IMAGE [IMAGE...] [--parts all|left_eyebrow,mouth,...]
    python -m webapp.vision idcheck IMAGE [IMAGE...] [--spec NAME]
    python -m webapp.vision fuse TEMPLATE USER [--shape 0-100] [--features 0-100] -o OUT

Each prints one JSON object per line and image: the body the service's API
would answer with. Exit status 0 when every image succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import ImageError
from .faces import warm_up
from .images import load_image
from .landmarks.faceshape import face_shape

__all__ = ["main", "warm_up"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m webapp.vision")
    commands = parser.add_subparsers(dest="command", required=True)
    faceshape = commands.add_parser("faceshape", help="88 face-shape points per image, as JSON")
    faceshape.add_argument("images", nargs="+", metavar="IMAGE")
    faceshape.add_argument("--mode", type=int, choices=(0, 1), default=0)
    dense = commands.add_parser("dense", help="the dense landmarks of the largest face, as JSON")
    dense.add_argument("images", nargs="+", metavar="IMAGE")
    dense.add_argument("--parts", default="all", help="all, or a comma-separated list of parts")
    idcheck = commands.add_parser(
        "idcheck", help="check ID photos against the seed's rules or a spec"
    )
    idcheck.add_argument("images", nargs="+", metavar="IMAGE")
    idcheck.add_argument("--spec", default=None, help="a specification name, e.g. cn_id_card")
    fuse = commands.add_parser("fuse", help="fuse the user's face into a template photo")
    fuse.add_argument("template")
    fuse.add_argument("user")
    fuse.add_argument("--shape", type=int, default=100, help="face-shape degree, 0 to 100")
    fuse.add_argument("--features", type=int, default=100, help="features degree, 0 to 100")
    fuse.add_argument("-o", "--output", required=True, help="the fused image (.jpg or .png)")
    args = parser.parse_args(argv)
    if args.command == "idcheck":
        from webapp.wire.idphoto import run_cli as run_idcheck

        return run_idcheck(args.images, args.spec)
    if args.command == "fuse":
        from webapp.wire.fusion import run_cli as run_fuse

        return run_fuse(args.template, args.user, args.shape, args.features, args.output)
    if args.command == "dense":
        from webapp.wire.dense import run_cli

        return run_cli(args.images, args.parts)
    return _faceshape(args.images, mode=args.mode)


def _faceshape(paths: Sequence[str], *, mode: int) -> int:
    # The wire format lives outside the engine; webapp.wire is pure too.
    from webapp.wire.faceshape import error_body, success_body

    status = 0
    for path in paths:
        try:
            result = face_shape(load_image(path), mode=mode)
        except OSError as exc:
            print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        except ImageError as exc:
            body = error_body(exc.code, **exc.params)
            status = 1
        else:
            # success_body answers "no_face" itself (code 1000, with the image size).
            body = success_body(result)
            if not result.faces:
                status = 1
        print(json.dumps(body, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
