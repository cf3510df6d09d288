"""Notify's fixtures: a scratch database on the stack's database server, and a local SMTP server (STARTTLS, login
notify / s3cret) with a self-signed certificate, for the e-mail channel."""

import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from deploy.stack import Stack, free_port
from services.notify.db import Database
from tests.integration.notify.support import Mailbox, check_login


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Database]:
    """A database of its own on the stack's notify database server, dropped afterwards."""
    db = Database(stack.database_url("notify-database"), f"scratch_{uuid.uuid4().hex[:8]}")
    yield db
    await db.client.drop_database(db.db.name)
    await db.client.close()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    yield cert, key


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """A local SMTP server requiring STARTTLS and login: its mailbox and port (`support.email_channel` sends to it)."""
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
                            authenticator=check_login, auth_required=True)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
