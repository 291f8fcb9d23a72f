"""Settings for the test suite: the real settings with a test-only key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-for-any-deployment")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dGVzdC1vbmx5LWtleS1ub3QtZm9yLWRlcGxveW1lbnQ=")

from blockdesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# The test client and live_server speak plain http; production keeps these on.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Login throttling is tested on its own (tests/security/test_login_throttling.py).
AXES_ENABLED = False
