// A real OpenID provider for the end-to-end login test, on 127.0.0.1 only.
//
//   node server.js <port> <client_id> <client_secret> <redirect_uri> <insz_claim> <insz>
//
// One client (authorization code flow, client_secret_post) and one account whose
// claims carry the INSZ under <insz_claim>. The provider's development interactions
// show a login form (any login and password are accepted) and a consent page.
// Prints one JSON line {"issuer": ...} once it listens.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri, inszClaim, insz] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      id_token_signed_response_alg: "RS256",
    },
  ],
  claims: {
    openid: ["sub", inszClaim],
    profile: ["given_name", "family_name"],
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, [inszClaim]: insz, given_name: "Olivia", family_name: "Dupont" };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;

const server = provider.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ issuer }) + "\n");
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
