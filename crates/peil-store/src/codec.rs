//! The binary encoding of one value series: the values of one indicator × level × period ×
//! cube cell for all items, sorted by item id.
//!
//! Layout (little endian): version byte `1`, entry count `u32`, then per entry the item id
//! `u32`, a tag byte (0 = number, else a [`MissingCode`] tag) and, for numbers, the `f64`.
//! Storing a series as one row keeps 50 million values in tens of thousands of rows, makes a
//! bulk import a few thousand writes, and hands the compute engine whole vectors.
//! The format is plain bytes, so any SQL backend stores it as a blob.

use peil_core::{MissingCode, Value};

const VERSION: u8 = 1;

pub fn encode(entries: &[(u32, Value)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + entries.len() * 13);
    out.push(VERSION);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (item, value) in entries {
        out.extend_from_slice(&item.to_le_bytes());
        match value {
            Value::Number(n) => {
                out.push(0);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Value::Missing(code) => out.push(code.tag()),
        }
    }
    out
}

/// Decodes a series; `None` if the bytes are not a valid encoding.
pub fn decode(bytes: &[u8]) -> Option<Vec<(u32, Value)>> {
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION || rest.len() < 4 {
        return None;
    }
    let n = u32::from_le_bytes(rest[..4].try_into().ok()?) as usize;
    let mut pos = 4;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let item = u32::from_le_bytes(rest.get(pos..pos + 4)?.try_into().ok()?);
        let tag = *rest.get(pos + 4)?;
        pos += 5;
        let value = if tag == 0 {
            let n = f64::from_le_bytes(rest.get(pos..pos + 8)?.try_into().ok()?);
            pos += 8;
            Value::Number(n)
        } else {
            Value::Missing(MissingCode::from_tag(tag)?)
        };
        out.push((item, value));
    }
    (pos == rest.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = vec![
            (1, Value::Number(2.5)),
            (7, Value::Missing(MissingCode::Hidden)),
            (9, Value::Number(-0.0)),
            (10, Value::Missing(MissingCode::Empty)),
        ];
        let d = decode(&encode(&v)).unwrap();
        assert_eq!(d.len(), v.len());
        for (a, b) in d.iter().zip(&v) {
            assert_eq!(a.0, b.0);
            assert!(a.1.same_as(b.1));
        }
        assert_eq!(decode(&encode(&[])), Some(vec![]));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[2, 0, 0, 0, 0]), None);
        let mut b = encode(&[(1, Value::Number(1.0))]);
        b.pop();
        assert_eq!(decode(&b), None);
        let mut b = encode(&[(1, Value::Number(1.0))]);
        b.push(0);
        assert_eq!(decode(&b), None);
    }
}
