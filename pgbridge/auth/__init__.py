"""JWT verification and the Principal a verified token becomes."""
