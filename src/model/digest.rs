//! Digests as bytes: SHA-256 and MD5 of every site file are kept as arrays
//! (a 20,000-file site would otherwise hold 40,000 hex strings), written as
//! lowercase hex in JSON and text.

use serde::{de, Deserialize, Deserializer, Serialize};

/// A digest of `N` bytes, compared with hex text as that text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hex<const N: usize>(pub [u8; N]);

impl<const N: usize> Hex<N> {
    /// The digest in lowercase hex.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The digest `text` spells in hex (either case); `None` when it is not
    /// `2 × N` hex digits.
    pub fn parse(text: &str) -> Option<Hex<N>> {
        if text.len() != 2 * N {
            return None;
        }
        let mut out = [0u8; N];
        for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            *byte = u8::try_from(high << 4 | low).ok()?;
        }
        Some(Hex(out))
    }

    /// Whether `text` is this digest in hex (either case).
    pub fn is(&self, text: &str) -> bool {
        fn nibble(c: u8) -> Option<u8> {
            (c as char).to_digit(16).map(|d| d as u8)
        }
        text.len() == 2 * N
            && text
                .as_bytes()
                .chunks(2)
                .zip(&self.0)
                .all(|(pair, b)| matches!((nibble(pair[0]), nibble(pair[1])), (Some(h), Some(l)) if (h << 4 | l) == *b))
    }
}

impl<const N: usize> std::fmt::Display for Hex<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (i, b) in self.0.iter().take(32).enumerate() {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        let len = 2 * N.min(32);
        f.write_str(std::str::from_utf8(&out[..len]).map_err(|_| std::fmt::Error)?)
    }
}

impl<const N: usize> std::fmt::Debug for Hex<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl<const N: usize> Serialize for Hex<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, const N: usize> Deserialize<'de> for Hex<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HexText<const N: usize>;
        impl<const N: usize> de::Visitor<'_> for HexText<N> {
            type Value = Hex<N>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} hex digits", 2 * N)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Hex<N>, E> {
                Hex::parse(text).ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
            }
        }
        deserializer.deserialize_str(HexText::<N>)
    }
}

impl<const N: usize> PartialEq<str> for Hex<N> {
    fn eq(&self, other: &str) -> bool {
        self.is(other)
    }
}

impl<const N: usize> PartialEq<String> for Hex<N> {
    fn eq(&self, other: &String) -> bool {
        self.is(other)
    }
}

impl<const N: usize> PartialEq<Hex<N>> for String {
    fn eq(&self, other: &Hex<N>) -> bool {
        other.is(self)
    }
}

impl<const N: usize> PartialEq<Hex<N>> for str {
    fn eq(&self, other: &Hex<N>) -> bool {
        other.is(self)
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// An S3 ETag, without quotes. A single-part upload's is its content's MD5
/// in lowercase hex: that one is kept as 16 bytes (a listing and a manifest
/// of 20,000 objects would otherwise hold 40,000 such strings); any other
/// (multipart `…-N`, or from a store that does it differently) as text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Etag {
    Md5(Hex<16>),
    Other(Box<str>),
}

impl Etag {
    pub fn new(text: &str) -> Etag {
        let lower_hex = text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match Hex::parse(text).filter(|_| lower_hex) {
            Some(md5) => Etag::Md5(md5),
            None => Etag::Other(text.into()),
        }
    }
}

impl Default for Etag {
    fn default() -> Etag {
        Etag::Other("".into())
    }
}

impl From<&str> for Etag {
    fn from(text: &str) -> Etag {
        Etag::new(text)
    }
}

impl std::fmt::Display for Etag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Etag::Md5(md5) => md5.fmt(f),
            Etag::Other(text) => f.write_str(text),
        }
    }
}

impl std::fmt::Debug for Etag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Serialize for Etag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Etag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EtagText;
        impl de::Visitor<'_> for EtagText {
            type Value = Etag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an ETag")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Etag, E> {
                Ok(Etag::new(text))
            }
        }
        deserializer.deserialize_str(EtagText)
    }
}

impl PartialEq<str> for Etag {
    fn eq(&self, other: &str) -> bool {
        match self {
            Etag::Md5(md5) => Etag::new(other) == Etag::Md5(*md5),
            Etag::Other(text) => **text == *other,
        }
    }
}

impl PartialEq<String> for Etag {
    fn eq(&self, other: &String) -> bool {
        *self == **other
    }
}

impl PartialEq<Etag> for String {
    fn eq(&self, other: &Etag) -> bool {
        *other == **self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_reads_and_writes_as_its_exact_text() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        for text in [
            md5,
            "D41D8CD98F00B204E9800998ECF8427E",
            "9b2cf535f27731c974343645a3985328-2",
            "",
        ] {
            let etag = Etag::new(text);
            assert_eq!(etag.to_string(), text);
            assert!(etag == *text);
            assert_eq!(serde_json::to_string(&etag).unwrap(), format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Etag>(&format!("\"{text}\"")).unwrap(), etag);
        }
        assert!(
            matches!(Etag::new(md5), Etag::Md5(_)),
            "a single-part ETag is kept as bytes"
        );
        assert!(matches!(Etag::new(&md5.to_uppercase()), Etag::Other(_)));
        assert!(Etag::new(md5) != *"d41d8cd98f00b204e9800998ecf8427f");
        assert!(Etag::new("abc") != *md5);
        assert_eq!(Hex::<2>::parse("0aFf"), Some(Hex([0x0a, 0xff])));
        assert_eq!(Hex::<2>::parse("0aF"), None);
        assert_eq!(Hex::<2>::parse("0aFg"), None);
    }
}
