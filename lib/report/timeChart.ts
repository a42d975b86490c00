/**
 * A line chart over real time for the report (inline SVG, no script): points are placed by their
 * timestamp, so sweeps an hour apart and a day apart are spaced as such; the axis carries ticks at
 * round times labelled with dates, and the latest value is written out beside the last point and in
 * the caption. Pure: points in, SVG out; every label escaped.
 */
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';

export interface TimePoint {
  /** ISO time of the measurement. */
  at: string;
  value: number;
}

export interface TimeChartOptions {
  max: number;
  unit: string;
  colour: string;
  title: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tick spacings, smallest first; the chart takes the first that gives at most MAX_TICKS ticks. */
const STEPS = [
  SECOND,
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];
const MAX_TICKS = 6;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A tick's label in UTC: the date for day steps; otherwise the time (with seconds for short steps),
 * preceded by the date on the first tick and wherever the day changes, so every tick reads as a date.
 */
export function tickLabel(time: number, step: number, previous: number | undefined): string {
  const date = new Date(time);
  const day = `${MONTHS[date.getUTCMonth()] ?? ''} ${date.getUTCDate()}`;
  if (step >= DAY) return day;
  const clock = date.toISOString().slice(11, step < MINUTE ? 19 : 16);
  const sameDay = previous !== undefined && new Date(previous).toISOString().slice(0, 10) === date.toISOString().slice(0, 10);
  return sameDay ? clock : `${day} ${clock}`;
}

/** Tick times at round multiples of a step that fits the span (the ends when the span is under a second). */
export function timeTicks(start: number, end: number): { times: number[]; step: number } {
  const span = end - start;
  const step = STEPS.find((candidate) => span / candidate <= MAX_TICKS) ?? STEPS.at(-1)!;
  if (span < SECOND) return { times: [start], step: SECOND };
  const times: number[] = [];
  for (let time = Math.ceil(start / step) * step; time <= end; time += step) times.push(time);
  // Fewer than two round times in the span (sweeps seconds apart): the ends themselves, to the second.
  return times.length >= 2 ? { times, step } : { times: [start, end], step: SECOND };
}

function utcLabel(iso: string, seconds = false): string {
  return `${iso.slice(0, seconds ? 19 : 16).replace('T', ' ')} UTC`;
}

export function timeChart(allPoints: readonly TimePoint[], options: TimeChartOptions): string {
  // A record whose time does not parse has no place on a time axis.
  const points = allPoints.filter((point) => Number.isFinite(Date.parse(point.at)));
  if (points.length === 0) return `<p class="muted">${escapeHtml(options.title)}: no data yet.</p>`;
  const width = 720;
  const height = 200;
  const left = 44;
  const right = 96;
  const top = 16;
  const bottom = 40;
  const times = points.map((point) => Date.parse(point.at));
  const start = Math.min(...times);
  const end = Math.max(...times);
  const plotWidth = width - left - right;
  const x = (time: number) => left + (end === start ? plotWidth / 2 : ((time - start) / (end - start)) * plotWidth);
  const y = (value: number) => height - bottom - (options.max === 0 ? 0 : (Math.min(value, options.max) / options.max) * (height - top - bottom));
  const format = (value: number) => `${value}${options.unit}`;
  const path = points.map((point, index) => `${x(times[index]!).toFixed(1)},${y(point.value).toFixed(1)}`).join(' ');
  const dots = points
    .map(
      (point, index) =>
        `<circle cx="${x(times[index]!).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3" fill="${options.colour}"><title>${escapeHtml(`${utcLabel(point.at)}: ${format(point.value)}`)}</title></circle>`,
    )
    .join('');
  const { times: ticks, step } = timeTicks(start, end);
  const tickMarks = ticks
    .map((time, index) => {
      const tickX = x(time).toFixed(1);
      return `<line x1="${tickX}" y1="${height - bottom}" x2="${tickX}" y2="${height - bottom + 5}" stroke="#868e96"/><text x="${tickX}" y="${height - bottom + 18}" font-size="11" text-anchor="middle" class="tick">${escapeHtml(tickLabel(time, step, ticks[index - 1]))}</text>`;
    })
    .join('');
  const latestIndex = times.indexOf(end);
  const latest = points[latestIndex]!;
  const current = `<text x="${(x(end) + 8).toFixed(1)}" y="${(y(latest.value) + 4).toFixed(1)}" font-size="13" font-weight="bold" fill="${options.colour}" class="current">${escapeHtml(format(latest.value))} now</text>`;
  const axisNote = `<text x="${left}" y="${height - 4}" font-size="10" fill="#868e96">UTC · ${points.length} sweep${points.length === 1 ? '' : 's'} from ${escapeHtml(utcLabel(new Date(start).toISOString(), end - start < HOUR))} to ${escapeHtml(utcLabel(new Date(end).toISOString(), end - start < HOUR))}</text>`;
  return `<figure class="chart"><svg role="img" aria-label="${escapeHtml(`${options.title}; latest ${format(latest.value)}`)}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#adb5bd"/><line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#adb5bd"/>
<text x="${left - 4}" y="${top + 4}" font-size="11" text-anchor="end">${escapeHtml(format(options.max))}</text><text x="${left - 4}" y="${height - bottom}" font-size="11" text-anchor="end">${escapeHtml(format(0))}</text>
${tickMarks}${axisNote}<polyline fill="none" stroke="${options.colour}" stroke-width="2" points="${path}"/>${dots}${current}</svg><figcaption>${escapeHtml(options.title)}: <b>${escapeHtml(format(latest.value))}</b> at the latest sweep (${escapeHtml(utcLabel(latest.at))})</figcaption></figure>`;
}
