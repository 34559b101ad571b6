/** A minimal server-rendered dashboard: the latest scans with their status and severity counts. */
import type { scanView } from './app.ts';

type ScanViewModel = ReturnType<typeof scanView>;

function esc(s: string | null | undefined): string {
  return (s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderDashboard(scans: ScanViewModel[]): string {
  const rows = scans.map((s) => `<tr><td><a href="${esc(s.links.self)}">${esc(s.scan_id.slice(0, 8))}</a></td><td>${esc(s.target)}</td><td class="${esc(s.status)}">${esc(s.status)}</td>` +
    `<td>${s.summary.critical}</td><td>${s.summary.high}</td><td>${s.summary.medium}</td><td>${s.summary.low}</td><td>${s.summary.total}</td>` +
    `<td>${esc(s.created_at)}</td><td>${esc(s.error)}</td></tr>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Portwarden</title><style>
body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}
.failed{color:#b00}.completed{color:#070}.scanning{color:#a60}</style></head><body>
<h1>Portwarden scans</h1><p><a href="/docs">API docs</a> · <a href="/openapi.json">OpenAPI</a></p>
<table><thead><tr><th>scan</th><th>target</th><th>status</th><th>critical</th><th>high</th><th>medium</th><th>low</th><th>total</th><th>created</th><th>error</th></tr></thead>
<tbody>${rows}</tbody></table></body></html>`;
}
