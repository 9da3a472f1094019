//! Macros for `hog-producer`: `#[derive(Store)]` gives structs and enums
//! their hobbes type and packed encoding; `group!` declares a storage group
//! and its statements as a `static` with one logging method per statement.
//!
//! Use them through `hog_producer`, which re-exports both and documents
//! them with examples.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
mod attrs;
mod derive_enum;
mod derive_struct;
mod format;
mod group;

use proc_macro::TokenStream;
use syn::{parse_macro_input, Data, DeriveInput};

/// Derives `hog_producer::Store` for a struct or an enum.
///
/// * Structs are records of their fields in declaration order (offsets
///   `-1`); tuple structs name them `.f0`, `.f1`, …; unit structs are
///   `unit`. Fields of `#[repr(packed)]` structs are copied before they are
///   stored (they must be `Copy`).
/// * Fieldless enums are their discriminant: a variant of units stored as
///   `u32`, or with an integer `#[repr]` of another width, hobbes' packed
///   enum of that width.
/// * Other enums are a `u32` tag (the declaration index) followed by the
///   payload: nothing, the single field, a tuple of several unnamed fields,
///   or a record of named fields.
///
/// Options: `#[hog(rename = "name")]` on fields and variants,
/// `#[hog(skip)]` on fields, and on a single-field struct
/// `#[hog(alias = "name")]` (an opaque alias, like `datetime`) or
/// `#[hog(transparent)]` (the field's own type).
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

/// Declares a storage group and its statements, once.
///
/// ```text
/// group! {
///     /// Docs of the static.
///     pub static NAME: TypeName = <an expression giving a hog_producer::Group>;
///
///     /// Docs of the logging method.
///     #[hlog("format with $0 and $1")] // an HLOG statement (default: HSTORE)
///     #[at("file.C", 12)]              // file and line recorded (default: here)
///     #[name = "statement.name"]       // statement name (default: the method's)
///     #[named]                         // every argument named (hobbes HNAME)
///     fn method(a: A, #[named] b: B);  // `#[named]`: this argument only
/// }
/// ```
///
/// `NAME` is a `LazyLock<TypeName>`: the group is built, and the statements
/// declared in order (their ids), when it is first used. `TypeName`
/// dereferences to the `Group` (`NAME.commit()`, `NAME.dropped()`) and has a
/// method per statement, `fn method(&'static self, a: A, b: B) -> bool`,
/// which logs a record into the calling thread's ring (created on first
/// use) and returns `false` if it was dropped. An `hlog` format may refer
/// only to existing arguments.
#[proc_macro]
pub fn group(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as group::GroupDef);
    group::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
