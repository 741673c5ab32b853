/**
 * Last line of defence against leaking credentials: every line dlq prints on stderr passes
 * through here. The primary defence is never putting secrets into messages at all
 * (see genesys/client.ts, which builds its own error messages instead of printing SDK errors).
 */
const SECRET_ENV_NAMES = ['GENESYS_CLIENT_SECRET', 'DLQ_SIGN_SECRET'];

const registered = new Set<string>();

/** Registers a value (a secret, a token) that must never appear in output. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) registered.add(value);
}

export function redactSecrets(text: string, env: NodeJS.ProcessEnv = {}): string {
  let out = text
    // Authorization headers of any scheme, and bearer tokens wherever they show up.
    .replace(/(authorization["']?\s*[:=]\s*["']?)(basic|bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1$2 [redacted]')
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*/gi, '$1 [redacted]')
    .replace(/(access_token["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
  const secrets = new Set(registered);
  for (const name of SECRET_ENV_NAMES) {
    const v = env[name];
    if (v && v.length >= 4) secrets.add(v);
  }
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
