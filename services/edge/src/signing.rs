//! HMAC-signed, expiring capabilities: download URLs and Guru upload policies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed capability was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the signature does not match")]
    BadSignature,
    #[error("the signed URL or policy has expired")]
    Expired,
    #[error("the policy is malformed")]
    Malformed,
}

/// What a Guru upload policy allows: one upload of `size` bytes into `video_id`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UploadPolicy {
    pub video_id: String,
    pub size: u64,
    pub tenant_id: String,
    pub user_id: String,
    pub filename: String,
    /// Unix seconds after which the policy is void.
    pub expires: u64,
}

/// Signs and verifies capabilities with one secret.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
    ttl_s: u64,
}

impl Signer {
    pub fn new(key: Vec<u8>, ttl_s: u64) -> Self {
        Self { key, ttl_s }
    }

    /// A random key: fine for one process, URLs die with it.
    pub fn random(ttl_s: u64) -> Self {
        let key: Vec<u8> = (0..4)
            .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
            .collect();
        Self::new(key, ttl_s)
    }

    pub fn ttl_s(&self) -> u64 {
        self.ttl_s
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        for part in parts {
            // Length-prefix each part so ("ab","c") and ("a","bc") sign differently.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// `(expires, signature)` for a download of `key`.
    pub fn sign_download(&self, key: &str, now_s: u64) -> (u64, String) {
        let expires = now_s + self.ttl_s;
        let sig = self
            .mac(&[b"download", key.as_bytes(), &expires.to_be_bytes()])
            .finalize()
            .into_bytes();
        (expires, URL_SAFE_NO_PAD.encode(sig))
    }

    pub fn verify_download(
        &self,
        key: &str,
        expires: u64,
        signature: &str,
        now_s: u64,
    ) -> Result<(), SignatureError> {
        let sig = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| SignatureError::BadSignature)?;
        self.mac(&[b"download", key.as_bytes(), &expires.to_be_bytes()])
            .verify_slice(&sig)
            .map_err(|_| SignatureError::BadSignature)?;
        if now_s > expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }

    /// `(policy, signature)` form fields for an upload.
    pub fn sign_policy(&self, policy: &UploadPolicy) -> (String, String) {
        let encoded =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(policy).expect("policy serialises"));
        let sig = self
            .mac(&[b"upload", encoded.as_bytes()])
            .finalize()
            .into_bytes();
        (encoded, URL_SAFE_NO_PAD.encode(sig))
    }

    pub fn verify_policy(
        &self,
        encoded: &str,
        signature: &str,
        now_s: u64,
    ) -> Result<UploadPolicy, SignatureError> {
        let sig = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| SignatureError::BadSignature)?;
        self.mac(&[b"upload", encoded.as_bytes()])
            .verify_slice(&sig)
            .map_err(|_| SignatureError::BadSignature)?;
        let raw = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| SignatureError::Malformed)?;
        let policy: UploadPolicy =
            serde_json::from_slice(&raw).map_err(|_| SignatureError::Malformed)?;
        if now_s > policy.expires {
            return Err(SignatureError::Expired);
        }
        Ok(policy)
    }
}

/// Seconds since the Unix epoch.
pub fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_signature_round_trips_and_rejects_tampering() {
        let signer = Signer::new(b"k".to_vec(), 60);
        let (expires, sig) = signer.sign_download("videos/a/original.mp4", 1000);
        assert_eq!(expires, 1060);
        assert_eq!(
            signer.verify_download("videos/a/original.mp4", expires, &sig, 1059),
            Ok(())
        );
        assert_eq!(
            signer.verify_download("videos/b/original.mp4", expires, &sig, 1059),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            signer.verify_download("videos/a/original.mp4", expires + 1, &sig, 1059),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            signer.verify_download("videos/a/original.mp4", expires, &sig, 1061),
            Err(SignatureError::Expired)
        );
        let other = Signer::new(b"other".to_vec(), 60);
        assert_eq!(
            other.verify_download("videos/a/original.mp4", expires, &sig, 1000),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn policy_round_trips_and_expires() {
        let signer = Signer::new(b"k".to_vec(), 60);
        let policy = UploadPolicy {
            video_id: "v1".into(),
            size: 1234,
            tenant_id: "t".into(),
            user_id: "u".into(),
            filename: "a.mp4".into(),
            expires: 500,
        };
        let (encoded, sig) = signer.sign_policy(&policy);
        assert_eq!(signer.verify_policy(&encoded, &sig, 499), Ok(policy));
        assert_eq!(
            signer.verify_policy(&encoded, &sig, 501),
            Err(SignatureError::Expired)
        );
        let forged = URL_SAFE_NO_PAD.encode(br#"{"video_id":"v1","size":9}"#);
        assert_eq!(
            signer.verify_policy(&forged, &sig, 0),
            Err(SignatureError::BadSignature)
        );
    }
}

/// Byte-mutation fuzzing of what a client hands back: a signed policy or download
/// signature with characters changed, cut or added is refused, never accepted and
/// never a panic (`PROPTEST_CASES` sets the length of the run).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn mutate(text: &str, at: usize, with: char, cut: bool) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        let at = at % (chars.len() + 1);
        if cut {
            chars.truncate(at);
        } else if at < chars.len() && chars[at] != with {
            chars[at] = with;
        } else {
            chars.insert(at, with);
        }
        chars.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn tampered_policies_are_refused(
            video_id in "[a-z0-9-]{1,40}",
            size in any::<u64>(),
            filename in ".{0,40}",
            at in any::<usize>(),
            with in any::<char>(),
            cut in any::<bool>(),
            in_signature in any::<bool>(),
        ) {
            let signer = Signer::new(b"fuzz-key".to_vec(), 60);
            let policy = UploadPolicy {
                video_id,
                size,
                tenant_id: "t".into(),
                user_id: "u".into(),
                filename,
                expires: 1000,
            };
            let (encoded, sig) = signer.sign_policy(&policy);
            let (encoded2, sig2) = if in_signature {
                (encoded.clone(), mutate(&sig, at, with, cut))
            } else {
                (mutate(&encoded, at, with, cut), sig.clone())
            };
            let verdict = signer.verify_policy(&encoded2, &sig2, 0);
            if (encoded2.as_str(), sig2.as_str()) == (encoded.as_str(), sig.as_str()) {
                prop_assert_eq!(verdict, Ok(policy));
            } else {
                prop_assert!(verdict.is_err(), "a tampered policy was accepted");
            }
        }

        #[test]
        fn arbitrary_policy_fields_never_panic(encoded in ".{0,300}", sig in ".{0,100}") {
            let signer = Signer::new(b"fuzz-key".to_vec(), 60);
            prop_assert!(signer.verify_policy(&encoded, &sig, 0).is_err());
            prop_assert!(signer.verify_download(&encoded, 1000, &sig, 0).is_err());
        }
    }
}
