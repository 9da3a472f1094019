//! Why a producer could not set up a ring.

/// Why a ring could not be set up.
#[derive(Debug)]
pub enum ProducerError {
    /// The region could not be created.
    Region(std::io::Error),
    /// A Reliable group could not register with hog.
    Register(std::io::Error),
}

impl std::fmt::Display for ProducerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProducerError::Region(e) => write!(f, "cannot create the ring: {e}"),
            ProducerError::Register(e) => write!(f, "cannot register with hog: {e}"),
        }
    }
}

impl std::error::Error for ProducerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProducerError::Region(e) | ProducerError::Register(e) => Some(e),
        }
    }
}
