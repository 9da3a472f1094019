//! `Type::decode` on arbitrary bytes: never panics; what decodes encodes
//! back to an equal type, shows, and has a size computed without overflow.

#![no_main]

use hog_core::types::{fixed_size, Type};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(ty) = Type::decode(data) else {
        return;
    };
    let again = Type::decode(&ty.encode()).expect("an encoded type decodes");
    assert_eq!(again, ty, "decode(encode(t)) == t");
    let _ = ty.to_string();
    // What StatementTable::new computes for every statement type.
    let _ = fixed_size(&ty);
});
