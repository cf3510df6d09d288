"""Ports for the servers a test stack starts are picked where no outgoing connection can take them meanwhile."""

import socket

from deploy.stack import _ephemeral_low, free_port


def test_free_ports_are_distinct_bindable_and_below_the_kernels_ephemeral_range() -> None:
    ports = [free_port() for _ in range(30)]
    assert len(set(ports)) == len(ports), "no port is handed out twice"
    assert all(1024 <= port < _ephemeral_low() for port in ports)
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
