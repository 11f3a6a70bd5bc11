"""``python -m benchmarks [--quick] [NAME ...]``: run the named benchmarks (all by default)."""

from __future__ import annotations

import argparse
import platform
import sys

from benchmarks import discover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the benchmarks run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    available = discover()
    if args.list:
        print("\n".join(sorted(available)))
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(sorted(available))}", file=sys.stderr)
        return 2
    print(f"# Python {platform.python_version()} on {platform.system()} {platform.machine()}")
    for name in args.names or sorted(available):
        print(f"## {name}", flush=True)
        for figure in available[name].run(quick=args.quick):
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
