//! Checks an `HLOG` format against the statement's arity, as `storage.H`
//! does at compile time: `$0`, `$1`, … name arguments, `\` escapes the next
//! character.

/// The highest argument a format refers to, plus one (0 if none).
pub(crate) fn arity_needed(format: &str) -> usize {
    let mut needed = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                if let Ok(n) = digits.parse::<usize>() {
                    needed = needed.max(n.saturating_add(1));
                }
            }
            _ => {}
        }
    }
    needed
}

#[cfg(test)]
mod tests {
    use super::arity_needed;

    #[test]
    fn formats_refer_to_arguments_by_position() {
        assert_eq!(arity_needed("hello $0, you are $1 years old"), 2);
        assert_eq!(arity_needed("cost \\$$0 total"), 1);
        assert_eq!(arity_needed("no arguments, \\$5"), 0);
        assert_eq!(arity_needed("$12"), 13);
    }
}
