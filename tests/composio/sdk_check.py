"""Composio's own Python SDK against the emulated Composio: the fidelity check of
crates/jira-auth-emulator/src/composio.rs, run by tests/cases/composio.rs.

It creates an auth config for the Jira toolkit with custom OAuth 2.0 credentials, reads it
back, narrows its scopes, initiates a connected account (the SDK lists the user's accounts
first), opens the account's link as a browser would (through the emulated Atlassian's
consent page back to the emulated Composio's callback), waits for ACTIVE, and reads the
failures: a rejected API key and a validation error, through the SDK's error envelope.
Every answer is also read raw and validated by the SDK's own response models
(`model_validate`, strict where the SDK's parsing is lenient), so a field those models
require and the emulator leaves out fails here.

Input: COMPOSIO_BASE_URL, COMPOSIO_API_KEY, and on stdin one JSON line {"client_id",
"client_secret"} (never argv). Output: one JSON document on stdout with what was seen.
"""

import json
import os
import sys
import urllib.request

from composio import Composio
from composio.core.models.connected_accounts import auth_scheme
import composio_client
from composio_client.types.auth_config_retrieve_response import AuthConfigRetrieveResponse
from composio_client.types.connected_account_list_response import ConnectedAccountListResponse
from composio_client.types.connected_account_retrieve_response import (
    ConnectedAccountRetrieveResponse,
)

given = json.loads(sys.stdin.readline())
base_url = os.environ["COMPOSIO_BASE_URL"]
api_key = os.environ["COMPOSIO_API_KEY"]

sdk = Composio()  # reads COMPOSIO_API_KEY and COMPOSIO_BASE_URL as it does in apps
seen = {}


def raw(path, model):
    """GET `path` as any HTTP client would, validated by the SDK's model of that answer."""
    request = urllib.request.Request(base_url + path, headers={"x-api-key": api_key})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return model.model_validate(json.load(answer))

created = sdk.auth_configs.create(
    "jira",
    {
        "type": "use_custom_auth",
        "authScheme": "OAUTH2",
        "name": "Jira (sdk check)",
        "credentials": {
            "client_id": given["client_id"],
            "client_secret": given["client_secret"],
            "scopes": "read:jira-work,offline_access",
        },
    },
)
seen["auth_config_id"] = created.id
seen["auth_scheme"] = created.auth_scheme

config = raw(f"/api/v3.1/auth_configs/{created.id}", AuthConfigRetrieveResponse)
seen["status"] = config.status
seen["type"] = config.type
seen["no_of_connections"] = config.no_of_connections

update = sdk.auth_configs.update(
    created.id,
    options={"type": "custom", "credentials": {"scopes": ["read:jira-work", "offline_access"]}},
)
seen["update_success"] = update.success
sdk.auth_configs.disable(created.id)
seen["disabled"] = sdk.auth_configs.get(created.id).status
sdk.auth_configs.enable(created.id)

request = sdk.connected_accounts.initiate(
    user_id="ada",
    auth_config_id=created.id,
    config=auth_scheme.oauth2({"subdomain": "acme"}),
)
seen["connected_account_id"] = request.id
seen["initiated_status"] = request.status
seen["redirect_url_is_link"] = request.redirect_url.startswith(base_url)

before = raw(f"/api/v3.1/connected_accounts/{request.id}", ConnectedAccountRetrieveResponse)
seen["before_consent"] = before.status

# The person at the browser: the link, Atlassian's consent page (approving), the callback.
with urllib.request.urlopen(request.redirect_url, timeout=10) as page:
    seen["callback_page_status"] = page.status

account = request.wait_for_connection(timeout=10)
seen["after_consent"] = account.status
strict_account = raw(
    f"/api/v3.1/connected_accounts/{request.id}", ConnectedAccountRetrieveResponse
)
seen["strict_status"] = strict_account.status
seen["user_id"] = strict_account.user_id
listed = raw(
    f"/api/v3.1/connected_accounts?user_ids=ada&auth_config_ids={created.id}&statuses=ACTIVE",
    ConnectedAccountListResponse,
)
seen["sdk_listed"] = [
    item.id
    for item in sdk.connected_accounts.list(
        user_ids=["ada"], auth_config_ids=[created.id], statuses=["ACTIVE"]
    ).items
]
seen["listed"] = [item.id for item in listed.items]

# A second initiate for the same user refuses itself (the SDK's own list check).
try:
    sdk.connected_accounts.initiate(
        user_id="ada", auth_config_id=created.id, config=auth_scheme.oauth2({"subdomain": "acme"})
    )
    seen["second_initiate"] = "allowed"
except Exception as e:  # noqa: BLE001 - the SDK's exception type is what is recorded
    seen["second_initiate"] = type(e).__name__

wrong = Composio(api_key="not-the-key", base_url=base_url)
try:
    wrong.auth_configs.get(created.id)
    seen["bad_key"] = "accepted"
except composio_client.APIStatusError as e:
    seen["bad_key"] = {"status": e.status_code, "type": type(e).__name__, "details": e.details}

try:
    sdk._client.connected_accounts.create(
        auth_config={"id": created.id},
        connection={"user_id": "bob", "state": {"auth_scheme": "OAUTH2", "val": {"status": "INITIALIZING"}}},
    )
    seen["no_subdomain"] = "accepted"
except composio_client.APIStatusError as e:
    seen["no_subdomain"] = {"status": e.status_code, "details": e.details}

json.dump(seen, sys.stdout)
