"""A real SMTP server (aiosmtpd) on loopback for delivery tests."""

import asyncio
import socket
import time

import pytest
from aiosmtpd.controller import Controller


class Recorder:
    """Accepts mail; can hold the first message for a while before accepting it, or refuse
    every message with a temporary error (a mail server that is full or greylisting)."""

    def __init__(self, hold_first_seconds: float = 0, refuse: bool = False):
        self.messages: list[bytes] = []
        self.started: list[float] = []
        self.hold = hold_first_seconds
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):
        self.started.append(time.monotonic())
        if self.refuse:
            return "451 4.3.0 Try again later"
        if self.hold and len(self.started) == 1:
            await asyncio.sleep(self.hold)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    servers = []

    def _start(**kwargs):
        recorder = Recorder(**kwargs)
        with socket.socket() as probe:  # a free loopback port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        recorder.url = f"smtp://127.0.0.1:{port}"
        return recorder

    yield _start
    for controller in servers:
        controller.stop()


def message_ids(recorder) -> list[str]:
    ids = []
    for raw in recorder.messages:
        for line in raw.decode().splitlines():
            if line.lower().startswith("message-id:"):
                ids.append(line.split(":", 1)[1].strip())
    return ids
