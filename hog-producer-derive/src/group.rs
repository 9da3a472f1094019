//! `group!`: a storage group and its statements, declared once.
//!
//! ```text
//! group! {
//!     /// docs
//!     pub static NAME: TypeName = <expression giving a hog_producer::Group>;
//!
//!     /// docs
//!     #[hlog("format $0")]      // an HLOG statement (else HSTORE)
//!     #[at("file.C", 12)]      // source location in the table (else here)
//!     #[name = "stmt"]         // statement name (else the method's)
//!     fn method(a: A, #[named] b: B);   // #[named]: hobbes HNAME
//! }
//! ```
//!
//! expands to a `LazyLock` static of a generated struct holding the group
//! (statements declared in order, so ids follow the list) and one method
//! per statement, taking its arguments and logging them into the calling
//! thread's ring.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, Expr, FnArg, ForeignItemFn, Ident, LitInt, LitStr, Pat, Token, Type, Visibility,
};

use crate::format::arity_needed;

/// The macro's input.
pub(crate) struct GroupDef {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    ty: Ident,
    init: Expr,
    statements: Vec<ForeignItemFn>,
}

impl Parse for GroupDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        let vis = input.parse()?;
        input.parse::<Token![static]>()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        input.parse::<Token![=]>()?;
        let init = input.parse()?;
        input.parse::<Token![;]>()?;
        let mut statements = Vec::new();
        while !input.is_empty() {
            statements.push(input.parse()?);
        }
        Ok(GroupDef {
            attrs,
            vis,
            name,
            ty,
            init,
            statements,
        })
    }
}

/// One statement, as understood from its `fn` item.
struct Statement {
    method: Ident,
    vis: Visibility,
    attrs: Vec<Attribute>,
    params: Vec<(Ident, Type)>,
    declaration: TokenStream,
}

pub(crate) fn expand(def: GroupDef) -> syn::Result<TokenStream> {
    let statements = def
        .statements
        .iter()
        .map(|item| statement(item, &def.vis))
        .collect::<syn::Result<Vec<_>>>()?;
    let GroupDef {
        attrs,
        vis,
        name,
        ty,
        init,
        ..
    } = def;
    let count = statements.len();
    let declarations = statements.iter().map(|s| &s.declaration);
    let methods = statements.iter().enumerate().map(|(i, s)| {
        let Statement {
            method,
            vis,
            attrs,
            params,
            ..
        } = s;
        let (args, tys): (Vec<_>, Vec<_>) = params.iter().cloned().unzip();
        quote! {
            #(#attrs)*
            #[inline]
            #vis fn #method(&'static self, #(#args: #tys),*) -> bool {
                self.group.log(self.statements[#i], &(#(#args,)*))
            }
        }
    });
    let doc = format!("The statements of [`{name}`], declared with `group!`.");
    Ok(quote! {
        #(#attrs)*
        #vis static #name: ::std::sync::LazyLock<#ty> = ::std::sync::LazyLock::new(|| {
            let mut group: ::hog_producer::Group = #init;
            let statements = [#(group.declare(#declarations)),*];
            #ty { group, statements }
        });

        #[doc = #doc]
        #vis struct #ty {
            group: ::hog_producer::Group,
            statements: [::hog_producer::StatementId; #count],
        }

        impl #ty {
            /// The group the statements belong to.
            #vis fn group(&'static self) -> &'static ::hog_producer::Group {
                &self.group
            }

            #(#methods)*
        }

        impl ::core::ops::Deref for #ty {
            type Target = ::hog_producer::Group;

            fn deref(&self) -> &::hog_producer::Group {
                &self.group
            }
        }
    })
}

fn statement(item: &ForeignItemFn, group_vis: &Visibility) -> syn::Result<Statement> {
    let sig = &item.sig;
    if !sig.generics.params.is_empty() || sig.variadic.is_some() {
        return Err(syn::Error::new_spanned(
            sig,
            "a statement takes arguments of concrete types",
        ));
    }
    if !matches!(sig.output, syn::ReturnType::Default) {
        return Err(syn::Error::new_spanned(
            &sig.output,
            "a statement returns whether its record was logged: leave out the return type",
        ));
    }
    let method = sig.ident.clone();
    let mut name = method.to_string().trim_start_matches("r#").to_string();
    let (mut format, mut location, mut named_all) = (None, None, false);
    let mut attrs = Vec::new();
    for attr in &item.attrs {
        let path = attr.path();
        if path.is_ident("hlog") {
            format = Some(attr.parse_args::<LitStr>()?);
        } else if path.is_ident("at") {
            location = Some(attr.parse_args_with(|input: ParseStream| {
                let file: LitStr = input.parse()?;
                input.parse::<Token![,]>()?;
                let line: LitInt = input.parse()?;
                Ok((file, line))
            })?);
        } else if path.is_ident("name") {
            let value = &attr.meta.require_name_value()?.value;
            name = syn::parse2::<LitStr>(quote!(#value))?.value();
        } else if path.is_ident("named") {
            attr.meta.require_path_only()?;
            named_all = true;
        } else {
            attrs.push(attr.clone());
        }
    }
    if !attrs.iter().any(|a| a.path().is_ident("doc")) {
        let doc = format!("Logs a `{name}` record; `false` if it was dropped.");
        attrs.push(syn::parse_quote!(#[doc = #doc]));
    }
    let mut params = Vec::new();
    let mut names = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(arg) = input else {
            return Err(syn::Error::new_spanned(input, "a statement has no `self`"));
        };
        let Pat::Ident(pat) = &*arg.pat else {
            return Err(syn::Error::new_spanned(&arg.pat, "name each argument"));
        };
        let mut named = named_all;
        for attr in &arg.attrs {
            if !attr.path().is_ident("named") {
                return Err(syn::Error::new_spanned(attr, "expected `#[named]`"));
            }
            attr.meta.require_path_only()?;
            named = true;
        }
        let label = pat.ident.to_string().trim_start_matches("r#").to_string();
        names.push(match named {
            true => quote!(::core::option::Option::Some(#label)),
            false => quote!(::core::option::Option::None),
        });
        params.push((pat.ident.clone(), (*arg.ty).clone()));
    }
    if let Some(f) = &format {
        let needed = arity_needed(&f.value());
        if needed > params.len() {
            return Err(syn::Error::new_spanned(
                f,
                format!(
                    "the format refers to ${} but the statement has {} argument(s)",
                    needed - 1,
                    params.len()
                ),
            ));
        }
    }
    let tys = params.iter().map(|(_, ty)| ty);
    let at = match location {
        Some((file, line)) => quote!(#file, #line),
        None => {
            let line = sig.ident.span().start().line as u32;
            match line {
                0 => quote!(::core::file!(), ::core::line!()),
                n => quote!(::core::file!(), #n),
            }
        }
    };
    let hlog = format.map(|f| quote!(.hlog(#f)));
    let declaration = quote! {
        ::hog_producer::Declaration::of::<(#(#tys,)*)>(#name, &[#(#names),*]).at(#at) #hlog
    };
    let vis = match &item.vis {
        Visibility::Inherited => group_vis.clone(),
        vis => vis.clone(),
    };
    Ok(Statement {
        method,
        vis,
        attrs,
        params,
        declaration,
    })
}
