"""The ``cxm`` command: CXM's management commands under one name.

``cxm serve``, ``cxm import PATH``, ``cxm demo``, ``cxm token create --source NAME``
and every other Django management command (``cxm migrate``, ``cxm createsuperuser``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "cxm"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
