"""The admin listener: the approvals JSON API, the approver's console, and room for the
operators' health and metrics routes."""
