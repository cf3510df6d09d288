"""`make run` on a machine where another server holds one of the stack's ports (a MongoDB of one's own on 27017).

The embedded database meant for the port exited, but the readiness probe first found the other server ready:
`Stack.start` returned, and the services started (and the supervisor seeded the demo district) against that server.
"""

import socket
from pathlib import Path

import pytest

from deploy.stack import Stack, free_port, listening


def ports() -> dict[str, int]:
    return {name: free_port() for name in ("registry", "matching", "notify", "broker", "database", "notify_database")}


async def test_the_stack_refuses_to_start_when_another_server_holds_one_of_its_ports(tmp_path: Path) -> None:
    stack = Stack(var=tmp_path, ports=ports())
    with socket.socket() as theirs:
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        theirs.bind(("127.0.0.1", stack.ports["database"]))
        theirs.listen()
        with pytest.raises(RuntimeError, match=rf"port {stack.ports['database']} \(database, DUIJIE_DATABASE_PORT\)"):
            await stack.start()
    assert stack.children == [], "no child was started"


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free() -> None:
    port = free_port()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        assert listening(port)
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server's side closes first and stays in TIME_WAIT
            client.recv(1)
    assert not listening(port)
