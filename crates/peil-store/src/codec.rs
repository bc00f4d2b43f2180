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

/// Dense encoding of a published series: one `f64` per item of the level, in the order of the
/// publication's item list; missing codes are NaN payloads (`0x7ff8_5eed_0000_000t`, t the
/// code's tag). Version byte `2`, then the count. Eight bytes a value and no ids: the live copy
/// is written whole at every publication, so its size is what publishing time is made of.
pub fn encode_dense(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + values.len() * 8);
    out.push(2);
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        let bits = match v {
            Value::Number(n) => n.to_bits(),
            Value::Missing(c) => DENSE_TAG | u64::from(c.tag()),
        };
        out.extend_from_slice(&bits.to_le_bytes());
    }
    out
}

const DENSE_TAG: u64 = 0x7ff8_5eed_0000_0000;

/// Decodes [`encode_dense`]; `None` for anything else.
pub fn decode_dense(bytes: &[u8]) -> Option<Vec<Value>> {
    let (&version, rest) = bytes.split_first()?;
    if version != 2 || rest.len() < 4 {
        return None;
    }
    let n = u32::from_le_bytes(rest[..4].try_into().ok()?) as usize;
    let body = &rest[4..];
    if body.len() != n * 8 {
        return None;
    }
    body.chunks_exact(8)
        .map(|c| {
            let bits = u64::from_le_bytes(c.try_into().ok()?);
            let f = f64::from_bits(bits);
            if !f.is_nan() {
                Some(Value::Number(f))
            } else if bits & !0xffff == DENSE_TAG {
                MissingCode::from_tag((bits & 0xffff) as u8).map(Value::Missing)
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dense_round_trip() {
        let v = vec![
            Value::Number(1.5),
            Value::Missing(MissingCode::Hidden),
            Value::Missing(MissingCode::Empty),
            Value::Number(-0.0),
        ];
        let d = decode_dense(&encode_dense(&v)).unwrap();
        assert!(d.iter().zip(&v).all(|(a, b)| a.same_as(*b)));
        assert!(decode_dense(&encode(&[])).is_none());
        let mut bad = encode_dense(&v);
        bad[5..13].copy_from_slice(&f64::NAN.to_bits().to_le_bytes());
        assert!(decode_dense(&bad).is_none());
    }

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
