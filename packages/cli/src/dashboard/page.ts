import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PAGE_SCRIPT } from './pageScript.js';

const require = createRequire(import.meta.url);

/**
 * The dashboard: one HTML document with everything inlined (uPlot, its CSS, the page's script),
 * so it loads where nothing outside the machine is reachable and needs no second request.
 * uPlot (MIT, https://github.com/leeoniya/uPlot) comes from node_modules, read once.
 */
export function dashboardPage(): string {
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warren · back-pressure</title>
<style>${inline(uplotCss)}</style>
<style>${STYLE}</style>
</head>
<body>
<header>
  <div class="title">
    <h1>Warren <span data-value="appName"></span></h1>
    <span class="subtitle">back-pressure, live: what each consumer takes, holds and leaves in its queue</span>
  </div>
  <div class="status">
    <span id="health" class="badge">connecting…</span>
    <span id="connections"></span>
    <span id="live" class="live off">connecting…</span>
  </div>
  <div class="publisher"><span data-value="publisher"></span> <span class="limits" data-value="limits"></span></div>
</header>
<main>
  <div id="consumers"></div>
  <section class="card" id="events">
    <div class="card-head">
      <h2>Back-pressure events</h2>
      <span class="queue">broker blocks, breakers, limit changes, reconnects, pauses — newest first; dashed lines on the charts</span>
    </div>
    <p id="marks-empty" class="empty">None yet.</p>
    <ol id="marks"></ol>
  </section>
</main>
<footer><span data-value="updated"></span> · <span data-value="cadence"></span> · JSON: <a href="api/state">api/state</a> · stream: api/events</footer>
<script>${inline(uplotJs)}</script>
<script>${inline(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

/** Text inlined in a script or style element must not close it early. */
function inline(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1');
}

const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #fff;
  --ok: #1a7f37; --warn: #bc4c00; --bad: #cf222e; --info: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 14px 24px 10px; background: var(--card); border-bottom: 1px solid var(--line);
  display: grid; grid-template-columns: 1fr auto; gap: 6px 24px; align-items: center; }
h1 { margin: 0; font-size: 20px; font-weight: 600; }
h1 span { color: var(--muted); font-weight: 400; }
.subtitle { color: var(--muted); font-size: 13px; }
.status { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; justify-content: flex-end; }
#connections { display: inline-flex; gap: 6px; }
.publisher { grid-column: 1 / -1; color: var(--muted); font-size: 13px; font-variant-numeric: tabular-nums; }
.limits { margin-left: 8px; }
main { padding: 16px 24px; display: grid; gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px 14px; }
.card.off { border-color: var(--bad); box-shadow: inset 3px 0 0 var(--bad); }
.card-head { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; margin-bottom: 8px; }
h2 { margin: 0; font-size: 16px; font-weight: 600; }
.queue { color: var(--muted); font-size: 13px; }
.badges { display: inline-flex; gap: 6px; flex-wrap: wrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 500;
  border: 1px solid var(--line); color: var(--muted); background: var(--bg); white-space: nowrap; }
.badge.ok, .badge.good { color: var(--ok); border-color: #aceebb; background: #dafbe1; }
.badge.warn { color: var(--warn); border-color: #ffd8b5; background: #fff1e5; }
.badge.bad { color: var(--bad); border-color: #ffcecb; background: #ffebe9; }
.badge.info { color: var(--info); border-color: #b6e3ff; background: #ddf4ff; }
.panels { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 1100px) { .panels { grid-template-columns: 1fr; } }
.panel { min-width: 0; }
.panel-head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
h3 { margin: 0; font-size: 14px; font-weight: 600; }
.unit { color: var(--muted); font-size: 12px; }
.big { font-size: 22px; font-weight: 600; line-height: 1.1; font-variant-numeric: tabular-nums; white-space: nowrap; }
.more { font-size: 12px; min-height: 18px; margin-bottom: 4px; font-variant-numeric: tabular-nums; }
.plot { width: 100%; }
.uplot { font-family: system-ui, sans-serif; }
.u-legend { font-size: 12px; text-align: left; margin-top: 2px; }
.u-legend .u-marker { width: 10px; height: 10px; }
#marks { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; font-size: 13px; }
.mark { display: grid; grid-template-columns: 64px 120px minmax(60px, max-content) 1fr; gap: 8px; align-items: baseline; padding: 3px 0; border-top: 1px solid var(--bg); }
.mark time { color: var(--muted); font-variant-numeric: tabular-nums; }
.mark .scope { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.empty { color: var(--muted); margin: 4px 0; }
.live { font-size: 12px; color: var(--muted); }
.live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px; background: var(--muted); }
.live.on::before { background: var(--ok); }
.live.off::before { background: var(--warn); }
.live.ended::before { background: var(--bad); }
footer { padding: 0 24px 20px; color: var(--muted); font-size: 12px; }
footer a { color: var(--info); }
`;
