"""The spam defence pages (/spam/): block rules, suspected spam, the overview."""

app_name = "spam"

urlpatterns = []
