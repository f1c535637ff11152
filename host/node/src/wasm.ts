// Writes the instance memory limit into a core module: every memory the module defines gets
// a maximum of `limitBytes` (or keeps a smaller one). `memory.grow` past it then fails inside
// the component, whose allocator reports the failure and traps, and the host reports the
// memory limit. The Worker's `resourceLimits` cap the JavaScript heap separately.
const PAGE = 65536;

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new Error('truncated LEB128');
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value, next: pos };
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Returns the module with its memories capped at `limitBytes` (unchanged if it defines none). */
export function limitMemory(module: Uint8Array, limitBytes: number): Uint8Array {
  const maxPages = Math.floor(limitBytes / PAGE);
  if (module.length < 8) throw new Error('not a wasm module');
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos] ?? 0;
    const size = readLeb(module, pos + 1);
    const start = size.next;
    const end = start + size.value;
    if (id === 5) {
      const count = readLeb(module, start);
      let p = count.next;
      const body: number[] = [...leb(count.value)];
      for (let i = 0; i < count.value; i++) {
        const flags = module[p++] ?? 0;
        if (flags > 1) return module; // shared or 64-bit memories: not written by this host.
        const min = readLeb(module, p);
        p = min.next;
        let max = maxPages;
        if (flags === 1) {
          const declared = readLeb(module, p);
          p = declared.next;
          max = Math.min(declared.value, maxPages);
        }
        if (min.value > max) {
          throw new Error(`the component needs ${min.value * PAGE} bytes of memory at start, over the ${limitBytes}-byte limit`);
        }
        body.push(1, ...leb(min.value), ...leb(max));
      }
      const section = [5, ...leb(body.length), ...body];
      const out = new Uint8Array(pos + section.length + (module.length - end));
      out.set(module.subarray(0, pos), 0);
      out.set(section, pos);
      out.set(module.subarray(end), pos + section.length);
      return out;
    }
    pos = end;
  }
  return module;
}
