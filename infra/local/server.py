"""Serve the Chalice app over real HTTP in this process (the chdb engine is per process)."""
from __future__ import annotations

import threading
from typing import Any


def build_server(host: str = "127.0.0.1", port: int = 8000) -> Any:
    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalDevServer, create_local_server

    import app as app_module

    config = Config.create(chalice_stage="local", app_name="proxima-invoice", chalice_app=app_module.app)
    if isinstance(app_module.app, CustomLocalChalice):
        # A second server in this process: create_local_server would re-base the class onto itself.
        return LocalDevServer(app_module.app, config, host, port)
    return create_local_server(app_module.app, config, host, port)


class BackgroundServer:
    """The local server on a thread; ``stop()`` shuts it down (used by tests and by ``make run``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.server = build_server(host, port)
        self.port = self.server.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)
