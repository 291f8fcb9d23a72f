"""Where an inbound message's time goes: `python -m bench.profile_inbound --name <kept bench database>`.

Run `python -m bench.run --keep --name X` first (any scale), then this against X. For each mix it routes
messages in process (route_inbound_message) and through the API view (django.test.Client, the request's
middleware included), and prints medians per message: wall time, time inside the database driver (each
statement's round trip; BEGIN and COMMIT are not counted there), the rest, this process's CPU time (the
figure least moved by a busy machine), statements; with --profile, the top functions of a cProfile run.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from contextlib import contextmanager
from itertools import count

_serial = count(1)


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.profile_inbound", description=__doc__)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--name", default="blockdesk_bench")
    parser.add_argument("--messages", type=int, default=300, help="per mix and path")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    os.environ["DATABASE_URL"] = f"{args.server.rstrip('/')}/{args.name}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    samples = _samples(args.messages)
    for path in ("in-process", "API view"):
        for mix, items in samples.items():
            _measure(path, mix, items, args.profile)


def _samples(n: int) -> dict:
    from contacts.models import Channel, ContactIdentity
    from tickets.models import OPEN_STATUSES, Ticket

    channels = {c.pk: c for c in Channel.objects.all()}
    out = {}
    for mix, blocked in (("open_tickets", False), ("blocked_contacts", True)):
        tickets = list(
            Ticket.objects.filter(status__in=OPEN_STATUSES, contact__is_blocked=blocked)
            .exclude(contact__name="")
            .values_list("contact_id", "channel_id")[: n * 2]
        )
        addresses = {
            (i.contact_id, i.channel_id): i.external_id
            for i in ContactIdentity.objects.filter(contact_id__in=[c for c, _ in tickets])
        }
        pairs = [(ch, addresses[(c, ch)]) for c, ch in tickets if (c, ch) in addresses]
        out[mix] = [(channels[ch], address) for ch, address in pairs[:n]]
    chans = list(channels.values())
    out["new_contacts"] = [(chans[k % len(chans)], None) for k in range(n)]
    return out


@contextmanager
def _sql_timer(times: list):
    from django.db import connection

    def wrapper(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            times.append(time.perf_counter() - t0)

    with connection.execute_wrapper(wrapper):
        yield


def _measure(path: str, mix: str, items: list, profile: bool) -> None:
    from django.test import Client

    from tickets.routing import InboundMessage, route_inbound_message

    run = next(_serial)
    client = Client()
    tokens = {}

    def payload(k, channel, address):
        address = address or f"profile-{os.getpid()}-{run}-{k}"
        return {"message_id": f"profile.{os.getpid()}.{run}.{k}", "contact": {"id": address}, "text": f"Hello {k}"}

    def one(k, channel, address):
        p = payload(k, channel, address)
        if path == "in-process":
            route_inbound_message(
                channel=channel,
                inbound=InboundMessage(message_id=p["message_id"], contact_id=p["contact"]["id"], text=p["text"]),
            )
        else:
            response = client.post(
                "/api/v1/inbound/messages", p, content_type="application/json", HTTP_AUTHORIZATION=tokens[channel.pk]
            )
            assert response.status_code in (200, 201), response.content

    if path != "in-process":
        for channel, _ in items:
            if channel.pk not in tokens:
                raw = channel.set_new_token()
                channel.save(update_fields=["token_hash"])
                tokens[channel.pk] = f"Bearer {raw}"
    for k, (channel, address) in enumerate(items[:5]):  # warm up
        one(10_000 + k, channel, address)
    walls, cpus, sql_totals, statements = [], [], [], []
    profiler = cProfile.Profile() if profile else None
    for k, (channel, address) in enumerate(items[5:]):
        times: list = []
        with _sql_timer(times):
            if profiler:
                profiler.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            one(k, channel, address)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            if profiler:
                profiler.disable()
        sql_totals.append(sum(times))
        statements.append(len(times))
    wall, sql = statistics.median(walls) * 1000, statistics.median(sql_totals) * 1000
    cpu = statistics.median(cpus) * 1000
    print(
        f"{path:10s} {mix:17s} wall {wall:6.2f} ms  in the driver {sql:5.2f} ms  outside it {wall - sql:5.2f} ms  "
        f"client CPU {cpu:5.2f} ms  statements {statistics.mean(statements):.1f}",
        flush=True,
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue(), file=sys.stderr)


if __name__ == "__main__":
    main()
