"""Cross-cutting helpers every app may use: request data, ids, addresses, amounts.

The lowest layer of the project (docs/design.md, "Layers"): it imports Django and nothing of
the project.
"""
