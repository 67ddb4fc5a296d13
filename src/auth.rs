//! Who is acting: API tokens (random, prefixed, stored as SHA-256 only), user passwords (argon2id).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Who is acting. A public submitter is neither an admin nor an organizer: it may only propose
/// events (they wait for moderation) and is never named beyond `public` (no address, no name).
#[derive(Clone, PartialEq, Eq)]
pub enum Principal {
    /// Everything. `actor` as shown in revision history: `token:NAME`, `user:EMAIL`, `cli:…`.
    Admin { actor: String },
    /// Events its partner hosts or co-hosts.
    Organizer { actor: String, partner_id: i32 },
    /// Someone on `/submit`.
    Public,
}

impl Principal {
    /// An admin without a partner, an organizer with one.
    pub fn new(actor: String, partner_id: Option<i32>) -> Principal {
        match partner_id {
            Some(partner_id) => Principal::Organizer { actor, partner_id },
            None => Principal::Admin { actor },
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin { .. })
    }

    /// The organizer's partner.
    pub fn partner_id(&self) -> Option<i32> {
        match self {
            Principal::Organizer { partner_id, .. } => Some(*partner_id),
            _ => None,
        }
    }

    /// As revision history shows it.
    pub fn actor(&self) -> &str {
        match self {
            Principal::Admin { actor } | Principal::Organizer { actor, .. } => actor,
            Principal::Public => "public",
        }
    }

    /// The command line acts as an admin.
    pub fn cli(what: &str) -> Principal {
        Principal::Admin {
            actor: format!("cli:{what}"),
        }
    }
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("actor", &self.actor())
            .field("partner_id", &self.partner_id())
            .finish()
    }
}

/// Constant-time comparison of secrets (CSRF tokens): the time taken does not depend on where
/// the first difference is.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
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
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn public_is_neither_admin_nor_organizer() {
        assert!(!Principal::Public.is_admin());
        assert_eq!(Principal::Public.partner_id(), None);
        assert_eq!(Principal::Public.actor(), "public");
        assert!(Principal::new("user:a".into(), None).is_admin());
        assert_eq!(
            Principal::new("user:a".into(), Some(3)).partner_id(),
            Some(3)
        );
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("correct horse", None));
    }
}
