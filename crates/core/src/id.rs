//! Random identifiers: 128 bits, written as 32 lowercase hex digits. Never derived from content.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A random 128-bit identifier of a note, an object or a device.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Id([u8; 16]);

impl Id {
    /// A fresh random id.
    pub fn random() -> Id {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).expect("the operating system's random source failed");
        Id(b)
    }

    /// The two-character folder an object with this id lives in.
    pub fn shard(&self) -> String {
        hex::encode(&self.0[..1])
    }

    /// The id's 16 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The id made of these 16 raw bytes (any bytes are a valid id).
    pub fn from_bytes(b: [u8; 16]) -> Id {
        Id(b)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

impl FromStr for Id {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Id> {
        let mut b = [0u8; 16];
        if s.len() != 32 || !s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(crate::Error::Invalid(format!("not an id: {s:?}")));
        }
        hex::decode_to_slice(s, &mut b)
            .map_err(|_| crate::Error::Invalid(format!("not an id: {s:?}")))?;
        Ok(Id(b))
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for Id {
    type Error = crate::Error;
    fn try_from(s: String) -> crate::Result<Id> {
        s.parse()
    }
}

/// In TypeScript an id is its text: 32 lowercase hex digits.
#[cfg(feature = "ts")]
impl ts_rs::TS for Id {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".into()
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        <Self as ts_rs::TS>::name(cfg)
    }
}
