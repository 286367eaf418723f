"""Run the fix-ups over a typed PostgreSQL AST so that sqlglot's BigQuery output computes what
PostgreSQL would.

Each fix-up is a function over one node (sqlglot optimizer style), chosen by the node's class
(or an Anonymous node's function name) and deciding from the PostgreSQL types the typer
computed. Nodes are visited bottom-up, so a parent sees its children already rewritten. A
node's fix-ups run in the catalogue's order: one may change the node in place and return it
(or None) and the next one still runs; one that returns a new node ends the node's turn, since
the new node was built from the old one's fixed children and is what the query holds now.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from pgbridge.sql.translate.registry import Fixup
from pgbridge.sql.translate.typer import Key, Typer, node_key


def apply_fixups(t: Typer, ast: exp.Expr, fixups: Mapping[Key, tuple[Fixup, ...]]) -> exp.Expr:
    nodes = list(ast.walk(bfs=False))
    for node in reversed(nodes):  # children before their parents
        for func in fixups.get(node_key(node), ()):
            replacement = func(t, node)
            if replacement is None or replacement is node:
                continue
            t.types[id(replacement)] = t.types.get(id(node))
            replacement.meta.update(node.meta)
            if node is ast:
                ast = replacement
            else:
                node.replace(replacement)
            break
    return ast
