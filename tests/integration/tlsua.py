# SPDX-License-Identifier: LGPL-2.1-or-later
"""SipUA over TLS (Debian's sipp is built without it): one TLS connection
to the server's tls-port, verified against the test's own CA, carrying the
same scripted requests and answers as sipua.SipUA. The Contact is this
connection's own address with ;transport=tls, so requests the server sends
us (calls to a registered user) come back on the same connection.

Also: make_certificate () writes a throwaway self-signed certificate (or an
expired one) with openssl."""

import os
import socket
import ssl
import subprocess
import threading

from sipua import Message, SipUA


def make_certificate(directory, name="server", days=30, cn="127.0.0.1"):
    """Writes NAME.pem (a self-signed certificate for @cn, also its IP SAN)
    and NAME.key in @directory; returns their paths."""
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-subj", "/CN=%s" % cn, "-addext", "subjectAltName=IP:%s" % cn,
                    "-days", str(days)], check=True, capture_output=True)
    return cert, key


def expired_certificate(directory, name="expired"):
    """A certificate valid only in January 2020 (`openssl ca` with
    -startdate/-enddate, signed by a throwaway CA). Returns (cert, key)."""
    ca_dir = os.path.join(directory, name + "-ca")
    os.makedirs(ca_dir, exist_ok=True)
    ca_cert, ca_key = make_certificate(ca_dir, "ca", cn="127.0.0.2")
    key = os.path.join(directory, name + ".key")
    csr = os.path.join(ca_dir, "req.csr")
    cert = os.path.join(directory, name + ".pem")
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", csr, "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    open(os.path.join(ca_dir, "index.txt"), "w").close()
    with open(os.path.join(ca_dir, "serial"), "w") as f:
        f.write("01\n")
    conf = os.path.join(ca_dir, "ca.conf")
    with open(conf, "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndir=%s\ndatabase=$dir/index.txt\nserial=$dir/serial\n"
                "new_certs_dir=$dir\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n" % ca_dir)
    subprocess.run(["openssl", "ca", "-batch", "-config", conf, "-cert", ca_cert, "-keyfile", ca_key,
                    "-in", csr, "-out", cert, "-startdate", "20200101000000Z",
                    "-enddate", "20200201000000Z", "-notext"], check=True, capture_output=True)
    return cert, key


class TlsUA(SipUA):
    """SipUA on a TLS connection to 127.0.0.1:@tls_port. @cafile: what the
    server's certificate is checked against; @context: an ssl.SSLContext of
    the test's own instead (e.g. limited to TLS 1.1)."""

    def __init__(self, tls_port, user, cafile=None, context=None, **kw):
        self.tls_port = tls_port
        self.cafile = cafile
        self.context = context
        self.buffer = b""
        super().__init__(tls_port, user, **kw)
        self.via_transport = "TLS"
        self.contact = "sip:%s@%s:%d;transport=tls" % (user, self.ip, self.port)

    def _open(self):
        ctx = self.context or ssl.create_default_context(cafile=self.cafile)
        raw = socket.create_connection(("127.0.0.1", self.tls_port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.sock.settimeout(None)
        self.port = self.sock.getsockname()[1]

    def _wake_reader(self):
        """The reader's recv returns on the connection's shutdown."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send(self, text, addr=None):
        with self.lock:
            self.sock.sendall(text.encode())

    def _next_message(self):
        """One whole message from the stream (Content-Length framing)."""
        while True:
            self.buffer = self.buffer.lstrip(b"\r\n")
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = self.buffer[:end].decode("utf-8", "replace")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() in ("content-length", "l"):
                        length = int(value.strip() or 0)
                total = end + 4 + length
                if len(self.buffer) >= total:
                    data, self.buffer = self.buffer[:total], self.buffer[total:]
                    return data
            chunk = self.sock.recv(65535)
            if not chunk:
                return None
            self.buffer += chunk

    def _loop(self):
        while self.running:
            try:
                data = self._next_message()
            except (OSError, ValueError):
                return
            if data is None:
                return
            msg = Message(data)
            self._dispatch(msg, None)
