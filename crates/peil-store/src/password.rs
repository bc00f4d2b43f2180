//! Passwords of back-office users: Argon2id (RustCrypto `argon2`, OWASP's parameters:
//! 19 MiB, 2 passes), stored as PHC strings with their own random salt. Hashing takes tens of
//! milliseconds on purpose: servers call these on their blocking pool.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Longer passwords are refused before hashing: the hash's cost must not be a stranger's to choose.
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Shorter passwords are refused when set (a generated one has 20 characters).
pub const MIN_PASSWORD_LEN: usize = 12;

/// The Argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> crate::Result<String> {
    check_password(password)?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| crate::StoreError::Invalid(format!("the password could not be hashed: {e}")))
}

/// Why a new password is not accepted, if it is not.
pub fn check_password(password: &str) -> crate::Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(crate::StoreError::Invalid(format!(
            "a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters ({n} given)"
        )));
    }
    Ok(())
}

/// Whether `password` matches `hash`. An over-long password or a damaged hash never matches.
/// `None` for the hash (an unknown user) still spends the time of one verification, so that
/// an unknown name and a wrong password cannot be told apart by the time they take.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let password = if password.len() > MAX_PASSWORD_LEN {
        ""
    } else {
        password
    };
    let parsed = hash.and_then(|h| PasswordHash::new(h).ok());
    let decoy;
    let target = match &parsed {
        Some(p) => p,
        None => {
            decoy = PasswordHash::new(decoy_hash()).expect("the decoy is a valid PHC string");
            &decoy
        }
    };
    let ok = argon2::Argon2::default()
        .verify_password(password.as_bytes(), target)
        .is_ok();
    ok && parsed.is_some()
}

/// A hash of a random password, made once, verified against when there is no user.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let pw = crate::random_hex(16);
        argon2::Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// A new random password: 20 characters from an alphabet without look-alikes (about 115 bits).
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    crate::random_bytes::<20>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_bounds_hold() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "wrong horse battery"));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("not a hash"), ""));
        assert!(hash_password("short").is_err());
        assert!(hash_password(&"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
        let p = new_password();
        assert_eq!(p.len(), 20);
        assert_ne!(p, new_password());
    }
}
