/** What an event says about its error, as ECS `error.*` (https://www.elastic.co/docs/reference/ecs/ecs-error). */
export interface ErrorFields {
  type?: string;
  message?: string;
}

const PY_EXCEPTION = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/;
const JAVA_THREAD = /^Exception in thread "[^"]*" ([\w$.]+)(?::\s?(.*))?$/;
const JAVA_EXCEPTION = /^((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*)(?::\s?(.*))?$/;
const NODE_ERROR = /^(?:Uncaught )?((?:[A-Z][\w$]*)?(?:Error|Exception))(?: \[[A-Z0-9_]+\])?: (.*)$/;
const GO_PANIC = /^(panic|fatal error|SIG[A-Z]+): (.*)$/;

/**
 * The type and message of the error an event reports, from its lines (rank prefixes removed):
 * for Python the exception that was raised last (the one a chained traceback ends with), for
 * Java the top-level exception, for Node.js the error line before the frames, for Go the panic.
 * Empty when none of them is recognised (a custom event that is not an error).
 */
export function errorFields(lines: readonly string[]): ErrorFields {
  const first = lines[0] ?? '';
  const go = GO_PANIC.exec(first);
  if (go) return fields(go[1]!, go[2]);
  const thread = JAVA_THREAD.exec(first);
  if (thread) return fields(thread[1]!, thread[2]);
  if (JAVA_EXCEPTION.test(first) && lines.some((l) => /^\s+at /.test(l))) {
    const m = JAVA_EXCEPTION.exec(first)!;
    return fields(m[1]!, m[2]);
  }
  return pythonError(lines) ?? nodeError(lines) ?? {};
}

/** The exception line that ends the last traceback (or a SyntaxError report, or an exception group). */
function pythonError(lines: readonly string[]): ErrorFields | undefined {
  let inFrames = false;
  let found: ErrorFields | undefined;
  for (const line of lines) {
    if (line.startsWith('Traceback (most recent call last):') || /^ {2}File ".*", line \d+$/.test(line)) {
      inFrames = true;
      continue;
    }
    const group = /^\s*\| ([A-Za-z_][\w.]*Group): (.*)$/.exec(line);
    if (group && !found) found = fields(group[1]!, group[2]);
    if (!inFrames || line === '' || line.startsWith(' ')) continue;
    inFrames = false;
    const m = PY_EXCEPTION.exec(line);
    if (m) found = fields(m[1]!, m[2]);
  }
  return found;
}

function nodeError(lines: readonly string[]): ErrorFields | undefined {
  for (let i = 0; i < lines.length; i++) {
    const m = NODE_ERROR.exec(lines[i]!);
    if (m) return fields(m[1]!, m[2]);
  }
  return undefined;
}

function fields(type: string, message: string | undefined): ErrorFields {
  const text = message?.trim();
  return text ? { type, message: text } : { type };
}
