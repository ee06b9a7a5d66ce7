/**
 * Lays out a `ChartModel` and draws it as SVG (a string, no DOM). Top-level states sit in one row, a
 * compound state holds its children in a row inside its box. Transitions between states are orthogonal
 * arcs: forward ones (to the right) above the row, backward ones below, stacked in levels so labels do
 * not overlap. Targetless transitions are listed inside their state's box, those of the root under the
 * chart. Every state is a `<g class="state" data-id="...">` so the page can highlight the active ones.
 * Text is monospace, so widths can be computed without measuring.
 */
import type { ChartModel, ChartState, ChartTransition } from './chartModel.ts';

const CHAR_W = 7.2; // 12px monospace
const TITLE_W = 8.4; // 14px bold monospace
const LINE_H = 15;
const PAD = 10;
const GAP = 70; // between top-level boxes
const ARC_BASE = 14; // first arc level's distance from the row
const ARC_MARGIN = 10;

interface Box {
  state: ChartState;
  x: number;
  y: number;
  w: number;
  h: number;
  lines: string[];
  childY: number;
}

interface Edge {
  source: string;
  target: string;
  transitions: ChartTransition[];
  label: string[];
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function transitionLabel(t: ChartTransition, withActions: boolean): string {
  const guard = t.guard ? ` [${t.guard}]` : '';
  const actions = withActions && t.actions.length > 0 ? ` / ${t.actions.join(', ')}` : '';
  return `${t.event}${guard}${actions}`;
}

function textWidth(lines: string[]): number {
  return Math.max(0, ...lines.map((l) => l.length * CHAR_W));
}

/** Renders the chart as a standalone `<svg>` element. */
export function renderChartSvg(chart: ChartModel): string {
  const byId = new Map(chart.states.map((s) => [s.id, s]));
  const root = byId.get(chart.id);
  if (!root) throw new Error(`chart ${chart.id} has no root state`);

  const isInternal = (t: ChartTransition) =>
    t.targets.length === 0 || (t.targets.length === 1 && t.targets[0] === t.source);
  const internalOf = (id: string) =>
    chart.transitions.filter((t) => t.source === id && isInternal(t)).map((t) => transitionLabel(t, true));

  // Edges between different states, grouped by (source, target).
  const edgeMap = new Map<string, Edge>();
  for (const t of chart.transitions) {
    if (isInternal(t) || t.source === chart.id) continue;
    for (const target of t.targets) {
      const key = `${t.source}->${target}`;
      const edge = edgeMap.get(key) ?? { source: t.source, target, transitions: [], label: [] };
      edge.transitions.push(t);
      edge.label.push(transitionLabel(t, false));
      edgeMap.set(key, edge);
    }
  }
  const edges = [...edgeMap.values()];
  const siblingEdge = (e: Edge) => {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    return s?.parent !== undefined && s.parent === t?.parent && s.parent !== chart.id;
  };

  // Sizes, bottom-up.
  const boxes = new Map<string, Box>();
  const infoLines = (s: ChartState) => [
    ...s.entry.map((a) => `entry / ${a}`),
    ...s.invoke.map((src) => `invoke: ${src}`),
    ...s.exit.map((a) => `exit / ${a}`),
    ...internalOf(s.id),
  ];
  const childGap = (a: string, b: string) => {
    const labels = edges
      .filter((e) => siblingEdge(e) && [e.source, e.target].includes(a) && [e.source, e.target].includes(b))
      .flatMap((e) => e.label);
    return Math.max(40, textWidth(labels) + 24);
  };
  const measure = (s: ChartState): { w: number; h: number } => {
    const lines = infoLines(s);
    const titleW = s.key.length * TITLE_W;
    let w = Math.max(110, titleW, textWidth(lines)) + 2 * PAD;
    let h = PAD + 18 + lines.length * LINE_H + PAD;
    if (s.children.length > 0) {
      const sizes = s.children.map((c) => measure(byId.get(c) as ChartState));
      let rowW = 0;
      s.children.forEach((c, i) => {
        rowW += sizes[i]?.w ?? 0;
        const next = s.children[i + 1];
        if (next) rowW += childGap(c, next);
      });
      w = Math.max(w, rowW + 2 * PAD + 28);
      h += Math.max(...sizes.map((z) => z.h)) + PAD;
    }
    boxes.set(s.id, { state: s, x: 0, y: 0, w, h, lines, childY: PAD + 18 + lines.length * LINE_H + 4 });
    return { w, h };
  };
  const top = root.children.map((c) => byId.get(c) as ChartState);
  for (const s of top) measure(s);

  // Positions, top-down (y is fixed later, once the arc levels above the row are known).
  const place = (id: string, x: number, y: number) => {
    const box = boxes.get(id) as Box;
    box.x = x;
    box.y = y;
    let cx = x + PAD + 28;
    box.state.children.forEach((c, i) => {
      place(c, cx, y + box.childY);
      cx += (boxes.get(c) as Box).w;
      const next = box.state.children[i + 1];
      if (next) cx += childGap(c, next);
    });
  };

  // Arc levels.
  const arcEdges = edges.filter((e) => !siblingEdge(e));
  let x0 = 40;
  for (const s of top) {
    place(s.id, x0, 0);
    x0 += (boxes.get(s.id) as Box).w + GAP;
  }
  const center = (id: string) => {
    const b = boxes.get(id) as Box;
    return b.x + b.w / 2;
  };
  const forward = (e: Edge) => center(e.target) > center(e.source);
  const levelsOf = (list: Edge[]) => {
    const placed: { lo: number; hi: number; level: number }[] = [];
    const level = new Map<Edge, number>();
    const sorted = [...list].sort(
      (a, b) => Math.abs(center(a.target) - center(a.source)) - Math.abs(center(b.target) - center(b.source)),
    );
    for (const e of sorted) {
      const mid = (center(e.source) + center(e.target)) / 2;
      const half = textWidth(e.label) / 2 + 6;
      const lo = Math.min(center(e.source), center(e.target), mid - half);
      const hi = Math.max(center(e.source), center(e.target), mid + half);
      let l = 0;
      while (placed.some((p) => p.level === l && p.lo < hi && lo < p.hi)) l++;
      placed.push({ lo, hi, level: l });
      level.set(e, l);
    }
    const heights: number[] = [];
    for (const [e, l] of level) heights[l] = Math.max(heights[l] ?? 0, e.label.length * LINE_H);
    const offsets: number[] = [];
    let acc = ARC_BASE;
    for (let l = 0; l < heights.length; l++) {
      offsets[l] = acc;
      acc += (heights[l] ?? 0) + ARC_MARGIN + 6;
    }
    return { level, offsets, total: acc };
  };
  const above = levelsOf(arcEdges.filter(forward));
  const below = levelsOf(arcEdges.filter((e) => !forward(e)));

  const rowTop = above.total + 10;
  x0 = 40;
  for (const s of top) {
    place(s.id, x0, rowTop);
    x0 += (boxes.get(s.id) as Box).w + GAP;
  }
  const rowBottom = rowTop + Math.max(...top.map((s) => (boxes.get(s.id) as Box).h));
  const rootLines = internalOf(chart.id);
  const width = x0 - GAP + 40;
  const footerY = rowBottom + below.total + 24;
  const height = footerY + (rootLines.length > 0 ? (rootLines.length + 1) * LINE_H : 0) + 10;

  // Attachment points spread along each box side.
  const attach = new Map<string, number>();
  const sides = new Map<string, { edge: Edge; end: 'source' | 'target'; other: number }[]>();
  for (const e of arcEdges) {
    const side = forward(e) ? 'top' : 'bottom';
    for (const end of ['source', 'target'] as const) {
      const key = `${e[end]}|${side}`;
      const list = sides.get(key) ?? [];
      list.push({ edge: e, end, other: center(end === 'source' ? e.target : e.source) });
      sides.set(key, list);
    }
  }
  for (const [key, list] of sides) {
    const b = boxes.get(key.split('|')[0] as string) as Box;
    list.sort((p, q) => p.other - q.other);
    list.forEach((p, i) => {
      attach.set(`${p.edge.source}->${p.edge.target}|${p.end}`, b.x + (b.w * (i + 1)) / (list.length + 1));
    });
  }

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" width="${Math.ceil(width)}" height="${Math.ceil(height)}" font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
  );

  const drawState = (id: string) => {
    const b = boxes.get(id) as Box;
    const s = b.state;
    out.push(
      `<g class="state${s.children.length > 0 ? ' compound' : ''}" data-id="${esc(s.id)}"><title>${esc(s.id)}</title>`,
    );
    out.push(
      `<rect class="box" x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="10"/>`,
      `<text class="name" x="${b.x + PAD}" y="${b.y + PAD + 13}">${esc(s.key)}</text>`,
    );
    b.lines.forEach((line, i) => {
      out.push(
        `<text class="info" x="${b.x + PAD}" y="${b.y + PAD + 18 + (i + 1) * LINE_H - 3}">${esc(line)}</text>`,
      );
    });
    out.push('</g>');
    for (const c of s.children) drawState(c);
    if (s.initial) initialMarker(s.initial);
  };
  const initialMarker = (id: string) => {
    const b = boxes.get(id) as Box;
    const y = b.y + PAD + 9;
    out.push(
      `<circle class="initial" cx="${b.x - 22}" cy="${y}" r="4"/>`,
      `<path class="edge" d="M${b.x - 18},${y} H${b.x - 1}" marker-end="url(#arrow)"/>`,
    );
  };
  for (const s of top) drawState(s.id);
  if (root.initial) initialMarker(root.initial);

  for (const e of arcEdges) {
    const up = forward(e);
    const sb = boxes.get(e.source) as Box;
    const tb = boxes.get(e.target) as Box;
    const x1 = attach.get(`${e.source}->${e.target}|source`) ?? center(e.source);
    const x2 = attach.get(`${e.source}->${e.target}|target`) ?? center(e.target);
    const levels = up ? above : below;
    const off = levels.offsets[levels.level.get(e) ?? 0] ?? ARC_BASE;
    const yl = up ? rowTop - off : rowBottom + off;
    const y1 = up ? sb.y : sb.y + sb.h;
    const y2 = up ? tb.y : tb.y + tb.h;
    const r = 8 * (up ? 1 : -1);
    const dx = x2 > x1 ? 8 : -8;
    const d = `M${x1},${y1} V${yl + r} Q${x1},${yl} ${x1 + dx},${yl} H${x2 - dx} Q${x2},${yl} ${x2},${yl + r} V${y2}`;
    const tip = e.transitions.map((t) => transitionLabel(t, true)).join('\n');
    out.push(`<g class="transition"><title>${esc(tip)}</title>`);
    out.push(`<path class="edge" d="${d}" marker-end="url(#arrow)"/>`);
    const mid = (x1 + x2) / 2;
    e.label.forEach((line, i) => {
      const y = up ? yl - 5 - (e.label.length - 1 - i) * LINE_H : yl + 14 + i * LINE_H;
      out.push(`<text class="label" x="${mid}" y="${y}" text-anchor="middle">${esc(line)}</text>`);
    });
    out.push('</g>');
  }

  for (const e of edges.filter(siblingEdge)) {
    const sb = boxes.get(e.source) as Box;
    const tb = boxes.get(e.target) as Box;
    const right = tb.x > sb.x;
    const y = Math.min(sb.y + sb.h, tb.y + tb.h) - (right ? 22 : 8);
    const x1 = right ? sb.x + sb.w : sb.x;
    const x2 = right ? tb.x : tb.x + tb.w;
    const tip = e.transitions.map((t) => transitionLabel(t, true)).join('\n');
    out.push(`<g class="transition"><title>${esc(tip)}</title>`);
    out.push(`<path class="edge" d="M${x1},${y} H${x2}" marker-end="url(#arrow)"/>`);
    e.label.forEach((line, i) => {
      out.push(
        `<text class="label" x="${(x1 + x2) / 2}" y="${y - 5 - (e.label.length - 1 - i) * LINE_H}" text-anchor="middle">${esc(line)}</text>`,
      );
    });
    out.push('</g>');
  }

  if (rootLines.length > 0) {
    out.push(`<text class="info" x="40" y="${footerY}">in every state of ${esc(chart.id)}:</text>`);
    rootLines.forEach((line, i) => {
      out.push(`<text class="info" x="56" y="${footerY + (i + 1) * LINE_H}">${esc(line)}</text>`);
    });
  }
  out.push('</svg>');
  return out.join('\n');
}
