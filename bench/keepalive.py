"""A lean HTTP/1.1 keep-alive client for the load generator: one socket, requests written as prepared bytes.

The load runs on the same two cores as the server it measures. http.client
spent 0.25 ms of CPU a request (building each request, parsing each answer's
headers with the e-mail parser): CPU the server did not get, while the floor
it is compared with pays no client at all. This one spends about a fifth of
that (docs/benchmarks.md, issue 11). It reads what the bench needs: the status
and a Content-Length body; a chunked or length-less answer is an error.
"""

import socket


class KeepAliveClient:
    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def post(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """POST and read the whole answer; its status. OSError if the connection fails or the answer is unreadable."""
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        if self._sock is None:
            self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self._buffer = b""
        self._sock.sendall(request)
        status, keep = self._read_answer()
        if not keep:
            self.close()
        return status

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _read_answer(self) -> tuple[int, bool]:
        while b"\r\n\r\n" not in self._buffer:
            self._receive()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        if "content-length" not in fields:
            raise OSError(f"an answer without Content-Length ({status})")
        length = int(fields["content-length"])
        while len(self._buffer) < length:
            self._receive()
        self._buffer = self._buffer[length:]
        return status, fields.get("connection") != "close"

    def _receive(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self._buffer += chunk
