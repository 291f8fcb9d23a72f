"""Settings for a benchmark run: the real settings, quiet, with plain static files and a fast hasher.

bench.run sets DATABASE_URL (its own throwaway database) before Django reads this.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-key-not-for-any-deployment")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1rZXktbm90LWZvci1kZXBsb3ltbnQ=")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Plain HTTP on loopback: in production a TLS proxy sits in front.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")

from blockdesk.settings import *  # noqa: F403

# django.test.Client talks as "testserver"; gunicorn listens on 127.0.0.1 only.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
