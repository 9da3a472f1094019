//! The binary encoding of type descriptions: a `u32` kind tag per node,
//! `u64`-prefixed strings and counts, `u32` offsets and tags.

use super::Type;

const PRIM: u32 = 0;
const TVAR: u32 = 2;
const FIXEDARR: u32 = 4;
const ARR: u32 = 5;
const VARIANT: u32 = 6;
const STRUCT: u32 = 7;
const SIZE: u32 = 11;
const TAPP: u32 = 12;
const TABS: u32 = 15;

/// Appends the encoding of `ty` to `out`.
pub(super) fn write(ty: &Type, out: &mut Vec<u8>) {
    match ty {
        Type::Prim(name, rep) => {
            tag(out, PRIM);
            string(out, name);
            out.push(u8::from(rep.is_some()));
            if let Some(rep) = rep {
                write(rep, out);
            }
        }
        Type::Var(name) => {
            tag(out, TVAR);
            string(out, name);
        }
        Type::FixedArray(elem, len) => {
            tag(out, FIXEDARR);
            write(elem, out);
            tag(out, SIZE);
            out.extend_from_slice(&len.to_le_bytes());
        }
        Type::Array(elem) => {
            tag(out, ARR);
            write(elem, out);
        }
        Type::Variant(ctors) => {
            tag(out, VARIANT);
            count(out, ctors.len());
            for c in ctors {
                string(out, &c.name);
                out.extend_from_slice(&c.id.to_le_bytes());
                write(&c.ty, out);
            }
        }
        Type::Struct(fields) if fields.is_empty() => write(&Type::unit(), out),
        Type::Struct(fields) => {
            tag(out, STRUCT);
            count(out, fields.len());
            for f in fields {
                string(out, &f.name);
                out.extend_from_slice(&f.offset.to_le_bytes());
                write(&f.ty, out);
            }
        }
        Type::App(f, args) => {
            tag(out, TAPP);
            write(f, out);
            count(out, args.len());
            for a in args {
                write(a, out);
            }
        }
        Type::Abs(names, body) => {
            tag(out, TABS);
            count(out, names.len());
            for n in names {
                string(out, n);
            }
            write(body, out);
        }
    }
}

fn tag(out: &mut Vec<u8>, tag: u32) {
    out.extend_from_slice(&tag.to_le_bytes());
}

fn count(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_le_bytes());
}

fn string(out: &mut Vec<u8>, s: &str) {
    count(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::super::Type;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn primitives_and_arrays_encode_as_the_spec_shows() {
        assert_eq!(
            hex(&Type::prim("int").encode()),
            "000000000300000000000000696e7400"
        );
        assert_eq!(
            hex(&Type::array(Type::prim("char")).encode()),
            "050000000000000004000000000000006368617200"
        );
        assert_eq!(
            hex(&Type::fixed_array(Type::prim("int"), 3).encode()),
            "04000000000000000300000000000000696e74000b0000000300000000000000"
        );
    }

    #[test]
    fn an_empty_record_is_unit() {
        let empty: [(&str, Type); 0] = [];
        assert_eq!(Type::record(empty).encode(), Type::unit().encode());
    }
}
