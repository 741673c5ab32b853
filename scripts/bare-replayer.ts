/**
 * The bench's yardstick for `dlq replay` (issue #13): the least a replayer must do, timed on the
 * same machine at the same moment. `count` POSTs of a fixed 700-byte body through one keep-alive
 * agent with `concurrency` in flight; no file, no retries, no recording. On a shared, noisy
 * machine the ratio of dlq to this says more than either absolute rate.
 *
 *   node dist/scripts/bare-replayer.js <url> <count> <concurrency>   → {"sent": n, "durationMs": ms}
 */
import http from 'node:http';

const [url = '', countText = '10000', concurrencyText = '64'] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const body = Buffer.from(JSON.stringify({ topic: 'v2.bench', padding: 'x'.repeat(660) }));

function post(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      await post();
    }
  }),
);
agent.destroy();
process.stdout.write(`${JSON.stringify({ sent: count, durationMs: Math.round(performance.now() - started) })}\n`);
