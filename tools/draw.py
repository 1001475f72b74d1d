"""Pictures the site draws at build time, so that it needs no CDN: maths (LaTeX) and Mermaid flowcharts as inline SVG.

- `tex_svg(tex)`: a LaTeX snippet drawn by matplotlib's mathtext (a subset of TeX: what the chapters use) as SVG paths.
- `mermaid_svg(src)`: a Mermaid `graph`/`flowchart` (nodes, labelled edges, `style ... fill:`) laid out in layers
  (longest path from the sources, long edges bent through the layers between, each layer ordered by its
  neighbours' positions) and drawn as SVG. Nodes without edges are drawn in rows below the linked ones.
"""
from __future__ import annotations
import html, io, re
from dataclasses import dataclass, field

# TeX names mathtext does not know, and the names it knows for them
TEX_ALIASES = {r"\le": r"\leq", r"\ge": r"\geq", r"\ne": r"\neq", r"\lvert": "|", r"\rvert": "|", r"\dots": r"\ldots"}
TEX_SIZE = 13.0   # pt: about the size of the text around it


def tex_svg(tex:str, display:bool=False)->str:
    "LaTeX `tex` (without `$`) as an inline `<svg>` sized in em, aligned on the text's baseline."
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import mathtext, rcParams
    from matplotlib.font_manager import FontProperties
    src = re.sub(r"\\[A-Za-z]+", lambda m: TEX_ALIASES.get(m.group(0), m.group(0)), tex.strip())
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "mlparity", "svg.fonttype": "path"}):
        try: depth = mathtext.math_to_image(f"${src}$", buf, prop=FontProperties(size=TEX_SIZE * (1.15 if display else 1)), format="svg")
        except ValueError as e:
            raise ValueError(f"cannot draw the maths {tex!r} with matplotlib's mathtext: {str(e).strip().splitlines()[-1]}") from None
    svg = buf.getvalue().decode()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"\s*<!--.*?-->", "", svg, flags=re.S)
    m = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    w, h = float(m.group(1)), float(m.group(2))
    em = TEX_SIZE * (1.15 if display else 1)
    style = f"width:{w / em * 1.1:.3f}em;height:{h / em * 1.1:.3f}em;vertical-align:{-depth / em * 1.1:.3f}em;fill:currentColor"
    svg = svg.replace(m.group(0), f'role="img" aria-label="{html.escape(tex, quote=True)}" style="{style}"', 1)
    # each snippet's glyph ids are its own: the page holds many snippets
    n = tex_svg.count = getattr(tex_svg, "count", 0) + 1
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="m{n}-{m.group(1)}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#m{n}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#m{n}-{m.group(1)})", svg)
    return re.sub(r">\s+<", "><", svg).strip()


# ------------------------------------------------------------------------------------------------ Mermaid flowcharts

@dataclass
class Node:
    id: str
    lines: list[str]
    fill: str = "#eef2f7"
    rank: int = 0
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    dummy: bool = False


@dataclass
class Graph:
    direction: str = "TD"
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)   # (source, target, label)


MERMAID_START = re.compile(r"^\s*(?:graph|flowchart)\s+(TD|TB|BT|LR|RL)\s*$", re.M)
_NODE = r'([A-Za-z_][\w-]*)(?:\s*(\[\[|\[\(|\(\(|\[|\(|\{\{|\{|>)\s*(".*?"|[^\]\)\}]*?)\s*(?:\]\]|\)\]|\)\)|\]|\)|\}\}|\}))?'
_EDGE = re.compile(r"^\s*" + _NODE + r'\s*(-->|---|-\.->|==>|-\.-|===)\s*(?:\|\s*(".*?"|[^|]*)\s*\|)?\s*' + _NODE + r"\s*;?\s*$")
_DEF = re.compile(r"^\s*" + _NODE + r"\s*;?\s*$")


def _label(raw:str|None)->list[str]|None:
    if raw is None or raw == "": return None
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"': raw = raw[1:-1]
    return [html.unescape(re.sub(r"<[^>]+>", "", l)).strip() for l in re.split(r"<br\s*/?>|\\n", raw)]


def parse_mermaid(src:str)->Graph:
    "The nodes, edges and fills of a Mermaid flowchart; other statements (classDef, subgraph, ...) are ignored."
    g = Graph()
    def node(id_, lab):
        n = g.nodes.get(id_)
        if n is None: n = g.nodes[id_] = Node(id_, lab or [id_])
        elif lab: n.lines = lab
        return n
    for line in src.splitlines():
        s = line.strip()
        if not s or s.startswith("%%"): continue
        if m := re.match(r"^(?:graph|flowchart)\s+(\w+)", s): g.direction = m.group(1); continue
        if m := re.match(r"^style\s+([\w-]+)\s+(.*)$", s):
            fill = re.search(r"fill:\s*(#[0-9A-Fa-f]{3,8}|[a-z]+)", m.group(2))
            if fill: node(m.group(1), None).fill = fill.group(1)
            continue
        if m := _EDGE.match(s):
            a = node(m.group(1), _label(m.group(3))); b = node(m.group(6), _label(m.group(8)))
            g.edges.append((a.id, b.id, " ".join(_label(m.group(5)) or [])))
            continue
        if m := _DEF.match(s): node(m.group(1), _label(m.group(3)))
    return g


CHAR_W, LINE_H, PAD, GAP_X, GAP_Y, MAX_ROW = 7.2, 16, 10, 36, 84, 5


def _layout(g:Graph):
    "Layers by longest path from the sources; dummy nodes on long edges; each layer ordered by its parents' mean position."
    linked = {a for a, b, _ in g.edges} | {b for a, b, _ in g.edges}
    succ = {n: [] for n in g.nodes}
    for a, b, _ in g.edges:
        if a != b: succ[a].append(b)
    rank = {n: 0 for n in linked}
    for _ in range(len(linked)):           # longest path (a cycle stops after len(linked) rounds)
        changed = False
        for a, b, _ in g.edges:
            if a != b and rank[b] < rank[a] + 1 <= len(linked): rank[b] = rank[a] + 1; changed = True
        if not changed: break
    chains, layers = [], {}
    for n in g.nodes.values():
        if n.id in linked: n.rank = rank[n.id]; layers.setdefault(n.rank, []).append(n.id)
    for i, (a, b, lab) in enumerate(g.edges):
        path = [a]
        for r in range(rank[a] + 1, rank[b]):
            d = f"__d{i}_{r}"; g.nodes[d] = Node(d, [], dummy=True, rank=r); layers.setdefault(r, []).append(d); path.append(d)
        chains.append((path + [b], lab))
    parents = {}
    for path, _ in chains:
        for u, v in zip(path, path[1:]): parents.setdefault(v, []).append(u)
    for r in sorted(layers)[1:]:
        pos = {n: i for i, n in enumerate(layers[r - 1])}
        layers[r].sort(key=lambda n: sum(pos.get(p, 0) for p in parents.get(n, [])) / max(1, len(parents.get(n, []))))
    return layers, chains, [n for n in g.nodes if n not in linked and not g.nodes[n].dummy]


def mermaid_svg(src:str)->str:
    "A Mermaid flowchart drawn as an inline `<svg>`: boxes filled as its `style` lines say, arrows with their labels."
    g = parse_mermaid(src)
    if not g.nodes: raise ValueError("no nodes in this Mermaid source")
    for n in g.nodes.values():
        n.w = 0 if n.dummy else max(90, max(len(l) for l in n.lines) * CHAR_W + 2 * PAD)
    layers, chains, loose = _layout(g)
    rows = [layers[r] for r in sorted(layers)] + [loose[i:i + MAX_ROW] for i in range(0, len(loose), MAX_ROW)]
    box_h = max([len(n.lines) for n in g.nodes.values() if not n.dummy] or [1]) * LINE_H + 2 * PAD
    widths = [sum(g.nodes[n].w + (GAP_X if not g.nodes[n].dummy else GAP_X / 2) for n in row) for row in rows]
    W = max(widths) + 2 * PAD
    y = PAD
    for i, row in enumerate(rows):
        x = (W - widths[i]) / 2
        for n in row:
            node = g.nodes[n]; step = node.w + (GAP_X if not node.dummy else GAP_X / 2)
            node.x, node.y = x + step / 2, y
            x += step
        gap = GAP_Y if i + 1 < len(layers) else 48 if i + 1 == len(layers) else 20   # rows of unlinked nodes sit closer
        y += box_h + gap
    H = y - gap + PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W:.0f} {H:.0f}" width="{W:.0f}" height="{H:.0f}" '
           f'role="img" aria-label="dependency diagram" font-family="system-ui, sans-serif" font-size="12">',
           '<defs><marker id="mlp-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    # arrows arrive side by side on a box's top edge and leave side by side from its bottom edge, ordered by position
    ins, outs = {}, {}
    for k, (path, _) in enumerate(chains):
        ins.setdefault(path[-1], []).append((g.nodes[path[-2]].x, k)); outs.setdefault(path[0], []).append((g.nodes[path[1]].x, k))
    port = {}
    for side, groups in (("in", ins), ("out", outs)):
        for n, ks in groups.items():
            ks.sort(); node = g.nodes[n]; span = min(node.w * 0.7, 24 * (len(ks) - 1))
            for j, (_, k) in enumerate(ks): port[side, k] = node.x - span / 2 + (span * j / (len(ks) - 1) if len(ks) > 1 else span / 2)
    labels = []
    for k, (path, lab) in enumerate(chains):
        pts = []
        for j, n in enumerate(path):
            node = g.nodes[n]
            if node.dummy: pts.append((node.x, node.y + box_h / 2)); continue
            pts.append((port["out", k], node.y + box_h) if j == 0 else (port["in", k], node.y))
        if g.nodes[path[0]].rank >= g.nodes[path[-1]].rank:      # an edge back up (a cycle): leave from the side
            a, b = g.nodes[path[0]], g.nodes[path[-1]]
            pts = [(a.x + a.w / 2, a.y + box_h / 2), (b.x + b.w / 2, b.y + box_h / 2)]
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<path d="{d}" fill="none" stroke="#555" stroke-width="1.3" marker-end="url(#mlp-arrow)"/>')
        if lab:
            (x0, y0), (x1, y1) = pts[0], pts[1]
            t = (0.3, 0.55, 0.8)[len(labels) % 3]     # labels of neighbouring arrows at different heights
            labels.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, lab))
    for n in g.nodes.values():
        if n.dummy: continue
        out.append(f'<rect x="{n.x - n.w / 2:.1f}" y="{n.y:.1f}" width="{n.w:.1f}" height="{box_h}" rx="6" '
                   f'fill="{html.escape(n.fill)}" stroke="#555" stroke-width="1"/>')
        top = n.y + box_h / 2 - (len(n.lines) - 1) * LINE_H / 2 + 4
        for k, line in enumerate(n.lines):
            weight = ' font-weight="600"' if k == 0 and len(n.lines) > 1 else ""
            out.append(f'<text x="{n.x:.1f}" y="{top + k * LINE_H:.1f}" text-anchor="middle"{weight} fill="#222">{html.escape(line)}</text>')
    for x, y, lab in labels:
        w = len(lab) * CHAR_W * 0.9 + 8
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - 9:.1f}" width="{w:.1f}" height="16" rx="3" fill="#fff" fill-opacity="0.9"/>'
                   f'<text x="{x:.1f}" y="{y + 3:.1f}" text-anchor="middle" font-size="11" font-style="italic" fill="#333">{html.escape(lab)}</text>')
    out.append("</svg>")
    return "".join(out)
