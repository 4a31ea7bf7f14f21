//! Random codes and their hashes. Codes come from the operating system's
//! CSPRNG; only their SHA-256 is ever stored.

use sha2::{Digest, Sha256};

/// Crockford's base32 alphabet: no I, L, O or U, so codes survive being read aloud.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A random code of `len` base32 characters (5 bits each) from the OS CSPRNG.
pub fn random_code(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect()
}

/// `len` random lowercase hex characters (guest ids: nothing about the
/// guest can be guessed from them).
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex[..len].to_string()
}

/// A short random identifier for records (events): 10 base32 characters.
pub fn random_id() -> String {
    random_code(10).to_ascii_lowercase()
}

/// A 10-character record id ([0-9a-z]) from a hex digest (deterministic ids).
pub fn id_from_hex(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .take(10)
        .map(|pair| {
            let byte = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
            (ALPHABET[usize::from(byte & 31)] as char).to_ascii_lowercase()
        })
        .collect()
}

/// Hex SHA-256 of a code, after the same normalisation users' typing gets.
pub fn hash_code(code: &str) -> String {
    let digest = Sha256::digest(code.trim().to_ascii_uppercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of an arbitrary key (addresses and IPs in rate-limit counters).
pub fn hash_key(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_and_in_the_alphabet() {
        let a = random_code(22);
        let b = random_code(22);
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(random_id().len(), 10);
    }

    #[test]
    fn hash_is_case_and_space_insensitive() {
        assert_eq!(hash_code(" abc "), hash_code("ABC"));
        assert_eq!(hash_code("ABC").len(), 64);
        assert_ne!(hash_code("ABC"), hash_code("ABD"));
    }
}
