//! Integration credentials at rest (DESIGN.md, "Keys"): AES-256-GCM under a master key from
//! configuration, with the key id stored in each ciphertext (so keys rotate: old ciphertexts still
//! open while new ones use the active key) and the integration id bound as associated data (so a
//! ciphertext copied onto another integration's row does not open).
//!
//! A sealed value is `v1:` + key id + `:` + base64(12-byte random nonce || ciphertext || tag),
//! stored as bytes. Nothing here ever logs or formats a plaintext.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use uuid::Uuid;

use crate::auth::TokenKey;

const VERSION: &str = "v1";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no credential master key is configured")]
    NoKeys,
    #[error("master key {0} must be exactly 32 bytes")]
    BadKeyLength(String),
    #[error("the active master key id {0} is not among the configured keys")]
    UnknownActiveKey(String),
    #[error("sealed credentials name master key {0}, which is not configured")]
    MissingKey(String),
    #[error("sealed credentials are not in a known format")]
    Format,
    #[error("sealed credentials do not open: wrong key, or they belong to another integration")]
    Open,
}

impl VaultError {
    pub const fn code(&self) -> &'static str {
        match self {
            VaultError::NoKeys | VaultError::BadKeyLength(_) | VaultError::UnknownActiveKey(_) => "VAULT_CONFIG",
            VaultError::MissingKey(_) => "VAULT_MISSING_KEY",
            VaultError::Format | VaultError::Open => "VAULT_OPEN_FAILED",
        }
    }
}

/// Seals and opens credentials.
#[derive(Clone)]
pub struct Vault {
    active: String,
    ciphers: HashMap<String, Aes256Gcm>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").field("active", &self.active).field("keys", &self.ciphers.len()).finish()
    }
}

impl Vault {
    pub fn new(keys: &[TokenKey], active_kid: Option<&str>) -> Result<Vault, VaultError> {
        let first = keys.first().ok_or(VaultError::NoKeys)?;
        let active = active_kid.unwrap_or(&first.kid).to_owned();
        let mut ciphers = HashMap::new();
        for key in keys {
            let cipher =
                Aes256Gcm::new_from_slice(&key.secret).map_err(|_| VaultError::BadKeyLength(key.kid.clone()))?;
            ciphers.insert(key.kid.clone(), cipher);
        }
        if !ciphers.contains_key(&active) {
            return Err(VaultError::UnknownActiveKey(active));
        }
        Ok(Vault { active, ciphers })
    }

    /// The key id new seals use.
    pub fn active_kid(&self) -> &str {
        &self.active
    }

    /// Encrypts `plaintext` for one integration under the active key.
    pub fn seal(&self, integration_id: Uuid, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let cipher = self.ciphers.get(&self.active).ok_or_else(|| VaultError::MissingKey(self.active.clone()))?;
        let mut nonce_bytes = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce_bytes);
        let nonce = Nonce::<aes_gcm::aead::consts::U12>::from(nonce_bytes);
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: integration_id.as_bytes() })
            .map_err(|_| VaultError::Format)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&sealed);
        Ok(format!("{VERSION}:{}:{}", self.active, STANDARD.encode(blob)).into_bytes())
    }

    /// The key id a sealed value was encrypted under.
    pub fn kid_of(sealed: &[u8]) -> Result<&str, VaultError> {
        let text = std::str::from_utf8(sealed).map_err(|_| VaultError::Format)?;
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(VERSION), Some(kid), Some(_)) => Ok(kid),
            _ => Err(VaultError::Format),
        }
    }

    /// Decrypts a value sealed for this integration.
    pub fn open(&self, integration_id: Uuid, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let text = std::str::from_utf8(sealed).map_err(|_| VaultError::Format)?;
        let mut parts = text.splitn(3, ':');
        let (Some(VERSION), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(VaultError::Format);
        };
        let cipher = self.ciphers.get(kid).ok_or_else(|| VaultError::MissingKey(kid.to_owned()))?;
        let blob = STANDARD.decode(body).map_err(|_| VaultError::Format)?;
        if blob.len() < NONCE_LEN {
            return Err(VaultError::Format);
        }
        let (nonce_bytes, ciphertext) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::<aes_gcm::aead::consts::U12>::try_from(nonce_bytes).map_err(|_| VaultError::Format)?;
        cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad: integration_id.as_bytes() })
            .map_err(|_| VaultError::Open)
    }

    /// Re-encrypts a sealed value under the active key (key rotation); unchanged if already there.
    pub fn reseal(&self, integration_id: Uuid, sealed: &[u8]) -> Result<Option<Vec<u8>>, VaultError> {
        if Vault::kid_of(sealed)? == self.active {
            return Ok(None);
        }
        let plaintext = self.open(integration_id, sealed)?;
        self.seal(integration_id, &plaintext).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, byte: u8) -> TokenKey {
        TokenKey { kid: kid.into(), secret: vec![byte; 32] }
    }

    #[test]
    fn seals_open_only_for_their_integration_and_key() {
        let vault = Vault::new(&[key("m1", 1)], None).expect("a vault");
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = vault.seal(a, br#"{"password":"hunter2"}"#).expect("seals");
        let text = String::from_utf8(sealed.clone()).expect("text");
        assert!(text.starts_with("v1:m1:"), "{text}");
        assert!(!text.contains("hunter2"));
        assert_eq!(vault.open(a, &sealed).expect("opens"), br#"{"password":"hunter2"}"#);
        assert!(matches!(vault.open(b, &sealed), Err(VaultError::Open)));
        let other = Vault::new(&[key("m1", 2)], None).expect("a vault");
        assert!(matches!(other.open(a, &sealed), Err(VaultError::Open)));
        assert!(matches!(vault.open(a, b"v1:m1:!!!"), Err(VaultError::Format)));
        // Two seals of the same plaintext differ (random nonces).
        assert_ne!(vault.seal(a, b"x").expect("seals"), vault.seal(a, b"x").expect("seals"));
    }

    #[test]
    fn rotation_keeps_old_seals_readable_and_reseals_under_the_new_key() {
        let old = Vault::new(&[key("m1", 1)], None).expect("a vault");
        let id = Uuid::now_v7();
        let sealed = old.seal(id, b"secret").expect("seals");
        let rotated = Vault::new(&[key("m1", 1), key("m2", 2)], Some("m2")).expect("a vault");
        assert_eq!(rotated.open(id, &sealed).expect("opens"), b"secret");
        let resealed = rotated.reseal(id, &sealed).expect("reseals").expect("changed");
        assert_eq!(Vault::kid_of(&resealed).expect("kid"), "m2");
        assert!(rotated.reseal(id, &resealed).expect("reseals").is_none());
        let retired = Vault::new(&[key("m2", 2)], None).expect("a vault");
        assert_eq!(retired.open(id, &resealed).expect("opens"), b"secret");
        assert!(matches!(retired.open(id, &sealed), Err(VaultError::MissingKey(k)) if k == "m1"));
    }

    #[test]
    fn bad_key_configuration_is_refused() {
        assert!(matches!(Vault::new(&[], None), Err(VaultError::NoKeys)));
        let short = TokenKey { kid: "s".into(), secret: vec![0; 16] };
        assert!(matches!(Vault::new(&[short], None), Err(VaultError::BadKeyLength(_))));
        assert!(matches!(Vault::new(&[key("m1", 1)], Some("m9")), Err(VaultError::UnknownActiveKey(_))));
    }
}
