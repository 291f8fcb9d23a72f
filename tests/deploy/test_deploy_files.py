"""The files in deploy/ are what a team copies: nginx accepts the site, systemd units and the Procfile start the
processes the README names, and gunicorn's config parses."""

import subprocess
import sys
from pathlib import Path

import pytest

from bench.slow_clients import NGINX

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_nginx_accepts_the_site_configuration(tmp_path):
    if not Path(NGINX).exists():
        pytest.skip(f"No nginx at {NGINX}: install Debian's 'nginx' package to run the deployment test")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=desk.example.com"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "blockdesk.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/desk.example.com", str(tmp_path)).replace("/srv/blockdesk", str(ROOT))
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n    include {tmp_path}/site.conf;\n}}\n")
    check = subprocess.run([NGINX, "-t", "-e", str(tmp_path / "error.log"), "-c", str(main)], capture_output=True)
    assert check.returncode == 0, check.stderr.decode()


def test_the_processes_are_the_web_server_and_the_worker():
    procfile = dict(line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines())
    assert procfile == {
        "web": ".venv/bin/gunicorn -c deploy/gunicorn.conf.py blockdesk.wsgi",
        "worker": ".venv/bin/python manage.py run_worker",
    }
    web = (DEPLOY / "systemd" / "blockdesk-web.service").read_text()
    worker = (DEPLOY / "systemd" / "blockdesk-worker.service").read_text()
    assert "ExecStart=/srv/blockdesk/.venv/bin/gunicorn -c deploy/gunicorn.conf.py blockdesk.wsgi\n" in web
    assert "ExecStart=/srv/blockdesk/.venv/bin/python manage.py run_worker\n" in worker
    for unit in (web, worker):
        assert "EnvironmentFile=/etc/blockdesk/env\n" in unit
        assert "WorkingDirectory=/srv/blockdesk\n" in unit


def test_gunicorn_runs_sync_workers_on_loopback():
    script = (
        "import runpy, json; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('bind', 'worker_class', 'workers', 'timeout')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"WEB_CONCURRENCY": "3", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"bind": "127.0.0.1:8000", "worker_class": "sync", "workers": 3, "timeout": 30}'
