"""Tamper-evident audit log: hash-chained, Ed25519-signed JSON lines written before a statement
runs, the results a client saw recorded beside them, and the tools to verify and replay them.

Durability (log.py): a statement's write-ahead record is durable before the backend is asked
anything (one fsync on the statement's path, shared by a group commit); its completion record
and recording are group-committed off the path, durable before that session's next write-ahead
record or within [audit] deferred_flush_ms, whichever comes first; so is the record of a
catalog query (answered locally, no backend asked), queued before its answer. A crash (kill -9,
power loss) can therefore lose at most each session's last statement's completion record and
recording, and the catalog queries of that last interval; `pgbridge audit verify` reports such
a data statement as unfinished (it ran, how it ended was not recorded). Nothing acknowledged to
a client as started is lost. With `serve --workers N` each worker writes a chain of its own
(audit/worker-k), and verify, replay and export walk them all.
"""
