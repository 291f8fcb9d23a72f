"""A web chat visitor driving the chat page through Django's test client, as the widget's iframe does."""

from django.test import Client

OWN_ORIGIN = "http://testserver"


class ChatVisitor:
    def __init__(self, chat, client: Client | None = None, *, address: str = "203.0.113.7"):
        self.chat = chat
        self.client = client or Client(REMOTE_ADDR=address)
        self.token = ""
        self.last_id = 0

    @property
    def base(self) -> str:
        return f"/chat/{self.chat.public_id}/"

    def open(self, **params):
        response = self.client.get(self.base, params)
        if response.status_code == 200:
            self.token = response.context["token"]
            self.last_id = response.context["last_message_id"]
        return response

    def send(self, text: str, *, origin: str = OWN_ORIGIN, token: str | None = None):
        headers = {"HX-Request": "true", "X-Chat-Token": self.token if token is None else token}
        if origin:
            headers["Origin"] = origin
        return self.client.post(f"{self.base}messages/", {"text": text}, headers=headers)

    def poll(self, *, visible: bool = True, after: int | str | None = None, origin: str = OWN_ORIGIN):
        after = self.last_id if after is None else after
        response = self.client.post(
            f"{self.base}poll/?after={after}",
            {"visible": "1" if visible else "0"},
            headers={"HX-Request": "true", "X-Chat-Token": self.token, "Origin": origin},
        )
        if response.status_code == 200:
            self.last_id = response.context["last_message_id"]
        return response

    def polled_bodies(self, response) -> list[str]:
        return [message.body for message in response.context["new_messages"]]
