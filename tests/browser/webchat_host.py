"""A customer's web site for the browser tests: the app's URLs plus /host/, a page with the chat widget on it.

The page stands for another site (the tests open it on 127.0.0.1 while the chat lives on localhost), so it
carries no BlockDesk CSP of its own.
"""

from django.http import HttpResponse
from django.urls import path
from django.utils.html import format_html

from blockdesk.urls import urlpatterns as app_urlpatterns

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>The shop</h1>
<script src="{widget}" data-chat="{chat}" data-user-id="{user_id}" data-user-name="{name}"
        data-user-email="{email}" data-user-hash="{hash}" defer></script>
</body></html>"""


def host_page(request):
    params = request.GET
    html = format_html(
        PAGE,
        widget=params["widget"],
        chat=params["chat"],
        user_id=params["user_id"],
        name=params["name"],
        email=params["email"],
        hash=params["hash"],
    )
    response = HttpResponse(html)
    response._csp_exempt = True
    return response


urlpatterns = [*app_urlpatterns, path("host/", host_page)]
