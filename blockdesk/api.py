"""The JSON API root (/api/v1/): routers from each app are added here."""

from ninja import NinjaAPI

api = NinjaAPI(title="BlockDesk API", version="1", urls_namespace="api")
