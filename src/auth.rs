//! Who is acting: API tokens (random, prefixed, stored as SHA-256 only), user passwords (argon2id).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// An authenticated caller. A principal without a partner is an admin.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    /// Shown in revision history: `token:NAME`, `user:EMAIL`, `cli`.
    pub actor: String,
    pub partner_id: Option<i32>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.partner_id.is_none()
    }

    /// The command line acts as an admin.
    pub fn cli(what: &str) -> Principal {
        Principal {
            actor: format!("cli:{what}"),
            partner_id: None,
        }
    }
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("actor", &self.actor)
            .field("partner_id", &self.partner_id)
            .finish()
    }
}

pub const TOKEN_PREFIX: &str = "tnt_";

/// A fresh API token (shown once) and the hash to store.
pub struct NewToken {
    pub plaintext: String,
    pub hash: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewToken(<redacted>)")
    }
}

fn random_string(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub fn new_token() -> NewToken {
    let plaintext = format!("{TOKEN_PREFIX}{}", random_string(32));
    let hash = hash_token(&plaintext);
    NewToken { plaintext, hash }
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A generated password for a new user: 24 URL-safe characters (144 bits).
pub fn new_password() -> String {
    random_string(18)
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Constant work whether or not the user exists: verify against a dummy hash when there is none.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kq0Yb3dZ6I2GzHRo0vRr2X6fWm3rG4mNf8Wc4k2m3bE";
    let hash = stored.unwrap_or(DUMMY);
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok();
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_and_hashed() {
        let t = new_token();
        assert!(t.plaintext.starts_with(TOKEN_PREFIX));
        assert_eq!(t.hash, hash_token(&t.plaintext));
        assert_ne!(t.plaintext, new_token().plaintext);
        assert!(!format!("{t:?}").contains(&t.plaintext));
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("correct horse", None));
    }
}
