/**
 * The comparison baseline for `npm run bench`: how a straightforward script harvests failed
 * deliveries — pages of 20, one request at a time, a fixed pause between pages, waiting out
 * Retry-After on a 429. It talks HTTP directly (no SDK) and writes the items as JSON.
 *
 *   node dist/scripts/naive-harvester.js <baseUrl> <clientId> <clientSecret> <integrationId> <outFile>
 */
import { writeFileSync } from 'node:fs';

const PAGE_SIZE = 20;
const PAUSE_MS = 200;

async function main(): Promise<void> {
  const [base, clientId, secret, integrationId, out] = process.argv.slice(2) as [string, string, string, string, string];
  const tokenRes = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const items: unknown[] = [];
  let requests = 0;
  let rateLimited = 0;
  for (let page = 1; ; ) {
    requests += 1;
    const res = await fetch(`${base}/api/v2/integrations/${integrationId}/history`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ status: 'failed', size: PAGE_SIZE, page }),
    });
    if (res.status === 429) {
      rateLimited += 1;
      await res.arrayBuffer();
      await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
      continue;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as { entities: unknown[]; total: number };
    items.push(...body.entities);
    if (body.entities.length === 0 || page * PAGE_SIZE >= body.total) break;
    page += 1;
    await sleep(PAUSE_MS);
  }
  writeFileSync(out, JSON.stringify(items));
  process.stdout.write(`${JSON.stringify({ items: items.length, requests, rateLimited })}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  process.stderr.write(`naive harvester failed: ${String(error)}\n`);
  process.exitCode = 1;
});
