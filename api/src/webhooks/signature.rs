//! Webhook signatures: HMAC-SHA256 over `{timestamp}.{body}`, keyed by the endpoint's secret.
//!
//! Each delivery carries
//! - `Pmsgraph-Timestamp`: the Unix time (seconds) it was signed at;
//! - `Pmsgraph-Signature`: `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`, and during a
//!   secret rotation's overlap a second `v1=` signature made with the previous secret, separated
//!   by a comma: a receiver accepts the delivery if any `v1` signature matches its secret.
//!
//! The secret is the whole `whsec_...` string as issued, used as the HMAC key byte for byte.
//! A receiver should also refuse timestamps far from its clock (replays); [`verify`] does both.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header: the Unix time (seconds) the delivery was signed at.
pub const TIMESTAMP_HEADER: &str = "pmsgraph-timestamp";
/// Header: `v1=<hex>`, comma-separated when several secrets sign.
pub const SIGNATURE_HEADER: &str = "pmsgraph-signature";
/// Header: the event's id, the same on every attempt and replay (for deduplication).
pub const EVENT_ID_HEADER: &str = "pmsgraph-event-id";
/// Header: the delivery's id.
pub const DELIVERY_ID_HEADER: &str = "pmsgraph-delivery-id";

/// The prefix of an issued secret.
pub const SECRET_PREFIX: &str = "whsec_";

type HmacSha256 = Hmac<Sha256>;

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header has no v1 signature")]
    NoSignature,
    #[error("no v1 signature matches the secret")]
    Mismatch,
    #[error("the timestamp is {0} s away from now, beyond the tolerance")]
    Stale(i64),
}

impl SignatureError {
    pub const fn code(&self) -> &'static str {
        match self {
            SignatureError::NoSignature => "WEBHOOK_SIGNATURE_MISSING",
            SignatureError::Mismatch => "WEBHOOK_SIGNATURE_MISMATCH",
            SignatureError::Stale(_) => "WEBHOOK_SIGNATURE_STALE",
        }
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The hex HMAC-SHA256 of `{timestamp}.{body}` under `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The `Pmsgraph-Signature` value: one `v1=` signature per secret, the current one first.
pub fn header_value<'a>(secrets: impl IntoIterator<Item = &'a [u8]>, timestamp: i64, body: &[u8]) -> String {
    secrets.into_iter().map(|secret| format!("v1={}", sign(secret, timestamp, body))).collect::<Vec<_>>().join(",")
}

/// Verifies a delivery as a receiver would: some `v1` signature of `header` matches `secret`
/// (compared in constant time), and `timestamp` is within `tolerance_secs` of `now`.
pub fn verify(
    secret: &[u8],
    header: &str,
    timestamp: i64,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let signatures: Vec<Vec<u8>> = header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("v1="))
        .filter_map(|hex_sig| hex::decode(hex_sig).ok())
        .collect();
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    if !signatures.iter().any(|sig| mac(secret, timestamp, body).verify_slice(sig).is_ok()) {
        return Err(SignatureError::Mismatch);
    }
    let skew = (now - timestamp).abs();
    if skew > tolerance_secs {
        return Err(SignatureError::Stale(skew));
    }
    Ok(())
}

/// A new random secret: `whsec_` and 32 random bytes, base64url.
pub fn new_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_any_hmac_tool() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'whsec_test'
        assert_eq!(
            sign(b"whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn a_receiver_accepts_either_secret_during_a_rotation_and_refuses_tampering() {
        let (old, new, body, at) = (b"whsec_old".as_slice(), b"whsec_new".as_slice(), b"{}".as_slice(), 1_000);
        let header = header_value([new, old], at, body);
        assert_eq!(header.matches("v1=").count(), 2);
        assert_eq!(verify(new, &header, at, body, at + 5, 300), Ok(()));
        assert_eq!(verify(old, &header, at, body, at + 5, 300), Ok(()));
        assert_eq!(verify(b"whsec_other", &header, at, body, at, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(new, &header, at, b"{ }", at, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(new, &header, at + 1, body, at, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(new, &header, at, body, at + 301, 300), Err(SignatureError::Stale(301)));
        assert_eq!(verify(new, "t=1", at, body, at, 300), Err(SignatureError::NoSignature));
    }

    #[test]
    fn secrets_are_random_and_prefixed() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(SECRET_PREFIX) && a.len() > 40);
        assert_ne!(a, b);
    }
}
