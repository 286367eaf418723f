"""Identities and clients: one BigQuery REST client and one Storage Read client per identity.

The gateway's own identity (ADC, a service-account key file, or anonymous for emulators)
reads metadata and dry-runs. When `[backend.impersonate]` maps roles to service accounts,
each role's queries run under an impersonated token of its own account (google-auth's
impersonated_credentials), so BigQuery's IAM, not only pgbridge's policy, limits what a role
can read. A role without a mapping is refused (fail closed), never run as the gateway.
Clients are made lazily, once per identity, and are thread-safe to share.
"""

from __future__ import annotations

import threading
from typing import Any

import google.auth
import grpc
from google.api_core.client_options import ClientOptions
from google.auth import impersonated_credentials
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import BigQueryReadClient
from google.cloud.bigquery_storage_v1.services.big_query_read.transports import BigQueryReadGrpcTransport
from google.oauth2 import service_account

from pgbridge.backends.bigquery_config import BigQuerySettings
from pgbridge.wire.errors import PgError, SqlState

SCOPES = ("https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform")


def gateway_credentials(settings: BigQuerySettings) -> Credentials:
    """The gateway's own credentials, as configured."""
    if settings.credentials == "anonymous":
        return AnonymousCredentials()
    if settings.credentials == "service-account-file":
        assert settings.key_file is not None
        creds: Any = service_account.Credentials.from_service_account_file(
            str(settings.key_file), scopes=SCOPES
        )
    else:
        creds, _ = google.auth.default(scopes=SCOPES)
    if settings.quota_project:
        creds = creds.with_quota_project(settings.quota_project)
    return creds


def role_credentials(settings: BigQuerySettings, source: Credentials, account: str) -> Credentials:
    """Short-lived credentials of `account`, minted from `source` through the IAM Credentials API."""
    override = None
    if settings.iam_endpoint:
        override = f"{settings.iam_endpoint}/v1/projects/-/serviceAccounts/{account}:generateAccessToken"
    return impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=account,
        target_scopes=list(SCOPES),
        lifetime=settings.impersonation_lifetime_seconds,
        quota_project_id=settings.quota_project,
        iam_endpoint_override=override,
    )


class Identities:
    """Clients per identity: None is the gateway itself, a role name its impersonated account."""

    def __init__(self, settings: BigQuerySettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._credentials: dict[str | None, Credentials] = {}
        self._rest: dict[str | None, bigquery.Client] = {}
        self._read: dict[str | None, BigQueryReadClient] = {}

    def identity_for(self, role: str | None) -> str | None:
        """The identity key a role's jobs run under; refuses roles with no identity."""
        if not self.settings.impersonate:
            return None
        if role is None or role not in self.settings.impersonate:
            raise PgError(
                SqlState.INSUFFICIENT_PRIVILEGE,
                f"role {role!r} has no BigQuery identity configured",
                hint="add the role to [backend.impersonate] with its service account",
            )
        return role

    def rest(self, identity: str | None) -> bigquery.Client:
        with self._lock:
            if identity not in self._rest:
                self._rest[identity] = self._make_rest(self._creds(identity))
            return self._rest[identity]

    def read(self, identity: str | None) -> BigQueryReadClient:
        with self._lock:
            if identity not in self._read:
                self._read[identity] = self._make_read(self._creds(identity))
            return self._read[identity]

    def close(self) -> None:
        with self._lock:
            for client in self._rest.values():
                client.close()
            for read in self._read.values():
                read.transport.close()
            self._rest.clear()
            self._read.clear()

    def _creds(self, identity: str | None) -> Credentials:
        if identity not in self._credentials:
            if identity is None:
                self._credentials[None] = gateway_credentials(self.settings)
            else:
                source = self._creds(None)
                account = self.settings.impersonate[identity]
                self._credentials[identity] = role_credentials(self.settings, source, account)
        return self._credentials[identity]

    def _make_rest(self, creds: Credentials) -> bigquery.Client:
        settings = self.settings
        options = ClientOptions(api_endpoint=settings.api_endpoint) if settings.api_endpoint else None
        job_config = bigquery.QueryJobConfig(use_legacy_sql=False)
        if settings.default_dataset:
            job_config.default_dataset = qualified(settings.project, settings.default_dataset)
        return bigquery.Client(
            project=settings.project,
            credentials=creds,
            location=settings.location,
            client_options=options,
            default_query_job_config=job_config,
        )

    def _make_read(self, creds: Credentials) -> BigQueryReadClient:
        endpoint = self.settings.storage_endpoint
        if endpoint and endpoint.startswith("http://"):
            channel = grpc.insecure_channel(endpoint.removeprefix("http://"))
            return BigQueryReadClient(transport=BigQueryReadGrpcTransport(channel=channel))
        options = ClientOptions(api_endpoint=endpoint.removeprefix("https://")) if endpoint else None
        return BigQueryReadClient(credentials=creds, client_options=options)


def qualified(project: str, dataset: str) -> str:
    """'dataset' -> 'project.dataset'; 'other.dataset' stays."""
    return dataset if "." in dataset else f"{project}.{dataset}"
