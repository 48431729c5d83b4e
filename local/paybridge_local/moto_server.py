"""moto's server with DynamoDB's isolation: one DynamoDB request at a time.

moto applies a TransactWriteItems by snapshotting every table and, when the transaction is cancelled, restoring the
snapshot, which also undoes whatever other threads committed in between. DynamoDB runs each request atomically and
in isolation (transactions are serializable), so serialising requests restores the guarantee the ledger relies on,
while clients still send concurrently. Recorded in docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from threading import Lock
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class SerializedMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = Lock()

        def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            # Only DynamoDB needs it; an SQS long poll must not hold every table call behind it.
            if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
                return list(app(environ, start_response))
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, serialized, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
