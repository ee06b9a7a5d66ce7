/**
 * Draws a `ChartModel` as SVG (a string, no DOM), with the coordinates from `layoutChart`. Top-level
 * states sit in one row, a compound state holds its children in a row inside its box. Transitions between
 * states are orthogonal arcs: forward ones (to the right) above the row, backward ones below, stacked in
 * levels so labels do not overlap. Targetless transitions are listed inside their state's box, those of
 * the root under the chart. Every state is a `<g class="state" data-id="...">` so the page can highlight
 * the active ones.
 */

import {
  ARC_BASE,
  type ChartLayout,
  type Edge,
  LINE_H,
  layoutChart,
  MARGIN,
  PAD,
  transitionLabel,
} from './chartLayout.ts';
import type { ChartModel } from './chartModel.ts';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function svgOpen(width: number, height: number): string[] {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
  ];
}

/** The dot and arrow that mark state `id` as its parent's initial state. */
function drawInitialMarker(out: string[], layout: ChartLayout, id: string): void {
  const b = layout.boxes.get(id);
  if (!b) return;
  const y = b.y + PAD + 9;
  out.push(
    `<circle class="initial" cx="${b.x - 22}" cy="${y}" r="4"/>`,
    `<path class="edge" d="M${b.x - 18},${y} H${b.x - 1}" marker-end="url(#arrow)"/>`,
  );
}

/** State `id`'s box, then its children (drawn over it) and their initial marker. */
function drawState(out: string[], layout: ChartLayout, id: string): void {
  const b = layout.boxes.get(id);
  if (!b) return;
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
  for (const c of s.children) drawState(out, layout, c);
  if (s.initial) drawInitialMarker(out, layout, s.initial);
}

/** Opens an edge's group; its tooltip lists every transition in full. */
function openTransition(out: string[], e: Edge): void {
  const tip = e.transitions.map((t) => transitionLabel(t, true)).join('\n');
  out.push(`<g class="transition"><title>${esc(tip)}</title>`);
}

/** An arc: up from the source to its level above the row (or down below it), across, to the target. */
function drawArc(out: string[], layout: ChartLayout, e: Edge): void {
  const sb = layout.boxes.get(e.source);
  const tb = layout.boxes.get(e.target);
  if (!sb || !tb) return;
  const up = layout.forward(e);
  const x1 = layout.attach.get(`${e.source}->${e.target}|source`) ?? sb.x + sb.w / 2;
  const x2 = layout.attach.get(`${e.source}->${e.target}|target`) ?? tb.x + tb.w / 2;
  const levels = up ? layout.above : layout.below;
  const off = levels.offsets[levels.level.get(e) ?? 0] ?? ARC_BASE;
  const yl = up ? layout.rowTop - off : layout.rowBottom + off;
  const y1 = up ? sb.y : sb.y + sb.h;
  const y2 = up ? tb.y : tb.y + tb.h;
  const r = 8 * (up ? 1 : -1);
  const dx = x2 > x1 ? 8 : -8;
  const d = `M${x1},${y1} V${yl + r} Q${x1},${yl} ${x1 + dx},${yl} H${x2 - dx} Q${x2},${yl} ${x2},${yl + r} V${y2}`;
  openTransition(out, e);
  out.push(`<path class="edge" d="${d}" marker-end="url(#arrow)"/>`);
  const mid = (x1 + x2) / 2;
  e.label.forEach((line, i) => {
    const y = up ? yl - 5 - (e.label.length - 1 - i) * LINE_H : yl + 14 + i * LINE_H;
    out.push(`<text class="label" x="${mid}" y="${y}" text-anchor="middle">${esc(line)}</text>`);
  });
  out.push('</g>');
}

/** A straight line between two children of one compound state, labelled above. */
function drawSiblingEdge(out: string[], layout: ChartLayout, e: Edge): void {
  const sb = layout.boxes.get(e.source);
  const tb = layout.boxes.get(e.target);
  if (!sb || !tb) return;
  const right = tb.x > sb.x;
  const y = Math.min(sb.y + sb.h, tb.y + tb.h) - (right ? 22 : 8);
  const x1 = right ? sb.x + sb.w : sb.x;
  const x2 = right ? tb.x : tb.x + tb.w;
  openTransition(out, e);
  out.push(`<path class="edge" d="M${x1},${y} H${x2}" marker-end="url(#arrow)"/>`);
  e.label.forEach((line, i) => {
    out.push(
      `<text class="label" x="${(x1 + x2) / 2}" y="${y - 5 - (e.label.length - 1 - i) * LINE_H}" text-anchor="middle">${esc(line)}</text>`,
    );
  });
  out.push('</g>');
}

/** The root's targetless transitions, listed under the chart. */
function drawRootLines(out: string[], layout: ChartLayout): void {
  if (layout.rootLines.length === 0) return;
  const { footerY } = layout;
  out.push(
    `<text class="info" x="${MARGIN}" y="${footerY}">in every state of ${esc(layout.chart.id)}:</text>`,
  );
  layout.rootLines.forEach((line, i) => {
    out.push(`<text class="info" x="${MARGIN + 16}" y="${footerY + (i + 1) * LINE_H}">${esc(line)}</text>`);
  });
}

/** Renders the chart as a standalone `<svg>` element. */
export function renderChartSvg(chart: ChartModel): string {
  const layout = layoutChart(chart);
  const out = svgOpen(layout.width, layout.height);
  for (const s of layout.top) drawState(out, layout, s.id);
  if (layout.root.initial) drawInitialMarker(out, layout, layout.root.initial);
  for (const e of layout.arcEdges) drawArc(out, layout, e);
  for (const e of layout.siblingEdges) drawSiblingEdge(out, layout, e);
  drawRootLines(out, layout);
  out.push('</svg>');
  return out.join('\n');
}
