/**
 * Runs the local Genesys-compatible server with sample data, for demos and manual use:
 *
 *   node dist/test/support/fake-genesys/cli.js --port 8080 --failures 250 --latency 20 --rate 50/10s --webhook MyCriticalWebhook
 *
 * The URL and the (test-only) client id/secret go to stderr; stop it with Ctrl-C.
 */
import { parseFakeGenesysArgs, USAGE } from './cli-options.js';
import { FakeGenesys } from './index.js';

async function main(): Promise<number> {
  let config;
  try {
    config = parseFakeGenesysArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fake-genesys: ${(err as Error).message} (--help for usage)\n`);
    return 2;
  }
  if (!config) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const server = new FakeGenesys(config.options);
  let url: string;
  try {
    ({ url } = await server.start(config.port));
  } catch (err) {
    process.stderr.write(`fake-genesys: cannot listen on 127.0.0.1:${config.port}: ${(err as Error).message}\n`);
    return 1;
  }
  const o = config.options;
  const failures = o.integrations?.[0]?.failures.length ?? 0;
  const rate = o.rateLimit ? `${o.rateLimit.allowed} requests per ${o.rateLimit.windowMs / 1000}s` : 'none';
  // These are test credentials of this local server only, printed so a newcomer can copy them.
  process.stderr.write(
    [
      `fake-genesys: listening on ${url}`,
      `  webhook:       ${config.webhookName} (${config.webhookId}), ${failures} failed deliveries`,
      `  client id:     ${config.clientId}`,
      `  client secret: ${config.clientSecret}`,
      `  latency:       ${o.latencyMs ?? 0} ms · rate limit: ${rate}${o.searchAvailable === false ? ' · search: 404' : ''}${o.historyAvailable === false ? ' · history: 404' : ''}`,
      `  events:        ${o.events?.length ?? 0} operational events of 'Data Action Failed'`,
      `try: GENESYS_GATEWAY=${url} GENESYS_CLIENT_ID=${config.clientId} GENESYS_CLIENT_SECRET=${config.clientSecret} npx dlq fetch --webhook '${config.webhookName}'`,
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  const s = server.stats;
  process.stderr.write(
    `fake-genesys: stopped after ${s.requests.token} logins, ${s.requests.search + s.requests.integrations + s.requests.history + s.requests.other} API requests, ${s.rateLimited} rate-limited\n`,
  );
  return 0;
}

process.exitCode = await main();
