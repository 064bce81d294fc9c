//! Transparency log proofs: the signed entry timestamp (SET) over the canonical JSON of the
//! entry, the RFC 6962 inclusion proof, and the checkpoint (a signed note) naming the root.

use base64::Engine as _;
use ring::digest::{Context, SHA256};

use super::AttestError;
use super::bundle::{Entry, Proof};
use super::key::PublicKey;

/// The JSON the SET signs: RFC 8785 canonical form of
/// `{body, integratedTime, logID, logIndex}` (keys in this order, integers, no spaces).
pub(crate) fn set_payload(entry: &Entry, integrated_time: i64) -> Vec<u8> {
    let body = base64::engine::general_purpose::STANDARD.encode(&entry.body);
    let log_id = hex(&entry.log_id);
    format!(
        "{{\"body\":\"{body}\",\"integratedTime\":{integrated_time},\"logID\":\"{log_id}\",\"logIndex\":{}}}",
        entry.log_index
    )
    .into_bytes()
}

/// Verifies the SET with the log key.
pub(crate) fn verify_set(
    entry: &Entry,
    integrated_time: i64,
    set: &[u8],
    key: &PublicKey,
) -> Result<(), AttestError> {
    if key.verify(&set_payload(entry, integrated_time), set) {
        Ok(())
    } else {
        Err(AttestError::SignedEntryTimestamp(
            "the signature does not verify with the log key over the entry's body, integratedTime, logID and logIndex".into(),
        ))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// RFC 6962 leaf hash: `SHA-256(0x00 ‖ entry)`.
pub(crate) fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut c = Context::new(&SHA256);
    c.update(&[0]);
    c.update(data);
    to32(c)
}

/// RFC 6962 interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub(crate) fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut c = Context::new(&SHA256);
    c.update(&[1]);
    c.update(left);
    c.update(right);
    to32(c)
}

fn to32(c: Context) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(c.finish().as_ref());
    out
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or why it cannot.
pub(crate) fn root_from_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
) -> Result<[u8; 32], String> {
    if index >= size {
        return Err(format!(
            "leaf index {index} is not below the tree size {size}"
        ));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if sn == 0 {
            return Err("the proof has more hashes than the tree needs".into());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err("the proof has fewer hashes than the tree needs".into());
    }
    Ok(r)
}

/// Verifies the inclusion proof of the entry's body against the proof's root hash.
pub(crate) fn verify_inclusion(body: &[u8], proof: &Proof) -> Result<(), AttestError> {
    let root = root_from_proof(
        proof.log_index,
        proof.tree_size,
        leaf_hash(body),
        &proof.hashes,
    )
    .map_err(AttestError::InclusionProof)?;
    if root == proof.root_hash {
        Ok(())
    } else {
        Err(AttestError::InclusionProof(format!(
            "the proof for leaf {} of {} leads to root {}, not the bundle's rootHash {}",
            proof.log_index,
            proof.tree_size,
            hex(&root),
            hex(&proof.root_hash)
        )))
    }
}

/// A checkpoint's body: origin, tree size, root hash.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) origin: String,
    pub(crate) size: u64,
    pub(crate) root: [u8; 32],
}

/// Verifies a signed note with the log key and returns its checkpoint. The note text is every
/// line up to the single blank line; a signature line is `— <name> <base64(keyhint ‖ sig)>`
/// where the 4-byte key hint is the start of the log ID.
pub(crate) fn verify_checkpoint(
    envelope: &str,
    log_id: &[u8],
    key: &PublicKey,
) -> Result<Checkpoint, AttestError> {
    let bad = |m: &str| AttestError::Checkpoint(m.to_owned());
    let mut parts = envelope.split("\n\n");
    let (Some(note), Some(sigs), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad(
            "the note must have exactly one blank line before its signatures",
        ));
    };
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(bad(
            "the signature block must be non-empty and end with a newline",
        ));
    }
    let mut lines = note.split('\n');
    let origin = lines
        .next()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| bad("empty origin"))?;
    let size = lines
        .next()
        .filter(|s| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s.len() == 1 || !s.starts_with('0'))
        })
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| bad("the tree size line is not a decimal integer"))?;
    let root = lines
        .next()
        .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r).ok())
        .and_then(|r| <[u8; 32]>::try_from(r.as_slice()).ok())
        .ok_or_else(|| bad("the root hash line is not 32 bytes of base64"))?;
    let text = &envelope[..note.len() + 1];
    let hint = log_id
        .get(..4)
        .ok_or_else(|| bad("log ID shorter than 4 bytes"))?;
    let mut verified = false;
    for line in sigs.strip_suffix('\n').unwrap_or(sigs).split('\n') {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| bad("a signature line must start with an em dash"))?;
        let (name, sig) = rest
            .split_once(' ')
            .ok_or_else(|| bad("a signature line must be '— <name> <signature>'"))?;
        if name.is_empty() || sig.contains(' ') {
            return Err(bad("a signature line must be '— <name> <signature>'"));
        }
        let sig = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .map_err(|_| bad("a note signature is not base64"))?;
        if sig.len() < 5 {
            return Err(bad("a note signature is shorter than 5 bytes"));
        }
        if &sig[..4] == hint && key.verify(text.as_bytes(), &sig[4..]) {
            verified = true;
        }
    }
    if !verified {
        return Err(bad(
            "no signature by the log key (key hint = start of the log ID)",
        ));
    }
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds the RFC 6962 tree hash and audit path independently (recursive definition).
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            1 => leaves[0],
            n => {
                let k = (n as u64 - 1).ilog2();
                let k = 1usize << k;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        let n = leaves.len();
        if n == 1 {
            return vec![];
        }
        let k = 1usize << (n as u64 - 1).ilog2();
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    #[test]
    fn inclusion_proofs_for_every_leaf() {
        for n in [1usize, 2, 3, 5, 7, 8, 9, 16, 33] {
            let leaves: Vec<_> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = mth(&leaves);
            for m in 0..n {
                let p = path(m, &leaves);
                assert_eq!(
                    root_from_proof(m as u64, n as u64, leaves[m], &p),
                    Ok(root),
                    "{m}/{n}"
                );
                if n > 1 {
                    // (A wrong tree size can still reach the same root, e.g. leaf 0 of 3 vs 4:
                    // the signed checkpoint's size catches that, see verify_bundle.)
                    let mut short = p.clone();
                    short.pop();
                    assert!(root_from_proof(m as u64, n as u64, leaves[m], &short) != Ok(root));
                }
                let mut long = p.clone();
                long.push([0; 32]);
                assert!(root_from_proof(m as u64, n as u64, leaves[m], &long).is_err());
            }
            assert!(root_from_proof(n as u64, n as u64, leaves[0], &[]).is_err());
        }
    }
}
