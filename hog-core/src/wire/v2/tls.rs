//! TLS settings from PEM files, for both ends, with errors that name the
//! file at fault. rustls with the `ring` provider; TLS 1.2 and 1.3.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, InvalidDnsNameError, PrivateKeyDer, ServerName};
use rustls::server::{VerifierBuilderError, WebPkiClientVerifier};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// A TLS setting that cannot be used, naming the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate file that cannot be read.
    #[error("certificate file {path}: {source}")]
    CertFile {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// A certificate file that is not PEM.
    #[error("certificate file {path}: not a valid PEM certificate file: {source}")]
    CertPem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: pem::Error,
    },
    /// A certificate file without a certificate.
    #[error("certificate file {path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCert {
        /// The file.
        path: PathBuf,
    },
    /// A key file that cannot be read.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// A key file without a usable key.
    #[error("key file {path}: holds no usable PEM private key: {source}")]
    NoKey {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: pem::Error,
    },
    /// A CA certificate that cannot be trusted.
    #[error("CA file {path}: {source}")]
    CaCert {
        /// The file.
        path: PathBuf,
        /// What rustls says.
        source: rustls::Error,
    },
    /// A CA file that makes no client certificate verifier.
    #[error("CA file {path}: {source}")]
    CaVerifier {
        /// The file.
        path: PathBuf,
        /// What rustls says.
        source: VerifierBuilderError,
    },
    /// The crypto provider offers no protocol version.
    #[error(transparent)]
    Versions(rustls::Error),
    /// A certificate and key that do not belong together.
    #[error("certificate {cert} and key {key} do not make a usable pair: {source}")]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls says.
        source: rustls::Error,
    },
    /// A name that is neither a DNS name nor an IP address.
    #[error("'{name}' is not a valid TLS server name: {source}")]
    ServerName {
        /// The name.
        name: String,
        /// What is wrong with it.
        source: InvalidDnsNameError,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM file (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let path_buf = || path.to_path_buf();
    std::fs::metadata(path).map_err(|source| TlsError::CertFile {
        path: path_buf(),
        source,
    })?;
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::CertPem {
            path: path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCert { path: path_buf() });
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let path_buf = || path.to_path_buf();
    std::fs::metadata(path).map_err(|source| TlsError::KeyFile {
        path: path_buf(),
        source,
    })?;
    PrivateKeyDer::from_pem_file(path).map_err(|source| TlsError::NoKey {
        path: path_buf(),
        source,
    })
}

fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|source| TlsError::CaCert {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(roots)
}

/// The error of a certificate and key that do not make a pair.
fn pair(cert: &Path, key: &Path) -> impl FnOnce(rustls::Error) -> TlsError {
    let (cert, key) = (cert.to_path_buf(), key.to_path_buf());
    move |source| TlsError::Pair { cert, key, source }
}

/// A receiver's TLS configuration: its certificate chain and key, and, for
/// mutual TLS, the CA that signs client certificates (a client that shows
/// none may still authenticate with a token).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = load_certs(cert)?;
    let key_der = load_key(key)?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Versions)?;
    let builder = match client_ca {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
                    .allow_unauthenticated()
                    .build()
                    .map_err(|source| TlsError::CaVerifier {
                        path: ca.to_path_buf(),
                        source,
                    })?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(certs, key_der)
        .map_err(pair(cert, key))?;
    Ok(Arc::new(config))
}

/// A sender's TLS configuration: the CA that signs receivers' certificates
/// and, for mutual TLS, the sender's own certificate and key.
pub fn client_config(
    ca: &Path,
    identity: Option<(&Path, &Path)>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Versions)?
        .with_root_certificates(roots(ca)?);
    let config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
            .map_err(pair(cert, key))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name a receiver's certificate must carry: a DNS name or an IP
/// address.
pub fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(name.to_string()).map_err(|source| TlsError::ServerName {
        name: name.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_named_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = server_config(&missing, &missing, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing.pem") && e.contains("certificate file"),
            "{e}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let e = server_config(&junk, &junk, None).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = client_config(&junk, None).unwrap_err().to_string();
        assert!(e.contains("junk.pem"), "{e}");

        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert_path = dir.path().join("cert.pem");
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        let e = server_config(&cert_path, &junk, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("key file") && e.contains("junk.pem"), "{e}");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
        server_config(&cert_path, &key_path, Some(&cert_path)).unwrap();
        client_config(&cert_path, Some((&cert_path, &key_path))).unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        let other_path = dir.path().join("other.pem");
        std::fs::write(&other_path, other.serialize_pem()).unwrap();
        let e = server_config(&cert_path, &other_path, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("usable pair"), "{e}");
        assert!(server_name("127.0.0.1").is_ok() && server_name("localhost").is_ok());
    }
}
