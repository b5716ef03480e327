//! The registry's Ed25519 signing key: loaded from its file, or generated on first start.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

/// The key pair, in the forms the JWT library wants. Never printed.
pub struct Keys {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// Key id: the first 16 characters of the base64url SHA-256 of the public key.
    pub kid: String,
    /// The public key, base64url, as a JWK's `x`.
    pub public_x: String,
    /// The key itself, for what is signed outside JWTs (the log's checkpoints).
    pub signing: SigningKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Loads the PKCS#8 PEM key at `path`, creating one (mode 0600) when there is none.
    /// Returns the keys and whether the file was created.
    pub fn load_or_generate(path: &Path) -> anyhow::Result<(Keys, bool)> {
        if path.exists() {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the signing key {}", path.display()))?;
            let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                anyhow::anyhow!("{} is not an Ed25519 PKCS#8 PEM key: {e}", path.display())
            })?;
            return Ok((Self::from_signing_key(&key)?, false));
        }
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        crate::files::write_private(path, pem_of(&key)?.as_bytes())
            .with_context(|| format!("cannot write the signing key {}", path.display()))?;
        Ok((Self::from_signing_key(&key)?, true))
    }

    /// Starts replacing the key at `path`: a new key, written beside it (`.pem.new`),
    /// not yet in use. Returns the old key's id, the new keys, and what puts the new
    /// key in place once the database knows it ([`Rotation::commit`]).
    pub fn rotate(path: &Path) -> anyhow::Result<(String, Keys, Rotation)> {
        let (old, _) = Self::load_or_generate(path)?;
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let fresh = path.with_extension("pem.new");
        let _ = std::fs::remove_file(&fresh);
        crate::files::write_private(&fresh, pem_of(&key)?.as_bytes())
            .with_context(|| format!("cannot write {}", fresh.display()))?;
        let mut kept = path.as_os_str().to_owned();
        kept.push(format!(".retired-{}", old.kid));
        let rotation = Rotation {
            path: path.to_owned(),
            fresh,
            kept: kept.into(),
        };
        Ok((old.kid, Self::from_signing_key(&key)?, rotation))
    }

    pub fn from_signing_key(key: &SigningKey) -> anyhow::Result<Keys> {
        let pem = pem_of(key)?;
        let public = key.verifying_key().to_bytes();
        let public_x = URL_SAFE_NO_PAD.encode(public);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(public))[..16].to_owned();
        Ok(Keys {
            encoding: EncodingKey::from_ed_pem(pem.as_bytes())?,
            decoding: DecodingKey::from_ed_components(&public_x)?,
            kid,
            public_x,
            signing: key.clone(),
        })
    }
}

/// A new key written beside the one in use, waiting to replace it.
pub struct Rotation {
    path: PathBuf,
    fresh: PathBuf,
    kept: PathBuf,
}

impl Rotation {
    /// Keeps the old key as `<path>.retired-<kid>` and puts the new one at `path`,
    /// where every instance reading the file picks it up.
    pub fn commit(self) -> anyhow::Result<()> {
        std::fs::copy(&self.path, &self.kept)
            .with_context(|| format!("cannot keep the old key at {}", self.kept.display()))?;
        std::fs::rename(&self.fresh, &self.path)
            .with_context(|| format!("cannot put the new key at {}", self.path.display()))?;
        Ok(())
    }
}

/// The key as PKCS#8 v1 PEM (RFC 8410, the private key alone): the form OpenSSL,
/// Python's `cryptography` and `openssl genpkey -algorithm ed25519` use. Keys in the v2
/// form (with the public key) are still read.
fn pem_of(key: &SigningKey) -> anyhow::Result<impl std::ops::Deref<Target = String>> {
    ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(Default::default())
    .map_err(|e| anyhow::anyhow!("cannot encode the signing key: {e}"))
}

/// The key this instance signs with, re-read from its file when another process (the
/// `key rotate` command) replaces it: every instance sharing the file moves to the new
/// key without a restart. Tokens signed with the key before stay valid until they
/// expire (unless the rotation was for a compromise).
pub struct KeyRing {
    path: PathBuf,
    current: RwLock<Arc<Keys>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("kid", &self.current().kid)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    pub fn new(path: PathBuf, keys: Keys) -> KeyRing {
        KeyRing {
            path,
            current: RwLock::new(Arc::new(keys)),
        }
    }

    /// The key to sign with now.
    pub fn current(&self) -> Arc<Keys> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads the key file again; returns the new key's id when it changed.
    pub fn reload(&self) -> anyhow::Result<Option<String>> {
        let pem = std::fs::read_to_string(&self.path)
            .with_context(|| format!("cannot read the signing key {}", self.path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            anyhow::anyhow!(
                "{} is not an Ed25519 PKCS#8 PEM key: {e}",
                self.path.display()
            )
        })?;
        if key.verifying_key() == self.current().signing.verifying_key() {
            return Ok(None);
        }
        let keys = Arc::new(Keys::from_signing_key(&key)?);
        let kid = keys.kid.clone();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(Some(kid))
    }

    /// Re-reads the key file every `every`, for as long as the instance serves.
    pub async fn watch(self: Arc<Self>, every: std::time::Duration) {
        loop {
            tokio::time::sleep(every).await;
            let ring = self.clone();
            match tokio::task::spawn_blocking(move || ring.reload()).await {
                Ok(Ok(Some(kid))) => {
                    tracing::info!(%kid, "signing key replaced: now signing with it")
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "signing key not re-read"),
                Err(e) => tracing::warn!(error = %e, "signing key not re-read"),
            }
        }
    }
}
