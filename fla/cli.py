"""The ``fla`` command: Django's management commands, with dashes allowed.

``fla compute-rights --year 2025`` runs the ``compute_rights`` command;
``fla batch submit FILE`` runs ``batch submit FILE``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fla.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
