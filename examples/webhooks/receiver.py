#!/usr/bin/env python3
"""A parley webhook receiver in Python 3 (standard library only): checks the
Parley-Signature header, refuses old or forged deliveries, skips duplicates
(delivery is at least once) and prints each event as one JSON line.

    PARLEY_WEBHOOKS_SECRET=... PORT=8000 python3 receiver.py
"""
import hashlib
import hmac
import json
import os
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["PARLEY_WEBHOOKS_SECRET"].encode()
TOLERANCE = 300  # seconds: refuse deliveries signed longer ago (replays)
SIGNATURE = re.compile(r"t=(\d+),v1=([0-9a-f]{64})")
seen = set()  # ids of events handled; keep it bounded in real code


def verified(header, body):
    """Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>"""
    match = SIGNATURE.fullmatch(header or "")
    if not match:
        return False
    t, v1 = match.groups()
    if abs(time.time() - int(t)) > TOLERANCE:
        return False
    expected = hmac.new(SECRET, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(self.headers.get("Parley-Signature"), body):
            self.send_response(401)
            self.end_headers()
            return
        event = json.loads(body)
        if event["id"] not in seen:
            seen.add(event["id"])
            # event["event"]: room-started, room-finished, peer-joined, peer-left,
            # peer-updated. Events of one room come in event["seq"] order.
            print(json.dumps(event), flush=True)
        self.send_response(204)  # any 2xx: delivered; anything else: parleyd retries
        self.end_headers()

    def log_message(self, *args):
        pass  # keep standard output for the events


server = ThreadingHTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", 8000))), Receiver)
print("listening on %s:%d" % server.server_address[:2], flush=True)
server.serve_forever()
