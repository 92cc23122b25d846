//! The embedded default's key file: token signing keys and the credential master key, generated
//! into the data directory on first start, readable by its owner only.
//!
//! A deployment that sets keys in configuration never touches this file: several processes must
//! share keys, so they come from shared configuration there (DESIGN.md, "Keys").

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::auth::TokenKey;

pub const KEY_FILE: &str = "keys.json";

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or write the key file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the key file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("the key file {path} is readable by others (mode {mode:o}); run chmod 600 on it")]
    TooOpen { path: PathBuf, mode: u32 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFile {
    token_keys: Vec<StoredKey>,
    active_token_kid: String,
    /// Added with encrypted credentials: absent in key files written before them.
    #[serde(default)]
    master_keys: Vec<StoredKey>,
    #[serde(default)]
    active_master_kid: Option<String>,
}

/// Keys of one kind, and the one that signs or encrypts new material.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub keys: Vec<TokenKey>,
    pub active: String,
}

/// Everything the embedded default keeps in its key file.
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    /// Token signing keys.
    pub tokens: KeySet,
    /// Credential master keys (AES-256: 32 bytes each).
    pub master: KeySet,
}

fn generated(prefix: &str) -> StoredKey {
    StoredKey {
        kid: format!("{prefix}{}", chrono::Utc::now().format("%Y%m%d%H%M%S")),
        secret: STANDARD.encode(random_secret()),
    }
}

fn write_new(path: &Path, file: &KeyFile) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io { path: path.to_owned(), source };
    let json = serde_json::to_vec_pretty(file)
        .map_err(|e| KeyFileError::Invalid { path: path.to_owned(), message: e.to_string() })?;
    // Write beside it, then rename: a crash never leaves a half-written key file.
    let tmp = path.with_extension("json.tmp");
    let _ = fs::remove_file(&tmp);
    let mut out = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(io)?;
    out.write_all(&json).map_err(io)?;
    out.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

fn decode_set(path: &Path, stored: &[StoredKey], active: &str, what: &str) -> Result<KeySet, KeyFileError> {
    let invalid = |message: String| KeyFileError::Invalid { path: path.to_owned(), message };
    let keys = stored
        .iter()
        .map(|k| {
            STANDARD
                .decode(&k.secret)
                .map(|secret| TokenKey { kid: k.kid.clone(), secret })
                .map_err(|e| invalid(format!("{what} key {}: {e}", k.kid)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !keys.iter().any(|k| k.kid == active) {
        return Err(invalid(format!("active {what} key {active} is not among the keys")));
    }
    Ok(KeySet { keys, active: active.to_owned() })
}

/// Keys from the data directory's key file, generating it (mode 0600) when absent, and adding a
/// credential master key to a file written before credentials were encrypted.
pub fn load_or_generate(data_dir: &Path) -> Result<KeyMaterial, KeyFileError> {
    let path = data_dir.join(KEY_FILE);
    let io = |source| KeyFileError::Io { path: path.clone(), source };
    fs::create_dir_all(data_dir).map_err(io)?;
    if !path.exists() {
        let (token, master) = (generated("t"), generated("m"));
        let file = KeyFile {
            active_token_kid: token.kid.clone(),
            token_keys: vec![token],
            active_master_kid: Some(master.kid.clone()),
            master_keys: vec![master],
        };
        write_new(&path, &file)?;
        tracing::info!(path = %path.display(), "generated token and credential keys for the embedded default");
    }
    let mode = fs::metadata(&path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen { path, mode });
    }
    let bytes = fs::read(&path).map_err(io)?;
    let mut file: KeyFile = serde_json::from_slice(&bytes)
        .map_err(|e| KeyFileError::Invalid { path: path.clone(), message: e.to_string() })?;
    if file.master_keys.is_empty() {
        let master = generated("m");
        file.active_master_kid = Some(master.kid.clone());
        file.master_keys.push(master);
        write_new(&path, &file)?;
    }
    let tokens = decode_set(&path, &file.token_keys, &file.active_token_kid, "token")?;
    let active_master = file.active_master_kid.clone().unwrap_or_else(|| file.master_keys[0].kid.clone());
    let master = decode_set(&path, &file.master_keys, &active_master, "master")?;
    Ok(KeyMaterial { tokens, master })
}

fn random_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_with_owner_only_mode_and_reloads_the_same_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = load_or_generate(dir.path()).expect("generates");
        let mode = fs::metadata(dir.path().join(KEY_FILE)).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(keys.tokens.keys.len(), 1);
        assert_eq!(keys.tokens.keys[0].secret.len(), 32);
        assert_eq!(keys.master.keys[0].secret.len(), 32);
        assert_ne!(keys.master.keys[0].secret, keys.tokens.keys[0].secret);
        let again = load_or_generate(dir.path()).expect("reloads");
        assert_eq!(again.tokens.keys[0].secret, keys.tokens.keys[0].secret);
        assert_eq!(again.master.keys[0].secret, keys.master.keys[0].secret);
        assert_eq!(keys.tokens.active, again.tokens.active);
        assert_eq!(keys.master.active, again.master.active);
    }

    #[test]
    fn refuses_a_key_file_others_can_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        load_or_generate(dir.path()).expect("generates");
        let path = dir.path().join(KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(load_or_generate(dir.path()), Err(KeyFileError::TooOpen { .. })));
    }
}
