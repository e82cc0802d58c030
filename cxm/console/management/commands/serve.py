from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from cxm.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve the CXM console and API with gunicorn (static files included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CXM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CXM_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("CXM_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("CXM_WEB_THREADS", "4"))
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"CXM console on http://{bind}/ (Ctrl-C to stop)")
        _Gunicorn(
            {
                "bind": bind,
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "timeout": 120,
                # The longest request line gunicorn accepts; longer ones get 414.
                "limit_request_line": 8190,
                "accesslog": "-",
                "errorlog": "-",
            }
        ).run()
