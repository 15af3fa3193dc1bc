"""Run the app on uvicorn and announce the bound address in ``<data-dir>/serve-local.json``."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import orjson
import uvicorn

from cost_pipeline.local.app import create_app
from cost_pipeline.local.config import ServerConfig, remove_runtime_file, write_private_file
from cost_pipeline.local.knobs import Knobs


class _AnnouncingServer(uvicorn.Server):
    """uvicorn.Server that reports the real port once its sockets are listening."""

    def __init__(self, config: uvicorn.Config, on_listening: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:
            return
        port = self.servers[0].sockets[0].getsockname()[1]
        self._on_listening(port)


def url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):  # noqa: S104 - mapping a wildcard bind to a reachable address
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def write_runtime_file(config: ServerConfig, port: int, base_url: str) -> None:
    info = {"base_url": base_url, "port": port, "pid": os.getpid(), "admin_key": config.admin_key}
    write_private_file(config.runtime_file, orjson.dumps(info).decode())


def run_server(
    config: ServerConfig, knobs: Knobs, announce: Callable[[str], None], log_level: str
) -> None:
    app = create_app(config, knobs)

    def on_listening(port: int) -> None:
        base_url = f"http://{url_host(config.host)}:{port}"
        # The banner first: whoever waits for the runtime file may read the whole banner then.
        announce(base_url)
        write_runtime_file(config, port, base_url)

    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=log_level,
        timeout_keep_alive=30,
    )
    try:
        _AnnouncingServer(uv_config, on_listening).run()
    finally:
        remove_runtime_file(config.runtime_file)
