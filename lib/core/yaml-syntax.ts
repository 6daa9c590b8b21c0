/**
 * YAML syntax errors in plain words, at the line where the user made the mistake. The yaml library reports
 * what its parser noticed where it noticed it: an unclosed quote or bracket at the end of the file, an
 * over-indented key on the line above it, in the grammar's vocabulary ("Implicit keys need to be on a
 * single line"). This module moves each error back to its cause — the opening quote or bracket found in
 * the concrete syntax tree, the line that is indented wrongly — and says what is wrong and how to fix it.
 *
 * Errors that derail the parser (an unclosed quote or bracket, an unexpected character) make everything
 * after them unreliable, so nothing after the first of them is reported.
 */
import { type CST, type LineCounter, Parser, type YAMLError } from 'yaml';

export type YamlSyntaxIssue = {
  /** Offset in the text of the mistake. */
  readonly offset: number;
  readonly message: string;
  readonly hint: string;
};

type Explained = YamlSyntaxIssue & { readonly derails: boolean };

const INDENT_HINT = 'keys of one mapping start in the same column, list items too; indent with spaces';
const QUOTE_HINT = 'quote values that contain ": ", " #", or start with one of [ ] { } , & * ! | > % @ `';

type Token = CST.Token | CST.CollectionItem['key'];

/** Every token of the tree, depth first (documents, collections, their keys and values). */
function* tokens(token: Token): Generator<CST.Token> {
  if (!token) return;
  yield token;
  if (token.type === 'document') yield* tokens(token.value);
  if ('items' in token) {
    for (const item of token.items) {
      yield* tokens(item.key);
      yield* tokens(item.value);
    }
  }
}

function isClosedQuote(source: string, quote: string): boolean {
  if (source.length < 2 || !source.endsWith(quote)) return false;
  // The closing quote is the last character, unless it is escaped: \" in double quotes, '' in single quotes.
  if (quote === '"') return /(^|[^\\])(\\\\)*"$/.test(source.slice(1));
  const trailing = /'+$/.exec(source.slice(1))?.[0].length ?? 0;
  return trailing % 2 === 1;
}

/** The first quoted scalar without its closing quote, and the first { or [ without its closing bracket. */
function unclosed(text: string): {
  quote?: { offset: number; quote: string };
  flow?: { offset: number; open: string; close: string };
} {
  const found: ReturnType<typeof unclosed> = {};
  for (const document of new Parser().parse(text)) {
    for (const token of tokens(document)) {
      if (!found.quote && (token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar')) {
        const quote = token.type === 'double-quoted-scalar' ? '"' : "'";
        if (!isClosedQuote(token.source, quote)) found.quote = { offset: token.offset, quote };
      }
      if (!found.flow && token.type === 'flow-collection') {
        const open = token.start.source;
        const close = open === '{' ? '}' : ']';
        if (!token.end.some((t) => t.source === close)) found.flow = { offset: token.offset, open, close };
      }
    }
  }
  // A quote left open inside { } or [ ] swallows the closing bracket: the quote is the mistake.
  if (found.quote && found.flow && found.quote.offset > found.flow.offset) delete found.flow;
  return found;
}

/** Offset of the first non-blank character of the line that holds `offset`. */
function lineStart(text: string, offset: number): number {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const indent = /^[ \t]*/.exec(text.slice(start))?.[0].length ?? 0;
  return start + indent;
}

function explain(text: string, error: YAMLError, found: ReturnType<typeof unclosed>): Explained {
  const [at, to] = error.pos;
  const here = (message: string, hint: string, derails = false, offset = at): Explained => ({
    offset,
    message,
    hint,
    derails,
  });
  const quoted = /"([^"]*)"\s*$/.exec(error.message)?.[1];
  switch (error.code) {
    case 'MISSING_CHAR':
      if (/quote/.test(error.message) && found.quote) {
        const { quote, offset } = found.quote;
        return here(
          `this ${quote === '"' ? 'double' : 'single'}-quoted string has no closing ${quote}`,
          `close it with ${quote}; inside the string write ${quote === '"' ? '\\"' : "''"} for a ${quote}`,
          true,
          offset,
        );
      }
      if (/Sequence item without/.test(error.message))
        return here(
          'bad indentation: this line is indented less than the keys above it and is not a list item ("- ")',
          INDENT_HINT,
          false,
          lineStart(text, at),
        );
      if (/Implicit map keys need to be followed/.test(error.message))
        return here('this line has no ":" after its key', 'write "key: value", or "- item" in a list');
      break;
    case 'BAD_INDENT':
      if (/^Flow (map|sequence)/.test(error.message) && found.flow) {
        const { open, close, offset } = found.flow;
        return here(
          `this "${open}" is never closed with "${close}"`,
          `add "${close}" after its last item (a ${open} … ${close} over several lines indents every line)`,
          true,
          offset,
        );
      }
      if (/mapping items must start at the same column/.test(error.message))
        return here('bad indentation: this key is not in line with the keys above it', INDENT_HINT);
      if (/sequence items must start at the same column/.test(error.message))
        return here('bad indentation: this "- " item is not in line with the items above it', INDENT_HINT);
      break;
    case 'MULTILINE_IMPLICIT_KEY':
      // The value of the line above runs on into this one: this line is indented deeper than it should be.
      return here(
        'bad indentation: this line is indented deeper than the key above it',
        INDENT_HINT,
        false,
        lineStart(text, to),
      );
    case 'BLOCK_AS_IMPLICIT_KEY':
      if (/block sequence/.test(error.message))
        return here('bad indentation: this "- " item is not in line with the items above it', INDENT_HINT);
      return here(
        'this value contains ": ", which starts a nested mapping here',
        `quote the value; ${QUOTE_HINT}`,
      );
    case 'TAB_AS_INDENT':
      return here('a tab is used for indentation: YAML indents with spaces only', INDENT_HINT);
    case 'DUPLICATE_KEY': {
      const key = /^\s*("[^"]*"|'[^']*'|[^:#\n]+?)\s*:/.exec(text.slice(at))?.[1];
      return here(
        `duplicate key${key ? ` ${JSON.stringify(key.replace(/^["']|["']$/g, ''))}` : ''}: each key appears once in a mapping`,
        'remove one of them, or merge their values',
      );
    }
    case 'BLOCK_IN_FLOW':
      return here(
        'inside { … } or [ … ] this value needs quotes (it contains ": " or starts with "- ")',
        QUOTE_HINT,
      );
    case 'BAD_DQ_ESCAPE':
      return here(
        `${/(\\\S*)$/.exec(error.message)?.[1] ?? 'this'} is not an escape sequence of double-quoted strings`,
        'write \\\\ for a backslash, or use single quotes, in which \\ is an ordinary character',
      );
    case 'BAD_SCALAR_START':
      return here(
        `a value cannot start with "${error.message.slice(-1)}" unquoted`,
        `quote the value; ${QUOTE_HINT}`,
      );
    case 'UNEXPECTED_TOKEN':
      return here(
        quoted === undefined ? 'unexpected text after the end of a value' : `unexpected "${quoted}"`,
        'remove it, or quote the whole value; check the quotes and brackets before it',
        true,
      );
    case 'MULTIPLE_DOCS':
      return here('the file holds several YAML documents ("---"): a plan is one document', 'keep one');
    default:
      break;
  }
  return here(error.message, 'check the indentation and quoting on that line');
}

/**
 * Explains the syntax errors of a YAML text, in document order, one per line, up to the first that
 * derails the parser.
 * @example
 * const lines = new LineCounter();
 * const doc = parseDocument(text, { lineCounter: lines }); // text: "name: 'demo\nhosts: { local: 1 }\n"
 * explainYamlErrors(text, doc.errors, lines);
 * // [{ offset: 6, message: "this single-quoted string has no closing '", hint: … }]
 */
export function explainYamlErrors(
  text: string,
  errors: readonly YAMLError[],
  lines: LineCounter,
): YamlSyntaxIssue[] {
  const found = unclosed(text);
  // An over-indented line is reported twice, from the line above: once as a nested mapping in a compact
  // one, once as a key over two lines. The second says which line is wrong.
  const multiline = new Set(errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
  const explained = errors
    .filter((e) => !(e.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline.has(e.pos[0])))
    .map((error) => explain(text, error, found))
    .sort((a, b) => a.offset - b.offset || Number(b.derails) - Number(a.derails));
  const issues: YamlSyntaxIssue[] = [];
  const reportedLines = new Set<number>();
  for (const { derails, ...issue } of explained) {
    const { line } = lines.linePos(issue.offset);
    if (reportedLines.has(line)) continue;
    reportedLines.add(line);
    issues.push(issue);
    if (derails) break;
  }
  return issues;
}
