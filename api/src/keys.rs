//! The embedded default's key file: token signing keys (and, with the sync engine, the credential
//! master key) generated into the data directory on first start, readable by its owner only.
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
}

/// Token keys from the data directory's key file, generating it (mode 0600) when absent.
/// Returns the keys and the active key id.
pub fn load_or_generate(data_dir: &Path) -> Result<(Vec<TokenKey>, String), KeyFileError> {
    let path = data_dir.join(KEY_FILE);
    let io = |source| KeyFileError::Io { path: path.clone(), source };
    fs::create_dir_all(data_dir).map_err(io)?;
    if !path.exists() {
        let kid = format!("k{}", chrono::Utc::now().format("%Y%m%d%H%M%S"));
        let file = KeyFile {
            token_keys: vec![StoredKey { kid: kid.clone(), secret: STANDARD.encode(random_secret()) }],
            active_token_kid: kid,
        };
        let json = serde_json::to_vec_pretty(&file)
            .map_err(|e| KeyFileError::Invalid { path: path.clone(), message: e.to_string() })?;
        let mut out = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
        out.write_all(&json).map_err(io)?;
        tracing::info!(path = %path.display(), "generated signing keys for the embedded default");
    }
    let mode = fs::metadata(&path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen { path, mode });
    }
    let bytes = fs::read(&path).map_err(io)?;
    let invalid = |message: String| KeyFileError::Invalid { path: path.clone(), message };
    let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    let keys = file
        .token_keys
        .iter()
        .map(|k| {
            STANDARD
                .decode(&k.secret)
                .map(|secret| TokenKey { kid: k.kid.clone(), secret })
                .map_err(|e| invalid(format!("key {}: {e}", k.kid)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !keys.iter().any(|k| k.kid == file.active_token_kid) {
        return Err(invalid(format!("active key {} is not among the keys", file.active_token_kid)));
    }
    Ok((keys, file.active_token_kid))
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
        let (keys, active) = load_or_generate(dir.path()).expect("generates");
        let mode = fs::metadata(dir.path().join(KEY_FILE)).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].secret.len(), 32);
        let (again, active_again) = load_or_generate(dir.path()).expect("reloads");
        assert_eq!(again[0].secret, keys[0].secret);
        assert_eq!(active, active_again);
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
