"""Child-process entry: ``python -m benchmarks._child MODULE FUNCTION JSON_KWARGS``."""

from __future__ import annotations

import importlib
import json
import sys


def main() -> None:
    module, function, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    result = getattr(importlib.import_module(f"benchmarks.{module}"), function)(**kwargs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
