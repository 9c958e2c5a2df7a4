//! Bridge object ids ("EIDs"): 26 lowercase base32 characters encoding 128 bits.

use rand::Rng;

/// The base32 alphabet EIDs use.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// The characters that can end an EID: its last character carries 3 bits and 2 zero bits.
const LAST: &[u8; 8] = b"aeimquy4";

/// A new random EID.
pub(crate) fn new_eid() -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(26);
    for _ in 0..25 {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id.push(char::from(LAST[rng.random_range(0..LAST.len())]));
    id
}

/// Whether `s` is shaped like a Bridge id: `^[a-z2-7]{25}[aeimquy4]$`.
///
/// ```
/// assert!(oceanid_emulator::is_eid("rvf73a77ozfsvcttryebfrnlem"));
/// assert!(!oceanid_emulator::is_eid("not-an-id"));
/// ```
pub fn is_eid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 26
        && bytes[..25].iter().all(|b| ALPHABET.contains(b))
        && LAST.contains(&bytes[25])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_eids() {
        for _ in 0..1000 {
            let id = new_eid();
            assert!(is_eid(&id), "{id}");
        }
    }

    #[test]
    fn rejects_wrong_shapes() {
        assert!(!is_eid(""));
        assert!(!is_eid("rvf73a77ozfsvcttryebfrnleb"));
        assert!(!is_eid("rvf73a77ozfsvcttryebfrnle"));
        assert!(!is_eid("Rvf73a77ozfsvcttryebfrnlem"));
        assert!(!is_eid("rvf73a77ozfsvcttryebfrnl1m"));
    }
}
