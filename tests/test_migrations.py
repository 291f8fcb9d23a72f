"""The migration history builds today's database from zero and from every earlier state of our apps.

Each case empties the database through the migrations themselves (every app
back to zero), migrates to one earlier node of the graph, then to the latest,
and checks what the data migrations make: the staff groups with exactly
today's permissions (accounts.roles) and the system settings row. The nodes
come from the migration loader, so a new migration is covered by itself.
Data migrations must not import app code: their data is frozen in the file.
"""

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from accounts.roles import GROUP_PERMISSIONS
from settings_app.models import SystemSettings

ROOT = Path(__file__).resolve().parents[1]
PROJECT_APPS = ("accounts", "blockdesk", "channels", "contacts", "settings_app", "tickets")
# django-tasks-db's own history cannot be undone (an irreversible data step) and refers to none of our
# tables: it stays migrated while ours go back to zero.
KEPT_MIGRATED = {"django_tasks_database"}


def _project_nodes() -> list[tuple[str, str]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return sorted(node for node in graph.nodes if node[0] in PROJECT_APPS)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()  # content types are made again with new ids


def _to_zero() -> None:
    graph = MigrationExecutor(connection).loader.graph
    _migrate([(app_label, None) for app_label in sorted({node[0] for node in graph.nodes} - KEPT_MIGRATED)])


def _to_latest() -> None:
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _assert_migrated_rows() -> None:
    groups = {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.all()
    }
    assert groups == {name: set(codenames) for name, codenames in GROUP_PERMISSIONS.items()}
    assert SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).exists()


@pytest.fixture
def migrations_database(transactional_db):
    """Leave the database fully migrated, whatever the test did."""
    yield
    _to_latest()


@pytest.mark.parametrize("start", [None, *_project_nodes()], ids=lambda node: ".".join(node) if node else "zero")
def test_migrates_to_the_latest_state(migrations_database, start):
    _to_zero()
    assert {app for app, _ in MigrationExecutor(connection).loader.applied_migrations} <= KEPT_MIGRATED
    if start is not None:
        _migrate([start])
        loader = MigrationExecutor(connection).loader
        applied = {node for node in loader.applied_migrations if node[0] not in KEPT_MIGRATED}
        assert applied == {node for node in loader.graph.forwards_plan(start) if node[0] not in KEPT_MIGRATED}
    _to_latest()
    _assert_migrated_rows()


def _migration_files():
    return sorted(path for app in PROJECT_APPS for path in (ROOT / app / "migrations").glob("0*.py"))


@pytest.mark.parametrize("path", _migration_files(), ids=lambda path: f"{path.parent.parent.name}.{path.stem}")
def test_migrations_import_no_app_code(path):
    """A migration is history: it carries its own data and never calls today's code."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert not imported & {"blockdesk", *PROJECT_APPS}
