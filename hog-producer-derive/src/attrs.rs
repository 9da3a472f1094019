//! `#[hog(...)]` options: `alias = "name"` and `transparent` on newtypes,
//! `rename = "name"` on fields and variants, `skip` on fields; and the
//! shared pieces of generated impls (bounds, the `Store` impl frame).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, DeriveInput, GenericParam, Ident, LitStr};

/// Options of the type being derived.
#[derive(Default)]
pub(crate) struct ContainerOpts {
    /// Store the single field as an opaque alias of this name.
    pub alias: Option<LitStr>,
    /// Store the single field as itself.
    pub transparent: bool,
}

/// Options of a field or a variant.
#[derive(Default)]
pub(crate) struct MemberOpts {
    /// The name hobbes sees.
    pub rename: Option<String>,
    /// Leave the field out of the stored value.
    pub skip: bool,
}

impl ContainerOpts {
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut opts = ContainerOpts::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("hog")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("alias") {
                    opts.alias = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("transparent") {
                    opts.transparent = true;
                } else {
                    return Err(meta.error("expected `alias = \"name\"` or `transparent`"));
                }
                Ok(())
            })?;
        }
        Ok(opts)
    }
}

impl MemberOpts {
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut opts = MemberOpts::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("hog")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    opts.rename = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.path.is_ident("skip") {
                    opts.skip = true;
                } else {
                    return Err(meta.error("expected `rename = \"name\"` or `skip`"));
                }
                Ok(())
            })?;
        }
        Ok(opts)
    }
}

/// The name hobbes sees for `ident` (raw identifiers lose their `r#`).
pub(crate) fn hobbes_name(ident: &Ident, opts: &MemberOpts) -> String {
    opts.rename.clone().unwrap_or_else(|| {
        let name = ident.to_string();
        name.strip_prefix("r#").map(str::to_string).unwrap_or(name)
    })
}

/// The integer type named by a `#[repr(...)]` of `attrs`, and whether the
/// type is `packed`.
pub(crate) fn repr(attrs: &[Attribute]) -> syn::Result<(Option<Ident>, bool)> {
    let (mut int, mut packed) = (None, false);
    for attr in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("packed") {
                packed = true;
                if meta.input.peek(syn::token::Paren) {
                    let _align: TokenStream = meta.input.parse()?;
                }
            } else if meta.path.is_ident("align") {
                let _align: TokenStream = meta.input.parse()?;
            } else if let Some(ident) = meta.path.get_ident() {
                if ident != "C" && ident != "Rust" && ident != "transparent" {
                    int = Some(ident.clone());
                }
            }
            Ok(())
        })?;
    }
    Ok((int, packed))
}

/// `impl Store for` the derived type, with `T: Store` for its type
/// parameters and the given items.
pub(crate) fn store_impl(input: &DeriveInput, items: TokenStream) -> TokenStream {
    let mut generics = input.generics.clone();
    let params: Vec<Ident> = generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.clone()),
            _ => None,
        })
        .collect();
    let where_clause = generics.make_where_clause();
    for p in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#p: ::hog_producer::Store));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let name = &input.ident;
    quote! {
        #[automatically_derived]
        impl #impl_generics ::hog_producer::Store for #name #ty_generics #where_clause {
            #items
        }
    }
}
