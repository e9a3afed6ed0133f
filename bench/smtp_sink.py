"""SMTP sink of the benchmark: accepts every message on a loopback port and
appends one line per message (size, sender, recipients) to a log file, which
bench/run.py counts. Nothing is stored."""

import argparse
import signal
import threading

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self, log_path):
        self.log = open(log_path, "a", buffering=1)  # noqa: SIM115 - lives with the process

    async def handle_DATA(self, server, session, envelope):
        recipients = ",".join(envelope.rcpt_tos)
        self.log.write(f"{len(envelope.content)} {envelope.mail_from} {recipients}\n")
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(prog="bench/smtp_sink.py")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    controller = Controller(
        CountingHandler(args.log),
        hostname="127.0.0.1",
        port=args.port,
        ready_timeout=30,
        data_size_limit=0,  # no limit: invoices with PDFs
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    signal.signal(signal.SIGINT, lambda *_args: stop.set())
    print(f"smtp sink listening on 127.0.0.1:{args.port}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
