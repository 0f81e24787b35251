"""The state diagram of a flow, drawn from the flow definition itself as inline SVG.

Nothing here is written by hand per flow: the states come from ``flow.States`` and the edges
from the declared transitions (``BaseFlow.all_transitions``), so the diagram cannot drift
from the code. Layout: each state's row is its distance from the initial state (breadth
first over the transitions); within a row, states keep the order of ``States``. Edges that
go down are straight; edges that go back up or stay on a row (return for revision, revoke)
are drawn as curves on the right, so they do not cross the nodes. The current state is
filled and its outgoing edges are highlighted; every node and edge carries a ``<title>``
(a tooltip and a name for screen readers), and the page shows the same edges as a table.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

NODE_H, ROW_GAP = 34, 18
MIN_W, MAX_W = 150, 330
PAD = 12
LANE = 13  # room for each edge routed beside the column


def _text_width(text: str) -> float:
    """Rough width at 13 px: CJK characters are square, Latin ones about half as wide."""
    return sum(13.5 if ord(ch) > 0x2E80 else 7.3 for ch in text)


@dataclass
class Node:
    value: str
    label: str
    row: int
    x: float = 0
    y: float = 0
    current: bool = False
    final: bool = False


@dataclass
class Edge:
    source: str
    target: str
    labels: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    back: bool = False
    next: bool = False  # leaves the current state
    lane: int = -1  # -1: straight down to the next row
    source_label: str = ""
    target_label: str = ""


@dataclass
class Diagram:
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float
    svg: SafeString


def _rows(flow: Any) -> dict[str, int]:
    states = list(flow.States.values)
    successors: dict[str, list[str]] = {s: [] for s in states}
    for transitions in flow.all_transitions().values():
        for t in transitions:
            if t.source in successors and t.target in successors:
                successors[str(t.source)].append(str(t.target))
    rows = {states[0]: 0}
    queue = deque([states[0]])
    while queue:
        state = queue.popleft()
        for nxt in sorted(successors[state], key=states.index):
            if nxt not in rows:
                rows[nxt] = rows[state] + 1
                queue.append(nxt)
    last = max(rows.values(), default=0)
    for state in states:  # a state no transition reaches still appears, at the bottom
        rows.setdefault(state, last + 1)
    return rows


def flow_diagram(flow: Any, current: str | None = None) -> Diagram:
    """The diagram of ``flow`` (a BaseFlow subclass), ``current`` marked."""
    states = list(flow.States.values)
    rows = _rows(flow)
    # One state per line, in order of distance from the start: forward edges run down on
    # the left, edges back up on the right, and no edge crosses a state.
    order = sorted(states, key=lambda s: (rows[s], states.index(s)))
    nodes = {
        s: Node(s, flow.state_label(s), order.index(s), current=(s == current), final=s in flow.final_states)
        for s in states
    }

    edges: dict[tuple[str, str], Edge] = {}
    for name, transitions in flow.all_transitions().items():
        for t in transitions:
            source, target = str(t.source), str(t.target)
            if source not in nodes or target not in nodes:
                continue
            edge = edges.setdefault(
                (source, target),
                Edge(source, target, source_label=nodes[source].label, target_label=nodes[target].label),
            )
            label = str(t.label)
            if label not in edge.labels:
                edge.labels.append(label)
            edge.names.append(name)
    ordered = sorted(edges.values(), key=lambda e: (nodes[e.source].row, nodes[e.target].row))
    for e in ordered:
        e.back = nodes[e.target].row < nodes[e.source].row
        e.next = e.source == current
    left = _lanes([e for e in ordered if not e.back and nodes[e.target].row != nodes[e.source].row + 1], nodes)
    right = _lanes([e for e in ordered if e.back], nodes)

    node_w = max(MIN_W, min(MAX_W, max(_text_width(n.label) for n in nodes.values()) + 24))
    x0 = PAD + LANE * (left + 1)
    for node in nodes.values():
        node.x = x0
        node.y = PAD + node.row * (NODE_H + ROW_GAP)
    width = x0 + node_w + LANE * (right + 1) + PAD
    height = PAD * 2 + len(states) * (NODE_H + ROW_GAP) - ROW_GAP
    lines = sorted(nodes.values(), key=lambda n: n.row)
    return Diagram(lines, ordered, width, height, _svg(lines, ordered, node_w, width, height))


def _lanes(edges: list[Edge], nodes: dict[str, Node]) -> int:
    """Give each edge a lane so that edges whose spans overlap never share one (shortest
    spans nearest the column). Returns the number of lanes used."""
    taken: list[list[tuple[int, int]]] = []
    for edge in sorted(edges, key=lambda e: abs(nodes[e.target].row - nodes[e.source].row)):
        span = sorted((nodes[edge.source].row, nodes[edge.target].row))
        for lane, spans in enumerate(taken):
            if all(span[1] < a or span[0] > b for a, b in spans):
                spans.append((span[0], span[1]))
                edge.lane = lane
                break
        else:
            taken.append([(span[0], span[1])])
            edge.lane = len(taken) - 1
    return len(taken)


def _svg(nodes: list[Node], edges: list[Edge], node_w: float, width: float, height: float) -> SafeString:
    where = {n.value: n for n in nodes}
    current = next((n for n in nodes if n.current), None)
    title = _("流程状态图")
    desc = (_("当前状态：%(state)s。") % {"state": current.label} if current else "") + _(
        "共 %(states)s 个状态、%(edges)s 种流转。"
    ) % {"states": len(nodes), "edges": len(edges)}
    marker = (
        '<marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="{css}"/></marker>'
    )
    parts = [
        f'<svg class="flow-diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="fd-title fd-desc">',
        f'<title id="fd-title">{escape(title)}</title><desc id="fd-desc">{escape(desc)}</desc>',
        "<defs>",
        marker.format(id="fd-arrow", css="fd-arrowhead"),
        marker.format(id="fd-arrow-next", css="fd-arrowhead-next"),
        "</defs>",
    ]
    # Where each edge leaves and enters a node: spread along the node's side so that the
    # edges of one node do not start from one point.
    ports: dict[tuple[str, str], int] = {}

    def port(state: str, side: str) -> float:
        count = ports.get((state, side), 0)
        ports[(state, side)] = count + 1
        node = where[state]
        return node.y + NODE_H / 2 + (count % 5 - 2) * 5

    for edge in edges:
        a, b = where[edge.source], where[edge.target]
        if edge.lane < 0:  # straight down to the next line
            cx = a.x + node_w / 2
            d = f"M{cx:.1f},{a.y + NODE_H:.1f} L{cx:.1f},{b.y:.1f}"
        elif edge.back:
            lane = a.x + node_w + LANE * (edge.lane + 1)
            y1, y2 = port(edge.source, "right"), port(edge.target, "right")
            d = (
                f"M{a.x + node_w:.1f},{y1:.1f} H{lane - 4:.1f} Q{lane:.1f},{y1:.1f} {lane:.1f},{y1 - 4:.1f} "
                f"V{y2 + 4:.1f} Q{lane:.1f},{y2:.1f} {lane - 4:.1f},{y2:.1f} H{b.x + node_w:.1f}"
            )
        else:
            lane = a.x - LANE * (edge.lane + 1)
            y1, y2 = port(edge.source, "left"), port(edge.target, "left")
            d = (
                f"M{a.x:.1f},{y1:.1f} H{lane + 4:.1f} Q{lane:.1f},{y1:.1f} {lane:.1f},{y1 + 4:.1f} "
                f"V{y2 - 4:.1f} Q{lane:.1f},{y2:.1f} {lane + 4:.1f},{y2:.1f} H{b.x:.1f}"
            )
        css = "fd-edge" + (" fd-back" if edge.back else "") + (" fd-next" if edge.next else "")
        arrow = "fd-arrow-next" if edge.next else "fd-arrow"
        tip = f"{_('、').join(edge.labels)}{_('：')}{a.label} → {b.label}"
        parts.append(
            f'<path class="{css}" d="{d}" marker-end="url(#{arrow})" data-source="{escape(edge.source)}" '
            f'data-target="{escape(edge.target)}"><title>{escape(tip)}</title></path>'
        )
    for node in nodes:
        css = "fd-node" + (" fd-current" if node.current else "") + (" fd-final" if node.final else "")
        label = node.label
        while _text_width(label) + 24 > node_w and len(label) > 2:
            label = label[:-2] + "…"
        current_attr = ' aria-current="step"' if node.current else ""
        note = _("（当前）") if node.current else ""
        parts.append(
            f'<g class="{css}" data-state="{escape(node.value)}"{current_attr}>'
            f"<title>{escape(node.label + note)}</title>"
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node_w:.0f}" height="{NODE_H}" rx="8"/>'
            f'<text x="{node.x + node_w / 2:.1f}" y="{node.y + NODE_H / 2 + 4.5:.1f}" text-anchor="middle">'
            f"{escape(label)}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every value interpolated above is escaped
