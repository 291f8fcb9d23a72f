from . import (
    email_admin,  # noqa: F401  (registers the e-mail mailbox admin)
    webchat_admin,  # noqa: F401  (registers the web chat admin)
)
