"""The `minigrad` command: `minigrad demo` (train and show a small conv net) and
`minigrad graph` (draw the computation graph of an example model). `python -m minigrad` runs it
too (minigrad/__main__.py), where the `minigrad` script is not on PATH."""

import argparse
import subprocess
import sys


def main(argv=None):
    """Parse the command line and run one subcommand; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="minigrad", description="minigrad: an autograd engine on numpy, for teaching."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    from minigrad import demo, viz

    demo.add_arguments(commands.add_parser("demo", help=_first_line(demo.__doc__)))
    viz.add_arguments(commands.add_parser("graph", help=_first_line(viz.__doc__)))
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    # OSError: a path that cannot be used; SubprocessError: Graphviz's `dot` failed.
    except (ValueError, OSError, RuntimeError, subprocess.SubprocessError) as error:
        prefix, message = f"minigrad {args.command}: ", str(error)
        print(message if message.startswith(prefix) else prefix + message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback; 130 as a shell reports it
        print(f"\nminigrad {args.command}: interrupted.", file=sys.stderr)
        return 130


def _first_line(doc):
    """A module's one-line summary for --help; None (no help text) under `python -OO`, which
    strips docstrings."""
    return doc.strip().splitlines()[0] if doc else None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
