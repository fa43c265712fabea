"""Helpers for the graph tests (no tests here): read back what draw_graph wrote: nodes,
edges, labels and attributes of the DOT source."""
import html
import re

_NODE = re.compile(r"^\s*(?P<id>[A-Za-z_]\w*) \[(?P<attrs>.*)\]\s*$")
_EDGE = re.compile(r"^\s*(?P<src>[A-Za-z_]\w*) -> (?P<dst>[A-Za-z_]\w*)(?: \[(?P<attrs>.*)\])?\s*$")
_LABEL = re.compile(r"label=<(?P<html>.*)>(?= \w+=|$)")


def label_text(attrs):
    """The visible text of a node's HTML label, lines joined by '|'."""
    m = _LABEL.search(attrs)
    if not m:
        m = re.search(r'label="?(?P<html>[^"]*)"?', attrs)
        return m.group("html") if m else ""
    body = re.sub(r"<BR/>", "|", m.group("html"))
    return html.unescape(re.sub(r"<[^>]*>", "", body))


def attr(attrs, name):
    m = re.search(rf'(?<![\w-]){name}=(?:"(?P<q>[^"]*)"|(?P<u>[^\s\]]+))', attrs)
    if not m:
        return None
    return m.group("q") if m.group("q") is not None else m.group("u")


def parse(source):
    """{id: (text, attrs)} of drawn nodes (the legend excluded) and [(src, dst, attrs)],
    each edge in the direction the data flows."""
    nodes, edges = {}, []
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            src, dst, attrs = m.group("src"), m.group("dst"), m.group("attrs") or ""
            if "dir=back" in attrs:   # drawn reversed for the layout; the data flows dst→src
                src, dst = dst, src
            edges.append((src, dst, attrs))
            continue
        m = _NODE.match(line)
        if m and m.group("id") not in ("node", "edge", "graph") and \
                not m.group("id").startswith("legend"):
            nodes[m.group("id")] = (label_text(m.group("attrs")), m.group("attrs"))
    return nodes, edges


def find(nodes, first_line):
    """Ids of nodes whose label's first line is ``first_line``."""
    return [k for k, (text, _) in nodes.items() if text.split("|")[0] == first_line]


def find_one(nodes, first_line):
    ids = find(nodes, first_line)
    assert len(ids) == 1, (first_line, ids, nodes)
    return ids[0]


def grad_norm(nodes, node_id):
    m = re.search(r"(?:‖grad‖|grad =|grad norm) (\S+)", nodes[node_id][0])
    return float(m.group(1)) if m else None


def clusters(source):
    """{cluster id: {"label": text, "parent": cluster id or None, "nodes": [node ids]}}
    and {node id: innermost cluster id or None}."""
    out, where, stack = {}, {}, []
    for line in source.splitlines():
        m = re.match(r"^\s*subgraph (cluster_\w+) \{\s*$", line)
        if m:
            name = m.group(1)
            out[name] = {"label": None, "parent": stack[-1] if stack else None, "nodes": []}
            stack.append(name)
            continue
        if re.match(r"^\s*\}\s*$", line):
            if stack:
                stack.pop()
            continue
        if stack and out[stack[-1]]["label"] is None and re.match(r"^\s*\w+=", line) \
                and " -> " not in line and "label=" in line:
            out[stack[-1]]["label"] = label_text(line)
            continue
        m = _NODE.match(line)
        if m and m.group("id") not in ("node", "edge", "graph"):
            where[m.group("id")] = stack[-1] if stack else None
            if stack:
                out[stack[-1]]["nodes"].append(m.group("id"))
    return out, where
