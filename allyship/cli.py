"""The ``allyship`` command: one sub-command per module of ``allyship.commands``.

Each command module defines ``register(subparsers)``, which adds its parser and sets ``func`` to
a callable taking the parsed arguments and returning an exit status. Errors the user can fix are
reported here, once, for every command: ``allyship <command>: <message>``, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from allyship.errors import AllyshipError

#: Interrupted by Ctrl-C, as shells report it (128 + SIGINT).
INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    from allyship.commands import check, doctor, grade, hub, release, roster, term

    parser = argparse.ArgumentParser(
        prog="allyship",
        description="Course tools for Allyship in Practice.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (release, check, grade, roster, doctor, hub, term):
        module.register(subparsers)
    return parser


def plain(text: object) -> str:
    """Text for a terminal: anything a student wrote loses its control and bidi characters."""
    return "".join(
        ch
        if ch.isprintable() and not 0x202A <= ord(ch) <= 0x202E and not 0x2066 <= ord(ch) <= 0x2069
        else f"\\u{ord(ch):04x}"
        for ch in str(text)
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AllyshipError as err:
        print(f"allyship {args.command}: {plain(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"allyship {args.command}: interrupted; what was done is kept, run it again to go on",
            file=sys.stderr,
        )
        return INTERRUPTED
    except OSError as err:  # a read-only course folder, a full disk
        where = f"{err.filename}: " if err.filename else ""
        print(f"allyship {args.command}: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except Exception as err:
        if type(err).__name__ == "OperationalError" and "locked" in str(err):
            print(
                f"allyship {args.command}: the gradebook is locked by another program "
                "(formgrader saving, or another run); try again in a moment",
                file=sys.stderr,
            )
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
