"""One statement's way through the gateway, a stage per module (pipeline.py says the order).

route -> plan -> admit -> start -> results, with catalog and explain beside them and the
audit records of every step in records.py.
"""

from pgbridge.server.pipeline.pipeline import Pipeline

__all__ = ["Pipeline"]
