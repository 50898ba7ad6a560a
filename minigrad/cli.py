"""The `minigrad` command: `minigrad demo` (train and show a small conv net) and
`minigrad graph` (draw the computation graph of an example model)."""

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

    demo.add_arguments(commands.add_parser("demo", help=demo.__doc__.splitlines()[0]))
    viz.add_arguments(commands.add_parser("graph", help=viz.__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    # OSError: a path that cannot be used; SubprocessError: Graphviz's `dot` failed.
    except (ValueError, OSError, RuntimeError, subprocess.SubprocessError) as error:
        prefix, message = f"minigrad {args.command}: ", str(error)
        print(message if message.startswith(prefix) else prefix + message, file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
