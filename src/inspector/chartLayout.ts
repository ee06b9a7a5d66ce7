/**
 * Lays out a `ChartModel` for `renderChartSvg`: box sizes, positions, which edges run as arcs above or
 * below the row of top-level states and at which level, and where each arc meets its boxes. Text is
 * monospace, so widths are computed from character counts without measuring.
 */
import type { ChartModel, ChartState, ChartTransition } from './chartModel.ts';

const CHAR_W = 7.2; // 12px monospace
const TITLE_W = 8.4; // 14px bold monospace
/** Height of one line of text. */
export const LINE_H = 15;
/** Padding inside a box. */
export const PAD = 10;
const GAP = 70; // between top-level boxes
/** The first arc level's distance from the row. */
export const ARC_BASE = 14;
const ARC_MARGIN = 10;
/** Space left and right of the row of top-level states. */
export const MARGIN = 40;

/** A state's box. */
export interface Box {
  state: ChartState;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Entry, invoke, exit and targetless transitions, one per line. */
  lines: string[];
  /** Where the row of children starts, relative to `y`. */
  childY: number;
}

/** The transitions from one state to another, drawn as one line. */
export interface Edge {
  source: string;
  target: string;
  transitions: ChartTransition[];
  label: string[];
}

/** The arcs on one side of the row, stacked in levels so their labels do not overlap. */
export interface ArcLevels {
  level: Map<Edge, number>;
  /** Distance of each level from the row. */
  offsets: number[];
  /** Height taken by all levels. */
  total: number;
}

/** Everything `renderChartSvg` draws, with its coordinates. */
export interface ChartLayout {
  chart: ChartModel;
  root: ChartState;
  /** The top-level states, left to right. */
  top: ChartState[];
  boxes: Map<string, Box>;
  /** Edges between states that do not share a compound parent, drawn as arcs. */
  arcEdges: Edge[];
  /** Edges between children of one compound state, drawn as straight lines inside it. */
  siblingEdges: Edge[];
  /** True for an arc going right (drawn above the row), false for one going left (below). */
  forward: (e: Edge) => boolean;
  /** Arcs going right, drawn above the row. */
  above: ArcLevels;
  /** Arcs going left, drawn below the row. */
  below: ArcLevels;
  /** Where each arc end meets its box, keyed `source->target|source` or `...|target`. */
  attach: Map<string, number>;
  rowTop: number;
  rowBottom: number;
  width: number;
  height: number;
  /** Where the root's targetless transitions are listed. */
  footerY: number;
  rootLines: string[];
}

/** `EVENT [guard] / actions` (actions only when asked: arc labels leave them to the tooltip). */
export function transitionLabel(t: ChartTransition, withActions: boolean): string {
  const guard = t.guard ? ` [${t.guard}]` : '';
  const actions = withActions && t.actions.length > 0 ? ` / ${t.actions.join(', ')}` : '';
  return `${t.event}${guard}${actions}`;
}

function textWidth(lines: string[]): number {
  return Math.max(0, ...lines.map((l) => l.length * CHAR_W));
}

function isInternal(t: ChartTransition): boolean {
  return t.targets.length === 0 || (t.targets.length === 1 && t.targets[0] === t.source);
}

/** The labels of the transitions of state `id` that stay in it. */
function internalLabels(chart: ChartModel, id: string): string[] {
  return chart.transitions
    .filter((t) => t.source === id && isInternal(t))
    .map((t) => transitionLabel(t, true));
}

/** Edges between different states, grouped by (source, target); the root's own transitions are listed. */
function collectEdges(chart: ChartModel): Edge[] {
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
  return [...edgeMap.values()];
}

/** Sizes and positions of the boxes; `measure` works bottom-up, `place` top-down. */
class BoxLayout {
  readonly boxes = new Map<string, Box>();

  constructor(
    private readonly chart: ChartModel,
    private readonly byId: Map<string, ChartState>,
    private readonly siblingEdges: Edge[],
  ) {}

  box(id: string): Box {
    return this.boxes.get(id) as Box;
  }

  center(id: string): number {
    const b = this.box(id);
    return b.x + b.w / 2;
  }

  /** Room between two adjacent children for the labels of the edges between them. */
  childGap(a: string, b: string): number {
    const labels = this.siblingEdges
      .filter((e) => [e.source, e.target].includes(a) && [e.source, e.target].includes(b))
      .flatMap((e) => e.label);
    return Math.max(40, textWidth(labels) + 24);
  }

  measure(s: ChartState): { w: number; h: number } {
    const lines = [
      ...s.entry.map((a) => `entry / ${a}`),
      ...s.invoke.map((src) => `invoke: ${src}`),
      ...s.exit.map((a) => `exit / ${a}`),
      ...internalLabels(this.chart, s.id),
    ];
    const titleW = s.key.length * TITLE_W;
    let w = Math.max(110, titleW, textWidth(lines)) + 2 * PAD;
    let h = PAD + 18 + lines.length * LINE_H + PAD;
    if (s.children.length > 0) {
      const sizes = s.children.map((c) => this.measure(this.byId.get(c) as ChartState));
      let rowW = 0;
      s.children.forEach((c, i) => {
        rowW += sizes[i]?.w ?? 0;
        const next = s.children[i + 1];
        if (next) rowW += this.childGap(c, next);
      });
      w = Math.max(w, rowW + 2 * PAD + 28);
      h += Math.max(...sizes.map((z) => z.h)) + PAD;
    }
    this.boxes.set(s.id, { state: s, x: 0, y: 0, w, h, lines, childY: PAD + 18 + lines.length * LINE_H + 4 });
    return { w, h };
  }

  place(id: string, x: number, y: number): void {
    const box = this.box(id);
    box.x = x;
    box.y = y;
    let cx = x + PAD + 28;
    box.state.children.forEach((c, i) => {
      this.place(c, cx, y + box.childY);
      cx += this.box(c).w;
      const next = box.state.children[i + 1];
      if (next) cx += this.childGap(c, next);
    });
  }

  /** Places the top-level states in a row at `y`; returns the x after the last gap. */
  placeRow(top: ChartState[], y: number): number {
    let x0 = MARGIN;
    for (const s of top) {
      this.place(s.id, x0, y);
      x0 += this.box(s.id).w + GAP;
    }
    return x0;
  }
}

/** Stacks arcs in levels, shortest first, so that no two labels on one level overlap. */
function arcLevels(list: Edge[], center: (id: string) => number): ArcLevels {
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
}

/** Spreads the arc ends along each box side, ordered by where the other end is, so arcs do not cross. */
function attachPoints(
  arcEdges: Edge[],
  layout: BoxLayout,
  forward: (e: Edge) => boolean,
): Map<string, number> {
  const attach = new Map<string, number>();
  const sides = new Map<string, { edge: Edge; end: 'source' | 'target'; other: number }[]>();
  for (const e of arcEdges) {
    const side = forward(e) ? 'top' : 'bottom';
    for (const end of ['source', 'target'] as const) {
      const key = `${e[end]}|${side}`;
      const list = sides.get(key) ?? [];
      list.push({ edge: e, end, other: layout.center(end === 'source' ? e.target : e.source) });
      sides.set(key, list);
    }
  }
  for (const [key, list] of sides) {
    const b = layout.box(key.split('|')[0] as string);
    list.sort((p, q) => p.other - q.other);
    list.forEach((p, i) => {
      attach.set(`${p.edge.source}->${p.edge.target}|${p.end}`, b.x + (b.w * (i + 1)) / (list.length + 1));
    });
  }
  return attach;
}

/** Computes every coordinate of the chart. Throws when the model has no state for its own id. */
export function layoutChart(chart: ChartModel): ChartLayout {
  const byId = new Map(chart.states.map((s) => [s.id, s]));
  const root = byId.get(chart.id);
  if (!root) throw new Error(`chart ${chart.id} has no root state`);
  const edges = collectEdges(chart);
  const isSibling = (e: Edge) => {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    return s?.parent !== undefined && s.parent === t?.parent && s.parent !== chart.id;
  };
  const siblingEdges = edges.filter(isSibling);
  const arcEdges = edges.filter((e) => !isSibling(e));
  const layout = new BoxLayout(chart, byId, siblingEdges);
  const top = root.children.map((c) => byId.get(c) as ChartState);
  for (const s of top) layout.measure(s);

  // Arc levels depend on x only; the row's y is known once the levels above it are.
  layout.placeRow(top, 0);
  const forward = (e: Edge) => layout.center(e.target) > layout.center(e.source);
  const center = (id: string) => layout.center(id);
  const above = arcLevels(arcEdges.filter(forward), center);
  const below = arcLevels(
    arcEdges.filter((e) => !forward(e)),
    center,
  );
  const rowTop = above.total + 10;
  const rowEnd = layout.placeRow(top, rowTop);
  const rowBottom = rowTop + Math.max(...top.map((s) => layout.box(s.id).h));
  const rootLines = internalLabels(chart, chart.id);
  const footerY = rowBottom + below.total + 24;
  return {
    chart,
    root,
    top,
    boxes: layout.boxes,
    arcEdges,
    siblingEdges,
    forward,
    above,
    below,
    attach: attachPoints(arcEdges, layout, forward),
    rowTop,
    rowBottom,
    width: rowEnd - GAP + MARGIN,
    height: footerY + (rootLines.length > 0 ? (rootLines.length + 1) * LINE_H : 0) + 10,
    footerY,
    rootLines,
  };
}
