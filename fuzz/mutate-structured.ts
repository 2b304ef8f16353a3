// Structure-aware mutations: they find the items of a CBOR, DER or JSON input (tolerantly: a damaged input still
// yields the items before the damage) and change one the way a hostile encoder would: another type, a huge or
// indefinite length, deep nesting, a deleted or duplicated item.
import type { Draw } from './mutate.ts';
import { concat } from './mutate.ts';

interface Item {
  readonly at: number;
  readonly headBytes: number;
  readonly end: number;
}

const WALK_ITEMS_MAX = 4096;
const WALK_DEPTH_MAX = 64;
const NEST_MAX = 4000;

/** CBOR heads, pre-order; stops quietly at the first thing it cannot read. */
function cborItems(bytes: Uint8Array): Item[] {
  const items: Item[] = [];
  const walk = (pos: number, depth: number): number => {
    if (pos >= bytes.length || depth > WALK_DEPTH_MAX || items.length >= WALK_ITEMS_MAX) throw new RangeError('stop');
    const initial = bytes[pos]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let headBytes = 1;
    let arg = info;
    if (info >= 24 && info <= 27) {
      headBytes += 1 << (info - 24);
      if (pos + headBytes > bytes.length) throw new RangeError('stop');
      arg = 0;
      for (let i = 1; i < headBytes; i++) arg = arg * 256 + bytes[pos + i]!;
    }
    const index = items.length;
    items.push({ at: pos, headBytes, end: pos + headBytes });
    let next = pos + headBytes;
    if (info === 31) {
      for (let i = 0; i < WALK_ITEMS_MAX && bytes[next] !== 0xff; i++) next = walk(next, depth + 1);
      next += 1;
    } else if (major === 2 || major === 3) next += arg;
    else if (major === 4) for (let i = 0; i < Math.min(arg, WALK_ITEMS_MAX); i++) next = walk(next, depth + 1);
    else if (major === 5) for (let i = 0; i < Math.min(arg, WALK_ITEMS_MAX) * 2; i++) next = walk(next, depth + 1);
    else if (major === 6) next = walk(next, depth + 1);
    items[index] = { at: pos, headBytes, end: Math.min(next, bytes.length) };
    return next;
  };
  try {
    walk(0, 0);
  } catch {
    // partial walk: keep what was found
  }
  return items;
}

export function mutateCbor(input: Uint8Array, draw: Draw): Uint8Array {
  const items = cborItems(input);
  const item = items[draw.below(Math.max(1, items.length))];
  if (item === undefined) return concat(Uint8Array.of(0x9f), input, Uint8Array.of(0xff));
  const before = input.subarray(0, item.at);
  const head = input.subarray(item.at, item.at + item.headBytes);
  const after = input.subarray(item.at + item.headBytes);
  const major = head[0]! >> 5;
  switch (draw.below(8)) {
    case 0: // another major type, same argument
      return concat(before, Uint8Array.of(((major + 1 + draw.below(7)) % 8 << 5) | (head[0]! & 0x1f)), head.subarray(1), after);
    case 1: // a huge length: 8-byte argument near 2^64 or 2^31
      return concat(before, Uint8Array.of((major << 5) | 27), draw.below(2) === 0 ? new Uint8Array(8).fill(0xff) : Uint8Array.of(0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff), after);
    case 2: // indefinite length where it may or may not be allowed
      return concat(before, Uint8Array.of((major << 5) | 31), after);
    case 3: { // deep nesting: wrap the item in arrays of one
      const depth = 1 + draw.below(NEST_MAX);
      return concat(before, new Uint8Array(depth).fill(0x81), input.subarray(item.at));
    }
    case 4: // delete the item
      return concat(before, input.subarray(item.end));
    case 5: // duplicate the item (duplicate map keys, extra array members)
      return concat(input.subarray(0, item.end), input.subarray(item.at, item.end), input.subarray(item.end));
    case 6: { // replace it with a simple value of another kind
      const simple = [[0xf6], [0xf5], [0xf7], [0x20], [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1], [0xc0, 0x60], [0x40], [0xa0], [0x80], [0xff]];
      return concat(before, Uint8Array.from(simple[draw.below(simple.length)]!), input.subarray(item.end));
    }
    default: { // an unknown tag around the item
      return concat(before, Uint8Array.of(0xd9, draw.below(256), draw.below(256)), input.subarray(item.at));
    }
  }
}

/** DER TLVs, pre-order (constructed types recursed into). */
function derItems(bytes: Uint8Array): Item[] {
  const items: Item[] = [];
  const walk = (pos: number, limit: number, depth: number): void => {
    while (pos < limit && items.length < WALK_ITEMS_MAX && depth <= WALK_DEPTH_MAX) {
      const tag = bytes[pos]!;
      let p = pos + 1;
      if ((tag & 0x1f) === 0x1f) while (p < limit && (bytes[p]! & 0x80) !== 0) p++;
      if ((tag & 0x1f) === 0x1f) p++;
      if (p >= limit) return;
      const first = bytes[p]!;
      let length = first;
      p++;
      if (first & 0x80) {
        const count = first & 0x7f;
        if (count === 0 || count > 4 || p + count > limit) return;
        length = 0;
        for (let i = 0; i < count; i++) length = length * 256 + bytes[p + i]!;
        p += count;
      }
      const end = Math.min(p + length, limit);
      items.push({ at: pos, headBytes: p - pos, end });
      if (tag & 0x20 || tag === 0x03 || tag === 0x04) walk(tag === 0x03 ? p + 1 : p, end, depth + 1);
      pos = end;
    }
  };
  walk(0, bytes.length, 0);
  return items;
}

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length < 0x100) return Uint8Array.of(0x81, length);
  if (length < 0x10000) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  return Uint8Array.of(0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
}

export function mutateDer(input: Uint8Array, draw: Draw): Uint8Array {
  const items = derItems(input);
  const item = items[draw.below(Math.max(1, items.length))];
  if (item === undefined) return concat(Uint8Array.of(0x30, 0x80), input);
  const before = input.subarray(0, item.at);
  const tag = input[item.at]!;
  const lengthAt = item.at + 1;
  const body = input.subarray(item.at + item.headBytes, item.end);
  const rest = input.subarray(item.end);
  switch (draw.below(8)) {
    case 0: { // another type: INTEGER, BIT/OCTET STRING, NULL, OID, UTF8String, SEQUENCE, SET, context tags
      const tags = [0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x17, 0x18, 0x30, 0x31, 0xa0, 0xa3, 0x80, tag ^ 0x20];
      return concat(before, Uint8Array.of(tags[draw.below(tags.length)]!), input.subarray(lengthAt));
    }
    case 1: // a huge long-form length
      return concat(before, Uint8Array.of(tag, 0x84, 0xff, 0xff, 0xff, draw.below(256)), body, rest);
    case 2: // indefinite length (BER, never DER)
      return concat(before, Uint8Array.of(tag, 0x80), body, Uint8Array.of(0, 0), rest);
    case 3: { // length off by a little
      const delta = [-2, -1, 1, 2][draw.below(4)]!;
      return concat(before, Uint8Array.of(tag), derLength(Math.max(0, body.length + delta)), body, rest);
    }
    case 4: // non-minimal length encoding
      return concat(before, Uint8Array.of(tag, 0x84, body.length >>> 24, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff), body, rest);
    case 5: { // deep nesting: SEQUENCE { SEQUENCE { … item } }
      let inner = input.subarray(item.at, item.end);
      for (let i = 0, depth = 1 + draw.below(200); i < depth; i++) inner = concat(Uint8Array.of(0x30), derLength(inner.length), inner);
      return concat(before, inner, rest);
    }
    case 6:
      return concat(before, rest);
    default:
      return concat(input.subarray(0, item.end), input.subarray(item.at, item.end), rest);
  }
}

const DEEP = '\u0000DEEP\u0000';
const HUGE = '\u0000HUGE\u0000';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function jsonNodes(root: Json): { parent: Json[] | Record<string, Json>; key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const visit = (value: Json, depth: number): void => {
    if (out.length >= WALK_ITEMS_MAX || depth > WALK_DEPTH_MAX || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) value.forEach((v, i) => (out.push({ parent: value, key: i }), visit(v, depth + 1)));
    else for (const [k, v] of Object.entries(value)) out.push({ parent: value, key: k }), visit(v, depth + 1);
  };
  visit(root, 0);
  return out;
}

function replacement(value: Json, draw: Draw): Json {
  const choices: Json[] = [
    null, true, 0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 'x', '', 'A'.repeat(1 + draw.below(70_000)), [], {}, [value], { v: value },
    typeof value === 'string' ? Number(value.length) : typeof value === 'object' ? 'object' : String(value), DEEP, HUGE, '__proto__', 'arn:aws:kms:us-east-1:111122223333:key/*',
  ];
  return choices[draw.below(choices.length)]!;
}

export function mutateJson(input: Uint8Array, draw: Draw): Uint8Array {
  try {
    return mutateJsonTree(input, draw);
  } catch (error) {
    // A deeply nested input (from an earlier round) can overflow the stack of JSON.stringify or String().
    if (error instanceof RangeError) return mutateText(input, draw);
    throw error;
  }
}

function mutateJsonTree(input: Uint8Array, draw: Draw): Uint8Array {
  let root: Json;
  try {
    root = JSON.parse(new TextDecoder().decode(input)) as Json;
  } catch {
    return mutateText(input, draw);
  }
  const nodes = jsonNodes(root);
  const node = nodes[draw.below(Math.max(1, nodes.length))];
  if (node === undefined) root = replacement(root, draw);
  else {
    const { parent, key } = node;
    const current = (parent as Record<string, Json>)[key as string]!;
    switch (draw.below(4)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 1:
        if (Array.isArray(parent)) parent.push(current);
        else parent[`${String(key)}${draw.below(2) === 0 ? '' : 'X'}`.toLowerCase()] = current;
        break;
      default:
        (parent as Record<string, Json>)[key as string] = replacement(current, draw);
    }
  }
  let text = JSON.stringify(root);
  const depth = 1 + draw.below(NEST_MAX);
  text = text.replace(JSON.stringify(DEEP), '['.repeat(depth) + ']'.repeat(depth)).replace(JSON.stringify(HUGE), '1e999');
  if (draw.below(8) === 0) text = text.replace(/"(\w+)":/, '"$1":1,"$1":'); // a duplicate key ahead of the real one
  return new TextEncoder().encode(text);
}

const TEXT_TOKENS = ['&a [*a, *a]', '*a', '!!binary AAAA', '!!js/function x', '<<: *a', '{', '}', '[', ']', '"', "'", '- ', ': ', '\t', '\n', '#', '%YAML 1.1\n', '---\n', '...\n', '~', '0x7fffffffffffffff', '1e999', '-.inf', '.nan', '__proto__: {}', '\u0000', '\uFEFF', '|\n  x', '>-\n  y', '? [a]\n: b'];

export function mutateText(input: Uint8Array, draw: Draw): Uint8Array {
  const text = new TextDecoder().decode(input);
  const lines = text.split('\n');
  const at = draw.below(lines.length);
  switch (draw.below(6)) {
    case 0:
      lines.splice(at, 1);
      break;
    case 1:
      lines.splice(at, 0, lines[draw.below(lines.length)]!);
      break;
    case 2: {
      const j = draw.below(lines.length);
      [lines[at], lines[j]] = [lines[j]!, lines[at]!];
      break;
    }
    case 3: {
      const line = lines[at]!;
      const col = draw.below(line.length + 1);
      lines[at] = line.slice(0, col) + TEXT_TOKENS[draw.below(TEXT_TOKENS.length)]! + line.slice(col);
      break;
    }
    case 4: {
      const depth = 1 + draw.below(NEST_MAX);
      lines[at] = `${lines[at]!}${draw.below(2) === 0 ? '['.repeat(depth) : '{a: '.repeat(depth)}`;
      break;
    }
    default:
      lines[at] = `${' '.repeat(draw.below(12))}${lines[at]!.trimStart()}`;
  }
  return new TextEncoder().encode(lines.join('\n'));
}
