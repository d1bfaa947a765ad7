//! Secrets and tokens: the signing secret, session JWTs, CSRF tokens, one-time
//! tokens and password hashes.

use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Keys derived from the one configured (or generated) secret.
#[derive(Clone)]
pub struct Keys {
    jwt_encoding: EncodingKey,
    jwt_decoding: DecodingKey,
    csrf: Vec<u8>,
    /// Public so other signed tokens (unsubscribe links, API tokens) can derive keys.
    pub secret: Vec<u8>,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        let session = derive(secret, b"leerpad session");
        Keys {
            jwt_encoding: EncodingKey::from_secret(&session),
            jwt_decoding: DecodingKey::from_secret(&session),
            csrf: derive(secret, b"leerpad csrf"),
            secret: secret.to_vec(),
        }
    }

    /// The configured secret, or the one in `<data_dir>/secret.key`, created at first
    /// start ([`leerpad_app::secret::load`]).
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Keys> {
        Ok(Keys::new(&leerpad_app::secret::load(configured, data_dir)?))
    }

    pub fn session_token(&self, claims: &SessionClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.jwt_encoding)
            .expect("HS256 encodes")
    }

    /// The claims of a session token with a valid signature that has not expired.
    pub fn verify_session(&self, token: &str) -> Option<SessionClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<SessionClaims>(token, &self.jwt_decoding, &v)
            .ok()
            .map(|d| d.claims)
    }

    pub fn api_token(&self, claims: &ApiClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.jwt_encoding)
            .expect("HS256 encodes")
    }

    /// The claims of an API token with a valid signature and audience that has not
    /// expired. Session tokens have no audience and are refused here, as API tokens
    /// (which have one) are refused as sessions.
    pub fn verify_api(&self, token: &str) -> Option<ApiClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_audience(&[API_AUDIENCE]);
        v.set_required_spec_claims(&["exp", "sub", "aud", "jti"]);
        jsonwebtoken::decode::<ApiClaims>(token, &self.jwt_decoding, &v)
            .ok()
            .map(|d| d.claims)
    }

    /// The CSRF token for forms in a browser with this CSRF cookie.
    pub fn csrf_token(&self, cookie: &str) -> String {
        sign(&self.csrf, cookie.as_bytes())
    }

    pub fn csrf_matches(&self, cookie: &str, token: &str) -> bool {
        let mut mac = HmacSha256::new_from_slice(&self.csrf).expect("any key length");
        mac.update(cookie.as_bytes());
        match URL_SAFE_NO_PAD.decode(token) {
            Ok(bytes) => mac.verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The user's id.
    pub sub: String,
    /// The server-side session record.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

pub const API_AUDIENCE: &str = "leerpad-api";

/// An API token: a coordinator's key to the report API. `jti` names its record in
/// `api_tokens`, which says whether it was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiClaims {
    /// The user's id.
    pub sub: String,
    pub jti: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub use leerpad_app::signed::{derive, sign, user_token, user_token_matches, user_token_user};
pub use leerpad_app::tokens::{random_token, token_hash};

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashes")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Runs password hashing (argon2id, about 19 MiB and tens of milliseconds each)
/// on the blocking pool, at most one per processor at a time: a burst of sign-ins
/// queues instead of taking the server's memory.
#[derive(Clone)]
pub struct Hashing(std::sync::Arc<tokio::sync::Semaphore>);

impl Default for Hashing {
    fn default() -> Self {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        Hashing(std::sync::Arc::new(tokio::sync::Semaphore::new(n)))
    }
}

impl Hashing {
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> crate::error::AppResult<T> {
        let _permit = self
            .0
            .acquire()
            .await
            .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
        Ok(actix_web::web::block(f).await?)
    }
}

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD: usize = 10;
/// The longest, in bytes: longer is no safer and costs hashing time.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Whether a new password may be chosen, and if not, the text key saying why. As
/// NIST SP 800-63B advises: a minimum length, no composition rules, and a check
/// against common passwords and words (zxcvbn's lists of common passwords, names
/// and words, plus the person's own address and name and the site's name).
pub fn new_password_problem(password: &str, own: &[&str]) -> Option<&'static str> {
    if password.chars().count() < MIN_PASSWORD || password.len() > MAX_PASSWORD_BYTES {
        return Some("auth.password-too-short");
    }
    // zxcvbn is slow on long input, and a long password is not a common one.
    let head: String = password.chars().take(64).collect();
    let mut inputs: Vec<&str> = vec!["leerpad", "wachtwoord", "password"];
    inputs.extend(own.iter().copied().filter(|s| !s.is_empty()));
    let score = zxcvbn::zxcvbn(&head, &inputs).score();
    (u8::from(score) < 3).then_some("auth.password-too-common")
}

/// A hash to verify against when the account does not exist, so that a wrong email
/// takes as long as a wrong password.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no account has this password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_and_reject_forgeries() {
        let keys = Keys::new(&[7u8; 32]);
        let claims = SessionClaims {
            sub: "1".into(),
            sid: "s".into(),
            iat: 1,
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let token = keys.session_token(&claims);
        assert_eq!(keys.verify_session(&token), Some(claims.clone()));
        let other = Keys::new(&[8u8; 32]);
        assert_eq!(other.verify_session(&token), None, "another secret's token");
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(keys.verify_session(&tampered), None);
        let expired = keys.session_token(&SessionClaims { exp: 10, ..claims });
        assert_eq!(keys.verify_session(&expired), None);
    }

    #[test]
    fn api_tokens_and_session_tokens_are_not_interchangeable() {
        let keys = Keys::new(&[7u8; 32]);
        let exp = chrono::Utc::now().timestamp() + 60;
        let api = ApiClaims {
            sub: "1".into(),
            jti: "t".into(),
            aud: API_AUDIENCE.into(),
            iat: 1,
            exp,
        };
        let token = keys.api_token(&api);
        assert_eq!(keys.verify_api(&token), Some(api.clone()));
        assert_eq!(
            keys.verify_session(&token),
            None,
            "an API token is no session"
        );
        let session = keys.session_token(&SessionClaims {
            sub: "1".into(),
            sid: "s".into(),
            iat: 1,
            exp,
        });
        assert_eq!(keys.verify_api(&session), None, "a session is no API token");
        let elsewhere = keys.api_token(&ApiClaims {
            aud: "another-app".into(),
            ..api.clone()
        });
        assert_eq!(keys.verify_api(&elsewhere), None);
        assert_eq!(
            keys.verify_api(&keys.api_token(&ApiClaims { exp: 10, ..api })),
            None
        );
        assert_eq!(Keys::new(&[8u8; 32]).verify_api(&token), None);
    }

    #[test]
    fn csrf_tokens_belong_to_their_cookie() {
        let keys = Keys::new(&[1u8; 32]);
        let t = keys.csrf_token("cookie-a");
        assert!(keys.csrf_matches("cookie-a", &t));
        assert!(!keys.csrf_matches("cookie-b", &t));
        assert!(!keys.csrf_matches("cookie-a", "garbage"));
    }

    #[test]
    fn common_or_own_passwords_are_refused() {
        for weak in [
            "kort",
            "password123",
            "1234567890",
            "qwertyuiop",
            "wachtwoord1",
            "leerpad2026!",
            "jan.peeters@gent.be",
            "aaaaaaaaaaaa",
        ] {
            assert!(
                new_password_problem(weak, &["jan.peeters@gent.be", "Jan Peeters"]).is_some(),
                "{weak}"
            );
        }
        for fine in [
            "een lange zin als wachtwoord",
            "een gloednieuw wachtwoord",
            "een lang genoeg wachtwoord",
            "een ander wachtwoord hier",
            "een lange zin voor de coördinator",
            "een nieuwe lange zin als wachtwoord",
            "Fietsen langs de Schelde 7x",
        ] {
            assert_eq!(new_password_problem(fine, &["x@y.be"]), None, "{fine}");
        }
        assert!(new_password_problem(&"é".repeat(600), &[]).is_some());
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
