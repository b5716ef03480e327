"""A webhook receiver for the tests, written with the `standardwebhooks` library (the
Standard Webhooks reference implementation, not the registry's code). It verifies every
message with the secret it was started with and appends what it saw, one JSON line per
request, to a file.

    python3 webhook_receiver.py PORT SECRET LOG

Paths: /ok answers 204, /redirect answers 302 to a private address, /big answers 500
with 5000 bytes. A message whose signature does not verify gets 401.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

WRITING = threading.Lock()

port, secret, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hook = Webhook(secret)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            hook.verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        # One line per message, whole: requests are handled on threads of their own.
        with WRITING, open(log, "a") as f:
            f.write(json.dumps({
                "path": self.path,
                "id": headers.get("webhook-id"),
                "verified": verified,
                "body": body.decode(),
                "user_agent": headers.get("user-agent"),
            }) + "\n")
        if not verified:
            self.send_response(401)
            self.end_headers()
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/inside")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(500)
            self.send_header("content-length", "5000")
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        else:
            self.send_response(204)
            self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
