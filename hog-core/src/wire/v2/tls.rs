//! TLS settings from PEM files, for both ends, with errors that name the
//! file at fault. rustls with the `ring` provider; TLS 1.2 and 1.3.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM file (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    std::fs::metadata(path).map_err(|e| format!("certificate file {shown}: {e}"))?;
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("certificate file {shown}: not a valid PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "certificate file {shown}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let shown = path.display();
    std::fs::metadata(path).map_err(|e| format!("key file {shown}: {e}"))?;
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("key file {shown}: holds no usable PEM private key: {e}"))
}

fn roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots
            .add(cert)
            .map_err(|e| format!("CA file {}: {e}", path.display()))?;
    }
    Ok(roots)
}

/// A receiver's TLS configuration: its certificate chain and key, and, for
/// mutual TLS, the CA that signs client certificates (a client that shows
/// none may still authenticate with a token).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, String> {
    let certs = load_certs(cert)?;
    let key_der = load_key(key)?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match client_ca {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| format!("CA file {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(certs, key_der).map_err(|e| {
        format!(
            "certificate {} and key {} do not make a usable pair: {e}",
            cert.display(),
            key.display()
        )
    })?;
    Ok(Arc::new(config))
}

/// A sender's TLS configuration: the CA that signs receivers' certificates
/// and, for mutual TLS, the sender's own certificate and key.
pub fn client_config(
    ca: &Path,
    identity: Option<(&Path, &Path)>,
) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(ca)?);
    let config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
            .map_err(|e| {
                format!(
                    "certificate {} and key {} do not make a usable pair: {e}",
                    cert.display(),
                    key.display()
                )
            })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name a receiver's certificate must carry: a DNS name or an IP
/// address.
pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(name.to_string())
        .map_err(|e| format!("'{name}' is not a valid TLS server name: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_named_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = server_config(&missing, &missing, None).unwrap_err();
        assert!(
            e.contains("missing.pem") && e.contains("certificate file"),
            "{e}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let e = server_config(&junk, &junk, None).unwrap_err();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = client_config(&junk, None).unwrap_err();
        assert!(e.contains("junk.pem"), "{e}");

        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert_path = dir.path().join("cert.pem");
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        let e = server_config(&cert_path, &junk, None).unwrap_err();
        assert!(e.contains("key file") && e.contains("junk.pem"), "{e}");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
        server_config(&cert_path, &key_path, Some(&cert_path)).unwrap();
        client_config(&cert_path, Some((&cert_path, &key_path))).unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        let other_path = dir.path().join("other.pem");
        std::fs::write(&other_path, other.serialize_pem()).unwrap();
        let e = server_config(&cert_path, &other_path, None).unwrap_err();
        assert!(e.contains("usable pair"), "{e}");
        assert!(server_name("127.0.0.1").is_ok() && server_name("localhost").is_ok());
    }
}
