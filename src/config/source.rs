//! Reading the config file: regular files only, at most 1 MiB, UTF-8.

use std::io::Read;
use std::path::Path;

use super::{ConfigError, ConfigIssue};

/// The largest config file read; a config is a few kilobytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The text of the config at `path`, or one whole-file issue.
pub(super) fn read(path: &Path) -> Result<String, ConfigError> {
    let fail = |message: String| ConfigError {
        issues: vec![ConfigIssue {
            file: path.to_path_buf(),
            line: None,
            field: "(file)".to_string(),
            message,
            unreadable_file: false,
        }],
    };
    // Looked at before opening: opening a FIFO would block until a writer came.
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read the config: {e}")))?;
    if !meta.is_file() {
        return Err(fail(
            "cannot read the config: it is not a regular file (a directory, FIFO, socket or device)"
                .to_string(),
        ));
    }
    let file =
        std::fs::File::open(path).map_err(|e| fail(format!("cannot read the config: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read the config: {e}")))?;
    text(&bytes).map_err(fail)
}

/// `bytes` as config text: at most [`MAX_CONFIG_BYTES`], UTF-8.
pub(super) fn text(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!(
            "the config is larger than {MAX_CONFIG_BYTES} bytes (1 MiB); a config is a few kilobytes"
        ));
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        format!(
            "the config is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}
