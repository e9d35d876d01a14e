import { EventKind } from './constants.js';

/**
 * One kind of multi-line error as a small state machine over the lines of a lane: `start` says
 * whether a line can open an event (and in which phase), `next` whether a line continues an
 * event in a phase (and the phase after it). Both see the text after any rank prefix. A line
 * that neither continues nor starts anything is a line on its own.
 *
 * The tests cheap first (the first character), since every line of a job goes through `start`.
 */
export interface Grammar {
  kind: EventKind;
  start(text: string): string | undefined;
  next(phase: string, text: string): string | undefined;
}

const PY_TRACEBACK = 'Traceback (most recent call last):';
const PY_GROUP = /^\s*\+ Exception Group Traceback \(most recent call last\):$/;
const PY_SYNTAX_LOCATION = /^ {2}File ".*", line \d+$/;
const PY_EXCEPTION = /^[A-Za-z_][\w.]*(?::.*)?$/;
const PY_SYNTAX_ERROR = /^(?:SyntaxError|IndentationError|TabError)\b/;
const PY_CHAIN = [
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
];
// PyTorch's C++ errors say more after the exception line (c10/util/Exception.cpp, c10/cuda/CUDAException.cpp).
const TORCH_NOTES = [
  'CUDA kernel errors might be asynchronously reported',
  'For debugging consider passing CUDA_LAUNCH_BLOCKING',
  'Compile with `TORCH_USE_CUDA_DSA`',
  'Device-side assertions',
];
const RULE = /^=+$/;

/**
 * Python: tracebacks with their frames (3.11+ `~~^^^^` markers and `[Previous line repeated …]`
 * included), chained exceptions ("During handling…", "The above exception…"), `SyntaxError`
 * reports (no "Traceback" line when the script itself does not parse), exception groups, the
 * notes and C++ frames PyTorch adds to an exception, and torchrun's `ChildFailedError` report.
 */
export const python: Grammar = {
  kind: EventKind.python,
  start(text) {
    const c = text.charCodeAt(0);
    if (c === 0x54 /* T */) return text.startsWith(PY_TRACEBACK) && text.trimEnd() === PY_TRACEBACK ? 'frames' : undefined;
    if (c !== 0x20) return undefined;
    if (PY_SYNTAX_LOCATION.test(text)) return 'syntax';
    return PY_GROUP.test(text) ? 'group' : undefined;
  },
  next(phase, text) {
    switch (phase) {
      case 'frames':
        if (text.charCodeAt(0) === 0x20) return 'frames';
        return text !== '' && PY_EXCEPTION.test(text) ? 'exception' : undefined;
      case 'exception':
        if (text === '') return 'after';
        if (RULE.test(text)) return 'report';
        return TORCH_NOTES.some((n) => text.startsWith(n)) ? 'exception' : undefined;
      case 'after':
        if (PY_CHAIN.includes(text)) return 'chain';
        return text.startsWith('Exception raised from ') ? 'cpp' : undefined;
      case 'chain':
        if (text === '') return 'chain';
        if (text.trimEnd() === PY_TRACEBACK) return 'frames';
        return PY_GROUP.test(text) ? 'group' : undefined;
      case 'cpp':
        if (/^frame #\d+: /.test(text)) return 'cpp';
        return text === '' ? 'after' : undefined;
      case 'report':
        return RULE.test(text) ? 'exception' : 'report';
      case 'syntax':
        if (text.charCodeAt(0) === 0x20) return 'syntax';
        return PY_SYNTAX_ERROR.test(text) ? 'exception' : undefined;
      case 'group':
        if (/^\s*[|+]/.test(text)) return 'group';
        return text === '' ? 'after' : undefined;
      default:
        return undefined;
    }
  },
};

const JAVA_THREAD = /^Exception in thread "[^"]*" \S/;
const JAVA_EXCEPTION = /^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)[\w$]*(?::.*)?$/;
const JAVA_FRAME = /^\s+at \S/;
const JAVA_MORE = /^\s*\.\.\. \d+ (?:more|common frames omitted)/;
const JAVA_CAUSE = /^\s*(?:Caused by|Suppressed): \S/;

/** Java and Scala: `Exception in thread …` or a qualified exception class, `at` frames, `Caused by:`, `Suppressed:`, `... N more`. */
export const java: Grammar = {
  kind: EventKind.java,
  start(text) {
    const c = text.charCodeAt(0);
    if (c === 0x45 /* E */) return JAVA_THREAD.test(text) ? 'exception' : undefined;
    if (c < 0x61 || c > 0x7a) return undefined;
    if (!text.includes('Exception') && !text.includes('Error') && !text.includes('Throwable')) return undefined;
    return JAVA_EXCEPTION.test(text) ? 'exception' : undefined;
  },
  next(_phase, text) {
    if (JAVA_FRAME.test(text) || JAVA_MORE.test(text)) return 'frames';
    return JAVA_CAUSE.test(text) ? 'exception' : undefined;
  },
};

const NODE_LOCATION = /^(?:node:[\w/.-]+|<anonymous_script>|file:\/\/\S+|\/\S*|[A-Za-z]:\\\S*):\d+$/;
const NODE_ERROR = /^(?:Uncaught )?(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[A-Z0-9_]+\])?: /;
const NODE_FRAME = /^\s+at \S/;
const NODE_CARET = /^\s*\^+\s*$/;

/**
 * Node.js: an uncaught error (`file:line`, the source line, a caret, the error and its `at`
 * frames, its own properties in braces, `Node.js vNN`), or an error printed with its stack.
 */
export const node: Grammar = {
  kind: EventKind.node,
  start(text) {
    const c = text.charCodeAt(0);
    if (c === 0x2f /* / */ || c === 0x3c /* < */ || c === 0x6e /* n */ || c === 0x66 /* f */ || (c >= 0x41 && c <= 0x5a && text.charCodeAt(1) === 0x3a)) {
      if (NODE_LOCATION.test(text)) return 'location';
    }
    if (c >= 0x41 && c <= 0x5a && NODE_ERROR.test(text)) return 'error';
    return undefined;
  },
  next(phase, text) {
    switch (phase) {
      case 'location':
        return text === '' ? 'blank' : 'source';
      case 'source':
        if (NODE_CARET.test(text)) return 'caret';
        return text === '' ? 'blank' : undefined;
      case 'caret':
        return text === '' ? 'blank' : undefined;
      case 'blank':
        return text !== '' && text.charCodeAt(0) !== 0x20 ? 'error' : undefined;
      case 'error':
      case 'frames':
        if (NODE_FRAME.test(text)) return text.endsWith(' {') ? 'properties' : 'frames';
        return phase === 'frames' && text === '' ? 'tail' : undefined;
      case 'properties':
        return text === '}' ? 'closed' : 'properties';
      case 'closed':
        return text === '' ? 'tail' : undefined;
      case 'tail':
        return /^Node\.js v\d/.test(text) ? 'done' : undefined;
      default:
        return undefined;
    }
  },
};

const GO_START = /^(?:panic: |fatal error: |SIG[A-Z]+: |goroutine \d+ \[.*\]:$)/;
const GO_LINES = [
  /^goroutine \d+ \[/,
  /^(?:panic|fatal error): /,
  /^\[signal /,
  /^created by /,
  /^\.\.\.\s*(?:additional frames elided|\d+ frames elided)/,
  /^runtime stack:$/,
  /^PC=0x/,
  /^r[a-z0-9]+\s+0x[0-9a-f]+$/,
  // A function of a stack: `main.(*shard).at(...)`, `runtime.gopark(0x0?, 0x0?, …)`.
  /^[\w./*()[\]$-]+\(.*\)$/,
];

/** Go: `panic:` / `fatal error:` with every goroutine's stack, `[signal …]`, `created by`, `exit status N`; a SIGQUIT dump. */
export const go: Grammar = {
  kind: EventKind.go,
  start(text) {
    const c = text.charCodeAt(0);
    if (c !== 0x70 /* p */ && c !== 0x66 /* f */ && c !== 0x67 /* g */ && c !== 0x53 /* S */) return undefined;
    return GO_START.test(text) ? 'stack' : undefined;
  },
  next(phase, text) {
    if (phase === 'done') return undefined;
    if (text === '' || text.charCodeAt(0) === 0x09) return 'stack';
    if (/^exit status \d+$/.test(text)) return 'done';
    return GO_LINES.some((re) => re.test(text)) ? 'stack' : undefined;
  },
};

/** The built-in grammars, in the order a line's start is tried. */
export const BUILT_IN_GRAMMARS: readonly Grammar[] = [python, java, go, node];
