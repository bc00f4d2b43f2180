//! Logging in through the city's own OpenID Connect provider (`[admin.oidc]` in peil.toml):
//! the authorization code flow with PKCE, state and nonce, the ID token checked by the
//! `openidconnect` crate (signature, issuer, audience, expiry, nonce), the user's role and
//! access groups mapped from the provider's claims, then [`login::start_session`] as for a
//! password.
//!
//! - The provider is discovered at the first login and again after an hour; the server starts
//!   and serves while it is down (the login page then says so). Its answers are bounded in
//!   size ([`MAX_RESPONSE`]) and time ([`TIMEOUT`]), fetched on the blocking pool without
//!   following redirects.
//! - A flow's nonce and PKCE verifier are kept in the store by the SHA-256 of its state
//!   (`peil_store::OidcFlow`), so the provider may send the browser back to any replica, for
//!   [`FLOW_LIFETIME`] and at most [`MAX_FLOWS`] at a time; the state is also set as the
//!   `peil_oidc` cookie, so a callback is accepted only in the browser that started it (no
//!   login CSRF) and only once (a replayed callback finds no flow).
//! - A user of the provider is an account with `source = "oidc"` and no password, made or
//!   updated (role, groups, name) at every login; a local (password) account of the same name
//!   is never taken over, and a disabled account stays out.

use super::login::{self, landing};
use super::session::{self, OIDC_COOKIE};
use super::{Admin, no_store};
use crate::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use peil_core::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest answer of the provider that is read.
pub const MAX_RESPONSE: u64 = 1 << 20;
/// Longest wait for one answer of the provider.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a started login may take at the provider.
pub const FLOW_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Logins under way at once; more are refused until some finish or expire.
pub const MAX_FLOWS: usize = 10_000;
/// Discovered metadata is used this long, then read again.
const METADATA_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// After a failed discovery, logins answer with that failure this long before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Values of one claim looked at, and their longest length.
const MAX_VALUES: usize = 500;
const MAX_VALUE: usize = 256;
/// Query parameters of a callback: longer ones are refused.
const MAX_PARAM: usize = 4096;

/// A claim value of the provider and what it gives (`[[admin.oidc.map]]`).
#[derive(Debug, Clone)]
pub struct ClaimMap {
    pub claim_value: String,
    pub role: Option<Role>,
    pub groups: Vec<String>,
}

/// `[admin.oidc]` as the server uses it.
#[derive(Clone)]
pub struct OidcOptions {
    /// The provider's name on the login button.
    pub name: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    scopes: Vec<String>,
    /// The claim that names the user (`None`: `preferred_username`, else `email`).
    login_claim: Option<String>,
    groups_claim: Option<String>,
    role_claim: Option<String>,
    default_role: Option<Role>,
    map: Vec<ClaimMap>,
}

impl std::fmt::Debug for OidcOptions {
    // The client secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcOptions")
            .field("name", &self.name)
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl OidcOptions {
    /// Checks the settings: the issuer must be a URL.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: String,
        issuer: &str,
        client_id: &str,
        client_secret: Option<String>,
        scopes: Vec<String>,
        login_claim: Option<String>,
        groups_claim: Option<String>,
        role_claim: Option<String>,
        default_role: Option<Role>,
        map: Vec<ClaimMap>,
    ) -> Result<OidcOptions, String> {
        let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_string())
            .map_err(|e| format!("issuer '{issuer}' is not a URL: {e}"))?;
        if client_id.is_empty() {
            return Err("client_id is empty".into());
        }
        Ok(OidcOptions {
            name,
            issuer,
            client_id: ClientId::new(client_id.to_string()),
            client_secret: client_secret.map(ClientSecret::new),
            scopes,
            login_claim,
            groups_claim,
            role_claim,
            default_role,
            map,
        })
    }
}

/// Claims besides the standard ones, kept whole: the configured groups, role and login
/// claims are looked up by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra {
    #[serde(flatten)]
    claims: serde_json::Map<String, Value>,
}
impl AdditionalClaims for Extra {}

/// Discovery's `end_session_endpoint` (RP-initiated logout), which the core metadata lacks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Logout {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_session_endpoint: Option<EndSessionUrl>,
}
impl AdditionalProviderMetadata for Logout {}

type Metadata = ProviderMetadata<
    Logout,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type IdFields = IdTokenFields<
    Extra,
    openidconnect::EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;
type Client = openidconnect::Client<
    Extra,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What the server keeps of OpenID Connect: the provider's metadata (the logins under way are
/// in the store).
#[derive(Default)]
pub struct Flows {
    metadata: Mutex<Option<Discovery>>,
}

/// When the provider was last asked, and what it answered.
type Discovery = (Instant, Result<Arc<Metadata>, String>);

impl Flows {
    fn cached(&self) -> Option<Result<Arc<Metadata>, String>> {
        let m = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
        match m.as_ref() {
            Some((at, Ok(md))) if at.elapsed() < METADATA_LIFETIME => Some(Ok(md.clone())),
            Some((at, Err(e))) if at.elapsed() < RETRY_AFTER => Some(Err(e.clone())),
            _ => None,
        }
    }

    /// The discovered metadata when a login has read it (for logout: no request is made).
    fn known(&self) -> Option<Arc<Metadata>> {
        let m = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
        match m.as_ref() {
            Some((_, Ok(md))) => Some(md.clone()),
            _ => None,
        }
    }
}

/// The provider's metadata: cached, or discovered now (bounded by [`TIMEOUT`]).
async fn metadata(st: &AppState, o: &OidcOptions) -> Result<Arc<Metadata>, String> {
    if let Some(m) = st.oidc_flows().cached() {
        return m;
    }
    let found = Metadata::discover_async(o.issuer.clone(), &Http)
        .await
        .map(Arc::new)
        .map_err(|e| error_chain(&e));
    let mut m = st
        .oidc_flows()
        .metadata
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    *m = Some((Instant::now(), found.clone()));
    found
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s.chars().take(500).collect()
}

fn client(st: &AppState, o: &OidcOptions, md: &Metadata) -> Result<Client, String> {
    let redirect = RedirectUrl::new(format!("{}/admin/oidc/callback", st.public_url()))
        .map_err(|e| e.to_string())?;
    let c = openidconnect::Client::from_provider_metadata(
        md.clone(),
        o.client_id.clone(),
        o.client_secret.clone(),
    )
    .set_redirect_uri(redirect);
    // The crate's client has the authorization endpoint set; the token endpoint may be absent
    // from the metadata (then no login can finish, and says so).
    Ok(c)
}

/// `GET /admin/oidc/login`: starts a login at the provider.
pub(super) async fn start(State(st): State<AppState>, a: Admin) -> Response {
    let Some(o) = st.admin_options().oidc.clone() else {
        return no_store(a.page.refused(StatusCode::NOT_FOUND, "not_found"));
    };
    let md = match metadata(&st, &o).await {
        Ok(md) => md,
        Err(e) => {
            tracing::warn!(target: crate::log::SERVER, event = "oidc provider unavailable", error = e.as_str());
            a.audit(
                &st,
                "oidc login failed",
                json!({"reason": "provider unavailable", "error": e}),
            )
            .await;
            return login::login_page(
                &st,
                &a,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("admin_oidc_unavailable"),
                "",
            );
        }
    };
    let c = match client(&st, &o, &md) {
        Ok(c) => c,
        Err(e) => return login::server_error(&a, &e),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = c.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        || CsrfToken::new(peil_store::random_hex(32)),
        || Nonce::new(peil_store::random_hex(32)),
    );
    for s in &o.scopes {
        req = req.add_scope(Scope::new(s.clone()));
    }
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    let flow = peil_store::OidcFlow {
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next: a
            .page
            .param("next")
            .unwrap_or("")
            .chars()
            .take(MAX_PARAM)
            .collect(),
    };
    let key = peil_store::hash_key(state.secret());
    let kept = st
        .with_store(move |s| s.start_oidc_flow(&key, &flow, FLOW_LIFETIME, MAX_FLOWS))
        .await;
    let kept = match kept {
        Ok(k) => k,
        Err(e) => return login::server_error(&a, &e.to_string()),
    };
    if !kept {
        return login::login_page(
            &st,
            &a,
            StatusCode::TOO_MANY_REQUESTS,
            Some("admin_too_many"),
            "",
        );
    }
    let mut r = no_store(Redirect::to(url.as_str()).into_response());
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            st.admin_options(),
            OIDC_COOKIE,
            state.secret(),
            "/",
            FLOW_LIFETIME,
        ),
    );
    r
}

/// Why a callback is refused (the audit log's `reason`).
#[derive(Debug)]
struct Refusal {
    reason: &'static str,
    detail: String,
    /// The word the login page shows.
    word: &'static str,
}

fn refuse(reason: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal {
        reason,
        detail: detail.into(),
        word: "admin_oidc_failed",
    }
}

/// `GET /admin/oidc/callback`: the provider sends the browser back with a code (or an
/// error) and the state. Protected by the state (matched against the `peil_oidc` cookie and
/// the flows under way), not by the CSRF token: this request comes from the provider.
pub(super) async fn callback(State(st): State<AppState>, a: Admin) -> Response {
    let Some(o) = st.admin_options().oidc.clone() else {
        return no_store(a.page.refused(StatusCode::NOT_FOUND, "not_found"));
    };
    let ip = a.client.parse().ok();
    let outcome = if !session::address_allowed(&st, ip).await {
        Err(Refusal {
            reason: "too many failures from this address",
            detail: String::new(),
            word: "admin_too_many",
        })
    } else {
        finish(&st, &a, &o).await
    };
    let mut r = match outcome {
        Ok((user, to)) => {
            let ua = a
                .page
                .req
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            login::start_session(&st, &a, user, &ua, &to).await
        }
        Err(f) => {
            session::address_failed(&st, ip).await;
            a.audit(
                &st,
                "oidc login failed",
                json!({"reason": f.reason, "detail": f.detail}),
            )
            .await;
            login::login_page(&st, &a, StatusCode::FORBIDDEN, Some(f.word), "")
        }
    };
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(st.admin_options(), OIDC_COOKIE, "", "/", Duration::ZERO),
    );
    r
}

/// The callback's work: the flow of its state, the code exchanged, the ID token checked,
/// the claims mapped and the account made or updated.
async fn finish(
    st: &AppState,
    a: &Admin,
    o: &OidcOptions,
) -> Result<(peil_store::User, String), Refusal> {
    let param = |name: &str| {
        a.page
            .param(name)
            .filter(|v| v.len() <= MAX_PARAM)
            .map(str::to_string)
    };
    let state = param("state").ok_or_else(|| refuse("no state", ""))?;
    let cookie = session::cookie(&a.page.req.headers, OIDC_COOKIE).unwrap_or("");
    if !session::same_secret(cookie, &state) {
        return Err(refuse("state does not match this browser's", ""));
    }
    let key = peil_store::hash_key(&state);
    let flow = st
        .with_store(move |s| s.take_oidc_flow(&key, FLOW_LIFETIME))
        .await
        .map_err(|e| refuse("store unavailable", e.to_string()))?
        .ok_or_else(|| refuse("unknown, used or expired state", ""))?;
    // RFC 9207: a provider that names itself in the answer must be ours (no mix-up).
    if let Some(iss) = param("iss")
        && iss.trim_end_matches('/') != o.issuer.as_str().trim_end_matches('/')
    {
        return Err(refuse("answer of another issuer", iss));
    }
    if let Some(e) = param("error") {
        let d = param("error_description").unwrap_or_default();
        let d: String = format!("{e}: {d}").chars().take(300).collect();
        return Err(refuse("the provider refused", d));
    }
    let code = param("code").ok_or_else(|| refuse("no code", ""))?;
    let md = metadata(st, o)
        .await
        .map_err(|e| refuse("provider unavailable", e))?;
    let c = client(st, o, &md).map_err(|e| refuse("configuration", e))?;
    let tokens = c
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| refuse("the provider has no token endpoint", e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier))
        .request_async(&Http)
        .await
        .map_err(|e| refuse("code exchange refused", error_chain(&e)))?;
    let id_token = tokens.id_token().ok_or_else(|| refuse("no ID token", ""))?;
    let verified = id_token
        .claims(&c.id_token_verifier(), &Nonce::new(flow.nonce))
        .map_err(|e| refuse("ID token refused", error_chain(&e)))?;
    let mut claims = verified.additional_claims().claims.clone();
    let standard = serde_json::to_value(verified).unwrap_or(Value::Null);
    if let Value::Object(std_claims) = standard {
        for (k, v) in std_claims {
            claims.entry(k).or_insert(v);
        }
    }
    // Providers that keep groups out of the ID token give them at userinfo (for the same
    // subject: the crate checks it).
    if let Ok(req) = c.user_info(
        tokens.access_token().clone(),
        Some(verified.subject().clone()),
    ) {
        match req.request_async::<Extra, _, CoreGenderClaim>(&Http).await {
            Ok(info) => {
                if let Value::Object(m) = serde_json::to_value(&info).unwrap_or(Value::Null) {
                    for (k, v) in m {
                        claims.entry(k).or_insert(v);
                    }
                }
            }
            Err(e) => return Err(refuse("userinfo refused", error_chain(&e))),
        }
    }
    let mapped = map_claims(o, &claims).map_err(|(reason, d)| Refusal {
        reason,
        detail: d,
        word: if reason == "no role for these claims" {
            "admin_oidc_no_role"
        } else {
            "admin_oidc_failed"
        },
    })?;
    let to = landing(&flow.next, mapped.role, &a.page.prefix);
    let from = a.client.clone();
    // Who the user is: the provider's subject, unique and never reassigned within the issuer
    // (OpenID Connect Core §5.7); names are only what the account is called.
    let who = Subject {
        issuer: o.issuer.as_str().trim_end_matches('/').to_string(),
        subject: verified.subject().as_str().to_string(),
    };
    let user = st
        .with_store(move |s| provision(s, &who, &mapped, &from))
        .await
        .map_err(|e| refuse("account", e.to_string()))?
        .map_err(|why| refuse(why, ""))?;
    Ok((user, to))
}

/// Who the provider says the user is: its issuer and the user's subject (`sub`) there.
#[derive(Debug, Clone, PartialEq)]
struct Subject {
    issuer: String,
    subject: String,
}

/// Who the claims say the user is in Peil.
#[derive(Debug, Clone, PartialEq)]
struct Mapped {
    login: String,
    display_name: String,
    role: Role,
    groups: Vec<String>,
}

/// The strings of a claim: a string, or the strings of an array (bounded).
fn values<'a>(claims: &'a serde_json::Map<String, Value>, name: &str) -> Vec<&'a str> {
    match claims.get(name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a
            .iter()
            .take(MAX_VALUES)
            .filter_map(Value::as_str)
            .collect(),
        _ => vec![],
    }
    .into_iter()
    .filter(|v| v.len() <= MAX_VALUE)
    .collect()
}

/// The login name, role and access groups the configuration gives these claims: the highest
/// role and every group of the `map` entries whose value is among the groups or role claim's
/// values; no entry matching gives `default_role` without groups, or a refusal.
fn map_claims(
    o: &OidcOptions,
    claims: &serde_json::Map<String, Value>,
) -> Result<Mapped, (&'static str, String)> {
    let login = match &o.login_claim {
        Some(c) => values(claims, c).first().map(|s| s.to_string()),
        None => ["preferred_username", "email"]
            .iter()
            .find_map(|c| values(claims, c).first().map(|s| s.to_string())),
    }
    .ok_or(("no login name claim", String::new()))?;
    let mut found: Vec<&str> = Vec::new();
    for c in [&o.groups_claim, &o.role_claim].into_iter().flatten() {
        found.extend(values(claims, c));
    }
    let mut role: Option<Role> = None;
    let mut groups: Vec<String> = Vec::new();
    for m in o
        .map
        .iter()
        .filter(|m| found.contains(&m.claim_value.as_str()))
    {
        role = match (role, m.role) {
            (Some(a), Some(b)) => Some(if a.allows(b) { a } else { b }),
            (a, b) => a.or(b),
        };
        groups.extend(m.groups.iter().cloned());
    }
    let matched = o
        .map
        .iter()
        .any(|m| found.contains(&m.claim_value.as_str()));
    let role = match (role, matched) {
        (Some(r), _) => r,
        (None, true) => o.default_role.unwrap_or(Role::Viewer),
        (None, false) => o.default_role.ok_or((
            "no role for these claims",
            format!("user {login}, values {:?}", &found[..found.len().min(20)]),
        ))?,
    };
    groups.sort();
    groups.dedup();
    let display_name: String = values(claims, "name")
        .first()
        .unwrap_or(&login.as_str())
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    Ok(Mapped {
        login,
        display_name,
        role,
        groups,
    })
}

/// Makes or updates the provider's user, found by its subject (`who`): the login name of
/// the claims names a new account, and an account follows a changed name when no other
/// account has it (else it keeps its own). `Err` (inside) for a disabled account, and when a
/// new subject's name is a local (password) account's — never taken over — or another
/// subject's of a provider: the login is refused, nothing is made (an administrator can
/// rename or remove the other account).
fn provision(
    s: &peil_store::Store,
    who: &Subject,
    m: &Mapped,
    from: &str,
) -> peil_store::Result<Result<peil_store::User, &'static str>> {
    let detail = json!({"user": m.login, "issuer": who.issuer, "subject": who.subject,
        "role": m.role, "groups": m.groups});
    let user = match s.user_by_subject(&who.issuer, &who.subject)? {
        Some(u) => u,
        None => match s.user(&m.login)? {
            Some(u) if u.source != "oidc" => return Ok(Err("a local account has this name")),
            Some(u) if u.oidc.is_some() => {
                return Ok(Err("another user of the provider has this name"));
            }
            // An account of the provider made before subjects were kept: bound now.
            Some(u) => {
                s.bind_subject(u.id, &who.issuer, &who.subject)?;
                s.audit(&u.login, from, "oidc user bound", &detail)?;
                u
            }
            None => {
                let id = s.add_user(&peil_store::NewUser {
                    login: &m.login,
                    display_name: &m.display_name,
                    role: m.role,
                    groups: &m.groups,
                    password_hash: None,
                    source: "oidc",
                })?;
                s.bind_subject(id, &who.issuer, &who.subject)?;
                s.audit(&m.login, from, "oidc user created", &detail)?;
                return Ok(s.user(&m.login)?.ok_or("account"));
            }
        },
    };
    if user.disabled {
        return Ok(Err("account disabled"));
    }
    let mut login = user.login.clone();
    if login != m.login && s.user(&m.login)?.is_none_or(|o| o.id == user.id) {
        s.rename_user(user.id, &m.login)?;
        s.audit(
            &m.login,
            from,
            "oidc user renamed",
            &json!({"before": login, "after": m.login, "subject": who.subject}),
        )?;
        login = m.login.clone();
    }
    if user.role != m.role || user.groups != m.groups || user.display_name != m.display_name {
        s.update_user(&login, m.role, &m.groups, &m.display_name)?;
        s.audit(&login, from, "oidc user updated", &detail)?;
    }
    Ok(s.user(&login)?.ok_or("account"))
}

/// Where logging out of Peil sends a user of the provider: its `end_session_endpoint`
/// (RP-initiated logout) when it has one, back to the site's home page after.
pub(super) fn logout_url(st: &AppState, user: &peil_store::User) -> Option<String> {
    let o = st.admin_options().oidc.as_ref()?;
    if user.source != "oidc" {
        return None;
    }
    let md = st.oidc_flows().known()?;
    let end = md.additional_metadata().end_session_endpoint.clone()?;
    let back = PostLogoutRedirectUrl::new(format!("{}/", st.public_url())).ok()?;
    Some(
        LogoutRequest::from(end)
            .set_client_id(o.client_id.clone())
            .set_post_logout_redirect_uri(back)
            .http_get_url()
            .to_string(),
    )
}

/// The HTTP client of the `openidconnect` crate: ureq (rustls) on the blocking pool, no
/// redirects followed, each answer bounded by [`MAX_RESPONSE`] and [`TIMEOUT`].
struct Http;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let fetched = tokio::time::timeout(
                TIMEOUT + Duration::from_secs(1),
                tokio::task::spawn_blocking(move || fetch(request)),
            )
            .await
            .map_err(|_| HttpError(format!("no answer within {} s", TIMEOUT.as_secs())))?;
            fetched.map_err(|e| HttpError(e.to_string()))?
        })
    }
}

fn fetch(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, HttpError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.run(request).map_err(|e| HttpError(e.to_string()))?;
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_vec()
        .map_err(|e| HttpError(e.to_string()))?;
    let mut out = openidconnect::http::Response::builder().status(resp.status().as_u16());
    for (k, v) in resp.headers() {
        out = out.header(k.as_str(), v.as_bytes());
    }
    out.body(body).map_err(|e| HttpError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(default_role: Option<Role>) -> OidcOptions {
        let m = |v: &str, role: Option<Role>, groups: &[&str]| ClaimMap {
            claim_value: v.into(),
            role,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        OidcOptions::new(
            "Stad".into(),
            "https://login.example/realm/",
            "peil",
            Some("secret".into()),
            vec![],
            None,
            Some("groups".into()),
            Some("roles".into()),
            default_role,
            vec![
                m("peil-experts", Some(Role::Expert), &["welzijn"]),
                m("peil-admins", Some(Role::Beheerder), &[]),
                m("team-wonen", None, &["wonen", "welzijn"]),
            ],
        )
        .unwrap()
    }

    fn claims(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn claims_map_to_the_highest_role_and_every_group() {
        let o = options(None);
        let m = map_claims(
            &o,
            &claims(json!({"preferred_username": "an@gent.be", "name": "An",
                "groups": ["team-wonen", "peil-experts", "other"], "roles": "peil-admins"})),
        )
        .unwrap();
        assert_eq!(m.login, "an@gent.be");
        assert_eq!(m.display_name, "An");
        assert_eq!(m.role, Role::Beheerder);
        assert_eq!(m.groups, vec!["welzijn", "wonen"]);
        // A group without a role gives the default role (viewer when none is set).
        let m = map_claims(
            &o,
            &claims(json!({"email": "jo@gent.be", "groups": "team-wonen"})),
        )
        .unwrap();
        assert_eq!((m.login.as_str(), m.role), ("jo@gent.be", Role::Viewer));
    }

    #[test]
    fn nothing_mapped_is_refused_unless_a_default_role_is_set() {
        let c = claims(json!({"preferred_username": "x", "groups": ["other"]}));
        assert_eq!(
            map_claims(&options(None), &c).unwrap_err().0,
            "no role for these claims"
        );
        let m = map_claims(&options(Some(Role::Viewer)), &c).unwrap();
        assert_eq!((m.role, m.groups.len()), (Role::Viewer, 0));
        // No name is refused too (a name Peil cannot use is refused by the store's
        // `add_user`, as for every account).
        assert!(map_claims(&options(Some(Role::Viewer)), &claims(json!({"sub": "1"}))).is_err());
    }

    /// A store of its own in the temporary directory, removed when dropped.
    struct TempStore(std::path::PathBuf, peil_store::Store);

    impl TempStore {
        fn new(name: &str) -> TempStore {
            let dir = std::env::temp_dir().join(format!(
                "peil-oidc-{name}-{}-{}",
                std::process::id(),
                peil_store::random_hex(4)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let store = peil_store::Store::create(&dir.join("peil.sqlite")).unwrap();
            TempStore(dir, store)
        }
    }

    impl Drop for TempStore {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mapped(login: &str, name: &str) -> Mapped {
        Mapped {
            login: login.into(),
            display_name: name.into(),
            role: Role::Expert,
            groups: vec![],
        }
    }

    fn subject(sub: &str) -> Subject {
        Subject {
            issuer: "https://login.example/realm".into(),
            subject: sub.into(),
        }
    }

    #[test]
    fn a_returning_user_is_found_by_subject_whatever_the_provider_calls_them() {
        let t = TempStore::new("subject");
        let s = &t.1;
        let first = provision(s, &subject("s-1"), &mapped("jan", "Jan"), "test")
            .unwrap()
            .unwrap();
        assert_eq!(first.source, "oidc");
        assert_eq!(
            first.oidc,
            Some(("https://login.example/realm".into(), "s-1".into()))
        );
        // The provider renames the user: the same account, under the new name.
        let again = provision(s, &subject("s-1"), &mapped("jan.peeters", "Jan P."), "test")
            .unwrap()
            .unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(
            (again.login.as_str(), again.display_name.as_str()),
            ("jan.peeters", "Jan P.")
        );
        assert_eq!(s.users().unwrap().len(), 1);
        // Another subject that now calls itself "jan" gets an account of its own.
        let other = provision(s, &subject("s-2"), &mapped("jan", "Jan Janssens"), "test")
            .unwrap()
            .unwrap();
        assert_ne!(other.id, first.id);
        // ...but never the first one's, whose name it takes: refused.
        assert_eq!(
            provision(s, &subject("s-3"), &mapped("jan.peeters", "X"), "test")
                .unwrap()
                .err(),
            Some("another user of the provider has this name")
        );
        // The same subject at another issuer is another person.
        let elsewhere = peil_store::Store::user_by_subject(s, "https://other.example", "s-1");
        assert!(elsewhere.unwrap().is_none());
        // A name taken by another account stays with it: the account keeps its own name.
        let kept = provision(s, &subject("s-1"), &mapped("jan", "Jan P."), "test")
            .unwrap()
            .unwrap();
        assert_eq!((kept.id, kept.login.as_str()), (first.id, "jan.peeters"));
    }

    #[test]
    fn a_local_account_is_never_taken_over_by_a_provider_login() {
        let t = TempStore::new("local");
        let s = &t.1;
        s.add_user(&peil_store::NewUser {
            login: "admin",
            display_name: "Beheerder",
            role: Role::Beheerder,
            groups: &[],
            password_hash: Some("x".into()),
            source: "password",
        })
        .unwrap();
        assert_eq!(
            provision(s, &subject("s-9"), &mapped("admin", "Mallory"), "test")
                .unwrap()
                .err(),
            Some("a local account has this name")
        );
        let local = s.user("admin").unwrap().unwrap();
        assert_eq!(
            (local.source.as_str(), local.oidc.clone(), local.role),
            ("password", None, Role::Beheerder)
        );
        // A provider user renamed to a local account's name keeps its own.
        let u = provision(s, &subject("s-1"), &mapped("an", "An"), "test")
            .unwrap()
            .unwrap();
        let after = provision(s, &subject("s-1"), &mapped("admin", "An"), "test")
            .unwrap()
            .unwrap();
        assert_eq!((after.id, after.login.as_str()), (u.id, "an"));
        assert_eq!(s.user("admin").unwrap().unwrap().source, "password");
        // An account of the provider made before subjects were kept is bound at its next login.
        s.add_user(&peil_store::NewUser {
            login: "oud",
            display_name: "Oud",
            role: Role::Viewer,
            groups: &[],
            password_hash: None,
            source: "oidc",
        })
        .unwrap();
        let bound = provision(s, &subject("s-5"), &mapped("oud", "Oud"), "test")
            .unwrap()
            .unwrap();
        assert_eq!(bound.oidc.map(|(_, sub)| sub), Some("s-5".into()));
        // A disabled account stays out.
        s.set_user_disabled("oud", true).unwrap();
        assert_eq!(
            provision(s, &subject("s-5"), &mapped("oud", "Oud"), "test")
                .unwrap()
                .err(),
            Some("account disabled")
        );
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let o = options(None);
        assert!(!format!("{o:?}").contains("secret"));
    }
}
