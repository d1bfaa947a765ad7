//! Content hashes: later stages compare them to tell what changed between versions.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A BLAKE3 hash of an item's canonical JSON form, as lowercase hex.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentHash(String);

impl ContentHash {
    /// Hashes the canonical JSON serialisation of `value`.
    ///
    /// Serialisation of the course model is deterministic (structs and `Vec`s only,
    /// no hash maps), so equal values always give equal hashes.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Self {
        let json = serde_json::to_vec(value).expect("course model serialises to JSON");
        Self::of_bytes(&json)
    }

    pub fn of_bytes(bytes: &[u8]) -> Self {
        ContentHash(blake3::hash(bytes).to_hex().to_string())
    }

    /// Wraps a BLAKE3 hash computed elsewhere (for example over a streamed file).
    pub fn of_bytes_hash(hash: blake3::Hash) -> Self {
        ContentHash(hash.to_hex().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
