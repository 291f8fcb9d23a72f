"""gunicorn for BlockDesk behind nginx (deploy/nginx/): `gunicorn -c deploy/gunicorn.conf.py blockdesk.wsgi`.

Sync workers, one request at a time each — safe only behind nginx. nginx
reads a whole request (headers and body) before it opens a connection to
gunicorn, and takes the whole answer into its buffers at loopback speed, so
a worker never waits on a client's network: a phone on a bad line or a
deliberately slow socket costs nginx a few kilobytes, not a worker. Without
the proxy, each socket that trickles its headers or body holds one sync
worker for up to `timeout` seconds; four such sockets froze a 4-worker app
(docs/reliability.md, "Slow clients"). An async worker class would avoid the
freeze without a proxy, but the app's database work is synchronous and TLS,
static-file and body-size limits belong in front anyway.

Variables: GUNICORN_BIND (default 127.0.0.1:8000, where deploy/nginx points),
WEB_CONCURRENCY (default 2 × cores + 1).
"""

import multiprocessing
import os

from blockdesk.strict_env import env_int

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "sync"
workers = env_int("WEB_CONCURRENCY", default=2 * multiprocessing.cpu_count() + 1, minimum=1)
# A request that takes longer than this is killed (nginx's proxy_read_timeout is a little longer).
timeout = 30
graceful_timeout = 30
# Recycle workers now and then, staggered, so a slow leak never grows.
max_requests = 5000
max_requests_jitter = 500
# nginx logs each request; gunicorn logs errors and worker restarts to stderr (the journal).
accesslog = None
errorlog = "-"
# X-Forwarded-* from nginx on this machine; the app reads the client address per TRUSTED_PROXY_COUNT.
forwarded_allow_ips = "127.0.0.1,::1"
