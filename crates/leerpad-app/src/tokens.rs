//! One-time tokens: the secret in a link sent by email (sign in, verify an
//! address, reset a password, accept an invitation). Only the token's hash is
//! stored; the token itself exists only in the email.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{NaiveDateTime, TimeDelta};
use leerpad_store::accounts::{create_token, TokenPurpose};
use leerpad_store::{DbConnection, StoreResult};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` random bytes as URL-safe text.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// What is stored of a one-time token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new token for `user_id`, valid for `valid` from `now`, stored (as its hash)
/// on `c`.
pub fn issue(
    c: &mut DbConnection,
    user_id: i32,
    purpose: TokenPurpose,
    valid: TimeDelta,
    now: NaiveDateTime,
) -> StoreResult<String> {
    let token = random_token(32);
    create_token(c, &token_hash(&token), user_id, purpose, now, now + valid)?;
    Ok(token)
}
