import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One JSON value read from a file, with the line it starts on; `error` when it does not parse. */
export type JsonValue =
  | { line: number; text: string; value: unknown; error?: undefined }
  | { line: number; text: string; value?: undefined; error: string };

/** A file as a stream of text (gunzipped when the name ends in .gz). */
export function openText(path: string): Readable {
  const raw = createReadStream(path);
  if (!path.endsWith('.gz')) return raw.setEncoding('utf8');
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip).setEncoding('utf8');
}

/**
 * Reads the values of a change-event file without holding it in memory. Two layouts:
 * newline-delimited JSON (one value per line; a bad line is one error and the next line reads
 * on), or JSON arrays (`[{...}, {...}]`, pretty-printed or not), detected by a leading `[`.
 * Each array element is one value, with the line it starts on.
 */
export async function* readJsonValues(input: Readable | AsyncIterable<string>): AsyncGenerator<JsonValue> {
  const iterator = (input as AsyncIterable<string>)[Symbol.asyncIterator]();
  const first = await firstContent(iterator);
  if (first === undefined) return;
  const chunks = prepend(first, iterator);
  if (first.trimStart().startsWith('[')) yield* readArrays(chunks);
  else yield* readLines(chunks);
}

async function firstContent(iterator: AsyncIterator<string>): Promise<string | undefined> {
  let buffered = '';
  for (;;) {
    const next = await iterator.next();
    if (next.done) return buffered.trim() === '' ? undefined : buffered;
    buffered += next.value;
    if (buffered.trim() !== '') return buffered;
  }
}

async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* readLines(chunks: AsyncIterable<string>): AsyncGenerator<JsonValue> {
  const lines = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    yield parse(text, line);
  }
}

function parse(text: string, line: number): JsonValue {
  try {
    return { line, text, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, text, error: `invalid JSON: ${(error as Error).message}` };
  }
}

/**
 * Splits top-level arrays into their elements by tracking strings and nesting, so each element
 * is parsed (and reported) on its own. Values outside an array are yielded whole.
 */
async function* readArrays(chunks: AsyncIterable<string>): AsyncGenerator<JsonValue> {
  let line = 1;
  let inArray = false;
  let collecting = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let elementLine = 0;
  const out: JsonValue[] = [];
  const finish = (): void => {
    out.push(parse(element.trim(), elementLine));
    collecting = false;
    element = '';
  };
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (ch === '\n') line++;
      if (collecting) {
        if (inString) {
          element += ch;
          if (escaped) escaped = false;
          else if (ch === '\\') escaped = true;
          else if (ch === '"') inString = false;
          continue;
        }
        if (depth === 0 && (ch === ',' || ch === ']' || /\s/.test(ch))) {
          // The end of a scalar element (null, a number, a string).
          finish();
          if (ch === ']') inArray = false;
          continue;
        }
        element += ch;
        if (ch === '"') inString = true;
        else if (ch === '{' || ch === '[') depth++;
        else if ((ch === '}' || ch === ']') && --depth === 0) finish();
        continue;
      }
      if (/\s/.test(ch)) continue;
      if (inArray && ch === ',') continue;
      if (inArray && ch === ']') {
        inArray = false;
        continue;
      }
      if (!inArray && ch === '[') {
        inArray = true;
        continue;
      }
      collecting = true;
      element = ch;
      elementLine = line;
      depth = ch === '{' || ch === '[' ? 1 : 0;
      inString = ch === '"';
    }
    yield* out.splice(0);
  }
  if (collecting && (depth > 0 || inString)) {
    out.push({ line: elementLine, text: element.trim(), error: 'invalid JSON: the file ends inside this value (unbalanced brackets or quotes)' });
  } else {
    if (collecting) finish();
    if (inArray) out.push({ line, text: '', error: 'invalid JSON: the array is not closed with ]' });
  }
  yield* out;
}
