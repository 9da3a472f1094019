//! Macros for `hog-producer`: `#[derive(Store)]` gives structs and enums
//! their hobbes type and packed encoding; `group!` declares a storage group
//! and its statements as a `static` with one logging method per statement.
//!
//! Use them through `hog_producer`, which re-exports both and documents
//! them with examples.

mod attrs;
mod derive_enum;
mod derive_struct;
mod format;
mod group;

use proc_macro::TokenStream;
use syn::{parse_macro_input, Data, DeriveInput};

/// Derives `hog_producer::Store` for a struct or an enum.
#[proc_macro_derive(Store, attributes(hog))]
pub fn derive_store(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let expanded = match &input.data {
        Data::Struct(data) => derive_struct::expand(&input, data),
        Data::Enum(data) => derive_enum::expand(&input, data),
        Data::Union(_) => Err(syn::Error::new_spanned(
            &input.ident,
            "a union has no hobbes type: store a struct or an enum",
        )),
    };
    expanded
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a storage group and its statements (see `hog_producer::group!`).
#[proc_macro]
pub fn group(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as group::GroupDef);
    group::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
