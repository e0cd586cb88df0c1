// Sign-in through an OAuth 2.0 authorization server's hosted page (Cognito's hosted UI in AWS): the
// authorization-code flow with PKCE (RFC 7636, S256) for a public client (no secret in the browser).
// The app learns the server from /config.json (written by infra next to the pages; absent under `make run`,
// where the local issuer's account list is used):
//   {"auth": {"kind": "oauth", "domain": "https://<prefix>.auth.<region>.amazoncognito.com",
//             "client_id": "...", "scopes": ["openid", "profile"], "redirect_uri": "https://<site>/"}}
// Endpoints are Cognito's: {domain}/oauth2/authorize, {domain}/oauth2/token, {domain}/logout.

const FLOW_KEY = "nx.oauth"; // sessionStorage: {state, verifier, hash} between the redirect out and back

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A code verifier: 64 characters of the unreserved set (RFC 7636 §4.1 asks 43-128), from 48 random bytes. */
export function newVerifier(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  return b64url(random(48));
}

/** The S256 code challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))), without padding. */
export async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

/** Where the browser goes to sign in. */
export function authorizeUrl(auth, { state, challenge, redirectUri }) {
  const q = new URLSearchParams({
    response_type: "code", client_id: auth.client_id, redirect_uri: redirectUri, scope: (auth.scopes || ["openid"]).join(" "),
    state, code_challenge: challenge, code_challenge_method: "S256",
  });
  return `${auth.domain}/oauth2/authorize?${q}`;
}

/** The form body that exchanges the code for tokens at {domain}/oauth2/token. */
export function tokenRequest(auth, { code, verifier, redirectUri }) {
  return new URLSearchParams({ grant_type: "authorization_code", client_id: auth.client_id, code, redirect_uri: redirectUri, code_verifier: verifier });
}

/** Where the browser goes to sign out of the hosted UI too (it comes back to `logoutUri`). */
export function logoutUrl(auth, logoutUri) {
  return `${auth.domain}/logout?${new URLSearchParams({ client_id: auth.client_id, logout_uri: logoutUri })}`;
}

/** The auth part of /config.json, or null (local issuer) when there is no such file. */
export async function loadAuthConfig(fetcher = fetch) {
  try {
    const res = await fetcher("/config.json", { headers: { Accept: "application/json" } });
    if (!res.ok) return null;
    const auth = (await res.json())?.auth;
    return auth?.kind === "oauth" && auth.domain && auth.client_id ? auth : null;
  } catch { return null; }
}

const redirectUriOf = (auth) => auth.redirect_uri || `${location.origin}${location.pathname}`;

/** Leave for the hosted sign-in page; the page asked for (the hash) is restored on the way back. */
export async function startSignIn(auth) {
  const verifier = newVerifier();
  const state = newVerifier().slice(0, 32);
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ state, verifier, hash: location.hash }));
  location.assign(authorizeUrl(auth, { state, challenge: await challengeOf(verifier), redirectUri: redirectUriOf(auth) }));
}

/**
 * Back from the hosted page with ?code=&state= (or ?error=): check the state, exchange the code (with the
 * verifier) for tokens, clean the address bar. Returns the access token, null when this is no redirect back;
 * throws an Error with a message for the user when the sign-in failed.
 */
export async function finishSignIn(auth, url = new URL(location.href)) {
  const code = url.searchParams.get("code");
  const error = url.searchParams.get("error");
  if (!code && !error) return null;
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || "null");
  sessionStorage.removeItem(FLOW_KEY);
  history.replaceState(null, "", `${url.pathname}${flow?.hash || ""}`);
  if (error) throw new Error(url.searchParams.get("error_description") || error);
  if (!flow || flow.state !== url.searchParams.get("state")) throw new Error("state mismatch");
  const res = await fetch(`${auth.domain}/oauth2/token`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: tokenRequest(auth, { code, verifier: flow.verifier, redirectUri: redirectUriOf(auth) }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) throw new Error(body.error_description || body.error || `HTTP ${res.status}`);
  return body.access_token;
}

export function signOutUrl(auth) {
  return logoutUrl(auth, redirectUriOf(auth));
}
