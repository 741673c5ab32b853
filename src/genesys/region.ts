/**
 * `--environment` checked against the region hosts of the SDK in use (`PureCloudRegionHosts`,
 * v262 lists 18). Accepted forms: `mypurecloud.ie`, `api.mypurecloud.ie`, `login.mypurecloud.ie`,
 * `https://api.mypurecloud.ie` (a trailing slash too), in any case. Pure: the caller passes the
 * list (GenesysClient.regionHosts()), so this module never loads the SDK.
 */
import { UsageError } from '../errors.js';

/** The bare region host (`mypurecloud.ie`) of any accepted form, lower-cased; not yet checked. */
export function bareEnvironment(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
    .replace(/^(api|login)\./, '');
}

/**
 * Through a gateway any well-formed host name goes (requests land on the gateway, which decides
 * where they go on); UsageError (exit 2) for anything else.
 */
export function checkEnvironmentSyntax(text: string, flag = '--environment'): string {
  const host = bareEnvironment(text);
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(host)) return host;
  throw new UsageError(`${flag}: '${text.trim()}' is not a host name such as mypurecloud.ie`);
}

/** The region host `text` names; UsageError (exit 2) listing the valid ones otherwise. */
export function checkEnvironment(text: string, regionHosts: readonly string[], flag = '--environment'): string {
  const host = bareEnvironment(text);
  if (regionHosts.includes(host)) return host;
  throw new UsageError(
    `${flag}: '${text.trim()}' is not a Genesys Cloud region; valid: ${[...regionHosts].join(', ')} ` +
      '(or reach the platform through --gateway)',
  );
}
