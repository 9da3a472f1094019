//! `#[derive(Store)]` for structs: a record of the fields in declaration
//! order (names, offsets `-1`; tuple structs name them `.f0`, `.f1`, …),
//! or for newtypes an opaque alias (`alias`) or the field itself
//! (`transparent`). Fields of `packed` structs are copied out before they
//! are stored (they must be `Copy`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DataStruct, DeriveInput, Fields, Index, Member};

use crate::attrs::{hobbes_name, repr, store_impl, ContainerOpts, MemberOpts};

struct StoredField {
    name: String,
    member: Member,
    ty: syn::Type,
}

pub(crate) fn expand(input: &DeriveInput, data: &DataStruct) -> syn::Result<TokenStream> {
    let opts = ContainerOpts::parse(&input.attrs)?;
    let (_, packed) = repr(&input.attrs)?;
    let fields = stored_fields(&data.fields)?;
    let access = |f: &StoredField| {
        let member = &f.member;
        if packed {
            quote!(&{ self.#member })
        } else {
            quote!(&self.#member)
        }
    };
    let tys: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let values: Vec<_> = fields.iter().map(access).collect();
    let ty = match (&opts.alias, opts.transparent) {
        (Some(_), true) => {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "`alias` and `transparent` exclude each other",
            ))
        }
        (alias, true) | (alias @ Some(_), _) => {
            let [field] = fields.as_slice() else {
                return Err(syn::Error::new_spanned(
                    &input.ident,
                    "`alias` and `transparent` need exactly one stored field",
                ));
            };
            let inner = &field.ty;
            let inner = quote!(<#inner as ::hog_producer::Store>::hobbes_type());
            match alias {
                Some(name) => quote!(::hog_producer::Type::alias(#name, #inner)),
                None => inner,
            }
        }
        (None, false) => {
            let names = fields.iter().map(|f| &f.name);
            quote! {
                ::hog_producer::Type::record::<&str>(::std::vec![
                    #((#names, <#tys as ::hog_producer::Store>::hobbes_type())),*
                ])
            }
        }
    };
    let items = quote! {
        const FIXED_SIZE: ::core::option::Option<usize> =
            ::hog_producer::fixed_sum(&[#(<#tys as ::hog_producer::Store>::FIXED_SIZE),*]);

        fn hobbes_type() -> ::hog_producer::Type {
            #ty
        }

        #[inline]
        fn size(&self) -> usize {
            match <Self as ::hog_producer::Store>::FIXED_SIZE {
                ::core::option::Option::Some(n) => n,
                ::core::option::Option::None => {
                    0 #(+ ::hog_producer::Store::size(#values))*
                }
            }
        }

        #[inline]
        fn store<__S: ::hog_producer::Output + ?Sized>(&self, __out: &mut __S) {
            #(::hog_producer::Store::store(#values, __out);)*
        }
    };
    Ok(store_impl(input, items))
}

fn stored_fields(fields: &Fields) -> syn::Result<Vec<StoredField>> {
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let opts = MemberOpts::parse(&field.attrs)?;
        if opts.skip {
            continue;
        }
        let (name, member) = match &field.ident {
            Some(ident) => (hobbes_name(ident, &opts), Member::Named(ident.clone())),
            None => {
                let position = format_ident!("f{}", out.len());
                let name = opts
                    .rename
                    .clone()
                    .unwrap_or_else(|| format!(".{position}"));
                (name, Member::Unnamed(Index::from(i)))
            }
        };
        out.push(StoredField {
            name,
            member,
            ty: field.ty.clone(),
        });
    }
    Ok(out)
}
