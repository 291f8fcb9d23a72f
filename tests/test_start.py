"""The start command prints each line once: no log line twice, no banner per process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG_A_LINE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('django.utils.autoreload').info('Watching for file changes with StatReloader')"
)


def test_a_django_log_line_shows_once_and_axes_announces_nothing():
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "LOG_LEVEL"}}
    env.update(DEBUG="true", DJANGO_SETTINGS_MODULE="blockdesk.settings")
    result = subprocess.run(
        [sys.executable, "-c", LOG_A_LINE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["Watching for file changes with StatReloader"]
