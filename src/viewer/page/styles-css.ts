/** The viewer's stylesheet (served as a file: the CSP forbids inline styles). */
export const STYLES_CSS = String.raw`:root { --fg: #1d2330; --muted: #6b7385; --line: #e3e6ee; --bg: #f7f8fb; --card: #fff; --accent: #3b5bdb;
  --ok: #2b8a3e; --err: #c92a2a; --warn: #e67700; --llm: #5c7cfa; --tool: #20c997; --sub: #ae3ec9; --mark: #868e96; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { display: flex; align-items: baseline; gap: 10px; padding: 10px 20px; background: #1d2330; color: #fff; }
.top .brand { color: #fff; font-weight: 700; font-size: 18px; }
.top .sub { color: #aab; }
main { padding: 16px 20px 60px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 20px; margin: 6px 0; }
h2 { font-size: 15px; margin: 22px 0 8px; color: #394150; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.error { color: var(--err); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 12px; }
.filters input, .filters select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
#search { flex: 1 1 280px; min-width: 220px; }
#filter-min-cost { width: 90px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.card-label { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card-value { font-size: 20px; font-weight: 600; }
.card-sub { font-size: 11px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { white-space: nowrap; }
/* The prompt takes whatever width is left and ends in an ellipsis (max-width: 0 lets it shrink). */
td.prompt { width: 100%; max-width: 0; min-width: 160px; }
td .clip { overflow: hidden; text-overflow: ellipsis; }
.filters select { max-width: 220px; }
.table-wrap { overflow-x: auto; }
td.agent .clip { max-width: 200px; }
tr.row { cursor: pointer; }
tr.row:hover { background: #f1f3fa; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 11px; font-weight: 600; color: #fff; background: var(--mark); vertical-align: middle; }
.st-ok { background: var(--ok); }
.st-error { background: var(--err); }
.st-incomplete, .st-interrupted { background: var(--warn); }
.pager { display: flex; gap: 16px; padding: 10px 2px; }
.crumbs { margin-bottom: 6px; }
.head { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 6px 0; }
.meta-item { display: flex; gap: 6px; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.actions { display: flex; gap: 8px; margin-top: 6px; }
.btn { font: inherit; font-size: 12px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--fg); cursor: pointer; }
.waterfall { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 6px 0; }
.wf-row { display: grid; grid-template-columns: 240px 1fr 70px; align-items: center; min-height: 20px; cursor: pointer; }
.wf-row:hover { background: #f1f3fa; }
.wf-axis { cursor: default; border-bottom: 1px solid var(--line); margin-bottom: 4px; }
.wf-axis:hover { background: none; }
.wf-label { font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wf-track { position: relative; height: 14px; margin: 0 8px; }
.wf-axis .wf-track { height: 16px; }
.wf-tick { position: absolute; top: 0; font-size: 10px; color: var(--muted); transform: translateX(-50%); white-space: nowrap; }
.wf-tick:first-child { transform: none; }
.wf-tick:last-child { transform: translateX(-100%); }
.wf-bar { position: absolute; top: 2px; height: 10px; border-radius: 3px; background: var(--mark); min-width: 2px; }
.wf-bar.llm { background: var(--llm); }
.wf-bar.tool { background: var(--tool); }
.wf-bar.sub { background: var(--sub); opacity: .55; }
.wf-bar.step { background: #adb5bd; }
.wf-bar.mark { width: 2px; background: var(--fg); }
.wf-bar.bad { background: var(--err); }
.wf-dur { font-size: 11px; color: var(--muted); text-align: right; padding-right: 10px; font-variant-numeric: tabular-nums; }
.events { display: flex; flex-direction: column; gap: 8px; }
.ev { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--mark); border-radius: 6px; padding: 6px 10px; }
.ev.flash { outline: 2px solid var(--accent); }
.ev-llm_message { border-left-color: var(--llm); }
.ev-tool_call { border-left-color: var(--tool); }
.ev-subagent { border-left-color: var(--sub); background: #fcf8fe; }
.ev-user_prompt { border-left-color: var(--fg); }
.ev-head { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.kind { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.name { font-weight: 600; }
.dur { font-variant-numeric: tabular-nums; color: #394150; }
.children { margin: 8px 0 2px 10px; display: flex; flex-direction: column; gap: 8px; }
.why { margin: 4px 0; }
.why-label { color: var(--sub); font-weight: 600; }
.payload-box { margin-top: 4px; }
.payload-label { font-size: 11px; color: var(--muted); }
pre.payload { margin: 2px 0; padding: 6px 8px; background: #f4f5f8; border-radius: 4px; max-height: 420px; overflow: auto; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
button.more { font: inherit; font-size: 12px; border: 0; background: none; color: var(--accent); cursor: pointer; padding: 0; }
details.thinking summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin-top: 4px; }
.chip { font-size: 11px; padding: 1px 8px; border-radius: 10px; background: #e7f5ff; }
.note { margin: 4px 0; }
.reset { font-size: 12px; }
`;
