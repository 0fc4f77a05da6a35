//! Resident identity numbers (GB 11643-1999): 17 digits and a check character. The check is the
//! weighted sum of the digits (weights 2^(17-i) mod 11) taken mod 11 and mapped through
//! `10X98765432`; the birth date in positions 7–14 must be a real date.

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The number in its stored form (an `x` upper-cased), if it is valid.
pub fn normalise(text: &str) -> Option<String> {
    let id = text.trim().to_ascii_uppercase();
    let bytes = id.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    if bytes[17] != expected {
        return None;
    }
    NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").ok()?;
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_samples_pass_and_altered_ones_fail() {
        // The standard's own example, and a sample with check character X.
        assert_eq!(
            normalise("11010519491231002X").as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(
            normalise("11010519491231002x").as_deref(),
            Some("11010519491231002X")
        );
        assert!(normalise("440524188001010014").is_some());
        assert!(
            normalise("110105194912310021").is_none(),
            "wrong check digit"
        );
        assert!(normalise("11010519491331002X").is_none(), "no 13th month");
        assert!(normalise("1101051949123100").is_none(), "too short");
    }
}
