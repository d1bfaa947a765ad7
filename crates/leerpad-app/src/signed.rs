//! Signed links: a token in a link that names a user and proves it, with no
//! sign-in and nothing stored (an unsubscribe link, a calendar feed's address).
//! Each purpose signs with its own key derived from the server's secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A key for one purpose, derived from the server's secret.
pub fn derive(secret: &[u8], purpose: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().to_vec()
}

/// A token that names a user and proves it: `<user id>.<signature>`, the signature
/// an HMAC-SHA256 under `key` of the id and `bound`, a value that, when it changes,
/// voids the token (an email address, a key the user can renew).
pub fn user_token(key: &[u8], user_id: i32, bound: &str) -> String {
    format!(
        "{user_id}.{}",
        sign(key, format!("{user_id}:{bound}").as_bytes())
    )
}

/// The user a [`user_token`] names, unchecked: look the user up, then
/// [`user_token_matches`].
pub fn user_token_user(token: &str) -> Option<i32> {
    let (id, _) = token.split_once('.')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Whether `token` is this user's [`user_token`] for `bound` (in constant time).
pub fn user_token_matches(key: &[u8], token: &str, user_id: i32, bound: &str) -> bool {
    let Some((id, sig)) = token.split_once('.') else {
        return false;
    };
    if id != user_id.to_string() {
        return false;
    }
    match URL_SAFE_NO_PAD.decode(sig) {
        Ok(bytes) => {
            let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
            mac.update(format!("{user_id}:{bound}").as_bytes());
            mac.verify_slice(&bytes).is_ok()
        }
        Err(_) => false,
    }
}

/// An HMAC-SHA256 of `data` under `key`, URL-safe base64.
pub fn sign(key: &[u8], data: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
    mac.update(data);
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

// --- unsubscribe links ---

/// The key unsubscribe links are signed with, derived from the server's secret.
pub fn unsubscribe_key(secret: &[u8]) -> Vec<u8> {
    derive(secret, b"leerpad unsubscribe")
}

/// [`unsubscribe_token`] with the key already derived ([`unsubscribe_key`]).
pub fn unsubscribe_token_with(key: &[u8], user_id: i32, email: &str) -> String {
    user_token(key, user_id, email)
}

/// The token in a user's unsubscribe link: `<user id>.<signature>`, the signature
/// an HMAC-SHA256 of the user's id and email address under a key derived from the
/// server's `secret`. It needs no sign-in and does not expire; it stops working
/// when the account's address changes or the secret does.
pub fn unsubscribe_token(secret: &[u8], user_id: i32, email: &str) -> String {
    unsubscribe_token_with(&unsubscribe_key(secret), user_id, email)
}

/// The user a token names, unchecked: look the user up, then
/// [`unsubscribe_token_matches`].
pub fn unsubscribe_token_user(token: &str) -> Option<i32> {
    user_token_user(token)
}

/// Whether `token` is the unsubscribe token of this user (in constant time).
pub fn unsubscribe_token_matches(secret: &[u8], token: &str, user_id: i32, email: &str) -> bool {
    user_token_matches(&unsubscribe_key(secret), token, user_id, email)
}
