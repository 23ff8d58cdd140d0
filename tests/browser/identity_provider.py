"""A local OpenID Connect provider for the sign-in browser tests: oidc-provider-mock on 127.0.0.1 (a thread of the
test process) with three users, each signed in by one click on its login form."""

from __future__ import annotations

import os
import threading

import oidc_provider_mock
import werkzeug.serving
from jinja2 import ChoiceLoader, DictLoader

# sub → e-mail. The e-mails are what dataset.toml's [access] names (or, for the outsider, does not).
USERS = {
    "reviewer": "reviewer@example.com",
    "viewer": "viewer@viewers.example.com",
    "outsider": "outsider@elsewhere.org",
}
# The package's base page without its stylesheet from a CDN: the browser tests refuse every outside request.
BASE_PAGE = '<!doctype html><html lang="en"><main>{% block content %}{{ content }}{% endblock %}</main></html>'


class IdentityProvider:
    """The provider on a free loopback port; `url` is its issuer (`/.well-known/openid-configuration` below it)."""

    def __init__(self) -> None:
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback
        users = [
            oidc_provider_mock.User(sub=sub, claims={"email": email, "email_verified": True, "name": sub.title()})
            for sub, email in USERS.items()
        ]
        app = oidc_provider_mock.app(user_claims=users, require_nonce=True)
        app.jinja_loader = ChoiceLoader([DictLoader({"_base.html": BASE_PAGE}), app.jinja_loader])
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def secrets(self, port: int) -> str:
        """The app's `.streamlit/secrets.toml` for this provider, the app served on `port`."""
        return (
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{os.urandom(16).hex()}"\n'
            'client_id = "evalboard-tests"\n'
            'client_secret = "not-a-secret"\n'
            f'server_metadata_url = "{self.url}/.well-known/openid-configuration"\n'
        )

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
