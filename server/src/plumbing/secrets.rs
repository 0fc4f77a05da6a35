//! Credentials kept in the database (the VAPID private key, robots' webhooks and signing
//! secrets) are sealed with AES-256-GCM under a key that lives in a file beside the server, not
//! in the database: a dump alone lets no one post to a station's chat group or push to officers'
//! phones.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

/// Sealed values begin with this, so that values stored before sealing are recognised.
const SEALED: &str = "xj1:";
const NONCE_LEN: usize = 12;

/// Where the key lives when `XUNJIU_SECRET_KEY_FILE` is not set: systemd's state directory if it
/// gave one, else the working directory.
pub fn default_path() -> PathBuf {
    std::env::var_os("STATE_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("xunjiu-secret.key")
}

/// The key that seals and opens stored credentials.
#[derive(Clone)]
pub struct SecretKey(Aes256Gcm);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Aes256Gcm::new(&Key::<Aes256Gcm>::from(bytes)))
    }

    /// The key in `path` (64 hex digits); made there, readable by its owner only, when there is
    /// none. Returns whether it was made.
    pub fn load_or_create(path: &Path) -> anyhow::Result<(Self, bool)> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(hex(&bytes).as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("writing the secret key {}", path.display()))?;
                Ok((Self::from_bytes(bytes), true))
            }
            // Another process made it first (two servers starting together): use theirs.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok((Self::read(path)?, false))
            }
            Err(err) => {
                Err(err).with_context(|| format!("creating the secret key {}", path.display()))
            }
        }
    }

    fn read(path: &Path) -> anyhow::Result<Self> {
        // A file being written by another process may still be empty: wait for it briefly.
        for _ in 0..50 {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the secret key {}", path.display()))?;
            let text = text.trim();
            if text.len() == 64 {
                let mut bytes = [0u8; 32];
                for (i, byte) in bytes.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).with_context(|| {
                        format!("{} is not 64 hexadecimal digits", path.display())
                    })?;
                }
                return Ok(Self::from_bytes(bytes));
            }
            if !text.is_empty() {
                anyhow::bail!("{} is not 64 hexadecimal digits", path.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        anyhow::bail!("{} stayed empty", path.display())
    }

    /// `plain`, sealed for storage.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encrypting into a Vec cannot fail for inputs this size.
        let sealed = self
            .0
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{SEALED}{}", STANDARD.encode(out))
    }

    /// A stored value opened: sealed ones with this key, values stored before sealing as they
    /// are.
    pub fn open(&self, stored: &str) -> anyhow::Result<String> {
        let Some(sealed) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_owned());
        };
        let bytes = STANDARD
            .decode(sealed)
            .context("a sealed value is not base64")?;
        anyhow::ensure!(bytes.len() > NONCE_LEN, "a sealed value is too short");
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into()?;
        let plain = self.0.decrypt(&Nonce::from(nonce), body).map_err(|_| {
            anyhow::anyhow!(
                "a stored credential does not open with this secret key: XUNJIU_SECRET_KEY_FILE must be the key it was sealed with"
            )
        })?;
        Ok(String::from_utf8(plain)?)
    }

    /// Whether a stored value is sealed already.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_only_and_plain_values_pass() {
        let key = SecretKey::from_bytes([7; 32]);
        let sealed = key.seal("https://oapi.dingtalk.com/robot/send?access_token=abc");
        assert!(SecretKey::is_sealed(&sealed));
        assert!(!sealed.contains("access_token"));
        assert_ne!(
            sealed,
            key.seal("https://oapi.dingtalk.com/robot/send?access_token=abc")
        );
        assert_eq!(
            key.open(&sealed).unwrap(),
            "https://oapi.dingtalk.com/robot/send?access_token=abc"
        );
        assert!(SecretKey::from_bytes([8; 32]).open(&sealed).is_err());
        assert_eq!(key.open("legacy").unwrap(), "legacy");
    }

    #[test]
    fn the_key_file_is_made_once_and_read_back() {
        let path = std::env::temp_dir().join(format!("xunjiu-key-{}", uuid::Uuid::new_v4()));
        let (made, created) = SecretKey::load_or_create(&path).unwrap();
        let (read, again) = SecretKey::load_or_create(&path).unwrap();
        assert!(created && !again);
        assert_eq!(read.open(&made.seal("x")).unwrap(), "x");
        std::fs::remove_file(path).unwrap();
    }
}
