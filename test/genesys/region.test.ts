import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { GenesysClient } from '../../src/genesys/client.js';
import { bareEnvironment, checkEnvironment, checkEnvironmentSyntax } from '../../src/genesys/region.js';

test("the SDK's region hosts are the list (v262: 18, new regions included)", () => {
  const hosts = GenesysClient.regionHosts();
  assert.equal(hosts.length, 18);
  for (const h of ['mypurecloud.com', 'mypurecloud.ie', 'usw2.pure.cloud', 'mxc1.pure.cloud', 'apse1.pure.cloud', 'edee1.eusc-pure.cloud']) {
    assert.ok(hosts.includes(h), h);
  }
});

test('every accepted form names the bare region host', () => {
  const hosts = GenesysClient.regionHosts();
  for (const form of ['mypurecloud.ie', 'api.mypurecloud.ie', 'login.mypurecloud.ie', 'https://api.mypurecloud.ie', 'https://api.mypurecloud.ie/', ' MyPureCloud.IE ']) {
    assert.equal(checkEnvironment(form, hosts), 'mypurecloud.ie', form);
  }
  assert.equal(bareEnvironment('http://login.usw2.pure.cloud//'), 'usw2.pure.cloud');
});

test('an unknown region is a usage error listing the valid ones, naming the flag or variable', () => {
  const hosts = ['mypurecloud.com', 'mypurecloud.ie'];
  assert.throws(
    () => checkEnvironment('mypurecloud.fr', hosts),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "--environment: 'mypurecloud.fr' is not a Genesys Cloud region; valid: mypurecloud.com, mypurecloud.ie (or reach the platform through --gateway)",
  );
  assert.throws(() => checkEnvironment('api.example.com', hosts, 'GENESYS_ENVIRONMENT'), /^UsageError: GENESYS_ENVIRONMENT: 'api\.example\.com' is not/);
});

test('through a gateway any well-formed host goes; a malformed one does not', () => {
  assert.equal(checkEnvironmentSyntax('https://api.internal.example'), 'internal.example');
  assert.equal(checkEnvironmentSyntax('mypurecloud.fr'), 'mypurecloud.fr');
  for (const bad of ['not an env', 'localhost', 'a..b.com', '']) assert.throws(() => checkEnvironmentSyntax(bad), UsageError, bad);
});
