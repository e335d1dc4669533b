const printable = /^[^\x00-\x1f\x7f]*$/u;

/** A key or value as an operator may safely see it: text when it is printable UTF-8, else escaped bytes like redis-cli. */
export function displayKey(bytes: Buffer, max = 200): string {
  const text = bytes.toString('utf8');
  const shown = Buffer.from(text, 'utf8').equals(bytes) && printable.test(text) ? text : escapeBytes(bytes);
  return shown.length > max ? `${shown.slice(0, max)}…(${bytes.length} bytes)` : shown;
}

function escapeBytes(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
