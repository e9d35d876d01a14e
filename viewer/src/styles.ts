/** The component's styles: themed by custom properties the host may override (docs/viewer.md). */
import { ROW_HEIGHT } from './viewport.js';

const LIGHT = `
  --joblogs-bg: #ffffff; --joblogs-fg: #1f2328; --joblogs-muted: #6e7781; --joblogs-border: #d0d7de;
  --joblogs-toolbar-bg: #f6f8fa; --joblogs-accent: #0969da; --joblogs-gutter-fg: #8c959f;
  --joblogs-error-bg: #ffebe9; --joblogs-warn-bg: #fff8c5; --joblogs-match-bg: #fae17d; --joblogs-current-bg: #ffd33d;
  --joblogs-selected-bg: #ddf4ff; --joblogs-redraw-fg: #8c959f;
  --ansi-black: #24292f; --ansi-red: #cf222e; --ansi-green: #116329; --ansi-yellow: #7d4e00; --ansi-blue: #0550ae;
  --ansi-magenta: #8250df; --ansi-cyan: #1b7c83; --ansi-white: #6e7781; --ansi-bright-black: #57606a; --ansi-bright-red: #a40e26;
  --ansi-bright-green: #1a7f37; --ansi-bright-yellow: #633c01; --ansi-bright-blue: #218bff; --ansi-bright-magenta: #a475f9;
  --ansi-bright-cyan: #3192aa; --ansi-bright-white: #8c959f;`;

const DARK = `
  --joblogs-bg: #0d1117; --joblogs-fg: #e6edf3; --joblogs-muted: #8d96a0; --joblogs-border: #30363d;
  --joblogs-toolbar-bg: #161b22; --joblogs-accent: #4493f8; --joblogs-gutter-fg: #6e7681;
  --joblogs-error-bg: #3c1618; --joblogs-warn-bg: #2e2a12; --joblogs-match-bg: #6b5a10; --joblogs-current-bg: #9e6a03;
  --joblogs-selected-bg: #132c4a; --joblogs-redraw-fg: #6e7681;
  --ansi-black: #484f58; --ansi-red: #ff7b72; --ansi-green: #3fb950; --ansi-yellow: #d29922; --ansi-blue: #58a6ff;
  --ansi-magenta: #bc8cff; --ansi-cyan: #39c5cf; --ansi-white: #b1bac4; --ansi-bright-black: #6e7681; --ansi-bright-red: #ffa198;
  --ansi-bright-green: #56d364; --ansi-bright-yellow: #e3b341; --ansi-bright-blue: #79c0ff; --ansi-bright-magenta: #d2a8ff;
  --ansi-bright-cyan: #56d4dd; --ansi-bright-white: #f0f6fc;`;

const COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'].flatMap((c) => [c, `bright-${c}`]);
const ANSI = COLOURS.map((c) => `.fg-${c} { color: var(--ansi-${c}); } .bg-${c} { background: var(--ansi-${c}); }`).join('\n');

export const STYLES = `
:host { ${LIGHT}
  display: flex; flex-direction: column; height: var(--joblogs-height, 32rem); min-height: 10rem;
  font-family: var(--joblogs-font, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace); font-size: var(--joblogs-font-size, 13px);
  color: var(--joblogs-fg); background: var(--joblogs-bg); border: 1px solid var(--joblogs-border); border-radius: 6px; overflow: hidden;
  color-scheme: light; contain: strict; }
@media (prefers-color-scheme: dark) { :host(:not([theme=light])) { ${DARK} color-scheme: dark; } }
:host([theme=dark]) { ${DARK} color-scheme: dark; }
[hidden] { display: none !important; }
.toolbar { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; padding: 6px 8px; background: var(--joblogs-toolbar-bg);
  border-bottom: 1px solid var(--joblogs-border); font-family: var(--joblogs-ui-font, system-ui, sans-serif); font-size: 12px; }
.group { display: flex; gap: 4px; align-items: center; }
button, select, input, .link { font: inherit; color: var(--joblogs-fg); background: var(--joblogs-bg); border: 1px solid var(--joblogs-border);
  border-radius: 4px; padding: 2px 6px; height: 24px; box-sizing: border-box; }
button, .link { cursor: pointer; text-decoration: none; display: inline-flex; align-items: center; }
button[aria-pressed=true] { background: var(--joblogs-accent); color: #fff; border-color: var(--joblogs-accent); }
button:focus-visible, select:focus-visible, input:focus-visible, .link:focus-visible, .scroller:focus-visible { outline: 2px solid var(--joblogs-accent); outline-offset: -2px; }
input[type=search] { width: 12rem; }
select { max-width: 8.5rem; }
.search-status { color: var(--joblogs-muted); min-width: 6.5rem; }
.main { position: relative; flex: 1; min-height: 0; }
.scroller { position: absolute; inset: 0; overflow: auto; outline: none; overscroll-behavior: contain; }
.spacer { position: relative; min-width: 100%; width: max-content;
  background-image: repeating-linear-gradient(to bottom, transparent 0 ${ROW_HEIGHT - 6}px, var(--joblogs-border) ${ROW_HEIGHT - 6}px ${ROW_HEIGHT - 5}px, transparent ${ROW_HEIGHT - 5}px ${ROW_HEIGHT}px);
  background-size: 100% ${ROW_HEIGHT}px; background-repeat: repeat; background-origin: content-box; }
.row { position: absolute; top: 0; left: 0; min-width: 100%; box-sizing: border-box; height: ${ROW_HEIGHT}px; line-height: ${ROW_HEIGHT}px;
  white-space: pre; padding-right: 12px; background: var(--joblogs-bg); display: flex; align-items: flex-start; }
:host([wrap]) .spacer { width: 100%; }
:host([wrap]) .row { height: auto; width: 100%; white-space: pre-wrap; overflow-wrap: anywhere; }
:host([wrap]) .tx { flex: 1; min-width: 0; }
.ln { flex: none; width: calc(var(--joblogs-gutter-ch, 7) * 1ch + 12px); padding-right: 10px; text-align: right; color: var(--joblogs-gutter-fg);
  text-decoration: none; user-select: none; box-sizing: border-box; }
.ln:hover { color: var(--joblogs-accent); text-decoration: underline; }
.ts { flex: none; color: var(--joblogs-muted); margin-right: 1ch; display: none; }
:host([timestamps]) .ts { display: inline; }
.src { flex: none; color: var(--joblogs-accent); margin-right: 1ch; min-width: 7ch; }
.row:is([data-level=error], [data-level=critical], [data-level=fatal]) { background: var(--joblogs-error-bg); }
.row:is([data-level=warn], [data-level=warning]) { background: var(--joblogs-warn-bg); }
.row.selected { background: var(--joblogs-selected-bg); }
.row.selected .ln { color: var(--joblogs-accent); font-weight: bold; }
.row.redraw .tx { color: var(--joblogs-redraw-fg); }
.row.footer { font-family: var(--joblogs-ui-font, system-ui, sans-serif); font-weight: 600; padding-left: 12px; border-top: 1px solid var(--joblogs-border); }
mark { background: var(--joblogs-match-bg); color: inherit; border-radius: 2px; }
.row.current-match mark { background: var(--joblogs-current-bg); outline: 1px solid var(--joblogs-fg); }
.row.current-match { box-shadow: inset 3px 0 var(--joblogs-accent); }
.redraws { flex: none; margin-left: 1ch; color: var(--joblogs-muted); font-size: 11px; border: 1px solid var(--joblogs-border); border-radius: 8px; padding: 0 5px; line-height: 16px; margin-top: 1px; }
.bold { font-weight: bold; } .italic { font-style: italic; } .underline { text-decoration: underline; } .dim { opacity: 0.7; }
.blink { } .hidden { visibility: hidden; } .strikethrough { text-decoration: line-through; }
${ANSI}
.statusbar { display: flex; gap: 12px; align-items: center; padding: 3px 8px; border-top: 1px solid var(--joblogs-border); background: var(--joblogs-toolbar-bg);
  font-family: var(--joblogs-ui-font, system-ui, sans-serif); font-size: 12px; color: var(--joblogs-muted); min-height: 22px; }
.statusbar .job-status[data-status=running]::before { content: '● '; color: var(--ansi-green); }
.statusbar .archive-badge { border: 1px solid var(--joblogs-border); border-radius: 3px; padding: 0 5px; color: var(--joblogs-muted); }
.alert { padding: 8px 12px; background: var(--joblogs-error-bg); color: var(--joblogs-fg); border-bottom: 1px solid var(--joblogs-border); font-family: var(--joblogs-ui-font, system-ui, sans-serif); }
.jump-bottom { position: absolute; right: 18px; bottom: 12px; height: 28px; box-shadow: 0 1px 4px rgba(0,0,0,.25); background: var(--joblogs-accent); color: #fff; border: none; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
