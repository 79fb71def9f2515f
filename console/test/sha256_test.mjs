// The console's fallback SHA-256 (src/sha256.js) against node's crypto:
// the FIPS 180-4 vectors, every length around the padding boundaries, and
// non-ASCII text. Run by tests/integration/test_console_oidc.py.
import { createHash } from 'node:crypto';
import { sha256 } from '../src/sha256.js';

const hex = (u8) => Buffer.from(u8).toString('hex');
const cases = ['', 'abc', 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
  'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'é€😀'.repeat(40)];
for (let n = 50; n < 140; n++) cases.push('x'.repeat(n));
let bad = 0;
for (const c of cases) {
  const want = createHash('sha256').update(c, 'utf8').digest('hex');
  if (hex(sha256(c)) !== want) {
    bad++;
    console.log(`FAILED: length ${c.length}: ${hex(sha256(c))} != ${want}`);
  }
}
if (hex(sha256('abc')) !== 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad') bad++;
console.log(bad ? `FAILED: ${bad} of ${cases.length}` : `ok: ${cases.length} digests match`);
process.exit(bad ? 1 : 0);
