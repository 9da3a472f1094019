//! `#[derive(Store)]` for enums.
//!
//! * Fieldless enums are enumerations: their discriminant, stored as a
//!   `u32` (a variant of units), or with an integer `#[repr]` of another
//!   width as hobbes' packed enum (`penum`) of that width.
//! * Other enums are variants: a `u32` tag (the declaration index), then
//!   the payload: nothing, the single field, a tuple `.f0, .f1, …` of
//!   several unnamed fields, or a record of named fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{DataEnum, DeriveInput, Fields, Ident};

use crate::attrs::{hobbes_name, repr, store_impl, MemberOpts};

pub(crate) fn expand(input: &DeriveInput, data: &DataEnum) -> syn::Result<TokenStream> {
    let fieldless = !data.variants.is_empty()
        && data
            .variants
            .iter()
            .all(|v| matches!(v.fields, Fields::Unit));
    let items = if fieldless {
        enumeration(input, data)?
    } else {
        variant(data)?
    };
    Ok(store_impl(input, items))
}

/// The hobbes primitive and Rust type a fieldless enum is stored as.
fn representation(repr: Option<&Ident>) -> syn::Result<(&'static str, Ident)> {
    let Some(int) = repr else {
        return Ok(("int", Ident::new("u32", Span::call_site())));
    };
    let prim = match int.to_string().as_str() {
        "u8" | "i8" => "byte",
        "u16" | "i16" => "short",
        "u32" | "i32" => "int",
        "u64" | "i64" | "usize" | "isize" => "long",
        _ => {
            return Err(syn::Error::new_spanned(
                int,
                "a stored enumeration is represented by an integer of 8 to 64 bits",
            ))
        }
    };
    Ok((prim, int.clone()))
}

fn enumeration(input: &DeriveInput, data: &DataEnum) -> syn::Result<TokenStream> {
    let (int, _) = repr(&input.attrs)?;
    let (prim, rep) = representation(int.as_ref())?;
    let mut names = Vec::new();
    for v in &data.variants {
        names.push(hobbes_name(&v.ident, &MemberOpts::parse(&v.attrs)?));
    }
    let idents: Vec<_> = data.variants.iter().map(|v| &v.ident).collect();
    Ok(quote! {
        const FIXED_SIZE: ::core::option::Option<usize> =
            ::core::option::Option::Some(::core::mem::size_of::<#rep>());

        fn hobbes_type() -> ::hog_producer::Type {
            ::hog_producer::Type::enumeration(
                ::hog_producer::Type::prim(#prim),
                ::std::vec![#((#names, Self::#idents as #rep as u32)),*],
            )
        }

        #[inline]
        fn size(&self) -> usize {
            ::core::mem::size_of::<#rep>()
        }

        #[inline]
        fn store<__S: ::hog_producer::Output + ?Sized>(&self, __out: &mut __S) {
            let value: #rep = match self {
                #(Self::#idents => Self::#idents as #rep,)*
            };
            ::hog_producer::Store::store(&value, __out);
        }
    })
}

/// An enum without variants: a variant of no constructors, with no value.
fn uninhabited() -> TokenStream {
    quote! {
        const FIXED_SIZE: ::core::option::Option<usize> = ::core::option::Option::None;

        fn hobbes_type() -> ::hog_producer::Type {
            ::hog_producer::Type::Variant(::std::vec::Vec::new())
        }

        fn size(&self) -> usize {
            match *self {}
        }

        fn store<__S: ::hog_producer::Output + ?Sized>(&self, _: &mut __S) {
            match *self {}
        }
    }
}

/// One constructor: how to match it, its payload type, size and writes.
struct Ctor {
    pattern: TokenStream,
    ty: TokenStream,
    fixed: TokenStream,
    size: TokenStream,
    store: TokenStream,
}

fn variant(data: &DataEnum) -> syn::Result<TokenStream> {
    if data.variants.is_empty() {
        return Ok(uninhabited());
    }
    let mut ctors = Vec::new();
    let mut names = Vec::new();
    for v in &data.variants {
        names.push(hobbes_name(&v.ident, &MemberOpts::parse(&v.attrs)?));
        ctors.push(ctor(&v.ident, &v.fields)?);
    }
    let tags = (0..ctors.len() as u32).collect::<Vec<_>>();
    let patterns: Vec<_> = ctors.iter().map(|c| &c.pattern).collect();
    let tys = ctors.iter().map(|c| &c.ty);
    let fixed = ctors.iter().map(|c| &c.fixed);
    let sizes = ctors.iter().map(|c| &c.size);
    let stores = ctors.iter().map(|c| &c.store);
    Ok(quote! {
        const FIXED_SIZE: ::core::option::Option<usize> =
            match ::hog_producer::fixed_common(&[#(#fixed),*]) {
                ::core::option::Option::Some(n) => ::core::option::Option::Some(4 + n),
                ::core::option::Option::None => ::core::option::Option::None,
            };

        fn hobbes_type() -> ::hog_producer::Type {
            ::hog_producer::Type::variant::<&str>(::std::vec![#((#names, #tags, #tys)),*])
        }

        #[inline]
        #[allow(unused_variables)]
        fn size(&self) -> usize {
            4 + match self {
                #(#patterns => #sizes,)*
            }
        }

        #[inline]
        #[allow(unused_variables)]
        fn store<__S: ::hog_producer::Output + ?Sized>(&self, __out: &mut __S) {
            match self {
                #(#patterns => {
                    ::hog_producer::Store::store(&#tags, __out);
                    #stores
                })*
            }
        }
    })
}

fn ctor(ident: &Ident, fields: &Fields) -> syn::Result<Ctor> {
    let mut bindings = Vec::new();
    let mut stored = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let opts = MemberOpts::parse(&field.attrs)?;
        let binding = match &field.ident {
            Some(name) => name.clone(),
            None => format_ident!("__f{i}"),
        };
        bindings.push(binding.clone());
        if !opts.skip {
            let name = field.ident.as_ref().map(|f| hobbes_name(f, &opts));
            stored.push((name, binding, field.ty.clone()));
        }
    }
    let pattern = match fields {
        Fields::Unit => quote!(Self::#ident),
        Fields::Unnamed(_) => quote!(Self::#ident(#(#bindings),*)),
        Fields::Named(_) => quote!(Self::#ident { #(#bindings),* }),
    };
    let tys: Vec<_> = stored.iter().map(|(_, _, ty)| ty).collect();
    let values: Vec<_> = stored.iter().map(|(_, b, _)| b).collect();
    let hobbes = |ty: &syn::Type| quote!(<#ty as ::hog_producer::Store>::hobbes_type());
    let ty = match (fields, tys.as_slice()) {
        (Fields::Named(_), _) => {
            let names = stored.iter().map(|(n, _, _)| n);
            let types = tys.iter().map(|t| hobbes(t));
            quote!(::hog_producer::Type::record::<&str>(
                ::std::vec![#((#names, #types)),*]
            ))
        }
        (_, []) => quote!(::hog_producer::Type::unit()),
        (_, [one]) => hobbes(one),
        (_, many) => {
            let types = many.iter().map(|t| hobbes(t));
            quote!(::hog_producer::Type::tuple(::std::vec![#(#types),*]))
        }
    };
    Ok(Ctor {
        pattern,
        ty,
        fixed: quote!(::hog_producer::fixed_sum(&[#(<#tys as ::hog_producer::Store>::FIXED_SIZE),*])),
        size: quote!(0 #(+ ::hog_producer::Store::size(#values))*),
        store: quote!(#(::hog_producer::Store::store(#values, __out);)*),
    })
}
