"""Operating the gateway: metrics, health, structured logs, signals and configuration checks.

Nothing here decides anything about a statement. The pipeline and the audit log report what
happened (pgbridge.ops.observe turns the audit's events into metrics and log lines); the admin
listener serves /healthz, /readyz and /metrics (pgbridge.ops.health); the serve command hands
SIGTERM and SIGHUP to pgbridge.ops.lifecycle.
"""
