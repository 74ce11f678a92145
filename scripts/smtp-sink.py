#!/usr/bin/env python3
"""A local SMTP server for tests and the README tour: stores every message it accepts as a
file and injects faults by recipient.

    python3 scripts/smtp-sink.py --port 2525 --dir /tmp/mail

Each accepted message becomes `<dir>/<time>-<n>.eml`: a first line `X-Sink-Rcpt: <address>`
per recipient, then the message exactly as received, then a line `X-Sink-Decoded:` followed by
the decoded subject and every text part decoded (so tests can search the words whatever the
transfer encoding). Written to a temp name, then renamed: a reader never sees half a file. Faults, by the recipient's local part:
  tempfail-*  451 to RCPT the first time this address is seen, accepted afterwards
  bounce-*    550 to RCPT (permanent)
  slow-*      waits --slow-seconds (default 2) before answering 250 to DATA
  drop-*      closes the connection after the data, before any answer
Prints `ready <port>` on stdout once listening. Needs `aiosmtpd` (pip install aiosmtpd).
"""

import argparse
import asyncio
import email
import email.header
import email.policy
import itertools
import os
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, slow_seconds):
        self.directory = directory
        self.slow_seconds = slow_seconds
        self.seen_tempfail = set()
        self.counter = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce-"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail-") and address not in self.seen_tempfail:
            self.seen_tempfail.add(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        locals_ = [a.split("@", 1)[0].lower() for a in envelope.rcpt_tos]
        if any(l.startswith("drop-") for l in locals_):
            server.transport.close()
            return "421 closing"
        if any(l.startswith("slow-") for l in locals_):
            await asyncio.sleep(self.slow_seconds)
        self.store(envelope)
        return "250 OK stored"

    def store(self, envelope):
        name = "%d-%06d.eml" % (time.time_ns(), next(self.counter))
        head = "".join("X-Sink-Rcpt: %s\r\n" % r for r in envelope.rcpt_tos).encode()
        body = envelope.original_content or envelope.content
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(head + body + b"\r\nX-Sink-Decoded:\r\n" + decoded(body).encode())
        os.rename(tmp, os.path.join(self.directory, name))


def decoded(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = ["Subject: %s" % msg.get("Subject", "")]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            out.append("X-Sink-Part: %s\n%s" % (part.get_content_type(), part.get_content()))
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--dir", required=True)
    p.add_argument("--slow-seconds", type=float, default=2.0)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    controller = Controller(Sink(a.dir, a.slow_seconds), hostname=a.host, port=a.port,
                            data_size_limit=50 * 1024 * 1024)
    controller.start()
    print("ready %d" % a.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
