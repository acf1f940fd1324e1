//! The deployment's audit signing key file: 64 hex digits (the Ed25519 secret seed, RFC 8032
//! §5.1.5) and a newline. `serve` creates it on first start, readable by its owner only (0600);
//! `audit public-key` and `audit verify` only read it. Losing it does not lose the trail, only
//! the power to sign new checkpoints under the old public key.

use std::io::Write;
use std::path::Path;

use rand::TryRngCore;

use crate::domain::audit::checkpoint::AuditSigner;

/// Reads the key at `path`, or makes one there if there is none.
pub fn load_or_create(path: &Path) -> Result<AuditSigner, String> {
    match load(path) {
        Ok(signer) => Ok(signer),
        Err(_) if !path.exists() => match create(path) {
            Ok(signer) => {
                tracing::info!(path = %path.display(), key_id = %signer.public_key().key_id(),
                    "created the audit signing key: keep it safe, and give auditors `portcullis audit public-key`");
                Ok(signer)
            }
            // Another instance made it first.
            Err(_) if path.exists() => load(path),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    }
}

/// Reads the key at `path`.
pub fn load(path: &Path) -> Result<AuditSigner, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let seed = hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| format!("{shown}: not an audit signing key (64 hex digits)"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %shown, "the audit signing key is readable by others: chmod 600 it");
        }
    }
    Ok(AuditSigner::from_seed(&seed))
}

fn create(path: &Path) -> Result<AuditSigner, String> {
    let shown = path.display();
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| format!("no randomness for a new key: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // Written whole under a temporary name, then linked into place: another instance starting
    // at the same moment finds either no key or the whole key, never a half-written file, and
    // a link (unlike a rename) never replaces a key that appeared meanwhile.
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = options
        .open(&temporary)
        .map_err(|e| format!("cannot create {}: {e}", temporary.display()))?;
    let written = file
        .write_all(format!("{}\n", hex::encode(seed)).as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    written.map_err(|e| format!("cannot write {shown}: {e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The new name is durable only once its directory is.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(AuditSigner::from_seed(&seed))
}
