// A real OpenID provider on loopback for the tests: oidc-provider with in-memory storage and its
// development login screen (any password; the login names one of the accounts below).
// Usage: node tests/oidc/provider.mjs  -> prints "port <n>" once it listens on 127.0.0.1.
// Relying parties register themselves (RFC 7591 dynamic registration at /reg), so each test
// registers a client with its own redirect URIs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

// Fictional people. "groups" is what the council's directory would send.
const ACCOUNTS = {
  'sam': { email: 'sam.okafor@brackenford-council.example', email_verified: true, name: 'Sam Okafor', groups: ['efh-panel', 'all-staff'] },
  'priya': { email: 'priya.shah@brackenford-council.example', email_verified: true, name: 'Priya Shah', groups: ['youth-work-leads'] },
  'nora': { email: 'nora.quinn@brackenford-council.example', email_verified: true, name: 'Nora Quinn', groups: ['catering', 'all-staff'] },
  'olu': { email: 'olu.adeyemi@elsewhere.example', email_verified: true, name: 'Olu Adeyemi', groups: ['efh-panel'] },
  'una': { email: 'una.reid@brackenford-council.example', email_verified: false, name: 'Una Reid', groups: ['efh-panel'] },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const server = createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Every client must use PKCE here, so a relying party that forgot it would fail the tests.
  pkce: { required: () => true },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
});

server.on('request', provider.callback());
process.stdout.write(`port ${port}\n`);
