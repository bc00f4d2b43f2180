// A real OpenID Connect provider (the `oidc-provider` package) for the back office's single
// sign-on tests (crates/peil/tests/it/oidc.rs): one confidential client `peil`, PKCE
// required, RP-initiated logout, and test accounts with a `groups` claim. Its development
// login form (devInteractions) takes any account name from the list below with any password.
//
//   node oidc-provider.mjs PORT REDIRECT_URI POST_LOGOUT_REDIRECT_URI
//
// Prints `listening on <issuer>` once it accepts connections. For tests only.
import Provider from 'oidc-provider';

const [port, redirectUri, postLogoutUri] = process.argv.slice(2);
if (!port || !redirectUri || !postLogoutUri) {
  console.error('usage: node oidc-provider.mjs PORT REDIRECT_URI POST_LOGOUT_REDIRECT_URI');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// Accounts and their groups at the provider.
const accounts = {
  'an.expert': { name: 'An Expert', groups: ['peil-experts', 'sociale-dienst'] },
  'vera.viewer': { name: 'Vera Viewer', groups: ['peil-viewers'] },
  'nomad': { name: 'No Mapping', groups: ['elsewhere'] },
  'admin': { name: 'Same name as a local account', groups: ['peil-experts'] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'peil',
    client_secret: 'peil-test-secret-0123456789abcdef',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const a = accounts[id];
    if (!a) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: a.name, email: `${id}@example.org`, groups: a.groups };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['peil-oidc-test-only-cookie-key'] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(Number(port), '127.0.0.1').on('listening', () => {
  console.log(`listening on ${issuer}`);
});
